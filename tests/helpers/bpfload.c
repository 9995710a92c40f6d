// SPDX-License-Identifier: GPL-2.0
/*
 * bpfload OBJECT: load a BPF object, attach every program, print "attached", and hold until
 * SIGINT/SIGTERM (600 s at most). The benchmark uses it for its empty-program floor.
 *
 * bpfload map PATH TYPE KEY VALUE STRUCT: create a one-entry map of TYPE (array,
 * percpu_array or hash) with KEY- and VALUE-byte entries, whose BTF says the value is
 * `struct STRUCT`, pin it at PATH and exit: another tool's map, as convincing as it likes,
 * for the tests of what dropscope takes for its own.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

static int pin_map(char **argv)
{
	static const struct {
		const char *name;
		enum bpf_map_type type;
	} types[] = { { "array", BPF_MAP_TYPE_ARRAY },
		      { "percpu_array", BPF_MAP_TYPE_PERCPU_ARRAY },
		      { "hash", BPF_MAP_TYPE_HASH } };
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	unsigned key = atoi(argv[3]), value = atoi(argv[4]);
	int type = -1, key_id, fd, err;
	struct btf *btf;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(argv[2], types[i].name))
			type = types[i].type;
	if (type < 0 || !key || !value) {
		fprintf(stderr, "bpfload: bad map type or size\n");
		return 2;
	}
	/* Arrays want a 4-byte integer key in the BTF; a hash takes a struct of KEY bytes. */
	btf = btf__new_empty();
	key_id = key == 4 ? btf__add_int(btf, "unsigned int", 4, 0)
			  : btf__add_struct(btf, "foreign_key", key);
	opts.btf_key_type_id = key_id;
	opts.btf_value_type_id = btf__add_struct(btf, argv[5], value);
	err = btf__load_into_kernel(btf);
	if (err || key_id < 0 || (int)opts.btf_value_type_id < 0) {
		fprintf(stderr, "bpfload: failed to load the BTF: %s\n", strerror(errno));
		return 1;
	}
	opts.btf_fd = btf__fd(btf);
	fd = bpf_map_create(type, "foreign", key, value, 1, &opts);
	if (fd < 0 || bpf_obj_pin(fd, argv[1])) {
		fprintf(stderr, "bpfload: failed to create and pin %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;

	if (argc == 7 && !strcmp(argv[1], "map"))
		return pin_map(argv + 1);
	if (argc != 2) {
		fprintf(stderr, "usage: bpfload OBJECT | bpfload map PATH TYPE KEY VALUE STRUCT\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "bpfload: failed to load %s\n", argv[1]);
		return 1;
	}
	bpf_object__for_each_program(prog, obj)
	{
		if (!bpf_program__attach(prog)) {
			fprintf(stderr, "bpfload: failed to attach %s\n", bpf_program__name(prog));
			return 1;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "attached\n");
	for (int i = 0; i < 600 && !stop; i++)
		sleep(1);
	bpf_object__close(obj);
	return 0;
}
