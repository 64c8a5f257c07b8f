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
    "usage: cairn schema infer FILE.csv [--dataset NAME]\n"
    "       cairn schema check FILE.ini\n"
    "\n"
    "infer  reads a CSV file (header row, RFC 4180 quoting) and\n"
    "       prints a draft schema: integer, decimal or category\n"
    "       columns with the bounds and values seen.  Review it\n"
    "       before use; the bounds become public.  NAME defaults to\n"
    "       the file's name.\n"
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

static int
schema_infer(int argc, char **argv)
{
	const char *path = NULL, *dataset = NULL;
	const cli_opt opts[] = {
	    {.name = "--dataset", .val = &dataset},
	    {.name = NULL},
	};
	const cli_cmd cmd = {"schema infer", opts, &path, 1, 1, "CSV file",
	    schema_usage_text};
	char dsbuf[64], err[512], *draft = NULL;
	size_t len = 0;
	FILE *f;
	cairn_err rv;
	int st;

	if ((st = cli_parse(&cmd, argc, argv)) >= 0)
		return st;
	if (dataset == NULL) {
		dataset_from_path(path, dsbuf, sizeof(dsbuf));
		dataset = dsbuf;
	}
	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "rb")) == NULL)
		return cli_error("%s: cannot open: %s", path, strerror(errno));
	rv = crn_schema_infer(f, strcmp(path, "-") == 0 ? "stdin" : path,
	    dataset, &draft, &len, err, sizeof(err));
	if (f != stdin)
		fclose(f);
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
