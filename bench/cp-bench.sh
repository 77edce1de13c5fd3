#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The control plane at scale: shuntd's Kubernetes source against the fake
# API server (bench/cp-apiserver.py: tests/k8s/fake-apiserver.py with
# cheaper copies) holding CP_N NodePort Services with one TCP port and
# an EndpointSlice of CP_M ready endpoints each (bench/cp-objects.py), so
# CP_N shunt services, 2 * CP_N frontends (ClusterIP:80 and *:nodePort),
# CP_N * CP_M backends. In a throwaway network namespace (the node: a
# veth pair, one end with two addresses, which shuntd puts in
# node_addr_map for the NodePorts; veth, as a kernel without modules may
# lack dummy) and a pin root of its own, it measures
#
#   initial sync     shuntd started on an empty pin root (it loads the
#                    datapath) until its first "synced source=kubernetes"
#                    log line; the line's own seconds= (the apply); then
#                    the counts in the maps are checked
#   endpoint change  CP_SAMPLES EndpointSlice MODIFIED events (one
#                    endpoint added, then removed again, on services
#                    spread over the set), each timed from the event
#                    written to shuntd's watch (the fake server's
#                    --event-log) until maglev_map points to the service's
#                    new table (bench/cp-latency changes); p50/p99/max;
#                    also from the POST to the fake server
#   fake server      the same events with no shuntd, timed from the POST
#                    until the event arrives on a watch (cp-latency
#                    calibrate): the fake server's own share of the above
#   backend set      `shuntctl backend set ... --weight W` wall time
#                    (median of CP_REPEAT), shuntd running
#   service list     `shuntctl service list` wall time (median of
#                    CP_REPEAT)
#   next change      the endpoint change after those commands: shuntd
#                    finds the maps written by another process and
#                    rebuilds its model from them first
#   removal          CP_REMOVE Services deleted (DELETED events for their
#                    slices, then for the Services) until none has a
#                    frontend or a service id left (cp-latency remove)
#   memory           the sum of bytes_memlock (bpftool -j map show) over
#                    every map of the datapath (cp-latency map-ids: pinned
#                    maps, maps of the pinned programs, the Maglev tables),
#                    and shuntd's VmRSS and VmHWM, with all CP_N services
#   kube-proxy       in another throwaway namespace: iptables-restore
#                    (nf_tables backend) of kube-proxy's iptables-mode
#                    rules for the same CP_N x CP_M NodePort services
#                    (bench/gen-rules.sh; from empty, without --noflush
#                    as bench/sync-bench.sh), then its partial sync of one
#                    endpoint added / removed (`iptables-restore
#                    --noflush`: the top-level chains whole plus the
#                    changed service's chains), median of CP_REPEAT each;
#                    the same with `nft -f` of its nftables-mode table and
#                    an nft transaction for the change. A full load longer
#                    than CP_CAP seconds is stopped (its partial syncs are
#                    then not run).
#
#   CP_N (10000)  CP_M (10)  CP_SAMPLES (1000)  CP_REMOVE (1000)
#   CP_REPEAT (5)  CP_CAP (600)  CP_KUBE_PROXY (1; 0 skips it)
#   BUILD (build)  OUT (bench/results)
# Output: $OUT/cp.csv (figure,value,unit,goal,met), $OUT/cp.md,
# $OUT/cp-raw.csv (every latency sample), $OUT/cp-maps.csv (the maps by
# size), $OUT/cp-shuntd.log (shuntd's log), $OUT/cp-machine.txt. Needs
# root; about 6 minutes on 2 vCPUs, most of it kube-proxy's loads.
set -euo pipefail

cd "$(dirname "$0")/.."
. bench/lib.sh
BUILD=${BUILD:-build}
OUT=${OUT:-bench/results}
CP_N=${CP_N:-10000}
CP_M=${CP_M:-10}
CP_SAMPLES=${CP_SAMPLES:-1000}
CP_REMOVE=${CP_REMOVE:-1000}
CP_REPEAT=${CP_REPEAT:-5}
CP_CAP=${CP_CAP:-600}
CP_KUBE_PROXY=${CP_KUBE_PROXY:-1}
SYNC_TIMEOUT=${CP_SYNC_TIMEOUT:-300}
NS=shbcp$$
KPNS=shbcpkp$$
PIN=/sys/fs/bpf/shunt-bench-cp$$
TOKEN=cp-bench-token
CTL=("$BUILD/shuntctl" --pin-root "$PIN")
LAT=$BUILD/bench/cp-latency
SHUNTD_PID=
API_PID=
SCRAPER=

[[ $(id -u) -eq 0 ]] || { echo "cp-bench: run as root" >&2; exit 1; }
for f in "$BUILD/shuntd" "$BUILD/shuntctl" "$LAT"; do
	[[ -x $f ]] || { echo "cp-bench: $f missing (make BUILD=$BUILD all)" >&2; exit 1; }
done
for c in python3 curl bpftool jq nsenter; do
	command -v $c >/dev/null || { echo "cp-bench: $c missing" >&2; exit 1; }
done
((CP_SAMPLES % 2 == 0)) || CP_SAMPLES=$((CP_SAMPLES + 1)) # add/remove pairs
TMP=$(mktemp -d /tmp/shunt-cp-bench.XXXXXX)

stop_pid() { # PID: SIGTERM, then SIGKILL after 5 s; reaped
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

del_ns() { # NAME: empty its netfilter tables first (no background free)
	[[ -e /run/netns/$1 ]] || return 0
	nsenter --net="/run/netns/$1" nft flush ruleset 2>/dev/null || true
	ip netns del "$1" 2>/dev/null || true
}

cleanup() {
	[[ -n $SCRAPER ]] && stop_pid "$SCRAPER"
	[[ -n $SHUNTD_PID ]] && stop_pid "$SHUNTD_PID"
	[[ -n $API_PID ]] && stop_pid "$API_PID"
	"${CTL[@]}" unload >/dev/null 2>&1 || true
	rm -rf "$PIN" 2>/dev/null || true
	del_ns "$NS"
	del_ns "$KPNS"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_ns() { nsenter --net="/run/netns/$NS" "$@"; }
# A throwaway node: a veth pair, one end with the node's two addresses.
node_ns() { # NAME
	ip netns add "$1"
	ip -n "$1" link set lo up
	ip -n "$1" link add node0 type veth peer name node1
	ip -n "$1" addr add 192.168.90.1/24 dev node0
	ip -n "$1" addr add 192.168.91.1/24 dev node0
	ip -n "$1" link set node0 up
	ip -n "$1" link set node1 up
}
say() { echo "  cp-bench: $*" >&2; }
fail() {
	echo "cp-bench: $*" >&2
	if [[ -r $TMP/shuntd.log ]]; then
		echo "--- shuntd log (last 20 lines)" >&2
		tail -20 "$TMP/shuntd.log" >&2
	fi
	exit 1
}

# Seconds since $1 (an $EPOCHREALTIME), three decimals.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.3f", b - a}'; }

# Wall seconds of a command, "capped" after $CAP (default CP_CAP)
# seconds, or "failed".
timed() {
	local t0=$EPOCHREALTIME rc=0
	timeout --foreground "${CAP:-$CP_CAP}" "$@" >"$TMP/cmd.log" 2>&1 || rc=$?
	if ((rc == 124)); then
		echo capped
	elif ((rc)); then
		sed 's/^/  cp-bench: /' "$TMP/cmd.log" | head -5 >&2
		echo failed
	else
		since "$t0"
	fi
}

# p50/p99/max (nearest rank) of the milliseconds in column 4 (or COLUMN)
# of a cp-latency CSV: "P50 P99 MAX COUNT".
percentiles() { # CSV [COLUMN]
	cut -d, -f"${2:-4}" "$1" | sort -g | awk '
	{v[NR] = $1}
	function rank(p,   r) { r = int(p * NR); if (r < p * NR) r++; return v[r < 1 ? 1 : r] }
	END {printf "%.3f %.3f %.3f %d\n", rank(0.50), rank(0.99), v[NR], NR}'
}

# POST a /_control op file to the fake server.
control() {
	in_ns curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
		--data-binary "@$1" "http://127.0.0.1:$PORT/_control"
}

mkdir -p "$OUT"
machine_info >"$OUT/cp-machine.txt"
# Other work on the machine shows in the figures: the load at the start
# and at the end go with them.
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
RESULTS=$TMP/results.csv
: >"$RESULTS"
# Record a figure: NAME VALUE UNIT
put() { echo "$1,$2,$3" >>"$RESULTS"; }
val() { awk -F, -v k="$1" '$1 == k {print $2; exit}' "$RESULTS"; }

# --- the node ---------------------------------------------------------
say "objects: $CP_N NodePort Services x $CP_M endpoints, $CP_SAMPLES changes, $CP_REMOVE removed"
# Two changes more than the samples: one after the shuntctl writes.
python3 bench/cp-objects.py "$TMP" "$CP_N" "$CP_M" $((2 * CP_SAMPLES + 2)) "$CP_REMOVE"
node_ns "$NS"

# The fake API server; its parent (this shell: nsenter execs, and no
# function or subshell between) going takes it along.
nsenter --net="/run/netns/$NS" python3 bench/cp-apiserver.py --token "$TOKEN" --event-log "$TMP/events.log" >"$TMP/api.port" 2>"$TMP/api.log" &
API_PID=$!
for ((i = 0; i < 100; i++)); do
	[[ -s $TMP/api.port ]] && break
	sleep 0.05
done
PORT=$(head -1 "$TMP/api.port")
[[ $PORT =~ ^[0-9]+$ ]] || fail "the fake API server did not start: $(cat "$TMP/api.log")"
control "$TMP/services.json"
control "$TMP/slices.json"
cat >"$TMP/kubeconfig" <<EOF
apiVersion: v1
kind: Config
current-context: bench
clusters:
- name: bench
  cluster:
    server: http://127.0.0.1:$PORT
users:
- name: bench
  user:
    token: $TOKEN
contexts:
- name: bench
  context:
    cluster: bench
    user: bench
EOF

# The fake server alone (no shuntd watching: a watch consumes events).
# The pairs leave every slice as it was.
say "fake API server alone: $CP_SAMPLES events"
in_ns "$LAT" calibrate "$PORT" "$TOKEN" "$TMP/changes.tsv" "$CP_SAMPLES" >"$TMP/calibrate.csv" ||
	fail "cp-latency calibrate failed"

# The fake server's share of the initial sync: both lists, paged as
# shuntd asks for them (limit=500, K8S_LIST_LIMIT), bodies read, only
# the continue token looked for.
say "fake API server alone: listing $CP_N Services and EndpointSlices"
API_LIST=$(in_ns python3 - "$PORT" "$TOKEN" <<'PY'
import http.client, re, sys, time
port, token = int(sys.argv[1]), sys.argv[2]
t0 = time.monotonic()
for path in ("/api/v1/services", "/apis/discovery.k8s.io/v1/endpointslices"):
    cont = ""
    while True:
        c = http.client.HTTPConnection("127.0.0.1", port)
        c.request("GET", path + "?limit=500" + cont, headers={"Authorization": "Bearer " + token})
        r = c.getresponse()
        body = r.read()
        c.close()
        if r.status != 200:
            sys.exit("list %s: %d" % (path, r.status))
        m = re.search(rb'"continue": *"([^"]+)"', body)
        if not m:
            break
        cont = "&continue=" + m.group(1).decode()
print("%.3f" % (time.monotonic() - t0))
PY
) || fail "listing from the fake API server failed"

# --- initial sync -----------------------------------------------------
say "shuntd --kubernetes: initial sync"
: >"$TMP/shuntd.log"
T0=$EPOCHREALTIME
nsenter --net="/run/netns/$NS" "$BUILD/shuntd" --kubernetes --insecure-http --kubeconfig "$TMP/kubeconfig" --node-name node-0 \
	--pin-root "$PIN" --cgroup none --metrics-addr 127.0.0.1:9470 >/dev/null 2>"$TMP/shuntd.log" &
SHUNTD_PID=$!
SYNC_WALL=
while [[ -z $SYNC_WALL ]]; do
	if grep -q 'msg=synced source=kubernetes' "$TMP/shuntd.log"; then
		SYNC_WALL=$(since "$T0")
	elif ! kill -0 "$SHUNTD_PID" 2>/dev/null; then
		fail "shuntd exited before its first sync"
	elif awk -v t="$(since "$T0")" -v m="$SYNC_TIMEOUT" 'BEGIN {exit !(t > m)}'; then
		fail "no kubernetes sync within $SYNC_TIMEOUT s"
	else
		sleep 0.01
	fi
done
[[ $(readlink "/proc/$SHUNTD_PID/exe") == */shuntd ]] || fail "shuntd is not pid $SHUNTD_PID"
sync_line=$(grep -m1 'msg=synced source=kubernetes' "$TMP/shuntd.log")
say "${sync_line#* msg=}"
SYNC_APPLY=$(sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' <<<"$sync_line")
[[ $sync_line == *" services=$CP_N added=$CP_N "* && $sync_line == *" conflicts=0 "* ]] ||
	fail "first sync is not $CP_N services added: $sync_line"
# Where the time went, from the log's own timestamps (milliseconds).
log_epoch() { # PATTERN: the time of its first line, seconds since the epoch
	local ts
	ts=$(grep -m1 "$1" "$TMP/shuntd.log" | sed -n 's/^time=\([^ ]*\) .*/\1/p')
	[[ -n $ts ]] && date -d "$ts" +%s.%N
}
LOADED=$(log_epoch 'msg="datapath loaded"' || true)
STARTED=$(log_epoch 'msg="kubernetes source started"' || true)
LISTED=$(grep 'msg="kubernetes list"' "$TMP/shuntd.log" | head -2 | tail -1 | sed -n 's/^time=\([^ ]*\) .*/\1/p')
[[ -n $LISTED ]] && LISTED=$(date -d "$LISTED" +%s.%N)
gap() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b - a}'; }
put initial_sync_wall "$SYNC_WALL" s
# shuntd starts the Kubernetes source first and loads the datapath while
# the lists come in: both are timed from the start.
if [[ -n $LOADED && -n $STARTED && -n $LISTED ]]; then
	put initial_sync_source_start "$(gap "$T0" "$STARTED")" s
	put initial_sync_datapath_load "$(gap "$T0" "$LOADED")" s
	put initial_sync_list "$(gap "$T0" "$LISTED")" s
fi
put initial_sync_apply "$SYNC_APPLY" s
put apiserver_list "$API_LIST" s
read -r services frontends backends tables < <("$LAT" counts "$PIN")
say "maps: $services services, $frontends frontends, $backends backends, $tables tables"
((services == CP_N && frontends == 2 * CP_N && backends == CP_N * CP_M && tables == CP_N)) ||
	fail "expected $CP_N services, $((2 * CP_N)) frontends, $((CP_N * CP_M)) backends, $CP_N tables"
put services "$services" count
put frontends "$frontends" count
put backends "$backends" count
nodeaddrs=$("${CTL[@]}" node-address list | grep -c '192\.168\.9[01]\.1' || true)
((nodeaddrs == 2)) || fail "node_addr_map does not hold the node's two addresses"
put node_addresses "$nodeaddrs" count

# --- one endpoint change ----------------------------------------------
say "endpoint changes: $CP_SAMPLES samples"
in_ns "$LAT" changes "$PIN" "$PORT" "$TMP/events.log" "$TMP/changes.tsv" 1 "$CP_SAMPLES" >"$TMP/changes.csv" ||
	fail "cp-latency changes failed"
read -r p50 p99 max n < <(percentiles "$TMP/changes.csv")
put change_p50 "$p50" ms
put change_p99 "$p99" ms
put change_max "$max" ms
put change_samples "$n" count
read -r pp50 pp99 pmax _ < <(percentiles "$TMP/changes.csv" 5)
put post_p50 "$pp50" ms
put post_p99 "$pp99" ms
put post_max "$pmax" ms
# shuntd's own time for each change: seconds= of its sync lines after
# the first (one sync per event), as a cp-latency CSV.
# One sync per event (cp-latency waits for each); more lines would mean
# syncs of something else in between.
nsyncs=$(grep -c 'msg=synced source=kubernetes' "$TMP/shuntd.log")
((nsyncs == CP_SAMPLES + 1)) || fail "$((nsyncs - 1)) sync lines for $CP_SAMPLES changes"
grep 'msg=synced source=kubernetes' "$TMP/shuntd.log" | sed -n "2,$((CP_SAMPLES + 1))p" |
	sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' | awk '{printf "%d,shuntd,0,%.3f\n", NR, $1 * 1000}' >"$TMP/apply.csv"
read -r s50 s99 smax sn < <(percentiles "$TMP/apply.csv")
((sn == CP_SAMPLES)) || fail "$sn sync lines for $CP_SAMPLES changes"
put apply_p50 "$s50" ms
put apply_p99 "$s99" ms
put apply_max "$smax" ms
read -r a50 a99 amax _ < <(percentiles "$TMP/calibrate.csv")
put apiserver_p50 "$a50" ms
put apiserver_p99 "$a99" ms
put apiserver_max "$amax" ms
say "change p50 $p50 ms p99 $p99 ms max $max ms; fake server alone p50 $a50 ms p99 $a99 ms"
{
	echo "measurement,sample,service,endpoints,ms"
	cut -d, -f1-4 "$TMP/changes.csv" | sed 's/^/change,/'
	cut -d, -f1-3,5 "$TMP/changes.csv" | sed 's/^/change-from-post,/'
	sed 's/^/apiserver,/' "$TMP/calibrate.csv"
	sed 's/^/shuntd-apply,/' "$TMP/apply.csv"
} >"$OUT/cp-raw.csv"

# --- the same while /metrics is scraped 10 times a second -------------
say "endpoint changes while /metrics is scraped 10 times a second: $CP_SAMPLES samples"
# nsenter execs sh: $! is the loop itself.
nsenter --net="/run/netns/$NS" sh -c 'while :; do curl -s -o /dev/null http://127.0.0.1:9470/metrics; sleep 0.1; done' &
SCRAPER=$!
sleep 1
in_ns curl -s -o "$TMP/metrics.txt" -w '%{time_total}\n' http://127.0.0.1:9470/metrics >"$TMP/scrape-time" ||
	fail "cannot scrape /metrics"
in_ns "$LAT" changes "$PIN" "$PORT" "$TMP/events.log" "$TMP/changes.tsv" $((CP_SAMPLES + 3)) "$CP_SAMPLES" >"$TMP/scraped.csv" ||
	fail "cp-latency changes (scraped) failed"
stop_pid "$SCRAPER"
SCRAPER=
read -r q50 q99 qmax _ < <(percentiles "$TMP/scraped.csv")
put scraped_p50 "$q50" ms
put scraped_p99 "$q99" ms
put scraped_max "$qmax" ms
put metrics_bytes "$(stat -c %s "$TMP/metrics.txt")" bytes
put metrics_scrape "$(cat "$TMP/scrape-time")" s
cut -d, -f1-4 "$TMP/scraped.csv" | sed 's/^/change-scraped,/' >>"$OUT/cp-raw.csv"
say "while scraped: change p50 $q50 ms p99 $q99 ms; /metrics $(stat -c %s "$TMP/metrics.txt") bytes"

# --- memory (all CP_N services) ---------------------------------------
"$LAT" map-ids "$PIN" | sort -un >"$TMP/ids"
bpftool -j map show | jq -r '.[] | "\(.id) \(.bytes_memlock // 0) \(.name // "-")"' >"$TMP/maps"
awk 'NR == FNR {want[$1] = 1; next} ($1 in want) {print}' "$TMP/ids" "$TMP/maps" >"$TMP/ours"
nmaps=$(wc -l <"$TMP/ours")
(($(wc -l <"$TMP/ids") == nmaps)) || fail "bpftool shows $nmaps of $(wc -l <"$TMP/ids") map ids"
KMEM=$(awk '{s += $2} END {printf "%.1f", s / 1048576}' "$TMP/ours")
{
	echo "name,maps,bytes_memlock"
	awk '{b[$3] += $2; c[$3]++} END {for (k in b) print k "," c[k] "," b[k]}' "$TMP/ours" |
		sort -t, -k3,3nr
} >"$OUT/cp-maps.csv"
put kernel_memory "$KMEM" MiB
put maps "$nmaps" count
RSS=$(awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$SHUNTD_PID/status")
HWM=$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$SHUNTD_PID/status")
put shuntd_rss "$RSS" MiB
put shuntd_peak_rss "$HWM" MiB
say "maps: $nmaps, $KMEM MiB; shuntd VmRSS $RSS MiB (peak $HWM MiB)"

# --- shuntctl ---------------------------------------------------------
# Service CP_N/2 (not among the removed ones, i % (CP_N/CP_REMOVE) ==
# CP_N/CP_REMOVE - 1, unless CP_N/CP_REMOVE is 1), its first endpoint.
ip4() { awk -v x="$1" 'BEGIN {printf "%d.%d.%d.%d", int(x / 16777216) % 256, int(x / 65536) % 256, int(x / 256) % 256, x % 256}'; }
SI=$((CP_N / 2))
VIP="$(ip4 $(((10 << 24 | 96 << 16) + SI + 1))):80/tcp"
BE="$(ip4 $(((10 << 24 | 128 << 16) + 16 * SI + 1))):8080"
vals=""
for ((i = 0; i < CP_REPEAT; i++)); do
	v=$(CAP=60 timed "${CTL[@]}" backend set "$VIP" "$BE" --weight $((2 + i % 2)))
	[[ $v =~ ^[0-9.]+$ ]] || fail "shuntctl backend set $VIP $BE: $v"
	vals+="$v"$'\n'
done
"${CTL[@]}" backend set "$VIP" "$BE" --weight 1 >/dev/null
BSET=$(median <<<"$vals")
put backend_set "$BSET" s
vals=""
for ((i = 0; i < CP_REPEAT; i++)); do
	v=$(CAP=60 timed "${CTL[@]}" service list)
	[[ $v =~ ^[0-9.]+$ ]] || fail "shuntctl service list: $v"
	vals+="$v"$'\n'
done
LIST=$(median <<<"$vals")
listed=$("${CTL[@]}" service list | grep -c 'bench/svc-' || true)
((listed == CP_N)) || fail "service list shows $listed of $CP_N services"
put service_list "$LIST" s
say "shuntctl backend set $BSET s, service list $LIST s ($listed services)"

# shuntctl wrote to the maps behind shuntd's back: shuntd rebuilds its
# model from the maps on its next change. That change, timed alone, also
# keeps this cost out of the removal below.
# (Its pair, the endpoint removed again, restores the slice.)
in_ns "$LAT" changes "$PIN" "$PORT" "$TMP/events.log" "$TMP/changes.tsv" $((CP_SAMPLES + 1)) 2 >"$TMP/after.csv" ||
	fail "cp-latency changes (after shuntctl) failed"
# The first sync, both change series (one sync each), this pair.
nsyncs=$(grep -c 'msg=synced source=kubernetes' "$TMP/shuntd.log")
((nsyncs == 2 * CP_SAMPLES + 3)) || fail "$nsyncs sync lines, $((2 * CP_SAMPLES + 3)) expected"
put after_ctl_change "$(head -1 "$TMP/after.csv" | cut -d, -f4)" ms
put after_ctl_apply "$(grep 'msg=synced source=kubernetes' "$TMP/shuntd.log" | sed -n "$((2 * CP_SAMPLES + 2))p" |
	sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' | awk '{printf "%.3f", $1 * 1000}')" ms
say "first change after shuntctl: $(val after_ctl_change) ms, shuntd's apply $(val after_ctl_apply) ms"

# --- removal ----------------------------------------------------------
if ((CP_REMOVE > 0)); then
	say "removing $CP_REMOVE Services"
	in_ns "$LAT" remove "$PIN" "$PORT" "$TMP/removed.tsv" \
		"$TMP/remove-slices.json" "$TMP/remove-services.json" >"$TMP/remove.out" ||
		fail "cp-latency remove failed"
	read -r rm_fe rm_all <"$TMP/remove.out"
	put remove_frontends "$rm_fe" s
	put remove_all "$rm_all" s
	read -r services frontends backends tables < <("$LAT" counts "$PIN")
	say "removal: frontends gone after $rm_fe s, ids free after $rm_all s; now $services services, $frontends frontends, $backends backends"
	((services == CP_N - CP_REMOVE && frontends == 2 * (CP_N - CP_REMOVE) &&
		backends == (CP_N - CP_REMOVE) * CP_M)) ||
		fail "after the removal: $services services, $frontends frontends, $backends backends"
fi
say "kubernetes syncs logged: $(grep -c 'msg=synced source=kubernetes' "$TMP/shuntd.log")"
cp "$TMP/shuntd.log" "$OUT/cp-shuntd.log"
stop_pid "$SHUNTD_PID"
SHUNTD_PID=
stop_pid "$API_PID"
API_PID=
SCRAPER=
"${CTL[@]}" unload >/dev/null 2>&1 || true
del_ns "$NS"

# --- kube-proxy -------------------------------------------------------
kp_rules() { # KIND: its gen-rules.sh file
	[[ -f $TMP/$1 ]] || bench/gen-rules.sh "$1" "$CP_N" "$CP_M" nodeport >"$TMP/$1"
	echo "$TMP/$1"
}
kp_ns() {
	del_ns "$KPNS"
	node_ns "$KPNS"
}
# Full load into the empty namespace, then CP_REPEAT partial syncs each
# way (medians). The full load runs as bench/sync-bench.sh's: without
# --noflush, which iptables-nft 1.8.9 needs far longer for (here more
# than ten minutes against half a minute, the same rules from empty).
kube_proxy() { # NAME FULL-COMMAND PARTIAL-COMMAND (words; the file goes last)
	local name=$1 full add=not-run del=not-run va="" vd="" v i
	local -a cmd_full cmd_part
	read -ra cmd_full <<<"$2"
	read -ra cmd_part <<<"$3"
	kp_ns
	say "kube-proxy $name: full load of $CP_N x $CP_M NodePort services (cap $CP_CAP s)"
	full=$(timed nsenter --net="/run/netns/$KPNS" "${cmd_full[@]}" "$(kp_rules "$name")")
	put "${name}_full" "$full" s
	if [[ $full =~ ^[0-9.]+$ ]]; then
		for ((i = 0; i < CP_REPEAT; i++)); do
			v=$(CAP=120 timed nsenter --net="/run/netns/$KPNS" "${cmd_part[@]}" "$(kp_rules "$name-epadd")")
			[[ $v =~ ^[0-9.]+$ ]] || { add=$v; break; }
			va+="$v"$'\n'
			v=$(CAP=120 timed nsenter --net="/run/netns/$KPNS" "${cmd_part[@]}" "$(kp_rules "$name-epdel")")
			[[ $v =~ ^[0-9.]+$ ]] || { del=$v; break; }
			vd+="$v"$'\n'
		done
		[[ $add == not-run ]] && add=$(median <<<"$va")
		[[ $del == not-run ]] && del=$(median <<<"$vd")
	fi
	put "${name}_epadd" "$add" s
	put "${name}_epdel" "$del" s
	say "kube-proxy $name: full load $full, endpoint added $add, removed $del (s)"
	del_ns "$KPNS"
}
if ((CP_KUBE_PROXY)); then
	kube_proxy iptables iptables-restore "iptables-restore --noflush"
	kube_proxy nft "nft -f" "nft -f"
fi

# --- the tables -------------------------------------------------------
echo "loadavg at start: $LOAD0; at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/cp-machine.txt"
# VALUE GOAL: yes/no for VALUE <= GOAL, "-" when VALUE is no number.
le() { awk -v v="$1" -v g="$2" 'BEGIN {if (v !~ /^[0-9.]+$/) print "-"; else print (v + 0 <= g + 0 ? "yes" : "no")}'; }
declare -A GOAL=([initial_sync_wall]=3 [change_p99]=5 [service_list]=1 [remove_all]=1 [kernel_memory]=200)
CSV=$OUT/cp.csv
echo "figure,value,unit,goal,met" >"$CSV"
while IFS=, read -r k v u; do
	g=${GOAL[$k]:-}
	m=""
	[[ -n $g ]] && m=$(le "$v" "$g")
	echo "$k,$v,$u,${g:+<= $g},$m" >>"$CSV"
done <"$RESULTS"

fmt() { # VALUE: a status in words
	case $1 in
	capped) echo "> $CP_CAP s (capped)" ;;
	not-run) echo "not run (full load capped)" ;;
	*) echo "${1:-not measured}" ;;
	esac
}
row() { # LABEL KEY UNIT
	local v g m=""
	v=$(val "$2")
	g=${GOAL[$2]:-}
	[[ -n $g ]] && m=$(le "$v" "$g")
	if [[ $v =~ ^[0-9.]+$ ]]; then
		[[ $3 == s || $3 == ms ]] && v=$(printf '%.3f' "$v")
		v="$v $3"
	else
		v=$(fmt "$v")
	fi
	echo "| $1 | $v | ${g:+≤ $g $3} | $m |"
}
{
	echo "| figure ($CP_N NodePort services x $CP_M backends) | value | goal | met? |"
	echo "|---|---:|---:|:---:|"
	row "initial sync: shuntd start → first \`synced\` line" initial_sync_wall s
	row "… start → \`kubernetes source started\` (log times)" initial_sync_source_start s
	row "… start → \`datapath loaded\` (meanwhile the lists come in)" initial_sync_datapath_load s
	row "… start → both resources listed (last \`kubernetes list\`)" initial_sync_list s
	row "… … fake API server alone: both lists, pages of 500" apiserver_list s
	row "… → applied (\`seconds=\` of the \`synced\` line)" initial_sync_apply s
	echo "| maps after it: services / frontends / backends | $(val services) / $(val frontends) / $(val backends) | | |"
	row "endpoint change, API event → new table, p50" change_p50 ms
	row "endpoint change, API event → new table, p99" change_p99 ms
	row "endpoint change, API event → new table, max" change_max ms
	row "… from the POST to the fake API server, p50" post_p50 ms
	row "… from the POST to the fake API server, p99" post_p99 ms
	row "… fake API server alone (POST → watch event), p50" apiserver_p50 ms
	row "… fake API server alone (POST → watch event), p99" apiserver_p99 ms
	row "… shuntd's apply (\`seconds=\` of its \`synced\` lines), p50" apply_p50 ms
	row "… shuntd's apply (\`seconds=\` of its \`synced\` lines), p99" apply_p99 ms
	row "… shuntd's apply (\`seconds=\` of its \`synced\` lines), max" apply_max ms
	row "endpoint change while /metrics is scraped 10/s, p50" scraped_p50 ms
	row "endpoint change while /metrics is scraped 10/s, p99" scraped_p99 ms
	row "… one scrape of /metrics: its size" metrics_bytes bytes
	row "… one scrape of /metrics: its time" metrics_scrape s
	row "\`shuntctl backend set\` (median of $CP_REPEAT)" backend_set s
	row "\`shuntctl service list\` (median of $CP_REPEAT)" service_list s
	row "the next endpoint change, API event → new table" after_ctl_change ms
	row "… shuntd's apply (its model rebuilt from the maps)" after_ctl_apply ms
	if ((CP_REMOVE > 0)); then
		row "removing $CP_REMOVE Services: frontends gone" remove_frontends s
		row "removing $CP_REMOVE Services: ids free too" remove_all s
	fi
	row "kernel memory of all $(val maps) maps (bytes_memlock)" kernel_memory MiB
	row "shuntd VmRSS" shuntd_rss MiB
	row "shuntd VmHWM (peak RSS)" shuntd_peak_rss MiB
	if ((CP_KUBE_PROXY)); then
		row "kube-proxy iptables: full \`iptables-restore\`" iptables_full s
		row "kube-proxy iptables: endpoint added (\`--noflush\`, median)" iptables_epadd s
		row "kube-proxy iptables: endpoint removed (\`--noflush\`, median)" iptables_epdel s
		row "kube-proxy nftables: full \`nft -f\`" nft_full s
		row "kube-proxy nftables: endpoint added (\`nft -f\`, median)" nft_epadd s
		row "kube-proxy nftables: endpoint removed (\`nft -f\`, median)" nft_epdel s
	fi
} | tee "$OUT/cp.md"
echo "(samples: $OUT/cp-raw.csv; maps by name: $OUT/cp-maps.csv; machine: $OUT/cp-machine.txt)"
