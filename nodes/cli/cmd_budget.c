/* cmd_budget.c — 'cairn budget --config FILE': ask, through the
 * coordinator, every connected node what this researcher has spent of its
 * differential-privacy budget and what is left, per dataset. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "base/crn.h"
#include "cli/cmds.h"
#include "cli/opts.h"
#include "proto/codec_runtime.h"
#include "query/dp_account.h"
#include "runtime/client.h"
#include "runtime/rt.h"

static void
budget_print(const crn_rt_budget *r)
{
	if (r->n == 0) {
		printf(
		    "%-16s %-16s (no dataset serves you here)\n", r->node, "-");
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		double left = r->rho_limit - r->rho_spent[i];

		if (left < 0)
			left = 0;
		printf("%-16s %-16s %6llu %12.6g %12.6g %12.4g %10.3g %s\n",
		    r->node, r->datasets[i], (unsigned long long)r->jobs[i],
		    r->rho_spent[i], left,
		    r->delta > 0 ? crn_dp_epsilon(left, r->delta) : 0, r->delta,
		    r->require_dp ? "yes" : "no");
	}
}

/* Read reports until every asked node answered or the deadline. */
static int
budget_collect(crn_rt_client *c)
{
	int64_t deadline = crn_rt_now_ms() + 10000;
	uint32_t asked = 0, got = 0;
	bool first = true;

	while (first || got < asked) {
		crn_envelope env;
		crn_rt_budget r;
		cairn_err rv;

		if ((rv = crn_rt_client_recv(c, &env, deadline)) != CAIRN_OK) {
			if (!first && rv == CAIRN_ETIMEDOUT) {
				printf(
				    "(%u of %u nodes answered)\n", got, asked);
				return 0;
			}
			cli_error("budget: no answer from the coordinator: %s",
			    cairn_strerror(rv));
			return 1;
		}
		if (env.type != CRN_RT_MSG_BUDGET) {
			crn_envelope_fini(&env);
			continue;
		}
		rv = crn_rt_budget_decode(&r, env.payload, env.payload_len);
		crn_envelope_fini(&env);
		if (rv != CAIRN_OK)
			return cli_error("budget: malformed answer");
		if (first) {
			asked = r.nodes;
			first = false;
			printf("%-16s %-16s %6s %12s %12s %12s %10s %s\n",
			    "node", "dataset", "jobs", "rho spent", "rho left",
			    "eps left", "at delta", "require_dp");
		} else {
			budget_print(&r);
			got++;
		}
		crn_rt_budget_fini(&r);
	}
	return 0;
}

static const char budget_usage[] =
    "usage: cairn budget --config FILE\n"
    "Ask every connected node, through the coordinator, how much of its\n"
    "differential-privacy budget this researcher has spent and has left, per\n"
    "dataset (researcher configuration).\n";

int
cmd_budget(int argc, char **argv)
{
	const char *config = NULL;
	const cli_opt opts[] = {
	    {.name = "--config", .val = &config, .required = true},
	    {.name = NULL},
	};
	const cli_cmd cmd = {"budget", opts, NULL, 0, 0, NULL, budget_usage};
	crn_rt_client c;
	char err[512];
	int status = 1, st;
	cairn_err rv;

	if ((st = cli_parse(&cmd, argc, argv)) >= 0)
		return st;
	crn_rt_signals();
	crn_rt_log_init("cairn");
	cairn_log_set_level(CAIRN_LOG_ERR);
	if ((rv = crn_rt_client_open(&c, config, err, sizeof(err))) !=
	    CAIRN_OK) {
		cli_error("budget: %s", err);
		return 1;
	}
	if ((rv = crn_rt_client_send(
	         &c, CRN_RT_MSG_BUDGET_REQ, NULL, 0, 5000)) != CAIRN_OK) {
		cli_error("budget: cannot reach the coordinator at %s: %s",
		    c.cfg->researcher.coordinator,
		    crn_rt_client_why(&c)[0] ? crn_rt_client_why(&c)
		                             : cairn_strerror(rv));
		goto out;
	}
	status = budget_collect(&c);
out:
	crn_rt_client_close(&c);
	return status;
}
