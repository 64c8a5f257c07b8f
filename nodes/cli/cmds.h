/*
 * cmds.h — the subcommands of the cairn program.  Each lives in its own
 * cmd_*.c file; main.c holds only the table (wireguard-tools' layout).
 * Every handler gets argv with argv[0] = the subcommand name and returns
 * the process exit status (0 success, 1 failure, 2 usage).
 */
#ifndef CRN_CLI_CMDS_H
#define CRN_CLI_CMDS_H

#include <stdbool.h>
#include <stdint.h>

int cmd_version(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_schema(int argc, char **argv);
int cmd_ca(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_coordinator(int argc, char **argv);
int cmd_node(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_fit(int argc, char **argv);
/* `cairn bench fit` (cmd_bench_fit.c); argv[0] = "fit". */
int cli_bench_fit(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_budget(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_code(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* ---- a researcher's job, shared by 'cairn query' and 'cairn fit'
 * (cmd_query.c) ---- */
enum { CLI_FMT_TABLE, CLI_FMT_JSON, CLI_FMT_CSV };

/* How to wait for a job's result and print it. */
typedef struct cli_wait {
	const char *cmd;    /* "query", "fit": for messages */
	int fmt;            /* CLI_FMT_* */
	bool strict;        /* --strict: exit 3 unless complete */
	int64_t timeout_ms; /* how long to wait */
} cli_wait;

struct crn_rt_client;

/*
 * Wait for the result of job job_id, showing progress on a terminal, and
 * print it: the coordinator's released table (or model) in w->fmt with
 * every expected node accounted for (contributed, dropped, refused,
 * absent), or one line saying why there is none.  Returns the exit
 * status (0, 1, or 3 for --strict).
 */
int cli_job_wait(
    struct crn_rt_client *c, const uint8_t *job_id, const cli_wait *w);

/* --format F (NULL: table) into *fmt; -1 to go on, else 2 after a usage
 * error of command cmd. */
int cli_format(const char *cmd, const char *format, int *fmt);

/* --timeout MS (NULL: -1, the configuration's) into *ms; -1 to go on,
 * else 2 after a usage error. */
int cli_timeout(const char *cmd, const char *timeout, int64_t *ms);

/* The programs the node configuration at path approves (approved_code,
 * approved_code_dir, 'cairn node approve-code'), one line each, on
 * stdout; returns the exit status (cmd_code.c). */
int cli_code_approvals(const char *path);

/* Print "cairn: <msg>" to stderr, printf-style; returns 1. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* --epsilon (0 or (0, 100]) or --delta ((0, 0.5)) value v of command
 * cmd into *out: 0, or 2 after a usage error line. */
int cli_dp_arg(const char *cmd, const char *opt, const char *v, double *out);

#endif /* CRN_CLI_CMDS_H */
