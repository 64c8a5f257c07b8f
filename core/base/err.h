/*
 * err.h — error codes shared by every cairn function.
 *
 * Every fallible function returns a cairn_err; results travel through
 * out-parameters.  Codes are never renumbered: new codes are appended.
 */
#ifndef CRN_BASE_ERR_H
#define CRN_BASE_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(CAIRN_BUILDING)
#define CAIRN_API __attribute__((visibility("default")))
#else
#define CAIRN_API
#endif

#if defined(__GNUC__)
#define CAIRN_NODISCARD __attribute__((warn_unused_result))
#else
#define CAIRN_NODISCARD
#endif

typedef enum cairn_err {
	CAIRN_OK = 0,
	CAIRN_ENOMEM = -1,    /* allocation failed */
	CAIRN_EINVAL = -2,    /* bad argument or malformed input */
	CAIRN_ESTATE = -3,    /* call not valid in the object's state */
	CAIRN_EPROTO = -4,    /* peer broke the protocol */
	CAIRN_EAUTH = -5,     /* signature, MAC or decryption failed */
	CAIRN_ECRYPTO = -6,   /* a crypto library call failed */
	CAIRN_ESYS = -7,      /* an operating-system call failed (errno) */
	CAIRN_EINTERNAL = -8, /* a bug in cairn */
	CAIRN_ENOENT = -9,    /* file, key, dataset or column not found */
	CAIRN_EPERM = -10,   /* file permissions unsafe, or refused by policy */
	CAIRN_ETOOBIG = -11, /* input exceeds a size limit */
	CAIRN_EREPLAY = -12, /* message already seen (sequence number) */
	CAIRN_EEXPIRED = -13,   /* certificate past its validity period */
	CAIRN_ENOTYET = -14,    /* certificate not yet valid */
	CAIRN_EREVOKED = -15,   /* certificate on the revocation list */
	CAIRN_EROLE = -16,      /* certificate carries the wrong role */
	CAIRN_EUNKNOWNCA = -17, /* certificate not issued by our CA */
	CAIRN_ETIMEDOUT = -18,  /* a deadline passed */
	CAIRN_EABORT = -19,     /* session aborted (e.g. below threshold) */
	CAIRN_ESQL = -20,       /* unsupported or invalid query */
	CAIRN_ECONFIG = -21,    /* bad configuration */
	CAIRN_EDATA = -22,      /* malformed data source (CSV row, ...) */
	CAIRN_ERANGE = -23,     /* value cannot be represented (would wrap) */
	CAIRN_ECLOSED = -24,    /* object or connection closed */
	CAIRN_ETAMPERED = -25,  /* certificate or data altered after signing */
	CAIRN_ENOTSUP = -26,    /* valid request this build cannot serve */
	CAIRN_EBUSY = -200,     /* every slot and the queue full: try later */
} cairn_err;

/* A short, static, human-readable description of err.  Never NULL. */
CAIRN_API const char *cairn_strerror(cairn_err err);

#ifdef __cplusplus
}
#endif
#endif /* CRN_BASE_ERR_H */
