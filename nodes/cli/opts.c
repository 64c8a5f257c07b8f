/*
 * opts.c — the one option parser of the cairn program (opts.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmds.h"
#include "cli/opts.h"

int
cli_usage_error(const char *name, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_error("%s: %s (see 'cairn %s --help')", name, msg, name);
	return 2;
}

/* The option arg names, up to any '='; NULL if none. */
static const cli_opt *
opt_find(const cli_opt *opts, const char *arg, size_t nlen)
{
	for (const cli_opt *o = opts; o->name != NULL; o++)
		if (strlen(o->name) == nlen && strncmp(o->name, arg, nlen) == 0)
			return o;
	return NULL;
}

/* One option at argv[*i] (consuming its value); -1 or 2. */
static int
opt_take(const cli_cmd *c, int argc, char **argv, int *i)
{
	const char *arg = argv[*i], *eq = strchr(arg, '=');
	size_t nlen = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	const cli_opt *o = opt_find(c->opts, arg, nlen);
	const char *v = NULL;
	int st;

	if (o == NULL)
		return cli_usage_error(c->name, "unknown option '%s'", arg);
	if (o->flag != NULL) {
		if (eq != NULL)
			return cli_usage_error(
			    c->name, "%s takes no value", o->name);
		*o->flag = true;
		return -1;
	}
	if (o->val != NULL && *o->val != NULL)
		return cli_usage_error(c->name, "%s given twice", o->name);
	if (eq != NULL)
		v = eq + 1;
	else if (*i + 1 < argc && strncmp(argv[*i + 1], "--", 2) != 0)
		v = argv[++*i];
	if (v == NULL || *v == '\0')
		return cli_usage_error(c->name, "%s needs a value", o->name);
	if (o->each != NULL)
		return (st = o->each(o->arg, v)) != 0 ? st : -1;
	*o->val = v;
	return -1;
}

int
cli_parse(const cli_cmd *c, int argc, char **argv)
{
	bool opts_done = false;
	size_t npos = 0;
	int st;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!opts_done &&
		    (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)) {
			fputs(c->usage, stdout);
			return 0;
		}
		if (!opts_done && strcmp(arg, "--") == 0) {
			opts_done = true;
		} else if (opts_done || arg[0] != '-' || arg[1] == '\0') {
			if (npos == c->maxpos)
				return cli_usage_error(
				    c->name, "unexpected argument '%s'", arg);
			c->pos[npos++] = arg;
		} else if ((st = opt_take(c, argc, argv, &i)) >= 0) {
			return st;
		}
	}
	for (const cli_opt *o = c->opts; o->name != NULL; o++)
		if (o->required && o->val != NULL && *o->val == NULL)
			return cli_usage_error(
			    c->name, "%s is required", o->name);
	if (npos < c->minpos)
		return cli_usage_error(c->name, "which %s?", c->posname);
	return -1;
}
