#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Build the libFuzzer harnesses of tests/fuzz with clang into $BUILD/fuzz
# and run each for SECONDS (default 5: the short run of `make test`;
# `make fuzz` runs longer). Each harness starts from a copy of its seed
# corpus (tests/fuzz/corpus/HARNESS) in a temporary directory: the
# committed corpus never grows; the inputs in tests/fuzz/repro/HARNESS-*
# (regressions) are added to it. A crash, leak, timeout or out-of-memory
# fails the run; the input that caused it is kept in
# $BUILD/fuzz/crashes/HARNESS/ and the log in $BUILD/fuzz/logs/.
#
#   tests/fuzz/run-fuzz.sh [SECONDS] [HARNESS...]
#   tests/fuzz/run-fuzz.sh --gen-seeds     rewrite corpus/fuzz_xdp
#   tests/fuzz/run-fuzz.sh --repro FILE    run FILE through its harness:
#                                          HARNESS=, else the name FILE
#                                          starts with, else fuzz_xdp
#
# fuzz_xdp loads the datapath and needs root (skipped otherwise); the
# BPF skeleton headers come from the main build (`make`).
#
#   BUILD          build directory (default build)
#   FUZZ_JOBS      parallel compile jobs (default: nproc)
#   FUZZ_ARGS      extra libFuzzer flags for every harness
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
FUZZ=$BUILD/fuzz
ALL=(fuzz_xdp fuzz_parse fuzz_svcfile fuzz_k8s_model)

# Longest input per harness (bytes).
declare -A MAX_LEN=([fuzz_xdp]=4096 [fuzz_parse]=128 [fuzz_svcfile]=4096
	[fuzz_k8s_model]=8192)

die() {
	echo "run-fuzz.sh: $*" >&2
	exit 1
}

build() {
	local skels=("$BUILD"/skel/{lb_xdp,lb_tc,sock_lb,sock_ops}.skel.h)

	command -v clang >/dev/null || die "clang not found (make deps)"
	if ! clang -print-file-name=libclang_rt.fuzzer-x86_64.a |
		xargs test -f 2>/dev/null &&
		! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a \
			>/dev/null 2>&1; then
		die "libFuzzer runtime missing (make deps: libclang-rt-dev)"
	fi
	# The skeletons (and nothing else) from the main Makefile.
	make --no-print-directory -s BUILD="$BUILD" "${skels[@]}" ||
		die "cannot build the BPF skeletons"
	make -s --no-print-directory -f tests/fuzz/fuzz.mk BUILD="$BUILD" \
		-j"${FUZZ_JOBS:-$(nproc)}" || die "fuzz build failed"
}

# Pin roots left by a fuzz_xdp that died without its exit handlers.
sweep_pins() {
	local pid=$1 pin=/sys/fs/bpf/shunt-prog-$1

	[[ -e $pin ]] || return 0
	kill -0 "$pid" 2>/dev/null && return 0
	if [[ -x $BUILD/shuntctl ]]; then
		"$BUILD/shuntctl" --pin-root "$pin" unload >/dev/null 2>&1
	fi
	rm -rf "$pin" 2>/dev/null
}

sanitizer_env() {
	local leaks=1

	# fuzz_xdp: libbpf/libelf keep process-lifetime allocations that
	# LeakSanitizer would report at exit; the harness itself is
	# checked for leaks through the userspace harnesses' code paths.
	[[ $1 == fuzz_xdp ]] && leaks=0
	export ASAN_OPTIONS="detect_leaks=$leaks:abort_on_error=1:symbolize=1:allocator_may_return_null=1"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
}

# run HARNESS SECONDS: fuzz it; prints one summary line, returns 1 on
# any finding.
run() {
	local h=$1 secs=$2 bin=$FUZZ/$1 tmp log crashes rc pid watchdog
	local runs cov ft corp dict=() found

	if [[ $h == fuzz_xdp && $(id -u) -ne 0 ]]; then
		printf '  %-16s skipped: needs root (netns and BPF)\n' "$h"
		return 0
	fi
	[[ -x $bin ]] || die "$bin missing"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/shunt-fuzz.XXXXXX") || die "mktemp"
	mkdir -p "$tmp/corpus" "$FUZZ/logs" "$FUZZ/crashes/$h"
	if [[ -d tests/fuzz/corpus/$h ]]; then
		cp -r tests/fuzz/corpus/"$h"/. "$tmp/corpus/"
	fi
	# Inputs that once failed (tests/fuzz/repro/HARNESS-*) run every time.
	for f in tests/fuzz/repro/"$h"-*; do
		[[ -f $f ]] && cp "$f" "$tmp/corpus/"
	done
	[[ -f tests/fuzz/dict/$h.dict ]] && dict=(-dict="tests/fuzz/dict/$h.dict")
	log=$FUZZ/logs/$h.log
	crashes=$FUZZ/crashes/$h
	sanitizer_env "$h"
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -max_len="${MAX_LEN[$h]}" -timeout=20 \
		-rss_limit_mb=4096 -print_final_stats=1 \
		-artifact_prefix="$crashes/" "${dict[@]}" ${FUZZ_ARGS:-} \
		"$tmp/corpus" >"$log" 2>&1 &
	pid=$!
	# A watchdog, should the harness hang outside libFuzzer's control.
	(
		trap 'kill "$s" 2>/dev/null; exit 0' TERM
		sleep $((secs * 2 + 120)) &
		s=$!
		wait "$s" && kill -TERM "$pid" 2>/dev/null
	) &
	watchdog=$!
	wait "$pid"
	rc=$?
	kill "$watchdog" 2>/dev/null
	wait "$watchdog" 2>/dev/null
	sweep_pins "$pid"

	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
	ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | awk '{print $2}')
	corp=$(grep -oE 'corp: [0-9]+' "$log" | tail -1 | awk '{print $2}')
	found=$(find "$crashes" -type f -newer "$tmp" 2>/dev/null)
	rm -rf "$tmp"
	printf '  %-16s %8s runs in %ss, cov %s, ft %s, corpus %s, findings %s\n' \
		"$h" "${runs:-?}" "$secs" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
		"$(printf '%s' "$found" | grep -c .)"
	if [[ $rc -ne 0 || -n $found ]]; then
		echo "--- $h failed (exit $rc); log: $log" >&2
		grep -E -A40 'INVARIANT VIOLATED|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|^fuzz_[a-z0-9_]+: ' \
			"$log" | head -80 >&2
		printf '%s\n' "$found" | grep . | sed 's/^/    input kept: /' >&2
		return 1
	fi
	return 0
}

case ${1:-} in
--gen-seeds)
	build
	rm -f tests/fuzz/corpus/fuzz_xdp/*
	exec "$FUZZ/gen_xdp_seeds" tests/fuzz/corpus/fuzz_xdp
	;;
--repro)
	[[ $# -ge 2 ]] || die "--repro FILE"
	build
	h=${HARNESS:-}
	if [[ -z $h ]]; then
		h=fuzz_xdp
		for c in "${ALL[@]}"; do
			[[ $(basename "$2") == "$c"-* ]] && h=$c
		done
	fi
	[[ $h == fuzz_xdp && $(id -u) -ne 0 ]] && die "fuzz_xdp needs root"
	sanitizer_env "$h"
	"$FUZZ/$h" -runs=1 "$2"
	exit $?
	;;
esac

SECS=5
if [[ ${1:-} =~ ^[0-9]+$ ]]; then
	SECS=$1
	shift
fi
HARNESSES=("$@")
[[ ${#HARNESSES[@]} -eq 0 ]] && HARNESSES=("${ALL[@]}")

build
mount | grep -q ' /sys/fs/bpf type bpf' || mount -t bpf bpf /sys/fs/bpf 2>/dev/null
echo "fuzzing ${HARNESSES[*]}: ${SECS}s each"
failed=()
for h in "${HARNESSES[@]}"; do
	[[ -n ${MAX_LEN[$h]:-} ]] || die "unknown harness $h (${ALL[*]})"
	run "$h" "$SECS" || failed+=("$h")
done
if [[ ${#failed[@]} -ne 0 ]]; then
	echo "fuzz: FAILED ${failed[*]} (inputs in $FUZZ/crashes/)"
	exit 1
fi
echo "fuzz: no findings"
