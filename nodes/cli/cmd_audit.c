/*
 * cmd_audit.c — 'cairn audit verify | show | cross': check and read the
 * hash-chained audit logs the node and coordinator daemons write
 * (core/audit/audit.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/crn.h"
#include "cli/cmds.h"
#include "cli/opts.h"
#include "crypto/cert.h"

static const char audit_usage[] =
    "usage: cairn audit verify FILE [--key PUBKEY|CERT]\n"
    "       cairn audit show FILE [--since RFC3339] [--key PUBKEY|CERT]\n"
    "       cairn audit cross NODE_LOG COORD_LOG [--key PUBKEY|CERT]\n"
    "Audit logs are append-only, hash-chained and signed by the party's\n"
    "identity key (state_dir/audit.log of every node and coordinator).\n"
    "  verify  check every entry's chain link and signature; names the\n"
    "          first bad entry and exits 1.\n"
    "  show    print the entries (those at or after --since, e.g.\n"
    "          2026-12-05 or 2026-12-05T06:00:00Z), verifying as it goes.\n"
    "  cross   check that the coordinator's log holds, unaltered, every\n"
    "          job the node's log says the coordinator offered it (the\n"
    "          coordinator signs its log head into each offer).\n"
    "--key     the signer's Ed25519 public key (64 hex digits) or its\n"
    "          certificate (PEM); every entry must be signed by it.\n"
    "          Without it the key named by the log's own open entries\n"
    "          is used, which proves integrity, not authorship.\n";

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
hex_decode(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* --key: 64 hex digits, or a PEM certificate whose key is taken (not
 * verified against a CA: the operator names the certificate). */
static int
load_key(const char *arg, uint8_t pk[CAIRN_SIGN_PK_LEN])
{
	uint8_t *pem = NULL, *der = NULL;
	size_t plen = 0, dlen = 0;
	crn_cert_info info;
	cairn_err rv;

	if (hex_decode(arg, pk, CAIRN_SIGN_PK_LEN))
		return 0;
	if ((rv = crn_file_read(arg, 1 << 20, &pem, &plen)) != CAIRN_OK)
		return cli_error("audit: --key %s: neither 64 hex digits nor a readable certificate file (%s)",
		    arg, cairn_strerror(rv));
	rv = crn_cert_pem_to_der((const char *)pem, &der, &dlen);
	crn_free(pem, plen + 1);
	if (rv == CAIRN_OK)
		rv = crn_cert_inspect(der, dlen, &info);
	crn_free(der, dlen);
	if (rv != CAIRN_OK)
		return cli_error("audit: --key %s: not a PEM certificate: %s",
		    arg, cairn_strerror(rv));
	memcpy(pk, info.pk, CAIRN_SIGN_PK_LEN);
	return 0;
}

static int
audit_verify(const char *path, const uint8_t *pk)
{
	crn_audit_report rep;
	char fp[CAIRN_FINGERPRINT_LEN];
	cairn_err rv;

	rv = crn_audit_verify_file(path, pk, NULL, NULL, &rep);
	if (rv != CAIRN_OK)
		return cli_error("audit verify %s: %s", path, rep.why);
	if (rep.entries == 0)
		return cli_error("audit verify %s: the log is empty", path);
	crn_fingerprint(rep.key, fp);
	printf("ok: %s: %llu entries, chain and signatures verify; signed by %s%s (%llu key%s)\n",
	    path, (unsigned long long)rep.entries, fp,
	    pk != NULL ? ", the key given" : "", (unsigned long long)rep.keys,
	    rep.keys == 1 ? "" : "s");
	return 0;
}

/* Print one field value: as is when plain, else quoted with escapes. */
static void
show_value(const char *v)
{
	bool plain = *v != '\0';

	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '\\' ||
		    *p == 0x7f)
			plain = false;
	if (plain) {
		fputs(v, stdout);
		return;
	}
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0';
	     p++) {
		if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

typedef struct show_ctx {
	uint64_t since;
	bool have_since;
	uint64_t shown;
} show_ctx;

static cairn_err
show_entry(void *arg, const crn_audit_entry *e)
{
	show_ctx *s = arg;
	uint64_t t = 0;

	if (s->have_since && crn_audit_time_parse(e->time, &t) == CAIRN_OK &&
	    t < s->since)
		return CAIRN_OK;
	printf("%llu %s %s", (unsigned long long)e->seq, e->time, e->type);
	for (size_t i = 0; i < e->nfields; i++) {
		printf(" %s=", e->keys[i]);
		show_value(e->values[i]);
	}
	putchar('\n');
	s->shown++;
	return CAIRN_OK;
}

static int
audit_show(const char *path, const char *since, const uint8_t *pk)
{
	show_ctx s = {0};
	crn_audit_report rep;

	if (since != NULL) {
		if (crn_audit_time_parse(since, &s.since) != CAIRN_OK)
			return cli_error(
			    "audit show: --since %s: want an RFC 3339 time such as 2026-12-05T06:00:00Z or a date 2026-12-05",
			    since);
		s.have_since = true;
	}
	if (crn_audit_verify_file(path, pk, show_entry, &s, &rep) != CAIRN_OK) {
		fflush(stdout);
		return cli_error(
		    "audit show %s: %s (entries after it not shown)", path,
		    rep.why);
	}
	return 0;
}

/* ---- cross: the node's record of the coordinator's heads --------------- */

typedef struct cross_head {
	uint64_t node_seq;
	uint64_t seq;
	uint8_t hash[CRN_AUDIT_HASH_LEN];
	char job[33];
} cross_head;

typedef struct cross_ctx {
	cross_head *v;
	size_t n, cap;
	uint64_t bad_node_entry; /* a head whose signature is wrong */
} cross_ctx;

/* The coordinator's log, entry by entry (index seq - 1). */
typedef struct coord_seen {
	uint8_t (*hash)[CRN_AUDIT_HASH_LEN];
	char (*job)[33];
	size_t n, cap;
} coord_seen;

/* A node's "received" entry that carries the coordinator's signed head. */
static cairn_err
cross_node_entry(void *arg, const crn_audit_entry *e)
{
	cross_ctx *c = arg;
	const char *job = crn_audit_field_get(e, "job");
	const char *head = crn_audit_field_get(e, "coord_head");
	const char *ckey = crn_audit_field_get(e, "coord_key");
	uint8_t jid[16], pk[CAIRN_SIGN_PK_LEN], h[CRN_AUDIT_HEAD_LEN];
	cross_head ch;

	if (strcmp(e->type, CRN_AUDIT_RECEIVED) != 0 || head == NULL ||
	    job == NULL || ckey == NULL)
		return CAIRN_OK;
	memset(&ch, 0, sizeof(ch));
	if (!hex_decode(job, jid, sizeof(jid)) ||
	    !hex_decode(ckey, pk, sizeof(pk)) ||
	    !hex_decode(head, h, sizeof(h)) ||
	    crn_audit_head_check(h, sizeof(h), jid, pk, &ch.seq, ch.hash) !=
	        CAIRN_OK) {
		if (c->bad_node_entry == 0)
			c->bad_node_entry = e->seq;
		return CAIRN_OK;
	}
	ch.node_seq = e->seq;
	snprintf(ch.job, sizeof(ch.job), "%s", job);
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		cross_head *g =
		    crn_realloc(c->v, c->cap * sizeof(*g), cap * sizeof(*g));

		if (g == NULL)
			return CAIRN_ENOMEM;
		c->v = g;
		c->cap = cap;
	}
	c->v[c->n++] = ch;
	return CAIRN_OK;
}

/* Every coordinator entry's hash, and the job a receipt is of. */
static cairn_err
cross_coord_entry(void *arg, const crn_audit_entry *e)
{
	coord_seen *c = arg;
	const char *job = crn_audit_field_get(e, "job");

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		void *h = crn_realloc(
		    c->hash, c->cap * sizeof(*c->hash), cap * sizeof(*c->hash));

		if (h == NULL)
			return CAIRN_ENOMEM;
		c->hash = h;
		if ((h = crn_realloc(c->job, c->cap * sizeof(*c->job),
		         cap * sizeof(*c->job))) == NULL)
			return CAIRN_ENOMEM;
		c->job = h;
		c->cap = cap;
	}
	memcpy(c->hash[c->n], e->hash, CRN_AUDIT_HASH_LEN);
	snprintf(c->job[c->n], sizeof(c->job[0]), "%s",
	    strcmp(e->type, CRN_AUDIT_RECEIVED) == 0 && job != NULL ? job : "");
	c->n++;
	return CAIRN_OK;
}

static void
coord_seen_fini(coord_seen *c)
{
	crn_free(c->hash, c->cap * sizeof(*c->hash));
	crn_free(c->job, c->cap * sizeof(*c->job));
}

/* One head the node recorded against the coordinator's log. */
static int
cross_one(const cross_head *h, const coord_seen *cs)
{
	if (h->seq == 0 || h->seq > cs->n)
		return cli_error(
		    "audit cross: the coordinator log omits job %s: the node saw it at coordinator entry %llu (node entry %llu), the log ends at entry %zu",
		    h->job, (unsigned long long)h->seq,
		    (unsigned long long)h->node_seq, cs->n);
	if (!crn_ct_eq(cs->hash[h->seq - 1], h->hash, CRN_AUDIT_HASH_LEN))
		return cli_error(
		    "audit cross: the coordinator log was altered at or before entry %llu: it does not match the head the coordinator signed for job %s (node entry %llu)",
		    (unsigned long long)h->seq, h->job,
		    (unsigned long long)h->node_seq);
	if (strcmp(cs->job[h->seq - 1], h->job) != 0)
		return cli_error(
		    "audit cross: coordinator entry %llu is not the receipt of job %s the node saw (node entry %llu)",
		    (unsigned long long)h->seq, h->job,
		    (unsigned long long)h->node_seq);
	return 0;
}

static int
audit_cross(const char *node_log, const char *coord_log, const uint8_t *pk)
{
	cross_ctx c;
	coord_seen cs;
	crn_audit_report rep;
	int bad = 0;

	memset(&c, 0, sizeof(c));
	memset(&cs, 0, sizeof(cs));
	if (crn_audit_verify_file(node_log, NULL, cross_node_entry, &c, &rep) !=
	    CAIRN_OK) {
		bad = cli_error("audit cross: node log %s: %s", node_log,
		    rep.why[0] ? rep.why : "out of memory");
		goto out;
	}
	if (c.bad_node_entry != 0)
		printf("warning: node log entry %llu: the coordinator head it records does not verify\n",
		    (unsigned long long)c.bad_node_entry);
	if (crn_audit_verify_file(
	        coord_log, pk, cross_coord_entry, &cs, &rep) != CAIRN_OK) {
		bad = cli_error("audit cross: coordinator log %s: %s",
		    coord_log, rep.why[0] ? rep.why : "out of memory");
		goto out;
	}
	for (size_t i = 0; i < c.n && !bad; i++)
		bad = cross_one(&c.v[i], &cs);
	if (!bad)
		printf("ok: %zu job%s the node saw %s in the coordinator's log, unaltered\n",
		    c.n, c.n == 1 ? "" : "s", c.n == 1 ? "is" : "are");
out:
	crn_free(c.v, c.cap * sizeof(*c.v));
	coord_seen_fini(&cs);
	return bad;
}

int
cmd_audit(int argc, char **argv)
{
	const char *files[2] = {NULL, NULL}, *since = NULL, *key = NULL;
	const char *verb = argc >= 2 ? argv[1] : "";
	bool show = strcmp(verb, "show") == 0;
	bool cross = strcmp(verb, "cross") == 0;
	cli_opt opts[3] = {{.name = "--key", .val = &key}};
	char name[32];
	cli_cmd cmd = {name, opts, files, cross ? 2 : 1, cross ? 2 : 1,
	    cross ? "NODE_LOG and COORD_LOG" : "FILE", audit_usage};
	uint8_t pk[CAIRN_SIGN_PK_LEN];
	int st;

	if (argc < 2) {
		cli_error("audit: which command? (verify, show, cross; see 'cairn audit --help')");
		return 2;
	}
	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
		fputs(audit_usage, stdout);
		return 0;
	}
	if (!show && !cross && strcmp(verb, "verify") != 0)
		return cli_usage_error("audit",
		    "unknown command '%s' (verify, show, cross)", verb);
	if (show)
		opts[1] = (cli_opt){.name = "--since", .val = &since};
	snprintf(name, sizeof(name), "audit %s", verb);
	if ((st = cli_parse(&cmd, argc - 1, argv + 1)) >= 0)
		return st;
	if (key != NULL && load_key(key, pk) != 0)
		return 1;
	if (cross)
		return audit_cross(files[0], files[1], key != NULL ? pk : NULL);
	if (show)
		return audit_show(files[0], since, key != NULL ? pk : NULL);
	return audit_verify(files[0], key != NULL ? pk : NULL);
}
