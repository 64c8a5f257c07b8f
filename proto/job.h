/*
 * job.h — jobs as researchers sign them and nodes verify them.
 *
 * A researcher signs the serialized Job (proto/cairn.proto) with its
 * identity key over "cairn-job-v1" || job bytes and ships it in a SignedJob
 * with its certificate.  Nodes verify the certificate themselves (chain,
 * revocation, role) and then the signature with the key the certificate
 * carries, so a coordinator cannot forge or alter a job.
 */
#ifndef CRN_PROTO_JOB_H
#define CRN_PROTO_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/crypto.h"

#define CRN_JOB_ID_LEN 16
/* A job is small (a plan, some names); anything bigger is refused. */
#define CRN_JOB_MAX  (1024u * 1024u)
#define CRN_NAME_MAX 256

typedef enum crn_job_kind {
	CRN_JOB_SUM_COLUMN = 1, /* sum of one numeric column */
	CRN_JOB_QUERY = 2,      /* a planned SQL aggregate query */
	CRN_JOB_MODEL = 3,      /* a federated model (core/model) */
	CRN_JOB_CODE = 4,       /* an approved Lua program (core/lua) */
} crn_job_kind;

/* JOB_CODE limits: the program's bytes and its parameters. */
#define CRN_JOB_CODE_MAX   (256u * 1024u)
#define CRN_JOB_PARAMS_MAX 16384u
/* Named parameters: at most this many, each name an identifier
 * ([A-Za-z_][A-Za-z0-9_]*) of at most CRN_JOB_PNAME_MAX bytes. */
#define CRN_JOB_NAMED_MAX 32u
#define CRN_JOB_PNAME_MAX 32u

typedef struct crn_job {
	uint8_t job_id[CRN_JOB_ID_LEN];
	crn_job_kind kind;
	char *dataset; /* owned, never NULL after decode */
	char *column;  /* owned, "" when unused */
	char *sql;     /* owned, "" when unused */
	uint8_t *plan; /* owned encoded QueryPlan, or NULL */
	size_t plan_len;
	uint64_t issued_at; /* unix seconds */
	uint64_t not_after; /* unix seconds */
	uint32_t ring_bits;
	uint64_t dim;
	uint8_t *model; /* owned encoded ModelSpec (JOB_MODEL), or NULL */
	size_t model_len;
	/* JOB_CODE (all owned; zero otherwise).  code_hash is SHA-256 of
	 * code, computed by the decoder, never taken from the wire: the
	 * identity operators approve and the audit log records. */
	uint8_t *code;
	size_t code_len;
	uint8_t code_hash[32];
	double *params;
	size_t nparams;
	double out_lo, out_hi;
	uint32_t out_scale;
	uint64_t out_len;
	char *where; /* "" when none */
	uint32_t round;
	char **pnames; /* named parameters: pnames[i] = pvalues[i] */
	double *pvalues;
	size_t nnamed;
	/* Differential privacy asked for the job: epsilon 0 for none. */
	double dp_epsilon;
	double dp_delta;
} crn_job;

/* A SignedJob as it travels; every buffer is owned. */
typedef struct crn_signed_job {
	uint8_t *job;
	size_t job_len;
	uint8_t *cert; /* DER certificate of the researcher */
	size_t cert_len;
	uint8_t sig[CAIRN_SIG_LEN];
} crn_signed_job;

/* Is s a valid parameter name (an identifier of at most
 * CRN_JOB_PNAME_MAX bytes)? */
bool crn_job_pname_ok(const char *s);

/* Free what the struct owns; safe on zeroed storage. */
void crn_job_fini(crn_job *job);
void crn_signed_job_fini(crn_signed_job *sj);

/* Wire codecs (proto/codec_job.c).  Decoders refuse more than
 * CRN_JOB_MAX bytes (CAIRN_ETOOBIG) and malformed input (CAIRN_EINVAL). */
CAIRN_NODISCARD cairn_err crn_job_encode(
    const crn_job *job, uint8_t **out, size_t *outlen);
CAIRN_NODISCARD cairn_err crn_job_decode(
    crn_job *out, const uint8_t *buf, size_t len);
CAIRN_NODISCARD cairn_err crn_signed_job_encode(
    const crn_signed_job *sj, uint8_t **out, size_t *outlen);
CAIRN_NODISCARD cairn_err crn_signed_job_decode(
    crn_signed_job *out, const uint8_t *buf, size_t len);

#endif /* CRN_PROTO_JOB_H */
