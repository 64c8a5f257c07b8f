/* init.c — library start-up and version. */
#include "crn.h"
#include "crn_crypto.h"

const char *
cairn_version(void)
{
	return CAIRN_VERSION_STRING;
}

cairn_err
cairn_init(void)
{
	return crn_crypto_init();
}
