#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# make bench: every benchmark, results under bench/results/ (CSV and a
# Markdown table each). Not part of make test. Needs root.
#   bench/prog-bench     ns/packet of shunt_xdp and shunt_tc (BPF_PROG_TEST_RUN)
#   bench/http-bench.sh  HTTP req/s through the veth topology vs baselines
#   bench/sock-bench.sh  socket LB connections/s, sockmap round trips and proxy req/s
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
OUT=${OUT:-bench/results}
export BUILD OUT
[[ $(id -u) -eq 0 ]] || { echo "bench: run as root" >&2; exit 1; }
mkdir -p "$OUT"

machine() {
	echo "machine: $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), \
$(awk '/MemTotal/ {printf "%d GiB", $2 / 1048576}' /proc/meminfo), kernel $(uname -r), $(date -u +%Y-%m-%d)"
}

machine | tee "$OUT/machine.txt"
echo "== ns/packet through BPF_PROG_TEST_RUN ($BUILD/bench/prog-bench)"
"$BUILD/bench/prog-bench" >"$OUT/prog.csv" 2>"$OUT/prog.md"
cat "$OUT/prog.md"
echo "== HTTP through the veth topology (bench/http-bench.sh)"
bench/http-bench.sh
echo "== The socket-level path (bench/sock-bench.sh)"
bench/sock-bench.sh
