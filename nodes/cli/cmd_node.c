/* cmd_node.c — 'cairn node'.  Placeholder until its module lands. */
#include "cli/cmds.h"

int
cmd_node(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error("'node' is not available in this build yet");
}
