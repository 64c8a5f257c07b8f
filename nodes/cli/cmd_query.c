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
#include "proto/codec_runtime.h"
#include "query/job.h"
#include "runtime/client.h"
#include "runtime/query_sql.h"
#include "runtime/rt.h"
#include "secagg/secagg.h"

enum { FMT_TABLE, FMT_JSON, FMT_CSV };


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

static int
query_usage(void)
{
	printf("usage: cairn query --config FILE [--format table|json|csv]\n"
	       "                   --dataset DATASET --sum COLUMN\n"
	       "       cairn query --config FILE [--format table|json|csv] "
	       "[--schema FILE] SQL\n"
	       "--valid SECONDS: how long the signed job stays valid (default: the\n"
	       "configuration's timeout_ms plus 60 s); nodes refuse it after, and a\n"
	       "job waiting for a node operator's approval expires then.\n"
	       "Sign a job with the researcher key, submit it to the "
	       "coordinator and print\nthe result once the nodes have "
	       "aggregated it.  SQL is planned against --schema,\nor the "
	       "schema = FILE of the [researcher] configuration.\n");
	return 0;
}

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

static void
q_names_line(const char *what, char **v, size_t n)
{
	printf("%s (%zu):", what, n);
	for (size_t i = 0; i < n; i++)
		printf("%s %s", i ? "," : "", v[i]);
	putchar('\n');
}

/* What was suppressed, for the CSV format, whose empty fields say NULL
 * and suppressed alike. */
static void
q_csv_note(const crn_rt_result *r)
{
	if (r->suppressed_cells == 0 && r->suppressed_groups == 0)
		return;
	fprintf(stderr,
	    "cairn: %llu cell%s and %llu group%s suppressed (fewer rows or "
	    "values than the minimum cell size, or none); suppressed cells are "
	    "empty fields\n",
	    (unsigned long long)r->suppressed_cells,
	    r->suppressed_cells == 1 ? "" : "s",
	    (unsigned long long)r->suppressed_groups,
	    r->suppressed_groups == 1 ? "" : "s");
}

/* Print a result: the released table the coordinator decoded (it
 * suppresses small cells; no raw vector ever reaches us), with the nodes
 * added. */
static int
q_print(const crn_rt_result *r, int fmt)
{
	const char *out = fmt == FMT_JSON ? r->table_json
	    : fmt == FMT_CSV              ? r->table_csv
	                                  : r->table_text;
	size_t len;

	if (out == NULL)
		return cli_error("query: the coordinator sent no result table");
	len = strlen(out);
	if (fmt == FMT_JSON) {
		/* One JSON object: replace the closing brace by the nodes. */
		size_t k = len;

		while (k > 0 && (out[k - 1] == '\n' || out[k - 1] == ' '))
			k--;
		if (k > 0 && out[k - 1] == '}')
			k--;
		fwrite(out, 1, k, stdout);
		printf(", \"nodes\": {\"contributed\": ");
		q_json_names(r->contributed, r->ncontributed);
		printf(", \"dropped\": ");
		q_json_names(r->dropped, r->ndropped);
		printf(", \"dropped_between_passes\": ");
		q_json_names(r->dropped_between, r->ndropped_between);
		printf("}}\n");
		return 0;
	}
	fwrite(out, 1, len, stdout);
	if (len > 0 && out[len - 1] != '\n')
		putchar('\n');
	if (fmt == FMT_CSV)
		q_csv_note(r);
	if (fmt == FMT_TABLE) {
		q_names_line("contributed", r->contributed, r->ncontributed);
		q_names_line("dropped", r->dropped, r->ndropped);
	}
	if (r->ndropped_between > 0) {
		/* The figures lack these nodes' rows, though the counts that
		 * decided suppression held them: say so on every format. */
		fprintf(fmt == FMT_TABLE ? stdout : stderr,
		    "%sdropped between the passes (%zu):",
		    fmt == FMT_TABLE ? "" : "cairn: ", r->ndropped_between);
		for (size_t i = 0; i < r->ndropped_between; i++)
			fprintf(fmt == FMT_TABLE ? stdout : stderr, "%s %s",
			    i ? "," : "", r->dropped_between[i]);
		fprintf(fmt == FMT_TABLE ? stdout : stderr,
		    "; the figures come from the second pass's nodes only\n");
	}
	return 0;
}

/* Test hook: CAIRN_TEST_JOB_ID (32 hex digits) fixes the job id, so an
 * integration test can offer nodes a job they already ran, as a
 * coordinator replaying a signed job would. */
static void
q_test_job_id(uint8_t id[CRN_JOB_ID_LEN])
{
	const char *e = getenv("CAIRN_TEST_JOB_ID");
	uint8_t v[CRN_JOB_ID_LEN];

	if (e == NULL || strlen(e) != 2 * CRN_JOB_ID_LEN)
		return;
	for (size_t i = 0; i < CRN_JOB_ID_LEN; i++) {
		unsigned x;

		if (sscanf(e + 2 * i, "%2x", &x) != 1)
			return;
		v[i] = (uint8_t)x;
	}
	memcpy(id, v, CRN_JOB_ID_LEN);
}

/* Why no result came: one line. */
static void
q_recv_failed(cairn_err rv, const char *why)
{
	if (rv == CAIRN_ETIMEDOUT)
		cli_error("query: no result before timeout_ms");
	else if (rv == CAIRN_ECLOSED && !crn_rt_stop)
		cli_error(
		    "query: lost the connection to the coordinator: %s", why);
	else
		cli_error("query: interrupted");
}

int
cmd_query(int argc, char **argv)
{
	const char *config = NULL, *dataset = NULL, *column = NULL;
	const char *sql = NULL, *schema = NULL;
	int fmt = FMT_TABLE, status = 1;
	crn_rt_client c;
	crn_job job;
	crn_q_sql qs;
	uint8_t *sj = NULL;
	size_t sjlen = 0;
	char err[512];
	bool tty = isatty(STDERR_FILENO) != 0, progress = false;
	char waiting[256] = "";
	uint64_t valid = 0;
	int64_t deadline;
	cairn_err rv;

	memset(&c, 0, sizeof(c));
	memset(&job, 0, sizeof(job));
	memset(&qs, 0, sizeof(qs));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config = argv[++i];
		} else if (strcmp(argv[i], "--dataset") == 0 && i + 1 < argc) {
			dataset = argv[++i];
		} else if (strcmp(argv[i], "--sum") == 0 && i + 1 < argc) {
			column = argv[++i];
		} else if (strcmp(argv[i], "--schema") == 0 && i + 1 < argc) {
			schema = argv[++i];
		} else if (strcmp(argv[i], "--valid") == 0 && i + 1 < argc) {
			char *end = NULL;
			unsigned long v = strtoul(argv[++i], &end, 10);

			if (end == argv[i] || *end != '\0' || v == 0 ||
			    v > 86400) {
				cli_error("query: --valid is the job's validity in seconds, 1 to 86400, not '%s'",
				    argv[i]);
				return 2;
			}
			valid = (uint64_t)v;
		} else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			i++;
			if (strcmp(argv[i], "table") == 0)
				fmt = FMT_TABLE;
			else if (strcmp(argv[i], "json") == 0)
				fmt = FMT_JSON;
			else if (strcmp(argv[i], "csv") == 0)
				fmt = FMT_CSV;
			else {
				cli_error("query: --format is table, json or "
				          "csv, not '%s'",
				    argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			return query_usage();
		} else if (argv[i][0] != '-' && sql == NULL) {
			sql = argv[i];
		} else {
			cli_error("query: unknown argument '%s'", argv[i]);
			return 2;
		}
	}
	if (config == NULL) {
		cli_error("query: --config FILE is required");
		return 2;
	}
	if ((sql == NULL) == (column == NULL) ||
	    (column != NULL && dataset == NULL)) {
		cli_error("query: give either --dataset D --sum COLUMN or an "
		          "SQL query");
		return 2;
	}
	crn_rt_signals();
	crn_rt_log_init("cairn");
	cairn_log_set_level(
	    getenv("CAIRN_LOG") != NULL ? CAIRN_LOG_DEBUG : CAIRN_LOG_ERR);
	if ((rv = crn_rt_client_open(&c, config, err, sizeof(err))) !=
	    CAIRN_OK) {
		cli_error("query: %s", err);
		goto out;
	}
	crn_random_bytes(job.job_id, sizeof(job.job_id));
	q_test_job_id(job.job_id);
	job.issued_at = crn_rt_wall();
	job.not_after = job.issued_at +
	    (valid > 0 ? valid : c.cfg->researcher.timeout_ms / 1000 + 60);
	if (column != NULL) {
		job.kind = CRN_JOB_SUM_COLUMN;
		job.dataset = (char *)(uintptr_t)dataset;
		job.column = (char *)(uintptr_t)column;
		job.sql = (char *)(uintptr_t) "";
		job.ring_bits = 64;
		job.dim = CRN_RT_SUM_DIM;
	} else {
		/* --schema wins; else the file the configuration names. */
		if (schema == NULL)
			schema = c.cfg->researcher.schema;
		if ((rv = crn_q_sql_plan(&qs, schema, sql, err, sizeof(err))) !=
		    CAIRN_OK) {
			cli_error("query: %s", err);
			goto out;
		}
		job.kind = CRN_JOB_QUERY;
		job.dataset = qs.dataset;
		job.column = (char *)(uintptr_t) "";
		job.sql = (char *)(uintptr_t)sql;
		job.plan = qs.plan_bytes;
		job.plan_len = qs.plan_len;
		job.ring_bits = qs.ring_bits;
		job.dim = qs.dim;
	}
	rv = crn_job_sign(
	    &job, c.party.id, c.party.cert_der, c.party.cert_len, &sj, &sjlen);
	job.dataset = job.column = job.sql = NULL;
	job.plan = NULL;
	job.plan_len = 0;
	if (rv != CAIRN_OK) {
		cli_error("query: cannot sign the job: %s", cairn_strerror(rv));
		goto out;
	}
	if ((rv = crn_rt_client_send(
	         &c, CRN_RT_MSG_JOB_SUBMIT, sj, sjlen, 5000)) != CAIRN_OK) {
		cli_error("query: cannot reach the coordinator at %s: %s",
		    c.cfg->researcher.coordinator,
		    crn_rt_client_why(&c)[0] ? crn_rt_client_why(&c)
		                             : cairn_strerror(rv));
		goto out;
	}
	deadline = crn_rt_now_ms() + c.cfg->researcher.timeout_ms;
	for (;;) {
		crn_envelope env;

		if ((rv = crn_rt_client_recv(&c, &env, deadline)) != CAIRN_OK) {
			if (progress)
				fputc('\n', stderr);
			q_recv_failed(rv, crn_rt_client_why(&c));
			goto out;
		}
		if (env.type == CRN_RT_MSG_JOB_STATUS) {
			crn_rt_jobstatus st;

			if (crn_rt_jobstatus_decode(&st, env.payload,
			        env.payload_len) == CAIRN_OK &&
			    !tty && st.round == 0 && st.waiting[0] != '\0' &&
			    strcmp(st.waiting, waiting) != 0 &&
			    memcmp(st.job_id, job.job_id, CRN_JOB_ID_LEN) == 0) {
				/* Not a terminal: one line per change. */
				snprintf(waiting, sizeof(waiting), "%s",
				    st.waiting);
				q_waiting_line(waiting);
			} else if (tty &&
			    memcmp(st.job_id, job.job_id, CRN_JOB_ID_LEN) ==
			        0 &&
			    st.round <= CRN_SA_R_DONE) {
				q_progress(&st);
				progress = true;
			}
		} else if (env.type == CRN_RT_MSG_JOB_RESULT) {
			crn_rt_result r;

			rv = crn_rt_result_decode(
			    &r, env.payload, env.payload_len);
			if (rv == CAIRN_OK &&
			    memcmp(r.job_id, job.job_id, CRN_JOB_ID_LEN) != 0) {
				crn_rt_result_fini(&r);
				crn_envelope_fini(&env);
				continue;
			}
			if (progress)
				fputc('\n', stderr);
			/* Test hook: show what the coordinator sent. */
			if (rv == CAIRN_OK &&
			    getenv("CAIRN_TEST_RESULT_SHAPE") != NULL)
				fprintf(stderr,
				    "result: sum %zu bytes, "
				    "table %s\n",
				    r.sum_len,
				    r.table_json != NULL ? "yes" : "no");
			if (rv != CAIRN_OK) {
				cli_error("query: malformed result");
			} else if (r.code != 0) {
				if (r.needed > 0 &&
				    strstr(r.error, "needed") == NULL)
					cli_error("query: %s (needed %u, "
					          "answered %u)",
					    r.error, r.needed, r.answered);
				else if (r.code == CAIRN_EABORT)
					cli_error(
					    "query: aborted: %s", r.error);
				else
					cli_error("query: %s (%s)", r.error,
					    cairn_strerror((cairn_err)r.code));
			} else {
				status = q_print(&r, fmt);
			}
			crn_rt_result_fini(&r);
			crn_envelope_fini(&env);
			goto out;
		} else if (env.type == CRN_RT_MSG_ERROR) {
			crn_rt_error e;

			if (crn_rt_error_decode(
			        &e, env.payload, env.payload_len) == CAIRN_OK) {
				cli_error("query: coordinator: %s", e.message);
				crn_rt_error_fini(&e);
			}
			crn_envelope_fini(&env);
			goto out;
		}
		crn_envelope_fini(&env);
	}
out:
	crn_free(sj, sjlen);
	crn_q_sql_fini(&qs);
	crn_rt_client_close(&c);
	return status;
}
