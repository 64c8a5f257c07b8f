/*
 * alloc.c — the library allocator.  Every allocation goes through here so
 * that the OOM tests can fail the Nth one (STYLE.md 5).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/crn.h"

/* Countdown for crn_alloc_fail_after; negative means "never fail". */
static long crn_fail_countdown = -1;

static int
crn_should_fail(void)
{
	if (crn_fail_countdown < 0)
		return 0;
	if (crn_fail_countdown == 0)
		return 1;
	crn_fail_countdown--;
	return 0;
}

void
crn_alloc_fail_after(long n)
{
	crn_fail_countdown = n;
}

void *
crn_alloc(size_t size)
{
	if (crn_should_fail())
		return NULL;
	return malloc(size == 0 ? 1 : size);
}

void *
crn_zalloc(size_t size)
{
	if (crn_should_fail())
		return NULL;
	return calloc(1, size == 0 ? 1 : size);
}

void *
crn_realloc(void *ptr, size_t old_size, size_t new_size)
{
	(void)old_size;
	if (crn_should_fail())
		return NULL;
	return realloc(ptr, new_size == 0 ? 1 : new_size);
}

void
crn_free(void *ptr, size_t size)
{
	(void)size;
	free(ptr);
}

void
crn_freezero(void *ptr, size_t size)
{
	if (ptr == NULL)
		return;
	cairn_memzero(ptr, size);
	free(ptr);
}

char *
crn_strdup(const char *s)
{
	size_t n;
	char *d;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	if ((d = crn_alloc(n)) != NULL)
		memcpy(d, s, n);
	return d;
}

void
crn_strfree(char *s)
{
	if (s != NULL)
		crn_free(s, strlen(s) + 1);
}

int
crn_mul_size(size_t a, size_t b, size_t *out)
{
	if (a != 0 && b > SIZE_MAX / a)
		return -1;
	*out = a * b;
	return 0;
}

void
cairn_memzero(void *p, size_t n)
{
	if (p != NULL && n > 0)
		sodium_memzero(p, n);
}
