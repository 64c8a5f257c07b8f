/* vectors.c — the known-answer vector file reader (vectors.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vectors.h"

FILE *
crn_t_vectors_open(const char *name)
{
	const char *src = getenv("CAIRN_SRC");
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/vectors/%s",
	    src != NULL ? src : ".", name);
	if ((f = fopen(path, "r")) == NULL)
		fail_msg("cannot open %s (is CAIRN_SRC set?)", path);
	return f;
}

/* Read the next record; returns 0 at end of file. */
int
crn_t_vectors_next(FILE *f, crn_t_vec_rec *r)
{
	char line[1024];

	memset(r, 0, sizeof(*r));
	while (fgets(line, sizeof(line), f) != NULL) {
		char *eq, *k, *v, *e;

		line[strcspn(line, "\r\n")] = 0;
		if (line[0] == '#')
			continue;
		if (line[0] == 0) {
			if (r->n > 0)
				return 1;
			continue;
		}
		if ((eq = strchr(line, '=')) == NULL ||
		    r->n == CRN_T_VEC_FIELDS)
			fail_msg("bad vectors line: %s", line);
		*eq = 0;
		k = line;
		v = eq + 1;
		while (*v == ' ')
			v++;
		for (e = eq; e > k && e[-1] == ' '; e--)
			e[-1] = 0;
		assert_true(strlen(k) < sizeof(r->key[0]));
		assert_true(strlen(v) < sizeof(r->val[0]));
		strcpy(r->key[r->n], k);
		strcpy(r->val[r->n], v);
		r->n++;
	}
	return r->n > 0;
}

const char *
crn_t_rec_get(const crn_t_vec_rec *r, const char *key)
{
	for (int i = 0; i < r->n; i++) {
		if (strcmp(r->key[i], key) == 0)
			return r->val[i];
	}
	return NULL;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	fail_msg("bad hex digit %c", c);
	return -1;
}

/* Decode the record's hex value for key into out; returns its length. */
size_t
crn_t_rec_hex(const crn_t_vec_rec *r, const char *key, uint8_t *out, size_t max)
{
	const char *h = crn_t_rec_get(r, key);
	size_t n;

	if (h == NULL)
		fail_msg("record lacks %s", key);
	assert_int_equal(strlen(h) % 2, 0);
	n = strlen(h) / 2;
	assert_true(n <= max);
	for (size_t i = 0; i < n; i++)
		out[i] =
		    (uint8_t)(hexval(h[2 * i]) << 4 | hexval(h[2 * i + 1]));
	return n;
}
