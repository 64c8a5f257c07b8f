/*
 * cmd_config.c — 'cairn config coordinator|node|researcher ...': write a
 * commented configuration file for one party to stdout, so that nobody
 * edits thirty lines by hand.  Every path is written absolute (resolved
 * against the current directory now), so the file works wherever it is
 * put; the text is loaded with the daemons' own parser before it is
 * printed, so what comes out is a valid configuration or nothing.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/crn.h"
#include "cli/cmds.h"
#include "cli/opts.h"
#include "query/schema.h"
#include "runtime/config.h"

#define CC_MAX_DATASETS 32
#define CC_MAX_MAPS     64
#define CC_PATH_MAX     4096

typedef struct cc_opts {
	crn_cfg_role role;
	const char *name, *url, *schema, *pki, *ca, *key, *cert, *ca_cert;
	const char *crl, *state_dir, *researchers, *coordinator_name;
	const char *expose, *min_participants, *min_cell, *threat, *nodes;
	const char *datasets[CC_MAX_DATASETS];
	size_t ndatasets;
	const char *maps[CC_MAX_MAPS];
	size_t nmaps;
} cc_opts;

static const char config_usage[] =
	    "usage: cairn config coordinator --name NAME --coordinator URL --schema FILE\n"
	    "                    [--nodes NAME[,NAME...]] [--min-participants N]\n"
	    "                    [--threat T] [common options]\n"
	    "       cairn config node --name NAME --coordinator URL --schema FILE\n"
	    "                    --researchers NAME[,NAME...]\n"
	    "                    --dataset NAME=csv:PATH|sqlite:PATH:TABLE|postgres:CONNINFO:TABLE ...\n"
	    "                    [--expose COL,...] [--map DATASET.COLUMN=LOCAL ...]\n"
	    "                    [--min-cell N] [--min-participants N] [--threat T]\n"
	    "                    [--coordinator-name NAME] [common options]\n"
	    "       cairn config researcher --name NAME --coordinator URL --schema FILE\n"
	    "                    [--coordinator-name NAME] [common options]\n"
	    "\n"
	    "Write a commented configuration for one party to standard output\n"
	    "(redirect it to a file: cairn config node ... > agency1.conf).  Every\n"
	    "path is written absolute, resolved against the current directory,\n"
	    "so the file works wherever it is kept.  The text is loaded with the\n"
	    "daemons' own parser before it is printed; 'cairn node check' then\n"
	    "checks the files it names.\n"
	    "\n"
	    "  --name NAME          the party's certificate name (key and\n"
	    "                       certificate default to PKI/NAME.key, .crt)\n"
	    "  --coordinator URL    tcp://HOST:PORT or ipc://PATH: where the\n"
	    "                       coordinator listens (for the coordinator,\n"
	    "                       the address it binds)\n"
	    "  --schema FILE        the federation schema\n"
	    "  --dataset SPEC       node: one data source per option; NAME is a\n"
	    "                       dataset of the schema; PATH a CSV or SQLite\n"
	    "                       file; CONNINFO a libpq connection string\n"
	    "  --nodes LIST         coordinator: the nodes the federation expects\n"
    "                       (certificate names); every answer accounts\n"
    "                       for each of them\n"
    "  --researchers LIST   node: researchers whose jobs it accepts\n"
	    "  --expose COLS        node: the columns jobs may use (default:\n"
	    "                       every column of the dataset in the schema)\n"
	    "  --map D.COL=LOCAL    node: the source names schema column COL of\n"
	    "                       dataset D as LOCAL\n"
	    "  --min-cell N         node: its own minimum cell size (default:\n"
	    "                       the schema's min_cell)\n"
	    "  --min-participants N fewest nodes in a session (default 3)\n"
	    "  --threat T           malicious (default) or semi-honest\n"
	    "  --coordinator-name NAME  accept only this coordinator certificate\n"
	    "common options:\n"
	    "  --pki DIR            where keys and certificates are (default pki)\n"
	    "  --ca DIR             where ca.crt and crl.pem are (default ca)\n"
	    "  --key FILE, --cert FILE, --ca-cert FILE, --crl FILE\n"
	    "                       each file instead of the defaults above\n"
	    "  --state-dir DIR      coordinator, node: state (default\n"
	    "                       state/NAME)\n";

/* ---- arguments --------------------------------------------------------- */

/* Options a role does not use are refused rather than ignored. */
static bool
cc_allowed(crn_cfg_role role, const char *opt)
{
	static const char *const node_only[] = {"--researchers", "--expose",
	    "--min-cell", "--dataset", "--map"};
	static const char *const not_researcher[] = {
	    "--state-dir", "--min-participants", "--threat"};

	for (size_t i = 0; i < CRN_NELEM(node_only); i++)
		if (strcmp(opt, node_only[i]) == 0)
			return role == CRN_CFG_NODE;
	for (size_t i = 0; i < CRN_NELEM(not_researcher); i++)
		if (strcmp(opt, not_researcher[i]) == 0)
			return role != CRN_CFG_RESEARCHER;
	if (strcmp(opt, "--coordinator-name") == 0)
		return role != CRN_CFG_COORDINATOR;
	if (strcmp(opt, "--nodes") == 0)
		return role == CRN_CFG_COORDINATOR;
	return true;
}

static int
cc_add_dataset(void *arg, const char *value)
{
	cc_opts *o = arg;

	if (o->ndatasets == CC_MAX_DATASETS)
		return cli_usage_error("config", "at most %d --dataset options",
		    CC_MAX_DATASETS);
	o->datasets[o->ndatasets++] = value;
	return 0;
}

static int
cc_add_map(void *arg, const char *value)
{
	cc_opts *o = arg;

	if (o->nmaps == CC_MAX_MAPS)
		return cli_usage_error(
		    "config", "at most %d --map options", CC_MAX_MAPS);
	o->maps[o->nmaps++] = value;
	return 0;
}

/* argv[1] is the role.  Returns -1 to go on, otherwise the exit status. */
static int
cc_parse(int argc, char **argv, cc_opts *o)
{
	const cli_opt all[] = {
	    {.name = "--name", .val = &o->name, .required = true},
	    {.name = "--coordinator", .val = &o->url, .required = true},
	    {.name = "--schema", .val = &o->schema, .required = true},
	    {.name = "--pki", .val = &o->pki},
	    {.name = "--ca", .val = &o->ca},
	    {.name = "--key", .val = &o->key},
	    {.name = "--cert", .val = &o->cert},
	    {.name = "--ca-cert", .val = &o->ca_cert},
	    {.name = "--crl", .val = &o->crl},
	    {.name = "--state-dir", .val = &o->state_dir},
	    {.name = "--researchers", .val = &o->researchers},
	    {.name = "--coordinator-name", .val = &o->coordinator_name},
	    {.name = "--expose", .val = &o->expose},
	    {.name = "--min-participants", .val = &o->min_participants},
	    {.name = "--min-cell", .val = &o->min_cell},
	    {.name = "--threat", .val = &o->threat},
	    {.name = "--nodes", .val = &o->nodes},
	    {.name = "--dataset", .each = cc_add_dataset, .arg = o},
	    {.name = "--map", .each = cc_add_map, .arg = o},
	};
	cli_opt opts[CRN_NELEM(all) + 1];
	char name[32];
	size_t n = 0;
	int st;

	for (size_t i = 0; i < CRN_NELEM(all); i++)
		if (cc_allowed(o->role, all[i].name))
			opts[n++] = all[i];
	opts[n] = (cli_opt){.name = NULL};
	snprintf(name, sizeof(name), "config %s", crn_cfg_role_name(o->role));
	{
		const cli_cmd cmd = {name, opts, NULL, 0, 0, NULL, config_usage};

		if ((st = cli_parse(&cmd, argc - 1, argv + 1)) >= 0)
			return st;
	}
	if (o->role == CRN_CFG_NODE &&
	    (o->researchers == NULL || o->ndatasets == 0))
		return cli_usage_error(name,
		    "--researchers and at least one --dataset are required");
	return -1;
}

/* ---- writing ------------------------------------------------------------ */

/* p made absolute against the current directory (not required to exist),
 * with leading "./" removed.  false when it does not fit or the current
 * directory is unknown. */
static bool
cc_abs(const char *p, char *out, size_t n)
{
	char cwd[CC_PATH_MAX];
	int k;

	if (p[0] == '/') {
		k = snprintf(out, n, "%s", p);
		return k >= 0 && (size_t)k < n;
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return false;
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	k = snprintf(out, n, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, p);
	return k >= 0 && (size_t)k < n;
}

/* "key = ABSOLUTE(given or DIR/NAME.EXT)". */
static bool
cc_path_line(FILE *o, const char *key, const char *given, const char *dir,
    const char *name, const char *ext)
{
	char rel[CC_PATH_MAX], abs[CC_PATH_MAX];
	int k;

	if (given != NULL)
		k = snprintf(rel, sizeof(rel), "%s", given);
	else
		k = snprintf(rel, sizeof(rel), "%s/%s%s", dir, name, ext);
	if (k < 0 || (size_t)k >= sizeof(rel) || !cc_abs(rel, abs, sizeof(abs)))
		return false;
	fprintf(o, "%s = %s\n", key, abs);
	return true;
}

/* Identity, CA, CRL and schema lines every role has. */
static bool
cc_identity(FILE *o, const cc_opts *a, const char *role)
{
	const char *pki = a->pki != NULL ? a->pki : "pki";
	const char *ca = a->ca != NULL ? a->ca : "ca";
	bool ok = true;

	fprintf(o,
	    "\n# Our identity: an Ed25519 key (mode 0600, never leaves this\n"
	    "# machine) and the certificate the federation CA issued for it\n"
	    "# with role \"%s\" and name \"%s\".\n",
	    role, a->name);
	ok &= cc_path_line(o, "key", a->key, pki, a->name, ".key");
	ok &= cc_path_line(o, "cert", a->cert, pki, a->name, ".crt");
	fprintf(o, "\n# The federation CA and its revocation list (replace the\n"
	           "# file to distribute a new one; an older one is refused).\n");
	ok &= cc_path_line(o, "ca_cert", a->ca_cert, ca, "ca", ".crt");
	ok &= cc_path_line(o, "crl", a->crl, ca, "crl", ".pem");
	fprintf(o, "\n# The federation schema: datasets, columns, bounds.\n");
	ok &= cc_path_line(o, "schema", a->schema, ".", "", "");
	return ok;
}

static bool
cc_state_dir(FILE *o, const cc_opts *a)
{
	fprintf(o, "\n# Our state: the newest CRL accepted (crl.mark), a lock that\n"
	           "# keeps a second daemon off it%s.\n",
	    a->role == CRN_CFG_NODE ? ", the ids of the jobs run (jobs.ledger)"
	                            : "");
	return cc_path_line(o, "state_dir", a->state_dir, "state", a->name, "");
}

static void
cc_threat(FILE *o, const cc_opts *a)
{
	fprintf(o,
	    "\n# Fewest distinct certified nodes in a session (at least 2).\n"
	    "min_participants = %s\n"
	    "\n# The coordinator may lie (malicious) or only look\n"
	    "# (semi-honest); the graph degree and threshold follow, from the\n"
	    "# fractions of nodes assumed corrupt and assumed to drop out.\n"
	    "threat = %s\nassumed_corrupt = 0.05\nassumed_dropout = 0.05\n",
	    a->min_participants != NULL ? a->min_participants : "3",
	    a->threat != NULL ? a->threat : "malicious");
}

static bool
cc_coordinator(FILE *o, const cc_opts *a)
{
	bool ok;

	fprintf(o, "[coordinator]\n"
	           "# Where nodes and researchers connect; the coordinator is\n"
	           "# the only party that listens.\n"
	           "listen = %s\n",
	    a->url);
	ok = cc_identity(o, a, "coordinator");
	ok &= cc_state_dir(o, a);
	if (a->nodes != NULL)
		fprintf(o,
		    "\n# The nodes the federation expects: every answer says of\n"
		    "# each whether it contributed, dropped, refused or was absent.\n"
		    "nodes = %s\n",
		    a->nodes);
	fprintf(o, "\n# Jobs running at the same time.\nmax_jobs = 4\n");
	cc_threat(o, a);
	fprintf(o,
	    "\n# Connections must finish their TLS 1.3 handshake with a\n"
	    "# federation certificate within handshake_ms; at most max_unauth\n"
	    "# may be in that state at once.\n"
	    "max_unauth = 64\nhandshake_ms = 5000\n"
	    "\n[deadlines]\n"
	    "# How long each round waits for the nodes; a node that misses a\n"
	    "# deadline is dropped from the session.  The input round runs\n"
	    "# the nodes' queries over their data: give it the longest.\n"
	    "advertise_ms = 30000\nreveal_ms = 30000\nshare_ms = 30000\n"
	    "input_ms = 300000\nconsistency_ms = 30000\nunmask_ms = 30000\n");
	return ok;
}

/* One --dataset NAME=KIND:... as a [dataset NAME] section.  false with a
 * message on stderr when the specification is wrong. */
static bool
cc_dataset(FILE *o, const cc_opts *a, const crn_schema *s, const char *spec)
{
	char buf[CC_PATH_MAX], abs[CC_PATH_MAX];
	char *name = buf, *kind, *rest, *table = NULL;
	const crn_dataset *d;

	if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf) ||
	    (kind = strchr(buf, '=')) == NULL ||
	    (rest = strchr(kind, ':')) == NULL) {
		cli_error("config node: --dataset '%s' is not NAME=csv:PATH, NAME=sqlite:PATH:TABLE or NAME=postgres:CONNINFO:TABLE", spec);
		return false;
	}
	*kind++ = '\0';
	*rest++ = '\0';
	if ((d = crn_schema_dataset(s, name)) == NULL) {
		cli_error("config node: dataset '%s' is not in the schema %s", name, a->schema);
		return false;
	}
	if (strcmp(kind, "sqlite") == 0 || strcmp(kind, "postgres") == 0) {
		if ((table = strrchr(rest, ':')) == NULL || table[1] == '\0') {
			cli_error("config node: --dataset '%s' needs :TABLE after the %s", spec,
			    kind[0] == 's' ? "path" : "connection string");
			return false;
		}
		*table++ = '\0';
	} else if (strcmp(kind, "csv") != 0) {
		cli_error("config node: --dataset '%s': kind '%s' is not csv, sqlite or postgres", spec, kind);
		return false;
	}
	fprintf(o, "\n[dataset %s]\n# Where our copy of dataset %s is.\nkind = %s\n",
	    name, name, kind);
	if (kind[0] == 'p') {
		fprintf(o, "conninfo = %s\n", rest);
	} else {
		if (!cc_abs(rest, abs, sizeof(abs)))
			return false;
		fprintf(o, "path = %s\n", abs);
	}
	if (table != NULL)
		fprintf(o, "table = %s\n", table);
	fprintf(o, "# The schema columns jobs may use; others are refused.\nexpose = ");
	if (a->expose != NULL) {
		fprintf(o, "%s", a->expose);
	} else {
		for (size_t i = 0; i < d->ncols; i++)
			fprintf(o, "%s%s", i > 0 ? ", " : "", d->cols[i].name);
	}
	fprintf(o, "\n");
	for (size_t i = 0; i < a->nmaps; i++) {
		size_t n = strlen(name);
		const char *m = a->maps[i], *eq = strchr(m, '=');

		if (eq == NULL || strchr(m, '.') == NULL || strchr(m, '.') > eq) {
			cli_error("config node: --map '%s' is not DATASET.COLUMN=LOCAL", m);
			return false;
		}
		if (strncmp(m, name, n) == 0 && m[n] == '.')
			fprintf(o, "# Our source calls schema column %.*s this:\ncolumn.%.*s = %s\n",
			    (int)(eq - m - (int)n - 1), m + n + 1,
			    (int)(eq - m - (int)n - 1), m + n + 1, eq + 1);
	}
	return true;
}

static bool
cc_node(FILE *o, const cc_opts *a, const crn_schema *s)
{
	bool ok;

	fprintf(o, "[node]\n"
	           "# Our name: the name on our certificate, shown in results.\n"
	           "name = %s\n"
	           "\n# The coordinator to dial.  A node opens no port of its own.\n"
	           "coordinator = %s\n",
	    a->name, a->url);
	if (a->coordinator_name != NULL)
		fprintf(o, "\n# The only certificate name accepted as the coordinator.\n"
		           "coordinator_name = %s\n",
		    a->coordinator_name);
	ok = cc_identity(o, a, "node");
	ok &= cc_state_dir(o, a);
	fprintf(o, "\n# Reconnecting: first wait, doubling up to the maximum.\n"
	           "reconnect_min_ms = 100\nreconnect_max_ms = 30000\n"
	           "# How often to tell the coordinator we are here when idle.\n"
	           "heartbeat_ms = 10000\n"
	           "\n[policy]\n"
	           "# Researchers (certificate names) whose signed jobs we accept.\n"
	           "researchers = %s\n"
	           "\n# We contribute nothing to a cell with fewer rows than this,\n"
	           "# counted over the whole federation (the schema's min_cell\n"
	           "# applies as well, whichever is larger).\n"
	           "min_cell = %s",
	    a->researchers, a->min_cell != NULL ? a->min_cell : "");
	if (a->min_cell == NULL)
		fprintf(o, "%u", s->min_cell);
	fprintf(o, "\n");
	cc_threat(o, a);
	fprintf(o, "\n# Refuse jobs signed to stay valid longer than this.\n"
	           "max_job_lifetime_ms = 3600000\n"
	           "# Longest a job's query may run on a PostgreSQL source.\n"
	           "query_timeout_ms = 300000\n");
	for (size_t i = 0; ok && i < a->ndatasets; i++)
		ok = cc_dataset(o, a, s, a->datasets[i]);
	return ok;
}

static bool
cc_researcher(FILE *o, const cc_opts *a)
{
	bool ok;

	fprintf(o, "[researcher]\n# The coordinator to submit jobs to.\ncoordinator = %s\n",
	    a->url);
	if (a->coordinator_name != NULL)
		fprintf(o, "\n# The only certificate name accepted as the coordinator.\n"
		           "coordinator_name = %s\n",
		    a->coordinator_name);
	ok = cc_identity(o, a, "researcher");
	fprintf(o, "\n# How long 'cairn query' waits for a result.\ntimeout_ms = 600000\n");
	return ok;
}

/* Load text with the daemons' parser (from a temporary file, since the
 * parser reads files); err gets its message. */
static cairn_err
cc_validate(const char *text, size_t len, crn_cfg_role role, char *err,
    size_t errlen)
{
	char path[CC_PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	crn_config *cfg = NULL;
	cairn_err rv;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/cairn-config.XXXXXX",
	    tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "cannot make a temporary file: %s", strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		return CAIRN_ESYS;
	}
	rv = fwrite(text, 1, len, f) == len && fclose(f) == 0 ? CAIRN_OK : CAIRN_ESYS;
	if (rv == CAIRN_OK)
		rv = crn_config_load(&cfg, path, role, err, errlen);
	else
		snprintf(err, errlen, "cannot write a temporary file: %s", strerror(errno));
	unlink(path);
	crn_config_free(cfg);
	return rv;
}

int
cmd_config(int argc, char **argv)
{
	cc_opts a;
	crn_schema *s = NULL;
	char err[1024], *text = NULL, when[32];
	size_t len = 0;
	time_t now = time(NULL);
	struct tm tm;
	FILE *o;
	int rc;
	bool ok = false;

	memset(&a, 0, sizeof(a));
	if (argc < 2 || argv[1][0] == '-') {
		bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
		                             strcmp(argv[1], "-h") == 0);
		if (!help)
			return cli_usage_error(
			    "config", "which role: coordinator, node or researcher?");
		fputs(config_usage, stdout);
		return 0;
	}
	if (strcmp(argv[1], "coordinator") == 0)
		a.role = CRN_CFG_COORDINATOR;
	else if (strcmp(argv[1], "node") == 0)
		a.role = CRN_CFG_NODE;
	else if (strcmp(argv[1], "researcher") == 0)
		a.role = CRN_CFG_RESEARCHER;
	else {
		return cli_usage_error("config",
		    "'%s' is not coordinator, node or researcher", argv[1]);
	}
	if ((rc = cc_parse(argc, argv, &a)) >= 0)
		return rc;
	if (crn_schema_load(a.schema, &s, err, sizeof(err)) != CAIRN_OK)
		return cli_error("config: schema %s", err);
	if ((o = open_memstream(&text, &len)) == NULL) {
		crn_schema_free(s);
		return cli_error("config: out of memory");
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	fprintf(o, "# cairn %s configuration for %s, written by 'cairn config' on %s.\n"
	           "# Every key is checked when loaded: a misspelt key is an error,\n"
	           "# never a silent default.  Durations are milliseconds.  Paths are\n"
	           "# absolute; relative ones would be read from this file's directory.\n"
	           "# 'man cairn.conf' (or the README) describes every key.\n\n",
	    crn_cfg_role_name(a.role), a.name, when);
	if (a.role == CRN_CFG_COORDINATOR)
		ok = cc_coordinator(o, &a);
	else if (a.role == CRN_CFG_NODE)
		ok = cc_node(o, &a, s);
	else
		ok = cc_researcher(o, &a);
	if (fclose(o) != 0 || text == NULL)
		ok = false;
	crn_schema_free(s);
	if (!ok) {
		free(text);
		return 1; /* the message is out (or a path was too long) */
	}
	if (cc_validate(text, len, a.role, err, sizeof(err)) != CAIRN_OK) {
		free(text);
		return cli_error("config %s: the options make an invalid configuration: %s",
		    crn_cfg_role_name(a.role), err);
	}
	rc = fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : 1;
	free(text);
	return rc;
}
