/*
 * log.h — the library's only output channel.
 *
 * The library never writes to stdout or stderr.  An application registers
 * one logger; the default discards everything (nng's rule).  Messages never
 * contain secrets, plaintext shares or per-record data.
 */
#ifndef CRN_BASE_LOG_H
#define CRN_BASE_LOG_H

#include "base/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* syslog levels */
typedef enum cairn_log_level {
	CAIRN_LOG_ERR = 3,
	CAIRN_LOG_WARN = 4,
	CAIRN_LOG_NOTICE = 5,
	CAIRN_LOG_INFO = 6,
	CAIRN_LOG_DEBUG = 7,
} cairn_log_level;

/*
 * Called for each message at or below the configured level.  func is the
 * reporting function's name, msg a NUL-terminated line without newline.
 * May be called from any thread; must not call back into cairn.
 */
typedef void (*cairn_logger)(
    cairn_log_level level, const char *func, const char *msg, void *arg);

/* Install fn (NULL restores the discarding default).  Not thread-safe
 * against concurrent logging; call at start-up. */
CAIRN_API void cairn_log_set_logger(cairn_logger fn, void *arg);
/* Messages above level are dropped before formatting. */
CAIRN_API void cairn_log_set_level(cairn_log_level level);
/* A ready-made logger writing "level func: msg" lines to stderr. */
CAIRN_API void cairn_log_stderr(
    cairn_log_level level, const char *func, const char *msg, void *arg);

#ifdef __cplusplus
}
#endif
#endif /* CRN_BASE_LOG_H */
