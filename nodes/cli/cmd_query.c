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

#include "cli/cmds.h"
#include "codec_runtime.h"
#include "crn.h"
#include "job.h"
#include "runtime/client.h"
#include "runtime/query_sql.h"
#include "runtime/rt.h"

enum { FMT_TABLE, FMT_JSON, FMT_CSV };

static const char *const q_rounds[6] = {
    "advertise",
    "share",
    "masked-input",
    "consistency",
    "unmask",
    "done",
};

static int
query_usage(void)
{
	printf("usage: cairn query --config FILE [--format table|json|csv]\n"
	       "                   --dataset DATASET --sum COLUMN\n"
	       "       cairn query --config FILE [--format table|json|csv] "
	       "[--schema FILE] SQL\n"
	       "Sign a job with the researcher key, submit it to the "
	       "coordinator and print\nthe result once the nodes have "
	       "aggregated it.  SQL is planned against --schema,\nor the "
	       "schema = FILE of the [researcher] configuration.\n");
	return 0;
}

/* Element i of a little-endian ring vector, as a signed number. */
static __int128
q_elem(const uint8_t *v, size_t i, uint32_t bits)
{
	size_t w = bits / 8;
	unsigned __int128 u = 0;

	for (size_t k = 0; k < w; k++)
		u |= (unsigned __int128)v[i * w + k] << (8 * k);
	if (bits < 128 && (u >> (bits - 1)) & 1)
		u |= ~(unsigned __int128)0 << bits;
	return (__int128)u;
}

static void
q_fmt128(__int128 v, char *buf, size_t len)
{
	char tmp[48];
	unsigned __int128 u =
	    v < 0 ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
	size_t k = 0;

	do {
		tmp[k++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u != 0);
	if (v < 0)
		tmp[k++] = '-';
	for (size_t i = 0; i < k && i + 1 < len; i++)
		buf[i] = tmp[k - 1 - i];
	buf[k < len ? k : len - 1] = '\0';
}

/* v / 10^scale exactly, without trailing zeros ("12.5", "-0.25", "7"). */
static void
q_fmt_scaled(__int128 v, uint32_t scale, char *buf, size_t len)
{
	__int128 p = 1, ip, fp;
	char ib[48], fb[24];
	int k;

	for (uint32_t i = 0; i < scale; i++)
		p *= 10;
	ip = v / p;
	fp = v % p;
	if (fp < 0)
		fp = -fp;
	q_fmt128(ip < 0 ? -ip : ip, ib, sizeof(ib));
	if (fp == 0) {
		snprintf(buf, len, "%s%s", v < 0 ? "-" : "", ib);
		return;
	}
	for (k = (int)scale - 1; k >= 0; k--) {
		fb[k] = (char)('0' + (int)(fp % 10));
		fp /= 10;
	}
	k = (int)scale;
	while (k > 0 && fb[k - 1] == '0')
		k--;
	fb[k] = '\0';
	snprintf(buf, len, "%s%s.%s", v < 0 ? "-" : "", ib, fb);
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

/* Print a column-sum result in the chosen format. */
static int
q_print_sum(const crn_rt_result *r, const char *column, int fmt)
{
	char cols[3][96], vals[3][96];
	__int128 clipped;

	if (r->ring_bits == 0 ||
	    r->sum_len != CRN_RT_SUM_DIM * (r->ring_bits / 8))
		return cli_error("query: result has an unexpected shape");
	snprintf(cols[0], sizeof(cols[0]), "count(*)");
	snprintf(cols[1], sizeof(cols[1]), "count(%s)", column);
	snprintf(cols[2], sizeof(cols[2]), "sum(%s)", column);
	for (int i = 0; i < 2; i++)
		q_fmt128(q_elem(r->sum, (size_t)i, r->ring_bits), vals[i],
		    sizeof(vals[i]));
	q_fmt_scaled(q_elem(r->sum, 2, r->ring_bits), CRN_RT_SUM_SCALE, vals[2],
	    sizeof(vals[2]));
	clipped = q_elem(r->sum, 3, r->ring_bits);
	if (clipped != 0)
		fprintf(stderr,
		    "cairn: warning: %lld values were outside "
		    "+-900719925474.0992 and were clipped to it\n",
		    (long long)clipped);
	if (fmt == FMT_JSON) {
		printf("{\"columns\": [");
		for (int i = 0; i < 3; i++) {
			if (i)
				fputs(", ", stdout);
			q_json_str(cols[i]);
		}
		printf("], \"rows\": [[%s, %s, %s]], \"nodes\": "
		       "{\"contributed\": ",
		    vals[0], vals[1], vals[2]);
		q_json_names(r->contributed, r->ncontributed);
		printf(", \"dropped\": ");
		q_json_names(r->dropped, r->ndropped);
		printf("}}\n");
	} else if (fmt == FMT_CSV) {
		printf("%s,%s,%s\n%s,%s,%s\n", cols[0], cols[1], cols[2],
		    vals[0], vals[1], vals[2]);
	} else {
		int w[3];

		for (int i = 0; i < 3; i++) {
			size_t a = strlen(cols[i]), b = strlen(vals[i]);

			w[i] = (int)(a > b ? a : b);
		}
		printf(" %*s | %*s | %*s\n", w[0], cols[0], w[1], cols[1], w[2],
		    cols[2]);
		for (int i = 0; i < 3; i++) {
			printf("%s", i ? "-+-" : "-");
			for (int k = 0; k < w[i]; k++)
				putchar('-');
		}
		printf("-\n %*s | %*s | %*s\n", w[0], vals[0], w[1], vals[1],
		    w[2], vals[2]);
		q_names_line("contributed", r->contributed, r->ncontributed);
		q_names_line("dropped", r->dropped, r->ndropped);
	}
	return 0;
}

/* Print an SQL result: the released table the coordinator decoded (it
 * suppresses small groups; the raw per-group sum never reaches us), with
 * the nodes added. */
static int
q_print_sql(const crn_rt_result *r, int fmt)
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
		printf("}}\n");
	} else {
		fwrite(out, 1, len, stdout);
		if (len > 0 && out[len - 1] != '\n')
			putchar('\n');
		if (fmt == FMT_TABLE) {
			q_names_line(
			    "contributed", r->contributed, r->ncontributed);
			q_names_line("dropped", r->dropped, r->ndropped);
		}
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
	job.not_after =
	    job.issued_at + c.cfg->researcher.timeout_ms / 1000 + 60;
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
			    tty &&
			    memcmp(st.job_id, job.job_id, CRN_JOB_ID_LEN) ==
			        0 &&
			    st.round <= 5) {
				if (st.round == 0)
					fprintf(stderr,
					    "\r\033[Kround 0/5 "
					    "advertise: waiting for %u nodes",
					    st.nodes);
				else
					fprintf(stderr,
					    "\r\033[Kround %u/5 "
					    "%s: %u of %u nodes answered, %u "
					    "dropped",
					    st.round, q_rounds[st.round],
					    st.answered, st.nodes, st.dropped);
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
			} else if (column != NULL) {
				status = q_print_sum(&r, column, fmt);
			} else {
				status = q_print_sql(&r, fmt);
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
