/* harness.c — shared helpers for the cmocka tests. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn_test.h"
#include "crypto/init.h"

void
crn_t_check_err(int got, int want, const char *expr, const char *file, int line)
{
	if (got == want)
		return;
	fail_msg("%s:%d: %s returned %d (%s), expected %d (%s)", file, line,
	    expr, got, cairn_strerror((cairn_err)got), want,
	    cairn_strerror((cairn_err)want));
}

const char *
crn_t_tmpdir(void)
{
	static char path[256];
	const char *base = getenv("TMPDIR");

	snprintf(path, sizeof(path), "%s/cairn-test-XXXXXX",
	    base != NULL ? base : "/tmp");
	if (mkdtemp(path) == NULL)
		fail_msg("mkdtemp failed");
	return path;
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void
crn_t_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void
crn_t_init(void)
{
	if (cairn_init() != CAIRN_OK) {
		fprintf(stderr, "cairn_init failed\n");
		exit(1);
	}
	if (getenv("CAIRN_TEST_LOG") != NULL) {
		cairn_log_set_logger(cairn_log_stderr, NULL);
		cairn_log_set_level(CAIRN_LOG_DEBUG);
	}
}
