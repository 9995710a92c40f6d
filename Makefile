# SPDX-License-Identifier: GPL-2.0
#
# make            build build/dropscope
# make test       install missing Debian packages, build, run every test (root)
# make demo       install missing Debian packages, build, run the built-in demo (root)
# make bench      benchmarks (root); not part of the tests
# make install    PREFIX=/usr/local DESTDIR=
#
# Overridable: CLANG, BPFTOOL, ARCH, CC, PREFIX, DESTDIR, BUILD, V=1 for full commands,
# WERROR=1 to make every warning an error (CI builds so).

CLANG   ?= clang
BPFTOOL ?= bpftool
CC      ?= gcc
ARCH    ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
PREFIX  ?= /usr/local
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR ?=
BUILD   ?= build

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SUFFIXES:

VMLINUX_DIR := vmlinux/$(ARCH)
BPF_SRCS    := $(wildcard bpf/*.bpf.c)
BPF_NAMES   := $(patsubst bpf/%.bpf.c,%,$(BPF_SRCS))
BPF_OBJS    := $(patsubst %,$(BUILD)/bpf/%.bpf.o,$(filter-out tcp,$(BPF_NAMES)))
# tcp.bpf.c is linked into the drops object (one object: one BTF parse at load), no skeleton.
SKELS       := $(patsubst %,$(BUILD)/skel/%.skel.h,$(filter-out tcp,$(BPF_NAMES)))

USER_SRCS   := $(wildcard user/*.c)
USER_OBJS   := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
# Everything but the two main()s goes into a library the unit tests link against.
LIB_OBJS    := $(filter-out $(BUILD)/user/main.o $(BUILD)/user/prober_main.o,$(USER_OBJS))
LIB         := $(BUILD)/libdropscope.a

UNIT_SRCS   := $(wildcard tests/unit/*.c)
UNIT_BINS   := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(HELPER_SRCS))
BENCH_BPF   := $(wildcard tests/bench/*.bpf.c)
BENCH_OBJS  := $(patsubst tests/bench/%.bpf.c,$(BUILD)/bench/%.bpf.o,$(BENCH_BPF))
BENCH_BINS  := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(filter-out %.bpf.c,$(wildcard tests/bench/*.c)))
FUZZ_SRCS   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS   := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
# Write the seed corpora of the probe parser and the BTF reader (tests/fuzz/corpus/make.sh).
SEEDS_BIN   := $(BUILD)/fuzz/probe_seeds $(BUILD)/fuzz/btf_seeds
# The sanitizer build: the library and the unit tests again, under ASan and UBSan.
SAN         := $(BUILD)/san
SAN_OBJS    := $(patsubst $(BUILD)/user/%,$(SAN)/user/%,$(LIB_OBJS))
SAN_LIB     := $(SAN)/libdropscope.a
SAN_BINS    := $(patsubst tests/unit/%.c,$(SAN)/tests/unit/%,$(UNIT_SRCS))

LIBBPF_CFLAGS := $(shell pkg-config --cflags libbpf 2>/dev/null)
LIBBPF_LIBS   := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf)
# The prober's program links the prober alone. With musl where it is installed (Debian's
# musl-tools; scripts/deps.sh installs it): static-pie, 0.13 MB of text where static glibc takes
# 1.0 MB, and the process holds what it touches of its text and every page around it (README,
# "Privileges": 1.0 MB of RSS with 10 targets, not 1.9). Else static glibc (static-pie) where
# libc6-dev's libc.a allows it, else dynamic with libc and libm only.
PROBER_LDFLAGS := $(shell printf 'int main(void){return 0;}\n' | \
	$(CC) -static-pie -x c - -o /dev/null 2>/dev/null && echo -static-pie)
PROBER_LIBS   := -lpthread -lm
MULTIARCH     := $(shell $(CC) -print-multiarch 2>/dev/null)
MUSL_LIBDIR   := /usr/lib/$(subst -gnu,-musl,$(MULTIARCH))
MUSL_CC       ?= $(if $(MULTIARCH),$(if $(wildcard $(MUSL_LIBDIR)/rcrt1.o),$(shell command -v musl-gcc 2>/dev/null)))
# The prober's modules: what prober_main.c calls, and what they call.
PROBER_MODULES := prober_main prober probe_child probe_parse probe_resolve probe_stats \
	probe_route probe_opts probe_report json util privs
MUSL_OBJS     := $(patsubst %,$(BUILD)/musl/%.o,$(PROBER_MODULES))
# musl-gcc leaves the kernel's headers (linux/, asm/) out of its search; the prober needs them.
MUSL_KERNEL   := $(BUILD)/musl/kernel
# Each function and datum of user/ in a section of its own, so that the program keeps only what
# it calls (--gc-sections: 220 kB less text; the monitor's prober process with 10 targets holds
# 1.94 MB of RSS, not 2.06). dropscope links as before.
SECTIONS      := -ffunction-sections -fdata-sections

CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN     += -Werror
endif
# Any UBSan report is fatal (not printed and carried on from), so that a test can fail on it.
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# The normal CFLAGS (same optimisation, so WERROR=1 sees the same warnings) plus the sanitizers.
SAN_CFLAGS  = $(CFLAGS) $(SANITIZE)
CPPFLAGS += -D_GNU_SOURCE -I$(BUILD)/skel -Ibpf -Iuser $(LIBBPF_CFLAGS)
LDLIBS   += $(LIBBPF_LIBS) -lelf -lz -lpthread -lm

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(VMLINUX_DIR) -Ibpf \
	-Wall -Wno-unused-function -Wno-compare-distinct-pointer-types
ifeq ($(WERROR),1)
BPF_CFLAGS += -Werror
FUZZ_WERROR := -Werror
endif

.PHONY: all docs deps test unit san demo bench install uninstall clean fuzz helpers bpf-objects
all: $(BUILD)/dropscope $(BUILD)/dropscope-prober
docs: $(BUILD)/dropscope.8 $(BUILD)/dropscope.bash

# The man page and the bash completion come from the program's own help (one source), so they
# are made by running it: for install and the tests, not by a plain (cross) build.
$(BUILD)/dropscope.8: $(BUILD)/dropscope scripts/gen-man.sh
	$(call msg,GEN,$@)
	$(Q)scripts/gen-man.sh $(BUILD)/dropscope >$@

$(BUILD)/dropscope.bash: $(BUILD)/dropscope scripts/gen-completion.sh
	$(call msg,GEN,$@)
	$(Q)scripts/gen-completion.sh $(BUILD)/dropscope >$@

# The systemd unit, with the paths of this install.
$(BUILD)/dropscope-monitor.service: scripts/dropscope-monitor.service.in
	$(call msg,GEN,$@)
	$(Q)sed -e 's|@SBINDIR@|$(PREFIX)/sbin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< >$@

# Named here so make treats them as real targets (rebuilt when missing), not intermediates.
bpf-objects: $(BPF_OBJS) $(patsubst %,$(BUILD)/bpf/%.tmp.o,$(BPF_NAMES)) $(SKELS)

# BPF: compile, strip DWARF but keep BTF (bpftool gen object), then a skeleton.
$(BUILD)/bpf/%.tmp.o: bpf/%.bpf.c | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/bpf/%.bpf.o: $(BUILD)/bpf/%.tmp.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(BUILD)/bpf/drops.bpf.o: $(BUILD)/bpf/drops.tmp.o $(BUILD)/bpf/tcp.tmp.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

# The dependency files of a build from before the link may still name it.
$(BUILD)/skel/tcp.skel.h: ;

$(BUILD)/skel/%.skel.h: $(BUILD)/bpf/%.bpf.o | $(BUILD)/skel
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(BUILD)/bench/%.bpf.o: tests/bench/%.bpf.c | $(BUILD)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

# The bare loader the benchmark compares dropscope's start and memory with: the skeleton of
# the empty program.
$(BUILD)/bench/floor.skel.h: $(BUILD)/bench/floor.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor_bpf > $@

$(BUILD)/bench/bare: tests/bench/bare.c $(BUILD)/bench/floor.skel.h | $(BUILD)/deps
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -I$(BUILD)/bench $(CFLAGS) $(WARN) -MMD -MP -MF $(BUILD)/deps/bench-bare.d $< -o $@ $(LDLIBS)

# The other benchmark programs drive the library's pure logic.
$(BUILD)/bench/%: tests/bench/%.c $(LIB) | $(BUILD)/bench $(BUILD)/deps
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -MF $(BUILD)/deps/bench-$*.d $< $(LIB) $(LDLIBS) -o $@

# Userspace objects wait for every skeleton to exist (order-only); -MMD -MP records which
# skeletons each includes, so a BPF change rebuilds only those.
$(BUILD)/user/%.o: user/%.c | $(SKELS) $(BUILD)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(SECTIONS) $(WARN) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/dropscope: $(BUILD)/user/main.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

ifneq ($(MUSL_CC),)
$(MUSL_KERNEL): | $(BUILD)/musl
	$(Q)mkdir -p $@ && ln -sfn /usr/include/linux $@/linux && \
		ln -sfn /usr/include/$(MULTIARCH)/asm $@/asm && ln -sfn /usr/include/asm-generic $@/asm-generic

$(BUILD)/musl/%.o: user/%.c | $(SKELS) $(MUSL_KERNEL)
	$(call msg,CC-MUSL,$@)
	$(Q)$(MUSL_CC) -D_GNU_SOURCE -I$(BUILD)/skel -Ibpf -Iuser -idirafter $(MUSL_KERNEL) $(CFLAGS) \
		-fPIE $(SECTIONS) $(WARN) -MMD -MP -c $< -o $@

# musl-gcc's specs know no -static-pie: musl's rcrt1.o (it relocates itself), no interpreter.
$(BUILD)/dropscope-prober: $(MUSL_OBJS)
	$(call msg,LINK-MUSL,$@)
	$(Q)$(MUSL_CC) -static-pie -nostartfiles $(MUSL_LIBDIR)/rcrt1.o $(MUSL_LIBDIR)/crti.o \
		$$($(MUSL_CC) -print-file-name=crtbeginS.o) $^ -Wl,--gc-sections -Wl,-static -Wl,-pie \
		-Wl,--no-dynamic-linker -Wl,-z,text $$($(MUSL_CC) -print-file-name=crtendS.o) \
		$(MUSL_LIBDIR)/crtn.o -o $@
	$(Q)chmod 0711 $@
else
# From the library only the prober's modules are linked in (what prober_main.o needs). Static
# glibc warns of getpwnam and getaddrinfo, in modules the program links but calls neither of
# (it is handed nobody's ids and the resolved target): those two warnings are left out.
$(BUILD)/dropscope-prober: $(BUILD)/user/prober_main.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(PROBER_LDFLAGS) -Wl,--gc-sections $^ $(PROBER_LIBS) -o $@ 2>$@.log || \
		{ cat $@.log >&2; rm -f $@.log; exit 1; }
	$(Q)awk '/: in function `/ { held = $$0; next } \
		/Using .(getpwnam|getaddrinfo). in statically linked/ { held = ""; next } \
		{ if (held != "") print held; held = ""; print } \
		END { if (held != "") print held }' $@.log >&2; rm -f $@.log
	$(Q)chmod 0711 $@
endif

# Test binaries keep their dependency files apart, so a test directory holds only tests.
# Order-only: test_probe_api runs the prober's program (beside it in the build) as it is.
$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB) | $(BUILD)/tests/unit $(BUILD)/deps $(BUILD)/dropscope-prober
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests $(CFLAGS) $(WARN) -MMD -MP -MF $(BUILD)/deps/unit-$*.d $< $(LIB) $(LDLIBS) -o $@

$(BUILD)/tests/helpers/%: tests/helpers/%.c | $(BUILD)/tests/helpers $(BUILD)/deps
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -MF $(BUILD)/deps/helper-$*.d $< -o $@ $(LDLIBS)

# The same library and unit tests built with $(SANITIZE), in a directory of their own.
$(SAN)/user/%.o: user/%.c | $(SKELS) $(SAN)/user
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(CPPFLAGS) $(SAN_CFLAGS) $(WARN) -MMD -MP -c $< -o $@

$(SAN_LIB): $(SAN_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# The sanitizers want a dynamic program: the unit tests under them run this one.
$(SAN)/dropscope-prober: $(SAN)/user/prober_main.o $(SAN_LIB)
	$(call msg,LINK-SAN,$@)
	$(Q)$(CC) $(SAN_CFLAGS) $(LDFLAGS) $^ $(PROBER_LIBS) -o $@

$(SAN)/tests/unit/%: tests/unit/%.c $(SAN_LIB) | $(SAN)/tests/unit $(BUILD)/deps $(SAN)/dropscope-prober
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests $(SAN_CFLAGS) $(WARN) -MMD -MP -MF $(BUILD)/deps/san-unit-$*.d $< $(SAN_LIB) $(LDLIBS) -o $@

# libFuzzer targets: the parsers that read untrusted bytes, built with clang.
$(BUILD)/fuzz/%: tests/fuzz/%.c $(USER_SRCS) $(SKELS) | $(BUILD)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(CPPFLAGS) $(FUZZ_WERROR) -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined $< \
		$(filter-out user/main.c user/prober_main.c,$(USER_SRCS)) $(LDLIBS) -o $@

$(SEEDS_BIN): $(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB) | $(BUILD)/fuzz $(BUILD)/deps
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests $(CFLAGS) $(WARN) -MMD -MP -MF $(BUILD)/deps/fuzz-$*.d $< $(LIB) $(LDLIBS) -o $@

$(BUILD)/bpf $(BUILD)/skel $(BUILD)/user $(BUILD)/tests/unit $(BUILD)/tests/helpers $(BUILD)/bench $(BUILD)/fuzz $(BUILD)/deps \
$(SAN)/user $(SAN)/tests/unit $(BUILD)/musl:
	$(Q)mkdir -p $@

helpers: $(HELPER_BINS)
fuzz: $(FUZZ_BINS) $(SEEDS_BIN)
san: $(SAN_BINS) $(SAN)/dropscope-prober

deps:
	$(Q)scripts/deps.sh

# The one test command (README.md, .ci/run): needs root for the kernel and namespace tests.
test: deps
	$(Q)$(MAKE) --no-print-directory all docs $(UNIT_BINS) $(SAN_BINS) $(SAN)/dropscope-prober $(HELPER_BINS) \
		$(FUZZ_BINS) $(SEEDS_BIN) $(BENCH_OBJS)
	$(Q)BUILD=$(BUILD) tests/run

unit: all $(UNIT_BINS)
	$(Q)prove --exec '' $(UNIT_BINS)

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(BUILD)/dropscope demo

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(HELPER_BINS) $(BENCH_OBJS) $(BENCH_BINS)
	$(Q)BUILD=$(BUILD) scripts/bench.sh

# The unit's paths come from PREFIX and SYSCONFDIR: rebuilt every time, as they may change.
# The operator's targets (SYSCONFDIR/dropscope/monitor.conf) are installed once, never
# overwritten, and left by uninstall.
.PHONY: $(BUILD)/dropscope-monitor.service
install: $(BUILD)/dropscope $(BUILD)/dropscope-prober $(BUILD)/dropscope.8 $(BUILD)/dropscope.bash $(BUILD)/dropscope-monitor.service
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/doc/dropscope \
		$(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/dropscope $(DESTDIR)$(PREFIX)/libexec/dropscope
	install -m 0644 $(BUILD)/dropscope-monitor.service $(DESTDIR)$(UNITDIR)/dropscope-monitor.service
	test -e $(DESTDIR)$(SYSCONFDIR)/dropscope/monitor.conf || \
		install -m 0644 scripts/monitor.conf $(DESTDIR)$(SYSCONFDIR)/dropscope/monitor.conf
	install -m 0755 $(BUILD)/dropscope $(DESTDIR)$(PREFIX)/sbin/dropscope
	install -m 0711 $(BUILD)/dropscope-prober $(DESTDIR)$(PREFIX)/libexec/dropscope/dropscope-prober
	install -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/dropscope/README.md
	install -m 0644 $(BUILD)/dropscope.8 $(DESTDIR)$(PREFIX)/share/man/man8/dropscope.8
	install -m 0644 $(BUILD)/dropscope.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/dropscope

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/dropscope $(DESTDIR)$(PREFIX)/share/doc/dropscope/README.md \
		$(DESTDIR)$(PREFIX)/share/man/man8/dropscope.8 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/dropscope \
		$(DESTDIR)$(UNITDIR)/dropscope-monitor.service \
		$(DESTDIR)$(PREFIX)/libexec/dropscope/dropscope-prober
	-rmdir $(DESTDIR)$(PREFIX)/share/doc/dropscope $(DESTDIR)$(PREFIX)/libexec/dropscope 2>/dev/null

clean:
	rm -rf $(BUILD)

-include $(wildcard $(BUILD)/bpf/*.d $(BUILD)/bench/*.d $(BUILD)/user/*.d $(BUILD)/musl/*.d $(BUILD)/deps/*.d \
	$(SAN)/user/*.d)
