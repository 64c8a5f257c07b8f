/*
 * cert.h — the federation PKI: an offline certificate authority that
 * issues X.509 certificates for Ed25519 identity keys, certificate requests,
 * revocation lists, and certificate verification.  Built on OpenSSL 3; only
 * crypto/ sees OpenSSL types, so everything here is bytes, strings and
 * plain structs.
 *
 * Roles.  Every certificate carries exactly one role, coordinator, node or
 * researcher, as the subject's organizationalUnitName; the subject is
 * exactly "OU=<role>, CN=<name>".  We chose the subject over a custom
 * extension because (1) the role is then part of the signed name that
 * every tool shows (openssl x509 -subject), so an operator sees it without
 * knowing a private OID; (2) no private OID has to be allocated and kept
 * stable; (3) a CA that builds the subject itself, from a validated name
 * and a role from a closed list, leaves no room for a requester to smuggle
 * a second OU or CN in.  The verifier is strict: a certificate whose
 * subject has any other shape, or an OU that is not one of the three role
 * names, is refused with CAIRN_EROLE.  Leaf certificates are
 * basicConstraints CA:FALSE (critical) and keyUsage digitalSignature
 * (critical); the CA certificate is CA:TRUE, pathlen 0, keyUsage
 * keyCertSign and cRLSign.  A CA certificate is never accepted as a
 * participant's certificate.
 *
 * The CA directory (created by crn_ca_init, mode 0700):
 *   ca.key     the CA's Ed25519 key, PKCS#8 PEM, 0600 (crn_identity_save)
 *   ca.crt     the self-signed CA certificate, PEM, 0644
 *   crl.pem    the current CRL (X.509 v2, crlNumber, nextUpdate), 0644
 *   index.txt  the CRL number and every issued certificate, one a line:
 *              "V|R <serial hex> <not_after> <revoked_at|-> <role> <name>"
 *   .lock      fcntl lock taken by every operation that changes the state
 * Serial numbers are 128 random bits.  Names (the certificate's CN) are
 * unique among certificates that are neither revoked nor expired.
 *
 * Time is int64_t seconds since the Unix epoch.  The CA functions read the
 * clock; verification takes the time as an argument so that callers (and
 * tests) choose it.  notBefore of issued certificates and lastUpdate of
 * CRLs are backdated by CRN_CERT_CLOCK_SKEW seconds to tolerate clocks
 * that disagree a little.
 *
 * Thread safety: the CA functions serialise on the directory's fcntl lock
 * (between processes) and a mutex (between threads); a crn_cert_store may
 * be used by several threads at once.
 */
#ifndef CRN_CRYPTO_CERT_H
#define CRN_CRYPTO_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/file.h"
#include "crypto/crypto.h"

#define CRN_CERT_NAME_MAX   64    /* longest CN */
#define CRN_CERT_SERIAL_LEN 16    /* 128-bit serial numbers */
#define CRN_CERT_MAX_DAYS   36500 /* validity periods are 1..this */
#define CRN_CERT_CRL_DAYS   30    /* nextUpdate of CRLs we issue */
#define CRN_CERT_CLOCK_SKEW 300   /* backdating, seconds */
#define CRN_CERT_MAX_LEN    65536 /* refuse larger PEM/DER inputs */

/* Roles are bits so that a verifier can accept several (role_mask). */
typedef enum crn_role {
	CRN_ROLE_COORDINATOR = 1,
	CRN_ROLE_NODE = 2,
	CRN_ROLE_RESEARCHER = 4,
} crn_role;
#define CRN_ROLE_ANY                                                           \
	(CRN_ROLE_COORDINATOR | CRN_ROLE_NODE | CRN_ROLE_RESEARCHER)

/* "coordinator", "node", "researcher"; "?" for anything else. */
const char *crn_role_name(crn_role role);
/* Parse one of the three role names; CAIRN_EINVAL otherwise. */
CAIRN_NODISCARD cairn_err crn_role_parse(const char *s, crn_role *out);

/* A certificate name: 1..64 characters of [A-Za-z0-9._-]. */
bool crn_cert_name_valid(const char *name);
/* A CA's display name: 1..64 bytes of printable UTF-8 (no control
 * characters, no bidirectional overrides), not only spaces ("Example
 * federation CA"). */
bool crn_ca_name_valid(const char *name);
/* Copy in (NULL: "") to out for a log line or a message: printable ASCII
 * as is, a backslash doubled, every other byte as \xHH; truncated to fit
 * outlen (> 0) with a NUL.  4 * strlen(in) + 1 bytes always suffice. */
void crn_name_escape(const char *in, char *out, size_t outlen);

/* What a verified certificate (or a checked request) says. */
typedef struct crn_cert_info {
	char name[CRN_CERT_NAME_MAX + 1];
	crn_role role;
	uint8_t pk[CAIRN_SIGN_PK_LEN];       /* the subject's Ed25519 key */
	uint8_t serial[CRN_CERT_SERIAL_LEN]; /* 0 for a request */
	int64_t not_before;                  /* 0 for a request */
	int64_t not_after;                   /* 0 for a request */
} crn_cert_info;

/* ---- the certificate authority (offline; reads the clock) ---------------- */

/*
 * Create a CA in the new directory dir (mode 0700): a fresh Ed25519 key,
 * a self-signed certificate with CN=ca_name (crn_ca_name_valid) valid for
 * days (1..36500), an empty CRL and an empty index.  CAIRN_EPERM if dir
 * already exists, CAIRN_EINVAL for a bad name or days, CAIRN_ESYS or
 * CAIRN_ENOENT for file errors.  On failure nothing is left behind.
 */
CAIRN_NODISCARD cairn_err crn_ca_init(
    const char *dir, const char *ca_name, int days);

/*
 * Sign the certificate request csr_pem (PEM, NUL-terminated) for days
 * (1..36500) from now, as a certificate of role.  The request's signature
 * must verify (CAIRN_ETAMPERED otherwise); its name is copied, the
 * subject is rebuilt by the CA.  The role is the CA operator's decision,
 * not the requester's: a request that asks for another role is refused
 * with CAIRN_EROLE (and logged), so that nobody obtains a coordinator or
 * researcher certificate by asking for one.  CAIRN_EINVAL for a role that
 * is not one of the three.  CAIRN_EPERM if a certificate for that name is
 * issued, not revoked and not expired.  On success *cert_pem is a new
 * NUL-terminated PEM string the caller frees with crn_strfree.
 */
CAIRN_NODISCARD cairn_err crn_ca_sign(const char *dir, const char *csr_pem,
    crn_role role, int days, char **cert_pem);

/*
 * crn_ca_sign with an explicit validity period (not_before < not_after),
 * for tests that need expired or not-yet-valid certificates and for
 * operators who need a fixed window.  Not backdated.
 */
CAIRN_NODISCARD cairn_err crn_ca_sign_validity(const char *dir,
    const char *csr_pem, crn_role role, int64_t not_before, int64_t not_after,
    char **cert_pem);

/*
 * Revoke the current certificate of name: mark it in the index and write
 * a new CRL (next crlNumber, nextUpdate in CRN_CERT_CRL_DAYS days).
 * CAIRN_ENOENT if no certificate was issued for name, CAIRN_ESTATE if
 * every certificate of name is already revoked.
 */
CAIRN_NODISCARD cairn_err crn_ca_revoke(const char *dir, const char *name);

/* Re-issue the CRL (same entries, next crlNumber) valid for days
 * (1..36500): run this before the current CRL's nextUpdate passes. */
CAIRN_NODISCARD cairn_err crn_ca_crl_renew(const char *dir, int days);

/* ---- certificate requests ------------------------------------------------ */

/*
 * A PKCS#10 request for id's key, subject "OU=<role>, CN=<name>", signed
 * by id (which proves possession of the key).  CAIRN_EINVAL for a bad name
 * or role.  *pem is a new NUL-terminated string; free with crn_strfree.
 */
CAIRN_NODISCARD cairn_err crn_csr_new(
    const crn_identity *id, crn_role role, const char *name, char **pem);

/*
 * Parse csr_pem, check its signature (CAIRN_ETAMPERED if it does not
 * verify), its key type (Ed25519), name and role (CAIRN_EINVAL), and fill
 * *info (serial and times zero).  Lets the CA operator see a request
 * before signing it.
 */
CAIRN_NODISCARD cairn_err crn_csr_inspect(
    const char *csr_pem, crn_cert_info *info);

/* ---- verification -------------------------------------------------------- */

/*
 * A trust anchor (the federation CA) and its CRL, parsed once.  It caches
 * successful verifications (keyed by SHA-256 of the presented bytes) and
 * reuses one only while the certificate, the CA and the CRL are all still
 * within their validity at the time asked about, so a cached answer is
 * always the answer a full verification would give.  Load a new store to
 * take a new CRL into account.
 */
typedef struct crn_cert_store crn_cert_store;

/*
 * ca_pem: the CA certificate; crl_pem: the CA's CRL (required: every
 * party checks revocation).  Both PEM (or DER) of at most
 * CRN_CERT_MAX_LEN bytes.  CAIRN_EINVAL if either does not parse or the
 * CA certificate is not a CA.  The inputs are copied.
 */
CAIRN_NODISCARD cairn_err crn_cert_store_new(crn_cert_store **out,
    const uint8_t *ca, size_t ca_len, const uint8_t *crl, size_t crl_len);
void crn_cert_store_free(crn_cert_store *s);

/*
 * Verify cert (PEM or DER, detected) at time now against the store and
 * accept it only if its role is in role_mask.  On CAIRN_OK *info is
 * filled.  Otherwise a distinct code per reason; when several apply the
 * first in this list wins:
 *   CAIRN_EINVAL      not a certificate, not Ed25519, or trailing bytes
 *   CAIRN_ETOOBIG     larger than CRN_CERT_MAX_LEN
 *   CAIRN_EUNKNOWNCA  not issued by this CA (another CA, even one with the
 *                     same name; or the CA certificate itself is unusable)
 *   CAIRN_ETAMPERED   the CA's signature does not match (altered bytes)
 *   CAIRN_EREVOKED    on the CRL
 *   CAIRN_EEXPIRED    now is after notAfter (of it or of the CA)
 *   CAIRN_ENOTYET     now is before notBefore
 *   CAIRN_EEXPIRED / CAIRN_ENOTYET  the CRL is stale (now past its
 *                     nextUpdate) or from the future; logged as such
 *   CAIRN_ECONFIG     the CRL is not from this CA or is not signed by it
 *   CAIRN_EROLE       role not in role_mask, subject not of our shape,
 *                     or a CA certificate presented as a participant's
 *   CAIRN_EAUTH       any other verification failure
 */
CAIRN_NODISCARD cairn_err crn_cert_store_verify(const crn_cert_store *s,
    const uint8_t *cert, size_t cert_len, unsigned role_mask, int64_t now,
    crn_cert_info *info);

/* ---- CRL freshness ------------------------------------------------------ */

/*
 * Where a CRL stands in its CA's sequence.  A CRL is signed, so nobody can
 * forge one, but an older CRL of the same CA verifies as well as the
 * current one: putting it back would un-revoke everything revoked since.
 * So each party remembers the highest mark it has accepted (for the
 * process, and in its state directory when it has one) and refuses a CRL
 * whose number or thisUpdate is lower.
 */
typedef struct crn_crl_mark {
	uint8_t ca[32];      /* SHA-256 of the CA certificate's key; 0: none */
	uint64_t number;     /* crlNumber; 0 when the CRL has none */
	int64_t this_update; /* thisUpdate (lastUpdate), seconds */
} crn_crl_mark;

/* The mark of the store's CA and CRL. */
void crn_cert_store_crl_mark(const crn_cert_store *s, crn_crl_mark *out);

/*
 * CAIRN_OK if a CRL with mark cand may replace one with mark floor: floor
 * is empty (all zero), or is for another CA (a new CA starts its own
 * sequence), or cand's number and thisUpdate are both at least floor's.
 * CAIRN_EREPLAY when cand goes back.
 */
CAIRN_NODISCARD cairn_err crn_crl_mark_check(
    const crn_crl_mark *floor, const crn_crl_mark *cand);

/*
 * Keep a mark in a small text file.  crn_crl_mark_load: CAIRN_ENOENT (and
 * an empty mark) when the file does not exist, CAIRN_EDATA when it is
 * damaged.  crn_crl_mark_save writes a temporary file, fsyncs it and
 * renames it over path (mode 0600), so a crash leaves the old mark or the
 * new one.  Errors: CAIRN_ESYS (logged with errno), CAIRN_ETOOBIG.
 */
CAIRN_NODISCARD cairn_err crn_crl_mark_load(
    const char *path, crn_crl_mark *out);
CAIRN_NODISCARD cairn_err crn_crl_mark_save(
    const char *path, const crn_crl_mark *m);

/* One-shot: crn_cert_store_new + crn_cert_store_verify + free.  ca_pem and
 * crl_pem are NUL-terminated PEM strings. */
CAIRN_NODISCARD cairn_err crn_cert_verify(const char *ca_pem,
    const char *crl_pem, const uint8_t *cert, size_t cert_len,
    unsigned role_mask, int64_t now, crn_cert_info *info);

/*
 * Parse a certificate and report what it says WITHOUT verifying anything.
 * For display only; never base a decision on it.
 */
CAIRN_NODISCARD cairn_err crn_cert_inspect(
    const uint8_t *cert, size_t cert_len, crn_cert_info *info);

/* ---- encodings and files ------------------------------------------------- */

/* Certificates travel in envelopes as DER.  *der is freed with
 * crn_free(*der, *der_len); *pem with crn_strfree.  CAIRN_EINVAL if the
 * input is not one certificate in the expected encoding. */
CAIRN_NODISCARD cairn_err crn_cert_pem_to_der(
    const char *pem, uint8_t **der, size_t *der_len);
CAIRN_NODISCARD cairn_err crn_cert_der_to_pem(
    const uint8_t *der, size_t der_len, char **pem);

/* crn_file_read is base/file.h's (included above). */

/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d (Howard
 * Hinnant's days_from_civil algorithm; m 1..12,
 * d 1..31, already range-checked), for turning calendar dates into the
 * int64_t seconds used above. */
int64_t crn_days_from_civil(int64_t y, int64_t m, int64_t d);

#endif /* CRN_CRYPTO_CERT_H */
