#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# make bench: every benchmark in one run, results under bench/results/
# (CSV and a Markdown table each, PNG plots, README-bench.md for the
# README). Not part of make test. Needs root; takes about 35 minutes
# (QUICK=1: about 8, for a smoke run whose figures mean little).
#
#   build/bench/prog-bench   ns/packet of shunt_xdp and shunt_tc
#                            (BPF_PROG_TEST_RUN)
#   bench/http-bench.sh      HTTP req/s and p99 through the veth topology:
#                            direct, iptables, nftables, nginx (with and
#                            without upstream keep-alive), shunt tc/XDP,
#                            shunt socket LB (with and without sockmap)
#   bench/scale-bench.sh     req/s with 1, 1,000, 10,000 services installed,
#                            iptables vs shunt
#   bench/sync-bench.sh      time to program N services x M backends:
#                            iptables-restore, nft -f, shuntctl apply
#   bench/sock-bench.sh      the socket path on one host: connections/s,
#                            sockmap round trips, local nginx proxy
#   bench/cp-bench.sh        the control plane: shuntd against a fake
#                            Kubernetes API server with 10,000 NodePort
#                            services x 10 endpoints (initial sync, one
#                            endpoint change, shuntctl, removals, memory)
#                            next to kube-proxy's iptables-restore / nft -f
#   bench/cluster-bench.sh   across nodes in the cluster lab: a NodePort
#                            whose pod is on another node, shunt SNAT vs
#                            kube-proxy's iptables rules vs the pod direct
#   bench/report.sh          plots and README-bench.md
#
# Knobs (environment): QUICK=1; ROUNDS (3); HTTP_DURATION (8 s);
# SCALE_DURATION (6 s); SOCK_DURATION (6 s); SCALE_N ("1 1000 10000");
# SYNC_N ("100 1000 10000"); SYNC_M ("1 10"); SYNC_CAP (60 s);
# CP_N (10000), CP_M (10) and the other CP_* of bench/cp-bench.sh;
# BENCHES ("prog http scale sync sock cp cluster": a subset reruns only those,
# the report then uses the CSVs already in OUT for the others); OUT, BUILD.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
OUT=${OUT:-bench/results}
if [[ ${QUICK:-0} == 1 ]]; then
	: "${ROUNDS:=1}" "${HTTP_DURATION:=2}" "${SCALE_DURATION:=2}" "${SOCK_DURATION:=2}"
	: "${SCALE_N:=1 1000}" "${SYNC_N:=100 1000}" "${SYNC_CAP:=20}"
	: "${CP_N:=1000}" "${CP_SAMPLES:=40}" "${CP_REMOVE:=100}" "${CP_CAP:=60}"
fi
ROUNDS=${ROUNDS:-3}
HTTP_DURATION=${HTTP_DURATION:-8}
SCALE_DURATION=${SCALE_DURATION:-6}
SOCK_DURATION=${SOCK_DURATION:-6}
SCALE_N=${SCALE_N:-1 1000 10000}
SYNC_N=${SYNC_N:-100 1000 10000}
SYNC_M=${SYNC_M:-1 10}
SYNC_CAP=${SYNC_CAP:-60}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-32}
WRK_THREADS=${WRK_THREADS:-1}
BENCHES=${BENCHES:-prog http scale sync sock cp cluster}
export BUILD OUT ROUNDS SCALE_N SYNC_N SYNC_M SYNC_CAP WRK_CONNECTIONS WRK_THREADS
export CP_N CP_M CP_SAMPLES CP_REMOVE CP_REPEAT CP_CAP CP_KUBE_PROXY
[[ $(id -u) -eq 0 ]] || { echo "bench: run as root" >&2; exit 1; }
mkdir -p "$OUT"
. bench/lib.sh

START=$EPOCHSECONDS
machine_info | tee "$OUT/machine.txt"
has() { [[ " $BENCHES " == *" $1 "* ]]; }
if has prog; then
	echo "== ns/packet through BPF_PROG_TEST_RUN ($BUILD/bench/prog-bench)"
	"$BUILD/bench/prog-bench" >"$OUT/prog.csv" 2>"$OUT/prog.md"
	cat "$OUT/prog.md"
fi
if has http; then
	echo "== HTTP through the veth topology (bench/http-bench.sh)"
	DURATION=$HTTP_DURATION bench/http-bench.sh
fi
if has scale; then
	echo "== HTTP with N services installed (bench/scale-bench.sh)"
	DURATION=$SCALE_DURATION bench/scale-bench.sh
fi
if has sync; then
	echo "== Time to program N services (bench/sync-bench.sh)"
	bench/sync-bench.sh
fi
if has sock; then
	echo "== The socket-level path (bench/sock-bench.sh)"
	DURATION=$SOCK_DURATION bench/sock-bench.sh
fi
if has cp; then
	echo "== The control plane: shuntd against a fake API server (bench/cp-bench.sh)"
	bench/cp-bench.sh
fi
if has cluster; then
	echo "== Across nodes: the cluster lab (bench/cluster-bench.sh)"
	ROUNDS=$ROUNDS bench/cluster-bench.sh
fi
ELAPSED_MIN=$(((EPOCHSECONDS - START + 30) / 60))
{
	echo "ROUNDS=$ROUNDS"
	echo "HTTP_DURATION=$HTTP_DURATION"
	echo "SCALE_DURATION=$SCALE_DURATION"
	echo "SOCK_DURATION=$SOCK_DURATION"
	echo "SYNC_CAP=$SYNC_CAP"
	echo "WRK_CONNECTIONS=$WRK_CONNECTIONS"
	echo "WRK_THREADS=$WRK_THREADS"
	echo "QUICK=${QUICK:-0}"
	echo "BENCHES=$BENCHES"
	echo "ELAPSED_MIN=$ELAPSED_MIN"
} >"$OUT/params.txt"
echo "== Plots and README-bench.md (bench/report.sh)"
bench/report.sh
echo "bench: done in $ELAPSED_MIN min; results in $OUT/"
