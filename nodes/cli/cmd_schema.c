/* cmd_schema.c — 'cairn schema'.  Placeholder until its module lands. */
#include "cli/cmds.h"

int
cmd_schema(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error("'schema' is not available in this build yet");
}
