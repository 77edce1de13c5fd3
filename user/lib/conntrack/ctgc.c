// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Conntrack garbage collection in batches. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "config.h"
#include "ct.h"
#include "ctgc.h"
#include "load.h"
#include "mapdump.h"

#define GC_BATCH_DEFAULT 4096

/* As the datapath reads them: 0 means the default. */
static __u32 knob(__u32 v, __u32 dflt)
{
	return v ? v : dflt;
}

static __u32 lifetime(const struct shunt_config *c, __u8 state)
{
	struct shunt_config d;

	shunt_config_defaults(&d);
	switch (state) {
	case SHUNT_CT_SYN_SENT:
		return knob(c->ct_syn_timeout, d.ct_syn_timeout);
	case SHUNT_CT_ESTABLISHED:
		return knob(c->ct_established_timeout,
			    d.ct_established_timeout);
	case SHUNT_CT_FIN_WAIT:
		return knob(c->ct_fin_wait_timeout, d.ct_fin_wait_timeout);
	case SHUNT_CT_CLOSE_WAIT:
		return knob(c->ct_close_wait_timeout, d.ct_close_wait_timeout);
	case SHUNT_CT_TIME_WAIT:
		return knob(c->ct_time_wait_timeout, d.ct_time_wait_timeout);
	case SHUNT_CT_CLOSE:
		return knob(c->ct_close_timeout, d.ct_close_timeout);
	default:
		return knob(c->ct_udp_timeout, d.ct_udp_timeout);
	}
}

static bool expired(const struct shunt_config *c,
		    const struct shunt_ct_entry *e, __u32 now)
{
	/* Signed, as the datapath does: the FWD entry is read live, and a
	 * packet may have stamped it after the pass read the clock. */
	return (__s32)(now - e->last_seen) > (__s32)lifetime(c, e->state);
}

/* The FWD key of the flow a REV entry belongs to. */
static void fwd_key_of(const struct shunt_ct_info *rev, struct shunt_ct_key *k)
{
	bool snat = rev->e.flags & SHUNT_CT_F_SNAT;

	memset(k, 0, sizeof(*k));
	/* A masqueraded reply is addressed to the SNAT tuple; the client
	 * is in the entry. */
	k->src = snat ? rev->e.snat_addr : rev->key.dst;
	k->dst = rev->e.nat_addr;
	k->sport = snat ? rev->e.snat_port : rev->key.dport;
	k->dport = rev->e.nat_port;
	k->proto = rev->key.proto;
	k->family = rev->key.family;
	k->dir = SHUNT_CT_FWD;
}

/* Does the FWD entry's backend still serve its service at the address
 * the flow was sent to? (A deleted service or backend leaves its flows to
 * GC; the datapath re-checks on every packet anyway.) */
static bool backend_live(const struct map_dump *bes,
			 const struct shunt_ct_entry *e)
{
	const struct shunt_backend *be;

	if (!e->backend_id || e->backend_id >= bes->n)
		return false;
	be = map_dump_val(bes, e->backend_id);
	return be->family && be->svc_id == e->svc_id &&
	       be->port == e->nat_port &&
	       !memcmp(&be->addr, &e->nat_addr, sizeof(be->addr));
}

static bool fwd_dead(const struct shunt_config *c, const struct map_dump *bes,
		     const struct shunt_ct_entry *e, __u32 now)
{
	return expired(c, e, now) || !backend_live(bes, e);
}

static bool rev_dead(struct shunt *s, const struct shunt_config *c,
		     const struct map_dump *bes,
		     const struct shunt_ct_info *rev, __u32 now)
{
	struct shunt_ct_entry fwd;
	struct shunt_ct_key k;

	/* A flow that came in by DSR has its REV entry only. */
	if (rev->e.flags & SHUNT_CT_F_DSR_IN)
		return expired(c, &rev->e, now);
	fwd_key_of(rev, &k);
	if (bpf_map_lookup_elem(s->ct_map, &k, &fwd))
		return true;
	return fwd.backend_id != rev->e.backend_id ||
	       fwd_dead(c, bes, &fwd, now);
}

static void flush(struct shunt *s, struct shunt_ct_key *keys, size_t *n,
		  size_t *removed)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (bpf_map_delete_elem(s->ct_map, &keys[i]) == 0)
			(*removed)++;
	*n = 0;
}

int shunt_ct_gc(struct shunt *s, size_t batch, struct shunt_gc_result *r)
{
	struct bpf_map_info info = {};
	struct shunt_ct_info *v = NULL;
	struct shunt_ct_key *dead;
	struct map_dump bes;
	struct shunt_config c;
	__u32 len = sizeof(info), now;
	size_t n, i, ndead = 0;
	int err;

	memset(r, 0, sizeof(*r));
	if (!batch)
		batch = GC_BATCH_DEFAULT;
	err = shunt_config_get(s, &c);
	if (!err && bpf_obj_get_info_by_fd(s->ct_map, &info, &len))
		err = -errno;
	/* Conntrack first, then the backends: a flow in the listing was
	 * created after its backend, so no flow looks dead because its
	 * backend came after GC read them (no writer lock needed). */
	if (!err)
		err = shunt_ct_list(s, &v, &n);
	if (err)
		return err;
	err = map_dump(s->backend_map, sizeof(__u32),
		       sizeof(struct shunt_backend), &bes);
	if (err) {
		free(v);
		return err;
	}
	dead = calloc(batch, sizeof(*dead));
	if (!dead) {
		free(v);
		map_dump_free(&bes);
		return -ENOMEM;
	}
	now = shunt_ct_now();
	r->capacity = info.max_entries;
	r->scanned = n;
	/* FWD entries come first in the listing: REV checks see them. */
	for (i = 0; i < n; i++) {
		bool gone = v[i].key.dir == SHUNT_CT_FWD
				    ? fwd_dead(&c, &bes, &v[i].e, now)
				    : rev_dead(s, &c, &bes, &v[i], now);

		if (!gone) {
			/* A flow: its FWD entry, or a DSR flow's REV. */
			if ((v[i].key.dir == SHUNT_CT_FWD ||
			     (v[i].e.flags & SHUNT_CT_F_DSR_IN)) &&
			    v[i].e.state < SHUNT_CT_STATE_MAX) {
				r->flows++;
				r->by_state[v[i].e.state]++;
			}
			continue;
		}
		memcpy(&dead[ndead++], &v[i].key, sizeof(*dead));
		if (ndead == batch)
			flush(s, dead, &ndead, &r->removed);
	}
	flush(s, dead, &ndead, &r->removed);
	r->near_full = (n - r->removed) * 100 >=
		       (size_t)info.max_entries * SHUNT_GC_NEAR_FULL_PCT;
	free(dead);
	free(v);
	map_dump_free(&bes);
	return 0;
}
