/* err.c — cairn_strerror. */
#include "base/crn.h"

const char *
cairn_strerror(cairn_err err)
{
	switch (err) {
	case CAIRN_OK: return "success";
	case CAIRN_ENOMEM: return "out of memory";
	case CAIRN_EINVAL: return "invalid argument or malformed input";
	case CAIRN_ESTATE: return "operation not valid in this state";
	case CAIRN_EPROTO: return "protocol violation by peer";
	case CAIRN_EAUTH: return "authentication failed";
	case CAIRN_ECRYPTO: return "cryptographic library error";
	case CAIRN_ESYS: return "system call failed";
	case CAIRN_EINTERNAL: return "internal error";
	case CAIRN_ENOENT: return "not found";
	case CAIRN_EPERM: return "permission denied";
	case CAIRN_ETOOBIG: return "input exceeds size limit";
	case CAIRN_EREPLAY: return "replayed message";
	case CAIRN_EEXPIRED: return "certificate expired";
	case CAIRN_ENOTYET: return "certificate not yet valid";
	case CAIRN_EREVOKED: return "certificate revoked";
	case CAIRN_EROLE: return "certificate has the wrong role";
	case CAIRN_EUNKNOWNCA:
		return "certificate not issued by the federation CA";
	case CAIRN_ETIMEDOUT: return "deadline passed";
	case CAIRN_EBUSY: return "busy";
	case CAIRN_EABORT: return "session aborted";
	case CAIRN_ESQL: return "unsupported or invalid query";
	case CAIRN_ECONFIG: return "invalid configuration";
	case CAIRN_EDATA: return "malformed data";
	case CAIRN_ERANGE: return "value out of representable range";
	case CAIRN_ECLOSED: return "closed";
	case CAIRN_ETAMPERED: return "signed data was altered";
	case CAIRN_ENOTSUP: return "not supported";
	}
	return "unknown error";
}
