/*
 * config.h — configuration files of the three roles (coordinator, node,
 * researcher), parsed with inih.
 *
 * Format: INI.  Comments are lines starting with '#' or ';' (and text after
 * " ;" on a line).  Every key is known: an unknown key or section, a key
 * given twice, an empty value or a value out of range is an error, so a
 * typo never falls back to a default silently.  Relative paths (and
 * relative ipc:// paths) are resolved against the directory of the
 * configuration file; the loaded paths are absolute.  Durations are in
 * milliseconds, never zero and never infinite.
 *
 * Coordinator:
 *   [coordinator] listen, key, cert, ca_cert, crl, schema (required);
 *                 max_jobs (4: jobs run at once), max_queue (16: jobs
 *                 waiting for a free slot beyond those; 0 refuses
 *                 them), queue_wait_ms (60000: the longest a job
 *                 waits in the queue), min_participants (3), threshold (0.5:
 *                 at least floor(threshold * n) + 1 survivors; it can
 *                 only raise what the threat policy gives), threat
 *                 (malicious | semi-honest: malicious), assumed_corrupt
 *                 (0.05), assumed_dropout (0.05): graph degree and
 *                 threshold follow from these (crn_graph_choose_ex), and
 *                 nodes refuse parameters below their own policy;
 *                 state_dir ("coordinator-state": its lock, the newest
 *                 CRL accepted); audit_log (state_dir/audit.log: the
 *                 signed, hash-chained log of every job); max_unauth (64: connections still in
 *                 their TLS handshake at once; more are closed on
 *                 accept), handshake_ms (5000: a connection must
 *                 authenticate within this); nodes (comma-separated
 *                 certificate names of the nodes the federation
 *                 expects: every answer accounts for each of them, as
 *                 contributed, dropped, refused or absent); log_format (text |
 *                 json: text); metrics_listen (IP:PORT of the HTTP
 *                 listener for /metrics and the status page; none
 *                 when absent)
 *   [deadlines]   advertise_ms (30000), reveal_ms (30000), share_ms
 *                 (30000), input_ms (300000), consistency_ms (30000),
 *                 unmask_ms (30000)
 * Node:
 *   [node]        name, coordinator, key, cert, ca_cert, crl (required);
 *                 state_dir ("<name>-state"), audit_log
 *                 (state_dir/audit.log), reconnect_min_ms (100),
 *                 reconnect_max_ms (30000), heartbeat_ms (10000);
 *                 schema (the federation schema file: required to serve
 *                 SQL jobs, whose plans are checked against it);
 *                 coordinator_name (the certificate name accepted as the
 *                 coordinator; any coordinator-role certificate when
 *                 absent); log_format (text | json: text);
 *                 metrics_listen (IP:PORT of the HTTP listener for
 *                 /metrics; none when absent)
 *   [policy]      researchers (required, comma-separated certificate
 *                 names), min_cell (10), min_participants (3),
 *                 max_job_lifetime_ms (3600000: jobs whose not_after -
 *                 issued_at is longer are refused), query_timeout_ms
 *                 (300000: PostgreSQL statement_timeout of a job's query,
 *                 shortened to what is left of the job's validity),
 *                 threat (malicious | semi-honest: malicious),
 *                 assumed_corrupt (0.05), assumed_dropout (0.05): the
 *                 node refuses any roster whose degree and threshold do
 *                 not hold under these (README "Secure aggregation");
 *                 approved_code (comma-separated SHA-256 hex digests of
 *                 Lua programs the node runs, `cairn code hash FILE`),
 *                 approved_code_dir (a directory whose files are
 *                 approved programs, hashed when a job arrives),
 *                 code_memory_mb (256), code_steps_m (2000: millions of
 *                 VM instructions), code_timeout_ms (20000): the sandbox
 *                 limits of an approved program (README "Approved code");
 *                 require_dp (false: refuse jobs that ask no DP noise),
 *                 budget_epsilon (10), budget_delta (1e-6): the zCDP
 *                 budget per researcher and dataset (README
 *                 "Differential privacy"); approve (auto | manual: auto):
 *                 manual jobs wait in state_dir/approvals.db for 'cairn
 *                 node approve'; approve_manual (comma-separated
 *                 researcher names whose jobs always wait)
 *   [dataset NAME] kind = csv | sqlite | postgres; path (csv, sqlite);
 *                 conninfo (postgres); table (sqlite, postgres); expose
 *                 (required, comma-separated schema columns the node
 *                 lets jobs use); approve (auto | manual: overrides
 *                 [policy] approve for this dataset);
 *                 column.SCHEMA_COLUMN = SOURCE_COLUMN
 *                 (where the source names a column differently)
 * Researcher:
 *   [researcher]  coordinator, key, cert, ca_cert (required); crl;
 *                 timeout_ms (600000); schema (the federation schema
 *                 `cairn query` plans SQL against when --schema is not
 *                 given); coordinator_name (as for a node); epsilon
 *                 (the DP epsilon `cairn query` asks when --epsilon is
 *                 not given; none when absent), delta (1e-6)
 */
#ifndef CRN_RUNTIME_CONFIG_H
#define CRN_RUNTIME_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "exec/exec.h"

/* Which program reads the file (a separate enum from the certificate role
 * of crypto/cert.h: this one picks a file layout). */
typedef enum crn_cfg_role {
	CRN_CFG_COORDINATOR = 1,
	CRN_CFG_NODE = 2,
	CRN_CFG_RESEARCHER = 3,
} crn_cfg_role;

typedef struct crn_cfg_deadlines {
	uint32_t advertise_ms;
	uint32_t reveal_ms;
	uint32_t share_ms;
	uint32_t input_ms;
	uint32_t consistency_ms;
	uint32_t unmask_ms;
} crn_cfg_deadlines;

typedef struct crn_cfg_coordinator {
	char *listen; /* tcp://host:port or ipc:///path */
	char *key, *cert, *ca_cert, *crl;
	char *schema;    /* federation schema file */
	char *state_dir; /* lock, crl.mark */
	char *audit_log; /* default state_dir/audit.log */
	uint32_t max_jobs;
	uint32_t max_queue;     /* jobs waiting for a slot; 0: refuse */
	uint32_t queue_wait_ms; /* the longest a job waits there */
	uint32_t min_participants;
	double threshold; /* in [0.5, 1) */
	bool malicious;   /* threat = malicious */
	double corrupt_frac, dropout_frac; /* in [0, 0.5) */
	uint32_t max_unauth;
	uint32_t handshake_ms;
	char **nodes; /* expected nodes (certificate names), or none */
	size_t nnodes;
	bool log_json;        /* log_format = json */
	char *metrics_listen; /* "IP:PORT" or NULL: no HTTP listener */
	crn_cfg_deadlines deadlines;
} crn_cfg_coordinator;

/* A dataset's source kind is the executors' own (core/exec/exec.h), so that a
 * loaded configuration feeds crn_exec_run without translation. */
typedef crn_source_kind crn_src_kind;

typedef struct crn_cfg_colmap {
	char *column; /* name in the federation schema */
	char *source; /* name in the data source */
} crn_cfg_colmap;

enum {
	CRN_CFG_APPROVE_POLICY = 0, /* as [policy] approve says */
	CRN_CFG_APPROVE_AUTO = 1,
	CRN_CFG_APPROVE_MANUAL = 2,
};

typedef struct crn_cfg_dataset {
	char *name; /* a dataset of the federation schema */
	crn_src_kind kind;
	char *path;     /* csv, sqlite: absolute path */
	char *conninfo; /* postgres: libpq connection string */
	char *table;    /* sqlite, postgres */
	char **expose;  /* columns jobs may use */
	size_t nexpose;
	crn_cfg_colmap *map;
	size_t nmap;
	int approve; /* CRN_CFG_APPROVE_*: POLICY when not given */
} crn_cfg_dataset;

typedef struct crn_cfg_node {
	char *name;
	char *coordinator; /* URL to dial */
	char *key, *cert, *ca_cert, *crl;
	char *state_dir;        /* ledgers, audit log, approvals */
	char *audit_log;        /* default state_dir/audit.log */
	char *schema;           /* federation schema file; NULL if not given */
	char *coordinator_name; /* NULL: any coordinator certificate */
	uint32_t reconnect_min_ms, reconnect_max_ms;
	uint32_t heartbeat_ms;
	bool log_json;        /* log_format = json */
	char *metrics_listen; /* "IP:PORT" or NULL: no HTTP listener */
	char **researchers; /* certificate names allowed to submit */
	size_t nresearchers;
	uint32_t min_cell;
	uint32_t min_participants;
	uint32_t max_job_lifetime_ms;
	uint32_t query_timeout_ms;
	bool malicious;                    /* threat = malicious */
	double corrupt_frac, dropout_frac; /* in [0, 0.5) */
	char **approved_code; /* SHA-256 hex of approved programs */
	size_t napproved_code;
	char *approved_code_dir; /* NULL: none */
	uint32_t code_memory_mb, code_steps_m, code_timeout_ms;
	bool require_dp;       /* refuse jobs without DP noise */
	double budget_epsilon; /* per researcher and dataset, (0, 100] */
	double budget_delta;   /* (0, 0.5) */
	bool approve_manual;        /* [policy] approve = manual */
	char **manual_researchers;  /* [policy] approve_manual */
	size_t nmanual_researchers;
	crn_cfg_dataset *datasets;
	size_t ndatasets;
} crn_cfg_node;

typedef struct crn_cfg_researcher {
	char *coordinator;
	char *key, *cert, *ca_cert;
	char *crl; /* NULL when not given */
	uint32_t timeout_ms;
	char *schema;           /* NULL when not given */
	char *coordinator_name; /* NULL: any coordinator certificate */
	double epsilon;         /* default DP epsilon of queries; 0: none */
	double delta;           /* default DP delta (1e-6) */
} crn_cfg_researcher;

typedef struct crn_config {
	crn_cfg_role role;
	char *path; /* the file as given */
	char *dir;  /* its directory, absolute */
	/* Only the member of `role` is filled in. */
	crn_cfg_coordinator coord;
	crn_cfg_node node;
	crn_cfg_researcher researcher;
} crn_config;

/*
 * Load the configuration file at path for role.  On success *out is a new
 * config the caller frees with crn_config_free.  On failure *out is NULL
 * and, when err is not NULL, err receives one line naming the file, the
 * line, the section and key and what is wrong, e.g.
 *   "node1.conf:12: [policy] min_cell: not a whole number: \"ten\"".
 * Errors: CAIRN_ECONFIG (bad content), CAIRN_ENOENT (cannot open the file),
 * CAIRN_EINVAL (bad arguments), CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_config_load(crn_config **out, const char *path,
    crn_cfg_role role, char *err, size_t errlen);

/* Free cfg and everything it owns.  NULL is fine. */
void crn_config_free(crn_config *cfg);

/* The node's dataset called name, or NULL. */
const crn_cfg_dataset *crn_config_dataset(
    const crn_config *cfg, const char *name);

/*
 * Whether v is "IPv4:PORT" or "[IPv6]:PORT" (port 1..65535); if so and
 * host is not NULL, the address goes to host (hostlen bytes) and the port
 * to *port.
 */
bool crn_cfg_listen_parse(
    const char *v, char *host, size_t hostlen, uint16_t *port);

/* "coordinator", "node" or "researcher" ("?" otherwise). */
const char *crn_cfg_role_name(crn_cfg_role role);

#endif /* CRN_RUNTIME_CONFIG_H */
