// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Nanoseconds per packet of shunt_xdp and shunt_tc through
 * BPF_PROG_TEST_RUN, in the program tests' namespace (tests/lib/progenv.h:
 * real FIB and neighbour entries, so forwarded packets take the whole path
 * to the redirect verdict).
 *
 * For 1, 1,000 and 10,000 services installed (the measured one plus
 * services without backends) and 10 and 1,000 backends behind the measured
 * service, three packets:
 *   established  the next packet of an open TCP flow
 *   new flow     the first packet (SYN) of a new flow: Maglev pick and
 *                two conntrack entries; a fresh flow every run
 *   pass         a packet that is no service traffic (parse, service and
 *                conntrack lookups, then XDP_PASS / TC_ACT_OK)
 *
 * The program rewrites the packet in place, so a test run with repeat > 1
 * would measure already-translated packets. Every sample is therefore one
 * run (repeat = 1) on a fresh copy of the frame; the kernel's timer
 * overhead is removed by subtracting the mean of single runs of a program
 * that only returns its verdict, sampled interleaved with the others.
 * Figures: mean of SAMPLES runs, median of ROUNDS. CSV on stdout, a
 * Markdown table on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "ct.h"
#include "pktgen.h"
#include "progenv.h"
#include "service.h"

#define SAMPLES 20000
#define ROUNDS	3
#define NADDR	250 /* backend addresses 10.0.1.2 .. 10.0.1.251 */

static const unsigned int svc_counts[] = {1, 1000, 10000};
static const unsigned int be_counts[] = {10, 1000};

struct frame {
	uint8_t buf[256];
	size_t len;
};

static struct {
	struct frame est;  /* next packet of the open flow */
	struct frame pass; /* no service traffic */
} frames;

static void build(struct frame *f, const char *src, uint16_t sport,
		  const char *dst, uint16_t dport, uint8_t flags)
{
	struct pg_spec s;

	pg_spec_init(&s, src, sport, dst, dport, IPPROTO_TCP);
	pg_mac(s.dmac, PENV_CLI_MAC);
	pg_mac(s.smac, PENV_CLIENT_MAC);
	s.tcp_flags = flags;
	s.payload_len = 64;
	f->len = pg_build(&s, f->buf, sizeof(f->buf), NULL);
}

/* A program that only returns ret: the timer overhead baseline. */
static int null_prog(enum bpf_prog_type type, int ret)
{
	const struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K,
		 .dst_reg = BPF_REG_0,
		 .imm = ret},
		{.code = BPF_JMP | BPF_EXIT},
	};

	return bpf_prog_load(type, "shunt_null", "GPL", insns, 2, NULL);
}

/* One test run of prog_fd on f; the kernel's duration in ns. */
static double run(int prog_fd, enum penv_hook hook, const struct frame *f)
{
	struct xdp_md xctx = {.data_end = f->len,
			      .ingress_ifindex = penv.if_cli};
	struct __sk_buff sctx = {.ifindex = penv.if_cli};
	uint8_t out[256];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->buf,
		    .data_size_in = f->len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);

	if (hook == PENV_XDP) {
		opts.ctx_in = &xctx;
		opts.ctx_size_in = sizeof(xctx);
	} else {
		opts.ctx_in = &sctx;
		opts.ctx_size_in = sizeof(sctx);
	}
	if (bpf_prog_test_run_opts(prog_fd, &opts)) {
		perror("BPF_PROG_TEST_RUN");
		exit(1);
	}
	return opts.duration;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), dbl_cmp);
	return v[n / 2];
}

struct figures {
	double est, new_flow, pass;
};

/* One round: SAMPLES interleaved runs of each packet and of the null
 * program; means minus the null mean. round picks the client address,
 * so new flows never repeat. */
static void sample(enum penv_hook hook, int null_fd, unsigned int round,
		   struct figures *out)
{
	double sum_null = 0, sum_est = 0, sum_new = 0, sum_pass = 0;
	int fd = penv.prog_fd[hook], i;
	char src[32];
	struct frame f;

	snprintf(src, sizeof(src), "10.0.%u.%u", 100 + round / 250,
		 round % 250 + 2);
	run(fd, hook, &frames.est); /* the flow is open from here on */
	for (i = 0; i < SAMPLES; i++) {
		build(&f, src, 1024 + i, "10.96.0.10", 80, PG_TCP_SYN);
		sum_null += run(null_fd, hook, &frames.est);
		sum_est += run(fd, hook, &frames.est);
		sum_new += run(fd, hook, &f);
		sum_pass += run(fd, hook, &frames.pass);
	}
	out->est = (sum_est - sum_null) / SAMPLES;
	out->new_flow = (sum_new - sum_null) / SAMPLES;
	out->pass = (sum_pass - sum_null) / SAMPLES;
}

static void measure(enum penv_hook hook, int null_fd, unsigned int base,
		    struct figures *fig)
{
	double e[ROUNDS], n[ROUNDS], p[ROUNDS];
	struct figures r;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		sample(hook, null_fd, base + i, &r);
		e[i] = r.est;
		n[i] = r.new_flow;
		p[i] = r.pass;
	}
	fig->est = median(e, ROUNDS);
	fig->new_flow = median(n, ROUNDS);
	fig->pass = median(p, ROUNDS);
}

static int add_neighbours(void)
{
	int i;

	for (i = 2; i < 2 + NADDR; i++)
		if (penv_sh("ip neigh replace 10.0.1.%d lladdr "
			    "02:00:00:00:01:%02x dev " PENV_BE_IF
			    " nud permanent",
			    i, i & 0xff))
			return -1;
	return 0;
}

static int set_backends(const struct shunt_frontend_key *key, unsigned int n)
{
	struct shunt_backend_spec *b = calloc(n, sizeof(*b));
	unsigned int i;
	int err;

	for (i = 0; i < n; i++) {
		b[i].addr.v4 = htonl(0x0a000102 + i % NADDR);
		b[i].port = htons(8080 + i / NADDR);
		b[i].family = SHUNT_V4;
		b[i].state = SHUNT_BE_ACTIVE;
		b[i].weight = 1;
	}
	err = shunt_backend_sync(&penv.s, key, b, n);
	free(b);
	return err;
}

/* The measured service plus nsvc - 1 services without backends. */
static int set_services(struct shunt_frontend_key *key, unsigned int nsvc)
{
	struct shunt_frontend_key filler = *key;
	unsigned int i;
	int err;

	penv_reset(NULL);
	*key = penv_svc_key("10.96.0.10", 80, IPPROTO_TCP);
	err = penv_service_add(key, SHUNT_MAGLEV_DEFAULT, 0, NULL);
	filler = *key;
	for (i = 1; !err && i < nsvc; i++) {
		filler.vip.v4 = htonl(0x0b000000 + i);
		err = shunt_service_add(&penv.s, &filler, SHUNT_MAGLEV_MIN, 0);
	}
	return err;
}

int main(void)
{
	static const char *const hooks[] = {"xdp", "tc"};
	struct shunt_frontend_key key = {};
	unsigned int si, bi, h, round = 0;
	struct figures fig;
	int null_fd[2];

	if (penv_setup(NULL) || add_neighbours()) {
		fprintf(stderr, "prog-bench: cannot set up the environment\n");
		return 1;
	}
	null_fd[PENV_XDP] = null_prog(BPF_PROG_TYPE_XDP, XDP_PASS);
	null_fd[PENV_TC] = null_prog(BPF_PROG_TYPE_SCHED_CLS, 0);
	if (null_fd[PENV_XDP] < 0 || null_fd[PENV_TC] < 0) {
		perror("prog-bench: loading the baseline program");
		return 1;
	}
	build(&frames.est, PENV_CLIENT4, 40000, "10.96.0.10", 80, PG_TCP_ACK);
	build(&frames.pass, PENV_CLIENT4, 40001, "10.0.1.2", 8080, PG_TCP_ACK);
	printf("hook,services,backends,established_ns,new_flow_ns,pass_ns\n");
	fprintf(stderr, "| hook | services | backends | established flow "
			"ns/pkt | new flow ns/pkt | non-service pass ns/pkt "
			"|\n|---|---:|---:|---:|---:|---:|\n");
	for (si = 0; si < 3; si++) {
		if (set_services(&key, svc_counts[si])) {
			fprintf(stderr, "prog-bench: adding services failed\n");
			return 1;
		}
		for (bi = 0; bi < 2; bi++) {
			if (set_backends(&key, be_counts[bi])) {
				fprintf(stderr, "prog-bench: backends\n");
				return 1;
			}
			for (h = 0; h < 2; h++) {
				shunt_ct_flush(&penv.s, NULL);
				measure(h, null_fd[h], round, &fig);
				round += ROUNDS;
				printf("%s,%u,%u,%.0f,%.0f,%.0f\n", hooks[h],
				       svc_counts[si], be_counts[bi], fig.est,
				       fig.new_flow, fig.pass);
				fprintf(stderr,
					"| %s | %u | %u | %.0f | %.0f | %.0f "
					"|\n",
					hooks[h], svc_counts[si], be_counts[bi],
					fig.est, fig.new_flow, fig.pass);
				fflush(stdout);
			}
		}
	}
	penv_teardown(NULL);
	return 0;
}
