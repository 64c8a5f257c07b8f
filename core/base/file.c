/*
 * file.c — reading a whole file and replacing one atomically (file.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/crn.h"
#include "base/file.h"

cairn_err
crn_fd_read_all(int fd, const char *path, uint8_t *buf, size_t size, size_t *got)
{
	*got = 0;
	while (*got < size) {
		ssize_t n = read(fd, buf + *got, size - *got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			crn_log_err("read %s: %s", path, strerror(errno));
			return CAIRN_ESYS;
		}
		if (n == 0)
			break; /* shrank while reading: take what is there */
		*got += (size_t)n;
	}
	return CAIRN_OK;
}

cairn_err
crn_file_read(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	struct stat st;
	uint8_t *b = NULL;
	size_t size = 0, got = 0;
	int fd = -1;
	cairn_err rv = CAIRN_EINTERNAL;

	*buf = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		rv = errno == ENOENT ? CAIRN_ENOENT : CAIRN_ESYS;
		if (rv == CAIRN_ESYS)
			crn_log_err("open %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		crn_log_err("fstat %s: %s", path, strerror(errno));
		rv = CAIRN_ESYS;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > max) {
		rv = CAIRN_ETOOBIG;
		goto out;
	}
	size = (size_t)st.st_size;
	if ((b = crn_alloc(size + 1)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	if ((rv = crn_fd_read_all(fd, path, b, size, &got)) != CAIRN_OK)
		goto out;
	b[got] = '\0';
	*buf = b;
	*len = got;
	b = NULL;
	rv = CAIRN_OK;
out:
	/* The size may have shrunk; the allocation size is size + 1. */
	crn_free(b, size + 1);
	if (fd >= 0)
		(void)close(fd);
	return rv;
}

/*
 * Replace path with data atomically: write a temporary file next to it,
 * fsync, rename.  A crash leaves the old or the new file, never half of
 * one, which matters for a CA's index and CRL.
 */
cairn_err
crn_file_write_atomic(
    const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[4096];
	const uint8_t *p = data;
	int fd = -1, n;
	cairn_err rv = CAIRN_EINTERNAL;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || n >= (int)sizeof(tmp))
		return CAIRN_ETOOBIG;
	fd = open(
	    tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		crn_log_err("open %s: %s", tmp, strerror(errno));
		return errno == ENOENT ? CAIRN_ENOENT : CAIRN_ESYS;
	}
	if (fchmod(fd, mode) != 0)
		goto syserr;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto syserr;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) != 0)
		goto syserr;
	if (close(fd) != 0) {
		fd = -1;
		goto syserr;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto syserr;
	return CAIRN_OK;
syserr:
	crn_log_err("writing %s: %s", path, strerror(errno));
	rv = CAIRN_ESYS;
	if (fd >= 0)
		(void)close(fd);
	(void)unlink(tmp);
	return rv;
}
