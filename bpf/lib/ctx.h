/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One view of a packet for both hooks. The core is compiled once with
 * SHUNT_HOOK_XDP (struct xdp_md) and once with SHUNT_HOOK_TC
 * (struct __sk_buff); everything hook-specific lives behind these helpers.
 */
#ifndef SHUNT_BPF_CTX_H
#define SHUNT_BPF_CTX_H

#include "common.h"

#if defined(SHUNT_HOOK_XDP) == defined(SHUNT_HOOK_TC)
#error "define exactly one of SHUNT_HOOK_XDP and SHUNT_HOOK_TC"
#endif

/* Largest header offset the parser accepts: Ethernet + VLAN + IPv6 with
 * a few extension headers, or IPv4 with options. */
#define CTX_MAX_HDR_OFF 255

#ifdef SHUNT_HOOK_XDP
typedef struct xdp_md ctx_t;
#define CTX_PASS XDP_PASS
#define CTX_DROP XDP_DROP

SHUNT_INLINE __u32 ctx_ingress_ifindex(const ctx_t *ctx)
{
	return ctx->ingress_ifindex;
}

SHUNT_INLINE __u64 ctx_wire_len(ctx_t *ctx)
{
	return bpf_xdp_get_buff_len(ctx);
}

SHUNT_INLINE long ctx_load_bytes(ctx_t *ctx, __u32 off, void *buf, __u32 len)
{
	return bpf_xdp_load_bytes(ctx, off, buf, len);
}

/* XDP headers are in the first buffer: nothing to pull. */
SHUNT_INLINE bool ctx_pull_headers(ctx_t *ctx)
{
	(void)ctx;
	return false;
}
#else
typedef struct __sk_buff ctx_t;
#define CTX_PASS TC_ACT_OK
#define CTX_DROP TC_ACT_SHOT

SHUNT_INLINE __u32 ctx_ingress_ifindex(const ctx_t *ctx)
{
	return ctx->ifindex;
}

SHUNT_INLINE __u64 ctx_wire_len(ctx_t *ctx)
{
	return ctx->len;
}

SHUNT_INLINE long ctx_load_bytes(ctx_t *ctx, __u32 off, void *buf, __u32 len)
{
	return bpf_skb_load_bytes(ctx, off, buf, len);
}

/* Headers the parser needs may lie beyond the linear area: pull what
 * it could read into it. True when that changed anything, so parsing
 * again may now succeed. Only called when parsing failed: pulling costs
 * a copy, most skbs carry their headers linear. */
SHUNT_INLINE bool ctx_pull_headers(ctx_t *ctx)
{
	__u32 want = ctx->len < CTX_MAX_HDR_OFF + 20 ? ctx->len
						     : CTX_MAX_HDR_OFF + 20;

	if (ctx->data_end - ctx->data >= want)
		return false;
	return bpf_skb_pull_data(ctx, want) == 0;
}
#endif

/* ctx->data and ctx->data_end, loaded straight from the context each
 * time. Plain C lets the compiler keep &ctx->data in a register (or
 * spill it) and load through that later, which the verifier refuses
 * ("dereference of modified ctx ptr"); with the helper calls of
 * ctx_load() around, clang does so. */
#define ctx_field_u32(ctx, field)                                              \
	({                                                                     \
		__u64 __v; /* the load zero-extends */                         \
		asm volatile("%0 = *(u32 *)(%1 + %2)"                          \
			     : "=r"(__v)                                       \
			     : "r"(ctx), "i"(offsetof(ctx_t, field)));         \
		__v;                                                           \
	})

SHUNT_INLINE void *ctx_data(const ctx_t *ctx)
{
	return (void *)(long)ctx_field_u32(ctx, data);
}

SHUNT_INLINE void *ctx_data_end(const ctx_t *ctx)
{
	return (void *)(long)ctx_field_u32(ctx, data_end);
}

/* A pointer to len bytes at offset off, or NULL when they are not all in
 * the packet. Offsets are re-derived after helpers that move data. The
 * empty asm makes the compiler bound-check the offset it then adds, not
 * an earlier value it was computed from (in a global function offsets
 * are unknown to the verifier, which follows only the checked register). */
#define ctx_ptr(ctx, off, len)                                                 \
	({                                                                     \
		void *__d = ctx_data(ctx);                                     \
		__u32 __o = (off);                                             \
		void *__p = NULL;                                              \
		asm volatile("" : "+r"(__o));                                  \
		if (__o <= CTX_MAX_HDR_OFF &&                                  \
		    __d + __o + (len) <= ctx_data_end(ctx))                    \
			__p = __d + __o;                                       \
		__p;                                                           \
	})

/* Copy the object dst (a variable, not a pointer) from offset off of the
 * packet, wherever it lies: directly when ctx_ptr() reaches it, else
 * through the hook's load helper, which takes any offset, also beyond
 * CTX_MAX_HDR_OFF (IPv6 extension headers), in XDP fragments or in an
 * skb's non-linear data. 0, or nonzero when the packet is too short. */
#define ctx_load(ctx, off, dst)                                                \
	({                                                                     \
		__u32 __lo = (off);                                            \
		__typeof__(dst) *__lp = ctx_ptr(ctx, __lo, sizeof(dst));       \
		long __lr = 0;                                                 \
		if (__lp)                                                      \
			(dst) = *__lp;                                         \
		else                                                           \
			__lr = ctx_load_bytes(ctx, __lo, &(dst), sizeof(dst)); \
		__lr;                                                          \
	})

#ifdef SHUNT_HOOK_XDP
/* The store counterpart of ctx_load() for XDP (tc writes through the
 * skb helpers, which also maintain skb->csum). */
#define ctx_store(ctx, off, src)                                               \
	({                                                                     \
		__u32 __so = (off);                                            \
		__typeof__(src) *__sp = ctx_ptr(ctx, __so, sizeof(src));       \
		long __sr = 0;                                                 \
		if (__sp)                                                      \
			*__sp = (src);                                         \
		else                                                           \
			__sr = bpf_xdp_store_bytes(ctx, __so, &(src),          \
						   sizeof(src));               \
		__sr;                                                          \
	})
#endif

#endif /* SHUNT_BPF_CTX_H */
