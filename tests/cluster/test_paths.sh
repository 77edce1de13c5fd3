#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Paths through the cluster lab (tests/lib/cluster.sh) besides the
# external client's, on the packet path (tc on the pods' host veths and
# the fabric interfaces):
#   - hairpin: pod n2p1 reaches Service "one", whose only pod is itself,
#     by its ClusterIP (IPv4 and IPv6): answered, and the pod sees the
#     node's address on its veth (169.254.1.1 / fe80::1), every time;
#   - pod -> ClusterIP -> pods on all nodes: answered, and every pod sees
#     the client pod's own address (no SNAT inside the cluster);
#   - a pod of node 1 reaching node 2's NodePort (Service "one", served by
#     n2p1): answered;
#   - IPv6 from outside to each node's NodePort: pods of all nodes answer.
#   - zero failed requests, keep-alive and new connections, from outside
#     to every node's NodePort while node 2's agent is restarted twice
#     (SIGTERM, then SIGKILL).
# shellcheck source=tests/cluster/lib.sh
. "$(dirname "$0")/lib.sh"

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
get() { in_ns "$1" curl -s -m 2 "$2" || echo FAILED; }

# --- hairpin --------------------------------------------------------------
for url in http://10.96.1.12/whoami "http://[fd00:96::1:12]/whoami"; do
	seen=$(for i in 1 2 3 4 5; do get "$CLUSTER_N2P1" "$url"; done |
		sed -E 's/:[0-9]+$//' | sort -u)
	case $url in
	*fd00*) want="n2p1 [fe80::1]" ;;
	*) want="n2p1 169.254.1.1" ;;
	esac
	if [[ $seen == "$want" ]]; then
		ok "hairpin $url: 5 answers, the pod saw '$want'"
	else
		fail "hairpin $url: got '$seen', expected '$want' each time"
	fi
done

# --- pod -> ClusterIP -> pods of every node ------------------------------
out=$(for i in $(seq 30); do get "$CLUSTER_N1P1" http://10.96.1.10/whoami; done)
nodes=$(grep -o '^n[0-9]' <<<"$out" | sort -u | tr -d '\n')
remote_src=$(grep -v '^n1p1 ' <<<"$out" | awk '{print $2}' | sed -E 's/:[0-9]+$//' | sort -u)
if grep -q FAILED <<<"$out"; then
	fail "pod -> ClusterIP: $(grep -c FAILED <<<"$out") of 30 failed"
elif [[ $nodes != n1n2n3 ]]; then
	fail "pod -> ClusterIP: answers only from $nodes"
elif [[ $remote_src != "$CLUSTER_N1P1_IP4" ]]; then
	fail "pod -> ClusterIP: other pods saw '$remote_src', not $CLUSTER_N1P1_IP4"
else
	ok "pod -> ClusterIP: pods of $nodes, other pods saw $CLUSTER_N1P1_IP4"
fi

# --- a pod of node 1 to node 2's NodePort -----------------------------------
got=$(get "$CLUSTER_N1P1" "http://$CLUSTER_N2_IP4:30082/whoami")
[[ $got == "n2p1 "* ]] && ok "n1p1 -> n2:30082: '$got'" ||
	fail "n1p1 -> n2:30082: '$got'"

# --- IPv6 from outside -------------------------------------------------------
for n in 1 2 3; do
	v="CLUSTER_N${n}_IP6"
	out=$(for i in $(seq 24); do get "$CLUSTER_EXT" "http://[${!v}]:30080/whoami"; done)
	nodes=$(grep -o '^n[0-9]' <<<"$out" | sort -u | tr -d '\n')
	if grep -q FAILED <<<"$out" || [[ $nodes != n1n2n3 ]]; then
		fail "IPv6 via n$n: $(grep -c FAILED <<<"$out") failed, pods of $nodes"
	else
		ok "IPv6 via n$n: 24 answers from pods of $nodes"
	fi
done

# --- node 2's agent restarted under load -------------------------------------
tmp=$(mktemp -d)
stop=$tmp/stop
# New connections, round robin over the three nodes.
(
	i=0
	while [[ ! -e $stop ]]; do
		n=$((i % 3 + 1))
		v="CLUSTER_N${n}_IP4"
		if ip netns exec "$CLUSTER_EXT" curl -s -m 2 -o /dev/null -w '%{http_code}\n' \
			"http://${!v}:30080/" | grep -q '^200$'; then
			echo ok
		else
			echo "failed via n$n"
		fi
		i=$((i + 1))
	done >"$tmp/new"
) &
# Keep-alive: batches of 50 requests on one connection per node.
for n in 1 2 3; do
	(
		v="CLUSTER_N${n}_IP4"
		urls=()
		for ((k = 0; k < 50; k++)); do
			urls+=(-o /dev/null "http://${!v}:30080/")
		done
		while [[ ! -e $stop ]]; do
			ip netns exec "$CLUSTER_EXT" curl -s -m 5 \
				-w '%{http_code}\n' "${urls[@]}" || echo "curl failed"
		done >"$tmp/ka$n"
	) &
done
sleep 1
"$LAB" agent-stop "$P" 2
sleep 0.5
"$LAB" agent-start "$P" 2
sleep 0.5
"$LAB" agent-kill "$P" 2
sleep 0.5
"$LAB" agent-start "$P" 2
sleep 1
touch "$stop"
wait
total=$(cat "$tmp/new" "$tmp"/ka* | wc -l)
bad=$(cat "$tmp/new" "$tmp"/ka* | grep -cv -e '^ok$' -e '^200$' || true)
if ((bad == 0 && total > 100)); then
	ok "node 2's agent restarted twice under load: $total requests, none failed"
else
	fail "node 2's agent restarted under load: $bad of $total failed: $(cat "$tmp/new" "$tmp"/ka* | grep -v -e '^ok$' -e '^200$' | sort | uniq -c | head -5)"
fi
rm -rf "$tmp"

finish test_paths
