/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Packet parsing: Ethernet (one 802.1Q/802.1ad tag), IPv4 (options
 * allowed), IPv6 (hop-by-hop, destination options and fragment headers),
 * TCP and UDP, into one small struct pkt.
 *
 * Verdicts (docs/datapath.md): anything that cannot be parsed is passed
 * to the stack unchanged and counted by reason; the stack validates and
 * drops garbage itself.
 */
#ifndef SHUNT_BPF_PARSE_H
#define SHUNT_BPF_PARSE_H

#include "ctx.h"

#define PARSE_OK (-1)

#define ETH_P_8021Q_  0x8100
#define ETH_P_8021AD_ 0x88A8
#define IP_MF_	      0x2000
#define IP_OFFSET_    0x1FFF
#define IPV6_EXT_MAX  4

#define NEXTHDR_HOP_	  0
#define NEXTHDR_ROUTING_  43
#define NEXTHDR_FRAGMENT_ 44
#define NEXTHDR_DEST_	  60

#define TCP_FLAG_FIN_ 0x01
#define TCP_FLAG_SYN_ 0x02
#define TCP_FLAG_RST_ 0x04
#define TCP_FLAG_ACK_ 0x10

enum pkt_frag {
	PKT_FRAG_NONE = 0,
	PKT_FRAG_FIRST = 1, /* offset 0, more fragments follow: has L4 */
	PKT_FRAG_LATER = 2, /* offset > 0: no L4 header */
};

struct pkt {
	union shunt_ip src;
	union shunt_ip dst;
	__be16 sport;
	__be16 dport;
	__u32 frag_id;
	__u16 l3_off;
	__u16 l4_off;
	__u16 l4_len; /* L4 bytes the IP header accounts for */
	__u16 l3_len; /* IP packet length: header(s) and payload */
	__u8 family;
	__u8 proto;
	__u8 frag;	/* enum pkt_frag */
	__u8 tcp_flags; /* TCP_FLAG_* */
	__u8 ttl;	/* TTL or hop limit */
	__u8 vlan;	/* 1: arrived with an 802.1Q tag */
	__u16 dsr_off;	/* offset of a DSR option (dsr.h), or 0 */
	__u16 tcp_win;	/* TCP: the raw window, host order */
	__u32 tcp_seq;	/* TCP: sequence and ACK numbers, host order */
	__u32 tcp_ack;
};

SHUNT_INLINE int parse_eth(ctx_t *ctx, struct pkt *p, __u16 *proto)
{
	struct ethhdr *eth = ctx_ptr(ctx, 0, sizeof(*eth));
	__u16 *inner;

	if (!eth)
		return SHUNT_C_PASS_MALFORMED_L3;
	*proto = bpf_ntohs(eth->h_proto);
	p->l3_off = sizeof(*eth);
#ifdef SHUNT_HOOK_TC
	/* The kernel moved an offloaded or outer tag into skb metadata. */
	if (ctx->vlan_present)
		p->vlan = 1;
#endif
	if (*proto != ETH_P_8021Q_ && *proto != ETH_P_8021AD_)
		return PARSE_OK;

	/* VLAN header: TCI, then the encapsulated protocol. */
	inner = ctx_ptr(ctx, sizeof(*eth) + 2, 2);
	if (!inner)
		return SHUNT_C_PASS_MALFORMED_L3;
	*proto = bpf_ntohs(*inner);
	if (*proto == ETH_P_8021Q_ || *proto == ETH_P_8021AD_)
		return SHUNT_C_PASS_VLAN_STACKED;
	p->l3_off += 4;
	p->vlan = 1;
	return PARSE_OK;
}

SHUNT_INLINE int parse_ipv4(ctx_t *ctx, struct pkt *p)
{
	struct iphdr *ip = ctx_ptr(ctx, p->l3_off, sizeof(*ip));
	__u32 hlen, tot_len;
	__u16 frag;

	if (!ip || ip->version != 4 || ip->ihl < 5)
		return SHUNT_C_PASS_MALFORMED_L3;
	hlen = ip->ihl * 4;
	tot_len = bpf_ntohs(ip->tot_len);
	if (tot_len < hlen || p->l3_off + tot_len > ctx_wire_len(ctx))
		return SHUNT_C_PASS_MALFORMED_L3;

	p->family = SHUNT_V4;
	p->proto = ip->protocol;
	p->ttl = ip->ttl;
	p->src.v4 = ip->saddr;
	p->dst.v4 = ip->daddr;
	p->l4_off = p->l3_off + hlen;
	p->l4_len = tot_len - hlen;
	p->l3_len = tot_len;

	frag = bpf_ntohs(ip->frag_off);
	if (frag & IP_OFFSET_)
		p->frag = PKT_FRAG_LATER;
	else if (frag & IP_MF_)
		p->frag = PKT_FRAG_FIRST;
	p->frag_id = bpf_ntohs(ip->id);
	/* A DSR option is the first one, where dsr.h puts it. */
	if (hlen >= 20 + sizeof(struct shunt_dsr_opt4)) {
		struct shunt_dsr_opt4 *o =
			ctx_ptr(ctx, p->l3_off + 20, sizeof(*o));

		if (o && o->type == SHUNT_DSR_OPT_TYPE && o->len == sizeof(*o))
			p->dsr_off = p->l3_off + 20;
	}
	return PARSE_OK;
}

/* Walk the extension headers shunt understands; stop at TCP/UDP. Every
 * header must lie within the payload that payload_len declares (the
 * bytes behind it, Ethernet padding for one, are not the packet's);
 * headers are read with ctx_load(), so they may reach any offset. */
SHUNT_INLINE int parse_ipv6_ext(ctx_t *ctx, struct pkt *p, __u8 nexthdr,
				__u32 plen)
{
	__u32 start = p->l3_off + sizeof(struct ipv6hdr);
	__u32 off = start;
	int i;

	/* One pass per extension header, plus one for the upper layer. */
#pragma unroll
	for (i = 0; i <= IPV6_EXT_MAX; i++) {
		struct {
			__u8 nexthdr;
			__u8 len; /* in 8-byte units, not counting the first */
		} eh;

		if (off - start > plen)
			return SHUNT_C_PASS_MALFORMED_L3;
		if (nexthdr == IPPROTO_TCP || nexthdr == IPPROTO_UDP) {
			p->proto = nexthdr;
			p->l4_off = off;
			p->l4_len = plen - (off - start);
			return PARSE_OK;
		}
		if (nexthdr == IPPROTO_ICMPV6) {
			/* Not ours, but its errors may be (icmp.h). */
			p->proto = nexthdr;
			p->l4_off = off;
			p->l4_len = plen - (off - start);
			return SHUNT_C_PASS_NOT_L4;
		}
		if (nexthdr != NEXTHDR_HOP_ && nexthdr != NEXTHDR_DEST_ &&
		    nexthdr != NEXTHDR_FRAGMENT_) {
			/* ICMPv6 and other upper layers are not ours; routing
			 * headers may change the destination, ESP/AH hide the
			 * ports. */
			return nexthdr == NEXTHDR_ROUTING_ || nexthdr == 50 ||
					       nexthdr == 51
				       ? SHUNT_C_PASS_V6_EXT
				       : SHUNT_C_PASS_NOT_L4;
		}
		/* Every extension header is at least 8 bytes long. */
		if (off - start + 8 > plen)
			return SHUNT_C_PASS_MALFORMED_L3;
		if (nexthdr == NEXTHDR_FRAGMENT_) {
			struct {
				__u8 nexthdr;
				__u8 reserved;
				__be16 frag_off;
				__be32 id;
			} fh;
			__u16 fo;

			if (ctx_load(ctx, off, fh))
				return SHUNT_C_PASS_MALFORMED_L3;
			fo = bpf_ntohs(fh.frag_off);
			p->frag_id = bpf_ntohl(fh.id);
			if (fo & ~7U) {
				/* Later fragment: no upper-layer header. */
				p->frag = PKT_FRAG_LATER;
				p->proto = fh.nexthdr;
				return PARSE_OK;
			}
			if (fo & 1)
				p->frag = PKT_FRAG_FIRST;
			nexthdr = fh.nexthdr;
			off += 8;
			continue;
		}
		if (ctx_load(ctx, off, eh))
			return SHUNT_C_PASS_MALFORMED_L3;
		/* A DSR option heads the first header, where dsr.h puts it. */
		if (off == start && nexthdr == NEXTHDR_DEST_ && eh.len == 2) {
			struct {
				__u8 type, len;
			} o;

			if (!ctx_load(ctx, off + 2, o) &&
			    o.type == SHUNT_DSR_OPT_TYPE && o.len == 18)
				p->dsr_off = off;
		}
		nexthdr = eh.nexthdr;
		off += (eh.len + 1) * 8;
	}
	return SHUNT_C_PASS_V6_EXT;
}

SHUNT_INLINE int parse_ipv6(ctx_t *ctx, struct pkt *p)
{
	struct ipv6hdr *ip6 = ctx_ptr(ctx, p->l3_off, sizeof(*ip6));
	__u32 plen;

	if (!ip6 || ip6->version != 6)
		return SHUNT_C_PASS_MALFORMED_L3;
	plen = bpf_ntohs(ip6->payload_len);
	/* payload_len 0 is a jumbogram: not ours. */
	if (!plen || p->l3_off + sizeof(*ip6) + plen > ctx_wire_len(ctx))
		return SHUNT_C_PASS_MALFORMED_L3;

	p->family = SHUNT_V6;
	p->ttl = ip6->hop_limit;
	p->l3_len = sizeof(*ip6) + plen;
	__builtin_memcpy(&p->src, &ip6->saddr, 16);
	__builtin_memcpy(&p->dst, &ip6->daddr, 16);
	return parse_ipv6_ext(ctx, p, ip6->nexthdr, plen);
}

/* The upper-layer header may lie beyond CTX_MAX_HDR_OFF (behind IPv6
 * extension headers) or outside the first buffer: ctx_load() reads it
 * wherever it is, and nat.h writes it back the same way. */
SHUNT_INLINE int parse_l4(ctx_t *ctx, struct pkt *p)
{
	if (p->proto == IPPROTO_TCP) {
		struct tcphdr th;

		if (ctx_load(ctx, p->l4_off, th) || th.doff < 5 ||
		    th.doff * 4 > p->l4_len)
			return SHUNT_C_PASS_MALFORMED_L4;
		p->sport = th.source;
		p->dport = th.dest;
		p->tcp_flags = ((__u8 *)&th)[13];
		p->tcp_seq = bpf_ntohl(th.seq);
		p->tcp_ack = bpf_ntohl(th.ack_seq);
		p->tcp_win = bpf_ntohs(th.window);
		return PARSE_OK;
	}
	if (p->proto == IPPROTO_UDP) {
		struct udphdr uh;
		__u32 ulen;

		if (p->l4_len < sizeof(uh) || ctx_load(ctx, p->l4_off, uh))
			return SHUNT_C_PASS_MALFORMED_L4;
		/* A first fragment's length covers the whole datagram. */
		ulen = bpf_ntohs(uh.len);
		if (ulen < sizeof(uh) ||
		    (p->frag == PKT_FRAG_NONE && ulen > p->l4_len))
			return SHUNT_C_PASS_MALFORMED_L4;
		p->sport = uh.source;
		p->dport = uh.dest;
		return PARSE_OK;
	}
	return SHUNT_C_PASS_NOT_L4;
}

/* Fill p from the packet. PARSE_OK, or the counter naming why the
 * packet is passed to the stack untouched. Later fragments leave the
 * ports zero: the caller finds them in frag_map. */
SHUNT_GLOBAL int parse_packet(ctx_t *ctx, struct pkt *p)
{
	__u16 proto;
	int rc;

	if (!p)
		return SHUNT_C_PASS_MALFORMED_L3;
	rc = parse_eth(ctx, p, &proto);
	if (rc != PARSE_OK)
		return rc;
	if (proto == ETH_P_IP)
		rc = parse_ipv4(ctx, p);
	else if (proto == ETH_P_IPV6)
		rc = parse_ipv6(ctx, p);
	else
		return SHUNT_C_PASS_NOT_IP;
	if (rc != PARSE_OK)
		return rc;
	if (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP)
		return SHUNT_C_PASS_NOT_L4;
	if (p->frag == PKT_FRAG_LATER)
		return PARSE_OK;
	return parse_l4(ctx, p);
}

#endif /* SHUNT_BPF_PARSE_H */
