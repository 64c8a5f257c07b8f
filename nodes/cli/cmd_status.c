/* cmd_status.c — 'cairn status --config FILE': ask the coordinator which
 * nodes are connected and which sessions are running. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "base/crn.h"
#include "cli/cmds.h"
#include "cli/opts.h"
#include "proto/codec_runtime.h"
#include "runtime/client.h"
#include "runtime/rt.h"
#include "secagg/secagg.h"

static const char status_usage[] =
    "usage: cairn status --config FILE\n"
    "List the nodes connected to the coordinator (certificate names), how\n"
    "many of them may drop out of a session with the coordinator's settings\n"
    "(threshold, min_participants; also for every expected node when some\n"
    "are not connected) and the sessions running (researcher config).\n"
    "Each node's own min_participants may ask for more; a node lost in the\n"
    "reveal round ends the session.\n";

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

int
cmd_status(int argc, char **argv)
{
	const char *config = NULL;
	const cli_opt opts[] = {
	    {.name = "--config", .val = &config, .required = true},
	    {.name = NULL},
	};
	const cli_cmd cmd = {"status", opts, NULL, 0, 0, NULL, status_usage};
	crn_rt_client c;
	char err[512];
	int status = 1;
	int64_t deadline;
	cairn_err rv;

	if ((status = cli_parse(&cmd, argc, argv)) >= 0)
		return status;
	status = 1;
	crn_rt_signals();
	crn_rt_log_init("cairn");
	cairn_log_set_level(CAIRN_LOG_ERR);
	if ((rv = crn_rt_client_open(&c, config, err, sizeof(err))) !=
	    CAIRN_OK) {
		cli_error("status: %s", err);
		return 1;
	}
	if ((rv = crn_rt_client_send(
	         &c, CRN_RT_MSG_STATUS_REQ, NULL, 0, 5000)) != CAIRN_OK) {
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
		status = 0;
		break;
	}
out:
	crn_rt_client_close(&c);
	return status;
}
