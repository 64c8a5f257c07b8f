/*
 * schema_fuzz.c — crn_schema_parse on arbitrary text.  A federation
 * schema comes from the federation's governance body, and nodes load
 * their own copy, so it is operator input rather than peer input; it is
 * fuzzed because every query is checked against it.  The input is made a
 * C string; bytes after an inner NUL are not seen.
 *
 * A refused text must leave *out NULL and an error message that starts
 * with the name given.  An accepted schema must hold what the planner
 * relies on: at least one dataset, each with at least one column; SQL
 * identifier names; categories with a domain and no bounds; numeric
 * columns with min <= max and a scale of at most CRN_SCHEMA_MAX_SCALE (0
 * for integers); and every lookup must find what the schema lists.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/crn.h"
#include "query/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_NAME "fuzz.ini"

static int
ident(const char *s)
{
	if (s == NULL || !((*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (s++; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		        *s == '_'))
			return 0;
	return 1;
}

static void
check_column(const crn_dataset *d, size_t j)
{
	const crn_column *c = &d->cols[j];
	crn_column copy;
	long k;

	if (!ident(c->name))
		abort();
	/* Lookups find a column of that name (the first, if repeated). */
	if ((k = crn_dataset_column(d, c->name)) < 0 || (size_t)k > j ||
	    strcmp(d->cols[k].name, c->name) != 0)
		abort();
	switch (c->type) {
	case CRN_COL_CATEGORY:
		if (c->ndomain == 0 || c->domain == NULL)
			abort();
		for (size_t v = 0; v < c->ndomain; v++) {
			long at = crn_column_category(c, c->domain[v]);

			if (at < 0 || (size_t)at > v ||
			    strcmp(c->domain[at], c->domain[v]) != 0)
				abort();
		}
		break;
	case CRN_COL_INT:
	case CRN_COL_DECIMAL:
		if (c->ndomain != 0 || c->lo > c->hi ||
		    c->scale > CRN_SCHEMA_MAX_SCALE ||
		    (c->type == CRN_COL_INT && c->scale != 0))
			abort();
		break;
	default: abort();
	}
	if (crn_column_copy(&copy, c) != CAIRN_OK)
		abort();
	if (strcmp(copy.name, c->name) != 0 || copy.type != c->type ||
	    copy.scale != c->scale || copy.lo != c->lo || copy.hi != c->hi ||
	    copy.ndomain != c->ndomain || copy.nullable != c->nullable)
		abort();
	for (size_t v = 0; v < c->ndomain; v++)
		if (strcmp(copy.domain[v], c->domain[v]) != 0)
			abort();
	crn_column_fini(&copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	crn_schema *s = NULL;
	cairn_err rv;
	char *text;

	if ((text = malloc(size + 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(text, data, size);
	text[size] = '\0';
	rv = crn_schema_parse(text, FZ_NAME, &s, err, sizeof(err));
	free(text);
	if (rv != CAIRN_OK) {
		if (s != NULL ||
		    strncmp(err, FZ_NAME ":", sizeof(FZ_NAME ":") - 1) != 0)
			abort();
		return 0;
	}
	if (s == NULL || s->ndatasets == 0 || s->datasets == NULL)
		abort();
	for (size_t i = 0; i < s->ndatasets; i++) {
		const crn_dataset *d = &s->datasets[i];
		const crn_dataset *found;

		if (!ident(d->name) || d->ncols == 0 || d->cols == NULL)
			abort();
		found = crn_schema_dataset(s, d->name);
		if (found == NULL || found > d ||
		    strcmp(found->name, d->name) != 0)
			abort();
		for (size_t j = 0; j < d->ncols; j++)
			check_column(d, j);
	}
	if (crn_schema_dataset(s, "no such dataset") != NULL)
		abort();
	crn_schema_free(s);
	return 0;
}
