/*
 * cmd_ca.c — 'cairn ca': the federation's certificate authority, run by
 * its governance body on an offline machine, plus the read-only 'show' and
 * 'verify' that anyone can run on a certificate.
 *
 *   ca init    create the CA directory (key, certificate, empty CRL)
 *   ca sign    issue a certificate for a request made by 'cairn keygen'
 *   ca revoke  revoke a name's certificate and write a new CRL
 *   ca crl     re-issue the CRL before it goes stale
 *   ca show    print what a certificate or request says
 *   ca verify  the same, and check it against the CA as every party does
 *
 * The work is done by crypto/cert.c; this file parses arguments, checks
 * the CA directory first so that each error names the file at fault and
 * the command that fixes it, and prints.  Errors are one line on stderr;
 * exit 1 for failures, 2 for usage errors.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/crn.h"
#include "cli/cmds.h"
#include "cli/opts.h"
#include "crypto/cert.h"
#include "crypto/crypto.h"

#define CA_DEFAULT_NAME    "cairn-ca"
#define CA_DEFAULT_CA_DAYS 3650
#define CA_DEFAULT_DAYS    365

/* ---- library log capture ------------------------------------------------ */

/* The library logs the detail of a failure (errno text, the file); keep
 * the last such line to add to our one-line error. */
static char ca_last_log[256];

static void
ca_logger(cairn_log_level level, const char *func, const char *msg, void *arg)
{
	(void)func;
	(void)arg;
	if (level <= CAIRN_LOG_WARN)
		snprintf(ca_last_log, sizeof(ca_last_log), "%s", msg);
}

/* cairn_strerror(rv), with the library's last log line when there is one. */
static const char *
ca_detail(cairn_err rv)
{
	static char buf[400];

	if (ca_last_log[0] != '\0')
		snprintf(buf, sizeof(buf), "%s (%s)", cairn_strerror(rv),
		    ca_last_log);
	else
		snprintf(buf, sizeof(buf), "%s", cairn_strerror(rv));
	return buf;
}

/* ---- arguments ---------------------------------------------------------- */

enum {
	O_DIR = 1 << 0,
	O_NAME = 1 << 1,
	O_DAYS = 1 << 2,
	O_OUT = 1 << 3,
	O_ROLE = 1 << 4,
	O_FROM = 1 << 5,
	O_UNTIL = 1 << 6,
};

struct ca_args {
	const char *dir, *name, *days, *out, *role, *from, *until;
	const char *pos; /* the one positional argument, if any */
};

static const struct {
	const char *name;
	unsigned bit;
	size_t off;
} ca_options[] = {
    {"--dir", O_DIR, offsetof(struct ca_args, dir)},
    {"--name", O_NAME, offsetof(struct ca_args, name)},
    {"--days", O_DAYS, offsetof(struct ca_args, days)},
    {"--out", O_OUT, offsetof(struct ca_args, out)},
    {"--role", O_ROLE, offsetof(struct ca_args, role)},
    {"--valid-from", O_FROM, offsetof(struct ca_args, from)},
    {"--valid-until", O_UNTIL, offsetof(struct ca_args, until)},
};

struct ca_sub {
	const char *name;
	int (*fn)(const struct ca_args *);
	unsigned allowed;  /* O_* bits */
	unsigned required; /* O_* bits */
	const char *pos;   /* name of the positional argument, or NULL */
	bool pos_optional;
	const char *usage;
};

/* The subcommand's options (cli/opts.h): the rows of ca_options it
 * allows.  Returns -1 to go on, otherwise the exit status (0 for
 * --help). */
static int
ca_parse(const struct ca_sub *sub, int argc, char **argv, struct ca_args *a)
{
	cli_opt opts[CRN_NELEM(ca_options) + 1];
	cli_cmd cmd;
	char name[32];
	size_t n = 0;

	memset(a, 0, sizeof(*a));
	memset(opts, 0, sizeof(opts));
	for (size_t k = 0; k < CRN_NELEM(ca_options); k++) {
		if ((sub->allowed & ca_options[k].bit) == 0)
			continue;
		opts[n].name = ca_options[k].name;
		opts[n].val =
		    (const char **)(void *)((char *)a + ca_options[k].off);
		opts[n++].required = (sub->required & ca_options[k].bit) != 0;
	}
	snprintf(name, sizeof(name), "ca %s", sub->name);
	memset(&cmd, 0, sizeof(cmd));
	cmd.name = name;
	cmd.opts = opts;
	cmd.pos = &a->pos;
	cmd.maxpos = sub->pos != NULL ? 1 : 0;
	cmd.minpos = sub->pos != NULL && !sub->pos_optional ? 1 : 0;
	cmd.posname = sub->pos;
	cmd.usage = sub->usage;
	return cli_parse(&cmd, argc, argv);
}

/* A decimal in 1..CRN_CERT_MAX_DAYS; -1 when it is not one. */
static int
ca_parse_days(const char *s)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > CRN_CERT_MAX_DAYS)
		return -1;
	return (int)v;
}

/*
 * "YYYY-MM-DD" (midnight UTC) or "YYYY-MM-DDTHH:MM:SSZ" to seconds since
 * the epoch; -1 when s is neither.
 */
static int
ca_parse_date(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
	static const int mdays[] = {
	    31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (strlen(s) == 10) {
		if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
			return -1;
	} else if (strlen(s) == 20) {
		if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h,
		        &mi, &se, &n) != 6 ||
		    n != 20)
			return -1;
	} else {
		return -1;
	}
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] || h > 23 || mi > 59 || se > 59 || h < 0 ||
	    mi < 0 || se < 0)
		return -1;
	if (mo == 2 && d == 29 &&
	    !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -1;
	*out = crn_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static void
ca_fmt_time(int64_t t, char buf[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, 32, "@%lld", (long long)t);
}

static void
ca_fmt_serial(const uint8_t serial[CRN_CERT_SERIAL_LEN],
    char buf[2 * CRN_CERT_SERIAL_LEN + 1])
{
	for (size_t i = 0; i < CRN_CERT_SERIAL_LEN; i++)
		snprintf(buf + 2 * i, 3, "%02x", serial[i]);
}

/* "dir/file" into out (PATH_MAX); false when it does not fit. */
static bool
ca_path(char *out, const char *dir, const char *file)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, file);

	return n > 0 && n < PATH_MAX;
}

/*
 * Check that dir is a CA directory (and with need_key that its key is
 * there and private) before the library opens it, so that the error says
 * which file is wrong and what to do.  Returns 0 or the exit status.
 */
static int
ca_dir_check(const char *sub, const char *dir, bool need_key)
{
	char p[PATH_MAX], why[PATH_MAX + 256];
	struct stat st;

	if (stat(dir, &st) != 0) {
		if (errno == ENOENT)
			return cli_error("ca %s: %s does not exist; create a CA with 'cairn ca init --dir %s'",
			    sub, dir, dir);
		return cli_error("ca %s: %s: %s", sub, dir, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return cli_error("ca %s: %s is not a directory", sub, dir);
	if (!ca_path(p, dir, "ca.crt"))
		return cli_error("ca %s: --dir path too long", sub);
	if (stat(p, &st) != 0)
		return cli_error("ca %s: %s is not a CA directory (no ca.crt); create one with 'cairn ca init --dir DIR'",
		    sub, dir);
	if (!need_key)
		return 0;
	if (!ca_path(p, dir, "ca.key"))
		return cli_error("ca %s: --dir path too long", sub);
	if (stat(p, &st) != 0) {
		if (errno == ENOENT)
			return cli_error(
			    "ca %s: %s is missing; run this on the offline machine that holds the CA key",
			    sub, p);
		return cli_error("ca %s: %s: %s", sub, p, strerror(errno));
	}
	/* Another user's key, or one others can read: as OpenSSH refuses. */
	if (crn_keyfile_check(p, why, sizeof(why)) != CAIRN_OK)
		return cli_error("ca %s: %s", sub, why);
	if (access(p, R_OK) != 0)
		return cli_error(
		    "ca %s: cannot read %s: %s", sub, p, strerror(errno));
	return 0;
}

/* Read a certificate, request, CRL or CA file; one-line error on failure. */
static int
ca_read(const char *sub, const char *path, uint8_t **buf, size_t *len)
{
	cairn_err rv = crn_file_read(path, CRN_CERT_MAX_LEN, buf, len);

	if (rv == CAIRN_OK)
		return 0;
	if (rv == CAIRN_ENOENT)
		return cli_error("ca %s: %s: no such file", sub, path);
	if (rv == CAIRN_ETOOBIG)
		return cli_error("ca %s: %s is larger than %d bytes; not a certificate",
		    sub, path, CRN_CERT_MAX_LEN);
	if (rv == CAIRN_EINVAL)
		return cli_error("ca %s: %s is not a regular file", sub, path);
	return cli_error("ca %s: cannot read %s: %s", sub, path, ca_detail(rv));
}

/* ---- ca init ------------------------------------------------------------ */

static int
ca_init(const struct ca_args *a)
{
	const char *name = a->name != NULL ? a->name : CA_DEFAULT_NAME;
	char p[PATH_MAX], fp[CAIRN_FINGERPRINT_LEN], until[32];
	uint8_t pk[CAIRN_SIGN_PK_LEN];
	crn_identity *id = NULL;
	int days = CA_DEFAULT_CA_DAYS;
	cairn_err rv;
	int ret = 1;

	if (a->days != NULL && (days = ca_parse_days(a->days)) < 0)
		return cli_usage_error("ca init",
		    "--days wants a number of days in 1..36500, not '%s'",
		    a->days);
	if (!crn_ca_name_valid(name)) {
		char shown[4 * 256 + 1];

		crn_name_escape(name, shown, sizeof(shown));
		return cli_usage_error("ca init",
		    "invalid --name '%s' (use 1..64 bytes of printable UTF-8, spaces allowed)",
		    shown);
	}
	if (!ca_path(p, a->dir, "ca.key"))
		return cli_error("ca init: --dir path too long");
	rv = crn_ca_init(a->dir, name, days);
	if (rv == CAIRN_EPERM)
		return cli_error(
		    "ca init: %s already exists; refusing to touch it (choose a new --dir; an existing CA is never re-initialised)",
		    a->dir);
	if (rv == CAIRN_ENOENT)
		return cli_error("ca init: the parent directory of %s does not exist; create it first",
		    a->dir);
	if (rv != CAIRN_OK)
		return cli_error("ca init: cannot create the CA in %s: %s",
		    a->dir, ca_detail(rv));
	/* The fingerprint operators compare out of band is the CA key's. */
	if ((rv = crn_identity_load(&id, p)) != CAIRN_OK) {
		cli_error("ca init: created %s but cannot read back %s: %s",
		    a->dir, p, ca_detail(rv));
		goto out;
	}
	crn_identity_public(id, pk);
	crn_fingerprint(pk, fp);
	ca_fmt_time((int64_t)time(NULL) + (int64_t)days * 86400, until);
	printf("created CA '%s' in %s\n", name, a->dir);
	printf("certificate  %s/ca.crt\n", a->dir);
	printf("fingerprint  %s\n", fp);
	printf("valid until  %s (%d days)\n", until, days);
	printf("crl          %s/crl.pem (valid %d days; renew with 'cairn ca crl --dir %s')\n",
	    a->dir, CRN_CERT_CRL_DAYS, a->dir);
	printf("Distribute %s/ca.crt and %s/crl.pem to every party and have them check the fingerprint.\n",
	    a->dir, a->dir);
	printf("Keep %s offline: it must never leave this machine, and this machine should not be on the network.\n",
	    p);
	ret = fflush(stdout) == 0 ? 0 : 1;
out:
	crn_identity_free(id);
	return ret;
}

/* ---- ca sign ------------------------------------------------------------ */

/* Where the certificate goes by default: NAME.crt next to the request. */
static bool
ca_default_out(char *out, const char *req, const char *name)
{
	const char *slash = strrchr(req, '/');
	int n;

	if (slash == NULL)
		n = snprintf(out, PATH_MAX, "%s.crt", name);
	else
		n = snprintf(out, PATH_MAX, "%.*s/%s.crt", (int)(slash - req),
		    req, name);
	return n > 0 && n < PATH_MAX;
}

static int
ca_write_fd(int fd, const char *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		off += (size_t)n;
	}
	return fsync(fd) != 0 ? errno : 0;
}

/* What 'ca sign' was asked to do, once its arguments are checked. */
struct ca_sign_job {
	crn_role role;
	int days;
	bool window; /* --valid-from or --valid-until: from..until */
	int64_t from, until;
	uint8_t *csr;
	size_t csr_len;
	crn_cert_info req; /* what the request says */
	char out[PATH_MAX], tmp[PATH_MAX];
	int fd;
};

/* Options only; returns -1 to go on, otherwise the exit status. */
static int
ca_sign_options(const struct ca_args *a, struct ca_sign_job *j)
{
	if (crn_role_parse(a->role, &j->role) != CAIRN_OK)
		return cli_usage_error("ca sign",
		    "unknown role '%s' (use node, coordinator or researcher)",
		    a->role);
	j->days = CA_DEFAULT_DAYS;
	if (a->days != NULL && (j->days = ca_parse_days(a->days)) < 0)
		return cli_usage_error("ca sign",
		    "--days wants a number of days in 1..36500, not '%s'",
		    a->days);
	if (a->days != NULL && a->until != NULL)
		return cli_usage_error(
		    "ca sign", "%s", "give --days or --valid-until, not both");
	if (a->from != NULL && ca_parse_date(a->from, &j->from) != 0)
		return cli_usage_error("ca sign",
		    "--valid-from wants YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, not '%s'",
		    a->from);
	if (a->until != NULL && ca_parse_date(a->until, &j->until) != 0)
		return cli_usage_error("ca sign",
		    "--valid-until wants YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, not '%s'",
		    a->until);
	j->window = a->from != NULL || a->until != NULL;
	if (!j->window)
		return -1;
	if (a->from == NULL)
		j->from = (int64_t)time(NULL) - CRN_CERT_CLOCK_SKEW;
	if (a->until == NULL)
		j->until = j->from + (int64_t)j->days * 86400;
	if (j->from >= j->until)
		return cli_usage_error(
		    "ca sign", "%s", "the validity window ends before it starts");
	return -1;
}

/*
 * Read the request and check it, and its role against --role, before the
 * CA's key is touched.  Returns 0 or the exit status.
 */
static int
ca_sign_request(const struct ca_args *a, struct ca_sign_job *j)
{
	cairn_err rv;

	if (ca_read("sign", a->pos, &j->csr, &j->csr_len) != 0)
		return 1;
	rv = crn_csr_inspect((const char *)j->csr, &j->req);
	if (rv == CAIRN_ETAMPERED)
		return cli_error(
		    "ca sign: %s: the request's signature does not verify (altered after it was made?); ask for a new one",
		    a->pos);
	if (rv != CAIRN_OK)
		return cli_error(
		    "ca sign: %s is not a cairn certificate request (make one with 'cairn keygen')",
		    a->pos);
	if (j->req.role != j->role)
		return cli_error(
		    "ca sign: %s asks for role '%s' but --role is '%s'; refusing to sign (sign it with --role %s only if '%s' is meant to be a %s, else ask for a new request)",
		    a->pos, crn_role_name(j->req.role), crn_role_name(j->role),
		    crn_role_name(j->req.role), j->req.name,
		    crn_role_name(j->req.role));
	return ca_dir_check("sign", a->dir, true);
}

/*
 * Choose the output and open a temporary file next to it before signing:
 * a certificate the CA has recorded but could not hand out would block
 * the name until revoked.  Returns 0 or the exit status.
 */
static int
ca_sign_open(const struct ca_args *a, struct ca_sign_job *j)
{
	uint8_t rnd[8];
	struct stat st;
	int n;

	if (a->out != NULL) {
		if (strlen(a->out) >= sizeof(j->out))
			return cli_error("ca sign: --out path too long");
		memcpy(j->out, a->out, strlen(a->out) + 1);
	} else if (!ca_default_out(j->out, a->pos, j->req.name)) {
		return cli_error("ca sign: output path too long; give --out");
	}
	if (stat(j->out, &st) == 0 && !S_ISREG(st.st_mode))
		return cli_error(
		    "ca sign: %s exists and is not a regular file; give --out FILE",
		    j->out);
	crn_random_bytes(rnd, sizeof(rnd));
	n = snprintf(j->tmp, sizeof(j->tmp),
	    "%s.tmp-%02x%02x%02x%02x%02x%02x%02x%02x", j->out, rnd[0], rnd[1],
	    rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	if (n < 0 || n >= (int)sizeof(j->tmp)) {
		j->tmp[0] = '\0';
		return cli_error("ca sign: --out path too long");
	}
	j->fd = open(
	    j->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (j->fd < 0) {
		j->tmp[0] = '\0';
		return cli_error(
		    "ca sign: cannot write %s: %s", j->out, strerror(errno));
	}
	return 0;
}

/* Issue the certificate; returns 0 or the exit status. */
static int
ca_sign_issue(const struct ca_args *a, struct ca_sign_job *j, char **cert,
    crn_cert_info *info)
{
	const char *csr = (const char *)j->csr;
	cairn_err rv;

	if (j->window)
		rv = crn_ca_sign_validity(
		    a->dir, csr, j->role, j->from, j->until, cert);
	else
		rv = crn_ca_sign(a->dir, csr, j->role, j->days, cert);
	if (rv == CAIRN_EPERM)
		return cli_error(
		    "ca sign: a certificate for '%s' was already issued; revoke it first with 'cairn ca revoke --dir %s %s'",
		    j->req.name, a->dir, j->req.name);
	if (rv != CAIRN_OK)
		return cli_error(
		    "ca sign: cannot issue a certificate for '%s': %s",
		    j->req.name, ca_detail(rv));
	rv = crn_cert_inspect((const uint8_t *)*cert, strlen(*cert), info);
	if (rv != CAIRN_OK)
		return cli_error(
		    "ca sign: the issued certificate does not parse: %s",
		    ca_detail(rv));
	return 0;
}

/* Write the certificate and move it into place; 0 or the exit status. */
static int
ca_sign_install(const struct ca_args *a, struct ca_sign_job *j,
    const char *cert, const crn_cert_info *info)
{
	char serial[2 * CRN_CERT_SERIAL_LEN + 1];
	int err = ca_write_fd(j->fd, cert, strlen(cert));

	if (close(j->fd) != 0 && err == 0)
		err = errno;
	j->fd = -1;
	if (err == 0 && rename(j->tmp, j->out) != 0)
		err = errno;
	if (err != 0) {
		ca_fmt_serial(info->serial, serial);
		return cli_error(
		    "ca sign: issued serial %s for '%s' but cannot write %s: %s; revoke it ('cairn ca revoke --dir %s %s') and sign again",
		    serial, info->name, j->out, strerror(err), a->dir,
		    info->name);
	}
	j->tmp[0] = '\0';
	return 0;
}

static int
ca_sign_print(const char *out, const crn_cert_info *info)
{
	char serial[2 * CRN_CERT_SERIAL_LEN + 1], fp[CAIRN_FINGERPRINT_LEN];
	char t0[32], t1[32];

	ca_fmt_serial(info->serial, serial);
	crn_fingerprint(info->pk, fp);
	ca_fmt_time(info->not_before, t0);
	ca_fmt_time(info->not_after, t1);
	printf("certificate  %s\n", out);
	printf("name         %s\n", info->name);
	printf("role         %s\n", crn_role_name(info->role));
	printf("serial       %s\n", serial);
	printf("not before   %s\n", t0);
	printf("not after    %s\n", t1);
	printf("fingerprint  %s\n", fp);
	printf("Send %s back to '%s'; it is public.\n", out, info->name);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
ca_sign(const struct ca_args *a)
{
	struct ca_sign_job j;
	crn_cert_info info;
	char *cert = NULL;
	int ret;

	memset(&j, 0, sizeof(j));
	j.fd = -1;
	if ((ret = ca_sign_options(a, &j)) >= 0)
		return ret;
	if ((ret = ca_sign_request(a, &j)) == 0 &&
	    (ret = ca_sign_open(a, &j)) == 0 &&
	    (ret = ca_sign_issue(a, &j, &cert, &info)) == 0 &&
	    (ret = ca_sign_install(a, &j, cert, &info)) == 0)
		ret = ca_sign_print(j.out, &info);
	if (j.fd >= 0)
		(void)close(j.fd);
	if (j.tmp[0] != '\0')
		(void)unlink(j.tmp);
	crn_strfree(cert);
	if (j.csr != NULL)
		crn_free(j.csr, j.csr_len + 1);
	return ret;
}

/* ---- ca revoke, ca crl -------------------------------------------------- */

static int
ca_revoke(const struct ca_args *a)
{
	cairn_err rv;

	if (!crn_cert_name_valid(a->pos))
		return cli_usage_error("ca revoke",
		    "invalid name '%s' (use 1..64 characters of A-Z a-z 0-9 . _ -)",
		    a->pos);
	if (ca_dir_check("revoke", a->dir, true) != 0)
		return 1;
	rv = crn_ca_revoke(a->dir, a->pos);
	if (rv == CAIRN_ENOENT)
		return cli_error("ca revoke: the CA in %s never issued a certificate for '%s'",
		    a->dir, a->pos);
	if (rv == CAIRN_ESTATE)
		return cli_error("ca revoke: the certificate for '%s' is already revoked; nothing to do",
		    a->pos);
	if (rv != CAIRN_OK)
		return cli_error(
		    "ca revoke: cannot revoke '%s': %s", a->pos, ca_detail(rv));
	printf("revoked      %s\n", a->pos);
	printf("crl          %s/crl.pem\n", a->dir);
	printf("Distribute %s/crl.pem to the coordinator and every node and researcher now: every party checks it and refuses '%s' once it has the new CRL.\n",
	    a->dir, a->pos);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
ca_crl(const struct ca_args *a)
{
	int days = CRN_CERT_CRL_DAYS;
	cairn_err rv;

	if (a->days != NULL && (days = ca_parse_days(a->days)) < 0)
		return cli_usage_error("ca crl",
		    "--days wants a number of days in 1..36500, not '%s'",
		    a->days);
	if (ca_dir_check("crl", a->dir, true) != 0)
		return 1;
	if ((rv = crn_ca_crl_renew(a->dir, days)) != CAIRN_OK)
		return cli_error("ca crl: cannot renew %s/crl.pem: %s", a->dir,
		    ca_detail(rv));
	printf(
	    "crl          %s/crl.pem (renewed, valid %d days)\n", a->dir, days);
	printf("Distribute it to every party before the old one expires.\n");
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- ca show, ca verify ------------------------------------------------- */

/*
 * Why verification refused the certificate, in words, for code rv.  shown
 * is what the certificate says (when inspect could read it).
 */
static void
ca_reason(char *buf, size_t n, cairn_err rv, const crn_cert_info *shown,
    bool have_shown, unsigned mask, const char *dir, int64_t now)
{
	char t[32];

	switch (rv) {
	case CAIRN_EUNKNOWNCA:
		snprintf(buf, n, "unknown CA: not issued by the CA in %s", dir);
		break;
	case CAIRN_ETAMPERED:
		snprintf(buf, n,
		    "tampered: the CA's signature does not match the certificate's contents");
		break;
	case CAIRN_EREVOKED:
		snprintf(buf, n, "revoked: listed in %s/crl.pem", dir);
		break;
	case CAIRN_EEXPIRED:
		if (have_shown && shown->not_after < now) {
			ca_fmt_time(shown->not_after, t);
			snprintf(buf, n, "expired on %s", t);
		} else {
			snprintf(buf, n,
			    "expired: the CA certificate or the CRL %s/crl.pem is out of date (renew the CRL with 'cairn ca crl --dir %s')",
			    dir, dir);
		}
		break;
	case CAIRN_ENOTYET:
		if (have_shown && shown->not_before > now) {
			ca_fmt_time(shown->not_before, t);
			snprintf(buf, n, "not yet valid: valid from %s", t);
		} else {
			snprintf(buf, n,
			    "not yet valid: the CRL %s/crl.pem is dated in the future (check the clocks)",
			    dir);
		}
		break;
	case CAIRN_ECONFIG:
		snprintf(buf, n,
		    "the CRL %s/crl.pem is not from this CA or not signed by it",
		    dir);
		break;
	case CAIRN_EROLE:
		if (have_shown && (shown->role & mask) == 0)
			snprintf(buf, n,
			    "wrong role: a %s certificate, where %s is wanted",
			    crn_role_name(shown->role),
			    mask == CRN_ROLE_COORDINATOR ? "coordinator"
			        : mask == CRN_ROLE_NODE  ? "node"
			                                 : "researcher");
		else
			snprintf(buf, n,
			    "wrong role: not a participant's certificate (a CA certificate, or a subject other than OU=role, CN=name)");
		break;
	case CAIRN_EINVAL:
		snprintf(buf, n,
		    "not a certificate cairn accepts (malformed, not Ed25519, or trailing data)");
		break;
	default: snprintf(buf, n, "refused: %s", cairn_strerror(rv)); break;
	}
}

/* Request files are shown, not verified: a request has no issuer. */
static int
ca_show_request(const char *sub, const char *path, const char *pem)
{
	char fp[CAIRN_FINGERPRINT_LEN];
	crn_cert_info info;
	cairn_err rv = crn_csr_inspect(pem, &info);

	if (rv == CAIRN_ETAMPERED)
		return cli_error("ca %s: %s: the request's signature does not verify (tampered)",
		    sub, path);
	if (rv != CAIRN_OK)
		return cli_error(
		    "ca %s: %s is not a cairn certificate request", sub, path);
	crn_fingerprint(info.pk, fp);
	printf("request      %s\n", path);
	printf("name         %s\n", info.name);
	printf("role         %s\n", crn_role_name(info.role));
	printf("fingerprint  %s\n", fp);
	printf("signature    OK (the requester holds the key)\n");
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
ca_check(const char *sub, const struct ca_args *a)
{
	char p[PATH_MAX], fp[CAIRN_FINGERPRINT_LEN], t[32], reason[400];
	char serial[2 * CRN_CERT_SERIAL_LEN + 1];
	uint8_t *cert = NULL, *ca = NULL, *crl = NULL;
	size_t cert_len = 0, ca_len = 0, crl_len = 0;
	crn_cert_store *store = NULL;
	crn_cert_info shown, vinfo;
	unsigned mask = CRN_ROLE_ANY;
	int64_t now = (int64_t)time(NULL);
	bool have_shown;
	crn_role role;
	cairn_err rv;
	int ret = 1;

	if (a->role != NULL) {
		char nm[32];

		snprintf(nm, sizeof(nm), "ca %s", sub);
		if (crn_role_parse(a->role, &role) != CAIRN_OK)
			return cli_usage_error(nm,
			    "unknown role '%s' (use node, coordinator or researcher)",
			    a->role);
		mask = (unsigned)role;
		if (a->dir == NULL)
			return cli_usage_error(nm, "%s",
			    "--role needs --dir (checking a role means verifying)");
	}
	if (ca_read(sub, a->pos, &cert, &cert_len) != 0)
		goto out;
	if (strstr((const char *)cert, "-----BEGIN CERTIFICATE REQUEST-----") !=
	    NULL) {
		ret = ca_show_request(sub, a->pos, (const char *)cert);
		goto out;
	}
	rv = crn_cert_inspect(cert, cert_len, &shown);
	have_shown = rv == CAIRN_OK;
	if (rv == CAIRN_EINVAL || rv == CAIRN_ETOOBIG ||
	    (!have_shown && a->dir == NULL)) {
		if (rv == CAIRN_EROLE)
			cli_error("ca %s: %s is not a participant's certificate (a CA certificate, or a subject other than OU=role, CN=name)",
			    sub, a->pos);
		else
			cli_error("ca %s: %s is not a certificate (want PEM or DER X.509 with an Ed25519 key)",
			    sub, a->pos);
		goto out;
	}
	printf("certificate  %s\n", a->pos);
	if (have_shown) {
		ca_fmt_serial(shown.serial, serial);
		crn_fingerprint(shown.pk, fp);
		printf("name         %s\n", shown.name);
		printf("role         %s\n", crn_role_name(shown.role));
		printf("serial       %s\n", serial);
		ca_fmt_time(shown.not_before, t);
		printf("not before   %s\n", t);
		ca_fmt_time(shown.not_after, t);
		printf("not after    %s\n", t);
		printf("fingerprint  %s\n", fp);
	}
	if (a->dir == NULL) {
		printf("verification not checked (give --dir CA, or use 'cairn ca verify')\n");
		ret = fflush(stdout) == 0 ? 0 : 1;
		goto out;
	}
	if (ca_dir_check(sub, a->dir, false) != 0)
		goto out;
	if (!ca_path(p, a->dir, "ca.crt") || ca_read(sub, p, &ca, &ca_len) != 0)
		goto out;
	if (!ca_path(p, a->dir, "crl.pem") ||
	    ca_read(sub, p, &crl, &crl_len) != 0)
		goto out;
	if ((rv = crn_cert_store_new(&store, ca, ca_len, crl, crl_len)) !=
	    CAIRN_OK) {
		cli_error("ca %s: %s/ca.crt or %s/crl.pem is unusable: %s", sub,
		    a->dir, a->dir, ca_detail(rv));
		goto out;
	}
	rv = crn_cert_store_verify(store, cert, cert_len, mask, now, &vinfo);
	if (rv == CAIRN_OK) {
		printf("verification OK (issued by %s/ca.crt, not revoked, valid now%s%s)\n",
		    a->dir, a->role != NULL ? ", role " : "",
		    a->role != NULL ? crn_role_name(vinfo.role) : "");
		ret = fflush(stdout) == 0 ? 0 : 1;
		goto out;
	}
	ca_reason(
	    reason, sizeof(reason), rv, &shown, have_shown, mask, a->dir, now);
	printf("verification FAILED: %s\n", reason);
	(void)fflush(stdout);
	cli_error("ca %s: %s: %s", sub, a->pos, reason);
out:
	crn_cert_store_free(store);
	crn_free(cert, cert_len + 1);
	crn_free(ca, ca_len + 1);
	crn_free(crl, crl_len + 1);
	return ret;
}

static int
ca_show(const struct ca_args *a)
{
	return ca_check("show", a);
}

static int
ca_verify(const struct ca_args *a)
{
	return ca_check("verify", a);
}

/* ---- the table ---------------------------------------------------------- */

static const struct ca_sub ca_subs[] = {
    {"init", ca_init, O_DIR | O_NAME | O_DAYS, O_DIR, NULL, false,
        "usage: cairn ca init --dir DIR [--name NAME] [--days N]\n"
        "\n"
        "Create the federation CA in the new directory DIR (mode 0700):\n"
        "DIR/ca.key (keep it offline), DIR/ca.crt and DIR/crl.pem (give\n"
        "both to every party).  Prints the CA key's fingerprint for\n"
        "parties to compare.\n"
        "\n"
        "  --dir DIR    the CA directory; must not exist yet\n"
        "  --name NAME  the CA's display name, up to 64 bytes of\n"
        "               printable UTF-8, spaces allowed (default\n"
        "               " CA_DEFAULT_NAME ")\n"
        "  --days N     validity of the CA certificate (default 3650)\n"},
    {"sign", ca_sign, O_DIR | O_ROLE | O_DAYS | O_OUT | O_FROM | O_UNTIL,
        O_DIR | O_ROLE, "request", false,
        "usage: cairn ca sign --dir DIR --role ROLE [--days N]\n"
        "                     [--valid-from D] [--valid-until D]\n"
        "                     [--out FILE] REQUEST.csr\n"
        "\n"
        "Issue a certificate for a request made by 'cairn keygen'.  The\n"
        "name comes from the request; the role is yours to decide, and a\n"
        "request that asks for another role is refused.  A name that\n"
        "already has a valid certificate is refused until that one is\n"
        "revoked.\n"
        "\n"
        "  --dir DIR        the CA directory\n"
        "  --role ROLE      coordinator, node or researcher: what this\n"
        "                   party is (required; must match the request)\n"
        "  --days N         validity in days from now (default 365)\n"
        "  --valid-from D   start of validity instead of now: YYYY-MM-DD\n"
        "                   (midnight UTC) or YYYY-MM-DDTHH:MM:SSZ\n"
        "  --valid-until D  end of validity instead of --days, same\n"
        "                   forms; with --valid-from alone the end is\n"
        "                   --days (default 365) after the start\n"
        "  --out FILE       where to write (default NAME.crt next to the\n"
        "                   request)\n"},
    {"revoke", ca_revoke, O_DIR, O_DIR, "name", false,
        "usage: cairn ca revoke --dir DIR NAME\n"
        "\n"
        "Revoke the certificate of NAME and write a new DIR/crl.pem.\n"
        "Distribute the new CRL to every party: each checks it.\n"},
    {"crl", ca_crl, O_DIR | O_DAYS, O_DIR, NULL, false,
        "usage: cairn ca crl --dir DIR [--days N]\n"
        "\n"
        "Re-issue DIR/crl.pem with the same entries, valid N days\n"
        "(default 30).  Do it before the current CRL expires: a party\n"
        "with an expired CRL refuses every certificate.\n"},
    {"show", ca_show, O_DIR | O_ROLE, 0, "file", false,
        "usage: cairn ca show [--dir DIR [--role ROLE]] FILE\n"
        "\n"
        "Print what a certificate (or request) says: name, role, serial,\n"
        "validity, fingerprint.  With --dir, also verify it against the\n"
        "CA in DIR (as 'cairn ca verify').\n"},
    {"verify", ca_verify, O_DIR | O_ROLE, O_DIR, "file", false,
        "usage: cairn ca verify --dir DIR [--role ROLE] FILE.crt\n"
        "\n"
        "Print what the certificate says and verify it as every party\n"
        "does: issued by DIR/ca.crt, untampered, not on DIR/crl.pem,\n"
        "within its validity and, with --role, of that role.  Exit 0 if\n"
        "it is accepted, 1 with the reason if not: unknown CA, tampered,\n"
        "revoked, expired, not yet valid, wrong role.\n"},
};

static void
ca_usage(FILE *f)
{
	fprintf(f,
	    "usage: cairn ca <command> [options]\n"
	    "\n"
	    "  init    create the federation CA (offline machine)\n"
	    "  sign    issue a certificate for a request\n"
	    "  revoke  revoke a name's certificate; updates the CRL\n"
	    "  crl     re-issue the CRL before it expires\n"
	    "  show    print what a certificate or request says\n"
	    "  verify  check a certificate against the CA and its CRL\n"
	    "\n"
	    "'cairn ca <command> --help' describes each.\n");
}

int
cmd_ca(int argc, char **argv)
{
	struct ca_args a;
	int ret;

	if (argc < 2) {
		cli_error("ca: which command? (init, sign, revoke, crl, show, verify; see 'cairn ca --help')");
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		ca_usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < CRN_NELEM(ca_subs); i++) {
		if (strcmp(argv[1], ca_subs[i].name) != 0)
			continue;
		if ((ret = ca_parse(&ca_subs[i], argc - 1, argv + 1, &a)) >= 0)
			return ret;
		ca_last_log[0] = '\0';
		cairn_log_set_logger(ca_logger, NULL);
		cairn_log_set_level(CAIRN_LOG_WARN);
		ret = ca_subs[i].fn(&a);
		cairn_log_set_logger(NULL, NULL);
		return ret;
	}
	cli_error("ca: unknown command '%s' (init, sign, revoke, crl, show, verify)",
	    argv[1]);
	return 2;
}
