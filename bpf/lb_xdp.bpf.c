// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* shunt load balancer, native XDP build (physical NICs). */
#define SHUNT_HOOK_XDP
#include "lib/core.h"

SEC("xdp.frags")
int shunt_xdp(struct xdp_md *ctx)
{
	return lb_process(ctx);
}

char _license[] SEC("license") = "Dual BSD/GPL";
