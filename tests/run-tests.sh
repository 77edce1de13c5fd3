#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Run every shunt test: unit tests, BPF_PROG_TEST_RUN program tests, and
# the veth/netns selftests once per attach mode that works on veth.
# Called by `make test` after the build. Needs root.
#
#   SHUNT_TEST_MODES   attach modes for the veth tests (default "tc xdp auto")
#   SHUNT_TEST_FILTER  run only test binaries whose path matches this regex
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
MODES=${SHUNT_TEST_MODES:-tc xdp auto}
FILTER=${SHUNT_TEST_FILTER:-.}
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
	for pin in /sys/fs/bpf/shunt-test-* /sys/fs/bpf/shunt-prog-* /sys/fs/bpf/shunt-cli-* \
		/sys/fs/bpf/shunt-sock-*; do
		[[ -e $pin ]] || continue
		pid=${pin##*[!0-9]}
		if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
			"$BUILD/shuntctl" --pin-root "$pin" unload >/dev/null 2>&1
			rm -rf "$pin" 2>/dev/null
		fi
	done
	# Test cgroups are named shunt-test-*-PID under the cgroup v2 root.
	for cg in $(awk '$3 == "cgroup2" {print $2}' /proc/mounts); do
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
	if timeout "$TIMEOUT" "$@"; then
		pass=$((pass + 1))
	else
		failed+=("$label")
		echo "--- FAILED: $label"
	fi
	sweep
}

mount | grep -q ' /sys/fs/bpf type bpf' || mount -t bpf bpf /sys/fs/bpf
trap sweep EXIT
sweep

for t in "$BUILD"/tests/unit/test_* "$BUILD"/tests/cli/test_* "$BUILD"/tests/prog/test_* \
	"$BUILD"/tests/sock/test_* "$BUILD"/tests/k8s/test_* "$BUILD"/tests/agent/test_*; do
	[[ -x $t && $t != */test_restart_load ]] && run "$t" "$t"
done
for t in tests/*/test_*.py; do
	[[ -f $t ]] && run "$t" python3 "$t"
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

echo
echo "tests passed: $pass, failed: ${#failed[@]}"
for f in "${failed[@]}"; do
	echo "  FAILED $f"
done
[[ ${#failed[@]} -eq 0 ]]
