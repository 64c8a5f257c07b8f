/*
 * state_lock.h — one daemon per state directory.
 *
 * A node's or coordinator's state_dir holds what must not be shared
 * between two processes: the node's job ledger (a job id run by one
 * daemon must be known to the other, or a coordinator could replay a
 * signed job to each) and the newest CRL accepted.  Two daemons started
 * on one directory by mistake would also take turns at the coordinator
 * with one identity.  So each daemon takes an exclusive lock on
 * state_dir/lock at start and holds it until it exits; a second daemon
 * is refused at once, told which directory and which PID holds it.
 *
 * The lock is an fcntl record lock: the kernel drops it when the process
 * ends however it ends (kill -9 included), so a stale lock file never
 * blocks a restart.  The file also holds the holder's PID as text, for
 * people.  Not thread-safe; one lock per process.
 */
#ifndef CRN_RUNTIME_STATE_LOCK_H
#define CRN_RUNTIME_STATE_LOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

typedef struct crn_state_lock {
	int fd;
	bool held;
} crn_state_lock;

/*
 * Create dir (mode 0700, with missing parents) if needed and lock it.
 * CAIRN_EPERM when another process holds the lock: err then names dir and
 * that process's PID.  CAIRN_ESYS (err says which call failed) otherwise.
 */
CAIRN_NODISCARD cairn_err crn_state_lock_open(
    crn_state_lock *l, const char *dir, char *err, size_t errlen);

/* Release the lock; safe on zeroed storage and twice. */
void crn_state_lock_close(crn_state_lock *l);

#endif /* CRN_RUNTIME_STATE_LOCK_H */
