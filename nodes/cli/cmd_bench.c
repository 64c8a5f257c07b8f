/* cmd_bench.c — 'cairn bench'.  Placeholder until its module lands. */
#include "cli/cmds.h"

int
cmd_bench(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_error("'bench' is not available in this build yet");
}
