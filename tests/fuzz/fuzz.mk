# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# libFuzzer builds of the fuzz harnesses (tests/fuzz/fuzz_*.c), driven by
# tests/fuzz/run-fuzz.sh:
#
#   make -f tests/fuzz/fuzz.mk BUILD=build [-j2]
#
# Everything is compiled with clang, -fsanitize=fuzzer,address,undefined,
# into $(BUILD)/fuzz: libshunt and the test helpers again (the gcc objects
# of the main build are not instrumented). The BPF skeleton headers
# ($(BUILD)/skel/*.skel.h) come from the main Makefile.

BUILD    ?= build
FUZZ     := $(BUILD)/fuzz
FCC      ?= clang
V        ?= 0

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' '$(1)' '$(2)';
endif

SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all
LIB_DIRS := $(sort $(dir $(wildcard user/lib/*/*.c)))
FFLAGS   := -g -O1 -fno-omit-frame-pointer $(SAN) -std=gnu11 -D_GNU_SOURCE \
            -Iinclude -Iuser/lib $(addprefix -I,$(LIB_DIRS:%/=%)) \
            -I$(BUILD)/skel -Itests/lib \
            $(shell pkg-config --cflags json-c 2>/dev/null)
# Library code: coverage instrumentation, no libFuzzer main.
LIBFLAGS := $(FFLAGS) -fsanitize=fuzzer-no-link -w
# Harnesses: warnings on, they are ours.
HFLAGS   := $(FFLAGS) -fsanitize=fuzzer-no-link -Wall -Wextra -Werror
LDFLAGS  := -fsanitize=fuzzer $(SAN)
LDLIBS   := -lbpf -lelf -lz -ljson-c -lyaml

LIB_SRCS := $(wildcard user/lib/*/*.c)
LIB_OBJS := $(patsubst user/lib/%.c,$(FUZZ)/obj/lib/%.o,$(LIB_SRCS))
LIBSHUNT := $(FUZZ)/libshunt-fuzz.a
TLIB_OBJS := $(FUZZ)/obj/tests/pktgen.o $(FUZZ)/obj/tests/progenv.o

HARNESSES := fuzz_xdp fuzz_parse fuzz_svcfile fuzz_k8s_model
BINS      := $(addprefix $(FUZZ)/,$(HARNESSES)) $(FUZZ)/gen_xdp_seeds

.PHONY: all
.SECONDARY:
all: $(BINS)

$(FUZZ)/obj/lib/%.o: user/lib/%.c
	$(call msg,FUZZCC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FCC) $(LIBFLAGS) -MMD -MP -c $< -o $@

$(FUZZ)/obj/tests/%.o: tests/lib/%.c
	$(call msg,FUZZCC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FCC) $(LIBFLAGS) -MMD -MP -c $< -o $@

$(FUZZ)/obj/%.o: tests/fuzz/%.c
	$(call msg,FUZZCC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FCC) $(HFLAGS) -MMD -MP -c $< -o $@

$(LIBSHUNT): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ)/fuzz_xdp: $(FUZZ)/obj/fuzz_xdp.o $(FUZZ)/obj/fuzz_xdp_mutate.o \
		$(TLIB_OBJS) $(LIBSHUNT)
	$(call msg,LINK,$@)
	$(Q)$(FCC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(FUZZ)/fuzz_%: $(FUZZ)/obj/fuzz_%.o $(LIBSHUNT)
	$(call msg,LINK,$@)
	$(Q)$(FCC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# The seed generator is a plain program (pktgen only, no libFuzzer).
$(FUZZ)/gen_xdp_seeds: tests/fuzz/gen_xdp_seeds.c tests/fuzz/fuzz_xdp.h \
		tests/lib/pktgen.c tests/lib/pktgen.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FCC) $(FFLAGS) -Wall -Wextra -Werror $< tests/lib/pktgen.c -o $@

-include $(shell find $(FUZZ)/obj -name '*.d' 2>/dev/null)
