#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# SNAT in the cluster lab (tests/lib/cluster.sh): from the external
# client to the NodePorts of each node.
#   - web (externalTrafficPolicy Cluster, six pods on three nodes): pods
#     of all three nodes answer through each node; a pod on another node
#     sees that node's address and a port of the SNAT range, a pod of the
#     node itself the client's address; keep-alive and new connections.
#   - web-local (Local): only the node's own pods answer, and they see
#     the client's address.
#   - one (a single pod, n2p1): two clients with the same source port
#     through node 1 both get their answers, behind two SNAT ports.
#   - a SNAT range of two ports on node 1: two held connections take
#     them, a third new flow is dropped and counted
#     (drop_snat_exhausted), the held ones still get their own answers.
# shellcheck source=tests/cluster/lib.sh
. "$(dirname "$0")/lib.sh"

ext() { ip netns exec "$CLUSTER_EXT" "$@"; }
node_ip() { local v="CLUSTER_N$1_IP4"; echo "${!v}"; }

# "POD ADDR:PORT" lines, one per request, each a new connection.
whoami_new() { # NODE PORT COUNT
	local i
	for ((i = 0; i < $3; i++)); do
		ext curl -s -m 2 "http://$(node_ip "$1"):$2/whoami" || echo "FAILED"
	done
}

# Is "POD ADDR:PORT" what a pod should see through node NODE?
check_seen() { # NODE LINE LOCAL_ONLY
	local node=$1 pod=${2%% *} seen=${2#* } addr port
	addr=${seen%:*}
	port=${seen##*:}
	if [[ $pod == "n${node}p"* ]]; then
		[[ $addr == "$CLUSTER_EXT_IP4" ]] ||
			{ fail "local pod $pod via n$node saw $seen, not the client"; return; }
	else
		[[ $3 == 0 ]] || { fail "remote pod $pod answered web-local via n$node"; return; }
		[[ $addr == "$(node_ip "$node")" ]] ||
			{ fail "remote pod $pod via n$node saw $seen, not the node"; return; }
		((port >= 61000 && port <= 65535)) ||
			fail "remote pod $pod via n$node saw port $port, outside 61000-65535"
	fi
}

# --- web: every node's NodePort, new connections ------------------------
for n in 1 2 3; do
	out=$(whoami_new "$n" 30080 30)
	if grep -q FAILED <<<"$out"; then
		fail "web via n$n: $(grep -c FAILED <<<"$out") of 30 requests failed"
	fi
	nodes=$(grep -o '^n[0-9]' <<<"$out" | sort -u | tr -d '\n')
	[[ $nodes == n1n2n3 ]] || fail "web via n$n: answers only from $nodes"
	while read -r line; do
		[[ $line == FAILED ]] || check_seen "$n" "$line" 0
	done <<<"$out"
	ok "web via n$n: 30 new connections, pods of $nodes"
done

# --- web: keep-alive (one connection, many requests) --------------------
for n in 1 2 3; do
	urls=()
	for ((i = 0; i < 20; i++)); do
		urls+=("http://$(node_ip "$n"):30080/whoami")
	done
	out=$(ext curl -s -m 5 "${urls[@]}")
	lines=$(grep -c . <<<"$out")
	pods=$(awk '{print $1}' <<<"$out" | sort -u | wc -l)
	seen=$(awk '{print $2}' <<<"$out" | sort -u | wc -l)
	((lines == 20)) || fail "web keep-alive via n$n: $lines of 20 answers"
	if ((pods == 1 && seen == 1)); then
		check_seen "$n" "$(head -1 <<<"$out")" 0
	else
		fail "web keep-alive via n$n: $pods pods, $seen sources on one connection"
	fi
	ok "web keep-alive via n$n: 20 answers on one connection from $(head -1 <<<"$out")"
done

# --- web-local: the node's own pods, the client's address ---------------
for n in 1 2 3; do
	out=$(whoami_new "$n" 30081 10)
	grep -q FAILED <<<"$out" && fail "web-local via n$n: requests failed"
	while read -r line; do
		[[ $line == FAILED ]] || check_seen "$n" "$line" 1
	done <<<"$out"
	ok "web-local via n$n: own pods, client address kept"
done

# --- one: two clients, one source port, one backend ---------------------
ip -n "$CLUSTER_EXT" addr add 203.0.113.3/24 dev eth0
a=$(ext curl -s -m 2 --interface 203.0.113.2 --local-port 40000 "http://$(node_ip 1):30082/whoami" || true)
b=$(ext curl -s -m 2 --interface 203.0.113.3 --local-port 40000 "http://$(node_ip 1):30082/whoami" || true)
if [[ $a == "n2p1 $(node_ip 1):"* && $b == "n2p1 $(node_ip 1):"* && $a != "$b" ]]; then
	ok "one: two clients with source port 40000 through n1: '$a', '$b'"
else
	fail "one: two clients with source port 40000 through n1: '$a', '$b'"
fi

# --- a SNAT range of two ports on node 1 --------------------------------
"$LAB" agent-stop "$P" 1
# Closing flows expire after a second, so the range frees up quickly.
CLUSTER_SHUNTD_ARGS="--snat-ports 62000-62001 --conntrack fin-wait=1 --conntrack close-wait=1 --conntrack time-wait=1 --conntrack close=1" \
	"$LAB" agent-start "$P" 1
exhausted0=$(counter 1 drop_snat_exhausted)
tmp=$(mktemp -d)
for k in 1 2; do
	ext curl -s -m 10 "http://$(node_ip 1):30082/slow/3000" >"$tmp/held$k" 2>&1 &
done
sleep 1
third=$(ext curl -s -m 1 "http://$(node_ip 1):30082/whoami" || echo FAILED)
wait
exhausted1=$(counter 1 drop_snat_exhausted)
[[ $third == FAILED ]] || fail "a third flow with both SNAT ports taken got '$third'"
((exhausted1 > exhausted0)) ||
	fail "drop_snat_exhausted did not move ($exhausted0 -> $exhausted1)"
for k in 1 2; do
	[[ $(cat "$tmp/held$k") == n2p1 ]] ||
		fail "held connection $k got '$(cat "$tmp/held$k")', not n2p1's answer"
done
rm -rf "$tmp"
ok "two-port range: third flow dropped (drop_snat_exhausted $exhausted0 -> $exhausted1), held flows answered"
# The range frees up once the flows' entries expire: a new one goes
# through.
sleep 3
again=$(ext curl -s -m 2 "http://$(node_ip 1):30082/whoami" || echo FAILED)
[[ $again == "n2p1 $(node_ip 1):6200"[01] ]] ||
	fail "after the held flows ended: '$again', expected a port of 62000-62001"

finish test_snat
