/* cmd_demo.c — 'cairn demo'.  Placeholder until its module lands. */
#include "cli/cmds.h"

int
cmd_demo(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error("'demo' is not available in this build yet");
}
