/* cmd_coordinator.c — 'cairn coordinator --config FILE'. */
#include <stdio.h>
#include <string.h>

#include "cli/cmds.h"
#include "coordinator/coordinator.h"

int
cmd_coordinator(int argc, char **argv)
{
	const char *config = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config = argv[++i];
		} else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			printf(
			    "usage: cairn coordinator --config FILE\n"
			    "Run the coordinator daemon: listens for nodes and "
			    "researchers, runs\none secure-aggregation session "
			    "per job.  Logs to stderr; stops on\nSIGINT or "
			    "SIGTERM.\n"
			    "In [coordinator]: log_format = text | json (RFC 3339 "
			    "timestamps either way);\nmetrics_listen = IP:PORT "
			    "serves Prometheus metrics at /metrics and a\n"
			    "read-only status page at / (off unless set).\n");
			return 0;
		} else {
			cli_error(
			    "coordinator: unknown argument '%s'", argv[i]);
			return 2;
		}
	}
	if (config == NULL) {
		cli_error("coordinator: --config FILE is required");
		return 2;
	}
	return crn_coordinator_main(config);
}
