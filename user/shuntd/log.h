/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * shuntd's log: one line per event on stderr, as key=value pairs
 * (logfmt) or JSON objects. Fields follow the message as key, value
 * string pairs ended by NULL:
 *   log_info("service added", "service", name, "backends", "3", NULL);
 */
#ifndef SHUNTD_LOG_H
#define SHUNTD_LOG_H

enum log_format {
	LOG_KV = 0,
	LOG_JSON = 1,
};

enum log_level {
	LOG_DEBUG = 0,
	LOG_INFO = 1,
	LOG_WARN = 2,
	LOG_ERROR = 3,
};

void log_setup(enum log_format format, enum log_level min);
int log_format_parse(const char *s, enum log_format *f);

void log_msg(enum log_level level, const char *msg, ...)
	__attribute__((sentinel));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif /* SHUNTD_LOG_H */
