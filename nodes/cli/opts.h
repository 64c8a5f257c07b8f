/*
 * opts.h — the one option parser of the cairn program.  Each subcommand
 * describes its options in a table and calls cli_parse; the parser gives
 * every command the same rules and the same one-line errors:
 *
 *   --name VALUE and --name=VALUE (a value never starts with "--");
 *   options without a value set a flag; "--" ends the options;
 *   -h and --help print the usage to stdout (exit 0);
 *   positional arguments fill pos[] in order;
 *   errors (exit 2), e.g.
 *     cairn: query: unknown option '--frob' (see 'cairn query --help')
 *     cairn: query: --config needs a value (see 'cairn query --help')
 *     cairn: query: --config is required (see 'cairn query --help')
 *     cairn: query: unexpected argument 'x' (see 'cairn query --help')
 *     cairn: query: --format given twice (see 'cairn query --help')
 */
#ifndef CRN_CLI_OPTS_H
#define CRN_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cli_opt {
	const char *name; /* "--config"; NULL ends the table */
	const char **val; /* an option with a value: it goes here */
	bool *flag;       /* an option without one: set when given */
	bool required;
	/* A repeatable option: called with each value instead of storing
	 * it (val NULL); returns 0, or the exit status after printing the
	 * error. */
	int (*each)(void *arg, const char *value);
	void *arg;
} cli_opt;

typedef struct cli_cmd {
	const char *name;      /* "query", "ca sign": for messages */
	const cli_opt *opts;   /* ends with a NULL name */
	const char **pos;      /* positional arguments, in order */
	size_t maxpos, minpos; /* how many may and must be given */
	const char *posname;   /* "which POSNAME?" when too few */
	const char *usage;     /* --help prints this */
} cli_cmd;

/*
 * Parse argv[1..argc-1] (argv[0] is the subcommand) by c.  Values are
 * borrowed from argv; flags and values not given are left as they are.
 * Returns -1 to go on, 0 after printing the usage for --help, 2 after
 * printing a usage error, or what an `each` callback returned.
 */
int cli_parse(const cli_cmd *c, int argc, char **argv);

/* A usage error of command `name`: "cairn: NAME: MSG (see 'cairn NAME
 * --help')" on stderr; returns 2. */
int cli_usage_error(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* CRN_CLI_OPTS_H */
