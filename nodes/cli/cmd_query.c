/* cmd_query.c — 'cairn query'.  Placeholder until its module lands. */
#include "cli/cmds.h"

int
cmd_query(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error("'query' is not available in this build yet");
}
