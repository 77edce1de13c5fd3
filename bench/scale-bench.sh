#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# HTTP requests/s and p99 latency to one service while N services are
# installed, kube-proxy-style iptables vs shunt, in the veth topology
# (tests/lib/topo.sh, as bench/http-bench.sh; its own namespaces).
#
# For each N of SCALE_N, bench/gen-rules.sh writes N services with one
# backend each; the measured service (10.96.0.10:80 -> be1) is the last:
#   iptables  kube-proxy iptables-mode rules loaded with iptables-restore:
#             KUBE-SERVICES is a list of N rules and the measured service
#             is its last one (the worst case; an average service walks
#             half of it). Only a connection's first packet walks the
#             list (conntrack remembers the NAT), so this shows in the
#             new-connection figures.
#   shunt     `shuntctl apply -f` of the same services (hash lookups), tc
#             ingress (what `auto` picks on veth), FORWARD policy DROP.
# Both are installed once per N (the time each took is recorded); the
# rounds then alternate between them by detaching and attaching shunt
# (while shunt is attached, the service traffic bypasses netfilter, so the
# inert iptables rules cost it nothing).
#
#   SCALE_N ("1 1000 10000")  ROUNDS (3)  DURATION (6 s)
#   WRK_CONNECTIONS (32)  WRK_THREADS (1)  OUT (bench/results)
# Output: $OUT/scale-raw.csv, $OUT/scale-install.csv, $OUT/scale.csv,
# $OUT/scale.md.
set -euo pipefail

cd "$(dirname "$0")/.."
. bench/lib.sh
BUILD=${BUILD:-build}
export BUILD
SCALE_N=${SCALE_N:-1 1000 10000}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-6}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-32}
WRK_THREADS=${WRK_THREADS:-1}
export DURATION WRK_CONNECTIONS WRK_THREADS
OUT=${OUT:-bench/results}
P=shbscale
VIP=10.96.0.10
PIN=/sys/fs/bpf/shunt-bench-scale
CTL="$BUILD/shuntctl -n ${P}node --pin-root $PIN"
TMP=$(mktemp -d /tmp/shunt-scale-bench.XXXXXX)

[[ $(id -u) -eq 0 ]] || { echo "scale-bench: run as root" >&2; exit 1; }
for t in wrk iptables-restore nsenter; do
	command -v $t >/dev/null || { echo "scale-bench: $t missing (make deps)" >&2; exit 1; }
done

cleanup() {
	$CTL unload >/dev/null 2>&1 || true
	tests/lib/topo.sh down $P >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

node() { nsenter --net=/run/netns/${P}node "$@"; }
client() { nsenter --net=/run/netns/${P}client "$@"; }

# Wall seconds of a command (its output to $TMP/cmd.log).
timed() {
	local t0=$EPOCHREALTIME
	"$@" >"$TMP/cmd.log" 2>&1 || { cat "$TMP/cmd.log" >&2; return 1; }
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.3f", b - a}'
}

shunt_on() {
	$CTL attach c0 b1 --mode tc >/dev/null 2>"$TMP/attach.log" ||
		{ cat "$TMP/attach.log" >&2; exit 1; }
	node iptables -P FORWARD DROP
}

shunt_off() {
	$CTL detach c0 b1 >/dev/null
	node iptables -P FORWARD ACCEPT
}

check() { # LB
	local got
	got=$(client curl -s -m 2 http://$VIP/ || true)
	[[ $got == be1 ]] || { echo "scale-bench: $1: no answer from $VIP (got '$got')" >&2; exit 1; }
}

mkdir -p "$OUT"
RAW=$OUT/scale-raw.csv
INST=$OUT/scale-install.csv
echo "round,services,lb,mode,requests_per_s,p50_ms,p99_ms,errors" >"$RAW"
echo "services,iptables_restore_s,shunt_apply_s" >"$INST"

tests/lib/topo.sh up $P 1 >/dev/null
client sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
for n in $SCALE_N; do
	$CTL unload >/dev/null 2>&1 || true
	node nft flush ruleset
	bench/gen-rules.sh iptables "$n" 1 >"$TMP/rules.iptables"
	bench/gen-rules.sh shunt "$n" 1 >"$TMP/services.yaml"
	t_ipt=$(timed node iptables-restore "$TMP/rules.iptables")
	shunt_on # the datapath loaded and attached, as on a running node
	t_shunt=$(timed $CTL apply -f "$TMP/services.yaml")
	echo "$n,$t_ipt,$t_shunt" >>"$INST"
	printf '  %d services installed: iptables-restore %.2f s, shuntctl apply %.2f s\n' \
		"$n" "$t_ipt" "$t_shunt" >&2
	check shunt
	shunt_off
	check iptables
	for ((r = 1; r <= ROUNDS; r++)); do
		for lb in iptables shunt; do
			if [[ $lb == shunt ]]; then shunt_on; fi
			for m in ka close; do
				read -r rps p50 p99 err < <(wrk_measure client $m http://$VIP/)
				echo "$r,$n,$lb,$m,$rps,$p50,$p99,$err" >>"$RAW"
				printf '  round %d %5d services %-8s %-5s %10.0f req/s  p99 %7.2f ms%s\n' \
					"$r" "$n" "$lb" "$m" "$rps" "$p99" "$( ((err)) && echo "  ($err socket errors)")" >&2
			done
			if [[ $lb == shunt ]]; then shunt_off; fi
		done
	done
done

med() { awk -F, -v n="$1" -v l="$2" -v m="$3" -v c="$4" '$2==n && $3==l && $4==m {print $c}' "$RAW" | median; }
CSV=$OUT/scale.csv
echo "services,iptables_ka_rps,shunt_ka_rps,iptables_close_rps,shunt_close_rps,iptables_ka_p99_ms,shunt_ka_p99_ms,iptables_close_p99_ms,shunt_close_p99_ms,iptables_restore_s,shunt_apply_s" >"$CSV"
{
	echo "| services installed | iptables keep-alive req/s | shunt keep-alive req/s | iptables new connection req/s | shunt new connection req/s | iptables new connection p99 ms | shunt new connection p99 ms | install: iptables-restore s | install: shuntctl apply s |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for n in $SCALE_N; do
		ika=$(med "$n" iptables ka 5)
		ska=$(med "$n" shunt ka 5)
		icl=$(med "$n" iptables close 5)
		scl=$(med "$n" shunt close 5)
		ikp=$(med "$n" iptables ka 7)
		skp=$(med "$n" shunt ka 7)
		icp=$(med "$n" iptables close 7)
		scp=$(med "$n" shunt close 7)
		inst=$(awk -F, -v n="$n" '$1==n {print $2 "," $3}' "$INST")
		echo "$n,$ika,$ska,$icl,$scl,$ikp,$skp,$icp,$scp,$inst" >>"$CSV"
		printf '| %d | %.0f | %.0f | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f |\n' "$n" "$ika" "$ska" "$icl" "$scl" "$icp" "$scp" "${inst%,*}" "${inst#*,}"
	done
} | tee "$OUT/scale.md"
echo "(median of $ROUNDS rounds, wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${DURATION}s --latency; raw: $RAW; install times: $INST)"
