#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Shared by the cluster lab's tests (sourced, not run): brings a lab up
# under a prefix of this shell's pid (run-tests.sh sweeps those of dead
# pids), takes it down on exit whatever happens, and counts failures.
#   fail MSG / ok MSG     one result line each
#   counter NODE NAME     a datapath counter of node NODE (1..3)
#   finish NAME           the summary line; exit status 1 after a failure
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BUILD=${BUILD:-build}
export BUILD
P=cl$$
LAB=tests/lib/cluster.sh
FAILS=0

cleanup() {
	jobs -p | xargs -r kill 2>/dev/null || true
	"$LAB" down "$P" >/dev/null 2>&1 || true
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	FAILS=$((FAILS + 1))
}
ok() { echo "ok: $*"; }

counter() {
	local ns="CLUSTER_N$1" pin="CLUSTER_N$1_PIN"
	nsenter --net="/run/netns/${!ns}" "$BUILD/shuntctl" -p "${!pin}" -j stats |
		python3 -c "import json,sys; print(json.load(sys.stdin)['datapath'].get('$2', 0))"
}

finish() {
	echo
	if ((FAILS)); then
		echo "$1: $FAILS failure(s)"
		exit 1
	fi
	echo "$1: all passed"
}

"$LAB" up "$P"
eval "$("$LAB" env "$P")"
