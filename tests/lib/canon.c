// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The services state of a datapath as canonical text (canon.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "canon.h"
#include "mapdump.h"
#include "parse.h"
#include "service.h"

struct maps {
	struct map_dump svcs, fes, bes, tables, ranges;
};

static const struct shunt_service *rec_of(const struct maps *mp, __u32 id)
{
	const struct shunt_service *r;

	if (!id || id >= mp->svcs.n)
		return NULL;
	r = map_dump_val(&mp->svcs, id);
	return r->flags & SHUNT_SVC_F_USED ? r : NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "  range CIDR" lines of service id, sorted. */
static void ranges_of(FILE *f, const struct maps *mp, __u32 id)
{
	const struct shunt_src_range_key *k;
	struct shunt_src_range r[SHUNT_MAX_SVC_SRC_RANGES + 1];
	char buf[SHUNT_ADDRSTRLEN + 8];
	size_t i, n = 0;

	for (i = 0; i < mp->ranges.n && n <= SHUNT_MAX_SVC_SRC_RANGES; i++) {
		k = map_dump_key(&mp->ranges, i);
		if (k->svc_id == id && shunt_src_range_of_key(k, &r[n]))
			n++;
	}
	shunt_src_ranges_normalize(r, &n);
	for (i = 0; i < n; i++)
		fprintf(f, "  range %s\n",
			shunt_src_range_format(&r[i], buf, sizeof(buf)));
}

/* Lines for service id into f; -1 (why in err) on a broken invariant. */
static int one_service(FILE *f, struct shunt *s, const struct maps *mp,
		       __u32 id, char *err, size_t errlen)
{
	const struct shunt_service *r = rec_of(mp, id);
	const struct shunt_backend *be;
	char ep[SHUNT_ADDRSTRLEN], **lines;
	size_t i, n = 0, active = 0;
	__u32 *table = NULL, m = 0, k;
	unsigned long long hash = 0xcbf29ce484222325ULL;

	fprintf(f,
		"service %s flags=%#x affinity=%u size=%u live=%u count=%u "
		"cluster=%s\n",
		r->name, r->flags, r->affinity_timeout, r->table_size,
		r->live_size, r->backend_count,
		rec_of(mp, r->cluster_svc_id)
			? rec_of(mp, r->cluster_svc_id)->name
			: "-");
	lines = calloc(mp->bes.n + 1, sizeof(*lines));
	for (i = 0; lines && i < mp->bes.n; i++) {
		be = map_dump_val(&mp->bes, i);
		if (!be->family || be->svc_id != id)
			continue;
		shunt_format_endpoint(&be->addr, be->port, be->family, ep,
				      sizeof(ep));
		if (asprintf(&lines[n++], "  backend %s weight=%u state=%u\n",
			     ep, be->weight, be->state) < 0)
			lines[--n] = NULL;
		active += be->state == SHUNT_BE_ACTIVE;
	}
	qsort(lines, n, sizeof(*lines), cmp_str);
	for (i = 0; i < n; i++) {
		fputs(lines[i], f);
		free(lines[i]);
	}
	free(lines);
	ranges_of(f, mp, id);
	if (r->backend_count != active && r->live_size) {
		snprintf(err, errlen, "%s: count %u, %zu active backends",
			 r->name, r->backend_count, active);
		return -1;
	}
	if (shunt_table_read(s, id, &table, &m)) {
		if (!r->live_size)
			return 0;
		snprintf(err, errlen, "%s: no table, live size %u", r->name,
			 r->live_size);
		return -1;
	}
	if (m != r->live_size) {
		snprintf(err, errlen, "%s: table of %u slots, record %u",
			 r->name, m, r->live_size);
		free(table);
		return -1;
	}
	for (k = 0; k < m; k++) {
		be = table[k] < mp->bes.n ? map_dump_val(&mp->bes, table[k])
					  : NULL;
		if (!be || be->svc_id != id || be->state != SHUNT_BE_ACTIVE) {
			snprintf(err, errlen, "%s: slot %u names backend %u",
				 r->name, k, table[k]);
			free(table);
			return -1;
		}
		/* The slots as backend identities, hashed in order. */
		hash = (hash ^ be->port) * 0x100000001b3ULL;
		for (n = 0; n < sizeof(be->addr); n++)
			hash = (hash ^ be->addr.bytes[n]) * 0x100000001b3ULL;
	}
	fprintf(f, "  table %u slots, hash %016llx\n", m,
		(unsigned long long)hash);
	free(table);
	return 0;
}

static int check_orphans(const struct maps *mp, char *err, size_t errlen)
{
	const struct shunt_backend *be;
	const struct shunt_frontend *fe;
	size_t i;
	__u32 id;

	for (i = 0; i < mp->bes.n; i++) {
		be = map_dump_val(&mp->bes, i);
		if (be->family && (!rec_of(mp, be->svc_id) ||
				   be->state == SHUNT_BE_REMOVING)) {
			snprintf(err, errlen, "backend %zu orphaned (state %u)",
				 i, be->state);
			return -1;
		}
	}
	for (i = 0; i < mp->fes.n; i++) {
		fe = map_dump_val(&mp->fes, i);
		if (!rec_of(mp, fe->svc_id)) {
			snprintf(err, errlen, "frontend of free id %u",
				 fe->svc_id);
			return -1;
		}
	}
	for (i = 0; i < mp->ranges.n; i++) {
		id = ((const struct shunt_src_range_key *)map_dump_key(
			      &mp->ranges, i))
			     ->svc_id;
		if (!rec_of(mp, id)) {
			snprintf(err, errlen, "source range of free id %u", id);
			return -1;
		}
	}
	for (i = 0; i < mp->tables.n; i++) {
		id = *(__u32 *)map_dump_key(&mp->tables, i);
		if (*(__u32 *)map_dump_val(&mp->tables, i) && !rec_of(mp, id)) {
			snprintf(err, errlen, "table of free id %u", id);
			return -1;
		}
	}
	return 0;
}

/* Frontends as "frontend KEY flags=F -> NAME" lines, sorted. */
static void frontends(FILE *f, const struct maps *mp)
{
	char key[SHUNT_ADDRSTRLEN],
		**lines = calloc(mp->fes.n + 1, sizeof(*lines));
	const struct shunt_frontend *fe;
	size_t i, n = 0;

	for (i = 0; lines && i < mp->fes.n; i++) {
		fe = map_dump_val(&mp->fes, i);
		shunt_format_service(map_dump_key(&mp->fes, i), key,
				     sizeof(key));
		if (asprintf(&lines[n++], "frontend %s flags=%#x -> %s\n", key,
			     fe->flags, rec_of(mp, fe->svc_id)->name) < 0)
			lines[--n] = NULL;
	}
	qsort(lines, n, sizeof(*lines), cmp_str);
	for (i = 0; i < n; i++) {
		fputs(lines[i], f);
		free(lines[i]);
	}
	free(lines);
}

static int cmp_id_name(const void *a, const void *b, void *arg)
{
	const struct maps *mp = arg;

	return strcmp(rec_of(mp, *(const __u32 *)a)->name,
		      rec_of(mp, *(const __u32 *)b)->name);
}

static int dump_all(FILE *f, struct shunt *s, const struct maps *mp, char *err,
		    size_t errlen)
{
	__u32 *ids = calloc(mp->svcs.n + 1, sizeof(*ids)), id;
	size_t n = 0, i;
	int rc = check_orphans(mp, err, errlen);

	for (id = 1; ids && id < mp->svcs.n; id++)
		if (rec_of(mp, id))
			ids[n++] = id;
	qsort_r(ids, n, sizeof(*ids), cmp_id_name, (void *)mp);
	if (!rc)
		frontends(f, mp);
	for (i = 0; !rc && i < n; i++)
		rc = one_service(f, s, mp, ids[i], err, errlen);
	free(ids);
	return rc;
}

int canon_dump(struct shunt *s, char **out)
{
	struct maps mp = {};
	char err[256] = "", *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	rc = map_dump(s->service_map, 4, sizeof(struct shunt_service),
		      &mp.svcs);
	rc = rc
		     ?: map_dump(s->frontend_map,
				 sizeof(struct shunt_frontend_key),
				 sizeof(struct shunt_frontend), &mp.fes);
	rc = rc
		     ?: map_dump(s->backend_map, 4,
				 sizeof(struct shunt_backend), &mp.bes);
	rc = rc ?: map_dump(s->maglev_map, 4, 4, &mp.tables);
	rc = rc
		     ?: map_dump(s->src_range_map,
				 sizeof(struct shunt_src_range_key), 4,
				 &mp.ranges);
	f = open_memstream(&buf, &len);
	if (rc || !f) {
		snprintf(err, sizeof(err), "cannot read the maps: %d", rc);
		rc = -1;
	} else {
		rc = dump_all(f, s, &mp, err, sizeof(err));
	}
	if (f)
		fclose(f);
	map_dump_free(&mp.svcs);
	map_dump_free(&mp.fes);
	map_dump_free(&mp.bes);
	map_dump_free(&mp.tables);
	map_dump_free(&mp.ranges);
	if (rc) {
		free(buf);
		*out = strdup(err);
		return -1;
	}
	*out = buf;
	return 0;
}
