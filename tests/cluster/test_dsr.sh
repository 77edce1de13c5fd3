#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# DSR in the cluster lab (tests/lib/cluster.sh): Services annotated
# shunt.dev/lb-mode: dsr, from the external client.
#   - web-dsr (six pods on three nodes) through each node's NodePort, IPv4
#     and IPv6, new connections and keep-alive: every pod, remote ones
#     included, sees the client's own address;
#   - one-dsr (n2p1 alone) through node 1: the replies do not cross node 1
#     (its nat_rev stays, node 2 counts dsr_in and nat_rev; a 4 MB answer
#     arrives while node 1's fabric interface receives a small fraction
#     of it), and node 1 holds a FWD entry marked dsr, node 2 a dsr-in
#     REV entry naming node 1's NodePort;
#   - UDP (web-dsr's port 53, NodePort 30055): answers from the address
#     the client sent to, remote pods' included;
#   - the node-wide `shuntctl config set lb-mode dsr` applies to web (no
#     annotation): its remote pods see the client; snat restores SNAT.
# shellcheck source=tests/cluster/lib.sh
. "$(dirname "$0")/lib.sh"

ext() { ip netns exec "$CLUSTER_EXT" "$@"; }
node_ip() { local v="CLUSTER_N$1_IP4"; echo "${!v}"; }
node_ip6() { local v="CLUSTER_N$1_IP6"; echo "${!v}"; }
ctl() { # NODE ARGS...
	local ns="CLUSTER_N$1" pin="CLUSTER_N$1_PIN"
	shift
	nsenter --net="/run/netns/${!ns}" "$BUILD/shuntctl" -p "${!pin}" "$@"
}
# Bytes node I sent into the fabric (what its bridge port fI received),
# and bytes the fabric delivered to node I (what fI sent). Counted on the
# bridge's side: a veth does not count what a tc program redirects out.
sent_by() { ip netns exec "$CLUSTER_FAB" cat "/sys/class/net/f$1/statistics/rx_bytes"; }
delivered_to() { ip netns exec "$CLUSTER_FAB" cat "/sys/class/net/f$1/statistics/tx_bytes"; }

# Every answer must come from a pod that saw the client's address.
check_client_seen() { # WHAT OUTPUT CLIENT_ADDR
	local bad
	if grep -q FAILED <<<"$2"; then
		fail "$1: $(grep -c FAILED <<<"$2") requests failed"
		return
	fi
	bad=$(awk -v c="$3" '{ a = $2; sub(/:[0-9]+$/, "", a); if (a != c) print }' <<<"$2")
	[[ -z $bad ]] || fail "$1: pods saw another source: $(head -2 <<<"$bad" | tr '\n' ' ')"
}

# --- web-dsr: every node, IPv4 and IPv6, new connections -------------------
for n in 1 2 3; do
	out=$(for i in $(seq 24); do
		ext curl -s -m 2 "http://$(node_ip "$n"):30085/whoami" || echo FAILED
	done)
	nodes=$(grep -o '^n[0-9]' <<<"$out" | sort -u | tr -d '\n')
	[[ $nodes == n1n2n3 ]] || fail "web-dsr via n$n: answers only from '$nodes'"
	check_client_seen "web-dsr via n$n" "$out" "$CLUSTER_EXT_IP4"
	out6=$(for i in $(seq 12); do
		ext curl -s -m 2 "http://[$(node_ip6 "$n")]:30085/whoami" || echo FAILED
	done)
	check_client_seen "web-dsr IPv6 via n$n" "$out6" "[$CLUSTER_EXT_IP6]"
	ok "web-dsr via n$n: pods of $nodes, each saw $CLUSTER_EXT_IP4 (and $CLUSTER_EXT_IP6)"
done

# --- web-dsr: keep-alive, 20 requests on one connection per node -----------
for n in 1 2 3; do
	urls=()
	for ((i = 0; i < 20; i++)); do urls+=("http://$(node_ip "$n"):30085/whoami"); done
	out=$(ext curl -s -m 5 "${urls[@]}" || true)
	lines=$(grep -c . <<<"$out" || true)
	((lines == 20)) || fail "web-dsr keep-alive via n$n: $lines of 20 answers"
	check_client_seen "web-dsr keep-alive via n$n" "$out" "$CLUSTER_EXT_IP4"
	ok "web-dsr keep-alive via n$n: $lines answers from $(head -1 <<<"$out" | cut -d' ' -f1)"
done

# --- one-dsr through node 1: replies skip node 1 ---------------------------
rev1=$(counter 1 nat_rev)
opt1=$(counter 1 dsr_opt_sent)
in2=$(counter 2 dsr_in)
rev2=$(counter 2 nat_rev)
out=$(for i in $(seq 10); do
	ext curl -s -m 2 "http://$(node_ip 1):30086/whoami" || echo FAILED
done)
check_client_seen "one-dsr via n1" "$out" "$CLUSTER_EXT_IP4"
[[ $(cut -d' ' -f1 <<<"$out" | sort -u) == n2p1 ]] || fail "one-dsr via n1: answered by '$(cut -d' ' -f1 <<<"$out" | sort -u | tr '\n' ' ')'"
d_rev1=$(($(counter 1 nat_rev) - rev1))
d_opt1=$(($(counter 1 dsr_opt_sent) - opt1))
d_in2=$(($(counter 2 dsr_in) - in2))
d_rev2=$(($(counter 2 nat_rev) - rev2))
if ((d_rev1 == 0 && d_opt1 == 10 && d_in2 == 10 && d_rev2 >= 30)); then
	ok "one-dsr via n1: 10 SYNs with the option (n1 dsr_opt_sent +$d_opt1), n2 dsr_in +$d_in2, replies translated on n2 (nat_rev +$d_rev2), none on n1"
else
	fail "one-dsr via n1: n1 nat_rev +$d_rev1 dsr_opt_sent +$d_opt1, n2 dsr_in +$d_in2 nat_rev +$d_rev2"
fi
# Whole listings first: grep -q would close the pipe early (pipefail).
list1=$(ctl 1 ct list)
list2=$(ctl 2 ct list)
grep -q " dsr$" <<<"$list1" || fail "node 1 lists no FWD entry marked dsr"
grep -q "$(node_ip 1):30086 .* dsr-in$" <<<"$list2" ||
	fail "node 2 lists no dsr-in entry naming $(node_ip 1):30086"

# A 4 MB answer: through node 2's fabric interface, not node 1's.
size=$((4 << 20))
r1=$(delivered_to 1)
t2=$(sent_by 2)
got=$(ext curl -s -m 10 -o /dev/null -w '%{size_download}' "http://$(node_ip 1):30086/bytes/$size" || echo 0)
d_r1=$(($(delivered_to 1) - r1))
d_t2=$(($(sent_by 2) - t2))
if ((got == size && d_t2 >= size && d_r1 < size / 10)); then
	ok "one-dsr 4 MB answer: node 2 sent $d_t2 bytes on the fabric, node 1 received $d_r1"
else
	fail "one-dsr 4 MB answer: got $got bytes; node 2 sent $d_t2, node 1 received $d_r1"
fi

# IPv6 through node 1.
got=$(ext curl -s -m 2 "http://[$(node_ip6 1)]:30086/whoami" || echo FAILED)
[[ $got == "n2p1 [$CLUSTER_EXT_IP6]:"* ]] && ok "one-dsr IPv6 via n1: '$got'" ||
	fail "one-dsr IPv6 via n1: '$got'"

# --- UDP: datagrams to web-dsr's NodePort 30055 ------------------------------
udp_out=$(ext python3 - "$(node_ip 1)" 30055 <<'EOF'
import socket, sys
addr = (sys.argv[1], int(sys.argv[2]))
names = set()
for i in range(24):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.connect(addr)  # replies from any other source are not delivered
    s.send(b"ping%d" % i)
    try:
        data = s.recv(2048).decode()
        ok = data.endswith(" ping%d" % i)
        names.add(data.split()[0] if ok else "BAD:" + data)
    except socket.timeout:
        names.add("TIMEOUT")
    s.close()
print(" ".join(sorted(names)))
EOF
)
opt1=$(counter 1 dsr_opt_sent)
if [[ $udp_out == *TIMEOUT* || $udp_out == *BAD* ]]; then
	fail "UDP via n1:30055: $udp_out"
elif ! grep -q "n[23]p" <<<"$udp_out"; then
	fail "UDP via n1:30055: no remote pod answered ($udp_out)"
else
	ok "UDP via n1:30055: 24 datagrams answered from the NodePort by $udp_out (dsr_opt_sent $opt1)"
fi

# --- the node-wide mode: web (no annotation) by DSR, then SNAT again -------
ctl 1 config set lb-mode dsr
[[ $(ctl 1 config show | awk '$1 == "lb-mode" {print $2}') == dsr ]] ||
	fail "config show does not say lb-mode dsr"
out=$(for i in $(seq 20); do ext curl -s -m 2 "http://$(node_ip 1):30080/whoami" || echo FAILED; done)
check_client_seen "web via n1, lb-mode dsr" "$out" "$CLUSTER_EXT_IP4"
grep -q "^n[23]p" <<<"$out" || fail "web via n1, lb-mode dsr: no remote pod answered"
ok "lb-mode dsr on n1: web's remote pods see the client"
ctl 1 config set lb-mode snat
out=$(for i in $(seq 20); do ext curl -s -m 2 "http://$(node_ip 1):30080/whoami" || echo FAILED; done)
remote=$(grep "^n[23]p" <<<"$out" || true)
if [[ -n $remote ]] && ! grep -qv " $(node_ip 1):" <<<"$remote"; then
	ok "lb-mode snat on n1: web's remote pods see the node again"
else
	fail "lb-mode snat on n1: remote answers '$(head -3 <<<"$remote" | tr '\n' ' ')'"
fi
ctl 1 config set lb-mode bogus 2>/dev/null && fail "lb-mode bogus accepted"

finish test_dsr
