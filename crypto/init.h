/*
 * init.h — start-up and version: cairn_init starts libsodium and OpenSSL.
 */
#ifndef CRN_CRYPTO_INIT_H
#define CRN_CRYPTO_INIT_H

#include "base/err.h"
#include "base/log.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Library version, "MAJOR.MINOR.PATCH". */
CAIRN_API const char *cairn_version(void);

/*
 * Initialise the library (libsodium, OpenSSL).  Safe to call more than once
 * and from several threads.  Returns CAIRN_ECRYPTO if a crypto library
 * cannot start.
 */
CAIRN_API CAIRN_NODISCARD cairn_err cairn_init(void);

#ifdef __cplusplus
}
#endif
#endif /* CRN_CRYPTO_INIT_H */
