// SPDX-License-Identifier: GPL-2.0
/* The monitor's config file and --listen: targets, comments, duplicates, refusals. */
#include <errno.h>

#include "monitor_config.h"
#include "monitor_http.h"
#include "tap.h"

static void targets(void)
{
	char *cli[] = {"192.0.2.1", "example.net"};
	char **v, err[128] = "";
	size_t n;

	is_int(monitor_targets_build(cli, 2,
				     "# the uplinks\n"
				     "  198.51.100.7   # the far end\n"
				     "\n"
				     "\texample.net\r\n"
				     "2001:db8::1\n"
				     "fe80::1%eth0",
				     &v, &n, err, sizeof(err)),
	       0, "targets: a file with comments, blanks, tabs and CRLF");
	is_int(n, 5, "targets: five, the duplicate once");
	if (n == 5) {
		is_str(v[0], "192.0.2.1", "targets: the command line's first");
		is_str(v[1], "example.net", "targets: then its second");
		is_str(v[2], "198.51.100.7", "targets: then the file's, trimmed, comment cut");
		is_str(v[3], "2001:db8::1", "targets: an IPv6 address");
		is_str(v[4], "fe80::1%eth0", "targets: a scoped address");
	}
	monitor_targets_free(v, n);

	is_int(monitor_targets_build(NULL, 0, NULL, &v, &n, err, sizeof(err)), 0,
	       "targets: none at all is fine (the kernel side alone)");
	is_int(n, 0, "targets: zero");
	monitor_targets_free(v, n);

	is_int(monitor_targets_build(NULL, 0, "a.example\nbad target\n", &v, &n, err, sizeof(err)),
	       -EINVAL, "targets: a space inside a target is refused");
	is_str(err, "line 2: bad target 'bad target': expected a host name or an address",
	       "targets: the message names the line");
	ok(v == NULL && n == 0, "targets: nothing returned on error");

	is_int(monitor_targets_build(NULL, 0, "$(reboot)\n", &v, &n, err, sizeof(err)), -EINVAL,
	       "targets: shell in a target is refused");
	{
		char *bad[] = {""};

		is_int(monitor_targets_build(bad, 1, NULL, &v, &n, err, sizeof(err)), -EINVAL,
		       "targets: an empty command-line target is refused");
	}
	{
		char text[MONITOR_MAX_TARGETS * 16 + 64], *p = text;

		for (int i = 0; i <= MONITOR_MAX_TARGETS; i++)
			p += sprintf(p, "10.0.%d.%d\n", i / 250, i % 250 + 1);
		is_int(monitor_targets_build(NULL, 0, text, &v, &n, err, sizeof(err)), -EINVAL,
		       "targets: one more than the bound is refused");
		ok(strstr(err, "too many targets") != NULL, "targets: saying so");
	}
	{
		char name[MONITOR_TARGET_MAX + 2];

		memset(name, 'a', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		ok(!monitor_target_valid(name), "targets: 254 bytes is too long");
		name[MONITOR_TARGET_MAX] = '\0';
		ok(monitor_target_valid(name), "targets: 253 bytes is fine");
	}
}

static void listen_spec(void)
{
	char host[64];
	unsigned port = 0;

	is_int(monitor_parse_listen("127.0.0.1:9377", host, sizeof(host), &port), 0,
	       "listen: IPv4 and port");
	is_str(host, "127.0.0.1", "listen: the host");
	is_int(port, 9377, "listen: the port");
	is_int(monitor_parse_listen("[::1]:80", host, sizeof(host), &port), 0,
	       "listen: [IPv6]:port");
	is_str(host, "::1", "listen: the IPv6 host without brackets");
	is_int(monitor_parse_listen(":9100", host, sizeof(host), &port), 0, "listen: :port");
	is_str(host, "", "listen: every address");
	is_int(monitor_parse_listen("localhost:1", host, sizeof(host), &port), 0, "listen: a name");
	is_int(monitor_parse_listen("9377", host, sizeof(host), &port), -EINVAL,
	       "listen: a port alone is refused");
	is_int(monitor_parse_listen("::1:9377", host, sizeof(host), &port), -EINVAL,
	       "listen: IPv6 without brackets is refused");
	is_int(monitor_parse_listen("[::1]9377", host, sizeof(host), &port), -EINVAL,
	       "listen: brackets without a colon are refused");
	is_int(monitor_parse_listen("127.0.0.1:0", host, sizeof(host), &port), -EINVAL,
	       "listen: port 0 is refused");
	is_int(monitor_parse_listen("127.0.0.1:65536", host, sizeof(host), &port), -EINVAL,
	       "listen: port 65536 is refused");
	is_int(monitor_parse_listen("127.0.0.1:9x", host, sizeof(host), &port), -EINVAL,
	       "listen: garbage after the port is refused");
}

int main(void)
{
	targets();
	listen_spec();
	return done_testing();
}
