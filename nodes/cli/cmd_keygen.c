/*
 * cmd_keygen.c — 'cairn keygen': make an Ed25519 identity key where it
 * will be used and a certificate request for the federation CA.
 *
 * The private key never leaves the output directory: the operator hands
 * only NAME.csr to the CA (usually on another, offline machine) and gets
 * NAME.crt back.  Files are written under a temporary name and then put
 * in place, so an interrupted run leaves either the old pair or the new
 * one, never a key without its request or half a key.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/crn.h"
#include "cli/cmds.h"
#include "cli/opts.h"
#include "crypto/cert.h"
#include "crypto/crypto.h"

#define KG_PATH_MAX PATH_MAX

/* The library logs the detail of a failure (errno text, the file); keep
 * the last such line to add to our one-line error. */
static char kg_last_log[256];

static void
kg_logger(cairn_log_level level, const char *func, const char *msg, void *arg)
{
	(void)func;
	(void)arg;
	if (level <= CAIRN_LOG_WARN)
		snprintf(kg_last_log, sizeof(kg_last_log), "%s", msg);
}

/* cairn_strerror(rv), with the library's last log line when there is one. */
static const char *
kg_detail(cairn_err rv)
{
	static char buf[400];

	if (kg_last_log[0] != '\0')
		snprintf(buf, sizeof(buf), "%s (%s)", cairn_strerror(rv),
		    kg_last_log);
	else
		snprintf(buf, sizeof(buf), "%s", cairn_strerror(rv));
	return buf;
}

static const char kg_usage[] =
    "usage: cairn keygen --role ROLE --name NAME --out DIR [--force]\n"
    "       cairn keygen --role ROLE --name NAME --out DIR --csr-only\n"
    "\n"
    "Make an Ed25519 identity key and a certificate request.  Writes\n"
    "DIR/NAME.key (mode 0600; it never leaves DIR) and DIR/NAME.csr,\n"
    "which you give to the federation CA ('cairn ca sign').\n"
    "\n"
    "  --role ROLE  node, coordinator or researcher\n"
    "  --name NAME  1..64 characters of A-Z a-z 0-9 . _ -\n"
    "  --out DIR    where to write; made with mode 0700 if missing\n"
    "  --force      replace an existing DIR/NAME.key (its certificate\n"
    "               then no longer matches; have it revoked)\n"
    "  --csr-only   keep the existing DIR/NAME.key and write a new\n"
    "               request for it (to renew a certificate)\n";

/* "DIR/NAME.ext" into out; false when it does not fit. */
static bool
kg_path(char *out, const char *dir, const char *name, const char *ext)
{
	int n = snprintf(out, KG_PATH_MAX, "%s/%s%s", dir, name, ext);

	return n > 0 && n < KG_PATH_MAX;
}

/* A fresh temporary name next to final: ".NAME.ext.tmp-<hex>". */
static bool
kg_tmp_path(char *out, const char *dir, const char *name, const char *ext)
{
	uint8_t r[8];
	char hex[2 * sizeof(r) + 1];
	int n;

	crn_random_bytes(r, sizeof(r));
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	n = snprintf(out, KG_PATH_MAX, "%s/.%s%s.tmp-%s", dir, name, ext, hex);
	return n > 0 && n < KG_PATH_MAX;
}

/*
 * Make dir and any missing parents with mode 0700 (mkdir -p).  Returns 0,
 * or -1 with a one-line error printed.
 */
static int
kg_mkdirs(const char *dir)
{
	char p[KG_PATH_MAX];
	struct stat st;
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(p))
		return cli_error(
		    "keygen: --out '%s' is not a usable path", dir);
	memcpy(p, dir, len + 1);
	/* Each prefix ending before a '/', then the whole path. */
	for (size_t i = 1; i <= len; i++) {
		if (i < len && p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			cli_error("keygen: cannot make directory %s: %s", p,
			    strerror(errno));
			return -1;
		}
		if (i < len)
			p[i] = '/';
	}
	if (stat(dir, &st) != 0) {
		cli_error("keygen: %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		cli_error(
		    "keygen: --out %s exists and is not a directory", dir);
		return -1;
	}
	/* wireguard-tools warns when a key is written where others can see
	 * it; a key file is 0600 anyway, but its directory listing, the
	 * request and a later certificate are visible. */
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		fprintf(stderr,
		    "cairn: keygen: warning: %s is accessible by group or others (mode %03o); consider 'chmod 700 %s'\n",
		    dir, (unsigned)(st.st_mode & 0777), dir);
	return 0;
}

/* Write len bytes to a new file path (O_EXCL) with mode, and fsync it. */
static int
kg_write_new(const char *path, const char *data, size_t len, mode_t mode)
{
	size_t off = 0;
	int fd, err = 0;

	fd = open(
	    path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return errno;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			break;
		}
		off += (size_t)n;
	}
	if (err == 0 && fchmod(fd, mode) != 0)
		err = errno;
	if (err == 0 && fsync(fd) != 0)
		err = errno;
	if (close(fd) != 0 && err == 0)
		err = errno;
	if (err != 0)
		(void)unlink(path);
	return err;
}

/* Make the directory entries we renamed durable. */
static void
kg_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		(void)close(fd);
	}
}

/* The message for a key file crn_identity_load refused. */
static int
kg_load_error(const char *path, cairn_err rv)
{
	char why[KG_PATH_MAX + 256];

	if (rv == CAIRN_ENOENT)
		return cli_error("keygen: %s does not exist; make a key with 'cairn keygen' without --csr-only",
		    path);
	/* Whose the file is, or its mode, and the command that fixes it. */
	if (rv == CAIRN_EPERM &&
	    crn_keyfile_check(path, why, sizeof(why)) == CAIRN_EPERM)
		return cli_error("keygen: %s", why);
	if (rv == CAIRN_EPERM)
		return cli_error("keygen: %s: permission denied", path);
	if (rv == CAIRN_EINVAL)
		return cli_error("keygen: %s is not an Ed25519 private key (PKCS#8 PEM)",
		    path);
	return cli_error("keygen: cannot load %s: %s", path, kg_detail(rv));
}

struct kg_args {
	const char *role, *name, *out;
	bool force, csr_only;
};

/* Returns -1 to go on, otherwise the exit status (0 for --help). */
static int
kg_parse(int argc, char **argv, struct kg_args *a)
{
	const cli_opt opts[] = {
	    {.name = "--role", .val = &a->role, .required = true},
	    {.name = "--name", .val = &a->name, .required = true},
	    {.name = "--out", .val = &a->out, .required = true},
	    {.name = "--force", .flag = &a->force},
	    {.name = "--csr-only", .flag = &a->csr_only},
	    {.name = NULL},
	};
	const cli_cmd cmd = {"keygen", opts, NULL, 0, 0, NULL, kg_usage};
	int st;

	memset(a, 0, sizeof(*a));
	if ((st = cli_parse(&cmd, argc, argv)) >= 0)
		return st;
	if (a->force && a->csr_only) {
		cli_error("keygen: --force and --csr-only exclude each other (--csr-only keeps the key)");
		return 2;
	}
	return -1;
}

/* A new key for key_path (the directory made, an existing key refused
 * unless --force).  0, or 1 after printing the error. */
static int
kg_new_key(const struct kg_args *a, const char *key_path, crn_identity **id,
    bool *replaced)
{
	struct stat st;
	cairn_err rv;

	if (kg_mkdirs(a->out) != 0)
		return 1;
	if (lstat(key_path, &st) == 0) {
		if (!a->force)
			return cli_error("keygen: %s already exists; refusing to overwrite a key (use --csr-only to reuse it, or --force to replace it)",
			    key_path);
		if (!S_ISREG(st.st_mode))
			return cli_error("keygen: %s exists and is not a regular file; remove it yourself",
			    key_path);
		*replaced = true;
	} else if (errno != ENOENT) {
		return cli_error("keygen: %s: %s", key_path, strerror(errno));
	}
	if ((rv = crn_identity_generate(id)) != CAIRN_OK)
		return cli_error(
		    "keygen: cannot generate a key: %s", kg_detail(rv));
	return 0;
}

/* Put the written key_tmp in place: without --force, link() succeeds
 * only if no key appeared at key_path since we looked (EEXIST); with
 * --force, rename() replaces the old key atomically.  0, or 1 after
 * printing the error; key_tmp is emptied once it is gone. */
static int
kg_install_key(const struct kg_args *a, char *key_tmp, const char *key_path)
{
	if (a->force) {
		if (rename(key_tmp, key_path) != 0)
			return cli_error("keygen: cannot replace %s: %s",
			    key_path, strerror(errno));
		key_tmp[0] = '\0';
		return 0;
	}
	if (link(key_tmp, key_path) != 0)
		return cli_error("keygen: cannot write %s: %s", key_path,
		    errno == EEXIST ? "it appeared meanwhile" : strerror(errno));
	return 0;
}

int
cmd_keygen(int argc, char **argv)
{
	char key_path[KG_PATH_MAX], csr_path[KG_PATH_MAX];
	char key_tmp[KG_PATH_MAX] = "", csr_tmp[KG_PATH_MAX] = "";
	char fp[CAIRN_FINGERPRINT_LEN];
	uint8_t pk[CAIRN_SIGN_PK_LEN];
	struct kg_args a;
	crn_identity *id = NULL;
	crn_role role;
	char *csr = NULL;
	bool replaced = false;
	cairn_err rv;
	int ret = 1, err;

	if ((ret = kg_parse(argc, argv, &a)) >= 0)
		return ret;
	ret = 1;
	cairn_log_set_logger(kg_logger, NULL);
	cairn_log_set_level(CAIRN_LOG_WARN);
	if (crn_role_parse(a.role, &role) != CAIRN_OK) {
		cli_error("keygen: unknown role '%s' (use node, coordinator or researcher)",
		    a.role);
		return 2;
	}
	if (!crn_cert_name_valid(a.name)) {
		cli_error("keygen: invalid name '%s' (use 1..%d characters of A-Z a-z 0-9 . _ -)",
		    a.name, CRN_CERT_NAME_MAX);
		return 2;
	}
	if (!kg_path(key_path, a.out, a.name, ".key") ||
	    !kg_path(csr_path, a.out, a.name, ".csr") ||
	    !kg_tmp_path(key_tmp, a.out, a.name, ".key") ||
	    !kg_tmp_path(csr_tmp, a.out, a.name, ".csr")) {
		cli_error("keygen: --out path too long");
		return 2;
	}
	if (a.csr_only) {
		/* Reuse the key: crn_identity_load refuses a key file that
		 * group or others can read, as OpenSSH does. */
		if ((rv = crn_identity_load(&id, key_path)) != CAIRN_OK) {
			kg_load_error(key_path, rv);
			goto out;
		}
	} else if (kg_new_key(&a, key_path, &id, &replaced) != 0) {
		goto out;
	}
	if ((rv = crn_csr_new(id, role, a.name, &csr)) != CAIRN_OK) {
		cli_error("keygen: cannot make the certificate request: %s",
		    kg_detail(rv));
		goto out;
	}
	if (!a.csr_only && (rv = crn_identity_save(id, key_tmp)) != CAIRN_OK) {
		key_tmp[0] = '\0'; /* the library removed it */
		cli_error("keygen: cannot write a key in %s: %s", a.out,
		    kg_detail(rv));
		goto out;
	}
	if ((err = kg_write_new(csr_tmp, csr, strlen(csr), 0644)) != 0) {
		csr_tmp[0] = '\0';
		cli_error("keygen: cannot write a request in %s: %s", a.out,
		    strerror(err));
		goto out;
	}
	if (!a.csr_only && kg_install_key(&a, key_tmp, key_path) != 0)
		goto out;
	if (rename(csr_tmp, csr_path) != 0) {
		cli_error(
		    "keygen: cannot write %s: %s", csr_path, strerror(errno));
		goto out;
	}
	csr_tmp[0] = '\0';
	kg_sync_dir(a.out);

	crn_identity_public(id, pk);
	crn_fingerprint(pk, fp);
	if (replaced)
		fprintf(stderr,
		    "cairn: keygen: replaced the existing key %s (--force); a certificate for the old key no longer matches: have it revoked ('cairn ca revoke --dir CA %s')\n",
		    key_path, a.name);
	printf("key          %s%s\n", key_path,
	    a.csr_only
	        ? " (kept)"
	        : " (mode 0600; keep it here, it never leaves this machine)");
	printf("request      %s\n", csr_path);
	printf("name         %s\n", a.name);
	printf("role         %s\n", crn_role_name(role));
	printf("fingerprint  %s\n", fp);
	printf(
	    "next: give %s to the federation CA ('cairn ca sign --dir CA --role %s %s.csr') and install the %s.crt it returns next to the key\n",
	    csr_path, crn_role_name(role), a.name, a.name);
	ret = fflush(stdout) == 0 ? 0 : 1;
out:
	if (key_tmp[0] != '\0')
		(void)unlink(key_tmp);
	if (csr_tmp[0] != '\0')
		(void)unlink(csr_tmp);
	cairn_memzero(pk, sizeof(pk));
	crn_strfree(csr);
	crn_identity_free(id);
	cairn_log_set_logger(NULL, NULL);
	return ret;
}
