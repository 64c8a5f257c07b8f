/*
 * ratelog.c — one log line per key per interval (see ratelog.h).
 */
#include <stdio.h>
#include <string.h>

#include "base/crn.h"
#include "base/ratelog.h"

void
crn_ratelog_init(crn_ratelog *rl, int64_t interval_ms)
{
	memset(rl, 0, sizeof(*rl));
	rl->interval_ms = interval_ms > 0 ? interval_ms : 1;
}

/* The slot of key, else a free one, else the one quiet longest. */
static crn_ratelog_slot *
ratelog_slot(crn_ratelog *rl, const char *key, bool *found)
{
	crn_ratelog_slot *pick = NULL;

	*found = false;
	for (size_t i = 0; i < CRN_RATELOG_SLOTS; i++) {
		crn_ratelog_slot *s = &rl->slot[i];

		if (s->used && strcmp(s->key, key) == 0) {
			*found = true;
			return s;
		}
		if (pick == NULL || (pick->used && !s->used) ||
		    (pick->used && s->used && s->seen_ms < pick->seen_ms))
			pick = s;
	}
	return pick;
}

bool
crn_ratelog_allow(
    crn_ratelog *rl, const char *key, int64_t now_ms, uint64_t *held)
{
	char k[CRN_RATELOG_KEY_MAX + 1];
	crn_ratelog_slot *s;
	bool found;

	*held = 0;
	snprintf(k, sizeof(k), "%s", key != NULL ? key : "");
	s = ratelog_slot(rl, k, &found);
	if (found && now_ms - s->last_ms < rl->interval_ms) {
		s->held++;
		s->seen_ms = now_ms;
		return false;
	}
	if (found)
		*held = s->held;
	memset(s, 0, sizeof(*s));
	memcpy(s->key, k, sizeof(s->key));
	s->used = true;
	s->last_ms = s->seen_ms = now_ms;
	return true;
}
