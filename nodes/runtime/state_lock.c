/*
 * state_lock.c — an exclusive fcntl lock on a daemon's state directory.
 * See state_lock.h.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/state_lock.h"

#define SL_PATH_MAX 4096

/* mkdir -p, new directories 0700. */
static cairn_err
sl_mkdirs(const char *dir, char *err, size_t errlen)
{
	char path[SL_PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path)) {
		snprintf(err, errlen, "state_dir %s: path too long", dir);
		return CAIRN_EINVAL;
	}
	memcpy(path, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			snprintf(err, errlen,
			    "state_dir %s: cannot create %s: %s", dir, path,
			    strerror(errno));
			return CAIRN_ESYS;
		}
		path[i] = i == n ? '\0' : '/';
	}
	return CAIRN_OK;
}

/* The PID holding the lock on fd: the kernel's answer, or failing that
 * (another PID namespace) the one written in the file; 0 if unknown. */
static long
sl_holder(int fd)
{
	struct flock fl;
	char buf[32];
	ssize_t n;
	long pid = 0;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK &&
	    fl.l_pid > 0)
		return (long)fl.l_pid;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n > 0) {
		buf[n] = '\0';
		if (sscanf(buf, "%ld", &pid) != 1 || pid < 0)
			pid = 0;
	}
	return pid;
}

/* Write our PID into the file, for people looking at the directory. */
static void
sl_write_pid(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		return; /* only informative; the lock itself is what counts */
}

cairn_err
crn_state_lock_open(
    crn_state_lock *l, const char *dir, char *err, size_t errlen)
{
	char path[SL_PATH_MAX];
	struct flock fl;
	long pid;
	cairn_err rv;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if ((rv = sl_mkdirs(dir, err, errlen)) != CAIRN_OK)
		return rv;
	if (snprintf(path, sizeof(path), "%s/lock", dir) >= (int)sizeof(path)) {
		snprintf(err, errlen, "state_dir %s: path too long", dir);
		return CAIRN_EINVAL;
	}
	l->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (l->fd < 0) {
		snprintf(err, errlen, "state_dir %s: cannot open %s: %s", dir,
		    path, strerror(errno));
		return CAIRN_ESYS;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(l->fd, F_SETLK, &fl) != 0) {
		if (errno != EACCES && errno != EAGAIN) {
			snprintf(err, errlen,
			    "state_dir %s: cannot lock %s: %s", dir, path,
			    strerror(errno));
			rv = CAIRN_ESYS;
		} else if ((pid = sl_holder(l->fd)) > 0) {
			snprintf(err, errlen,
			    "state_dir %s is in use by another daemon (PID %ld); stop that one, or give this one its own state_dir",
			    dir, pid);
			rv = CAIRN_EPERM;
		} else {
			snprintf(err, errlen,
			    "state_dir %s is in use by another daemon (PID unknown); stop that one, or give this one its own state_dir",
			    dir);
			rv = CAIRN_EPERM;
		}
		(void)close(l->fd);
		l->fd = -1;
		return rv;
	}
	sl_write_pid(l->fd);
	l->held = true;
	return CAIRN_OK;
}

void
crn_state_lock_close(crn_state_lock *l)
{
	/* Closing the descriptor releases the fcntl lock.  The file stays:
	 * removing it would race with a daemon starting meanwhile. */
	if (l->held)
		(void)close(l->fd);
	l->fd = -1;
	l->held = false;
}
