// SPDX-License-Identifier: GPL-2.0
/*
 * The writer of every printed command, fed hostile namespace and interface names: each name
 * comes out as one shell word that a real shell (sh -c, as a paste would run it) reads back as
 * the name itself, running nothing; or the name is refused and a comment stands in its place.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fix_cmd.h"
#include "tap.h"
#include "util.h"

static char pwned[256]; /* a file that only a command substitution in a name would create */

/* What `sh -c line` prints on stdout, into out. -1 if sh could not be run. */
static int sh_output(const char *line, char *out, size_t size)
{
	FILE *p = popen(line, "r");
	size_t n;

	if (!p)
		return -1;
	n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	return pclose(p) == -1 ? -1 : 0;
}

/* The hostile names, each with a command substitution aimed at pwned where it has one. */
static const char *hostile[8];
static char subst1[320], subst2[320], path[400], semi[320];

static void make_names(void)
{
	snprintf(subst1, sizeof(subst1), "ns$(touch %s)", pwned);
	snprintf(subst2, sizeof(subst2), "v`touch %s`", pwned);
	snprintf(semi, sizeof(semi), "x;touch %s", pwned);
	snprintf(path, sizeof(path), "/run/netns/ns dir/it's $(touch %s)", pwned);
	hostile[0] = "it's";
	hostile[1] = "a b";
	hostile[2] = subst1;
	hostile[3] = subst2;
	hostile[4] = semi;
	hostile[5] = path;
	hostile[6] = "back\\slash\"dq";
	hostile[7] = "-rf";
}

/* The word, pasted into sh after printf, comes back whole and runs nothing. */
static void test_word_commands(void)
{
	char line[FINDING_FIX_LEN], out[FINDING_FIX_LEN + 2], want[FINDING_FIX_LEN + 2];

	for (size_t i = 0; i < ARRAY_SIZE(hostile); i++) {
		is_int(fix_word_command("printf '%s\\n'", hostile[i], line, sizeof(line)), 0,
		       "a command with '%s'", hostile[i]);
		snprintf(want, sizeof(want), "%s\n", hostile[i]);
		ok(!sh_output(line, out, sizeof(out)) && !strcmp(out, want),
		   "sh reads '%s' back as one word (%s)", hostile[i], line);
		ok(access(pwned, F_OK) != 0, "and runs nothing in it");
	}
}

/* The firewall commands inside a hostile namespace: the prefix before the pipe, given to
 * printf, is exactly ip netns exec / nsenter --net=, the name, and the command. */
static void test_firewall(void)
{
	char fw[4][FINDING_FIX_LEN], cmd[2 * FINDING_FIX_LEN], out[2 * FINDING_FIX_LEN],
		want[FINDING_FIX_LEN + 64];
	int n;

	n = fix_firewall(NULL, fw, 4);
	is_int(n, 3, "our namespace: a comment and two commands");
	ok(n == 3 && !strncmp(fw[1], "nft list ruleset", 16) &&
		   !strncmp(fw[2], "iptables-save", 13),
	   "without a prefix");
	is_int(fix_firewall("self", fw, 4), 3, "'self' is our namespace");
	ok(!strncmp(fw[1], "nft ", 4), "also without a prefix");
	for (size_t i = 0; i < ARRAY_SIZE(hostile); i++) {
		bool is_path = strchr(hostile[i], '/') != NULL;
		char *pipe_at;

		n = fix_firewall(hostile[i], fw, 4);
		is_int(n, 3, "namespace '%s': a comment and two commands", hostile[i]);
		if (n != 3)
			continue;
		/* Ours is the last " | ": the name's own are inside its quotes, before it. */
		pipe_at = NULL;
		for (char *p = strstr(fw[1], " | "); p; p = strstr(p + 1, " | "))
			pipe_at = p;
		ok(pipe_at && pipe_at > fw[1], "the nft line has its pipe: %s", fw[1]);
		if (!pipe_at)
			continue;
		snprintf(cmd, sizeof(cmd), "printf '%%s\\n' %.*s", (int)(pipe_at - fw[1]), fw[1]);
		if (is_path)
			snprintf(want, sizeof(want), "nsenter\n--net=%s\nnft\nlist\nruleset\n",
				 hostile[i]);
		else
			snprintf(want, sizeof(want), "ip\nnetns\nexec\n%s\nnft\nlist\nruleset\n",
				 hostile[i]);
		ok(!sh_output(cmd, out, sizeof(out)) && !strcmp(out, want),
		   "sh reads the namespace '%s' as one word (%s)", hostile[i], fw[1]);
		ok(access(pwned, F_OK) != 0, "and runs nothing in it");
	}
}

/* diagnose's advice inside the namespace it measured: the prefix and the word, each one word. */
static void test_in_netns(void)
{
	char line[FINDING_FIX_LEN], out[2 * FINDING_FIX_LEN], want[2 * FINDING_FIX_LEN],
		cmd[2 * FINDING_FIX_LEN];

	is_int(fix_in_netns(NULL, "ip route get", "192.0.2.1", line, sizeof(line)), 0,
	       "our namespace: a command");
	is_str(line, "ip route get 192.0.2.1", "without a prefix");
	is_int(fix_in_netns("self", "ip route get", "192.0.2.1", line, sizeof(line)), 0, "'self'");
	is_str(line, "ip route get 192.0.2.1", "is ours too");
	is_int(fix_in_netns("lab-1", "ip route get", NULL, line, sizeof(line)), 0,
	       "a named namespace, no word");
	is_str(line, "ip netns exec lab-1 ip route get", "ip netns exec, then the command");
	for (size_t i = 0; i < ARRAY_SIZE(hostile); i++) {
		bool is_path = strchr(hostile[i], '/') != NULL;

		is_int(fix_in_netns(hostile[i], "ip route get", hostile[(i + 1) % ARRAY_SIZE(hostile)],
				    line, sizeof(line)),
		       0, "namespace '%s': a command", hostile[i]);
		snprintf(cmd, sizeof(cmd), "printf '%%s\\n' %s", line);
		snprintf(want, sizeof(want), "%s%s\nip\nroute\nget\n%s\n",
			 is_path ? "nsenter\n--net=" : "ip\nnetns\nexec\n", hostile[i],
			 hostile[(i + 1) % ARRAY_SIZE(hostile)]);
		ok(!sh_output(cmd, out, sizeof(out)) && !strcmp(out, want),
		   "sh reads the namespace and the word '%s' as one word each (%s)", hostile[i],
		   line);
		ok(access(pwned, F_OK) != 0, "and runs nothing in them");
	}
	is_int(fix_in_netns("new\nline", "ip route get", "192.0.2.1", line, sizeof(line)), -EINVAL,
	       "a namespace with a control character is refused");
	ok(line[0] == '#' && !strchr(line, '\n'), "a one-line comment instead: %s", line);
	is_int(fix_in_netns("lab-1", "ip route get", "tab\there", line, sizeof(line)), -EINVAL,
	       "so is such a word");
	ok(line[0] == '#', "a comment instead: %s", line);
}

/* Names a single line cannot hold, or that do not fit: refused, a comment instead. */
static void test_refused(void)
{
	static const char *const bad[] = {"new\nline", "tab\there", "esc\x1b[31m", "del\x7f"};
	char line[FINDING_FIX_LEN], fw[4][FINDING_FIX_LEN], w[64], big[FINDING_FIX_LEN + 8];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		is_int(fix_shell_word(bad[i], w, sizeof(w)), -EINVAL,
		       "a control character is refused (name %zu)", i);
		is_int(fix_word_command("ip route get", bad[i], line, sizeof(line)), -EINVAL,
		       "the command is refused (name %zu)", i);
		ok(line[0] == '#' && !strpbrk(line, "\n\t\x1b\x7f"),
		   "a one-line comment stands in its place: %s", line);
		is_int(fix_firewall(bad[i], fw, 4), 1, "the firewall advice: one line (name %zu)",
		       i);
		ok(fw[0][0] == '#' && !strpbrk(fw[0], "\n\t\x1b\x7f"), "a comment: %s", fw[0]);
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	is_int(fix_word_command("ip route get", big, line, sizeof(line)), -ENOSPC,
	       "a name too long for a line is refused, not cut");
	ok(line[0] == '#', "a comment instead");
	ok(!fix_shell_word("lab-1", w, sizeof(w)) && !strcmp(w, "lab-1"),
	   "shell word: a plain name as it is");
	ok(!fix_shell_word("a b'c$(x)", w, sizeof(w)) && !strcmp(w, "'a b'\\''c$(x)'"),
	   "shell word: anything else in single quotes, each ' as '\\'' (%s)", w);
	is_int(fix_shell_word("abcdef", w, 4), -ENOSPC, "shell word: too long for the buffer");
}

int main(void)
{
	char dir[] = "/tmp/ds-fixcmd.XXXXXX";

	if (!mkdtemp(dir)) {
		printf("1..0 # SKIP cannot make a temporary directory\n");
		return 0;
	}
	snprintf(pwned, sizeof(pwned), "%s/pwned", dir);
	/* A broken rule would run the names' commands: let their files land in dir, not here. */
	if (chdir(dir)) {
		printf("1..0 # SKIP cannot enter %s\n", dir);
		return 0;
	}
	make_names();
	test_word_commands();
	test_firewall();
	test_in_netns();
	test_refused();
	unlink(pwned);
	if (chdir("/") == 0)
		rmdir(dir);
	return done_testing();
}
