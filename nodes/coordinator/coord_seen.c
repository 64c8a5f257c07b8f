/*
 * coord_seen.c — the coordinator's list of the nodes it has seen, kept
 * across restarts (coord_seen.h).
 */
#include "coordinator/coord_seen.h"

#include <stdio.h>
#include <string.h>

#include "base/crn.h"
#include "base/file.h"
#include "crypto/cert.h"

/* Far more than CO_MAX_NODES names of the longest certificate name. */
#define CO_SEEN_MAX (4u << 20)

static char *
co_seen_path(const char *state_dir)
{
	size_t len = strlen(state_dir) + sizeof("/" CO_SEEN_FILE);
	char *p = crn_alloc(len);

	if (p != NULL)
		snprintf(p, len, "%s/%s", state_dir, CO_SEEN_FILE);
	return p;
}

void
co_seen_free(char **names, size_t n)
{
	for (size_t i = 0; names != NULL && i < n; i++)
		crn_strfree(names[i]);
	crn_free(names, n * sizeof(*names));
}

/* Append a copy of name to *v (of *n entries). */
static cairn_err
co_seen_push(char ***v, size_t *n, const char *name)
{
	char **nv = crn_realloc(*v, *n * sizeof(**v), (*n + 1) * sizeof(**v));

	if (nv == NULL)
		return CAIRN_ENOMEM;
	*v = nv;
	if ((nv[*n] = crn_strdup(name)) == NULL)
		return CAIRN_ENOMEM;
	(*n)++;
	return CAIRN_OK;
}

cairn_err
co_seen_load(const char *state_dir, char ***names, size_t *n, size_t *skipped)
{
	char *path = co_seen_path(state_dir), *line, *end;
	uint8_t *buf = NULL;
	size_t len = 0;
	char **v = NULL;
	size_t k = 0;
	cairn_err rv;

	*names = NULL;
	*n = 0;
	*skipped = 0;
	if (path == NULL)
		return CAIRN_ENOMEM;
	rv = crn_file_read(path, CO_SEEN_MAX, &buf, &len);
	crn_free(path, strlen(path) + 1);
	if (rv == CAIRN_ENOENT)
		return CAIRN_OK;
	if (rv != CAIRN_OK)
		return rv;
	for (line = (char *)buf; *line != '\0' && rv == CAIRN_OK; line = end) {
		end = strchr(line, '\n');
		if (end != NULL)
			*end++ = '\0';
		else
			end = line + strlen(line);
		if (*line == '\0')
			continue;
		if (!crn_cert_name_valid(line))
			(*skipped)++;
		else
			rv = co_seen_push(&v, &k, line);
	}
	crn_free(buf, len + 1);
	if (rv != CAIRN_OK) {
		co_seen_free(v, k);
		return rv;
	}
	*names = v;
	*n = k;
	return CAIRN_OK;
}

cairn_err
co_seen_save(const char *state_dir, const char *const *names, size_t n)
{
	char *path = co_seen_path(state_dir), *text = NULL;
	size_t len = 0, off = 0;
	cairn_err rv;

	if (path == NULL)
		return CAIRN_ENOMEM;
	for (size_t i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	if ((text = crn_alloc(len + 1)) == NULL) {
		crn_free(path, strlen(path) + 1);
		return CAIRN_ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(text + off, len + 1 - off, "%s\n",
		    names[i]);
	rv = crn_file_write_atomic(path, text, len, 0600);
	crn_free(text, len + 1);
	crn_free(path, strlen(path) + 1);
	return rv;
}
