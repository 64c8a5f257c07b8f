/*
 * crn.h — library-internal helpers: allocator, logging, assertions.
 * Included by every .c file of the library; never installed.
 */
#ifndef CRN_BASE_CRN_H
#define CRN_BASE_CRN_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/log.h"

/*
 * Allocation goes through these so that tests can swap the allocator and
 * fail the Nth allocation (STYLE.md 5).  crn_free and crn_freezero take the
 * size that was allocated; both accept NULL.  crn_freezero wipes first.
 */
void *crn_alloc(size_t size);
void *crn_zalloc(size_t size);
void *crn_realloc(void *ptr, size_t old_size, size_t new_size);
void crn_free(void *ptr, size_t size);
void crn_freezero(void *ptr, size_t size);
char *crn_strdup(const char *s);
void crn_strfree(char *s);
/* Multiply with overflow check; returns 0 and sets *out, or -1. */
int crn_mul_size(size_t a, size_t b, size_t *out);

/*
 * Test hook: after n more successful allocations every allocation fails
 * (n < 0 disables).  Used by the OOM loop tests; not thread-safe.
 */
void crn_alloc_fail_after(long n);

/* Wipe memory in a way the compiler cannot remove (sodium_memzero). */
void cairn_memzero(void *p, size_t n);

void crn_log(cairn_log_level level, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define crn_log_err(...)   crn_log(CAIRN_LOG_ERR, __func__, __VA_ARGS__)
#define crn_log_warn(...)  crn_log(CAIRN_LOG_WARN, __func__, __VA_ARGS__)
#define crn_log_info(...)  crn_log(CAIRN_LOG_INFO, __func__, __VA_ARGS__)
#define crn_log_debug(...) crn_log(CAIRN_LOG_DEBUG, __func__, __VA_ARGS__)

/* For our own bugs only; never for peer input, configuration or OOM. */
__attribute__((noreturn)) void crn_panic(
    const char *file, int line, const char *what);
#define CAIRN_ASSERT(x)                                                        \
	do {                                                                   \
		if (!(x))                                                      \
			crn_panic(__FILE__, __LINE__, #x);                     \
	} while (0)

#define CRN_NELEM(a) (sizeof(a) / sizeof((a)[0]))

#endif /* CRN_BASE_CRN_H */
