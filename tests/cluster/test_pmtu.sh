#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Path MTU through VIPs in the cluster lab (tests/lib/cluster.sh), with
# real packet sizes: segmentation offloads off everywhere, the fabric at
# MTU 1400 (pods and the client's link stay at 1500), and the router's
# route to the client at MTU 1300, so that:
#   - a pod's 1500-byte reply is too big for its node's fabric interface:
#     shunt answers the pod with Fragmentation Needed / Packet Too Big
#     quoting the reply as the pod sent it (icmp_too_big_sent), on node 1
#     for its own pods and on node 2 for DSR replies;
#   - a 1400-byte reply from the VIP is too big for the router's route to
#     the client: the router's error goes to the VIP's node, which turns
#     it into the error about the pod's own packet and sends it on to the
#     pod, on whichever node (icmp_err_translated);
#   - a pod's upload to a ClusterIP served on another node is too big
#     for the fabric: answered before translation.
# Every download and upload (2 MB, IPv4 and IPv6, local pod, SNAT and DSR
# to node 2's pod) must complete. Without the translation the pods would
# keep sending segments nobody forwards.
# shellcheck source=tests/cluster/lib.sh
. "$(dirname "$0")/lib.sh"

SIZE=$((2 << 20))
ext() { ip netns exec "$CLUSTER_EXT" "$@"; }

# Offloads off: a veth would carry 64 KB GSO packets past any MTU.
for ns in $(ip netns list | awk '{print $1}' | grep "^$P"); do
	for dev in $(ip -n "$ns" -o link | awk -F': ' '{print $2}' | cut -d@ -f1); do
		[[ $dev == lo ]] || ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off >/dev/null 2>&1 || true
	done
done
for dev in br0 f1 f2 f3 frtr; do ip -n "$CLUSTER_FAB" link set "$dev" mtu 1400; done
for i in 1 2 3; do ip -n "$(eval echo "\$CLUSTER_N$i")" link set eth0 mtu 1400; done
ip -n "$CLUSTER_RTR" link set eth0 mtu 1400
ip -n "$CLUSTER_RTR" route replace 203.0.113.0/24 dev eth1 mtu 1300
ip -n "$CLUSTER_RTR" -6 route replace 2001:db8:113::/64 dev eth1 mtu 1300

# Forget the path MTUs learnt so far, everywhere: each transfer starts
# at 1500 (a client that learnt 1400 from an upload advertises a smaller
# MSS, and the pods' replies would then fit the fabric).
forget_pmtu() {
	local ns
	for ns in $(ip netns list | awk '{print $1}' | grep "^$P"); do
		ip -n "$ns" route flush cache 2>/dev/null || true
		ip -n "$ns" -6 route flush cache 2>/dev/null || true
	done
}

download() { # NS URL WHAT
	local got
	forget_pmtu
	got=$(ip netns exec "$1" curl -s -m 10 -o /dev/null -w '%{size_download} %{http_code}' "$2" || echo "FAILED")
	[[ $got == "$SIZE 200" ]] && ok "$3: $SIZE bytes down" || fail "$3: download got '$got'"
}

upload() { # NS URL WHAT
	local got
	forget_pmtu
	got=$(head -c "$SIZE" /dev/zero | ip netns exec "$1" curl -s -m 10 --data-binary @- "$2" || echo "FAILED")
	[[ $got == *" $SIZE" ]] && ok "$3: $SIZE bytes up to ${got% *}" || fail "$3: upload got '$got'"
}

big1=$(counter 1 icmp_too_big_sent)
big2=$(counter 2 icmp_too_big_sent)
tr1=$(counter 1 icmp_err_translated)

for port in 30080 30082 30086; do
	case $port in
	30080) what="web (local pods or SNAT)" ;;
	30082) what="one (SNAT to n2p1)" ;;
	30086) what="one-dsr (DSR to n2p1)" ;;
	esac
	download "$CLUSTER_EXT" "http://$CLUSTER_N1_IP4:$port/bytes/$SIZE" "$what via n1"
	download "$CLUSTER_EXT" "http://[$CLUSTER_N1_IP6]:$port/bytes/$SIZE" "$what via n1, IPv6"
	upload "$CLUSTER_EXT" "http://$CLUSTER_N1_IP4:$port/upload" "$what via n1"
	upload "$CLUSTER_EXT" "http://[$CLUSTER_N1_IP6]:$port/upload" "$what via n1, IPv6"
done
# n1p1 -> ClusterIP of "one" (n2p1), both ways, both families.
download "$CLUSTER_N1P1" "http://10.96.1.12/bytes/$SIZE" "n1p1 -> one's ClusterIP"
upload "$CLUSTER_N1P1" "http://10.96.1.12/upload" "n1p1 -> one's ClusterIP"
download "$CLUSTER_N1P1" "http://[fd00:96::1:12]/bytes/$SIZE" "n1p1 -> one's ClusterIP, IPv6"
upload "$CLUSTER_N1P1" "http://[fd00:96::1:12]/upload" "n1p1 -> one's ClusterIP, IPv6"

d_big1=$(($(counter 1 icmp_too_big_sent) - big1))
d_big2=$(($(counter 2 icmp_too_big_sent) - big2))
d_tr1=$(($(counter 1 icmp_err_translated) - tr1))
if ((d_big1 > 0 && d_big2 > 0 && d_tr1 > 0)); then
	ok "errors: too big answered on n1 ($d_big1) and n2 ($d_big2), router's errors translated on n1 ($d_tr1)"
else
	fail "errors: icmp_too_big_sent n1 +$d_big1 n2 +$d_big2, icmp_err_translated n1 +$d_tr1"
fi

finish test_pmtu
