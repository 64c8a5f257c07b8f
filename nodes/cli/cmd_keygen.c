/* cmd_keygen.c — 'cairn keygen'.  Placeholder until its module lands. */
#include "cli/cmds.h"

int
cmd_keygen(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error("'keygen' is not available in this build yet");
}
