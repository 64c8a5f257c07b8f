/*
 * config_test.c — configuration files: the shipped examples, defaults,
 * every kind of error (with file, line, section and key in the message),
 * path resolution, and allocation failure at every step.
 */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cairn_test.h"
#include "runtime/config.h"

static char tdir[256];
static char tfile[300];

static int
setup(void **state)
{
	(void)state;
	snprintf(tdir, sizeof(tdir), "%s", crn_t_tmpdir());
	snprintf(tfile, sizeof(tfile), "%s/t.conf", tdir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	crn_t_rmtree(tdir);
	return 0;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static cairn_err
load_text(const char *text, crn_cfg_role role, crn_config **cfg, char *err,
    size_t errlen)
{
	write_file(tfile, text);
	return crn_config_load(cfg, tfile, role, err, errlen);
}

static void
example_path(char *out, size_t n, const char *name)
{
	const char *src = getenv("CAIRN_SRC");

	assert_non_null(src);
	snprintf(out, n, "%s/examples/%s", src, name);
}

/* The path a relative value in an example resolves to. */
static void
expect_example_path(const char *got, const char *rel)
{
	char *dir, want[1024], ex[1024];

	example_path(ex, sizeof(ex), ".");
	dir = realpath(ex, NULL);
	assert_non_null(dir);
	snprintf(want, sizeof(want), "%s/%s", dir, rel);
	free(dir);
	assert_string_equal(got, want);
}

/* ---- the shipped examples --------------------------------------------- */

static void
test_example_coordinator(void **state)
{
	crn_config *cfg = NULL;
	char path[1024], err[512];

	(void)state;
	example_path(path, sizeof(path), "coordinator.conf");
	CAIRN_T_PASS(
	    crn_config_load(&cfg, path, CRN_CFG_COORDINATOR, err, sizeof(err)));
	assert_string_equal(err, "");
	assert_int_equal(cfg->role, CRN_CFG_COORDINATOR);
	assert_string_equal(cfg->coord.listen, "tcp://127.0.0.1:7700");
	expect_example_path(cfg->coord.key, "pki/coordinator.key");
	expect_example_path(cfg->coord.cert, "pki/coordinator.crt");
	expect_example_path(cfg->coord.ca_cert, "ca/ca.crt");
	expect_example_path(cfg->coord.crl, "ca/crl.pem");
	expect_example_path(cfg->coord.schema, "schema/cps.ini");
	assert_int_equal(cfg->coord.max_jobs, 4);
	assert_int_equal(cfg->coord.min_participants, 3);
	assert_true(cfg->coord.threshold == 0.5);
	assert_int_equal(cfg->coord.max_unauth, 64);
	assert_int_equal(cfg->coord.handshake_ms, 5000);
	assert_int_equal(cfg->coord.deadlines.advertise_ms, 30000);
	assert_int_equal(cfg->coord.deadlines.input_ms, 300000);
	assert_int_equal(cfg->coord.deadlines.unmask_ms, 30000);
	crn_config_free(cfg);
}

static void
test_example_nodes(void **state)
{
	const crn_cfg_dataset *ds;
	crn_config *cfg = NULL;
	char path[1024], name[32], rel[64], err[512];

	(void)state;
	for (int i = 1; i <= 3; i++) {
		snprintf(name, sizeof(name), "node%d.conf", i);
		example_path(path, sizeof(path), name);
		CAIRN_T_PASS(crn_config_load(
		    &cfg, path, CRN_CFG_NODE, err, sizeof(err)));
		snprintf(name, sizeof(name), "agency%d", i);
		assert_string_equal(cfg->node.name, name);
		assert_string_equal(
		    cfg->node.coordinator, "tcp://127.0.0.1:7700");
		snprintf(rel, sizeof(rel), "pki/agency%d.key", i);
		expect_example_path(cfg->node.key, rel);
		snprintf(rel, sizeof(rel), "state/agency%d", i);
		expect_example_path(cfg->node.state_dir, rel);
		/* Nodes check SQL plans against their own schema copy. */
		expect_example_path(cfg->node.schema, "schema/cps.ini");
		assert_string_equal(cfg->node.coordinator_name, "coordinator");
		assert_int_equal(cfg->node.max_job_lifetime_ms, 3600000);
		assert_int_equal(cfg->node.nresearchers, 1);
		assert_string_equal(cfg->node.researchers[0], "alice");
		assert_int_equal(cfg->node.min_cell, 5);
		assert_int_equal(cfg->node.min_participants, 3);
		assert_int_equal(cfg->node.ndatasets, 1);
		ds = crn_config_dataset(cfg, "cps");
		assert_non_null(ds);
		assert_null(crn_config_dataset(cfg, "nope"));
		assert_int_equal(ds->kind, CRN_SRC_CSV);
		snprintf(rel, sizeof(rel), "data/agency%d.csv", i);
		expect_example_path(ds->path, rel);
		assert_null(ds->table);
		assert_null(ds->conninfo);
		/* The demo needs every node to offer the same columns. */
		assert_int_equal(ds->nexpose, 6);
		assert_string_equal(ds->expose[0], "age");
		assert_string_equal(ds->expose[5], "sex");
		/* Agency 2's file names two columns its own way. */
		if (i == 2) {
			assert_int_equal(ds->nmap, 2);
			assert_string_equal(ds->map[0].column, "wage");
			assert_string_equal(ds->map[0].source, "hourly_wage");
			assert_string_equal(ds->map[1].column, "education");
			assert_string_equal(
			    ds->map[1].source, "years_schooling");
		} else {
			assert_int_equal(ds->nmap, 0);
		}
		crn_config_free(cfg);
		cfg = NULL;
	}
}

static void
test_example_researcher(void **state)
{
	crn_config *cfg = NULL;
	char path[1024];

	(void)state;
	example_path(path, sizeof(path), "researcher.conf");
	CAIRN_T_PASS(crn_config_load(&cfg, path, CRN_CFG_RESEARCHER, NULL, 0));
	assert_string_equal(
	    cfg->researcher.coordinator, "tcp://127.0.0.1:7700");
	expect_example_path(cfg->researcher.key, "pki/alice.key");
	expect_example_path(cfg->researcher.crl, "ca/crl.pem");
	assert_int_equal(cfg->researcher.timeout_ms, 600000);
	assert_string_equal(cfg->researcher.coordinator_name, "coordinator");
	crn_config_free(cfg);
}

/* An example read as the wrong role names the foreign section. */
static void
test_wrong_role(void **state)
{
	crn_config *cfg = NULL;
	char path[1024], err[512];

	(void)state;
	example_path(path, sizeof(path), "node1.conf");
	CAIRN_T_FAIL(
	    crn_config_load(&cfg, path, CRN_CFG_COORDINATOR, err, sizeof(err)),
	    CAIRN_ECONFIG);
	assert_null(cfg);
	assert_non_null(strstr(err, "node1.conf:15: [node]"));
	assert_non_null(strstr(err, "unknown section for a coordinator"));
}

/* ---- defaults ---------------------------------------------------------- */

static void
test_defaults(void **state)
{
	crn_config *cfg = NULL;
	char want[512];

	(void)state;
	CAIRN_T_PASS(load_text("[coordinator]\nlisten = ipc://c.sock\n"
	                       "key = /k\ncert = c\nca_cert = ca\ncrl = crl\n"
	                       "schema = s.ini\n",
	    CRN_CFG_COORDINATOR, &cfg, NULL, 0));
	snprintf(want, sizeof(want), "ipc://%s/c.sock", cfg->dir);
	assert_string_equal(cfg->coord.listen, want);
	assert_string_equal(cfg->coord.key, "/k");
	assert_int_equal(cfg->coord.max_jobs, 4);
	assert_int_equal(cfg->coord.min_participants, 3);
	assert_true(cfg->coord.threshold == 0.5);
	assert_int_equal(cfg->coord.max_unauth, 64);
	assert_int_equal(cfg->coord.handshake_ms, 5000);
	assert_int_equal(cfg->coord.deadlines.advertise_ms, 30000);
	assert_int_equal(cfg->coord.deadlines.share_ms, 30000);
	assert_int_equal(cfg->coord.deadlines.input_ms, 300000);
	assert_int_equal(cfg->coord.deadlines.consistency_ms, 30000);
	assert_int_equal(cfg->coord.deadlines.unmask_ms, 30000);
	crn_config_free(cfg);

	CAIRN_T_PASS(load_text("[node]\nname = n1\n"
	                       "coordinator = tcp://coord.example:7700\n"
	                       "key = k\ncert = c\nca_cert = ca\ncrl = r\n"
	                       "[policy]\nresearchers = Alice Smith ,bob\n"
	                       "[dataset d]\nkind = postgres\n"
	                       "conninfo = dbname=x password=secret\n"
	                       "table = t1\nexpose = a, wage\n"
	                       "column.wage = hourly_wage\n"
	                       "column.a = A_col\n",
	    CRN_CFG_NODE, &cfg, NULL, 0));
	assert_int_equal(cfg->node.reconnect_min_ms, 100);
	assert_int_equal(cfg->node.reconnect_max_ms, 30000);
	assert_int_equal(cfg->node.heartbeat_ms, 10000);
	assert_int_equal(cfg->node.min_cell, 10);
	assert_int_equal(cfg->node.min_participants, 3);
	assert_int_equal(cfg->node.max_job_lifetime_ms, 3600000);
	assert_int_equal(cfg->node.query_timeout_ms, 300000);
	assert_null(cfg->node.schema);
	assert_null(cfg->node.coordinator_name);
	snprintf(want, sizeof(want), "%s/n1-state", cfg->dir);
	assert_string_equal(cfg->node.state_dir, want);
	assert_int_equal(cfg->node.nresearchers, 2);
	assert_string_equal(cfg->node.researchers[0], "Alice Smith");
	assert_string_equal(cfg->node.researchers[1], "bob");
	assert_int_equal(cfg->node.datasets[0].kind, CRN_SRC_PG);
	assert_string_equal(
	    cfg->node.datasets[0].conninfo, "dbname=x password=secret");
	assert_string_equal(cfg->node.datasets[0].table, "t1");
	assert_null(cfg->node.datasets[0].path);
	assert_int_equal(cfg->node.datasets[0].nexpose, 2);
	assert_int_equal(cfg->node.datasets[0].nmap, 2);
	assert_string_equal(cfg->node.datasets[0].map[0].column, "wage");
	assert_string_equal(cfg->node.datasets[0].map[0].source, "hourly_wage");
	assert_string_equal(cfg->node.datasets[0].map[1].column, "a");
	assert_string_equal(cfg->node.datasets[0].map[1].source, "A_col");
	crn_config_free(cfg);

	CAIRN_T_PASS(load_text("[researcher]\ncoordinator = tcp://h:1\n"
	                       "key = k\ncert = c\nca_cert = ca\n",
	    CRN_CFG_RESEARCHER, &cfg, NULL, 0));
	assert_null(cfg->researcher.crl);
	assert_int_equal(cfg->researcher.timeout_ms, 600000);
	assert_null(cfg->researcher.schema);
	crn_config_free(cfg);
}

/* The keys of the security review: the node's schema copy, the
 * coordinator it accepts, the job lifetime cap; the researcher's schema. */
static void
test_review_keys(void **state)
{
	crn_config *cfg = NULL;
	char want[512], err[512];

	(void)state;
	CAIRN_T_PASS(load_text("[node]\nname = n1\n"
	                       "coordinator = ipc://c.sock\n"
	                       "key = k\ncert = c\nca_cert = ca\ncrl = r\n"
	                       "schema = fed.ini\n"
	                       "coordinator_name = coord-1\n"
	                       "[policy]\nresearchers = bob\n"
	                       "max_job_lifetime_ms = 60000\n"
	                       "query_timeout_ms = 2500\n"
	                       "[dataset d]\nkind = csv\npath = d.csv\n"
	                       "expose = a\n",
	    CRN_CFG_NODE, &cfg, NULL, 0));
	assert_int_equal(cfg->node.query_timeout_ms, 2500);
	snprintf(want, sizeof(want), "%s/fed.ini", cfg->dir);
	assert_string_equal(cfg->node.schema, want);
	assert_string_equal(cfg->node.coordinator_name, "coord-1");
	assert_int_equal(cfg->node.max_job_lifetime_ms, 60000);
	crn_config_free(cfg);
	cfg = NULL;

	CAIRN_T_FAIL(load_text("[node]\nname = n1\n"
	                       "coordinator = ipc://c.sock\n"
	                       "key = k\ncert = c\nca_cert = ca\ncrl = r\n"
	                       "[policy]\nresearchers = bob\n"
	                       "max_job_lifetime_ms = 0\n"
	                       "[dataset d]\nkind = csv\npath = d.csv\n"
	                       "expose = a\n",
	                 CRN_CFG_NODE, &cfg, err, sizeof(err)),
	    CAIRN_ECONFIG);
	assert_null(cfg);
	assert_non_null(strstr(err, "[policy] max_job_lifetime_ms"));

	CAIRN_T_FAIL(load_text("[node]\nname = n1\n"
	                       "coordinator = ipc://c.sock\n"
	                       "key = k\ncert = c\nca_cert = ca\ncrl = r\n"
	                       "coordinator_name = not a name!\n"
	                       "[policy]\nresearchers = bob\n"
	                       "[dataset d]\nkind = csv\npath = d.csv\n"
	                       "expose = a\n",
	                 CRN_CFG_NODE, &cfg, err, sizeof(err)),
	    CAIRN_ECONFIG);
	assert_non_null(strstr(err, "[node] coordinator_name"));

	CAIRN_T_PASS(load_text("[researcher]\ncoordinator = tcp://h:1\n"
	                       "key = k\ncert = c\nca_cert = ca\n"
	                       "schema = /fed/schema.ini\n",
	    CRN_CFG_RESEARCHER, &cfg, NULL, 0));
	assert_string_equal(cfg->researcher.schema, "/fed/schema.ini");
	crn_config_free(cfg);
}

/* ---- errors ------------------------------------------------------------ */

#define COORD_OK                                                               \
	"[coordinator]\nlisten = tcp://0.0.0.0:7700\nkey = k\ncert = c\n"      \
	"ca_cert = ca\ncrl = r\nschema = s\n"
#define NODE_HEAD                                                              \
	"[node]\nname = n\ncoordinator = tcp://h:7700\nkey = k\ncert = c\n"    \
	"ca_cert = ca\ncrl = r\n[policy]\nresearchers = alice\n"

typedef struct err_case {
	crn_cfg_role role;
	const char *text;
	const char *want; /* substring of the message after "t.conf" */
} err_case;

static const err_case err_cases[] = {
    {CRN_CFG_COORDINATOR, COORD_OK "lisen = x\n",
        ":8: [coordinator] lisen: unknown key"},
    {CRN_CFG_COORDINATOR, COORD_OK "[deadline]\nshare_ms = 1\n",
        ":8: [deadline] unknown section for a coordinator"},
    {CRN_CFG_COORDINATOR, COORD_OK "key = k2\n",
        ":8: [coordinator] key: given twice (first on line 3"},
    {CRN_CFG_COORDINATOR, COORD_OK "max_jobs =\n",
        ":8: [coordinator] max_jobs: empty value"},
    {CRN_CFG_COORDINATOR, COORD_OK "max_jobs = four\n",
        ":8: [coordinator] max_jobs: \"four\" is not a whole number"},
    {CRN_CFG_COORDINATOR, COORD_OK "max_jobs = -1\n",
        "max_jobs: \"-1\" is not a whole number"},
    {CRN_CFG_COORDINATOR, COORD_OK "max_jobs = 0\n",
        ":8: [coordinator] max_jobs: \"0\" is out of range (1 to 1024)"},
    {CRN_CFG_COORDINATOR, COORD_OK "max_jobs = 99999999999999999999\n",
        "is out of range"},
    {CRN_CFG_COORDINATOR, COORD_OK "min_participants = 1\n",
        "min_participants: \"1\" is out of range (2 to"},
    {CRN_CFG_COORDINATOR, COORD_OK "threshold = 0.4\n",
        ":8: [coordinator] threshold: \"0.4\" must be at least 0.5"},
    {CRN_CFG_COORDINATOR, COORD_OK "threshold = 1\n", "below 1"},
    {CRN_CFG_COORDINATOR, COORD_OK "threshold = half\n",
        "threshold: \"half\" is not a number"},
    {CRN_CFG_COORDINATOR, COORD_OK "threshold = nan\n", "is not a number"},
    {CRN_CFG_COORDINATOR, COORD_OK "[deadlines]\nunmask_ms = 0\n",
        ":9: [deadlines] unmask_ms: \"0\" is out of range (1 to 86400000)"},
    {CRN_CFG_COORDINATOR, COORD_OK "[deadlines]\ninput_ms = 1e9\n",
        "input_ms: \"1e9\" is not a whole number"},
    {CRN_CFG_COORDINATOR, "[coordinator]\nlisten = http://x:80\n",
        ":2: [coordinator] listen: \"http://x:80\": want tcp://HOST:PORT or ipc://PATH"},
    {CRN_CFG_COORDINATOR, "[coordinator]\nlisten = tcp://host\n",
        "listen: \"tcp://host\": want tcp://HOST:PORT"},
    {CRN_CFG_COORDINATOR, "[coordinator]\nlisten = tcp://h:70000\n",
        "port must be a number from 1 to 65535"},
    {CRN_CFG_COORDINATOR, "[coordinator]\nlisten = tcp://:7\n",
        "want tcp://HOST:PORT"},
    {CRN_CFG_COORDINATOR, "[coordinator]\nlisten = ipc://\n",
        "want ipc://PATH"},
    {CRN_CFG_COORDINATOR,
        "[coordinator]\nlisten = ipc:///aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
        "socket path longer than 107 bytes"},
    {CRN_CFG_COORDINATOR,
        "[coordinator]\nlisten = tcp://h:1\nkey = k\ncert = c\n"
        "ca_cert = ca\nschema = s\n",
        ":1: [coordinator] crl: missing (required)"},
    {CRN_CFG_COORDINATOR, "# nothing\n",
        ": [coordinator] listen: missing (required; no [coordinator] section)"},
    {CRN_CFG_COORDINATOR, "listen = tcp://h:1\n",
        ":1: listen: key before any [section]"},
    {CRN_CFG_COORDINATOR, COORD_OK "this line has no equals sign\n",
        ":8: syntax error"},
    {CRN_CFG_COORDINATOR, COORD_OK "[coordinator\n", ":8: syntax error"},
    {CRN_CFG_COORDINATOR,
        COORD_OK
        "; a very long comment ...............................................................................................................................................................................................................\n",
        ":8: line longer than 198 characters"},
    {CRN_CFG_COORDINATOR, COORD_OK "schema = s\x01t\n", "given twice"},
    {CRN_CFG_COORDINATOR,
        "[coordinator]\nlisten = tcp://h:1\nschema = a\x01"
        "b\n",
        ":3: [coordinator] schema: control characters in \"a\\x01b\""},
    {CRN_CFG_COORDINATOR, COORD_OK "max_jobs = 2\n  3\n",
        "an indented line continues the value above it"},
    /* Node. */
    {CRN_CFG_NODE, NODE_HEAD, ": no [dataset NAME] section"},
    {CRN_CFG_NODE,
        NODE_HEAD "[dataset cps]\npath = x.csv\n"
                  "expose = a\n",
        ":10: [dataset cps] kind: missing (required: csv, sqlite or postgres)"},
    {CRN_CFG_NODE, NODE_HEAD "[dataset cps]\nkind = excel\n",
        ":11: [dataset cps] kind: \"excel\": want csv, sqlite or postgres"},
    {CRN_CFG_NODE, NODE_HEAD "[dataset cps]\nkind = csv\nexpose = a\n",
        ":10: [dataset cps] path: missing (required with kind = csv)"},
    {CRN_CFG_NODE,
        NODE_HEAD "[dataset cps]\nkind = csv\npath = p\n"
                  "table = t\nexpose = a\n",
        ":13: [dataset cps] table: not used with kind = csv"},
    {CRN_CFG_NODE,
        NODE_HEAD "[dataset cps]\nkind = sqlite\npath = p\n"
                  "expose = a\n",
        "[dataset cps] table: missing (required with kind = sqlite)"},
    {CRN_CFG_NODE,
        NODE_HEAD "[dataset cps]\nkind = postgres\n"
                  "path = p\ntable = t\nconninfo = x\nexpose = a\n",
        ":12: [dataset cps] path: not used with kind = postgres"},
    {CRN_CFG_NODE, NODE_HEAD "[dataset cps]\nkind = csv\npath = p\n",
        "[dataset cps] expose: missing"},
    {CRN_CFG_NODE,
        NODE_HEAD "[dataset cps]\nkind = csv\npath = p\n"
                  "expose = a, b,, c\n",
        ":13: [dataset cps] expose: empty item in list"},
    {CRN_CFG_NODE,
        NODE_HEAD "[dataset cps]\nkind = csv\npath = p\n"
                  "expose = a, b, a\n",
        "expose: \"a\" listed twice"},
    {CRN_CFG_NODE,
        NODE_HEAD "[dataset cps]\nkind = csv\npath = p\n"
                  "expose = a, wage; drop table\n",
        "is not a plain column name"},
    {CRN_CFG_NODE,
        NODE_HEAD "[dataset cps]\nkind = sqlite\npath = p\n"
                  "table = t;x\nexpose = a\n",
        ":13: [dataset cps] table: \"t;x\" is not a plain table name"},
    {CRN_CFG_NODE,
        NODE_HEAD "[dataset cps]\nkind = csv\npath = p\n"
                  "expose = a\ncolumn.b = bb\n",
        ":10: [dataset cps] column.b: maps a column that is not in expose"},
    {CRN_CFG_NODE,
        NODE_HEAD "[dataset cps]\nkind = csv\npath = p\n"
                  "expose = a\ncolumn.a = x y\n",
        ":14: [dataset cps] column.a: want column.SCHEMA_COLUMN"},
    {CRN_CFG_NODE,
        NODE_HEAD "[dataset cps]\nkind = csv\npath = p\n"
                  "expose = a\ncolumn.a = x\ncolumn.a = y\n",
        ":15: [dataset cps] column.a: given twice"},
    {CRN_CFG_NODE,
        NODE_HEAD "[dataset cps]\nkind = csv\npath = p\n"
                  "expose = a\nfile = q\n",
        ":14: [dataset cps] file: unknown key"},
    {CRN_CFG_NODE, NODE_HEAD "[dataset cps]\nkind = csv\nkind = csv\n",
        ":12: [dataset cps] kind: given twice (first on line 11)"},
    {CRN_CFG_NODE,
        NODE_HEAD "[dataset cps]\nkind = csv\npath = p\n"
                  "expose = a\n[policy2]\nx = 1\n[dataset cps]\nkind = csv\n",
        "unknown section"},
    {CRN_CFG_NODE,
        NODE_HEAD
        "[dataset cps]\nkind = csv\npath = p\n"
        "expose = a\n[dataset other]\nkind = csv\npath = q\nexpose = b\n"
        "[node]\nheartbeat_ms = 1000\n[dataset cps]\nkind = csv\n",
        ":20: [dataset cps] dataset cps defined twice"},
    {CRN_CFG_NODE, NODE_HEAD "[dataset 9x]\nkind = csv\n",
        ":10: [dataset 9x] dataset name \"9x\" is not a plain name"},
    {CRN_CFG_NODE, NODE_HEAD "[dataset]\nkind = csv\n",
        ":10: [dataset] want [dataset NAME]"},
    {CRN_CFG_NODE, NODE_HEAD "reconnect_min_ms = 5\n",
        ":10: [policy] reconnect_min_ms: unknown key"},
    {CRN_CFG_NODE,
        "[node]\nname = n\ncoordinator = tcp://h:7700\nkey = k\n"
        "cert = c\nca_cert = ca\ncrl = r\nreconnect_min_ms = 5000\n"
        "reconnect_max_ms = 1000\n[policy]\nresearchers = alice\n"
        "[dataset d]\nkind = csv\npath = p\nexpose = a\n",
        ":1: [node] reconnect_min_ms: larger than reconnect_max_ms"},
    {CRN_CFG_NODE, "[node]\nname = bad name\n",
        ":2: [node] name: \"bad name\": want 1 to 64 of"},
    {CRN_CFG_NODE,
        "[node]\nname = n\ncoordinator = tcp://h:7700\nkey = k\n"
        "cert = c\nca_cert = ca\ncrl = r\n[dataset d]\nkind = csv\n"
        "path = p\nexpose = a\n",
        ": [policy] researchers: missing (required; no [policy] section)"},
    {CRN_CFG_NODE, NODE_HEAD "heartbeat_ms = 10\n",
        "[policy] heartbeat_ms: unknown key"},
    /* Researcher. */
    {CRN_CFG_RESEARCHER,
        "[researcher]\ncoordinator = tcp://h:1\n"
        "key = k\ncert = c\nca_cert = ca\ntimeout_ms = 0\n",
        ":6: [researcher] timeout_ms: \"0\" is out of range"},
    {CRN_CFG_RESEARCHER,
        "[researcher]\ncoordinator = tcp://h:1\n"
        "key = k\ncert = c\n",
        ":1: [researcher] ca_cert: missing (required)"},
    {CRN_CFG_RESEARCHER, "[researcher]\nkey = k\n[node]\nname = x\n",
        ":3: [node] unknown section for a researcher configuration"},
};

static void
test_errors(void **state)
{
	crn_config *cfg;
	char err[512];
	cairn_err rv;

	(void)state;
	for (size_t i = 0; i < CRN_NELEM(err_cases); i++) {
		const err_case *ec = &err_cases[i];

		cfg = (crn_config *)1;
		rv = load_text(ec->text, ec->role, &cfg, err, sizeof(err));
		if (rv != CAIRN_ECONFIG || strstr(err, ec->want) == NULL ||
		    strncmp(err, tfile, strlen(tfile)) != 0)
			fail_msg("case %zu: got %d \"%s\", want \"%s\"", i, rv,
			    err, ec->want);
		if (getenv("CAIRN_TEST_VERBOSE") != NULL)
			print_message("%s\n", err);
		assert_null(cfg);
	}
}

static void
test_open_errors(void **state)
{
	crn_config *cfg = NULL;
	char err[512], path[400];

	(void)state;
	snprintf(path, sizeof(path), "%s/absent.conf", tdir);
	CAIRN_T_FAIL(
	    crn_config_load(&cfg, path, CRN_CFG_NODE, err, sizeof(err)),
	    CAIRN_ENOENT);
	assert_non_null(strstr(err, "absent.conf: cannot open"));
	CAIRN_T_FAIL(
	    crn_config_load(&cfg, tdir, CRN_CFG_NODE, err, sizeof(err)),
	    CAIRN_ESYS);
	assert_non_null(strstr(err, "read error"));
	CAIRN_T_FAIL(
	    crn_config_load(&cfg, path, (crn_cfg_role)9, err, sizeof(err)),
	    CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    crn_config_load(NULL, path, CRN_CFG_NODE, NULL, 0), CAIRN_EINVAL);
	/* A tiny error buffer is cut, not overrun. */
	CAIRN_T_FAIL(
	    load_text("[x]\n", CRN_CFG_NODE, &cfg, err, 5), CAIRN_ECONFIG);
	assert_int_equal(strlen(err), 4);
	assert_string_equal(crn_cfg_role_name(CRN_CFG_NODE), "node");
	assert_string_equal(crn_cfg_role_name((crn_cfg_role)0), "?");
}

/* Relative paths resolve against the file's directory, not the cwd. */
static void
test_relative_paths(void **state)
{
	crn_config *cfg = NULL;
	char sub[400], path[500], want[600], *real;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/etc", tdir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/r.conf", sub);
	write_file(path,
	    "[researcher]\ncoordinator = ipc://../c.sock\n"
	    "key = keys/me.key\ncert = /abs/me.crt\n"
	    "ca_cert = ./ca.crt\n");
	CAIRN_T_PASS(crn_config_load(&cfg, path, CRN_CFG_RESEARCHER, NULL, 0));
	real = realpath(sub, NULL);
	assert_non_null(real);
	assert_string_equal(cfg->dir, real);
	snprintf(want, sizeof(want), "%s/keys/me.key", real);
	assert_string_equal(cfg->researcher.key, want);
	assert_string_equal(cfg->researcher.cert, "/abs/me.crt");
	snprintf(want, sizeof(want), "%s/./ca.crt", real);
	assert_string_equal(cfg->researcher.ca_cert, want);
	snprintf(want, sizeof(want), "ipc://%s/../c.sock", real);
	assert_string_equal(cfg->researcher.coordinator, want);
	free(real);
	crn_config_free(cfg);
}

/* Every allocation may fail; each failure is ENOMEM and leaks nothing
 * (the sanitizer build checks the leaks). */
static void
oom_loop(const char *path, crn_cfg_role role)
{
	crn_config *cfg = NULL;
	cairn_err rv;
	long n;

	for (n = 0; n < 10000; n++) {
		cfg = NULL;
		crn_alloc_fail_after(n);
		rv = crn_config_load(&cfg, path, role, NULL, 0);
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_OK)
			break;
		CAIRN_T_EQ(rv, CAIRN_ENOMEM);
		assert_null(cfg);
	}
	assert_true(n > 5);
	assert_non_null(cfg);
	crn_config_free(cfg);
}

static void
test_oom(void **state)
{
	char path[1024];

	(void)state;
	write_file(tfile,
	    "[node]\nname = n\ncoordinator = ipc://x.sock\n"
	    "key = k\ncert = c\nca_cert = ca\ncrl = r\n"
	    "[policy]\nresearchers = a, b, c\n"
	    "[dataset d]\nkind = postgres\nconninfo = db=x\n"
	    "table = t\nexpose = a, b, c\ncolumn.a = x\n"
	    "column.b = y\n[dataset e]\nkind = sqlite\n"
	    "path = e.db\ntable = e\nexpose = z\n"
	    "[dataset f]\nkind = csv\npath = f.csv\n"
	    "expose = z\n");
	oom_loop(tfile, CRN_CFG_NODE);
	example_path(path, sizeof(path), "coordinator.conf");
	oom_loop(path, CRN_CFG_COORDINATOR);
	example_path(path, sizeof(path), "researcher.conf");
	oom_loop(path, CRN_CFG_RESEARCHER);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_example_coordinator),
    cmocka_unit_test(test_example_nodes),
    cmocka_unit_test(test_example_researcher),
    cmocka_unit_test(test_wrong_role),
    cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
    cmocka_unit_test_setup_teardown(test_review_keys, setup, teardown),
    cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
    cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
    cmocka_unit_test_setup_teardown(test_relative_paths, setup, teardown),
    cmocka_unit_test_setup_teardown(test_oom, setup, teardown),
};

CAIRN_TEST_MAIN(tests)
