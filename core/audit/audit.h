/*
 * audit.h — a party's append-only, hash-chained, signed audit log.
 *
 * One entry per line of a text file (audit.log in the party's state
 * directory), written with O_APPEND and flushed to disk (fsync) before the
 * call returns:
 *
 *   {"seq":N,"time":"RFC 3339 UTC","prev":"<64 hex>","type":"<word>",
 *    "fields":{"key":"value",...},"sig":"<128 hex>"}
 *
 * seq counts from 1; prev is the hash of the previous line (64 zeros for
 * the first); the hash of a line is BLAKE2b-256 over its bytes without the
 * newline (crn_hash_commit under a fixed key, purpose "audit-entry"); sig
 * is Ed25519 by the party's identity key over "cairn-audit-v1" NUL and the
 * line's bytes up to, not including, ,"sig":.  Values are JSON strings
 * (quote, backslash and control characters escaped); keys are [a-z_]+.
 * The first entry, and every entry where the signing key changes, has
 * type "open" and a field "key" with the new public key in hex, signed by
 * that key: verification checks each entry against the key of the newest
 * "open" before it (or against one key the caller names).
 *
 * A verifier names the first entry that is wrong: altered bytes (hash,
 * signature or syntax), a deleted or reordered entry (seq out of order or
 * prev not the previous line's hash), a truncated last line.  Only the
 * holder of the key can append; nobody can change or drop an entry
 * without the change showing at that entry, and dropping the tail shows
 * against any head (seq, hash) someone recorded earlier: the coordinator
 * signs its head into every job it offers (crn_audit_head_sign), and
 * nodes log it.
 *
 * Thread safety: one crn_audit per thread; verification is reentrant.
 */
#ifndef CRN_AUDIT_AUDIT_H
#define CRN_AUDIT_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/crypto.h"

#define CRN_AUDIT_HASH_LEN 32
/* Longest line accepted or written (SQL text is in it). */
#define CRN_AUDIT_LINE_MAX (1024 * 1024)
/* "2026-12-05T05:10:00Z" + NUL */
#define CRN_AUDIT_TIME_LEN 21
#define CRN_AUDIT_TYPE_MAX 31
/* seq (8, big-endian) || hash (32) || Ed25519 signature (64) */
#define CRN_AUDIT_HEAD_LEN (8 + CRN_AUDIT_HASH_LEN + CAIRN_SIG_LEN)

/* Event types the daemons write (others may be added; verify accepts any
 * [a-z_]+ word). */
#define CRN_AUDIT_OPEN     "open"         /* key */
#define CRN_AUDIT_RECEIVED "received"     /* job, researcher, dataset, sql... */
#define CRN_AUDIT_DECISION "decision"     /* job, decision, reason */
#define CRN_AUDIT_BUDGET   "budget"       /* job, researcher, dataset, charge */
#define CRN_AUDIT_PARTIES  "participants" /* job, pass, nodes */
#define CRN_AUDIT_OUTCOME  "outcome"      /* job, outcome, detail */

typedef struct crn_audit crn_audit;

typedef struct crn_audit_field {
	const char *key;
	const char *value;
} crn_audit_field;

/*
 * Open the log at path for appending with key id (borrowed: it must
 * outlive the log), creating the file (mode 0600) when missing.  The
 * existing file is verified first (crn_audit_verify_file, every key
 * accepted) and refused when any entry is wrong: a daemon must not extend
 * a log it cannot vouch for.  When the file is new, or its newest key is
 * not id's, an "open" entry with id's key is appended.  now is unix time.
 * Errors (err gets one line naming the file and the entry): CAIRN_ESYS,
 * CAIRN_ETAMPERED (the file does not verify), CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_audit_open(crn_audit **out, const char *path,
    const crn_identity *id, uint64_t now, char *err, size_t errlen);

/* Close and free; NULL-safe. */
void crn_audit_close(crn_audit *a);

/*
 * Append one entry of type `type` ([a-z_]+) with nf fields (keys [a-z_]+,
 * values any NUL-terminated text; NULL values are written as "").  On disk
 * before CAIRN_OK.  CAIRN_EINVAL (bad type or key, line too long),
 * CAIRN_ESYS (write or fsync failed; the head does not move),
 * CAIRN_ENOMEM, CAIRN_ECRYPTO.
 */
CAIRN_NODISCARD cairn_err crn_audit_append(crn_audit *a, uint64_t now,
    const char *type, const crn_audit_field *f, size_t nf);

/*
 * The hook for budget accounting: one "budget" entry with the job (hex),
 * researcher, dataset, the charge and what remains (free text, e.g.
 * "rho=0.05"), appended before the charge is acted on.
 */
CAIRN_NODISCARD cairn_err crn_audit_budget(crn_audit *a, uint64_t now,
    const char *job, const char *researcher, const char *dataset,
    const char *charge, const char *remaining);

/* The newest entry's seq and hash (0 and zeros for an empty log). */
void crn_audit_head(
    const crn_audit *a, uint64_t *seq, uint8_t hash[CRN_AUDIT_HASH_LEN]);

/*
 * A signed head for job job_id (16 bytes): seq, hash and an Ed25519
 * signature by the log's key over "cairn-audit-head-v1" NUL, job_id, seq
 * (8 bytes big-endian) and hash, in out (CRN_AUDIT_HEAD_LEN bytes).
 */
CAIRN_NODISCARD cairn_err crn_audit_head_sign(const crn_audit *a,
    const uint8_t job_id[16], uint8_t out[CRN_AUDIT_HEAD_LEN]);
/* Check a signed head against job_id and pk; on CAIRN_OK *seq and hash
 * are its contents.  CAIRN_EINVAL (length), CAIRN_EAUTH. */
CAIRN_NODISCARD cairn_err crn_audit_head_check(const uint8_t *head, size_t len,
    const uint8_t job_id[16], const uint8_t pk[CAIRN_SIGN_PK_LEN],
    uint64_t *seq, uint8_t hash[CRN_AUDIT_HASH_LEN]);

/* ---- reading and verifying ---------------------------------------------- */

/* One verified entry, as the visitor sees it (all borrowed for the call). */
typedef struct crn_audit_entry {
	uint64_t seq;
	uint64_t line; /* 1-based line number in the file */
	char time[CRN_AUDIT_TIME_LEN];
	char type[CRN_AUDIT_TYPE_MAX + 1];
	uint8_t hash[CRN_AUDIT_HASH_LEN];
	uint8_t key[CAIRN_SIGN_PK_LEN]; /* the key that signed it */
	size_t nfields;
	char **keys;   /* decoded field keys */
	char **values; /* decoded field values */
	size_t cap;    /* internal: room in keys and values */
} crn_audit_entry;

/* Called for each entry in order once it verified; a non-OK return stops
 * the walk and is returned. */
typedef cairn_err (*crn_audit_visit)(void *arg, const crn_audit_entry *e);

/* Result of a verification. */
typedef struct crn_audit_report {
	uint64_t entries;  /* entries that verified */
	uint64_t bad;      /* 1-based index of the first bad entry, 0 if none */
	uint64_t keys;     /* distinct "open" entries seen */
	uint64_t head_seq; /* last good entry */
	uint8_t head[CRN_AUDIT_HASH_LEN];
	uint8_t key[CAIRN_SIGN_PK_LEN]; /* key of the last good entry */
	char why[256];                  /* the first problem, one line */
} crn_audit_report;

/*
 * Verify the text buf (len bytes, the file's contents): each line parses,
 * its seq is the previous one plus one, prev is the previous line's hash,
 * its signature verifies under the current key (pk when given: then every
 * entry must be signed by pk, and "open" entries naming another key are
 * refused).  Stops at the first bad entry: CAIRN_ETAMPERED with rep->bad
 * and rep->why set.  A last line without its newline is reported as
 * truncated.  visit (may be NULL) sees each good entry.
 */
CAIRN_NODISCARD cairn_err crn_audit_verify_buf(const char *buf, size_t len,
    const uint8_t *pk, crn_audit_visit visit, void *arg, crn_audit_report *rep);

/* crn_audit_verify_buf over a file; CAIRN_ESYS / CAIRN_ENOENT when it
 * cannot be read (rep->why says so). */
CAIRN_NODISCARD cairn_err crn_audit_verify_file(const char *path,
    const uint8_t *pk, crn_audit_visit visit, void *arg, crn_audit_report *rep);

/* The value of field key in e, or NULL. */
const char *crn_audit_field_get(const crn_audit_entry *e, const char *key);

/* Format unix time t as RFC 3339 UTC (CRN_AUDIT_TIME_LEN bytes). */
void crn_audit_time(uint64_t t, char out[CRN_AUDIT_TIME_LEN]);
/* Parse RFC 3339 ("YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS" with "Z" or an
 * offset "+HH:MM", fractions ignored) to unix time.  CAIRN_EINVAL. */
CAIRN_NODISCARD cairn_err crn_audit_time_parse(const char *s, uint64_t *t);

#endif /* CRN_AUDIT_AUDIT_H */
