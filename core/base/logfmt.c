/*
 * logfmt.c — log lines as text or JSON (see logfmt.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/logfmt.h"

const char *
crn_log_level_name(cairn_log_level level)
{
	switch (level) {
	case CAIRN_LOG_ERR: return "error";
	case CAIRN_LOG_WARN: return "warning";
	case CAIRN_LOG_NOTICE: return "notice";
	case CAIRN_LOG_DEBUG: return "debug";
	default: return "info";
	}
}

void
crn_log_rfc3339(int64_t unix_ms, char out[static 25])
{
	time_t t = (time_t)(unix_ms / 1000);
	int ms = (int)(unix_ms % 1000);
	struct tm tm;

	if (ms < 0) {
		ms += 1000;
		t--;
	}
	memset(&tm, 0, sizeof(tm));
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    tm.tm_year + 1900 < 0) {
		memcpy(out, "0000-00-00T00:00:00.000Z", 25);
		return;
	}
	snprintf(out, 25, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, ms);
}

/* A growing line that never passes its end: the last `reserve` bytes are
 * kept for the line's closing characters. */
typedef struct lf_buf {
	char *p;
	size_t n, len, reserve;
	int full;
} lf_buf;

static void
lf_put(lf_buf *b, const char *s, size_t len)
{
	if (b->full || b->len + len + b->reserve >= b->n) {
		b->full = 1;
		return;
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
}

static void
lf_puts(lf_buf *b, const char *s)
{
	lf_put(b, s, strlen(s));
}

/* One byte of a message or field, escaped for text or JSON. */
static void
lf_byte(lf_buf *b, unsigned char c, crn_log_format fmt)
{
	char e[8];

	if (fmt == CRN_LOG_JSON) {
		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			lf_put(b, e, 2);
		} else if (c == '\n') {
			lf_put(b, "\\n", 2);
		} else if (c == '\t') {
			lf_put(b, "\\t", 2);
		} else if (c < 0x20 || c >= 0x7f) {
			snprintf(e, sizeof(e), "\\u%04x", c);
			lf_put(b, e, 6);
		} else {
			lf_put(b, (const char *)&c, 1);
		}
		return;
	}
	if (c == '\n') {
		lf_put(b, "\\n", 2);
	} else if (c == '\t') {
		lf_put(b, "\\t", 2);
	} else if (c < 0x20 || c == 0x7f) {
		snprintf(e, sizeof(e), "\\x%02x", c);
		lf_put(b, e, 4);
	} else {
		lf_put(b, (const char *)&c, 1);
	}
}

static void
lf_text(lf_buf *b, const char *s, crn_log_format fmt)
{
	for (; *s != '\0' && !b->full; s++)
		lf_byte(b, (unsigned char)*s, fmt);
}

size_t
crn_log_line(char *buf, size_t n, crn_log_format fmt, int64_t unix_ms,
    cairn_log_level level, const char *party, const char *event,
    const char *msg)
{
	char ts[25];
	const char *lv = crn_log_level_name(level);
	/* Room for the closing characters: ' [cut]' '"}' '\n' NUL. */
	lf_buf b = {buf, n, 0, 12, 0};

	if (n < 64) {
		if (n > 0)
			buf[0] = '\0';
		return 0;
	}
	party = party != NULL ? party : "-";
	event = event != NULL ? event : "-";
	crn_log_rfc3339(unix_ms, ts);
	if (fmt == CRN_LOG_JSON) {
		lf_puts(&b, "{\"time\":\"");
		lf_puts(&b, ts);
		lf_puts(&b, "\",\"level\":\"");
		lf_puts(&b, lv);
		lf_puts(&b, "\",\"party\":\"");
		lf_text(&b, party, fmt);
		lf_puts(&b, "\",\"event\":\"");
		lf_text(&b, event, fmt);
		lf_puts(&b, "\",\"message\":\"");
	} else {
		lf_puts(&b, ts);
		lf_puts(&b, " ");
		lf_text(&b, party, fmt);
		lf_puts(&b, ": ");
		lf_puts(&b, lv);
		lf_puts(&b, ": ");
		if (level == CAIRN_LOG_DEBUG) {
			lf_text(&b, event, fmt);
			lf_puts(&b, ": ");
		}
	}
	lf_text(&b, msg != NULL ? msg : "", fmt);
	/* The reserve is ours now: close the line whatever was cut. */
	b.reserve = 0;
	if (b.full) {
		b.full = 0;
		lf_puts(&b, " [cut]");
	}
	if (fmt == CRN_LOG_JSON)
		lf_puts(&b, "\"}");
	lf_puts(&b, "\n");
	buf[b.len] = '\0';
	return b.len;
}
