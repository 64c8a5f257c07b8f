/* cmd_status.c — 'cairn status'.  Placeholder until its module lands. */
#include "cli/cmds.h"

int
cmd_status(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error("'status' is not available in this build yet");
}
