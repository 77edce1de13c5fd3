#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The time to program N services with M backends each, from empty (what a
# proxy does when it starts, or kube-proxy on a full sync): the wall time
# of one command loading the output of bench/gen-rules.sh, for
#
#   iptables         iptables-restore (Debian's default nf_tables backend)
#                    of kube-proxy's iptables-mode nat and filter rules
#   iptables-legacy  iptables-legacy-restore of the same file (x_tables)
#   nft              nft -f of kube-proxy's nftables-mode table
#   shunt            shuntctl apply -f of the same services, with the
#                    datapath already loaded (an empty file applied first,
#                    not timed), as a running agent would apply them
#
# Each netfilter load runs in a fresh network namespace, each shunt apply
# in a fresh pin root; the rules are flushed (not timed) before the next.
# Cells with N <= 1000 run ROUNDS times (median), larger ones once.
# A load that takes longer than SYNC_CAP seconds is stopped and reported
# as "> SYNC_CAP s"; the larger cells of that tool are then not run.
# shunt cells beyond its backend capacity (SHUNT_MAX_BACKENDS in
# include/shunt/abi.h) are reported as such.
#
#   SYNC_N ("100 1000 10000")  SYNC_M ("1 10")  ROUNDS (3)  SYNC_CAP (60)
#   SYNC_TOOLS ("iptables iptables-legacy nft shunt")  OUT (bench/results)
# Output: $OUT/sync-raw.csv, $OUT/sync.csv, $OUT/sync.md.
set -euo pipefail

cd "$(dirname "$0")/.."
. bench/lib.sh
BUILD=${BUILD:-build}
SYNC_N=${SYNC_N:-100 1000 10000}
SYNC_M=${SYNC_M:-1 10}
ROUNDS=${ROUNDS:-3}
SYNC_CAP=${SYNC_CAP:-60}
SYNC_TOOLS=${SYNC_TOOLS:-iptables iptables-legacy nft shunt}
OUT=${OUT:-bench/results}
NS=shbsync
PIN=/sys/fs/bpf/shunt-bench-sync
CTL="$BUILD/shuntctl --pin-root $PIN"
TMP=$(mktemp -d /tmp/shunt-sync-bench.XXXXXX)
CAPACITY=$(awk '/define SHUNT_MAX_BACKENDS / {print $3}' include/shunt/abi.h)
CAPACITY=${CAPACITY:-65536}

[[ $(id -u) -eq 0 ]] || { echo "sync-bench: run as root" >&2; exit 1; }

cleanup() {
	$CTL unload >/dev/null 2>&1 || true
	ip netns del $NS 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_ns() { nsenter --net=/run/netns/$NS "$@"; }

# Generated files, once per cell and kind.
rules() { # KIND N M
	local f=$TMP/$1-$2-$3
	[[ -f $f ]] || bench/gen-rules.sh "$1" "$2" "$3" >"$f"
	echo "$f"
}

# Wall seconds of a command, or "capped" after SYNC_CAP seconds, or
# "failed".
timed() {
	local t0=$EPOCHREALTIME rc=0
	timeout --foreground "$SYNC_CAP" "$@" >"$TMP/cmd.log" 2>&1 || rc=$?
	if ((rc == 124)); then
		echo capped
	elif ((rc)); then
		sed 's/^/  sync-bench: /' "$TMP/cmd.log" | head -5 >&2
		echo failed
	else
		awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.3f", b - a}'
	fi
}

# One load of N services x M backends with TOOL; prints seconds or status.
measure() { # TOOL N M
	local tool=$1 n=$2 m=$3 f v
	case $tool in
	iptables | iptables-legacy | nft)
		ip netns add $NS
		in_ns ip link set lo up
		if [[ $tool == nft ]]; then
			f=$(rules nft "$n" "$m")
			v=$(timed nsenter --net=/run/netns/$NS nft -f "$f")
		else
			f=$(rules iptables "$n" "$m")
			v=$(timed nsenter --net=/run/netns/$NS "$tool-restore" "$f")
		fi
		# Empty the tables before the namespace goes, so that the
		# kernel does not free them in the background of the next run.
		if [[ $tool == iptables-legacy ]]; then
			printf '*nat\nCOMMIT\n*filter\nCOMMIT\n' | in_ns iptables-legacy-restore 2>/dev/null || true
			in_ns iptables-legacy -t nat -X 2>/dev/null || true
			in_ns iptables-legacy -X 2>/dev/null || true
		else
			in_ns nft flush ruleset 2>/dev/null || true
		fi
		ip netns del $NS
		;;
	shunt)
		if ((n * m > CAPACITY)); then
			echo over-capacity
			return
		fi
		f=$(rules shunt "$n" "$m")
		printf 'services: []\n' >"$TMP/empty.yaml"
		$CTL apply -f "$TMP/empty.yaml" >/dev/null
		v=$(timed $CTL apply -f "$f")
		$CTL unload >/dev/null 2>&1 || true
		;;
	esac
	sleep 0.5
	echo "$v"
}

mkdir -p "$OUT"
RAW=$OUT/sync-raw.csv
echo "round,tool,services,backends_per_service,seconds" >"$RAW"
declare -A stopped # tool -> "N M" of its first capped or failed cell
for ((r = 1; r <= ROUNDS; r++)); do
	for n in $SYNC_N; do
		((n <= 1000 || r == 1)) || continue
		for m in $SYNC_M; do
			for tool in $SYNC_TOOLS; do
				if [[ -n ${stopped[$tool]:-} ]]; then
					read -r sn sm <<<"${stopped[$tool]}"
					if ((n >= sn && m >= sm)); then
						[[ $r == 1 ]] && echo "$r,$tool,$n,$m,skipped" >>"$RAW"
						continue
					fi
				fi
				v=$(measure "$tool" "$n" "$m")
				echo "$r,$tool,$n,$m,$v" >>"$RAW"
				printf '  round %d %-16s %6d services x %2d backends: %s\n' "$r" "$tool" "$n" "$m" "$v" >&2
				if [[ $v == capped || $v == failed ]] && [[ -z ${stopped[$tool]:-} ]]; then
					stopped[$tool]="$n $m"
				fi
			done
		done
	done
done

# A cell: the median of its numeric runs, else its status.
cell() { # TOOL N M
	local vals status
	vals=$(awk -F, -v t="$1" -v n="$2" -v m="$3" '$2==t && $3==n && $4==m && $5 ~ /^[0-9.]+$/ {print $5}' "$RAW")
	if [[ -n $vals ]]; then
		printf '%s %d\n' "$(median <<<"$vals")" "$(wc -l <<<"$vals")"
	else
		status=$(awk -F, -v t="$1" -v n="$2" -v m="$3" '$2==t && $3==n && $4==m {print $5; exit}' "$RAW")
		echo "${status:-not-run} 0"
	fi
}
show() { # VALUE
	case $1 in
	capped) echo "> $SYNC_CAP (capped)" ;;
	skipped) echo "not run (smaller cell capped)" ;;
	over-capacity) echo "n/a (over $CAPACITY backends)" ;;
	failed | not-run) echo "$1" ;;
	*) awk -v v="$1" 'BEGIN {printf (v < 10 ? "%.2f" : "%.1f"), v}' ;;
	esac
}

CSV=$OUT/sync.csv
echo "tool,services,backends_per_service,seconds,runs" >"$CSV"
{
	printf '| services x backends |'
	for tool in $SYNC_TOOLS; do
		case $tool in
		iptables) printf ' iptables-restore s |' ;;
		iptables-legacy) printf ' iptables-legacy-restore s |' ;;
		nft) printf ' nft -f s |' ;;
		shunt) printf ' shuntctl apply s |' ;;
		esac
	done
	printf '\n|---|'
	for tool in $SYNC_TOOLS; do printf -- '---:|'; done
	printf '\n'
	for n in $SYNC_N; do
		for m in $SYNC_M; do
			printf '| %d x %d |' "$n" "$m"
			for tool in $SYNC_TOOLS; do
				read -r v runs < <(cell "$tool" "$n" "$m")
				echo "$tool,$n,$m,$v,$runs" >>"$CSV"
				printf ' %s |' "$(show "$v")"
			done
			printf '\n'
		done
	done
} | tee "$OUT/sync.md"
echo "(median of $ROUNDS runs for N <= 1000, one run above; cap ${SYNC_CAP}s; raw: $RAW)"
