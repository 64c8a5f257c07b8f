/*
 * logfmt.h — one log event as one line: an RFC 3339 UTC timestamp, the
 * level, the party that logs and the message, as text or as a JSON
 * object.  Pure formatting (the caller passes the time), so that the unit
 * test pins every byte; the daemons' logger (nodes/runtime/rt.c) writes
 * the line with one write.
 *
 * Text:  2026-12-05T05:10:16.123Z cairn-node[agency1]: info: MESSAGE
 *        (debug lines carry the reporting function before the message)
 * JSON:  {"time":"2026-12-05T05:10:16.123Z","level":"info",
 *         "party":"cairn-node[agency1]","event":"nd_on_link",
 *         "message":"MESSAGE"}
 * "event" is the reporting function: the same event always has the same
 * name, so it can be counted and filtered.
 *
 * A message never spans lines: control characters (a newline inside a
 * peer's string, say) are written as \n, \t or \xHH in text and as JSON
 * escapes in JSON; bytes of 0x80 and above are \u00HH in JSON, so every
 * line is valid JSON whatever bytes the message held.
 *
 * Thread safety: none needed (no state).
 */
#ifndef CRN_BASE_LOGFMT_H
#define CRN_BASE_LOGFMT_H

#include <stddef.h>
#include <stdint.h>

#include "base/log.h"

typedef enum crn_log_format {
	CRN_LOG_TEXT = 0,
	CRN_LOG_JSON = 1,
} crn_log_format;

/* Longest line crn_log_line writes, newline and NUL included: a 1 KiB
 * message escaped six bytes a byte, and the fixed fields. */
#define CRN_LOG_LINE_MAX 8192

/* "2026-12-05T05:10:16.123Z" of unix_ms into out (at least 25 bytes). */
void crn_log_rfc3339(int64_t unix_ms, char out[static 25]);

/*
 * Format one event into buf (size n, at least 64) ending in "\n" and a
 * NUL; returns the line's length without the NUL.  A line longer than
 * the buffer is cut inside the message and still ends as a whole line
 * (and, in JSON, a whole object).  party and event may be NULL ("-").
 */
size_t crn_log_line(char *buf, size_t n, crn_log_format fmt, int64_t unix_ms,
    cairn_log_level level, const char *party, const char *event,
    const char *msg);

/* "error", "warning", "notice", "info" or "debug". */
const char *crn_log_level_name(cairn_log_level level);

#endif /* CRN_BASE_LOGFMT_H */
