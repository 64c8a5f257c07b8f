/*
 * log.c — the library's logger hook.  The default discards everything; the
 * program installs cairn_log_stderr.  Peer-supplied strings must be escaped
 * by the caller before they reach a format (see crn_log_escape users).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/crn.h"

static cairn_logger crn_logger_fn;
static void *crn_logger_arg;
static cairn_log_level crn_log_level = CAIRN_LOG_INFO;

void
cairn_log_set_logger(cairn_logger fn, void *arg)
{
	crn_logger_fn = fn;
	crn_logger_arg = arg;
}

void
cairn_log_set_level(cairn_log_level level)
{
	crn_log_level = level;
}

void
cairn_log_stderr(
    cairn_log_level level, const char *func, const char *msg, void *arg)
{
	static const char *names[] = {"emerg", "alert", "crit", "error",
	    "warning", "notice", "info", "debug"};

	(void)arg;
	fprintf(stderr, "cairn: %s: %s: %s\n", names[(unsigned)level & 7u],
	    func, msg);
}

void
crn_log(cairn_log_level level, const char *func, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (crn_logger_fn == NULL || level > crn_log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	crn_logger_fn(level, func, buf, crn_logger_arg);
}

void
crn_panic(const char *file, int line, const char *what)
{
	fprintf(
	    stderr, "cairn: internal error at %s:%d: %s\n", file, line, what);
	abort();
}
