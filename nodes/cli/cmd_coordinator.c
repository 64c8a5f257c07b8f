/* cmd_coordinator.c — 'cairn coordinator --config FILE'. */
#include <stddef.h>

#include "cli/cmds.h"
#include "cli/opts.h"
#include "coordinator/coordinator.h"

static const char coordinator_usage[] =
    "usage: cairn coordinator --config FILE\n"
    "Run the coordinator daemon: listens for nodes and researchers, runs\n"
    "one secure-aggregation session per job.  Logs to stderr; stops on\n"
    "SIGINT or SIGTERM.\n"
    "In [coordinator]: log_format = text | json (RFC 3339 timestamps either way);\n"
    "metrics_listen = IP:PORT serves Prometheus metrics at /metrics and a\n"
    "read-only status page at / (off unless set).\n";

int
cmd_coordinator(int argc, char **argv)
{
	const char *config = NULL;
	const cli_opt opts[] = {
	    {.name = "--config", .val = &config, .required = true},
	    {.name = NULL},
	};
	const cli_cmd cmd = {
	    "coordinator", opts, NULL, 0, 0, NULL, coordinator_usage};
	int st;

	if ((st = cli_parse(&cmd, argc, argv)) >= 0)
		return st;
	return crn_coordinator_main(config);
}
