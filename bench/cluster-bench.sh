#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Across nodes, in the cluster lab (tests/lib/cluster.sh): HTTP from the
# external client to node n1's NodePort 30082 (Service lab/one, whose only
# pod, n2p1, is on node n2), so every request crosses the fabric to
# another node and its reply comes back through n1 (DSR: leaves n2 for
# the client). Peers, interleaved, ROUNDS rounds, medians:
#   direct      the pod itself (10.244.2.11:8080, routed by the router to
#               n2): no service, no NAT; the baseline
#   shunt-snat  shuntd on every node (tc), SNAT on n1
#   shunt-dsr   the same agents, NodePort 30086 of lab/one-dsr (annotated
#               shunt.dev/lb-mode: dsr, the same single pod): DSR
#   iptables    kube-proxy's iptables-mode rules for the same NodePort on
#               n1 (KUBE-NODEPORTS -> KUBE-EXT -> KUBE-MARK-MASQ ->
#               KUBE-SVC -> KUBE-SEP DNAT, MASQUERADE in KUBE-POSTROUTING),
#               shunt unloaded on n1
# each with keep-alive (ka) and a new connection per request (close):
# wrk from the external client, WRK_THREADS (1) x WRK_CONNECTIONS (32) for
# DURATION (5) seconds.
#
#   BUILD (build)  OUT (bench/results)  ROUNDS (3)
# Output: $OUT/cluster.csv (peer,mode,rps,p50_ms,p99_ms,errors medians),
# $OUT/cluster-raw.csv (every round), $OUT/cluster.md, $OUT/cluster-wrk.log.
set -euo pipefail

cd "$(dirname "$0")/.."
. bench/lib.sh
BUILD=${BUILD:-build}
export BUILD
OUT=${OUT:-bench/results}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
export DURATION
P=clb$$
LAB=tests/lib/cluster.sh

[[ $(id -u) -eq 0 ]] || { echo "cluster-bench: run as root" >&2; exit 1; }
command -v wrk >/dev/null || { echo "cluster-bench: wrk missing" >&2; exit 1; }
cleanup() { "$LAB" down "$P" >/dev/null 2>&1 || true; }
trap cleanup EXIT
say() { echo "  cluster-bench: $*" >&2; }

mkdir -p "$OUT"
WRK_LOG=$OUT/cluster-wrk.log
export WRK_LOG
: >"$WRK_LOG"
"$LAB" up "$P" >/dev/null
eval "$("$LAB" env "$P")"
ext() { ip netns exec "$CLUSTER_EXT" "$@"; }
n1() { nsenter --net="/run/netns/$CLUSTER_N1" "$@"; }

# kube-proxy's iptables-mode rules for lab/one's NodePort, on n1.
kube_proxy_rules() {
	cat <<EOF
*nat
:KUBE-SERVICES - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-EXT-ONE - [0:0]
:KUBE-SVC-ONE - [0:0]
:KUBE-SEP-ONE - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SERVICES -d 10.96.1.12/32 -p tcp -m comment --comment "lab/one:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-ONE
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-NODEPORTS -p tcp -m comment --comment "lab/one:http" -m tcp --dport 30082 -j KUBE-EXT-ONE
-A KUBE-EXT-ONE -m comment --comment "masquerade traffic for lab/one:http external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-ONE -j KUBE-SVC-ONE
-A KUBE-SVC-ONE -m comment --comment "lab/one:http -> 10.244.2.11:8080" -j KUBE-SEP-ONE
-A KUBE-SEP-ONE -p tcp -m comment --comment "lab/one:http" -m tcp -j DNAT --to-destination 10.244.2.11:8080
COMMIT
EOF
}

shunt_on() {
	n1 iptables -t nat -F 2>/dev/null || true
	n1 iptables -t nat -X 2>/dev/null || true
	"$LAB" agent-start "$P" 1 >/dev/null
}

iptables_on() {
	"$LAB" agent-stop "$P" 1
	n1 "$BUILD/shuntctl" -p "$CLUSTER_N1_PIN" unload >/dev/null
	kube_proxy_rules | n1 iptables-restore
}

# The URL each peer is measured at; a request through it must answer.
url_of() {
	case $1 in
	direct) echo "http://$CLUSTER_N2P1_IP4:8080/" ;;
	shunt-dsr) echo "http://$CLUSTER_N1_IP4:30086/" ;;
	*) echo "http://$CLUSTER_N1_IP4:30082/" ;;
	esac
}

check_peer() { # PEER
	local got
	got=$(ext curl -s -m 2 "$(url_of "$1")" || true)
	[[ $got == n2p1 ]] || { say "$1: no answer from n2p1 (got '$got')"; exit 1; }
}

RAW=$OUT/cluster-raw.csv
echo "round,peer,mode,rps,p50_ms,p99_ms,errors" >"$RAW"
for ((r = 1; r <= ROUNDS; r++)); do
	for peer in direct shunt-snat shunt-dsr iptables; do
		case $peer in
		shunt-snat | shunt-dsr) [[ -d $CLUSTER_N1_PIN ]] || shunt_on ;;
		iptables) iptables_on ;;
		esac
		check_peer "$peer"
		for mode in ka close; do
			read -r rps p50 p99 err < <(wrk_measure ext "$mode" "$(url_of "$peer")")
			echo "$r,$peer,$mode,$rps,$p50,$p99,$err" >>"$RAW"
			say "round $r $peer $mode: $rps req/s, p99 $p99 ms, $err errors"
		done
		[[ $peer == iptables ]] && shunt_on
	done
done

CSV=$OUT/cluster.csv
echo "peer,mode,rps,p50_ms,p99_ms,errors" >"$CSV"
for peer in direct shunt-snat shunt-dsr iptables; do
	for mode in ka close; do
		col() { awk -F, -v p="$peer" -v m="$mode" -v c="$1" '$2 == p && $3 == m {print $c}' "$RAW" | median; }
		echo "$peer,$mode,$(col 4),$(col 5),$(col 6),$(awk -F, -v p="$peer" -v m="$mode" '$2 == p && $3 == m {s += $7} END {print s + 0}' "$RAW")" >>"$CSV"
	done
done
{
	echo "| peer | mode | req/s | vs direct | p50 ms | p99 ms | errors |"
	echo "|---|---|---:|---:|---:|---:|---:|"
	while IFS=, read -r peer mode rps p50 p99 err; do
		[[ $peer == peer ]] && continue
		base=$(awk -F, -v m="$mode" '$1 == "direct" && $2 == m {print $3}' "$CSV")
		echo "| $peer | $mode | $rps | $(ratio "$rps" "$base") | $p50 | $p99 | $err |"
	done <"$CSV"
} | tee "$OUT/cluster.md"
machine_info >"$OUT/cluster-machine.txt"
