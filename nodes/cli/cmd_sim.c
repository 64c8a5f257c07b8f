/* cmd_sim.c — 'cairn sim'.  Placeholder until its module lands. */
#include "cli/cmds.h"

int
cmd_sim(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error("'sim' is not available in this build yet");
}
