/*
 * main.c — the cairn program: a thin table of subcommands.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <sodium.h>
#include <protobuf-c/protobuf-c.h>
#include <sqlite3.h>
#include <libpq-fe.h>

#include "cli/cmds.h"
#include "cli/opts.h"
#include "crypto/init.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} subcommands[] = {
    {"demo", cmd_demo, "run a throwaway local federation and sample queries"},
    {"ca", cmd_ca,
        "federation CA: ca init | sign | revoke | crl | show | verify"},
    {"keygen", cmd_keygen, "make a key pair and a certificate request"},
    {"config", cmd_config,
        "write a configuration: config coordinator | node | researcher"},
    {"coordinator", cmd_coordinator, "run the coordinator daemon"},
    {"node", cmd_node,
        "run a node daemon (node check: validate config; node budget: DP ledger)"},
    {"query", cmd_query, "submit a query as a researcher"},
    {"fit", cmd_fit, "fit a model (linear, logistic, poisson, kmeans)"},
    {"run", cmd_run, "run an approved Lua program on the federation"},
    {"code", cmd_code,
        "approved code: code hash FILE | code run-local ..."},
    {"status", cmd_status, "list connected nodes and running sessions"},
    {"audit", cmd_audit,
        "audit logs: audit verify | show | cross (hash-chained, signed)"},
    {"budget", cmd_budget, "DP budget spent and left on each node (researcher)"},
    {"version", cmd_version, "print the version and library versions"},
    {"bench", cmd_bench, "run a benchmark (bench prg --dim N)"},
    {"sim", cmd_sim, "simulate a protocol in one process (sim secagg ...)"},
    {"schema", cmd_schema, "federation schemas: schema infer FILE.csv ... | check FILE.ini"},
};

int
cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("cairn: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int
cli_dp_arg(const char *cmd, const char *opt, const char *v, double *out)
{
	char *end = NULL;
	double d = strtod(v, &end);
	int is_eps = strcmp(opt, "--epsilon") == 0;

	if (end == v || *end != '\0' || !isfinite(d) ||
	    (is_eps && (d < 0 || d > 100)) ||
	    (!is_eps && (d <= 0 || d >= 0.5)))
		return cli_usage_error(cmd, "%s '%s': want %s", opt, v,
		    is_eps ? "a number from 0 (no noise) to 100"
		           : "a number above 0 and below 0.5");
	*out = d;
	return 0;
}

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: cairn <command> [options]\n\ncommands:\n");
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-12s %s\n", subcommands[i].name,
		    subcommands[i].help);
	fprintf(f, "\n'cairn <command> --help' describes each command.\n");
}

int
cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("cairn %s\n", cairn_version());
	printf("  libsodium %s\n", sodium_version_string());
	printf("  OpenSSL %s\n", OpenSSL_version(OPENSSL_VERSION_STRING));
	printf("  protobuf-c %s\n", protobuf_c_version());
	printf("  SQLite %s\n", sqlite3_libversion());
	printf("  libpq %d\n", PQlibVersion());
	return 0;
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(argc - 1, argv + 1);
	if (cairn_init() != CAIRN_OK)
		return cli_error("cannot initialise the crypto libraries");
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].fn(argc - 1, argv + 1);
	}
	cli_error("unknown command '%s'", argv[1]);
	usage(stderr);
	return 2;
}
