/*
 * file.h — the one implementation of reading a whole file and of
 * replacing a file atomically, for every layer above base.
 */
#ifndef CRN_BASE_FILE_H
#define CRN_BASE_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"

/*
 * Read the whole file path (at most max bytes: CAIRN_ETOOBIG beyond) into
 * a new buffer with a NUL appended (so PEM text is a C string).  *len
 * excludes the NUL; free with crn_free(*buf, *len + 1).  CAIRN_ENOENT if
 * missing, CAIRN_EINVAL if not a regular file, CAIRN_ESYS for other
 * errors.
 */
CAIRN_NODISCARD cairn_err crn_file_read(
    const char *path, size_t max, uint8_t **buf, size_t *len);

/*
 * Read from fd (the open file path, named in the log) into buf until size
 * bytes or the end of the file, retrying on EINTR; *got is what was read
 * (less than size when the file shrank).  CAIRN_ESYS on a read error.
 */
CAIRN_NODISCARD cairn_err crn_fd_read_all(
    int fd, const char *path, uint8_t *buf, size_t size, size_t *got);

/*
 * Replace path with len bytes of data, mode `mode`: write "path.tmp",
 * fsync, rename, so that a crash leaves the old file or the new one,
 * never half of one.  CAIRN_ETOOBIG for a path too long, CAIRN_ENOENT
 * when the directory is missing, CAIRN_ESYS otherwise (logged).
 */
CAIRN_NODISCARD cairn_err crn_file_write_atomic(
    const char *path, const void *data, size_t len, mode_t mode);

#endif /* CRN_BASE_FILE_H */
