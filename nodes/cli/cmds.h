/*
 * cmds.h — the subcommands of the cairn program.  Each lives in its own
 * cmd_*.c file; main.c holds only the table (wireguard-tools' layout).
 * Every handler gets argv with argv[0] = the subcommand name and returns
 * the process exit status (0 success, 1 failure, 2 usage).
 */
#ifndef CRN_CLI_CMDS_H
#define CRN_CLI_CMDS_H

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
int cmd_status(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_budget(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_code(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* Print "cairn: <msg>" to stderr, printf-style; returns 1. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* --epsilon (0 or (0, 100]) or --delta ((0, 0.5)) value v of command
 * cmd into *out: 0, or 2 after a usage error line. */
int cli_dp_arg(const char *cmd, const char *opt, const char *v, double *out);

#endif /* CRN_CLI_CMDS_H */
