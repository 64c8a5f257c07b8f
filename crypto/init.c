/* init.c — library start-up and version. */
#include "base/crn.h"
#include "crypto/crypto.h"
#include "crypto/init.h"

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
