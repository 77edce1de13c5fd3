// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A LoadBalancer Service's source ranges, as kube-proxy reads them:
 * spec.loadBalancerSourceRanges, or when that is empty the annotation
 * K8S_SRC_RANGES_ANNOTATION (comma-separated). Blanks around a CIDR are
 * ignored, host bits cleared. A CIDR that does not parse makes the
 * Service malformed (the API server validates both for LoadBalancer
 * Services, so only a broken one has such a value): refusing it keeps its
 * frontends from being opened to everyone.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_model.h"
#include "vec.h"

struct ranges {
	VEC(struct shunt_src_range) v;
	const struct k8s_service *svc;
	const char *where; /* for errors */
};

/* Add CIDR s[0..len-1], blanks around it ignored. */
static int add_cidr(struct ranges *r, const char *s, size_t len, char *err,
		    size_t errlen)
{
	char buf[96], why[128] = "";
	struct shunt_src_range sr;

	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (shunt_src_range_parse(buf, &sr, why, sizeof(why))) {
		snprintf(err, errlen, "Service %s/%s: %s: %s", r->svc->ns,
			 r->svc->name, r->where, why);
		return -EINVAL;
	}
	return vec_push(&r->v, sr);
}

static int from_field(struct ranges *r, struct json_object *a, char *err,
		      size_t errlen)
{
	struct json_object *e;
	size_t i, n = json_object_array_length(a);
	const char *s;
	int rc = 0;

	r->where = "spec.loadBalancerSourceRanges";
	for (i = 0; i < n && !rc; i++) {
		e = json_object_array_get_idx(a, i);
		s = json_object_is_type(e, json_type_string)
			    ? json_object_get_string(e)
			    : "";
		rc = add_cidr(r, s, strlen(s), err, errlen);
	}
	return rc;
}

static int from_annotation(struct ranges *r, const char *val, char *err,
			   size_t errlen)
{
	const char *p = val, *comma;
	int rc = 0;

	r->where = "annotation " K8S_SRC_RANGES_ANNOTATION;
	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return 0;
	while (!rc) {
		comma = strchr(p, ',');
		rc = add_cidr(r, p, comma ? (size_t)(comma - p) : strlen(p),
			      err, errlen);
		if (!comma)
			break;
		p = comma + 1;
	}
	return rc;
}

static const char *annotation(struct json_object *obj)
{
	struct json_object *meta, *ann, *v;

	if (!json_object_object_get_ex(obj, "metadata", &meta) ||
	    !json_object_object_get_ex(meta, "annotations", &ann) ||
	    !json_object_object_get_ex(ann, K8S_SRC_RANGES_ANNOTATION, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int k8s_parse_src_ranges(struct json_object *obj, struct json_object *spec,
			 struct k8s_service *svc, char *err, size_t errlen)
{
	struct ranges r = {.svc = svc};
	struct json_object *a = NULL;
	const char *ann;
	int rc = 0;

	if (svc->type != K8S_SVC_LOAD_BALANCER)
		return 0;
	json_object_object_get_ex(spec, "loadBalancerSourceRanges", &a);
	ann = annotation(obj);
	if (json_object_is_type(a, json_type_array) &&
	    json_object_array_length(a))
		rc = from_field(&r, a, err, errlen);
	else if (ann)
		rc = from_annotation(&r, ann, err, errlen);
	if (rc) {
		vec_free(&r.v);
		return rc;
	}
	shunt_src_ranges_normalize(r.v.v, &r.v.n);
	svc->src_ranges = r.v.v;
	svc->n_src_ranges = r.v.n;
	return 0;
}
