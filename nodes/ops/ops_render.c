/*
 * ops_render.c — the metrics exposition and the status page (see ops.h).
 * Pure functions of a state snapshot, so the unit test checks their
 * output without a listener.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/crn.h"
#include "ops/ops.h"

/* Upper bounds in seconds: a round of a few milliseconds on loopback up
 * to the longest deadlines (input_ms defaults to 300 s). */
const double crn_ops_bucket_bounds[CRN_OPS_NBUCKETS] = {0.005, 0.01, 0.025,
    0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};

/* The rounds as crn_sa_round_name says them (core/secagg). */
static const char *const ops_round[CRN_OPS_ROUNDS] = {"advertise", "reveal",
    "share-keys", "masked-input", "consistency", "unmask"};

const char *
crn_ops_outcome_name(crn_ops_outcome o)
{
	static const char *const names[CRN_OPS_NOUTCOMES] = {
	    "done", "failed", "aborted", "refused", "contributed", "abandoned"};

	return (unsigned)o < CRN_OPS_NOUTCOMES ? names[o] : "?";
}

void
crn_ops_hist_observe(crn_ops_hist *h, double seconds)
{
	if (!(seconds > 0))
		seconds = 0;
	for (size_t i = 0; i < CRN_OPS_NBUCKETS; i++)
		if (seconds <= crn_ops_bucket_bounds[i])
			h->bucket[i]++;
	h->count++;
	h->sum += seconds;
}

void
crn_ops_job_end(crn_ops_state *st, const crn_ops_job_row *row)
{
	if ((unsigned)row->outcome < CRN_OPS_NOUTCOMES)
		st->jobs[row->outcome]++;
	/* A refusal at submission is no session. */
	if (row->outcome != CRN_OPS_REFUSED)
		crn_ops_hist_observe(&st->session, (double)row->ms / 1000.0);
	st->recent[st->recent_next] = *row;
	st->recent_next = (st->recent_next + 1) % CRN_OPS_RECENT;
	if (st->nrecent < CRN_OPS_RECENT)
		st->nrecent++;
	st->dirty = true;
}

/* A growing text; on allocation failure it stops growing and says so. */
typedef struct ops_buf {
	char *p;
	size_t len, cap;
	bool oom;
} ops_buf;

static void ops_printf(ops_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
ops_printf(ops_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(
		    b->p != NULL ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t cap = b->cap * 2 + (size_t)n + 4096;
			char *np = crn_realloc(b->p, b->cap, cap);

			if (np == NULL) {
				b->oom = true;
				return;
			}
			b->p = np;
			b->cap = cap;
		}
	}
}

static cairn_err
ops_buf_take(ops_buf *b, char **out, size_t *len)
{
	if (b->oom || b->p == NULL) {
		crn_free(b->p, b->cap);
		return CAIRN_ENOMEM;
	}
	/* Hand over exactly len + 1 bytes, as the header promises. */
	if (b->cap != b->len + 1) {
		char *np = crn_realloc(b->p, b->cap, b->len + 1);

		if (np == NULL) {
			crn_free(b->p, b->cap);
			return CAIRN_ENOMEM;
		}
		b->p = np;
	}
	*out = b->p;
	*len = b->len;
	return CAIRN_OK;
}

/* A label value: backslash, quote and newline escaped. */
static void
ops_label(ops_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			ops_printf(b, "\\%c", *s);
		else if (*s == '\n')
			ops_printf(b, "\\n");
		else
			ops_printf(b, "%c", *s);
	}
}

static void
ops_hist(ops_buf *b, const char *name, const char *label, const char *value,
    const crn_ops_hist *h)
{
	char lb[96] = "";

	if (label != NULL)
		snprintf(lb, sizeof(lb), "%s=\"%s\",", label, value);
	for (size_t i = 0; i < CRN_OPS_NBUCKETS; i++)
		ops_printf(b, "%s_bucket{%sle=\"%g\"} %llu\n", name, lb,
		    crn_ops_bucket_bounds[i], (unsigned long long)h->bucket[i]);
	ops_printf(b, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, lb,
	    (unsigned long long)h->count);
	lb[0] != '\0' ? (void)(lb[strlen(lb) - 1] = '\0') : (void)0;
	ops_printf(b, "%s_sum%s%s%s %.6f\n", name, lb[0] ? "{" : "", lb,
	    lb[0] ? "}" : "", h->sum);
	ops_printf(b, "%s_count%s%s%s %llu\n", name, lb[0] ? "{" : "", lb,
	    lb[0] ? "}" : "", (unsigned long long)h->count);
}

static void
ops_help(ops_buf *b, const char *name, const char *type, const char *help)
{
	ops_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The metrics both daemons have. */
static void
ops_common(ops_buf *b, const crn_ops_state *st, crn_ops_role role,
    const char *party, uint64_t now)
{
	static const crn_ops_outcome co_out[] = {
	    CRN_OPS_DONE, CRN_OPS_FAILED, CRN_OPS_ABORTED, CRN_OPS_REFUSED};
	static const crn_ops_outcome nd_out[] = {CRN_OPS_CONTRIBUTED,
	    CRN_OPS_REFUSED, CRN_OPS_ABORTED, CRN_OPS_ABANDONED};
	const crn_ops_outcome *outs =
	    role == CRN_OPS_COORDINATOR ? co_out : nd_out;

	ops_help(b, "cairn_info", "gauge", "The daemon: role and name.");
	ops_printf(b, "cairn_info{role=\"%s\",party=\"",
	    role == CRN_OPS_COORDINATOR ? "coordinator" : "node");
	ops_label(b, party);
	ops_printf(b, "\",version=\"%s\"} 1\n", CAIRN_VERSION_STRING);
	ops_help(b, "cairn_start_time_seconds", "gauge",
	    "When the daemon started, unix seconds.");
	ops_printf(b, "cairn_start_time_seconds %llu\n",
	    (unsigned long long)st->started);
	ops_help(b, "cairn_jobs_total", "counter", "Jobs by how they ended.");
	for (size_t i = 0; i < 4; i++)
		ops_printf(b, "cairn_jobs_total{outcome=\"%s\"} %llu\n",
		    crn_ops_outcome_name(outs[i]),
		    (unsigned long long)st->jobs[outs[i]]);
	ops_help(b, "cairn_session_duration_seconds", "histogram",
	    "Jobs from submission (coordinator) or offer (node) to their end, both passes.");
	ops_hist(b, "cairn_session_duration_seconds", NULL, NULL, &st->session);
	ops_help(b, "cairn_message_bytes_received_total", "counter",
	    "Bytes of signed envelopes received.");
	ops_printf(b, "cairn_message_bytes_received_total %llu\n",
	    (unsigned long long)st->bytes_in);
	ops_help(b, "cairn_message_bytes_sent_total", "counter",
	    "Bytes of signed envelopes sent.");
	ops_printf(b, "cairn_message_bytes_sent_total %llu\n",
	    (unsigned long long)st->bytes_out);
	ops_help(b, "cairn_messages_received_total", "counter",
	    "Signed envelopes received.");
	ops_printf(b, "cairn_messages_received_total %llu\n",
	    (unsigned long long)st->msgs_in);
	ops_help(b, "cairn_messages_sent_total", "counter",
	    "Signed envelopes sent.");
	ops_printf(b, "cairn_messages_sent_total %llu\n",
	    (unsigned long long)st->msgs_out);
	ops_help(b, "cairn_certificate_expiry_seconds", "gauge",
	    "Seconds until the daemon's own certificate expires (negative: expired).");
	ops_printf(b, "cairn_certificate_expiry_seconds %lld\n",
	    (long long)(st->cert_not_after - (int64_t)now));
}

cairn_err
crn_ops_render_metrics(const crn_ops_state *st, crn_ops_role role,
    const char *party, uint64_t now, char **out, size_t *len)
{
	ops_buf b = {NULL, 0, 0, false};

	*out = NULL;
	*len = 0;
	ops_common(&b, st, role, party, now);
	if (role == CRN_OPS_NODE) {
		ops_help(&b, "cairn_coordinator_connected", "gauge",
		    "1 when the coordinator answers our heartbeats, else 0.");
		ops_printf(&b, "cairn_coordinator_connected %u\n",
		    st->nodes_connected != 0);
		return ops_buf_take(&b, out, len);
	}
	ops_help(&b, "cairn_nodes_connected", "gauge",
	    "Nodes connected and heard from recently: those a job is offered to.");
	ops_printf(&b, "cairn_nodes_connected %u\n", st->nodes_connected);
	ops_help(&b, "cairn_sessions_running", "gauge", "Jobs running now.");
	ops_printf(&b, "cairn_sessions_running %zu\n", st->nsess);
	ops_help(&b, "cairn_round_duration_seconds", "histogram",
	    "Secure-aggregation rounds from their start to their close, by round.");
	for (size_t r = 0; r < CRN_OPS_ROUNDS; r++)
		ops_hist(&b, "cairn_round_duration_seconds", "round",
		    ops_round[r], &st->round[r]);
	ops_help(&b, "cairn_dropouts_total", "counter",
	    "Nodes that left a session, by the round they did not answer.");
	for (size_t r = 0; r < CRN_OPS_ROUNDS; r++)
		ops_printf(&b, "cairn_dropouts_total{round=\"%s\"} %llu\n",
		    ops_round[r], (unsigned long long)st->dropouts[r]);
	return ops_buf_take(&b, out, len);
}

/* Text for HTML: & < > " ' escaped, control characters dropped. */
static void
ops_html(ops_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': ops_printf(b, "&amp;"); break;
		case '<': ops_printf(b, "&lt;"); break;
		case '>': ops_printf(b, "&gt;"); break;
		case '"': ops_printf(b, "&quot;"); break;
		case '\'': ops_printf(b, "&#39;"); break;
		default:
			if ((unsigned char)*s >= 0x20 && *s != 0x7f)
				ops_printf(b, "%c", *s);
			break;
		}
	}
}

/* "2026-12-05 05:10:16 UTC" */
static void
ops_when(ops_buf *b, uint64_t t)
{
	char s[40];
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL) {
		ops_printf(b, "-");
		return;
	}
	strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S UTC", &tm);
	ops_printf(b, "%s", s);
}

/* A duration in words: "3 d 4 h", "12 min", "5 s", "expired". */
static void
ops_left(ops_buf *b, int64_t s)
{
	if (s < 0)
		ops_printf(b, "expired");
	else if (s >= 86400)
		ops_printf(b, "%lld d %lld h", (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		ops_printf(b, "%lld h %lld min", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else
		ops_printf(b, "%lld s", (long long)s);
}

static void
ops_page_nodes(ops_buf *b, const crn_ops_state *st, uint64_t now)
{
	ops_printf(b,
	    "<h2>Nodes</h2>\n<p id=\"nodes-summary\">%u connected, %zu known</p>\n",
	    st->nodes_connected, st->nnodes_total);
	ops_printf(b,
	    "<table id=\"nodes\">\n<tr><th>node</th><th>state</th><th>certificate expires</th><th>expires in</th><th>last contact</th></tr>\n");
	for (size_t i = 0; i < st->nnodes; i++) {
		const crn_ops_node_row *n = &st->nodes[i];

		ops_printf(b, "<tr class=\"node\"><td class=\"name\">");
		ops_html(b, n->name);
		ops_printf(b, "</td><td>%s</td><td>",
		    n->connected ? "connected" : "disconnected");
		ops_when(
		    b, n->cert_not_after > 0 ? (uint64_t)n->cert_not_after : 0);
		ops_printf(b, "</td><td>");
		if (n->cert_not_after > 0)
			ops_left(b, n->cert_not_after - (int64_t)now);
		else
			ops_printf(b, "-");
		ops_printf(b, "</td><td>");
		ops_when(b, n->last_contact);
		ops_printf(b, " (%lld s ago)</td></tr>\n",
		    (long long)(now - n->last_contact));
	}
	ops_printf(b, "</table>\n");
	if (st->nnodes < st->nnodes_total)
		ops_printf(b, "<p>%zu more not listed.</p>\n",
		    st->nnodes_total - st->nnodes);
}

static void
ops_page_sessions(ops_buf *b, const crn_ops_state *st, uint64_t now)
{
	ops_printf(b,
	    "<h2>Running sessions</h2>\n<table id=\"sessions\">\n"
	    "<tr><th>job</th><th>researcher</th><th>asked</th><th>pass</th><th>round</th><th>nodes</th><th>running for</th></tr>\n");
	for (size_t i = 0; i < st->nsess; i++) {
		const crn_ops_sess_row *s = &st->sess[i];

		ops_printf(b, "<tr class=\"session\"><td>%s</td><td>", s->job);
		ops_html(b, s->researcher);
		ops_printf(b, "</td><td>");
		ops_html(b, s->what);
		ops_printf(b,
		    "</td><td>%u of %u</td><td>%s</td><td>%u</td><td>%lld s</td></tr>\n",
		    s->pass, s->passes,
		    s->round < CRN_OPS_ROUNDS ? ops_round[s->round] : "done",
		    s->nodes, (long long)(now - s->started));
	}
	ops_printf(b, "</table>\n");
	if (st->nsess == 0)
		ops_printf(b, "<p>None.</p>\n");
}

static void
ops_page_jobs(ops_buf *b, const crn_ops_state *st)
{
	ops_printf(b,
	    "<h2>Recent jobs</h2>\n<table id=\"jobs\">\n"
	    "<tr><th>finished</th><th>job</th><th>researcher</th><th>asked</th><th>outcome</th><th>nodes</th><th>took</th><th>detail</th></tr>\n");
	for (size_t k = 0; k < st->nrecent; k++) {
		size_t i =
		    (st->recent_next + CRN_OPS_RECENT - 1 - k) % CRN_OPS_RECENT;
		const crn_ops_job_row *j = &st->recent[i];

		ops_printf(b, "<tr class=\"job\"><td>");
		ops_when(b, j->finished);
		ops_printf(b, "</td><td>%s</td><td>", j->job);
		ops_html(b, j->researcher);
		ops_printf(b, "</td><td>");
		ops_html(b, j->what);
		ops_printf(b,
		    "</td><td class=\"outcome\">%s</td><td>%u</td><td>%lld ms</td><td>",
		    crn_ops_outcome_name(j->outcome), j->nodes,
		    (long long)j->ms);
		ops_html(b, j->detail);
		ops_printf(b, "</td></tr>\n");
	}
	ops_printf(b, "</table>\n");
	if (st->nrecent == 0)
		ops_printf(b, "<p>None yet.</p>\n");
}

cairn_err
crn_ops_render_status(const crn_ops_state *st, const char *party, uint64_t now,
    char **out, size_t *len)
{
	ops_buf b = {NULL, 0, 0, false};

	*out = NULL;
	*len = 0;
	ops_printf(&b,
	    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>cairn coordinator ");
	ops_html(&b, party);
	ops_printf(&b,
	    "</title>\n<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2em .6em;text-align:left}</style></head>\n<body>\n<h1>cairn coordinator ");
	ops_html(&b, party);
	ops_printf(&b, "</h1>\n<p>As of ");
	ops_when(&b, now);
	ops_printf(&b, "; up since ");
	ops_when(&b, st->started);
	ops_printf(&b, ". Certificate expires in ");
	ops_left(&b, st->cert_not_after - (int64_t)now);
	ops_printf(&b, ". Read-only; reload for news.</p>\n");
	ops_page_nodes(&b, st, now);
	ops_page_sessions(&b, st, now);
	ops_page_jobs(&b, st);
	ops_printf(&b, "</body></html>\n");
	return ops_buf_take(&b, out, len);
}
