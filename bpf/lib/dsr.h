/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * DSR (direct server return): external traffic under a Cluster policy to
 * a backend on another node, when config_map's lb_mode or the frontend's
 * SHUNT_FE_F_MODE_* says so, instead of SNAT (snat.h):
 *   - the node that balanced rewrites the destination only and tells the
 *     backend's node which frontend the flow was sent to, in a DSR option
 *     (abi.h) on the packets that can open a flow there: a TCP SYN, every
 *     UDP datagram. Its flow has a FWD entry only (SHUNT_CT_F_DSR): no
 *     reply comes back through it;
 *   - the backend's node sees the option on a packet to one of its pods
 *     and writes a REV entry (SHUNT_CT_F_DSR_IN) that gives the pod's
 *     replies that frontend as source; they leave for the client from
 *     there. The pod sees the client's address.
 * An IP option (IPv6: a destination option), not IP-in-IP: the packet
 * stays routable as it is, to the pod's address, with no tunnel device
 * or decapsulation on the backend's node, and the option rides on a TCP
 * flow's SYN only, so full-sized segments carry no extra bytes; UDP pays
 * 8 (IPv4) or 24 (IPv6) bytes per datagram. Fabrics that drop IP options
 * (some clouds) need SNAT.
 */
#ifndef SHUNT_BPF_DSR_H
#define SHUNT_BPF_DSR_H

#include "csum.h"
#include "ct.h"
#include "ctx.h"
#include "maps.h"
#include "parse.h"
#include "stats.h"

/* Is a new flow of frontend fe to backend be sent by DSR? */
SHUNT_INLINE bool dsr_wanted(const struct shunt_frontend *fe,
			     const struct shunt_backend *be)
{
	const struct shunt_config *cfg;
	__u32 key = 0;

	if (!(fe->flags & SHUNT_FE_F_EXTERNAL) ||
	    (fe->flags & SHUNT_FE_F_LOCAL) || !(be->flags & SHUNT_BE_F_REMOTE))
		return false;
	if (fe->flags & (SHUNT_FE_F_MODE_DSR | SHUNT_FE_F_MODE_SNAT))
		return fe->flags & SHUNT_FE_F_MODE_DSR;
	cfg = bpf_map_lookup_elem(&config_map, &key);
	return cfg && cfg->lb_mode == SHUNT_LB_MODE_DSR;
}

/* A new DSR flow: its FWD entry only. */
SHUNT_INLINE int dsr_flow_create(const struct pkt *p,
				 const struct shunt_ct_key *fwd, __u32 svc_id,
				 __u32 backend_id,
				 const struct shunt_backend *be, __u32 now)
{
	struct shunt_ct_entry e;

	ct_entry_init(&e, p, svc_id, backend_id, now);
	e.flags |= SHUNT_CT_F_DSR;
	e.nat_addr = be->addr;
	e.nat_port = be->port;
	count(SHUNT_C_DSR_NEW);
	return bpf_map_update_elem(&ct_map, fwd, &e, BPF_ANY);
}

/* Does this packet of a DSR flow carry the option? The ones that may
 * find no entry on the backend's node: a SYN, a UDP datagram (its first
 * fragment). */
SHUNT_INLINE bool dsr_needs_opt(const struct pkt *p)
{
	if (p->proto == IPPROTO_UDP)
		return p->frag != PKT_FRAG_LATER;
	return (p->tcp_flags & (TCP_FLAG_SYN_ | TCP_FLAG_ACK_)) ==
	       TCP_FLAG_SYN_;
}

#ifdef SHUNT_HOOK_TC
/* len zero bytes between the fixed IP header and what follows it. */
SHUNT_GLOBAL int dsr_make_room(ctx_t *ctx, const struct pkt *p, __u64 len)
{
	if (!p)
		return -1;
	return bpf_skb_adjust_room(ctx, len, BPF_ADJ_ROOM_NET, 0) ? -1 : 0;
}

/* IPv4: the header checksum absorbs the change, skb->csum stays;
 * IPv6 has none: skb->csum follows the bytes (recompute). */
SHUNT_INLINE int dsr_store(ctx_t *ctx, __u32 off, const void *buf, __u32 len,
			   bool recompute)
{
	return bpf_skb_store_bytes(ctx, off, buf, len,
				   recompute ? BPF_F_RECOMPUTE_CSUM : 0)
		       ? -1
		       : 0;
}

/* Take len bytes out between the fixed IP header and what follows. */
SHUNT_GLOBAL int dsr_cut_room(ctx_t *ctx, const struct pkt *p, __u64 len)
{
	if (!p)
		return -1;
	return bpf_skb_adjust_room(ctx, -(__s32)len, BPF_ADJ_ROOM_NET, 0) ? -1
									  : 0;
}

SHUNT_INLINE int dsr_ip_csum(ctx_t *ctx, const struct pkt *p, __s64 diff)
{
	return bpf_l3_csum_replace(ctx,
				   p->l3_off + offsetof(struct iphdr, check), 0,
				   diff, 0)
		       ? -1
		       : 0;
}
#else
SHUNT_GLOBAL int dsr_make_room(ctx_t *ctx, const struct pkt *p, __u64 len)
{
	__u8 buf[64] = {};
	__u32 l2, n;

	if (!p || !len || len > sizeof(buf))
		return -1;
	l2 = p->vlan ? ETH_HLEN + 4 : ETH_HLEN;
	n = p->family == SHUNT_V4 ? l2 + sizeof(struct iphdr)
				  : l2 + sizeof(struct ipv6hdr);

	/* Grow at the front, then move Ethernet (and its tag) and the
	 * fixed IP header back to the start. */
	if (p->l3_off != l2 || bpf_xdp_adjust_head(ctx, -(int)len) ||
	    bpf_xdp_load_bytes(ctx, len, buf, n) ||
	    bpf_xdp_store_bytes(ctx, 0, buf, n))
		return -1;
	__builtin_memset(buf, 0, sizeof(buf));
	return bpf_xdp_store_bytes(ctx, n, buf, len) ? -1 : 0;
}

SHUNT_GLOBAL int dsr_cut_room(ctx_t *ctx, const struct pkt *p, __u64 len)
{
	__u8 buf[64] = {};
	__u32 l2, n;

	if (!p || !len || len > sizeof(buf))
		return -1;
	l2 = p->vlan ? ETH_HLEN + 4 : ETH_HLEN;
	n = p->family == SHUNT_V4 ? l2 + sizeof(struct iphdr)
				  : l2 + sizeof(struct ipv6hdr);

	/* Move Ethernet and the fixed IP header over the bytes to go. */
	if (p->l3_off != l2 || bpf_xdp_load_bytes(ctx, 0, buf, n) ||
	    bpf_xdp_store_bytes(ctx, len, buf, n) ||
	    bpf_xdp_adjust_head(ctx, (int)len))
		return -1;
	return 0;
}

SHUNT_INLINE int dsr_store(ctx_t *ctx, __u32 off, const void *buf, __u32 len,
			   bool recompute)
{
	(void)recompute;
	return bpf_xdp_store_bytes(ctx, off, (void *)buf, len) ? -1 : 0;
}

SHUNT_INLINE int dsr_ip_csum(ctx_t *ctx, const struct pkt *p, __s64 diff)
{
	struct iphdr *ip = ctx_ptr(ctx, p->l3_off, sizeof(*ip));

	if (!ip)
		return -1;
	ip->check = csum_apply(ip->check, (__u32)diff);
	return 0;
}
#endif

/* IPv4: the option after the fixed header; ihl, tot_len and the header
 * checksum follow. */
SHUNT_INLINE int dsr_encode4(ctx_t *ctx, struct pkt *p,
			     const union shunt_ip *vip, __be16 vport)
{
	struct {
		__u8 ver_ihl, tos;
		__be16 tot_len;
		struct shunt_dsr_opt4 opt;
	} now;
	__be32 was;
	__s64 diff;

	if (ctx_load(ctx, p->l3_off, was))
		return -1;
	__builtin_memcpy(&now, &was, 4);
	/* Ahead of any options already there, if they leave room. */
	if ((now.ver_ihl & 0xf) + sizeof(now.opt) / 4 > 15 ||
	    dsr_make_room(ctx, p, sizeof(now.opt)))
		return -1;
	now.ver_ihl += sizeof(now.opt) / 4;
	now.tot_len = bpf_htons(bpf_ntohs(now.tot_len) + sizeof(now.opt));
	now.opt.type = SHUNT_DSR_OPT_TYPE;
	now.opt.len = sizeof(now.opt);
	now.opt.port = vport;
	now.opt.addr = vip->v4;
	diff = bpf_csum_diff(&was, 4, (__be32 *)&now, sizeof(now), 0);
	if (diff < 0 || dsr_store(ctx, p->l3_off, &now, 4, false) ||
	    dsr_store(ctx, p->l3_off + 20, &now.opt, sizeof(now.opt), false) ||
	    dsr_ip_csum(ctx, p, diff))
		return -1;
	return sizeof(now.opt);
}

/* IPv6: a Destination Options header right after the fixed header. */
SHUNT_INLINE int dsr_encode6(ctx_t *ctx, struct pkt *p,
			     const union shunt_ip *vip, __be16 vport)
{
	struct {
		__be16 payload_len;
		__u8 nexthdr, hop_limit;
	} fix;
	struct shunt_dsr_opt6 opt = {
		.hdrlen = 2,
		.type = SHUNT_DSR_OPT_TYPE,
		.len = 18,
		.padn = {1, 0},
	};
	__u32 off = p->l3_off + 4;

	/* Right after the fixed header: only a hop-by-hop header must
	 * stay first. */
	if (ctx_load(ctx, off, fix) || fix.nexthdr == NEXTHDR_HOP_ ||
	    dsr_make_room(ctx, p, sizeof(opt)))
		return -1;
	opt.nexthdr = fix.nexthdr;
	opt.port = vport;
	__builtin_memcpy(opt.addr, vip, 16);
	fix.nexthdr = NEXTHDR_DEST_;
	fix.payload_len = bpf_htons(bpf_ntohs(fix.payload_len) + sizeof(opt));
	if (dsr_store(ctx, p->l3_off + 40, &opt, sizeof(opt), true) ||
	    dsr_store(ctx, off, &fix, sizeof(fix), true))
		return -1;
	return sizeof(opt);
}

/* Add the DSR option naming vip:vport (the frontend, before NAT) to a
 * translated packet, first after the fixed IP header, where the other
 * side's parser looks; p follows the headers that moved. The bytes the
 * packet grew by, or -1 when it is to be dropped (counted). */
SHUNT_GLOBAL int dsr_encode(ctx_t *ctx, struct pkt *p,
			    const union shunt_ip *vip, __be16 vport)
{
	int len;

	if (!p || !vip)
		return -1;

	len = p->family == SHUNT_V4 ? dsr_encode4(ctx, p, vip, vport)
				    : dsr_encode6(ctx, p, vip, vport);
	if (len < 0) {
		count(SHUNT_C_DROP_DSR_ENCAP);
		return -1;
	}
	p->l4_off += len;
	p->l3_len += len;
	count(SHUNT_C_DSR_OPT_SENT);
	return len;
}

/* The backend's node: take the option off again, so the pod gets the
 * client's packet as it was sent (but for the destination). IPv4: the
 * header written with skb->csum following (the option's bytes leave it
 * when they are cut). */
SHUNT_INLINE int dsr_strip4(ctx_t *ctx, const struct pkt *p)
{
	struct {
		struct iphdr ip;
		struct shunt_dsr_opt4 opt;
	} was;
	struct iphdr ip;
	__s64 sum;

	/* The fixed header rewritten whole: ihl, tot_len, checksum. With
	 * other options after it, or a header whose checksum is wrong (the
	 * stack is to drop it), the option stays (Linux ignores it). */
	if (ctx_load(ctx, p->l3_off, was))
		return -1;
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&was, sizeof(was), 0);
	if (was.ip.ihl != sizeof(was) / 4 || sum < 0 ||
	    (__u16)~csum_fold64(sum))
		return 0;
	ip = was.ip;
	ip.ihl -= sizeof(struct shunt_dsr_opt4) / 4;
	ip.tot_len = bpf_htons(bpf_ntohs(ip.tot_len) -
			       sizeof(struct shunt_dsr_opt4));
	ip.check = 0;
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&ip, sizeof(ip), 0);
	if (sum < 0)
		return -1;
	ip.check = (__u16)~csum_fold64(sum);
	if (dsr_store(ctx, p->l3_off, &ip, sizeof(ip), true))
		return -1;
	return dsr_cut_room(ctx, p, sizeof(struct shunt_dsr_opt4));
}

SHUNT_INLINE int dsr_strip6(ctx_t *ctx, const struct pkt *p)
{
	struct {
		__be16 payload_len;
		__u8 nexthdr, hop_limit;
	} fix;
	__u32 off = p->l3_off + 4;
	__u8 next;

	if (ctx_load(ctx, off, fix) ||
	    ctx_load(ctx, p->l3_off + sizeof(struct ipv6hdr), next))
		return -1;
	fix.nexthdr = next;
	fix.payload_len = bpf_htons(bpf_ntohs(fix.payload_len) -
				    sizeof(struct shunt_dsr_opt6));
	if (dsr_store(ctx, off, &fix, sizeof(fix), true))
		return -1;
	return dsr_cut_room(ctx, p, sizeof(struct shunt_dsr_opt6));
}

/* Only an option where dsr.h puts it, first after the fixed header. */
SHUNT_INLINE int dsr_strip(ctx_t *ctx, const struct pkt *p)
{
	if (p->family == SHUNT_V4)
		return p->dsr_off == p->l3_off + sizeof(struct iphdr)
			       ? dsr_strip4(ctx, p)
			       : -1;
	return p->dsr_off == p->l3_off + sizeof(struct ipv6hdr)
		       ? dsr_strip6(ctx, p)
		       : -1;
}

/* A SYN without the option to an address here that is not a frontend:
 * a new connection that is not DSR. A dsr-in entry left on its reply
 * tuple by an earlier DSR flow (its end is not seen here: the client's
 * FIN and RST go to the pod only) would turn its replies into the
 * frontend's: it goes. */
SHUNT_GLOBAL int dsr_forget(const struct pkt *p)
{
	struct shunt_ct_entry *old;
	struct ct_snat none = {};
	struct shunt_ct_key rk;

	if (!p)
		return 0;
	ct_rev_key(&rk, p, &p->dst, p->dport, &none);
	old = bpf_map_lookup_elem(&ct_map, &rk);
	if (old && (old->flags & SHUNT_CT_F_DSR_IN) &&
	    !bpf_map_delete_elem(&ct_map, &rk))
		count(SHUNT_C_DSR_IN_FORGOT);
	return 0;
}

/* The frontend a DSR option names: exactly, or a NodePort of any node
 * (the address is the balancing node's, not this one's). */
SHUNT_INLINE struct shunt_frontend *
dsr_frontend(const union shunt_ip *vip, __be16 port, const struct pkt *p)
{
	struct shunt_frontend_key key = {};
	struct shunt_frontend *fe;

	key.vip = *vip;
	key.port = port;
	key.proto = p->proto;
	key.family = p->family;
	fe = bpf_map_lookup_elem(&frontend_map, &key);
	if (fe)
		return fe;
	__builtin_memset(&key.vip, 0, sizeof(key.vip));
	return bpf_map_lookup_elem(&frontend_map, &key);
}

/* The VIP:port of p's DSR option. */
SHUNT_INLINE int dsr_decode(ctx_t *ctx, const struct pkt *p,
			    union shunt_ip *vip, __be16 *vport)
{
	__builtin_memset(vip, 0, sizeof(*vip));
	if (p->family == SHUNT_V4) {
		struct shunt_dsr_opt4 o;

		if (ctx_load(ctx, p->dsr_off, o))
			return -1;
		vip->v4 = o.addr;
		*vport = o.port;
		return 0;
	}
	struct shunt_dsr_opt6 o6;

	if (ctx_load(ctx, p->dsr_off, o6))
		return -1;
	__builtin_memcpy(vip, o6.addr, 16);
	*vport = o6.port;
	return 0;
}

/*
 * The backend's node: a packet carrying a DSR option, to a pod here. Its
 * flow's REV entry makes the pod's replies come from the frontend; the
 * packet itself, the option taken off, goes on to the pod through the
 * stack (one that cannot be taken off is dropped, counted). An option naming
 * no frontend known here is ignored (counted): it cannot make a pod's
 * replies appear to come from an arbitrary address, nor take over the
 * replies of a live flow (counted too).
 */
SHUNT_GLOBAL int dsr_accept(ctx_t *ctx, const struct pkt *p)
{
	struct shunt_ct_entry e, *old;
	struct shunt_frontend *fe;
	struct ct_snat none = {};
	struct shunt_ct_key rk;
	union shunt_ip vip;
	__u32 now = now_sec();
	__be16 vport;

	if (!p)
		return CTX_PASS;
	if (p->frag == PKT_FRAG_LATER || dsr_decode(ctx, p, &vip, &vport))
		return CTX_PASS;
	fe = dsr_frontend(&vip, vport, p);
	if (!fe) {
		count(SHUNT_C_DSR_IN_UNKNOWN);
		return CTX_PASS;
	}
	ct_rev_key(&rk, p, &p->dst, p->dport, &none);
	old = bpf_map_lookup_elem(&ct_map, &rk);
	if (old && !ct_expired(old, now) && !ct_is_reopen(old, p)) {
		if ((old->flags & SHUNT_CT_F_DSR_IN) &&
		    ip_equal(&old->nat_addr, &vip) && old->nat_port == vport) {
			old->last_seen = now; /* UDP, or a SYN sent again */
			goto strip;
		}
		/* A live flow's replies are not re-pointed by an option
		 * naming another frontend (spoofed, or a client that
		 * reused its port at once). */
		count(SHUNT_C_DSR_IN_CONFLICT);
		return CTX_PASS;
	}
	__builtin_memset(&e, 0, sizeof(e));
	e.state = ct_initial_state(p);
	e.flags = SHUNT_CT_F_DSR_IN;
	e.svc_id = fe->svc_id;
	e.nat_addr = vip;
	e.nat_port = vport;
	e.created = now;
	e.last_seen = now;
	if (bpf_map_update_elem(&ct_map, &rk, &e, BPF_ANY))
		count(SHUNT_C_CT_CREATE_FAIL);
	else
		count(SHUNT_C_DSR_IN);
strip:
	if (dsr_strip(ctx, p)) {
		count(SHUNT_C_DROP_DSR_ENCAP);
		return CTX_DROP;
	}
	return CTX_PASS;
}

#endif /* SHUNT_BPF_DSR_H */
