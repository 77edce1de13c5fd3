#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The same N services with M backends each, written three ways:
#
#   gen-rules.sh shunt    N M   a services file for `shuntctl apply -f`
#   gen-rules.sh iptables N M   an iptables-restore file in the shape
#                               kube-proxy's iptables mode writes
#   gen-rules.sh nft      N M   an `nft -f` file in the shape kube-proxy's
#                               nftables mode writes
#
#   gen-rules.sh KIND N M nodeport
#                               the same, each service also a NodePort
#                               (20000+i on the node's addresses; shunt:
#                               node_port; iptables: KUBE-NODEPORTS ->
#                               KUBE-EXT -> KUBE-SVC; nft: the
#                               service-nodeports map on @nodeport-ips)
#
# and what kube-proxy writes for one endpoint change of service 0 once
# the above is loaded (its partial sync):
#
#   gen-rules.sh iptables-epadd N M [nodeport]   an endpoint added (M+1):
#   gen-rules.sh iptables-epdel N M [nodeport]   and removed again (M);
#                               for `iptables-restore --noflush`: the
#                               top-level chains (KUBE-SERVICES,
#                               KUBE-NODEPORTS, ...) rewritten whole, as
#                               iptables-restore can only replace a chain,
#                               plus the changed service's chains, and
#                               "-X" for the endpoint chain that went
#   gen-rules.sh nft-epadd N M [nodeport]        the same as an nft
#   gen-rules.sh nft-epdel N M [nodeport]        transaction: the new
#                               endpoint chain, the service chain
#                               flushed and rewritten (or the endpoint
#                               chain deleted)
#
# on stdout. Service i (0..N-2) is 10.97.0.0+i+1:80/tcp; its backends are
# distinct addresses counted up from 10.128.0.1, port 8080 (nothing answers
# there: they only have to be programmed). The last service is the one the
# benchmarks talk to: 10.96.0.10:80/tcp, first backend 10.200.11.2:8080
# (shunt-httpd in the topology's be1), further backends filler addresses.
#
# iptables: nat KUBE-SERVICES holds one rule per service, in order, with
# the measured service last (a linear list: the worst case of the list;
# a service in the middle walks half of it), each jumping to a KUBE-SVC
# chain (masquerade mark for sources outside the cluster CIDR, then one
# "statistic --mode random --probability 1/(M-k)" rule per endpoint) and
# per endpoint a KUBE-SEP chain (hairpin masquerade mark, DNAT); the
# KUBE-NODEPORTS jump last; POSTROUTING masquerades marked packets; the
# filter table's FORWARD drops ctstate INVALID and accepts marked and
# established traffic, as kube-proxy's KUBE-FORWARD does. The client of
# the topology (10.200.1.2) is inside the cluster CIDR 10.200.0.0/16, like
# a pod: no masquerade, the same work shunt does (DNAT only).
#
# nft: one table "ip kube-proxy": a verdict map service-ips (daddr .
# l4proto . dport) jumps to a service chain (masquerade mark, then
# "numgen random mod M vmap"), one endpoint chain per backend (hairpin
# mark, dnat), prerouting/output/postrouting nat chains and a forward
# filter chain, as kube-proxy's nftables mode (1.31+) writes them.
set -euo pipefail

[[ ($# -eq 3 || ($# -eq 4 && $4 == nodeport)) && $2 =~ ^[0-9]+$ && $3 =~ ^[0-9]+$ &&
	$2 -ge 1 && $3 -ge 1 && $2 -le 40000 ]] ||
	{ echo "usage: gen-rules.sh shunt|iptables|nft|iptables-epadd|iptables-epdel|nft-epadd|nft-epdel N M [nodeport]" >&2; exit 2; }

awk -v kind="$1" -v n="$2" -v m="$3" -v np="$([[ ${4:-} == nodeport ]] && echo 1 || echo 0)" '
function ip(x) { return sprintf("%d.%d.%d.%d", int(x / 16777216) % 256,
	int(x / 65536) % 256, int(x / 256) % 256, x % 256) }
# service i: VIP, backend k of it
function vip(i) { return i == n - 1 ? "10.96.0.10" : ip(10 * 16777216 + 97 * 65536 + i + 1) }
function be(i, k) {
	if (i == n - 1 && k == 0) return "10.200.11.2"
	return ip(10 * 16777216 + 128 * 65536 + i * m + k + 1)
}
function svcname(i) { return sprintf("KUBE-SVC-S%015d", i) }
function sepname(i, k) { return sprintf("KUBE-SEP-E%015d", i * m + k) }
function extname(i) { return sprintf("KUBE-EXT-X%015d", i) }
function nodeport(i) { return 20000 + i }
# The endpoint an endpoint change adds to service 0.
function newbe() { return "10.255.0.1" }
function newsep() { return sprintf("KUBE-SEP-N%015d", 0) }

function gen_shunt(   i, k) {
	print "services:"
	for (i = 0; i < n; i++) {
		printf "  - name: svc%d\n    vip: %s\n    port: 80\n    protocol: tcp\n", i, vip(i)
		if (np)
			printf "    node_port: %d\n", nodeport(i)
		print "    backends:"
		for (k = 0; k < m; k++)
			printf "      - address: %s\n        port: 8080\n", be(i, k)
	}
}

# Endpoint k of service i (of mm): address and chain (k == m: the new one).
function epaddr(i, k) { return k < m ? be(i, k) : newbe() }
function epchain(i, k) { return k < m ? sepname(i, k) : newsep() }

# The nat chains kube-proxy declares for service i with mm endpoints.
function ipt_svc_chains(i, mm,   k) {
	print ":" svcname(i) " - [0:0]"
	if (np)
		print ":" extname(i) " - [0:0]"
	for (k = 0; k < mm; k++)
		print ":" epchain(i, k) " - [0:0]"
}

# Their rules.
function ipt_svc_rules(i, mm,   k) {
	if (np) {
		printf "-A %s -m comment --comment \"masquerade traffic for bench/svc%d:http external destinations\" -j KUBE-MARK-MASQ\n", extname(i), i
		printf "-A %s -j %s\n", extname(i), svcname(i)
	}
	printf "-A %s ! -s 10.200.0.0/16 -d %s/32 -p tcp -m comment --comment \"bench/svc%d:http cluster IP\" -m tcp --dport 80 -j KUBE-MARK-MASQ\n", svcname(i), vip(i), i
	for (k = 0; k < mm; k++) {
		if (k < mm - 1)
			printf "-A %s -m comment --comment \"bench/svc%d:http -> %s:8080\" -m statistic --mode random --probability %.10f -j %s\n", svcname(i), i, epaddr(i, k), 1 / (mm - k), epchain(i, k)
		else
			printf "-A %s -m comment --comment \"bench/svc%d:http -> %s:8080\" -j %s\n", svcname(i), i, epaddr(i, k), epchain(i, k)
		printf "-A %s -s %s/32 -m comment --comment \"bench/svc%d:http\" -j KUBE-MARK-MASQ\n", epchain(i, k), epaddr(i, k), i
		printf "-A %s -p tcp -m comment --comment \"bench/svc%d:http\" -m tcp -j DNAT --to-destination %s:8080\n", epchain(i, k), i, epaddr(i, k)
	}
}

# The top-level nat chains, whole: every sync writes them.
function ipt_top_chains() {
	print ":KUBE-SERVICES - [0:0]"
	print ":KUBE-NODEPORTS - [0:0]"
	print ":KUBE-POSTROUTING - [0:0]"
	print ":KUBE-MARK-MASQ - [0:0]"
}

function ipt_top_rules(   i) {
	print "-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000"
	print "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN"
	print "-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000"
	print "-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully"
	for (i = 0; i < n; i++)
		printf "-A KUBE-SERVICES -d %s/32 -p tcp -m comment --comment \"bench/svc%d:http cluster IP\" -m tcp --dport 80 -j %s\n", vip(i), i, svcname(i)
	print "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS"
	for (i = 0; np && i < n; i++)
		printf "-A KUBE-NODEPORTS -p tcp -m comment --comment \"bench/svc%d:http\" -m tcp --dport %d -j %s\n", i, nodeport(i), extname(i)
}

function ipt_filter(builtin) {
	print "*filter"
	if (builtin) {
		print ":INPUT ACCEPT [0:0]"
		print ":FORWARD ACCEPT [0:0]"
		print ":OUTPUT ACCEPT [0:0]"
	}
	print ":KUBE-FORWARD - [0:0]"
	if (builtin)
		print "-A FORWARD -m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD"
	print "-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP"
	print "-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding rules\" -m mark --mark 0x4000/0x4000 -j ACCEPT"
	print "-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
	print "COMMIT"
}

function gen_iptables(   i) {
	print "*nat"
	print ":PREROUTING ACCEPT [0:0]"
	print ":INPUT ACCEPT [0:0]"
	print ":OUTPUT ACCEPT [0:0]"
	print ":POSTROUTING ACCEPT [0:0]"
	ipt_top_chains()
	for (i = 0; i < n; i++)
		ipt_svc_chains(i, m)
	print "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"
	print "-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"
	print "-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING"
	ipt_top_rules()
	for (i = 0; i < n; i++)
		ipt_svc_rules(i, m)
	print "COMMIT"
	ipt_filter(1)
}

# Service 0 with one endpoint more (add) or back to m (del).
function gen_iptables_change(add,   mm) {
	mm = add ? m + 1 : m
	print "*nat"
	ipt_top_chains()
	ipt_svc_chains(0, mm)
	if (!add) # flushed, then deleted, as kube-proxy does
		print ":" newsep() " - [0:0]"
	ipt_top_rules()
	ipt_svc_rules(0, mm)
	if (!add)
		print "-X " newsep()
	print "COMMIT"
	ipt_filter(0)
}

function nft_svcchain(i) { return sprintf("service-%d-bench/svc%d/tcp/http", i, i) }
function nft_epchain(i, k) { return k < m ? sprintf("endpoint-%d-%d", i, k) : "endpoint-0-new" }

# The chain body of service i with mm endpoints: lines, each prefixed by pfx.
function nft_svc_rules(i, mm, pfx,   k, sep) {
	printf "%sip daddr %s tcp dport 80 ip saddr != 10.200.0.0/16 jump mark-for-masquerade\n", pfx, vip(i)
	printf "%snumgen random mod %d vmap {", pfx, mm
	sep = " "
	for (k = 0; k < mm; k++) {
		printf "%s%d : goto %s", sep, k, nft_epchain(i, k)
		sep = ", "
	}
	print " }"
}

function gen_nft(   i, k, sep) {
	print "table ip kube-proxy {"
	print "\tchain mark-for-masquerade {"
	print "\t\tmeta mark set meta mark | 0x4000"
	print "\t}"
	print "\tchain masquerading {"
	print "\t\tmeta mark & 0x4000 == 0 return"
	print "\t\tmeta mark set meta mark ^ 0x4000"
	print "\t\tmasquerade fully-random"
	print "\t}"
	print "\tchain filter-forward {"
	print "\t\ttype filter hook forward priority -110; policy accept;"
	print "\t\tct state invalid drop"
	print "\t}"
	print "\tchain nat-prerouting {"
	print "\t\ttype nat hook prerouting priority -100; policy accept;"
	print "\t\tjump services"
	print "\t}"
	print "\tchain nat-output {"
	print "\t\ttype nat hook output priority -100; policy accept;"
	print "\t\tjump services"
	print "\t}"
	print "\tchain nat-postrouting {"
	print "\t\ttype nat hook postrouting priority 100; policy accept;"
	print "\t\tjump masquerading"
	print "\t}"
	if (!np) {
		print "\tchain nodeports {"
		print "\t}"
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < m; k++) {
			printf "\tchain %s {\n", nft_epchain(i, k)
			printf "\t\tip saddr %s jump mark-for-masquerade\n", be(i, k)
			printf "\t\tmeta l4proto tcp dnat to %s:8080\n", be(i, k)
			print "\t}"
		}
		printf "\tchain %s {\n", nft_svcchain(i)
		nft_svc_rules(i, m, "\t\t")
		print "\t}"
		if (np) {
			printf "\tchain external-%d-bench/svc%d/tcp/http {\n", i, i
			print "\t\tjump mark-for-masquerade"
			printf "\t\tgoto %s\n", nft_svcchain(i)
			print "\t}"
		}
	}
	print "\tmap service-ips {"
	print "\t\ttype ipv4_addr . inet_proto . inet_service : verdict"
	printf "\t\telements = {"
	sep = " "
	for (i = 0; i < n; i++) {
		printf "%s%s . tcp . 80 : goto %s", sep, vip(i), nft_svcchain(i)
		sep = ",\n\t\t\t"
	}
	print " }"
	print "\t}"
	if (np) {
		# The two addresses of the node of bench/cp-bench.sh.
		print "\tset nodeport-ips {"
		print "\t\ttype ipv4_addr"
		print "\t\telements = { 192.168.90.1, 192.168.91.1 }"
		print "\t}"
		print "\tmap service-nodeports {"
		print "\t\ttype inet_proto . inet_service : verdict"
		printf "\t\telements = {"
		sep = " "
		for (i = 0; i < n; i++) {
			printf "%stcp . %d : goto external-%d-bench/svc%d/tcp/http", sep, nodeport(i), i, i
			sep = ",\n\t\t\t"
		}
		print " }"
		print "\t}"
	}
	print "\tchain services {"
	print "\t\tip daddr . meta l4proto . th dport vmap @service-ips"
	if (np)
		print "\t\tip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports"
	else
		print "\t\tfib daddr type local ip daddr != 127.0.0.0/8 jump nodeports"
	print "\t}"
	print "}"
}

# Service 0 with one endpoint more (add) or back to m (del), one
# transaction.
function gen_nft_change(add,   c) {
	c = "ip kube-proxy " nft_epchain(0, m)
	if (add) {
		print "add chain " c
		printf "add rule %s ip saddr %s jump mark-for-masquerade\n", c, newbe()
		printf "add rule %s meta l4proto tcp dnat to %s:8080\n", c, newbe()
	}
	print "flush chain ip kube-proxy " nft_svcchain(0)
	nft_svc_rules(0, add ? m + 1 : m, "add rule ip kube-proxy " nft_svcchain(0) " ")
	if (!add)
		print "delete chain " c
}

BEGIN {
	if (kind == "shunt") gen_shunt()
	else if (kind == "iptables") gen_iptables()
	else if (kind == "nft") gen_nft()
	else if (kind == "iptables-epadd") gen_iptables_change(1)
	else if (kind == "iptables-epdel") gen_iptables_change(0)
	else if (kind == "nft-epadd") gen_nft_change(1)
	else if (kind == "nft-epdel") gen_nft_change(0)
	else { print "gen-rules.sh: unknown kind " kind > "/dev/stderr"; exit 2 }
}'
