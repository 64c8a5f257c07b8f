/*
 * cert.c — the federation PKI on OpenSSL 3: CA directory, certificate
 * requests, issuing, revocation lists and verification.  The design (role
 * in the subject OU, the CA directory layout, error ranking) is written
 * down in cert.h.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <sodium.h>

#include "base/crn.h"
#include "crypto/cert.h"

#define CA_KEY         "ca.key"
#define CA_CRT         "ca.crt"
#define CA_CRL         "crl.pem"
#define CA_INDEX       "index.txt"
#define CA_LOCK        ".lock"
#define CA_INDEX_MAGIC "# cairn-ca index v1"
#define CA_PATH_MAX    4096

/* ---- small helpers ------------------------------------------------------- */

/* Log and drop OpenSSL's error queue so no stale entry outlives a call. */
static void
ossl_drain(const char *what)
{
	unsigned long e;
	char buf[256];

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		crn_log_debug("%s: %s", what, buf);
	}
}

/* Never prompt for a passphrase on the terminal. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

const char *
crn_role_name(crn_role role)
{
	switch (role) {
	case CRN_ROLE_COORDINATOR: return "coordinator";
	case CRN_ROLE_NODE: return "node";
	case CRN_ROLE_RESEARCHER: return "researcher";
	}
	return "?";
}

cairn_err
crn_role_parse(const char *s, crn_role *out)
{
	static const crn_role all[] = {
	    CRN_ROLE_COORDINATOR, CRN_ROLE_NODE, CRN_ROLE_RESEARCHER};

	for (size_t i = 0; i < CRN_NELEM(all); i++) {
		if (strcmp(s, crn_role_name(all[i])) == 0) {
			*out = all[i];
			return CAIRN_OK;
		}
	}
	return CAIRN_EINVAL;
}

static bool
role_valid(crn_role role)
{
	return role == CRN_ROLE_COORDINATOR || role == CRN_ROLE_NODE ||
	    role == CRN_ROLE_RESEARCHER;
}

bool
crn_cert_name_valid(const char *name)
{
	size_t n;

	if (name == NULL)
		return false;
	for (n = 0; name[n] != '\0'; n++) {
		char c = name[n];
		if (n >= CRN_CERT_NAME_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		        c == '-'))
			return false;
	}
	return n > 0;
}

/*
 * Length (1..4) of the UTF-8 sequence at s when it is well formed (no
 * overlong form, no surrogate, at most U+10FFFF) and printable: not a C0
 * or C1 control, not DEL, not a line separator or a bidirectional
 * override (which could make a name display as another).  0 otherwise.
 */
static size_t
utf8_printable(const unsigned char *s)
{
	unsigned c = s[0], cp;
	size_t n;

	if (c >= 0x20 && c < 0x7f)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	cp = c & (0x7fu >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp < 0xa0 ||
	    cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return 0;
	return n;
}

/*
 * The CA's own name is a display name chosen by the operator ("Example
 * federation CA", "Fédération"): any printable UTF-8 of 1..64 bytes with
 * at least one character that is not a space.  It never names a
 * participant, so the participant rule does not bind it.
 */
bool
crn_ca_name_valid(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	bool visible = false;
	size_t i = 0, k;

	if (name == NULL)
		return false;
	while (s[i] != '\0') {
		if ((k = utf8_printable(s + i)) == 0)
			return false;
		visible = visible || s[i] != ' ';
		i += k;
		if (i > CRN_CERT_NAME_MAX)
			return false;
	}
	return visible;
}

void
crn_name_escape(const char *in, char *out, size_t outlen)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	if (outlen == 0)
		return;
	for (; in != NULL && *s != '\0'; s++) {
		size_t need = *s == '\\'        ? 2
		    : (*s >= 0x20 && *s < 0x7f) ? 1
		                                : 4;

		if (o + need >= outlen)
			break;
		if (need == 1) {
			out[o++] = (char)*s;
		} else if (need == 2) {
			out[o++] = '\\';
			out[o++] = '\\';
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = digits[*s >> 4];
			out[o++] = digits[*s & 15];
		}
	}
	out[o] = '\0';
}

static bool
days_valid(int days)
{
	return days >= 1 && days <= CRN_CERT_MAX_DAYS;
}

static void
hex_encode(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool
hex_decode(uint8_t *out, size_t n, const char *in)
{
	if (strlen(in) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_nibble(in[2 * i]), lo = hex_nibble(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* days since 1970-01-01 of a proleptic Gregorian date (m 1..12). */
int64_t
crn_days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	/* Count years from March so the leap day falls at the end. */
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static cairn_err
asn1_time_to_unix(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return CAIRN_EINVAL;
	*out = crn_days_from_civil((int64_t)tm.tm_year + 1900,
	           (int64_t)tm.tm_mon + 1, tm.tm_mday) *
	        86400 +
	    (int64_t)tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	return CAIRN_OK;
}

/* Copy a memory BIO's contents into a new NUL-terminated crn_ string. */
static cairn_err
bio_to_string(BIO *bio, char **out)
{
	char *data = NULL, *s;
	long n = BIO_get_mem_data(bio, &data);

	*out = NULL;
	if (n <= 0 || data == NULL)
		return CAIRN_ECRYPTO;
	if ((s = crn_alloc((size_t)n + 1)) == NULL)
		return CAIRN_ENOMEM;
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	*out = s;
	return CAIRN_OK;
}

/* An OpenSSL key object for id (private); the seed copy is wiped. */
static cairn_err
identity_pkey(const crn_identity *id, EVP_PKEY **out)
{
	uint8_t seed[CAIRN_SIGN_SEED_LEN];

	crn_identity_seed(id, seed);
	*out = EVP_PKEY_new_raw_private_key(
	    EVP_PKEY_ED25519, NULL, seed, sizeof(seed));
	cairn_memzero(seed, sizeof(seed));
	if (*out == NULL) {
		ossl_drain("EVP_PKEY_new_raw_private_key");
		return CAIRN_ECRYPTO;
	}
	return CAIRN_OK;
}

static bool
looks_like_pem(const uint8_t *buf, size_t len)
{
	static const char tag[] = "-----BEGIN ";
	size_t i = 0;

	while (i < len &&
	    (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' ||
	        buf[i] == '\n'))
		i++;
	return len - i >= sizeof(tag) - 1 &&
	    memcmp(buf + i, tag, sizeof(tag) - 1) == 0;
}

/* Parse one certificate, PEM or DER. */
/*
 * Exactly one PEM "CERTIFICATE" block whose base64 holds exactly one DER
 * certificate, and nothing but whitespace after it: PEM input is held to
 * the same rule as DER (no bytes riding along), and a second certificate
 * appended to the first is refused rather than silently dropped.
 */
static X509 *
pem_one_cert(BIO *bio)
{
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	const unsigned char *q;
	long dlen = 0;
	X509 *x = NULL;
	char c;

	if (PEM_read_bio(bio, &name, &header, &data, &dlen) != 1)
		goto out;
	if (strcmp(name, PEM_STRING_X509) != 0 || header[0] != '\0')
		goto out;
	q = data;
	if ((x = d2i_X509(NULL, &q, dlen)) == NULL)
		goto out;
	if (q != data + dlen)
		goto bad;
	while (BIO_read(bio, &c, 1) == 1) {
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			goto bad;
	}
	goto out;
bad:
	X509_free(x);
	x = NULL;
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	return x;
}

static cairn_err
x509_parse(const uint8_t *buf, size_t len, X509 **out)
{
	const unsigned char *p = buf;
	BIO *bio = NULL;
	X509 *x = NULL;

	*out = NULL;
	if (buf == NULL || len == 0)
		return CAIRN_EINVAL;
	if (len > CRN_CERT_MAX_LEN)
		return CAIRN_ETOOBIG;
	if (looks_like_pem(buf, len)) {
		if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
			return CAIRN_ENOMEM;
		x = pem_one_cert(bio);
		BIO_free(bio);
	} else {
		x = d2i_X509(NULL, &p, (long)len);
		/* Trailing bytes would be unsigned data riding along. */
		if (x != NULL && p != buf + len) {
			X509_free(x);
			x = NULL;
		}
	}
	if (x == NULL) {
		ossl_drain("x509_parse");
		return CAIRN_EINVAL;
	}
	*out = x;
	return CAIRN_OK;
}

static cairn_err
crl_parse(const uint8_t *buf, size_t len, X509_CRL **out)
{
	const unsigned char *p = buf;
	BIO *bio = NULL;
	X509_CRL *c = NULL;

	*out = NULL;
	if (buf == NULL || len == 0)
		return CAIRN_EINVAL;
	if (len > CRN_CERT_MAX_LEN)
		return CAIRN_ETOOBIG;
	if (looks_like_pem(buf, len)) {
		if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
			return CAIRN_ENOMEM;
		c = PEM_read_bio_X509_CRL(bio, NULL, no_passphrase, NULL);
		BIO_free(bio);
	} else {
		c = d2i_X509_CRL(NULL, &p, (long)len);
		if (c != NULL && p != buf + len) {
			X509_CRL_free(c);
			c = NULL;
		}
	}
	if (c == NULL) {
		ossl_drain("crl_parse");
		return CAIRN_EINVAL;
	}
	*out = c;
	return CAIRN_OK;
}

static cairn_err
ca_path(char *out, const char *dir, const char *file)
{
	int n = snprintf(out, CA_PATH_MAX, "%s/%s", dir, file);

	if (n < 0 || n >= CA_PATH_MAX)
		return CAIRN_ETOOBIG;
	return CAIRN_OK;
}

/* ---- the CA's index ------------------------------------------------------ */

struct ca_entry {
	char status; /* 'V' valid or 'R' revoked */
	uint8_t serial[CRN_CERT_SERIAL_LEN];
	int64_t not_after;
	int64_t revoked_at; /* 0 unless revoked */
	crn_role role;
	char name[CRN_CERT_NAME_MAX + 1];
};

struct ca_index {
	struct ca_entry *e;
	size_t n, cap;
	uint64_t crl_number; /* of the last CRL written */
};

static void
ca_index_fini(struct ca_index *idx)
{
	crn_free(idx->e, idx->cap * sizeof(*idx->e));
	memset(idx, 0, sizeof(*idx));
}

static cairn_err
ca_index_add(struct ca_index *idx, const struct ca_entry *ent)
{
	if (idx->n == idx->cap) {
		size_t cap = idx->cap == 0 ? 16 : idx->cap * 2, bytes;
		struct ca_entry *e;

		if (crn_mul_size(cap, sizeof(*e), &bytes) != 0)
			return CAIRN_ENOMEM;
		e = crn_realloc(idx->e, idx->cap * sizeof(*e), bytes);
		if (e == NULL)
			return CAIRN_ENOMEM;
		idx->e = e;
		idx->cap = cap;
	}
	idx->e[idx->n++] = *ent;
	return CAIRN_OK;
}

/* Parse one "S serial not_after revoked_at role name" line. */
static cairn_err
ca_index_parse_line(char *line, struct ca_entry *ent)
{
	char *f[6], *save = NULL, *tok, *end;
	size_t nf = 0;
	long long v;

	memset(ent, 0, sizeof(*ent));
	for (tok = strtok_r(line, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save)) {
		if (nf == CRN_NELEM(f))
			return CAIRN_EDATA;
		f[nf++] = tok;
	}
	if (nf != CRN_NELEM(f) || strlen(f[0]) != 1 ||
	    (f[0][0] != 'V' && f[0][0] != 'R'))
		return CAIRN_EDATA;
	ent->status = f[0][0];
	if (!hex_decode(ent->serial, sizeof(ent->serial), f[1]))
		return CAIRN_EDATA;
	errno = 0;
	v = strtoll(f[2], &end, 10);
	if (errno != 0 || *end != '\0')
		return CAIRN_EDATA;
	ent->not_after = v;
	if (strcmp(f[3], "-") == 0) {
		if (ent->status != 'V')
			return CAIRN_EDATA;
	} else {
		v = strtoll(f[3], &end, 10);
		if (errno != 0 || *end != '\0' || ent->status != 'R')
			return CAIRN_EDATA;
		ent->revoked_at = v;
	}
	if (crn_role_parse(f[4], &ent->role) != CAIRN_OK ||
	    !crn_cert_name_valid(f[5]))
		return CAIRN_EDATA;
	memcpy(ent->name, f[5], strlen(f[5]) + 1);
	return CAIRN_OK;
}

static cairn_err
ca_index_load(const char *dir, struct ca_index *idx)
{
	char path[CA_PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	char *line, *save = NULL;
	struct ca_entry ent;
	bool header = false, number = false;
	cairn_err rv;

	memset(idx, 0, sizeof(*idx));
	if ((rv = ca_path(path, dir, CA_INDEX)) != CAIRN_OK)
		return rv;
	if ((rv = crn_file_read(path, 64u << 20, &buf, &len)) != CAIRN_OK)
		return rv;
	for (line = strtok_r((char *)buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!header) {
			if (strcmp(line, CA_INDEX_MAGIC) != 0) {
				rv = CAIRN_EDATA;
				goto out;
			}
			header = true;
			continue;
		}
		if (!number) {
			unsigned long long v;
			char *end;

			if (strncmp(line, "crlnumber ", 10) != 0) {
				rv = CAIRN_EDATA;
				goto out;
			}
			errno = 0;
			v = strtoull(line + 10, &end, 10);
			if (errno != 0 || *end != '\0') {
				rv = CAIRN_EDATA;
				goto out;
			}
			idx->crl_number = v;
			number = true;
			continue;
		}
		if ((rv = ca_index_parse_line(line, &ent)) != CAIRN_OK)
			goto out;
		if ((rv = ca_index_add(idx, &ent)) != CAIRN_OK)
			goto out;
	}
	rv = header && number ? CAIRN_OK : CAIRN_EDATA;
out:
	if (rv == CAIRN_EDATA)
		crn_log_err("%s/%s is malformed", dir, CA_INDEX);
	crn_free(buf, len + 1);
	if (rv != CAIRN_OK)
		ca_index_fini(idx);
	return rv;
}

static cairn_err
ca_index_save(const char *dir, const struct ca_index *idx)
{
	char path[CA_PATH_MAX], hex[2 * CRN_CERT_SERIAL_LEN + 1];
	char line[256], *buf = NULL;
	size_t cap, used = 0;
	int n;
	cairn_err rv;

	if ((rv = ca_path(path, dir, CA_INDEX)) != CAIRN_OK)
		return rv;
	/* Each line is below 200 bytes; one more for the header lines. */
	if (crn_mul_size(idx->n + 2, sizeof(line), &cap) != 0)
		return CAIRN_ENOMEM;
	if ((buf = crn_alloc(cap)) == NULL)
		return CAIRN_ENOMEM;
	n = snprintf(buf, cap, "%s\ncrlnumber %llu\n", CA_INDEX_MAGIC,
	    (unsigned long long)idx->crl_number);
	used = (size_t)n;
	for (size_t i = 0; i < idx->n; i++) {
		const struct ca_entry *e = &idx->e[i];
		char rev[32];

		hex_encode(hex, e->serial, sizeof(e->serial));
		if (e->status == 'R')
			snprintf(
			    rev, sizeof(rev), "%lld", (long long)e->revoked_at);
		else
			snprintf(rev, sizeof(rev), "-");
		n = snprintf(line, sizeof(line), "%c %s %lld %s %s %s\n",
		    e->status, hex, (long long)e->not_after, rev,
		    crn_role_name(e->role), e->name);
		CAIRN_ASSERT(n > 0 && (size_t)n < sizeof(line));
		memcpy(buf + used, line, (size_t)n);
		used += (size_t)n;
	}
	rv = crn_file_write_atomic(path, buf, used, 0600);
	crn_free(buf, cap);
	return rv;
}

/* ---- the CA's state on disk ---------------------------------------------- */

/*
 * fcntl locks belong to the process, so they keep two processes apart but
 * not two threads of one; this mutex covers the threads.
 */
static pthread_mutex_t ca_mutex = PTHREAD_MUTEX_INITIALIZER;

struct ca_ctx {
	int lockfd;
	bool mutex_held;
	crn_identity *id;
	EVP_PKEY *key;
	X509 *cert;
	struct ca_index idx;
};

static void
ca_close(struct ca_ctx *ca)
{
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	crn_identity_free(ca->id);
	ca_index_fini(&ca->idx);
	/* Closing the descriptor releases the fcntl lock. */
	if (ca->lockfd >= 0)
		(void)close(ca->lockfd);
	if (ca->mutex_held)
		(void)pthread_mutex_unlock(&ca_mutex);
	memset(ca, 0, sizeof(*ca));
	ca->lockfd = -1;
}

/*
 * Lock the CA directory and load key, certificate and index.  The lock
 * makes two concurrent "cairn ca sign" runs take turns, so that neither
 * loses the other's index entry.
 */
static cairn_err
ca_open(const char *dir, struct ca_ctx *ca)
{
	char path[CA_PATH_MAX];
	struct flock fl;
	uint8_t *pem = NULL;
	size_t len = 0;
	cairn_err rv;

	memset(ca, 0, sizeof(*ca));
	ca->lockfd = -1;
	if ((rv = ca_path(path, dir, CA_LOCK)) != CAIRN_OK)
		goto out;
	ca->lockfd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (ca->lockfd < 0) {
		rv = errno == ENOENT ? CAIRN_ENOENT : CAIRN_ESYS;
		crn_log_err(
		    "%s: %s (not a CA directory?)", path, strerror(errno));
		goto out;
	}
	if (pthread_mutex_lock(&ca_mutex) != 0) {
		rv = CAIRN_ESYS;
		goto out;
	}
	ca->mutex_held = true;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	while (fcntl(ca->lockfd, F_SETLKW, &fl) != 0) {
		if (errno != EINTR) {
			crn_log_err("lock %s: %s", path, strerror(errno));
			rv = CAIRN_ESYS;
			goto out;
		}
	}
	if ((rv = ca_path(path, dir, CA_KEY)) != CAIRN_OK)
		goto out;
	if ((rv = crn_identity_load(&ca->id, path)) != CAIRN_OK)
		goto out;
	if ((rv = identity_pkey(ca->id, &ca->key)) != CAIRN_OK)
		goto out;
	if ((rv = ca_path(path, dir, CA_CRT)) != CAIRN_OK)
		goto out;
	if ((rv = crn_file_read(path, CRN_CERT_MAX_LEN, &pem, &len)) !=
	    CAIRN_OK)
		goto out;
	if ((rv = x509_parse(pem, len, &ca->cert)) != CAIRN_OK)
		goto out;
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		ossl_drain("X509_check_private_key");
		crn_log_err("%s/%s does not match %s", dir, CA_CRT, CA_KEY);
		rv = CAIRN_ECONFIG;
		goto out;
	}
	rv = ca_index_load(dir, &ca->idx);
out:
	crn_free(pem, len + 1);
	if (rv != CAIRN_OK)
		ca_close(ca);
	return rv;
}

/* ---- building certificates and CRLs -------------------------------------- */

static cairn_err
set_time(ASN1_TIME *t, int64_t when)
{
	if (ASN1_TIME_set(t, (time_t)when) == NULL) {
		ossl_drain("ASN1_TIME_set");
		return CAIRN_EINVAL;
	}
	return CAIRN_OK;
}

static ASN1_INTEGER *
serial_to_asn1(const uint8_t serial[CRN_CERT_SERIAL_LEN])
{
	BIGNUM *bn = BN_bin2bn(serial, CRN_CERT_SERIAL_LEN, NULL);
	ASN1_INTEGER *a = NULL;

	if (bn != NULL)
		a = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	return a;
}

static cairn_err
serial_from_asn1(const ASN1_INTEGER *a, uint8_t serial[CRN_CERT_SERIAL_LEN])
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(a, NULL);
	cairn_err rv = CAIRN_OK;

	/* Serials we did not make may be longer: report zero for those. */
	if (bn == NULL || BN_is_negative(bn) ||
	    BN_bn2binpad(bn, serial, CRN_CERT_SERIAL_LEN) < 0)
		memset(serial, 0, CRN_CERT_SERIAL_LEN);
	if (bn == NULL)
		rv = CAIRN_ENOMEM;
	BN_free(bn);
	return rv;
}

/* A fresh serial: 128 random bits, positive, top bits set so the value
 * always takes all 16 bytes, and not in the index. */
static void
serial_new(const struct ca_index *idx, uint8_t serial[CRN_CERT_SERIAL_LEN])
{
	bool dup;

	do {
		crn_random_bytes(serial, CRN_CERT_SERIAL_LEN);
		serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x40);
		dup = false;
		for (size_t i = 0; i < idx->n; i++)
			if (memcmp(idx->e[i].serial, serial,
			        CRN_CERT_SERIAL_LEN) == 0)
				dup = true;
	} while (dup);
}

/* Add an extension given in openssl.cnf syntax ("critical,CA:FALSE"). */
static cairn_err
add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok;

	if (ext == NULL) {
		ossl_drain("X509V3_EXT_nconf_nid");
		return CAIRN_ECRYPTO;
	}
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	if (ok != 1) {
		ossl_drain("X509_add_ext");
		return CAIRN_ECRYPTO;
	}
	return CAIRN_OK;
}

/* "OU=<role>, CN=<name>" (our subject shape; see cert.h). */
static cairn_err
make_subject(X509_NAME **out, const char *ou, const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	*out = NULL;
	if (n == NULL)
		return CAIRN_ENOMEM;
	if ((ou != NULL &&
	        X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8,
	            (const unsigned char *)ou, -1, -1, 0) != 1) ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	        (const unsigned char *)cn, -1, -1, 0) != 1) {
		ossl_drain("X509_NAME_add_entry_by_txt");
		X509_NAME_free(n);
		return CAIRN_ECRYPTO;
	}
	*out = n;
	return CAIRN_OK;
}

/*
 * Build and sign a certificate.  issuer == NULL makes it self-signed (the
 * CA certificate, ca_name in cn and no ou).
 */
static cairn_err
build_cert(X509 **out, EVP_PKEY *sign_key, X509 *issuer, EVP_PKEY *subj_key,
    const char *ou, const char *cn, const uint8_t serial[CRN_CERT_SERIAL_LEN],
    int64_t not_before, int64_t not_after)
{
	X509 *x = NULL;
	X509_NAME *subj = NULL;
	ASN1_INTEGER *sn = NULL;
	X509V3_CTX v3;
	cairn_err rv = CAIRN_EINTERNAL;

	*out = NULL;
	if ((x = X509_new()) == NULL || (sn = serial_to_asn1(serial)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	if ((rv = make_subject(&subj, ou, cn)) != CAIRN_OK)
		goto out;
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_set_serialNumber(x, sn) != 1 ||
	    X509_set_subject_name(x, subj) != 1 ||
	    X509_set_issuer_name(x,
	        issuer != NULL ? X509_get_subject_name(issuer) : subj) != 1 ||
	    X509_set_pubkey(x, subj_key) != 1) {
		ossl_drain("X509_set_*");
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	if ((rv = set_time(X509_getm_notBefore(x), not_before)) != CAIRN_OK ||
	    (rv = set_time(X509_getm_notAfter(x), not_after)) != CAIRN_OK)
		goto out;
	X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	if (issuer == NULL) {
		/* RFC 5280 lets a self-signed certificate omit the AKID. */
		if ((rv = add_ext(x, &v3, NID_basic_constraints,
		         "critical,CA:TRUE,pathlen:0")) != CAIRN_OK ||
		    (rv = add_ext(x, &v3, NID_key_usage,
		         "critical,keyCertSign,cRLSign")) != CAIRN_OK ||
		    (rv = add_ext(x, &v3, NID_subject_key_identifier,
		         "hash")) != CAIRN_OK)
			goto out;
	} else {
		/*
		 * The AKID lets verifiers tell our CA from another CA that
		 * happens to have the same name: without it OpenSSL would
		 * pick our CA by name and report a bad signature instead of
		 * an unknown issuer.
		 */
		if ((rv = add_ext(x, &v3, NID_basic_constraints,
		         "critical,CA:FALSE")) != CAIRN_OK ||
		    (rv = add_ext(x, &v3, NID_key_usage,
		         "critical,digitalSignature")) != CAIRN_OK ||
		    (rv = add_ext(x, &v3, NID_subject_key_identifier,
		         "hash")) != CAIRN_OK ||
		    (rv = add_ext(x, &v3, NID_authority_key_identifier,
		         "keyid:always")) != CAIRN_OK)
			goto out;
	}
	/* Ed25519 signs the message itself: no digest (NULL). */
	if (X509_sign(x, sign_key, NULL) <= 0) {
		ossl_drain("X509_sign");
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	*out = x;
	x = NULL;
	rv = CAIRN_OK;
out:
	X509_free(x);
	X509_NAME_free(subj);
	ASN1_INTEGER_free(sn);
	return rv;
}

static cairn_err
x509_to_pem(X509 *x, char **out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	cairn_err rv;

	*out = NULL;
	if (bio == NULL)
		return CAIRN_ENOMEM;
	if (PEM_write_bio_X509(bio, x) != 1) {
		ossl_drain("PEM_write_bio_X509");
		BIO_free(bio);
		return CAIRN_ECRYPTO;
	}
	rv = bio_to_string(bio, out);
	BIO_free(bio);
	return rv;
}

/* Sign and write dir/crl.pem from the index, with the next CRL number. */
static cairn_err
ca_write_crl(const char *dir, struct ca_ctx *ca, int days)
{
	char path[CA_PATH_MAX], *pem = NULL;
	X509_CRL *crl = NULL;
	ASN1_TIME *t = NULL;
	ASN1_INTEGER *num = NULL;
	X509_EXTENSION *akid = NULL;
	X509V3_CTX v3;
	BIO *bio = NULL;
	int64_t now = (int64_t)time(NULL);
	cairn_err rv = CAIRN_EINTERNAL;

	if ((crl = X509_CRL_new()) == NULL || (t = ASN1_TIME_new()) == NULL ||
	    (num = ASN1_INTEGER_new()) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	if (X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) !=
	        1) {
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	if ((rv = set_time(t, now - CRN_CERT_CLOCK_SKEW)) != CAIRN_OK)
		goto out;
	if (X509_CRL_set1_lastUpdate(crl, t) != 1) {
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	if ((rv = set_time(t, now + (int64_t)days * 86400)) != CAIRN_OK)
		goto out;
	if (X509_CRL_set1_nextUpdate(crl, t) != 1) {
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	for (size_t i = 0; i < ca->idx.n; i++) {
		const struct ca_entry *e = &ca->idx.e[i];
		X509_REVOKED *r;
		ASN1_INTEGER *sn;
		int ok;

		if (e->status != 'R')
			continue;
		if ((r = X509_REVOKED_new()) == NULL) {
			rv = CAIRN_ENOMEM;
			goto out;
		}
		sn = serial_to_asn1(e->serial);
		ok = sn != NULL && X509_REVOKED_set_serialNumber(r, sn) == 1 &&
		    set_time(t, e->revoked_at) == CAIRN_OK &&
		    X509_REVOKED_set_revocationDate(r, t) == 1 &&
		    X509_CRL_add0_revoked(crl, r) == 1;
		ASN1_INTEGER_free(sn);
		if (!ok) {
			X509_REVOKED_free(r);
			ossl_drain("X509_CRL_add0_revoked");
			rv = CAIRN_ECRYPTO;
			goto out;
		}
	}
	X509V3_set_ctx(&v3, ca->cert, NULL, NULL, crl, 0);
	akid = X509V3_EXT_nconf_nid(
	    NULL, &v3, NID_authority_key_identifier, "keyid:always");
	if (akid == NULL || X509_CRL_add_ext(crl, akid, -1) != 1 ||
	    ASN1_INTEGER_set_uint64(num, ca->idx.crl_number + 1) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1 ||
	    X509_CRL_sort(crl) != 1) {
		ossl_drain("CRL extensions");
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	if (X509_CRL_sign(crl, ca->key, NULL) <= 0) {
		ossl_drain("X509_CRL_sign");
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	if (PEM_write_bio_X509_CRL(bio, crl) != 1) {
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	if ((rv = bio_to_string(bio, &pem)) != CAIRN_OK)
		goto out;
	/* The index records the number first: a number is never reused. */
	ca->idx.crl_number++;
	if ((rv = ca_index_save(dir, &ca->idx)) != CAIRN_OK)
		goto out;
	if ((rv = ca_path(path, dir, CA_CRL)) != CAIRN_OK)
		goto out;
	rv = crn_file_write_atomic(path, pem, strlen(pem), 0644);
out:
	crn_strfree(pem);
	BIO_free(bio);
	X509_EXTENSION_free(akid);
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
	return rv;
}

/* ---- the CA's operations ------------------------------------------------- */

/* Remove what crn_ca_init may have created, so a failed init can be run
 * again. */
static void
ca_init_cleanup(const char *dir)
{
	static const char *const files[] = {CA_KEY, CA_CRT, CA_CRL, CA_INDEX,
	    CA_LOCK, CA_CRT ".tmp", CA_CRL ".tmp", CA_INDEX ".tmp"};
	char path[CA_PATH_MAX];

	for (size_t i = 0; i < CRN_NELEM(files); i++)
		if (ca_path(path, dir, files[i]) == CAIRN_OK)
			(void)unlink(path);
	(void)rmdir(dir);
}

cairn_err
crn_ca_init(const char *dir, const char *ca_name, int days)
{
	char path[CA_PATH_MAX], *pem = NULL;
	uint8_t serial[CRN_CERT_SERIAL_LEN];
	struct ca_ctx ca;
	bool created = false;
	int64_t now = (int64_t)time(NULL);
	int fd;
	cairn_err rv = CAIRN_EINTERNAL;

	memset(&ca, 0, sizeof(ca));
	ca.lockfd = -1;
	if (!crn_ca_name_valid(ca_name) || !days_valid(days)) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	if ((rv = ca_path(path, dir, CA_INDEX ".tmp")) != CAIRN_OK)
		goto out;
	if (mkdir(dir, 0700) != 0) {
		if (errno == EEXIST) {
			crn_log_err(
			    "%s exists; refusing to overwrite a CA", dir);
			rv = CAIRN_EPERM;
		} else {
			crn_log_err("mkdir %s: %s", dir, strerror(errno));
			rv = errno == ENOENT ? CAIRN_ENOENT : CAIRN_ESYS;
		}
		goto out;
	}
	created = true;
	if ((rv = crn_identity_generate(&ca.id)) != CAIRN_OK)
		goto out;
	if ((rv = ca_path(path, dir, CA_KEY)) != CAIRN_OK ||
	    (rv = crn_identity_save(ca.id, path)) != CAIRN_OK)
		goto out;
	if ((rv = identity_pkey(ca.id, &ca.key)) != CAIRN_OK)
		goto out;
	serial_new(&ca.idx, serial);
	if ((rv = build_cert(&ca.cert, ca.key, NULL, ca.key, NULL, ca_name,
	         serial, now - CRN_CERT_CLOCK_SKEW,
	         now + (int64_t)days * 86400)) != CAIRN_OK)
		goto out;
	if ((rv = x509_to_pem(ca.cert, &pem)) != CAIRN_OK)
		goto out;
	if ((rv = ca_path(path, dir, CA_CRT)) != CAIRN_OK ||
	    (rv = crn_file_write_atomic(path, pem, strlen(pem), 0644)) != CAIRN_OK)
		goto out;
	if ((rv = ca_path(path, dir, CA_LOCK)) != CAIRN_OK)
		goto out;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) <
	    0) {
		rv = CAIRN_ESYS;
		goto out;
	}
	(void)close(fd);
	/* Writes the index (CRL number 1, no entries) and the empty CRL. */
	if ((rv = ca_write_crl(dir, &ca, CRN_CERT_CRL_DAYS)) != CAIRN_OK)
		goto out;
	{
		char shown[4 * CRN_CERT_NAME_MAX + 1];

		crn_name_escape(ca_name, shown, sizeof(shown));
		crn_log_info("created CA '%s' in %s", shown, dir);
	}
	rv = CAIRN_OK;
out:
	crn_strfree(pem);
	ca_close(&ca);
	if (rv != CAIRN_OK && created)
		ca_init_cleanup(dir);
	return rv;
}

/*
 * Fill info from a certificate's subject and key, and with full also its
 * serial and validity (a request's scratch certificate has neither).  No
 * verification happens here.
 */
static cairn_err
cert_extract(X509 *x, crn_cert_info *info, bool full)
{
	const X509_NAME *subj = X509_get_subject_name(x);
	const ASN1_STRING *s;
	const unsigned char *d;
	EVP_PKEY *pk = X509_get0_pubkey(x);
	char role[16];
	size_t pklen = CAIRN_SIGN_PK_LEN;
	int icn, iou, len;
	cairn_err rv;

	memset(info, 0, sizeof(*info));
	if (pk == NULL || EVP_PKEY_get_id(pk) != EVP_PKEY_ED25519 ||
	    EVP_PKEY_get_raw_public_key(pk, info->pk, &pklen) != 1 ||
	    pklen != CAIRN_SIGN_PK_LEN) {
		ossl_drain("cert_extract");
		return CAIRN_EINVAL;
	}
	/* Exactly one OU and one CN, nothing else. */
	icn = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
	iou = X509_NAME_get_index_by_NID(subj, NID_organizationalUnitName, -1);
	if (X509_NAME_entry_count(subj) != 2 || icn < 0 || iou < 0)
		return CAIRN_EROLE;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, icn));
	d = ASN1_STRING_get0_data(s);
	len = ASN1_STRING_length(s);
	if (len < 1 || len > CRN_CERT_NAME_MAX)
		return CAIRN_EROLE;
	memcpy(info->name, d, (size_t)len);
	info->name[len] = '\0';
	if (!crn_cert_name_valid(info->name))
		return CAIRN_EROLE;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, iou));
	d = ASN1_STRING_get0_data(s);
	len = ASN1_STRING_length(s);
	if (len < 1 || (size_t)len >= sizeof(role))
		return CAIRN_EROLE;
	memcpy(role, d, (size_t)len);
	role[len] = '\0';
	if (crn_role_parse(role, &info->role) != CAIRN_OK)
		return CAIRN_EROLE;
	if (!full)
		return CAIRN_OK;
	if ((rv = serial_from_asn1(X509_get0_serialNumber(x), info->serial)) !=
	    CAIRN_OK)
		return rv;
	if ((rv = asn1_time_to_unix(
	         X509_get0_notBefore(x), &info->not_before)) != CAIRN_OK ||
	    (rv = asn1_time_to_unix(X509_get0_notAfter(x), &info->not_after)) !=
	        CAIRN_OK)
		return rv;
	return CAIRN_OK;
}

/* Parse and check a request; on success *req is the parsed request. */
static cairn_err
csr_check(const char *csr_pem, X509_REQ **req, crn_cert_info *info)
{
	X509_REQ *r = NULL;
	EVP_PKEY *pk;
	BIO *bio = NULL;
	X509 *tmp = NULL;
	size_t len;
	cairn_err rv = CAIRN_EINTERNAL;

	*req = NULL;
	memset(info, 0, sizeof(*info));
	if (csr_pem == NULL) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	if ((len = strlen(csr_pem)) > CRN_CERT_MAX_LEN) {
		rv = CAIRN_ETOOBIG;
		goto out;
	}
	if ((bio = BIO_new_mem_buf(csr_pem, (int)len)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	r = PEM_read_bio_X509_REQ(bio, NULL, no_passphrase, NULL);
	if (r == NULL) {
		ossl_drain("PEM_read_bio_X509_REQ");
		rv = CAIRN_EINVAL;
		goto out;
	}
	pk = X509_REQ_get0_pubkey(r);
	if (pk == NULL || EVP_PKEY_get_id(pk) != EVP_PKEY_ED25519) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	/* Proof of possession: the request is signed by its own key. */
	if (X509_REQ_verify(r, pk) != 1) {
		ossl_drain("X509_REQ_verify");
		crn_log_warn("certificate request signature does not verify");
		rv = CAIRN_ETAMPERED;
		goto out;
	}
	/* Reuse the certificate subject rules on a scratch certificate. */
	if ((tmp = X509_new()) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	if (X509_set_subject_name(tmp, X509_REQ_get_subject_name(r)) != 1 ||
	    X509_set_pubkey(tmp, pk) != 1) {
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	rv = cert_extract(tmp, info, false);
	if (rv == CAIRN_EROLE)
		rv = CAIRN_EINVAL; /* a request has no role to be wrong */
	if (rv != CAIRN_OK)
		goto out;
	*req = r;
	r = NULL;
out:
	X509_free(tmp);
	X509_REQ_free(r);
	BIO_free(bio);
	ERR_clear_error();
	if (rv != CAIRN_OK)
		memset(info, 0, sizeof(*info));
	return rv;
}

cairn_err
crn_csr_inspect(const char *csr_pem, crn_cert_info *info)
{
	X509_REQ *r = NULL;
	cairn_err rv = csr_check(csr_pem, &r, info);

	X509_REQ_free(r);
	return rv;
}

cairn_err
crn_csr_new(const crn_identity *id, crn_role role, const char *name, char **pem)
{
	X509_REQ *req = NULL;
	X509_NAME *subj = NULL;
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	cairn_err rv = CAIRN_EINTERNAL;

	*pem = NULL;
	if (!role_valid(role) || !crn_cert_name_valid(name)) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	if ((rv = identity_pkey(id, &key)) != CAIRN_OK)
		goto out;
	if ((rv = make_subject(&subj, crn_role_name(role), name)) != CAIRN_OK)
		goto out;
	if ((req = X509_REQ_new()) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	if (X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
	    X509_REQ_set_subject_name(req, subj) != 1 ||
	    X509_REQ_set_pubkey(req, key) != 1 ||
	    X509_REQ_sign(req, key, NULL) <= 0) {
		ossl_drain("X509_REQ");
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	if (PEM_write_bio_X509_REQ(bio, req) != 1) {
		ossl_drain("PEM_write_bio_X509_REQ");
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	rv = bio_to_string(bio, pem);
out:
	BIO_free(bio);
	X509_REQ_free(req);
	X509_NAME_free(subj);
	EVP_PKEY_free(key);
	return rv;
}

/* Is a certificate for name issued, not revoked and not expired? */
static bool
ca_name_taken(const struct ca_index *idx, const char *name, int64_t now)
{
	for (size_t i = 0; i < idx->n; i++) {
		const struct ca_entry *e = &idx->e[i];
		if (e->status == 'V' && e->not_after > now &&
		    strcmp(e->name, name) == 0)
			return true;
	}
	return false;
}

/*
 * Check the request and the role before the CA's key is touched: the
 * requester names itself, the CA operator decides what it is.
 */
static cairn_err
ca_sign_check(
    const char *csr_pem, crn_role role, X509_REQ **req, crn_cert_info *info)
{
	cairn_err rv;

	if (!role_valid(role))
		return CAIRN_EINVAL;
	if ((rv = csr_check(csr_pem, req, info)) != CAIRN_OK)
		return rv;
	if (info->role != role) {
		crn_log_err(
		    "the request of %s asks for role %s, not %s; refusing to sign",
		    info->name, crn_role_name(info->role), crn_role_name(role));
		X509_REQ_free(*req);
		*req = NULL;
		return CAIRN_EROLE;
	}
	return CAIRN_OK;
}

static cairn_err
ca_sign_common(const char *dir, const char *csr_pem, crn_role role,
    int64_t not_before, int64_t not_after, char **cert_pem)
{
	struct ca_ctx ca;
	struct ca_entry ent;
	crn_cert_info info;
	X509_REQ *req = NULL;
	X509 *cert = NULL;
	char *pem = NULL;
	cairn_err rv = CAIRN_EINTERNAL;

	*cert_pem = NULL;
	memset(&ca, 0, sizeof(ca));
	ca.lockfd = -1;
	if (not_before >= not_after) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	if ((rv = ca_sign_check(csr_pem, role, &req, &info)) != CAIRN_OK)
		goto out;
	if ((rv = ca_open(dir, &ca)) != CAIRN_OK)
		goto out;
	if (ca_name_taken(&ca.idx, info.name, (int64_t)time(NULL))) {
		crn_log_err(
		    "a certificate for %s is already issued; revoke it first",
		    info.name);
		rv = CAIRN_EPERM;
		goto out;
	}
	memset(&ent, 0, sizeof(ent));
	serial_new(&ca.idx, ent.serial);
	if ((rv = build_cert(&cert, ca.key, ca.cert, X509_REQ_get0_pubkey(req),
	         crn_role_name(role), info.name, ent.serial, not_before,
	         not_after)) != CAIRN_OK)
		goto out;
	if ((rv = x509_to_pem(cert, &pem)) != CAIRN_OK)
		goto out;
	ent.status = 'V';
	ent.not_after = not_after;
	ent.role = role;
	memcpy(ent.name, info.name, sizeof(ent.name));
	if ((rv = ca_index_add(&ca.idx, &ent)) != CAIRN_OK)
		goto out;
	/* Recorded before it is handed out: no certificate goes unlisted. */
	if ((rv = ca_index_save(dir, &ca.idx)) != CAIRN_OK)
		goto out;
	crn_log_info(
	    "issued %s certificate for %s", crn_role_name(role), info.name);
	*cert_pem = pem;
	pem = NULL;
	rv = CAIRN_OK;
out:
	crn_strfree(pem);
	X509_free(cert);
	X509_REQ_free(req);
	ca_close(&ca);
	return rv;
}

cairn_err
crn_ca_sign(const char *dir, const char *csr_pem, crn_role role, int days,
    char **cert_pem)
{
	int64_t now = (int64_t)time(NULL);

	*cert_pem = NULL;
	if (!days_valid(days))
		return CAIRN_EINVAL;
	return ca_sign_common(dir, csr_pem, role, now - CRN_CERT_CLOCK_SKEW,
	    now + (int64_t)days * 86400, cert_pem);
}

cairn_err
crn_ca_sign_validity(const char *dir, const char *csr_pem, crn_role role,
    int64_t not_before, int64_t not_after, char **cert_pem)
{
	return ca_sign_common(
	    dir, csr_pem, role, not_before, not_after, cert_pem);
}

cairn_err
crn_ca_revoke(const char *dir, const char *name)
{
	struct ca_ctx ca;
	bool found = false, revoked = false;
	cairn_err rv;

	if (!crn_cert_name_valid(name))
		return CAIRN_EINVAL;
	if ((rv = ca_open(dir, &ca)) != CAIRN_OK)
		return rv;
	for (size_t i = 0; i < ca.idx.n; i++) {
		struct ca_entry *e = &ca.idx.e[i];
		if (strcmp(e->name, name) != 0)
			continue;
		found = true;
		if (e->status == 'V') {
			/* Expired ones too: a leaked old key stays listed. */
			e->status = 'R';
			e->revoked_at = (int64_t)time(NULL);
			revoked = true;
		}
	}
	if (!found)
		rv = CAIRN_ENOENT;
	else if (!revoked)
		rv = CAIRN_ESTATE;
	else
		rv = ca_write_crl(dir, &ca, CRN_CERT_CRL_DAYS);
	if (rv == CAIRN_OK)
		crn_log_info("revoked certificate of %s", name);
	ca_close(&ca);
	return rv;
}

cairn_err
crn_ca_crl_renew(const char *dir, int days)
{
	struct ca_ctx ca;
	cairn_err rv;

	if (!days_valid(days))
		return CAIRN_EINVAL;
	if ((rv = ca_open(dir, &ca)) != CAIRN_OK)
		return rv;
	rv = ca_write_crl(dir, &ca, days);
	ca_close(&ca);
	return rv;
}

/* ---- verification -------------------------------------------------------- */

/*
 * Verified certificates are cached.  Nodes and coordinators see the same
 * few certificates in every round, and a full verification costs two
 * Ed25519 verifications (certificate and CRL) plus OpenSSL's bookkeeping.
 * The cache is sound because a store's CA and CRL never change: the result
 * for the same bytes can only differ by time, and it is reused only inside
 * the window where every time check passes (certificate, CA and CRL, with
 * OpenSSL's semantics: valid from notBefore, expired at notAfter).  Only
 * successes are cached; the role is checked on every call.  The cache is
 * 8-way set-associative, so a federation's few hundred certificates stay
 * in it; a full set evicts its oldest entry.
 */
#define CERT_CACHE_WAYS 8
#define CERT_CACHE_SETS 256

struct cert_cache_slot {
	uint64_t stamp;                        /* insertion order; 0 = empty */
	uint8_t key[crypto_hash_sha256_BYTES]; /* SHA-256 of the input */
	int64_t from, until; /* reuse when from <= now < until */
	crn_cert_info info;
};

struct cert_cache {
	pthread_mutex_t lock;
	uint64_t clock;
	struct cert_cache_slot slot[CERT_CACHE_SETS][CERT_CACHE_WAYS];
};

struct crn_cert_store {
	X509_STORE *store;
	int64_t from, until; /* the CA's and the CRL's common window */
	crn_crl_mark mark;   /* which CA, which CRL */
	struct cert_cache *cache;
	bool lock_init;
};

void
crn_cert_store_free(crn_cert_store *s)
{
	if (s == NULL)
		return;
	X509_STORE_free(s->store);
	if (s->cache != NULL) {
		if (s->lock_init)
			(void)pthread_mutex_destroy(&s->cache->lock);
		crn_free(s->cache, sizeof(*s->cache));
	}
	crn_free(s, sizeof(*s));
}

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static struct cert_cache_slot *
cache_set(const crn_cert_store *s, const uint8_t *key)
{
	/* The key is a SHA-256 output: any two bytes are uniform. */
	return s->cache->slot[((size_t)key[0] << 8 | key[1]) % CERT_CACHE_SETS];
}

static bool
cache_get(const crn_cert_store *s, const uint8_t *key, int64_t now,
    crn_cert_info *info)
{
	struct cert_cache_slot *set;
	bool hit = false;

	if (s->cache == NULL)
		return false;
	set = cache_set(s, key);
	(void)pthread_mutex_lock(&s->cache->lock);
	for (size_t w = 0; w < CERT_CACHE_WAYS && !hit; w++) {
		struct cert_cache_slot *sl = &set[w];
		if (sl->stamp != 0 &&
		    memcmp(sl->key, key, sizeof(sl->key)) == 0 &&
		    sl->from <= now && now < sl->until) {
			*info = sl->info;
			hit = true;
		}
	}
	(void)pthread_mutex_unlock(&s->cache->lock);
	return hit;
}

static void
cache_put(
    const crn_cert_store *s, const uint8_t *key, const crn_cert_info *info)
{
	struct cert_cache_slot *set, *sl;

	if (s->cache == NULL)
		return;
	set = cache_set(s, key);
	(void)pthread_mutex_lock(&s->cache->lock);
	/* The same key again (a second thread got there first), else an
	 * empty way, else the oldest. */
	sl = &set[0];
	for (size_t w = 0; w < CERT_CACHE_WAYS; w++) {
		if (set[w].stamp != 0 &&
		    memcmp(set[w].key, key, sizeof(set[w].key)) == 0) {
			sl = &set[w];
			break;
		}
		if (set[w].stamp < sl->stamp)
			sl = &set[w];
	}
	sl->stamp = ++s->cache->clock;
	memcpy(sl->key, key, sizeof(sl->key));
	sl->from = max64(s->from, info->not_before);
	sl->until = min64(s->until, info->not_after);
	sl->info = *info;
	(void)pthread_mutex_unlock(&s->cache->lock);
}

/*
 * The store's mark: the CA's key hash, the CRL's number and thisUpdate;
 * and the window in which the CA certificate and the CRL both pass.
 */
static cairn_err
store_mark(crn_cert_store *s, X509 *cacert, X509_CRL *c)
{
	const ASN1_BIT_STRING *key = X509_get0_pubkey_bitstr(cacert);
	const ASN1_TIME *nu = X509_CRL_get0_nextUpdate(c);
	ASN1_INTEGER *num;
	uint64_t v = 0;
	int64_t t;
	cairn_err rv;

	if (key == NULL)
		return CAIRN_EINVAL;
	crypto_hash_sha256(s->mark.ca, ASN1_STRING_get0_data(key),
	    (unsigned long long)ASN1_STRING_length(key));
	num = X509_CRL_get_ext_d2i(c, NID_crl_number, NULL, NULL);
	if (num != NULL && ASN1_INTEGER_get_uint64(&v, num) != 1)
		v = 0;
	ASN1_INTEGER_free(num);
	ERR_clear_error();
	s->mark.number = v;
	if ((rv = asn1_time_to_unix(X509_get0_notBefore(cacert), &s->from)) !=
	        CAIRN_OK ||
	    (rv = asn1_time_to_unix(X509_get0_notAfter(cacert), &s->until)) !=
	        CAIRN_OK ||
	    (rv = asn1_time_to_unix(X509_CRL_get0_lastUpdate(c),
	         &s->mark.this_update)) != CAIRN_OK)
		return rv;
	s->from = max64(s->from, s->mark.this_update);
	if (nu != NULL) {
		if ((rv = asn1_time_to_unix(nu, &t)) != CAIRN_OK)
			return rv;
		s->until = min64(s->until, t);
	}
	return CAIRN_OK;
}

/* with_cache is false for one-shot verification, where a cache would
 * only cost its allocation. */
static cairn_err
store_new(crn_cert_store **out, const uint8_t *ca, size_t ca_len,
    const uint8_t *crl, size_t crl_len, bool with_cache)
{
	crn_cert_store *s = NULL;
	X509 *cacert = NULL;
	X509_CRL *c = NULL;
	cairn_err rv = CAIRN_EINTERNAL;

	*out = NULL;
	if ((rv = x509_parse(ca, ca_len, &cacert)) != CAIRN_OK)
		goto out;
	if ((rv = crl_parse(crl, crl_len, &c)) != CAIRN_OK)
		goto out;
	if (X509_check_ca(cacert) == 0) {
		crn_log_err("the configured CA certificate is not a CA");
		rv = CAIRN_EINVAL;
		goto out;
	}
	if ((s = crn_zalloc(sizeof(*s))) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	if (with_cache) {
		if ((s->cache = crn_zalloc(sizeof(*s->cache))) == NULL) {
			rv = CAIRN_ENOMEM;
			goto out;
		}
		if (pthread_mutex_init(&s->cache->lock, NULL) != 0) {
			rv = CAIRN_ESYS;
			goto out;
		}
		s->lock_init = true;
	}
	if ((rv = store_mark(s, cacert, c)) != CAIRN_OK)
		goto out;
	if ((s->store = X509_STORE_new()) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	/*
	 * CRL_CHECK checks the leaf against the CRL (the root cannot revoke
	 * itself).  X509_STRICT refuses the malformed encodings OpenSSL
	 * would otherwise tolerate.
	 */
	if (X509_STORE_add_cert(s->store, cacert) != 1 ||
	    X509_STORE_add_crl(s->store, c) != 1 ||
	    X509_STORE_set_flags(s->store,
	        X509_V_FLAG_CRL_CHECK | X509_V_FLAG_X509_STRICT) != 1) {
		ossl_drain("X509_STORE");
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	*out = s;
	s = NULL;
	rv = CAIRN_OK;
out:
	crn_cert_store_free(s);
	X509_free(cacert); /* the store holds its own references */
	X509_CRL_free(c);
	ERR_clear_error();
	return rv;
}

cairn_err
crn_cert_store_new(crn_cert_store **out, const uint8_t *ca, size_t ca_len,
    const uint8_t *crl, size_t crl_len)
{
	return store_new(out, ca, ca_len, crl, crl_len, true);
}

void
crn_cert_store_crl_mark(const crn_cert_store *s, crn_crl_mark *out)
{
	*out = s->mark;
}

cairn_err
crn_crl_mark_check(const crn_crl_mark *floor, const crn_crl_mark *cand)
{
	static const uint8_t none[sizeof(floor->ca)];

	if (memcmp(floor->ca, none, sizeof(none)) == 0 ||
	    memcmp(floor->ca, cand->ca, sizeof(cand->ca)) != 0)
		return CAIRN_OK;
	if (cand->number < floor->number ||
	    cand->this_update < floor->this_update)
		return CAIRN_EREPLAY;
	return CAIRN_OK;
}

#define CRL_MARK_MAGIC "# cairn: the newest CRL this party accepted"

cairn_err
crn_crl_mark_save(const char *path, const crn_crl_mark *m)
{
	char ca[2 * sizeof(m->ca) + 1], buf[256];
	int n;

	hex_encode(ca, m->ca, sizeof(m->ca));
	/* The last line shows that the file is whole. */
	n = snprintf(buf, sizeof(buf),
	    "%s\nca %s\nnumber %llu\nthis_update %lld\nend\n", CRL_MARK_MAGIC,
	    ca, (unsigned long long)m->number, (long long)m->this_update);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return CAIRN_EINTERNAL;
	return crn_file_write_atomic(path, buf, (size_t)n, 0600);
}

cairn_err
crn_crl_mark_load(const char *path, crn_crl_mark *out)
{
	char ca[2 * sizeof(out->ca) + 1];
	unsigned long long number;
	long long this_update;
	uint8_t *buf = NULL;
	size_t len = 0;
	int used = 0;
	cairn_err rv;

	memset(out, 0, sizeof(*out));
	if ((rv = crn_file_read(path, 1024, &buf, &len)) != CAIRN_OK)
		return rv == CAIRN_ETOOBIG || rv == CAIRN_EINVAL ? CAIRN_EDATA
		                                                 : rv;
	/* The file is ours: exactly the lines crn_crl_mark_save writes. */
	if (strncmp((const char *)buf, CRL_MARK_MAGIC "\n",
	        sizeof(CRL_MARK_MAGIC)) != 0 ||
	    sscanf((const char *)buf + sizeof(CRL_MARK_MAGIC),
	        "ca %64[0-9a-f]\nnumber %llu\nthis_update %lld\nend\n%n", ca,
	        &number, &this_update, &used) != 3 ||
	    (size_t)used + sizeof(CRL_MARK_MAGIC) != len ||
	    !hex_decode(out->ca, sizeof(out->ca), ca)) {
		crn_log_err("%s is damaged", path);
		memset(out, 0, sizeof(*out));
		rv = CAIRN_EDATA;
	} else {
		out->number = number;
		out->this_update = this_update;
	}
	crn_free(buf, len + 1);
	return rv;
}

/*
 * Every problem OpenSSL finds is collected by the callback, which lets
 * verification go on; we then report the most important one (ranked as
 * documented in cert.h) instead of whichever OpenSSL hit first —
 * OpenSSL checks revocation before signatures and times, so a revoked
 * certificate with a forged signature would otherwise say "revoked".
 */
#define VERIFY_MAX_ERRS 16

struct verify_errs {
	int err[VERIFY_MAX_ERRS];
	int depth[VERIFY_MAX_ERRS];
	int n;
};

static int
verify_cb(int ok, X509_STORE_CTX *ctx)
{
	struct verify_errs *ve = X509_STORE_CTX_get_app_data(ctx);

	if (!ok && ve != NULL && ve->n < VERIFY_MAX_ERRS) {
		ve->err[ve->n] = X509_STORE_CTX_get_error(ctx);
		ve->depth[ve->n] = X509_STORE_CTX_get_error_depth(ctx);
		ve->n++;
	}
	/* Keep going: any recorded problem fails the verification below. */
	return 1;
}

/* Rank (lower wins) and code for one OpenSSL verification error. */
static int
verify_err_rank(int err, cairn_err *code)
{
	switch (err) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_CERT_REJECTED:
	case X509_V_ERR_INVALID_CA:
	case X509_V_ERR_AKID_SKID_MISMATCH:
	case X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH:
	case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
	case X509_V_ERR_PATH_LENGTH_EXCEEDED:
		*code = CAIRN_EUNKNOWNCA;
		return 1;
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
	case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
		*code = CAIRN_ETAMPERED;
		return 2;
	case X509_V_ERR_CERT_REVOKED: *code = CAIRN_EREVOKED; return 3;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
		*code = CAIRN_EEXPIRED;
		return 4;
	case X509_V_ERR_CERT_NOT_YET_VALID:
	case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
		*code = CAIRN_ENOTYET;
		return 4;
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
		*code = CAIRN_EEXPIRED;
		return 5;
	case X509_V_ERR_CRL_NOT_YET_VALID:
	case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
		*code = CAIRN_ENOTYET;
		return 5;
	case X509_V_ERR_UNABLE_TO_GET_CRL:
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
	case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
	case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
	case X509_V_ERR_DIFFERENT_CRL_SCOPE: *code = CAIRN_ECONFIG; return 6;
	default: *code = CAIRN_EAUTH; return 7;
	}
}

cairn_err
crn_cert_store_verify(const crn_cert_store *s, const uint8_t *cert,
    size_t cert_len, unsigned role_mask, int64_t now, crn_cert_info *info)
{
	uint8_t key[crypto_hash_sha256_BYTES];
	struct verify_errs ve;
	X509_STORE_CTX *ctx = NULL;
	X509 *x = NULL;
	crn_cert_info tmp;
	int ret, best = 100, best_i = -1;
	cairn_err rv = CAIRN_EINTERNAL, code;

	memset(info, 0, sizeof(*info));
	memset(&ve, 0, sizeof(ve));
	if (cert == NULL || cert_len == 0) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	if (cert_len > CRN_CERT_MAX_LEN) {
		rv = CAIRN_ETOOBIG;
		goto out;
	}
	crypto_hash_sha256(key, cert, cert_len);
	if (cache_get(s, key, now, &tmp))
		goto role;
	if ((rv = x509_parse(cert, cert_len, &x)) != CAIRN_OK)
		goto out;
	if ((ctx = X509_STORE_CTX_new()) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	/* The store is only read; OpenSSL's API is not const-correct. */
	if (X509_STORE_CTX_init(
	        ctx, (X509_STORE *)(uintptr_t)s->store, x, NULL) != 1) {
		ossl_drain("X509_STORE_CTX_init");
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	X509_STORE_CTX_set_app_data(ctx, &ve);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
	ret = X509_verify_cert(ctx);
	if (ve.n == 0 && ret != 1) {
		/* Failed without a verification error: internal trouble. */
		ossl_drain("X509_verify_cert");
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	for (int i = 0; i < ve.n; i++) {
		int r = verify_err_rank(ve.err[i], &code);
		if (r < best) {
			best = r;
			best_i = i;
			rv = code;
		}
	}
	if (best_i >= 0) {
		crn_log_debug("certificate refused: %s (depth %d): %s",
		    X509_verify_cert_error_string(ve.err[best_i]),
		    ve.depth[best_i], cairn_strerror(rv));
		goto out;
	}
	/* The chain is good; now the participant-specific rules. */
	if (X509_check_ca(x) != 0) {
		crn_log_debug("a CA certificate is not a participant's");
		rv = CAIRN_EROLE;
		goto out;
	}
	if ((rv = cert_extract(x, &tmp, true)) != CAIRN_OK)
		goto out;
	cache_put(s, key, &tmp);
role:
	if (((unsigned)tmp.role & role_mask) == 0) {
		crn_log_debug(
		    "certificate of %s has role %s, not accepted here",
		    tmp.name, crn_role_name(tmp.role));
		rv = CAIRN_EROLE;
		goto out;
	}
	*info = tmp;
	rv = CAIRN_OK;
out:
	X509_STORE_CTX_free(ctx);
	X509_free(x);
	ERR_clear_error();
	return rv;
}

cairn_err
crn_cert_verify(const char *ca_pem, const char *crl_pem, const uint8_t *cert,
    size_t cert_len, unsigned role_mask, int64_t now, crn_cert_info *info)
{
	crn_cert_store *s = NULL;
	cairn_err rv;

	memset(info, 0, sizeof(*info));
	if (ca_pem == NULL || crl_pem == NULL)
		return CAIRN_EINVAL;
	rv = store_new(&s, (const uint8_t *)ca_pem, strlen(ca_pem),
	    (const uint8_t *)crl_pem, strlen(crl_pem), false);
	if (rv == CAIRN_OK)
		rv = crn_cert_store_verify(
		    s, cert, cert_len, role_mask, now, info);
	crn_cert_store_free(s);
	return rv;
}

cairn_err
crn_cert_inspect(const uint8_t *cert, size_t cert_len, crn_cert_info *info)
{
	X509 *x = NULL;
	cairn_err rv;

	memset(info, 0, sizeof(*info));
	if ((rv = x509_parse(cert, cert_len, &x)) == CAIRN_OK)
		rv = cert_extract(x, info, true);
	if (rv != CAIRN_OK) /* out-params are set only on success */
		memset(info, 0, sizeof(*info));
	X509_free(x);
	ERR_clear_error();
	return rv;
}

/* ---- encodings ----------------------------------------------------------- */

cairn_err
crn_cert_pem_to_der(const char *pem, uint8_t **der, size_t *der_len)
{
	X509 *x = NULL;
	uint8_t *buf = NULL, *p;
	size_t len;
	int n;
	cairn_err rv = CAIRN_EINTERNAL;

	*der = NULL;
	*der_len = 0;
	if (pem == NULL || !looks_like_pem((const uint8_t *)pem, strlen(pem))) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	if ((rv = x509_parse((const uint8_t *)pem, strlen(pem), &x)) !=
	    CAIRN_OK)
		goto out;
	if ((n = i2d_X509(x, NULL)) <= 0) {
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	len = (size_t)n;
	if ((buf = crn_alloc(len)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	p = buf;
	if (i2d_X509(x, &p) != n) {
		rv = CAIRN_ECRYPTO;
		goto out;
	}
	*der = buf;
	*der_len = len;
	buf = NULL;
	rv = CAIRN_OK;
out:
	if (buf != NULL)
		crn_free(buf, len);
	X509_free(x);
	ERR_clear_error();
	return rv;
}

cairn_err
crn_cert_der_to_pem(const uint8_t *der, size_t der_len, char **pem)
{
	X509 *x = NULL;
	cairn_err rv;

	*pem = NULL;
	if (der == NULL || looks_like_pem(der, der_len))
		return CAIRN_EINVAL;
	if ((rv = x509_parse(der, der_len, &x)) == CAIRN_OK)
		rv = x509_to_pem(x, pem);
	X509_free(x);
	ERR_clear_error();
	return rv;
}
