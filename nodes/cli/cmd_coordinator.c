/* cmd_coordinator.c — 'cairn coordinator'.  Placeholder until its module lands. */
#include "cli/cmds.h"

int
cmd_coordinator(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error("'coordinator' is not available in this build yet");
}
