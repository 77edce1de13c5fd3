#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Run every shunt test: unit tests, BPF_PROG_TEST_RUN program tests, a
# short fuzz run, and the veth/netns selftests once per attach mode that
# works on veth.
# Called by `make test` after the build. Needs root.
#
#   SHUNT_TEST_MODES   attach modes for the veth tests (default "tc xdp auto")
#   SHUNT_TEST_FILTER  run only test binaries whose path matches this regex
#   SAN_BUILD          build directory of the ASan/UBSan build: its
#                      userspace suites run again (set by make test)
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
MODES=${SHUNT_TEST_MODES:-tc xdp auto}
FILTER=${SHUNT_TEST_FILTER:-.}
SAN_BUILD=${SAN_BUILD:-}
export SHUNT_SRC=$PWD BUILD
TIMEOUT=900

if [[ $(id -u) -ne 0 ]]; then
	echo "run-tests.sh: the tests load BPF programs and create network namespaces: run as root" >&2
	exit 1
fi

# Leftovers of test runs that died (their owner pid is gone).
sweep() {
	local ns prefix pid pin cg
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		if [[ $ns =~ ^((sv[a-z]+|tsc)([0-9]+))(client|node|be[0-9]+)$ ]]; then
			prefix=${BASH_REMATCH[1]}
			pid=${BASH_REMATCH[3]}
			kill -0 "$pid" 2>/dev/null ||
				tests/lib/topo.sh down "$prefix" >/dev/null 2>&1
		fi
	done
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		if [[ $ns =~ ^(cl([0-9]+))(fab|rtr|ext|n[0-9](p[0-9])?)$ ]]; then
			prefix=${BASH_REMATCH[1]}
			pid=${BASH_REMATCH[2]}
			kill -0 "$pid" 2>/dev/null ||
				tests/lib/cluster.sh down "$prefix" >/dev/null 2>&1
		fi
	done
	for pin in /sys/fs/bpf/shunt-test-* /sys/fs/bpf/shunt-prog-* /sys/fs/bpf/shunt-cli-* \
		/sys/fs/bpf/shunt-sock-*; do
		[[ -e $pin ]] || continue
		pid=${pin##*[!0-9]}
		if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
			"$BUILD/shuntctl" --pin-root "$pin" unload >/dev/null 2>&1
			rm -rf "$pin" 2>/dev/null
		fi
	done
	# Test cgroups are named shunt-test-*-PID under the cgroup v2 root;
	# a cluster lab's are shunt-cluster-clPID.
	for cg in $(awk '$3 == "cgroup2" {print $2}' /proc/mounts); do
		for d in "$cg"/shunt-cluster-cl*; do
			[[ -d $d ]] || continue
			pid=${d##*-cl}
			kill -0 "$pid" 2>/dev/null ||
				tests/lib/cluster.sh down "cl$pid" >/dev/null 2>&1
		done
		for d in "$cg"/shunt-test-*; do
			[[ -d $d ]] || continue
			pid=${d##*-}
			if ! kill -0 "$pid" 2>/dev/null; then
				find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
			fi
		done
	done
}

pass=0
failed=()

run() {
	local label=$1
	shift
	[[ $label =~ $FILTER ]] || return 0
	echo "=== $label"
	local t0=$SECONDS
	if timeout "$TIMEOUT" "$@"; then
		pass=$((pass + 1))
		echo "--- ok: $label ($((SECONDS - t0)) s)"
	else
		failed+=("$label")
		echo "--- FAILED: $label ($((SECONDS - t0)) s)"
	fi
	sweep
}

mount | grep -q ' /sys/fs/bpf type bpf' || mount -t bpf bpf /sys/fs/bpf
trap sweep EXIT
sweep

# Userspace-driven suites of build directory $1, labelled with $2.
userspace_suites() {
	local b=$1 tag=$2 suite t
	for suite in unit cli prog sock k8s agent; do
		for t in "$b"/tests/$suite/test_*; do
			[[ -x $t && $t != */test_restart_load ]] || continue
			run "$t$tag" env BUILD="$b" "$t"
		done
	done
}

userspace_suites "$BUILD" ""
for t in tests/*/test_*.py; do
	[[ -f $t ]] && run "$t" python3 "$t"
done
# A short libFuzzer run of every harness (tests/fuzz, built by make
# test): any finding fails it. `make fuzz` runs them longer.
run "fuzz (5 s each)" tests/fuzz/run-fuzz.sh 5
# The cluster lab's tests (tests/lib/cluster.sh): three nodes, an agent
# each.
for t in tests/cluster/test_*.sh; do
	[[ -f $t ]] && run "$t" bash "$t"
done
for t in "$BUILD"/tests/veth/test_* "$BUILD"/tests/agent/test_restart_load; do
	[[ -x $t ]] || continue
	case $t in
	*/test_topo_selfcheck) run "$t" "$t" ;;
	*)
		for mode in $MODES; do
			run "$t [$mode]" env SHUNT_TEST_MODE="$mode" "$t"
		done
		;;
	esac
done

# The same userspace suites built with ASan and UBSan (make test builds
# them into $SAN_BUILD); any sanitizer report fails the test.
if [[ -n $SAN_BUILD ]]; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	userspace_suites "$SAN_BUILD" " [asan+ubsan]"
	[[ -x $SAN_BUILD/tests/agent/test_restart_load ]] &&
		run "$SAN_BUILD/tests/agent/test_restart_load [tc] [asan+ubsan]" \
			env BUILD="$SAN_BUILD" SHUNT_TEST_MODE=tc "$SAN_BUILD/tests/agent/test_restart_load"
fi

echo
echo "tests passed: $pass, failed: ${#failed[@]}"
for f in "${failed[@]}"; do
	echo "  FAILED $f"
done
[[ ${#failed[@]} -eq 0 ]]
