/*
 * cmd_query.c — 'cairn query': sign a job as a researcher, submit it to
 * the coordinator, show progress and print the result.
 *
 *   cairn query --config FILE [--format table|json|csv]
 *               --dataset D --sum COLUMN
 *   cairn query --config FILE [--format ...] [--schema FILE] "SELECT ..."
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/crn.h"
#include "cli/cmds.h"
#include "cli/opts.h"
#include "proto/codec_runtime.h"
#include "query/job.h"
#include "runtime/client.h"
#include "runtime/query_sql.h"
#include "runtime/rt.h"
#include "runtime/testhook.h"
#include "secagg/secagg.h"


/* One line of live progress on a terminal. */
static void
q_progress(const crn_rt_jobstatus *st)
{
	char pass[48] = "";

	if (st->passes > 1)
		snprintf(pass, sizeof(pass), "pass %u/%u (%s), ", st->pass,
		    st->passes, st->pass <= 1 ? "counts" : "figures");
	if (st->round == 0 && st->waiting[0] != '\0') {
		char w[sizeof(st->waiting)];
		size_t k = 0;

		/* Names come from the coordinator: printable only. */
		for (const char *p = st->waiting; *p != '\0'; p++)
			if ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f)
				w[k++] = *p;
		w[k] = '\0';
		fprintf(stderr,
		    "\r\033[K%sround 0/%u advertise: waiting for %u nodes; waiting for approval: %s",
		    pass, (unsigned)CRN_SA_R_DONE, st->nodes, w);
	} else if (st->round == 0)
		fprintf(stderr,
		    "\r\033[K%sround 0/%u advertise: waiting for %u nodes",
		    pass, (unsigned)CRN_SA_R_DONE, st->nodes);
	else
		fprintf(stderr,
		    "\r\033[K%sround %u/%u %s: %u of %u nodes answered, %u dropped",
		    pass, st->round, (unsigned)CRN_SA_R_DONE,
		    crn_sa_round_name((crn_sa_round)st->round), st->answered,
		    st->nodes, st->dropped);
}

/* "waiting for approval: NODES" on its own line (printable only: the
 * names come from the coordinator). */
static void
q_waiting_line(const char *names)
{
	fputs("cairn: waiting for approval: ", stderr);
	for (; *names != '\0'; names++)
		if ((unsigned char)*names >= 0x20 && (unsigned char)*names < 0x7f)
			fputc(*names, stderr);
	fputc('\n', stderr);
}

static const char query_usage[] =
    "usage: cairn query --config FILE [--format table|json|csv]\n"
    "                   [--strict] [--timeout MS] [--valid SECONDS] [--schema FILE]\n"
    "                   [--epsilon E [--delta D]]\n"
    "                   (--dataset DATASET --sum COLUMN | SQL)\n"
    "Sign a job with the researcher key, submit it to the coordinator and print\n"
    "the result once the nodes have aggregated it.  SQL is planned against --schema,\n"
    "or the schema = FILE of the [researcher] configuration; a sum's dataset and\n"
    "column are checked against it before the job is sent.\n"
    "Every answer says which expected nodes contributed, dropped (with the round),\n"
    "refused (with the reason's category) or were absent; with --format csv\n"
    "these, and suppressed or clipped values, are lines on stderr.\n"
    "  --strict      exit 3 unless every expected node contributed and nothing\n"
    "                was suppressed or clipped\n"
    "  --timeout MS  wait at most MS milliseconds for the result (default: timeout_ms\n"
    "                of the configuration)\n"
    "  --valid SECONDS  how long the signed job stays valid (default: the timeout\n"
    "                plus 60 s); nodes refuse it after, and a job waiting for a\n"
    "                node operator's approval expires then\n"
    "  --epsilon E   differential privacy for the whole job, E in (0, 100]: every node\n"
    "                adds its share of discrete Gaussian noise and charges E to its\n"
    "                budget for you (default: epsilon of [researcher]; 0: no noise)\n"
    "  --delta D     the DP delta, D in (0, 0.5) (default: delta of [researcher], 1e-6)\n";

static void
q_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void
q_json_names(char **v, size_t n)
{
	putchar('[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", stdout);
		q_json_str(v[i]);
	}
	putchar(']');
}

/* "what (n): a (note), b (note)" on f; notes may be NULL or empty. */
static void
q_names_line(FILE *f, const char *prefix, const char *what, char **v,
    char **notes, size_t n)
{
	fprintf(f, "%s%s (%zu):", prefix, what, n);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s %s", i ? "," : "", v[i]);
		if (notes != NULL && notes[i][0] != '\0')
			fprintf(f, " (%s)", notes[i]);
	}
	fputc('\n', f);
}

/* {"name": "note", ...} */
static void
q_json_map(char **v, char **notes, size_t n)
{
	putchar('{');
	for (size_t i = 0; notes != NULL && i < n; i++) {
		if (i)
			fputs(", ", stdout);
		q_json_str(v[i]);
		fputs(": ", stdout);
		q_json_str(notes[i]);
	}
	putchar('}');
}

/* Whether every expected node contributed. */
static bool
q_complete(const crn_rt_result *r)
{
	return r->ndropped == 0 && r->nrefused == 0 && r->nabsent == 0 &&
	    r->ndropped_between == 0;
}

/* What the CSV cannot say (who is missing, what was suppressed or
 * clipped): lines on stderr, each starting "cairn: ". */
static void
q_missing_lines(const crn_rt_result *r)
{
	if (r->ndropped > 0)
		q_names_line(stderr, "cairn: ", "dropped", r->dropped,
		    r->ndropped_round > 0 ? r->dropped_round : NULL,
		    r->ndropped);
	if (r->nrefused > 0)
		q_names_line(stderr, "cairn: ", "refused", r->refused,
		    r->nrefused_reason > 0 ? r->refused_reason : NULL,
		    r->nrefused);
	if (r->nabsent > 0)
		q_names_line(stderr, "cairn: ", "absent", r->absent, NULL,
		    r->nabsent);
}

static void
q_csv_note(const crn_rt_result *r)
{
	if (!q_complete(r)) {
		fprintf(stderr,
		    "cairn: partial answer: %zu of %zu expected nodes contributed\n",
		    r->ncontributed,
		    r->ncontributed + r->ndropped + r->nrefused + r->nabsent);
		q_missing_lines(r);
	}
	if (r->suppressed_cells > 0 || r->suppressed_groups > 0)
		fprintf(stderr,
		    "cairn: %llu cell%s and %llu group%s suppressed (fewer rows or values than the minimum cell size, or none); suppressed cells are empty fields\n",
		    (unsigned long long)r->suppressed_cells,
		    r->suppressed_cells == 1 ? "" : "s",
		    (unsigned long long)r->suppressed_groups,
		    r->suppressed_groups == 1 ? "" : "s");
	if (r->clipped > 0)
		fprintf(stderr,
		    "cairn: %llu value%s clipped to the schema's declared bounds\n",
		    (unsigned long long)r->clipped, r->clipped == 1 ? "" : "s");
}

/* The nodes part of the JSON object. */
static void
q_json_nodes(const crn_rt_result *r)
{
	printf(", \"nodes\": {\"contributed\": ");
	q_json_names(r->contributed, r->ncontributed);
	printf(", \"dropped\": ");
	q_json_names(r->dropped, r->ndropped);
	printf(", \"dropped_in\": ");
	q_json_map(r->dropped,
	    r->ndropped_round > 0 ? r->dropped_round : NULL, r->ndropped);
	printf(", \"refused\": ");
	q_json_names(r->refused, r->nrefused);
	printf(", \"refused_why\": ");
	q_json_map(r->refused,
	    r->nrefused_reason > 0 ? r->refused_reason : NULL, r->nrefused);
	printf(", \"absent\": ");
	q_json_names(r->absent, r->nabsent);
	printf(", \"dropped_between_passes\": ");
	q_json_names(r->dropped_between, r->ndropped_between);
	printf("}, \"complete\": %s, \"clipped_values\": %llu}\n",
	    q_complete(r) ? "true" : "false", (unsigned long long)r->clipped);
}

/* Print a result: the released table the coordinator decoded (it
 * suppresses small cells; no raw vector ever reaches us), with the nodes
 * added. */
static int
q_print(const crn_rt_result *r, int fmt, const char *cmd)
{
	const char *out = fmt == CLI_FMT_JSON ? r->table_json
	    : fmt == CLI_FMT_CSV              ? r->table_csv
	                                  : r->table_text;
	size_t len;

	if (out == NULL)
		return cli_error("%s: the coordinator sent no result table", cmd);
	len = strlen(out);
	if (fmt == CLI_FMT_JSON) {
		/* One JSON object: replace the closing brace by the nodes. */
		size_t k = len;

		while (k > 0 && (out[k - 1] == '\n' || out[k - 1] == ' '))
			k--;
		if (k > 0 && out[k - 1] == '}')
			k--;
		fwrite(out, 1, k, stdout);
		q_json_nodes(r);
		return 0;
	}
	fwrite(out, 1, len, stdout);
	if (len > 0 && out[len - 1] != '\n')
		putchar('\n');
	if (fmt == CLI_FMT_CSV)
		q_csv_note(r);
	if (fmt == CLI_FMT_TABLE) {
		q_names_line(stdout, "", "contributed", r->contributed, NULL,
		    r->ncontributed);
		q_names_line(stdout, "", "dropped", r->dropped,
		    r->ndropped_round > 0 ? r->dropped_round : NULL,
		    r->ndropped);
		if (r->nrefused > 0)
			q_names_line(stdout, "", "refused", r->refused,
			    r->nrefused_reason > 0 ? r->refused_reason : NULL,
			    r->nrefused);
		if (r->nabsent > 0)
			q_names_line(stdout, "", "absent", r->absent, NULL,
			    r->nabsent);
	}
	if (r->ndropped_between > 0) {
		/* The figures lack these nodes' rows, though the counts that
		 * decided suppression held them: say so on every format. */
		fprintf(fmt == CLI_FMT_TABLE ? stdout : stderr,
		    "%sdropped between the passes (%zu):",
		    fmt == CLI_FMT_TABLE ? "" : "cairn: ", r->ndropped_between);
		for (size_t i = 0; i < r->ndropped_between; i++)
			fprintf(fmt == CLI_FMT_TABLE ? stdout : stderr, "%s %s",
			    i ? "," : "", r->dropped_between[i]);
		fprintf(fmt == CLI_FMT_TABLE ? stdout : stderr,
		    "; the figures come from the second pass's nodes only\n");
	}
	return 0;
}

/* --strict: 0 only when every expected node contributed and nothing was
 * suppressed or clipped; else one line on stderr and 3. */
static int
q_strict(const crn_rt_result *r, const char *cmd)
{
	if (q_complete(r) && r->suppressed_cells == 0 &&
	    r->suppressed_groups == 0 && r->clipped == 0)
		return 0;
	cli_error("%s: --strict: the answer is %s", cmd,
	    !q_complete(r) ? "partial (not every expected node contributed)"
	    : r->clipped > 0 ? "clipped (values outside the declared bounds)"
	                     : "suppressed (small cells)");
	return 3;
}

/* Why no result came: one line. */
static void
q_recv_failed(cairn_err rv, const char *why, const char *cmd)
{
	if (rv == CAIRN_ETIMEDOUT)
		cli_error("%s: no result before the timeout (--timeout, or timeout_ms of the configuration)",
		    cmd);
	else if (rv == CAIRN_ECLOSED && !crn_rt_stop)
		cli_error("%s: lost the connection to the coordinator: %s", cmd,
		    why);
	else
		cli_error("%s: interrupted", cmd);
}

int
cli_format(const char *cmd, const char *format, int *fmt)
{
	if (format == NULL || strcmp(format, "table") == 0)
		*fmt = CLI_FMT_TABLE;
	else if (strcmp(format, "json") == 0)
		*fmt = CLI_FMT_JSON;
	else if (strcmp(format, "csv") == 0)
		*fmt = CLI_FMT_CSV;
	else
		return cli_usage_error(
		    cmd, "--format is table, json or csv, not '%s'", format);
	return -1;
}

int
cli_timeout(const char *cmd, const char *timeout, int64_t *ms)
{
	char *end = NULL;
	long long v;

	*ms = -1;
	if (timeout == NULL)
		return -1;
	v = strtoll(timeout, &end, 10);
	if (end == timeout || *end != '\0' || v < 1 || v > 86400000)
		return cli_usage_error(cmd,
		    "--timeout is milliseconds, 1 to 86400000, not '%s'",
		    timeout);
	*ms = v;
	return -1;
}

/* The command line of 'cairn query'. */
struct q_args {
	const char *config, *dataset, *column, *sql, *schema;
	cli_wait w; /* timeout_ms -1: the configuration's timeout_ms */
	uint64_t valid_s; /* --valid; 0: timeout plus 60 s */
	double eps, delta; /* -1: the configuration's */
};

/* Parse argv into *a: -1 to go on, else the exit status. */
static int
q_parse(int argc, char **argv, struct q_args *a)
{
	const char *format = NULL, *timeout = NULL, *valid = NULL;
	const char *eps = NULL, *delta = NULL;
	const cli_opt opts[] = {
	    {.name = "--strict", .flag = &a->w.strict},
	    {.name = "--epsilon", .val = &eps},
	    {.name = "--delta", .val = &delta},
	    {.name = "--timeout", .val = &timeout},
	    {.name = "--valid", .val = &valid},
	    {.name = "--config", .val = &a->config, .required = true},
	    {.name = "--dataset", .val = &a->dataset},
	    {.name = "--sum", .val = &a->column},
	    {.name = "--schema", .val = &a->schema},
	    {.name = "--format", .val = &format},
	    {.name = NULL},
	};
	const cli_cmd cmd = {"query", opts, &a->sql, 1, 0, "SQL", query_usage};
	int st;

	memset(a, 0, sizeof(*a));
	a->w.cmd = "query";
	if ((st = cli_parse(&cmd, argc, argv)) >= 0)
		return st;
	if ((st = cli_format("query", format, &a->w.fmt)) >= 0)
		return st;
	if ((a->sql == NULL) == (a->column == NULL) ||
	    (a->column != NULL && a->dataset == NULL))
		return cli_usage_error("query",
		    "give either --dataset D --sum COLUMN or an SQL query");
	a->eps = a->delta = -1;
	if ((eps != NULL && cli_dp_arg("query", "--epsilon", eps, &a->eps)) ||
	    (delta != NULL && cli_dp_arg("query", "--delta", delta, &a->delta)))
		return 2;
	if ((st = cli_timeout("query", timeout, &a->w.timeout_ms)) >= 0)
		return st;
	if (valid != NULL) {
		char *end = NULL;
		long long v = strtoll(valid, &end, 10);

		if (end == valid || *end != '\0' || v < 1 || v > 86400)
			return cli_usage_error("query",
			    "--valid is the job's validity in seconds, 1 to 86400, not '%s'",
			    valid);
		a->valid_s = (uint64_t)v;
	}
	return -1;
}

/* Fill, sign and send the job the arguments describe; qs holds the SQL
 * plan while the job borrows it.  0 when sent, else the exit status. */
static int
q_submit(crn_rt_client *c, const struct q_args *a, crn_job *job,
    crn_q_sql *qs)
{
	const char *schema = a->schema;
	uint8_t *sj = NULL;
	size_t sjlen = 0;
	char err[512];
	cairn_err rv;

	crn_random_bytes(job->job_id, sizeof(job->job_id));
	if (crn_hooks.job_id != NULL)
		crn_hooks.job_id(job->job_id);
	job->issued_at = crn_rt_wall();
	job->not_after = job->issued_at +
	    (a->valid_s > 0 ? a->valid_s : (uint64_t)a->w.timeout_ms / 1000 + 60);
	job->dp_epsilon = a->eps >= 0 ? a->eps : c->cfg->researcher.epsilon;
	job->dp_delta = a->delta > 0 ? a->delta : c->cfg->researcher.delta;
	if (job->dp_epsilon == 0)
		job->dp_delta = 0;
	/* --schema wins; else the file the configuration names. */
	if (schema == NULL)
		schema = c->cfg->researcher.schema;
	/* A sum names a dataset and column: check them here when we have
	 * the schema, rather than have every node refuse the job. */
	if (a->column != NULL && schema != NULL &&
	    crn_q_sum_check(schema, a->dataset, a->column, err, sizeof(err)) !=
	        CAIRN_OK) {
		cli_error("query: %s", err);
		return 2;
	}
	if (a->column != NULL) {
		job->kind = CRN_JOB_SUM_COLUMN;
		job->dataset = (char *)(uintptr_t)a->dataset;
		job->column = (char *)(uintptr_t)a->column;
		job->sql = (char *)(uintptr_t) "";
		job->ring_bits = 64;
		job->dim = CRN_RT_SUM_DIM;
	} else {
		/* --schema wins; else the file the configuration names. */
		if (schema == NULL)
			schema = c->cfg->researcher.schema;
		if ((rv = crn_q_sql_plan(qs, schema, a->sql, err,
		         sizeof(err))) != CAIRN_OK)
			return cli_error("query: %s", err);
		job->kind = CRN_JOB_QUERY;
		job->dataset = qs->dataset;
		job->column = (char *)(uintptr_t) "";
		job->sql = (char *)(uintptr_t)a->sql;
		job->plan = qs->plan_bytes;
		job->plan_len = qs->plan_len;
		job->ring_bits = qs->ring_bits;
		job->dim = qs->dim;
	}
	rv = crn_job_sign(
	    job, c->party.id, c->party.cert_der, c->party.cert_len, &sj, &sjlen);
	job->dataset = job->column = job->sql = NULL;
	job->plan = NULL;
	job->plan_len = 0;
	if (rv != CAIRN_OK)
		return cli_error(
		    "query: cannot sign the job: %s", cairn_strerror(rv));
	rv = crn_rt_client_send(c, CRN_RT_MSG_JOB_SUBMIT, sj, sjlen, 5000);
	crn_free(sj, sjlen);
	if (rv != CAIRN_OK)
		return cli_error("query: cannot reach the coordinator at %s: %s",
		    c->cfg->researcher.coordinator,
		    crn_rt_client_why(c)[0] ? crn_rt_client_why(c)
		                            : cairn_strerror(rv));
	return 0;
}

/* A result for our job: print it or say why there is none.  Returns
 * the exit status. */
static int
q_result(const crn_rt_result *r, int fmt, const char *cmd)
{
	if (crn_hooks.result != NULL)
		crn_hooks.result(r);
	if (r->code == 0)
		return q_print(r, fmt, cmd);
	if (r->needed > 0 && strstr(r->error, "needed") == NULL)
		cli_error("%s: %s (needed %u, answered %u)", cmd, r->error,
		    r->needed, r->answered);
	else if (r->code == CAIRN_EABORT)
		cli_error("%s: aborted: %s", cmd, r->error);
	else
		cli_error("%s: %s (%s)", cmd, r->error,
		    cairn_strerror((cairn_err)r->code));
	return 1;
}

int
cli_job_wait(crn_rt_client *c, const uint8_t *job_id, const cli_wait *w)
{
	bool tty = isatty(STDERR_FILENO) != 0, progress = false;
	char waiting[256] = ""; /* nodes last said to wait for approval */
	int64_t deadline = crn_rt_now_ms() + w->timeout_ms;
	int status = 1;
	cairn_err rv;

	for (;;) {
		crn_envelope env;

		if ((rv = crn_rt_client_recv(c, &env, deadline)) != CAIRN_OK) {
			if (progress)
				fputc('\n', stderr);
			q_recv_failed(rv, crn_rt_client_why(c), w->cmd);
			return 1;
		}
		if (env.type == CRN_RT_MSG_JOB_STATUS) {
			crn_rt_jobstatus st;

			if (crn_rt_jobstatus_decode(&st, env.payload,
			        env.payload_len) != CAIRN_OK ||
			    memcmp(st.job_id, job_id, CRN_JOB_ID_LEN) !=
			        0) {
				/* Not ours, or malformed: ignored. */
			} else if (st.queued) {
				/* Always said (not only on a terminal): the
				 * researcher must know why nothing moves. */
				if (progress)
					fputc('\n', stderr);
				progress = false;
				fprintf(stderr,
				    "cairn: %s: queued at the coordinator, %u job%s ahead (every max_jobs slot is busy); waiting up to %u s\n",
				    w->cmd, st.ahead, st.ahead == 1 ? "" : "s",
				    (st.wait_ms + 999) / 1000);
			} else if (!tty && st.round == 0 &&
			    st.waiting[0] != '\0' &&
			    strcmp(st.waiting, waiting) != 0) {
				/* Not a terminal: one line per change. */
				snprintf(waiting, sizeof(waiting), "%s",
				    st.waiting);
				q_waiting_line(waiting);
			} else if (tty && st.round <= CRN_SA_R_DONE) {
				q_progress(&st);
				progress = true;
			}
		} else if (env.type == CRN_RT_MSG_JOB_RESULT) {
			crn_rt_result r;

			rv = crn_rt_result_decode(
			    &r, env.payload, env.payload_len);
			if (rv == CAIRN_OK &&
			    memcmp(r.job_id, job_id, CRN_JOB_ID_LEN) != 0) {
				crn_rt_result_fini(&r);
				crn_envelope_fini(&env);
				continue;
			}
			if (progress)
				fputc('\n', stderr);
			if (rv != CAIRN_OK)
				cli_error("%s: malformed result", w->cmd);
			else
				status = q_result(&r, w->fmt, w->cmd);
			if (status == 0 && w->strict)
				status = q_strict(&r, w->cmd);
			crn_rt_result_fini(&r);
			crn_envelope_fini(&env);
			return status;
		} else if (env.type == CRN_RT_MSG_ERROR) {
			crn_rt_error e;

			if (crn_rt_error_decode(
			        &e, env.payload, env.payload_len) == CAIRN_OK) {
				cli_error("%s: coordinator: %s", w->cmd, e.message);
				crn_rt_error_fini(&e);
			}
			crn_envelope_fini(&env);
			return 1;
		}
		crn_envelope_fini(&env);
	}
}

int
cmd_query(int argc, char **argv)
{
	struct q_args a;
	crn_rt_client c;
	crn_job job;
	crn_q_sql qs;
	char err[512];
	int status;

	if ((status = q_parse(argc, argv, &a)) >= 0)
		return status;
	memset(&c, 0, sizeof(c));
	memset(&job, 0, sizeof(job));
	memset(&qs, 0, sizeof(qs));
	crn_rt_signals();
	crn_rt_log_init("cairn");
	cairn_log_set_level(
	    getenv("CAIRN_LOG") != NULL ? CAIRN_LOG_DEBUG : CAIRN_LOG_ERR);
	if (crn_rt_client_open(&c, a.config, err, sizeof(err)) != CAIRN_OK) {
		status = cli_error("query: %s", err);
		goto out;
	}
	if (a.w.timeout_ms < 0)
		a.w.timeout_ms = c.cfg->researcher.timeout_ms;
	if ((status = q_submit(&c, &a, &job, &qs)) == 0)
		status = cli_job_wait(&c, job.job_id, &a.w);
out:
	crn_q_sql_fini(&qs);
	crn_rt_client_close(&c);
	return status;
}
