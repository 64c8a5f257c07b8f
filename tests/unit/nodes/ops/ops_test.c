/* ops_test.c — the operator listener's output: the Prometheus exposition
 * (every sample line well formed, histograms cumulative, counters as
 * kept), the status page (names from certificates escaped, recent jobs
 * newest first), and the listener's refusal of a taken address. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/crn.h"
#include "cairn_test.h"
#include "ops/ops.h"

#define NOW 1796447416u

static crn_ops_state *
state_new(void)
{
	crn_ops_state *st = crn_zalloc(sizeof(*st));

	assert_non_null(st);
	st->started = NOW - 60;
	st->cert_not_after = NOW + 86400 * 3;
	return st;
}

static void
test_hist(void **state)
{
	crn_ops_hist h;

	(void)state;
	memset(&h, 0, sizeof(h));
	crn_ops_hist_observe(&h, 0.003);
	crn_ops_hist_observe(&h, 0.2);
	crn_ops_hist_observe(&h, 1000);
	crn_ops_hist_observe(&h, -1);
	assert_int_equal(h.count, 4);
	assert_int_equal(h.bucket[0], 2); /* <= 0.005: 0.003 and -1 as 0 */
	assert_int_equal(h.bucket[5], 3); /* <= 0.25 */
	assert_int_equal(h.bucket[CRN_OPS_NBUCKETS - 1], 3); /* 1000 > 600 */
	for (size_t i = 1; i < CRN_OPS_NBUCKETS; i++)
		assert_true(h.bucket[i] >= h.bucket[i - 1]);
	assert_true(h.sum > 1000.2 && h.sum < 1000.21);
}

/* Every line is a comment or "name{labels} value"; returns the value of
 * the sample line that starts with `want`, or -1. */
static double
scan(const char *text, const char *want)
{
	regex_t re;
	double found = -1;
	const char *p = text;

	assert_int_equal(regcomp(&re,
	                     "^[a-z_]+(\\{[a-z_]+=\"([^\"\\]|\\\\.)*\"(,[a-z_]+=\"([^\"\\]|\\\\.)*\")*\\})? -?[0-9]+(\\.[0-9]+)?$",
	                     REG_EXTENDED | REG_NOSUB),
	    0);
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		char line[512];
		size_t n;

		assert_non_null(nl); /* every line ends */
		n = (size_t)(nl - p);
		assert_true(n < sizeof(line));
		memcpy(line, p, n);
		line[n] = '\0';
		if (strncmp(line, "# HELP ", 7) != 0 &&
		    strncmp(line, "# TYPE ", 7) != 0) {
			if (regexec(&re, line, 0, NULL, 0) != 0)
				fail_msg("malformed sample: %s", line);
			if (strncmp(line, want, strlen(want)) == 0 &&
			    line[strlen(want)] == ' ')
				found = strtod(line + strlen(want) + 1, NULL);
		}
		p = nl + 1;
	}
	regfree(&re);
	return found;
}

static void
test_metrics(void **state)
{
	crn_ops_state *st = state_new();
	crn_ops_job_row row;
	char *out = NULL;
	size_t len = 0;

	(void)state;
	memset(&row, 0, sizeof(row));
	row.outcome = CRN_OPS_DONE;
	row.ms = 1500;
	crn_ops_job_end(st, &row);
	row.outcome = CRN_OPS_REFUSED;
	crn_ops_job_end(st, &row);
	crn_ops_hist_observe(&st->round[3], 0.02);
	st->dropouts[2] = 7;
	st->bytes_in = 123456789012ull;
	st->nodes_connected = 5;
	assert_int_equal(crn_ops_render_metrics(st, CRN_OPS_COORDINATOR,
	                     "co\"ord\\", NOW, &out, &len),
	    CAIRN_OK);
	assert_int_equal(len, strlen(out));
	assert_true(scan(out, "cairn_jobs_total{outcome=\"done\"}") == 1);
	assert_true(scan(out, "cairn_jobs_total{outcome=\"refused\"}") == 1);
	assert_true(scan(out, "cairn_jobs_total{outcome=\"failed\"}") == 0);
	/* A refusal is not a session. */
	assert_true(scan(out, "cairn_session_duration_seconds_count") == 1);
	assert_true(
	    scan(out, "cairn_session_duration_seconds_bucket{le=\"1\"}") == 0);
	assert_true(
	    scan(out, "cairn_session_duration_seconds_bucket{le=\"2.5\"}") ==
	    1);
	assert_true(scan(out,
	                "cairn_round_duration_seconds_bucket{round=\"masked-input\",le=\"0.025\"}") == 1);
	assert_true(
	    scan(out,
	        "cairn_round_duration_seconds_count{round=\"masked-input\"}") ==
	    1);
	assert_true(
	    scan(out, "cairn_dropouts_total{round=\"share-keys\"}") == 7);
	assert_true(
	    scan(out, "cairn_message_bytes_received_total") == 123456789012.0);
	assert_true(scan(out, "cairn_nodes_connected") == 5);
	assert_true(scan(out, "cairn_certificate_expiry_seconds") == 259200);
	/* The party's quote and backslash are escaped in the label. */
	assert_non_null(strstr(out, "party=\"co\\\"ord\\\\\""));
	crn_free(out, len + 1);
	/* A node has no rounds of its own, and says if its coordinator
	 * answers. */
	assert_int_equal(
	    crn_ops_render_metrics(st, CRN_OPS_NODE, "n1", NOW, &out, &len),
	    CAIRN_OK);
	assert_true(scan(out, "cairn_coordinator_connected") == 1);
	assert_null(strstr(out, "cairn_round_duration"));
	assert_true(
	    scan(out, "cairn_jobs_total{outcome=\"contributed\"}") == 0);
	crn_free(out, len + 1);
	crn_free(st, sizeof(*st));
}

/* Names come from certificates: a node named like markup must show as
 * text, never as markup. */
static void
test_status_escapes(void **state)
{
	crn_ops_state *st = state_new();
	crn_ops_job_row row;
	char *out = NULL;
	size_t len = 0;

	(void)state;
	st->nnodes = st->nnodes_total = 1;
	snprintf(st->nodes[0].name, sizeof(st->nodes[0].name), "%s",
	    "<script>alert('x')</script>&\"");
	st->nodes[0].connected = true;
	st->nodes[0].last_contact = NOW - 2;
	st->nodes[0].cert_not_after = NOW + 7200;
	st->nsess = 1;
	snprintf(st->sess[0].researcher, sizeof(st->sess[0].researcher),
	    "<b>eve</b>");
	st->sess[0].round = 2;
	st->sess[0].pass = 1;
	st->sess[0].passes = 2;
	memset(&row, 0, sizeof(row));
	for (int i = 0; i < CRN_OPS_RECENT + 8; i++) {
		row.outcome = i % 2 ? CRN_OPS_DONE : CRN_OPS_ABORTED;
		snprintf(row.job, sizeof(row.job), "job%04d", i);
		snprintf(row.detail, sizeof(row.detail), "<i>%d</i>", i);
		crn_ops_job_end(st, &row);
	}
	assert_int_equal(
	    crn_ops_render_status(st, "c<o>", NOW, &out, &len), CAIRN_OK);
	assert_null(strstr(out, "<script"));
	assert_null(strstr(out, "<b>"));
	assert_null(strstr(out, "<i>"));
	assert_null(strstr(out, "c<o>"));
	assert_non_null(strstr(out,
	    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"));
	assert_non_null(strstr(out, "&lt;b&gt;eve&lt;/b&gt;"));
	assert_non_null(strstr(out, "<td>share-keys</td>"));
	assert_non_null(strstr(out, "2 h 0 min"));
	/* The newest 32 jobs, newest first; the oldest 8 are gone. */
	assert_null(strstr(out, "job0007"));
	assert_non_null(strstr(out, "job0008"));
	assert_true(strstr(out, "job0039") < strstr(out, "job0038"));
	crn_free(out, len + 1);
	crn_free(st, sizeof(*st));
}

/* A port taken by someone else: one line saying so, no listener. */
static void
test_listen_taken(void **state)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char url[64], err[256] = "";
	crn_ops *o = NULL;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	snprintf(url, sizeof(url), "127.0.0.1:%u", ntohs(a.sin_port));
	assert_int_equal(
	    crn_ops_open(&o, CRN_OPS_NODE, "n", url, err, sizeof(err)),
	    CAIRN_ESYS);
	assert_null(o);
	assert_non_null(strstr(err, "cannot listen there"));
	close(fd);
	/* Without an address there is no listener and publishing is a
	 * no-op. */
	assert_int_equal(
	    crn_ops_open(&o, CRN_OPS_NODE, "n", NULL, err, sizeof(err)),
	    CAIRN_OK);
	crn_ops_state_of(o)->jobs[0] = 3;
	crn_ops_publish(o, 1000000);
	crn_ops_close(o);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_hist),
    cmocka_unit_test(test_metrics),
    cmocka_unit_test(test_status_escapes),
    cmocka_unit_test(test_listen_taken),
};

CAIRN_TEST_MAIN(tests)
