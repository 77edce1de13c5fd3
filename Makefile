# shunt: C/eBPF fast path for Kubernetes service traffic.
#
#   make            build BPF objects, skeletons, libshunt, shuntctl, tests
#   make deps       install the Debian packages the build and tests need
#   make test       run every test (installs what is missing first)
#   make demo       namespace demo: HTTP balanced by shunt (installs first)
#   make bench      benchmarks (not part of make test)
#   make fuzz       libFuzzer harnesses (tests/fuzz), FUZZ_SECONDS (300) each
#   make format     clang-format every C file in place
#   make clean
#   V=1             show full commands

BUILD    ?= build
CC       := gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
V        ?= 0

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' '$(1)' '$(2)';
endif

MULTIARCH := $(shell $(CC) -dumpmachine)
WARN      := -Wall -Wextra -Werror
CFLAGS    ?= -O2 -g
# SANITIZE=1: AddressSanitizer + UndefinedBehaviorSanitizer, any report is
# fatal (make test builds this into $(BUILD)/san and runs the suites on it).
ifeq ($(SANITIZE),1)
CFLAGS    += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
# libshunt: one folder per concern (user/lib/*/), every folder on the
# include path.
LIB_DIRS  := $(sort $(dir $(wildcard user/lib/*/*.c)))
CFLAGS    += -MMD -MP $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser/lib \
             $(addprefix -I,$(LIB_DIRS:%/=%)) -I$(BUILD)/skel \
             $(shell pkg-config --cflags json-c 2>/dev/null)
LDLIBS    := -lbpf -lelf -lz -ljson-c -lyaml
SHUNTD_LDLIBS := $(LDLIBS) -lcurl -lmicrohttpd -lpthread
BPF_CFLAGS := -MMD -MP -g -O2 -target bpf -D__TARGET_ARCH_x86 $(WARN) -Wno-unused-function \
              -Iinclude -Ibpf -I/usr/include/$(MULTIARCH)

# Debian packages: build, tests, demo and bench.
DEB_PKGS := make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev \
            libjson-c-dev libcmocka-dev pkg-config linux-libc-dev iproute2 \
            iptables ethtool curl wrk nginx-light libyaml-dev \
            libcurl4-openssl-dev libmicrohttpd-dev python3 python3-yaml

# clang's libFuzzer and sanitizer runtimes (tests/fuzz): only a
# Recommends of clang, which --no-install-recommends skips.
DEB_PKGS += libclang-rt-dev

# make bench: nftables (kube-proxy's nftables mode) and gnuplot (plots).
DEB_PKGS += nftables gnuplot-nox fonts-dejavu-core

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/skel/%.skel.h,$(BPF_SRCS))
LIB_SRCS  := $(wildcard user/lib/*/*.c)
LIB_OBJS  := $(patsubst user/lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRCS))
LIBSHUNT  := $(BUILD)/lib/libshunt.a
CTL_SRCS  := $(wildcard user/shuntctl/*.c)
CTL_OBJS  := $(patsubst user/shuntctl/%.c,$(BUILD)/obj/shuntctl/%.o,$(CTL_SRCS))
SHUNTCTL  := $(BUILD)/shuntctl
SHUNTD_SRCS := $(wildcard user/shuntd/*.c)
SHUNTD_OBJS := $(patsubst user/shuntd/%.c,$(BUILD)/obj/shuntd/%.o,$(SHUNTD_SRCS))
SHUNTD    := $(BUILD)/shuntd
PREFIX    ?= /usr/local
DESTDIR   ?=

TESTLIB_SRCS := $(wildcard tests/lib/*.c)
TESTLIB_OBJS := $(patsubst tests/lib/%.c,$(BUILD)/tests/lib/%.o,$(TESTLIB_SRCS))
# tests/unit: pure userspace; tests/cli: shuntctl; tests/prog:
# BPF_PROG_TEST_RUN; tests/veth: namespaces and real traffic.
TEST_BINS  := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/*/test_*.c))
TOOLS      := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(wildcard tests/tools/*.c))
BENCHES    := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))

.PHONY: all deps test demo cluster-demo bench format check-format clean install fuzz fuzz-build
.SECONDARY:
.DEFAULT_GOAL := all

all: $(SHUNTCTL) $(SHUNTD) $(TEST_BINS) $(TOOLS) $(BENCHES)

deps:
	$(Q)missing=""; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
			|| missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q --no-install-recommends $$missing \
			|| { apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; }; \
	fi

# BPF objects and their skeletons.
$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/lib/*.h) $(wildcard include/shunt/*.h)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/skel/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

# Userspace.
$(BUILD)/lib/%.o: user/lib/%.c $(wildcard user/lib/*.h user/lib/*/*.h) $(wildcard include/shunt/*.h) $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIBSHUNT): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/obj/shuntctl/%.o: user/shuntctl/%.c $(wildcard user/shuntctl/*.h) $(wildcard user/lib/*.h user/lib/*/*.h) $(wildcard include/shunt/*.h)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Iuser/shuntctl -c $< -o $@

$(SHUNTCTL): $(CTL_OBJS) $(LIBSHUNT)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/obj/shuntd/%.o: user/shuntd/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Iuser/shuntd -c $< -o $@

$(SHUNTD): $(SHUNTD_OBJS) $(LIBSHUNT)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(SHUNTD_LDLIBS)

install: $(SHUNTCTL) $(SHUNTD)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX)/sbin)
	$(Q)install -d $(DESTDIR)$(PREFIX)/sbin
	$(Q)install -m 0755 $(SHUNTCTL) $(SHUNTD) $(DESTDIR)$(PREFIX)/sbin/

# Tests, test tools and benchmarks.
TEST_CFLAGS := $(CFLAGS) -Itests/lib

$(BUILD)/tests/lib/%.o: tests/lib/%.c $(wildcard tests/lib/*.h) $(wildcard include/shunt/*.h)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@

$(BUILD)/tests/%: tests/%.c $(TESTLIB_OBJS) $(LIBSHUNT) $(wildcard tests/lib/*.h)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) $< $(TESTLIB_OBJS) $(LIBSHUNT) -o $@ $(LDLIBS) -lcmocka

# The Kubernetes watch test links the agent's Kubernetes source.
K8S_TEST_OBJS := $(filter $(BUILD)/obj/shuntd/k8s%.o,$(SHUNTD_OBJS)) $(BUILD)/obj/shuntd/log.o
$(BUILD)/tests/k8s/test_k8s_watch: tests/k8s/test_k8s_watch.c $(K8S_TEST_OBJS) $(TESTLIB_OBJS) $(LIBSHUNT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) -Iuser/shuntd $< $(K8S_TEST_OBJS) $(TESTLIB_OBJS) $(LIBSHUNT) -o $@ $(SHUNTD_LDLIBS) -lcmocka

$(BUILD)/tools/%: tests/tools/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< -o $@

$(BUILD)/bench/%: bench/%.c $(TESTLIB_OBJS) $(LIBSHUNT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) $< $(TESTLIB_OBJS) $(LIBSHUNT) -o $@ $(LDLIBS)

# The userspace suites run a second time built with SANITIZE=1.
SAN_SUITES := unit cli prog sock k8s agent
SAN_BINS   := $(BUILD)/shuntctl $(BUILD)/shuntd $(TOOLS) \
	$(filter $(addprefix $(BUILD)/tests/,$(addsuffix /%,$(SAN_SUITES))),$(TEST_BINS))
.PHONY: san-tests
san-tests: $(SAN_BINS)

# libFuzzer harnesses (tests/fuzz, built with clang into $(BUILD)/fuzz):
# `make fuzz` runs each for FUZZ_SECONDS, make test for 5 s.
FUZZ_SECONDS ?= 300
fuzz-build: $(SKELS)
	$(Q)$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk BUILD=$(BUILD)

fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)BUILD=$(BUILD) tests/fuzz/run-fuzz.sh $(FUZZ_SECONDS)

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 BUILD=$(BUILD)/san san-tests
	$(Q)BUILD=$(BUILD) SAN_BUILD=$(BUILD)/san tests/run-tests.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory $(SHUNTCTL) $(TOOLS)
	$(Q)BUILD=$(BUILD) tests/demo.sh

cluster-demo: deps
	$(Q)$(MAKE) --no-print-directory $(SHUNTCTL) $(SHUNTD) $(TOOLS)
	$(Q)BUILD=$(BUILD) tests/cluster-demo.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) bench/run-bench.sh

# Header dependencies, written by the compiler (-MMD).
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	$(Q)clang-format -i $(FORMAT_FILES)

check-format:
	$(Q)clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)
