// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What the kernel's verifier spent on each program of shunt's BPF objects:
 * instructions processed (the limit is 1,000,000 per program), peak and
 * total states, its time (ms), the stack it found, and the wall time of
 * the whole load (map creation included).
 *
 *   verifier-stats [OBJECT.bpf.o...]   default: every object in build/bpf
 *
 * Loads each object once with verifier statistics (log level 4) and prints
 * one line per program, then unloads it. The load time is what every agent
 * start and every program test pays; docs/datapath.md says why the big
 * programs are split into global functions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>

#define LOG_SIZE (1 << 20)

static const char *const default_objs[] = {
	"build/bpf/lb_xdp.bpf.o",
	"build/bpf/lb_tc.bpf.o",
	"build/bpf/sock_lb.bpf.o",
	"build/bpf/sock_ops.bpf.o",
};

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The value after key in the verifier's statistics lines, or -1. */
static long stat_of(const char *log, const char *key)
{
	const char *at = strstr(log, key);

	return at ? strtol(at + strlen(key), NULL, 10) : -1;
}

static void print_prog(const char *obj, struct bpf_program *prog,
		       const char *log)
{
	const char *stack = strstr(log, "stack depth ");
	int len = stack ? (int)strcspn(stack, "\n") : 0;

	printf("%-28s %-22s %9ld %8ld %9ld %7.1f  %.*s\n", obj,
	       bpf_program__name(prog), stat_of(log, "processed "),
	       stat_of(log, "peak_states "), stat_of(log, "total_states "),
	       stat_of(log, "verification time ") / 1000.0, len,
	       stack ? stack : "");
}

/* How much of a failed load's log to show: VERIFIER_LOG_LINES, or 40. */
static int tail_lines(void)
{
	const char *v = getenv("VERIFIER_LOG_LINES");

	return v ? atoi(v) : 40;
}

/* The end of the first program log that has one: why a load failed. */
static void print_log_tail(char **logs, int n)
{
	int i, lines = 0;
	char *end;

	for (i = 0; i < n; i++) {
		if (!logs[i] || !logs[i][0])
			continue;
		end = logs[i] + strlen(logs[i]);
		while (end > logs[i] && lines < tail_lines())
			if (*--end == '\n')
				lines++;
		fprintf(stderr, "%s\n", end);
		return;
	}
}

static int stats_object(const char *path)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	const char *base = strrchr(path, '/');
	char *logs[16] = {0};
	double t0;
	int n = 0, err;

	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -errno;
	}
	/* Private maps: nothing pinned, nothing reused. */
	bpf_object__for_each_map(map, obj) bpf_map__set_pin_path(map, NULL);
	bpf_object__for_each_program(prog, obj)
	{
		if (n == 16)
			break;
		logs[n] = calloc(1, LOG_SIZE);
		if (!logs[n])
			return -ENOMEM;
		bpf_program__set_log_buf(prog, logs[n], LOG_SIZE);
		bpf_program__set_log_level(prog, 4);
		n++;
	}
	t0 = mono_ms();
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "%s: load: %s\n", path, strerror(-err));
		print_log_tail(logs, n);
	} else {
		n = 0;
		bpf_object__for_each_program(prog, obj)
		{
			if (n < 16)
				print_prog(base ? base + 1 : path, prog,
					   logs[n++]);
		}
		printf("%-28s %-22s load %.0f ms\n", base ? base + 1 : path,
		       "(whole object)", mono_ms() - t0);
	}
	bpf_object__close(obj);
	while (n > 0)
		free(logs[--n]);
	return err;
}

int main(int argc, char **argv)
{
	int i, n = argc > 1 ? argc - 1 : 4, failed = 0;

	if (argc > 1 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: verifier-stats [OBJECT.bpf.o...]\n");
		return 0;
	}
	printf("%-28s %-22s %9s %8s %9s %7s  %s\n", "object", "program",
	       "insns", "peak_st", "total_st", "ms", "stack");
	for (i = 0; i < n; i++)
		failed |= stats_object(argc > 1 ? argv[i + 1]
						: default_objs[i]) != 0;
	return failed;
}
