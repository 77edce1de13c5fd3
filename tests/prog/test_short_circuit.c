// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * kube-proxy's short-circuit of Local policies, in both hooks: a Service
 * with externalTrafficPolicy: Local has its cluster set ("t/lb:http",
 * the ClusterIP VIP4:80 and BE1) and its local set ("t/lb:http/local",
 * the load balancer IP LB4:80, no endpoint on this node). A client from
 * outside is dropped there (no local endpoint); the same client once its
 * address is in pod_cidr_map, a pod of this node, takes the cluster set:
 * forwarded to BE1 unmasqueraded, its reply coming back from LB4. The
 * local set's record names its cluster set by id, kept when the cluster
 * set goes and comes back. The local set's loadBalancerSourceRanges are
 * checked before the short-circuit.
 */
#include "progtest.h"
#include "podcidr.h"

#define LB4	 "10.96.0.77"
#define CLUSTER	 "t/lb:http"
#define LOCALSVC "t/lb:http/local"

/* The local set: LB4:80 external and Local, no backend; with range (a
 * CIDR, or NULL) its loadBalancerSourceRanges. */
static void apply_local(const char *range)
{
	struct shunt_frontend_spec fe;
	struct shunt_service_spec sp;
	struct shunt_src_range r;
	char why[128];

	memset(&fe, 0, sizeof(fe));
	fe.key = penv_svc_key(LB4, SVC_PORT, IPPROTO_TCP);
	fe.flags = SHUNT_FE_F_EXTERNAL | SHUNT_FE_F_LOCAL;
	memset(&sp, 0, sizeof(sp));
	snprintf(sp.name, sizeof(sp.name), "%s", LOCALSVC);
	sp.table_size = TABLE;
	sp.frontends = &fe;
	sp.n_frontends = 1;
	if (range) {
		assert_int_equal(
			shunt_src_range_parse(range, &r, why, sizeof(why)), 0);
		fe.flags |= SHUNT_FE_F_SRC_RANGES;
		sp.src_ranges = &r;
		sp.n_src_ranges = 1;
	}
	assert_int_equal(shunt_service_apply(&penv.s, &sp, 0), 0);
}

/* The local set's cluster_svc_id, read back from service_map. */
static __u32 linked_id(void)
{
	struct shunt_service_info info;
	struct shunt_service rec;
	__u32 id;

	assert_int_equal(shunt_service_get_by_name(&penv.s, LOCALSVC, &info),
			 0);
	id = info.id;
	assert_int_equal(bpf_map_lookup_elem(penv.s.service_map, &id, &rec), 0);
	return rec.cluster_svc_id;
}

static void set_pods(const char *net, __u8 plen)
{
	struct pg_addr a = pg_addr(net);
	struct shunt_cidr c = {.net = penv_ip(&a), .family = 4, .plen = plen};

	assert_int_equal(shunt_pod_cidrs_set(&penv.s, &c, plen ? 1 : 0), 0);
}

static void test_short_circuit(void **state)
{
	enum penv_hook h = hook_of(state);
	struct shunt_frontend_key ck =
		penv_svc_key(VIP4, SVC_PORT, IPPROTO_TCP);
	struct pg_spec syn, want, reply;
	__u32 cluster_id, be_id;
	struct svc v;
	struct xmit x;

	svc_apply_one(CLUSTER, &ck, 0, PENV_BE1_4, SHUNT_BE_F_REMOTE,
		      &cluster_id, &be_id);
	apply_local(NULL);
	assert_int_equal(linked_id(), cluster_id);

	/* From outside: the local set has no endpoint, dropped. */
	set_pods("10.244.0.0", 16);
	pg_spec_init(&syn, PENV_CLIENT4, 40100, LB4, SVC_PORT, IPPROTO_TCP);
	xmit(h, penv.if_cli, &syn, &x);
	assert_verdict(&x, penv_drop(h));
	assert_int_equal(x.after[SHUNT_C_DROP_NO_BACKEND] -
				 x.before[SHUNT_C_DROP_NO_BACKEND],
			 1);
	assert_int_equal(x.after[SHUNT_C_LOCAL_SHORT_CIRCUIT],
			 x.before[SHUNT_C_LOCAL_SHORT_CIRCUIT]);

	/* The client a pod of this node: the cluster set's BE1, its own
	 * address kept although BE1 is remote. */
	set_pods("10.0.0.0", 24);
	pg_spec_init(&syn, PENV_CLIENT4, 40101, LB4, SVC_PORT, IPPROTO_TCP);
	xmit(h, penv.if_cli, &syn, &x);
	assert_verdict(&x, penv_redirect(h));
	memset(&v, 0, sizeof(v));
	v.be_addr[0] = PENV_BE1_4;
	v.vip = LB4;
	forwarded_spec(&syn, &want, &v, 0);
	assert_frame(&x, &want);
	assert_csums_ok(&x);
	assert_counters(&x, SHUNT_C_LOCAL_SHORT_CIRCUIT, 1, SHUNT_C_CT_MISS, 1,
			SHUNT_C_NAT_FWD, 1, SHUNT_C_REDIRECT, 1);

	/* Its reply comes from the address the pod asked for. */
	reply_spec(&syn, &reply, &v, 0);
	xmit(h, penv.if_be, &reply, &x);
	assert_verdict(&x, penv_redirect(h));
	reversed_spec(&reply, &want, &v);
	assert_frame(&x, &want);

	/* With loadBalancerSourceRanges that leave the pod out, the
	 * frontend's own ranges come first: dropped, not short-circuited
	 * (kube-proxy's firewall chain before its short-circuit). */
	apply_local("192.0.2.0/24");
	pg_spec_init(&syn, PENV_CLIENT4, 40102, LB4, SVC_PORT, IPPROTO_TCP);
	xmit(h, penv.if_cli, &syn, &x);
	assert_verdict(&x, penv_drop(h));
	assert_counters(&x, SHUNT_C_DROP_SRC_RANGE, 1);
	apply_local("10.0.0.0/8");
	xmit(h, penv.if_cli, &syn, &x);
	assert_verdict(&x, penv_redirect(h));
	assert_int_equal(x.after[SHUNT_C_LOCAL_SHORT_CIRCUIT] -
				 x.before[SHUNT_C_LOCAL_SHORT_CIRCUIT],
			 1);

	/* The cluster set gone: unlinked; back (a new id): linked again. */
	assert_int_equal(shunt_service_del_by_name(&penv.s, CLUSTER), 0);
	assert_int_equal(linked_id(), 0);
	svc_apply_one(CLUSTER, &ck, 0, PENV_BE1_4, 0, &cluster_id, &be_id);
	assert_int_equal(linked_id(), cluster_id);
	set_pods("0.0.0.0", 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PROG_TEST(test_short_circuit),
	};

	return cmocka_run_group_tests_name("prog_short_circuit", tests,
					   penv_setup, penv_teardown);
}
