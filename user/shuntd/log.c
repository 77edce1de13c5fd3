// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* shuntd's log lines: logfmt or JSON, with an RFC 3339 UTC timestamp. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "log.h"

static enum log_format fmt = LOG_KV;
static enum log_level min_level = LOG_INFO;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_setup(enum log_format format, enum log_level min)
{
	fmt = format;
	min_level = min;
}

int log_format_parse(const char *s, enum log_format *f)
{
	if (!strcmp(s, "kv") || !strcmp(s, "logfmt"))
		*f = LOG_KV;
	else if (!strcmp(s, "json"))
		*f = LOG_JSON;
	else
		return -1;
	return 0;
}

static void timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
		 tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
		 tm.tm_sec % 100, (int)(ts.tv_nsec / 1000000) % 1000);
}

/* logfmt: quote values with spaces, quotes or '='. */
static void kv_value(FILE *f, const char *v)
{
	const char *p;

	if (*v && !strpbrk(v, " \"=\t\n")) {
		fputs(v, f);
		return;
	}
	fputc('"', f);
	for (p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* The line into f: logfmt or one JSON object, no newline. */
static void format_line(FILE *f, enum log_level level, const char *ts,
			const char *msg, va_list ap)
{
	struct json_object *o;
	const char *k, *v;

	if (fmt == LOG_JSON) {
		o = json_object_new_object();
		json_object_object_add(o, "time", json_object_new_string(ts));
		json_object_object_add(
			o, "level", json_object_new_string(level_names[level]));
		json_object_object_add(o, "msg", json_object_new_string(msg));
		while ((k = va_arg(ap, const char *))) {
			v = va_arg(ap, const char *);
			json_object_object_add(
				o, k, json_object_new_string(v ? v : ""));
		}
		fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
		      f);
		json_object_put(o);
		return;
	}
	fprintf(f, "time=%s level=%s msg=", ts, level_names[level]);
	kv_value(f, msg);
	while ((k = va_arg(ap, const char *))) {
		v = va_arg(ap, const char *);
		fprintf(f, " %s=", k);
		kv_value(f, v ? v : "");
	}
}

/*
 * A line is built in memory and written with one write(2): lines of
 * several threads never interleave, and the event loop pays one system
 * call per line, not one per field.
 */
void log_msg(enum log_level level, const char *msg, ...)
{
	char ts[40], *line = NULL;
	size_t len = 0;
	va_list ap;
	FILE *f;

	if (level < min_level)
		return;
	timestamp(ts, sizeof(ts));
	f = open_memstream(&line, &len);
	if (!f)
		return;
	va_start(ap, msg);
	format_line(f, level, ts, msg, ap);
	va_end(ap);
	fputc('\n', f);
	if (!fclose(f)) {
		pthread_mutex_lock(&lock);
		fwrite(line, 1, len, stderr);
		fflush(stderr);
		pthread_mutex_unlock(&lock);
	}
	free(line);
}
