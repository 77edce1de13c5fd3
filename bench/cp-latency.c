// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The datapath side of bench/cp-bench.sh: posts Kubernetes events to the
 * fake API server (tests/k8s/fake-apiserver.py) that shuntd watches, and
 * times how long the pinned maps take to show them. Run inside the node's
 * network namespace (the fake API server listens on its 127.0.0.1).
 *
 *   cp-latency changes PIN_ROOT PORT EVENT_LOG FILE FIRST COUNT
 *       Lines FIRST..FIRST+COUNT-1 (1-based) of FILE, one sample each:
 *       "SERVICE<TAB>ENDPOINTS<TAB>/_control op" (bench/cp-objects.py).
 *       The service's current Maglev table (the inner map id in
 *       maglev_map at its id) is read, the op is posted, and maglev_map
 *       is polled (every ~20 us) until it points to another table. Two
 *       times end there: from the watch event, the time the fake server
 *       logged in EVENT_LOG (its --event-log) just before writing the
 *       event to shuntd's watch, and from the POST, just before the
 *       connection to the fake server. The service's record must then
 *       show ENDPOINTS backends. One line per sample on stdout:
 *       "N,SERVICE,ENDPOINTS,MS_FROM_EVENT,MS_FROM_POST".
 *   cp-latency calibrate PORT TOKEN FILE COUNT
 *       The fake API server alone, with no shuntd: a watch of
 *       EndpointSlices is opened, then the first COUNT lines of FILE are
 *       posted one by one, each timed from just before the connection to
 *       the event line arriving on the watch: "N,SERVICE,ENDPOINTS,MS".
 *   cp-latency remove PIN_ROOT PORT REMOVED_TSV OP_FILE...
 *       REMOVED_TSV: "SERVICE<TAB>CLUSTER_IP<TAB>NODE_PORT" lines. Posts
 *       each OP_FILE (the DELETED events) and polls until none of the
 *       services has a frontend (ClusterIP:80/tcp, *:NODE_PORT/tcp) left
 *       in frontend_map and none has its id in use in service_map.
 *       Prints "SECONDS_FRONTENDS_GONE SECONDS_ALL_GONE".
 *   cp-latency counts PIN_ROOT
 *       "SERVICES FRONTENDS BACKENDS TABLES" as the maps hold them.
 *   cp-latency map-ids PIN_ROOT
 *       The id of every map of the datapath, one a line: the pinned maps,
 *       the maps the pinned programs use, and the Maglev tables (the
 *       inner maps maglev_map points to).
 *
 * Timeouts: 10 s per sample, 60 s for a removal; exit status 1 on any
 * timeout or mismatch.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "parse.h"
#include "service.h"
#include "usage.h"

#define SAMPLE_TIMEOUT_S 10.0
#define REMOVE_TIMEOUT_S 60.0
#define POLL_NS		 20000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pause_ns(long ns)
{
	struct timespec d = {.tv_nsec = ns};

	nanosleep(&d, NULL);
}

/* --- the fake API server's /_control ------------------------------- */

/* Connect to 127.0.0.1:port; fd or -1. */
static int api_connect(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= w;
	}
	return 0;
}

/* Send POST /_control with body on fd (Connection: close). */
static int api_send(int fd, const char *body, size_t len)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr),
			 "POST /_control HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			 "Content-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 len);

	if (write_all(fd, hdr, n) || write_all(fd, body, len))
		return -1;
	return 0;
}

/* Read the answer to EOF and close fd; 0 when it was 200. */
static int api_finish(int fd)
{
	char buf[4096];
	size_t got = 0;
	ssize_t r;

	while ((r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0) {
		got += r;
		if (got == sizeof(buf) - 1)
			got = 32; /* keep the status line, drop the rest */
	}
	close(fd);
	buf[got] = '\0';
	if (strncmp(buf, "HTTP/1.1 200", 12) &&
	    strncmp(buf, "HTTP/1.0 200", 12)) {
		fprintf(stderr, "cp-latency: /_control answered: %.200s\n",
			buf);
		return -1;
	}
	return 0;
}

static int api_post(int port, const char *body, size_t len)
{
	int fd = api_connect(port);

	if (fd < 0 || api_send(fd, body, len)) {
		fprintf(stderr, "cp-latency: cannot post to 127.0.0.1:%d: %s\n",
			port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return api_finish(fd);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 &&
	    !fseek(f, 0, SEEK_SET)) {
		buf = malloc(n + 1);
		if (buf && fread(buf, 1, n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[n] = '\0';
			*len = n;
		}
	}
	fclose(f);
	return buf;
}

/* --- the maps ------------------------------------------------------ */

static int open_root(struct shunt *s, const char *root)
{
	int err = shunt_open(s, root, 0);

	if (err)
		fprintf(stderr, "cp-latency: cannot open %s: %s\n", root,
			strerror(-err));
	return err;
}

static int svc_id(struct shunt *s, const char *name, __u32 *id)
{
	struct shunt_service_info info;
	int err = shunt_service_get_by_name(s, name, &info);

	if (err) {
		fprintf(stderr, "cp-latency: service %s: %s\n", name,
			strerror(-err));
		return err;
	}
	*id = info.id;
	return 0;
}

/* The inner map id of id's table, 0 when it has none. */
static __u32 table_of(const struct shunt *s, __u32 id)
{
	__u32 inner = 0;

	if (bpf_map_lookup_elem(s->maglev_map, &id, &inner))
		return 0;
	return inner;
}

static int record_of(const struct shunt *s, __u32 id, struct shunt_service *r)
{
	return bpf_map_lookup_elem(s->service_map, &id, r) ? -errno : 0;
}

/* --- changes ------------------------------------------------------- */

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

/*
 * The time of the first event line the fake server logged at or after
 * byte off of its event log, waiting for it until deadline; < 0 when
 * none came. The server logs just after writing the event, so the line
 * may lag the table swap it caused by a little.
 */
static double event_time(const char *log, long off, double deadline)
{
	char buf[256];
	double t = -1;
	ssize_t r;
	int fd;

	do {
		fd = open(log, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			r = pread(fd, buf, sizeof(buf) - 1, off);
			close(fd);
			if (r > 0) {
				buf[r] = '\0';
				if (strchr(buf, '\n'))
					return strtod(buf, NULL);
			}
		}
		pause_ns(POLL_NS);
	} while (now() < deadline);
	return t;
}

static int one_change(struct shunt *s, int port, const char *log, int n,
		      char *line)
{
	char *name = line, *eps_s, *op, *tab;
	struct shunt_service rec;
	__u32 id, before, eps;
	double t0, t1, tev, deadline;
	long off;
	int fd, err;

	eps_s = strchr(name, '\t');
	op = eps_s ? strchr(eps_s + 1, '\t') : NULL;
	if (!op) {
		fprintf(stderr, "cp-latency: bad line %d\n", n);
		return -1;
	}
	*eps_s++ = '\0';
	*op++ = '\0';
	tab = strchr(op, '\n');
	if (tab)
		*tab = '\0';
	eps = strtoul(eps_s, NULL, 10);
	if (svc_id(s, name, &id))
		return -1;
	before = table_of(s, id);
	off = file_size(log);
	if (off < 0) {
		fprintf(stderr, "cp-latency: %s: %s\n", log, strerror(errno));
		return -1;
	}
	t0 = now();
	fd = api_connect(port);
	if (fd < 0 || api_send(fd, op, strlen(op))) {
		fprintf(stderr, "cp-latency: cannot post: %s\n",
			strerror(errno));
		return -1;
	}
	deadline = t0 + SAMPLE_TIMEOUT_S;
	while (table_of(s, id) == before && now() < deadline)
		pause_ns(POLL_NS);
	t1 = now();
	if (api_finish(fd))
		return -1;
	if (t1 >= deadline) {
		fprintf(stderr, "cp-latency: %s: no new table after %.0f s\n",
			name, SAMPLE_TIMEOUT_S);
		return -1;
	}
	tev = event_time(log, off, now() + SAMPLE_TIMEOUT_S);
	if (tev < 0 || tev < t0 || tev > t1) {
		fprintf(stderr, "cp-latency: %s: no event logged in %s\n", name,
			log);
		return -1;
	}
	/* The record follows the table swap (apply.h, steps 3 and 4). */
	deadline = now() + SAMPLE_TIMEOUT_S;
	while (!(err = record_of(s, id, &rec)) && rec.backend_count != eps &&
	       now() < deadline)
		pause_ns(POLL_NS);
	if (err || rec.backend_count != eps) {
		fprintf(stderr,
			"cp-latency: %s: %u active backends, expected %u\n",
			name, rec.backend_count, eps);
		return -1;
	}
	printf("%d,%s,%u,%.3f,%.3f\n", n, name, eps, (t1 - tev) * 1e3,
	       (t1 - t0) * 1e3);
	fflush(stdout);
	return 0;
}

static int cmd_changes(const char *root, int port, const char *log,
		       const char *file, int first, int count)
{
	char *line = NULL;
	size_t cap = 0;
	struct shunt s;
	int n = 0, done = 0, rc = 0;
	FILE *f = fopen(file, "r");

	if (!f) {
		fprintf(stderr, "cp-latency: %s: %s\n", file, strerror(errno));
		return 1;
	}
	if (open_root(&s, root)) {
		fclose(f);
		return 1;
	}
	while (done < count && getline(&line, &cap, f) > 0) {
		if (++n < first)
			continue;
		if (one_change(&s, port, log, n, line)) {
			rc = 1;
			break;
		}
		done++;
		/* Let the agent finish its sync (log, metrics) first. */
		pause_ns(20 * 1000 * 1000);
	}
	if (!rc && done < count) {
		fprintf(stderr, "cp-latency: %s has only %d lines\n", file, n);
		rc = 1;
	}
	free(line);
	fclose(f);
	shunt_close(&s);
	return rc;
}

/* --- the fake API server alone ------------------------------------- */

/* Open a watch of EndpointSlices; the fd, its response headers read. */
static int open_watch(int port, const char *token)
{
	char req[512], buf[4096];
	size_t got = 0;
	ssize_t r;
	int fd = api_connect(port), n;

	if (fd < 0)
		return -1;
	n = snprintf(req, sizeof(req),
		     "GET /apis/discovery.k8s.io/v1/endpointslices?watch=1 "
		     "HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
		     "%s\r\n\r\n",
		     token);
	if (write_all(fd, req, n)) {
		close(fd);
		return -1;
	}
	while (got < sizeof(buf) - 1 &&
	       (r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0) {
		got += r;
		buf[got] = '\0';
		if (!strstr(buf, "\r\n\r\n"))
			continue;
		if (!strncmp(buf, "HTTP/1.1 200", 12))
			return fd;
		break;
	}
	close(fd);
	return -1;
}

/* Read the watch until an event line ends ("}\n": chunk framing ends in
 * "\r\n"). 0 or -1. */
static int read_event(int fd)
{
	char buf[65536], last = 0;
	ssize_t r, i;

	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < r; i++) {
			if (buf[i] == '\n' && last == '}')
				return 0;
			last = buf[i];
		}
	}
	return -1;
}

static int cmd_calibrate(int port, const char *token, const char *file,
			 int count)
{
	char *line = NULL, *op;
	size_t cap = 0;
	double t0, t1;
	int w, fd, n = 0, rc = 0;
	FILE *f = fopen(file, "r");

	w = open_watch(port, token);
	if (!f || w < 0) {
		fprintf(stderr, "cp-latency: cannot read %s or watch: %s\n",
			file, strerror(errno));
		if (f)
			fclose(f);
		return 1;
	}
	/* Let the server count the watch as connected. */
	pause_ns(200 * 1000 * 1000);
	while (n < count && getline(&line, &cap, f) > 0) {
		n++;
		op = strchr(line, '\t');
		op = op ? strchr(op + 1, '\t') : NULL;
		if (!op) {
			rc = 1;
			break;
		}
		op++;
		op[strcspn(op, "\n")] = '\0';
		t0 = now();
		fd = api_connect(port);
		if (fd < 0 || api_send(fd, op, strlen(op)) || read_event(w)) {
			fprintf(stderr,
				"cp-latency: calibrate sample %d failed\n", n);
			if (fd >= 0)
				close(fd);
			rc = 1;
			break;
		}
		t1 = now();
		if (api_finish(fd)) {
			rc = 1;
			break;
		}
		printf("%d,fake-apiserver,0,%.3f\n", n, (t1 - t0) * 1e3);
		fflush(stdout);
		pause_ns(20 * 1000 * 1000);
	}
	free(line);
	fclose(f);
	close(w);
	return rc;
}

/* --- removal ------------------------------------------------------- */

struct gone {
	__u32 id;
	struct shunt_frontend_key fe[2];
};

/* How many of g[0..n-1] still have a frontend; in *used, how many still
 * have their id in use. */
static size_t still_there(const struct shunt *s, const struct gone *g, size_t n,
			  size_t *used)
{
	struct shunt_frontend fe;
	struct shunt_service rec;
	size_t i, j, left = 0;

	*used = 0;
	for (i = 0; i < n; i++) {
		for (j = 0; j < 2; j++)
			if (!bpf_map_lookup_elem(s->frontend_map, &g[i].fe[j],
						 &fe)) {
				left++;
				break;
			}
		if (!record_of(s, g[i].id, &rec) &&
		    (rec.flags & SHUNT_SVC_F_USED))
			(*used)++;
	}
	return left;
}

static int read_gone(struct shunt *s, const char *tsv, struct gone **out,
		     size_t *n)
{
	char name[SHUNT_NAME_MAX], ip[64], why[128];
	struct gone *g = NULL, *grown;
	size_t cap = 0;
	unsigned int np;
	FILE *f = fopen(tsv, "r");

	*n = 0;
	if (!f)
		return -1;
	while (fscanf(f, "%159s %63s %u", name, ip, &np) == 3) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 1024;
			grown = realloc(g, cap * sizeof(*g));
			if (!grown)
				break;
			g = grown;
		}
		memset(&g[*n], 0, sizeof(g[*n]));
		snprintf(why, sizeof(why), "%s:80/tcp", ip);
		if (svc_id(s, name, &g[*n].id) ||
		    shunt_parse_service(why, &g[*n].fe[0], why, sizeof(why))) {
			fclose(f);
			free(g);
			return -1;
		}
		g[*n].fe[1] = g[*n].fe[0];
		memset(&g[*n].fe[1].vip, 0, sizeof(g[*n].fe[1].vip));
		g[*n].fe[1].port = htons(np);
		(*n)++;
	}
	fclose(f);
	*out = g;
	return 0;
}

static int cmd_remove(const char *root, int port, const char *tsv, char **ops,
		      int n_ops)
{
	double t0, t_fe = 0, deadline;
	size_t n, left, used, len;
	struct gone *g = NULL;
	struct shunt s;
	char *body;
	int i, rc = 1;

	if (open_root(&s, root))
		return 1;
	if (read_gone(&s, tsv, &g, &n) || !n) {
		fprintf(stderr, "cp-latency: cannot read %s\n", tsv);
		goto out;
	}
	left = still_there(&s, g, n, &used);
	if (left != n || used != n) {
		fprintf(stderr,
			"cp-latency: before removal, %zu of %zu services have frontends, %zu ids in use\n",
			left, n, used);
		goto out;
	}
	t0 = now();
	for (i = 0; i < n_ops; i++) {
		body = read_file(ops[i], &len);
		if (!body || api_post(port, body, len)) {
			free(body);
			goto out;
		}
		free(body);
	}
	deadline = t0 + REMOVE_TIMEOUT_S;
	do {
		left = still_there(&s, g, n, &used);
		if (!left && !t_fe)
			t_fe = now();
		if (!left && !used)
			break;
		pause_ns(1000 * 1000);
	} while (now() < deadline);
	if (left || used) {
		fprintf(stderr,
			"cp-latency: after %.0f s, %zu services still have frontends, %zu ids in use\n",
			REMOVE_TIMEOUT_S, left, used);
		goto out;
	}
	printf("%.3f %.3f\n", t_fe - t0, now() - t0);
	rc = 0;
out:
	free(g);
	shunt_close(&s);
	return rc;
}

/* --- counts and map ids -------------------------------------------- */

static size_t count_tables(const struct shunt *s)
{
	__u32 key, next, inner;
	size_t n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(s->maglev_map, prev, &next)) {
		key = next;
		prev = &key;
		n += !bpf_map_lookup_elem(s->maglev_map, &key, &inner);
	}
	return n;
}

static int cmd_counts(const char *root)
{
	struct shunt_usage u;
	struct shunt s;
	int err;

	if (open_root(&s, root))
		return 1;
	err = shunt_usage_read(&s, false, &u);
	if (!err)
		printf("%zu %zu %zu %zu\n", u.services, u.frontends, u.backends,
		       count_tables(&s));
	else
		fprintf(stderr, "cp-latency: usage: %s\n", strerror(-err));
	shunt_close(&s);
	return err ? 1 : 0;
}

static void print_map_id(int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		printf("%u\n", info.id);
}

/* The maps every pinned program uses. */
static void prog_map_ids(const char *root)
{
	struct bpf_prog_info info;
	char path[4096];
	__u32 ids[64], len, i;
	struct dirent *d;
	DIR *dir;
	int fd;

	snprintf(path, sizeof(path), "%s/progs", root);
	dir = opendir(path);
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/progs/%s", root, d->d_name);
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		info.nr_map_ids = 64;
		info.map_ids = (__u64)(unsigned long)ids;
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			for (i = 0; i < info.nr_map_ids && i < 64; i++)
				printf("%u\n", ids[i]);
		close(fd);
	}
	if (dir)
		closedir(dir);
}

static int cmd_map_ids(const char *root)
{
	__u32 key, next, inner;
	void *prev = NULL;
	char path[4096];
	struct dirent *d;
	struct shunt s;
	DIR *dir;
	int fd;

	if (open_root(&s, root))
		return 1;
	/* Pinned maps: every regular entry of the pin root. */
	dir = opendir(root);
	while (dir && (d = readdir(dir))) {
		if (d->d_type != DT_REG)
			continue;
		snprintf(path, sizeof(path), "%s/%s", root, d->d_name);
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			print_map_id(fd);
			close(fd);
		}
	}
	if (dir)
		closedir(dir);
	prog_map_ids(root);
	while (!bpf_map_get_next_key(s.maglev_map, prev, &next)) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(s.maglev_map, &key, &inner))
			printf("%u\n", inner);
	}
	shunt_close(&s);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: cp-latency changes PIN_ROOT PORT EVENT_LOG FILE FIRST "
		"COUNT\n"
		"       cp-latency calibrate PORT TOKEN FILE COUNT\n"
		"       cp-latency remove PIN_ROOT PORT REMOVED_TSV OP_FILE...\n"
		"       cp-latency counts PIN_ROOT\n"
		"       cp-latency map-ids PIN_ROOT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	/* Short polling sleeps really short. */
	prctl(PR_SET_TIMERSLACK, 1UL);
	if (argc == 8 && !strcmp(argv[1], "changes"))
		return cmd_changes(argv[2], atoi(argv[3]), argv[4], argv[5],
				   atoi(argv[6]), atoi(argv[7]));
	if (argc == 6 && !strcmp(argv[1], "calibrate"))
		return cmd_calibrate(atoi(argv[2]), argv[3], argv[4],
				     atoi(argv[5]));
	if (argc >= 6 && !strcmp(argv[1], "remove"))
		return cmd_remove(argv[2], atoi(argv[3]), argv[4], argv + 5,
				  argc - 5);
	if (argc == 3 && !strcmp(argv[1], "counts"))
		return cmd_counts(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "map-ids"))
		return cmd_map_ids(argv[2]);
	usage();
	return 2;
}
