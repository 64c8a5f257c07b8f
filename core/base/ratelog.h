/*
 * ratelog.h — at most one log line per key (a peer's address or name) per
 * interval, counting the lines it held back.  For complaints a peer can
 * trigger at will (a malformed message, a refused handshake), so that a
 * hostile or broken peer cannot flood the log, while an operator still
 * sees every kind of trouble and how often it happened.
 *
 * The table has a fixed number of slots, so a peer changing its address
 * cannot grow it; when every slot is taken the one quiet longest (no line
 * asked for) is reused: its held-back count is lost, which only shortens
 * a summary, and a key that keeps talking is never the one reused.
 * No clock inside: callers pass the time (sans-I/O).
 *
 * Threads: one thread at a time per table.
 */
#ifndef CRN_BASE_RATELOG_H
#define CRN_BASE_RATELOG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

#define CRN_RATELOG_SLOTS   128
#define CRN_RATELOG_KEY_MAX 64 /* longer keys are cut */

typedef struct crn_ratelog_slot {
	char key[CRN_RATELOG_KEY_MAX + 1];
	int64_t last_ms; /* when a line for key was last allowed */
	int64_t seen_ms; /* when a line for key was last asked for */
	uint64_t held;   /* lines held back since */
	bool used;
} crn_ratelog_slot;

typedef struct crn_ratelog {
	int64_t interval_ms;
	crn_ratelog_slot slot[CRN_RATELOG_SLOTS];
} crn_ratelog;

/* Start empty with one line per key per interval_ms (> 0). */
void crn_ratelog_init(crn_ratelog *rl, int64_t interval_ms);

/*
 * Whether a line about key may be logged at now_ms.  When it may, *held
 * is the number of lines about key held back since the last one (to be
 * said in the line); when it may not, the line is counted as held back.
 */
bool crn_ratelog_allow(
    crn_ratelog *rl, const char *key, int64_t now_ms, uint64_t *held);

#endif /* CRN_BASE_RATELOG_H */
