/* cmd_status.c — 'cairn status --config FILE': ask the coordinator which
 * nodes are connected and which sessions are running. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/crn.h"
#include "cli/cmds.h"
#include "cli/opts.h"
#include "proto/codec_runtime.h"
#include "runtime/client.h"
#include "runtime/rt.h"
#include "secagg/secagg.h"

static const char status_usage[] =
    "usage: cairn status --config FILE [--wait-nodes N]\n"
    "List the nodes connected to the coordinator (certificate names), how\n"
    "many of them may drop out of a session with the coordinator's settings\n"
    "(threshold, min_participants; also for every expected node when some\n"
    "are not connected) and the sessions running (researcher config).\n"
    "Each node's own min_participants may ask for more; a node lost in the\n"
    "reveal round ends the session.\n"
    "\n"
    "  --wait-nodes N  first wait (up to 60 s, asking every 250 ms,\n"
    "                  also while the coordinator is not up yet)\n"
    "                  until at least N nodes are connected; exit 1\n"
    "                  if they are not by then\n";

/* One line: how many of n nodes may drop out of a session that needs
 * max(t, min_participants) of them to the end. */
static void
status_tolerance_line(const char *what, uint32_t n, uint32_t t, uint32_t minp)
{
	uint32_t need = t > minp ? t : minp;

	if (n < need)
		printf("dropout tolerance (%s): a session needs %u nodes (threshold %u, min_participants %u), %u are there: none can start\n",
		    what, need, t, minp, n);
	else
		printf("dropout tolerance (%s): %u of %u nodes may drop out (a session needs %u to the end: threshold %u, min_participants %u)\n",
		    what, n - need, n, need, t, minp);
}

static void
status_tolerance(const crn_rt_status *st)
{
	status_tolerance_line("connected", (uint32_t)st->nnodes, st->threshold,
	    st->min_participants);
	if (st->expected != st->nnodes)
		status_tolerance_line("expected", st->expected,
		    st->expected_threshold, st->min_participants);
}

/* How long --wait-nodes waits, and how often it asks. */
#define STATUS_WAIT_MS  60000
#define STATUS_RETRY_MS 250

/*
 * Ask the coordinator once.  With wait_for > 0 nothing is printed unless
 * at least wait_for nodes are connected, and failures are quiet (the
 * caller asks again); *nnodes gets the count.  Returns 0 on an answer.
 */
static int
status_ask(const char *config, size_t wait_for, size_t *nnodes)
{
	crn_rt_client c;
	char err[512];
	int status = 1;
	int64_t deadline;
	cairn_err rv;
	bool quiet = wait_for > 0;

	*nnodes = 0;
	if ((rv = crn_rt_client_open(&c, config, err, sizeof(err))) !=
	    CAIRN_OK) {
		cli_error("status: %s", err);
		return 2; /* the configuration: asking again will not help */
	}
	if ((rv = crn_rt_client_send(
	         &c, CRN_RT_MSG_STATUS_REQ, NULL, 0, 5000)) != CAIRN_OK) {
		if (!quiet)
			cli_error("status: cannot reach the coordinator at %s: %s",
			    c.cfg->researcher.coordinator,
			    crn_rt_client_why(&c)[0] ? crn_rt_client_why(&c)
			                             : cairn_strerror(rv));
		goto out;
	}
	deadline = crn_rt_now_ms() + 10000;
	for (;;) {
		crn_envelope env;
		crn_rt_status st;

		if ((rv = crn_rt_client_recv(&c, &env, deadline)) != CAIRN_OK) {
			if (!quiet)
				cli_error("status: no answer from the coordinator: %s",
				    rv == CAIRN_ECLOSED && crn_rt_client_why(&c)[0]
				        ? crn_rt_client_why(&c)
				        : cairn_strerror(rv));
			goto out;
		}
		if (env.type != CRN_RT_MSG_STATUS) {
			crn_envelope_fini(&env);
			continue;
		}
		rv = crn_rt_status_decode(&st, env.payload, env.payload_len);
		crn_envelope_fini(&env);
		if (rv != CAIRN_OK) {
			cli_error("status: malformed answer");
			goto out;
		}
		*nnodes = st.nnodes;
		status = 0;
		if (st.nnodes < wait_for) {
			crn_rt_status_fini(&st);
			break;
		}
		printf("nodes connected: %zu\n", st.nnodes);
		for (size_t i = 0; i < st.nnodes; i++)
			printf("  %s\n", st.nodes[i]);
		status_tolerance(&st);
		printf("sessions running: %zu\n", st.nsessions);
		for (size_t i = 0; i < st.nsessions; i++) {
			const crn_rt_session_info *si = &st.sessions[i];
			char sid[2 * CAIRN_SESSION_ID_LEN + 1];

			crn_rt_hex(si->session_id, 8, sid);
			printf("  %s researcher %s, %u nodes, round %s\n", sid,
			    si->researcher, si->nodes,
			    crn_sa_round_name((crn_sa_round)si->round));
		}
		crn_rt_status_fini(&st);
		break;
	}
out:
	crn_rt_client_close(&c);
	return status;
}

int
cmd_status(int argc, char **argv)
{
	const char *config = NULL;
	const char *wait_s = NULL;
	const cli_opt opts[] = {
	    {.name = "--config", .val = &config, .required = true},
	    {.name = "--wait-nodes", .val = &wait_s},
	    {.name = NULL},
	};
	const cli_cmd cmd = {"status", opts, NULL, 0, 0, NULL, status_usage};
	long wait_for = 0;
	size_t n = 0;
	int64_t deadline;
	int rc;

	if ((rc = cli_parse(&cmd, argc, argv)) >= 0)
		return rc;
	if (wait_s != NULL) {
		char *end;

		wait_for = strtol(wait_s, &end, 10);
		if (*end != '\0' || wait_for < 1 || wait_for > 1000000)
			return cli_usage_error("status",
			    "--wait-nodes needs a number of nodes, 1 or more");
	}
	crn_rt_signals();
	crn_rt_log_init("cairn");
	cairn_log_set_level(CAIRN_LOG_ERR);
	if (wait_for == 0) {
		rc = status_ask(config, 0, &n);
		return rc == 0 ? 0 : 1;
	}
	deadline = crn_rt_now_ms() + STATUS_WAIT_MS;
	for (;;) {
		struct timespec ts = {0, STATUS_RETRY_MS * 1000000L};

		rc = status_ask(config, (size_t)wait_for, &n);
		if (rc == 2)
			return 1;
		if (rc == 0 && n >= (size_t)wait_for)
			return 0;
		if (crn_rt_now_ms() >= deadline)
			break;
		nanosleep(&ts, NULL);
	}
	cli_error("status: %zu of %ld nodes connected after %d s (see the nodes' logs)",
	    n, wait_for, STATUS_WAIT_MS / 1000);
	return 1;
}
