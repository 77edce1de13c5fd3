// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* shunt load balancer, tc ingress build (clsact, direct action). */
#define SHUNT_HOOK_TC
#include "lib/core.h"

SEC("tc")
int shunt_tc(struct __sk_buff *ctx)
{
	return lb_process(ctx);
}

char _license[] SEC("license") = "Dual BSD/GPL";
