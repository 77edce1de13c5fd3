/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The TCP timestamp option's TSval (RFC 7323) of a segment, read only
 * where it matters (a SYN that takes a SNAT tuple over, a client's FIN),
 * never per packet.
 */
#ifndef SHUNT_BPF_TCPTS_H
#define SHUNT_BPF_TCPTS_H

#include "ctx.h"
#include "parse.h"

#define TCPOPT_EOL_	  0
#define TCPOPT_NOP_	  1
#define TCPOPT_TIMESTAMP_ 8
#define TCPOLEN_TS_	  10
#define TCP_OPTS_MAX	  40

/* Options walked at most: the 40 bytes hold no more than 20 NOP pairs,
 * but real stacks send a handful. */
#define TCP_OPTS_WALK 12

/* p's TSval in host order, or 0 when it has none (0 is also a valid
 * TSval; callers treat it as "unknown"). */
SHUNT_INLINE __u32 tcp_tsval(ctx_t *ctx, const struct pkt *p)
{
	struct {
		__u8 kind, len;
		__be32 val;
	} __attribute__((packed)) o;
	struct tcphdr th;
	__u32 off, end;
	int i;

	if (p->proto != IPPROTO_TCP || ctx_load(ctx, p->l4_off, th) ||
	    th.doff <= 5)
		return 0;
	off = p->l4_off + sizeof(th);
	end = p->l4_off + th.doff * 4;
	for (i = 0; i < TCP_OPTS_WALK; i++) {
		if (off >= end || ctx_load_bytes(ctx, off, &o, 2))
			return 0;
		if (o.kind == TCPOPT_EOL_)
			return 0;
		if (o.kind == TCPOPT_NOP_) {
			off++;
			continue;
		}
		if (o.len < 2)
			return 0;
		if (o.kind == TCPOPT_TIMESTAMP_) {
			if (o.len != TCPOLEN_TS_ || off + TCPOLEN_TS_ > end ||
			    ctx_load_bytes(ctx, off, &o, sizeof(o)))
				return 0;
			return bpf_ntohl(o.val);
		}
		off += o.len;
	}
	return 0;
}

#endif /* SHUNT_BPF_TCPTS_H */
