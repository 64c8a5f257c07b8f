/*
 * cmd_schema.c — 'cairn schema': draft a federation schema from a CSV
 * file (infer) and check a schema file (check).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/crn.h"
#include "cli/cmds.h"
#include "cli/opts.h"
#include "query/schema.h"

static const char schema_usage_text[] =
    "usage: cairn schema infer FILE.csv [FILE.csv ...] [--dataset NAME]\n"
    "       cairn schema check FILE.ini\n"
    "\n"
    "infer  reads CSV files (header row, RFC 4180 quoting; '-' is\n"
    "       standard input) and prints a draft schema: integer,\n"
    "       decimal or category columns with the bounds and values\n"
    "       seen.  Give every node's file (all with the same\n"
    "       header): the bounds and domains then cover all of them\n"
    "       and max_rows is sized from the largest.  Review it\n"
    "       before use; the bounds become public.\n"
    "       --dataset NAME  the dataset's name (default: the first\n"
    "                       file's name)\n"
    "check  loads a schema file as the coordinator and the nodes\n"
    "       do ([federation] min_cell and max_nodes, each [dataset\n"
    "       NAME] with max_rows, each [column NAME.COL] with type,\n"
    "       scale, bounds, domain, nullable) and lists its datasets\n"
    "       and columns, or prints the first error as FILE:LINE:\n"
    "       what is wrong.  The exit status is 0 for a valid file,\n"
    "       1 otherwise.  Run it after editing a drafted schema.\n";

static void
schema_usage(FILE *f)
{
	fputs(schema_usage_text, f);
}

/* Dataset name from a path: the base name without extension, made into
 * a lower-case identifier. */
static void
dataset_from_path(const char *path, char *out, size_t len)
{
	const char *b = strrchr(path, '/');
	size_t n = 0;

	b = b != NULL ? b + 1 : path;
	for (; *b != '\0' && *b != '.' && n + 1 < len; b++) {
		char c = *b;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '_';
		if (n == 0 && c >= '0' && c <= '9')
			out[n++] = '_';
		out[n++] = c;
	}
	if (n == 0)
		n = (size_t)snprintf(out, len, "data");
	out[n] = '\0';
}

#define SCHEMA_MAX_FILES 256

static void
close_all(FILE **f, const char **paths, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (f[k] != NULL && strcmp(paths[k], "-") != 0)
			fclose(f[k]);
}

static int
schema_infer(int argc, char **argv)
{
	const char *paths[SCHEMA_MAX_FILES], *names[SCHEMA_MAX_FILES];
	const char *dataset = NULL;
	FILE *f[SCHEMA_MAX_FILES];
	const cli_opt opts[] = {
	    {.name = "--dataset", .val = &dataset},
	    {.name = NULL},
	};
	const cli_cmd cmd = {"schema infer", opts, paths, SCHEMA_MAX_FILES, 1,
	    "CSV file", schema_usage_text};
	char dsbuf[64], err[512], *draft = NULL;
	size_t len = 0, n = 0, k;
	cairn_err rv;
	int st;

	for (k = 0; k < SCHEMA_MAX_FILES; k++)
		paths[k] = NULL;
	if ((st = cli_parse(&cmd, argc, argv)) >= 0)
		return st;
	while (n < SCHEMA_MAX_FILES && paths[n] != NULL)
		n++;
	if (dataset == NULL) {
		dataset_from_path(paths[0], dsbuf, sizeof(dsbuf));
		dataset = dsbuf;
	}
	memset(f, 0, sizeof(f));
	for (k = 0; k < n; k++) {
		names[k] = strcmp(paths[k], "-") == 0 ? "stdin" : paths[k];
		if (strcmp(paths[k], "-") == 0)
			f[k] = stdin;
		else if ((f[k] = fopen(paths[k], "rb")) == NULL) {
			int e = errno;

			close_all(f, paths, k);
			return cli_error(
			    "%s: cannot open: %s", paths[k], strerror(e));
		}
	}
	rv = crn_schema_infer_many(
	    f, names, n, dataset, &draft, &len, err, sizeof(err));
	close_all(f, paths, n);
	if (rv != CAIRN_OK)
		return cli_error(
		    "%s", err[0] != '\0' ? err : cairn_strerror(rv));
	fwrite(draft, 1, len, stdout);
	crn_free(draft, len + 1);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
schema_check(int argc, char **argv)
{
	const char *path = NULL;
	const cli_opt opts[] = {{.name = NULL}};
	const cli_cmd cmd = {"schema check", opts, &path, 1, 1, "schema file",
	    schema_usage_text};
	crn_schema *s = NULL;
	char err[512];
	size_t i, j;
	int st;

	if ((st = cli_parse(&cmd, argc, argv)) >= 0)
		return st;
	if (crn_schema_load(path, &s, err, sizeof(err)) != CAIRN_OK)
		return cli_error("%s", err);
	printf("%s: min_cell %u, max_nodes %u\n", path, s->min_cell,
	    s->max_nodes);
	for (i = 0; i < s->ndatasets; i++) {
		const crn_dataset *d = &s->datasets[i];

		printf("dataset %s (max_rows %llu)\n", d->name,
		    (unsigned long long)d->max_rows);
		for (j = 0; j < d->ncols; j++) {
			const crn_column *c = &d->cols[j];
			char lo[64], hi[64];

			if (c->type == CRN_COL_CATEGORY) {
				printf("  %-20s category, %zu values%s\n",
				    c->name, c->ndomain,
				    c->nullable ? ", nullable" : "");
				continue;
			}
			crn_decimal_format(c->lo, c->scale, lo, sizeof(lo));
			crn_decimal_format(c->hi, c->scale, hi, sizeof(hi));
			printf("  %-20s %s, [%s, %s]%s\n", c->name,
			    c->type == CRN_COL_INT ? "integer" : "decimal", lo,
			    hi, c->nullable ? ", nullable" : "");
		}
	}
	crn_schema_free(s);
	return 0;
}

int
cmd_schema(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		schema_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "infer") == 0)
		return schema_infer(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return schema_check(argc - 1, argv + 1);
	cli_error("unknown schema command '%s'", argv[1]);
	schema_usage(stderr);
	return 2;
}
