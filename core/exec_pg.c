/* exec_pg.c — placeholder until the pg executor lands. */
#include "crn.h"
#include "exec.h"

cairn_err
crn_exec_pg(crn_acc *acc, const crn_source *src)
{
	(void)src;
	crn_acc_errf(acc, "pg sources not built yet");
	return CAIRN_ENOTSUP;
}
