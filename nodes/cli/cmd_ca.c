/* cmd_ca.c — 'cairn ca'.  Placeholder until its module lands. */
#include "cli/cmds.h"

int
cmd_ca(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error("'ca' is not available in this build yet");
}
