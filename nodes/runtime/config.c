/*
 * config.c — configuration files for the coordinator, node and researcher
 * (config.h describes the keys).
 *
 * inih does the INI syntax; this file checks meaning.  Keys are described
 * by one table per role so that "unknown key", "given twice", "missing"
 * and range errors are handled once, the same way for every key.  inih
 * does not tell a handler which line it is on, so we feed it through our
 * own line reader, which counts lines, notes section headers and catches
 * over-long lines (inih would silently split them).
 */
#define _XOPEN_SOURCE 700
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ini.h>

#include "base/crn.h"
#include "runtime/config.h"

/* Longest unix-domain socket path (sun_path less the NUL). */
#define CFG_IPC_MAX      107
#define CFG_NAME_MAX     64
#define CFG_DAY_MS       86400000u
#define CFG_MAX_DATASETS 256

typedef enum cfg_type {
	T_STR,     /* any non-empty text */
	T_NAME,    /* [A-Za-z0-9_.-]{1,64} */
	T_PATH,    /* resolved against the file's dir */
	T_URL,     /* tcp://host:port or ipc://path */
	T_U32,     /* whole number in [lo, hi] */
	T_FRAC,    /* threshold fraction in [0.5, 1) */
	T_SFRAC,   /* assumed fraction in [0, 0.5) */
	T_THREAT,  /* "malicious" or "semi-honest", stored as a bool */
	T_LIST_CN, /* comma-separated certificate names */
	T_LOGFMT,  /* "text" or "json", stored as a bool (json) */
	T_LISTEN,  /* an IP address and port: 127.0.0.1:9100, [::1]:9100 */
	T_APPROVE, /* "auto" or "manual", stored as a bool (manual) */
	T_BOOL,    /* true | false */
	T_EPS,     /* DP epsilon in (0, 100] */
	T_DELTA,   /* DP delta in (0, 0.5) */
} cfg_type;

typedef struct cfg_key {
	const char *section;
	const char *name;
	cfg_type type;
	size_t off;   /* into crn_config */
	size_t off_n; /* T_LIST_*: the count */
	int required;
	uint32_t lo, hi; /* T_U32 */
} cfg_key;

#define OFF(m) offsetof(crn_config, m)
#define KN(sec, key, m, req)                                                   \
	{                                                                      \
		sec, key, T_NAME, OFF(m), 0, req, 0, 0                         \
	}
#define KP(sec, key, m, req)                                                   \
	{                                                                      \
		sec, key, T_PATH, OFF(m), 0, req, 0, 0                         \
	}
#define KU(sec, key, m, req)                                                   \
	{                                                                      \
		sec, key, T_URL, OFF(m), 0, req, 0, 0                          \
	}
#define KI(sec, key, m, lo, hi)                                                \
	{                                                                      \
		sec, key, T_U32, OFF(m), 0, 0, lo, hi                          \
	}

static const cfg_key coord_keys[] = {
    KU("coordinator", "listen", coord.listen, 1),
    KP("coordinator", "key", coord.key, 1),
    KP("coordinator", "cert", coord.cert, 1),
    KP("coordinator", "ca_cert", coord.ca_cert, 1),
    KP("coordinator", "crl", coord.crl, 1),
    KP("coordinator", "schema", coord.schema, 1),
    KP("coordinator", "state_dir", coord.state_dir, 0),
    KP("coordinator", "audit_log", coord.audit_log, 0),
    KI("coordinator", "max_jobs", coord.max_jobs, 1, 1024),
    KI("coordinator", "max_queue", coord.max_queue, 0, 4096),
    KI("coordinator", "queue_wait_ms", coord.queue_wait_ms, 1, CFG_DAY_MS),
    KI("coordinator", "min_participants", coord.min_participants, 2, 1000000),
    {"coordinator", "threshold", T_FRAC, OFF(coord.threshold), 0, 0, 0, 0},
    {"coordinator", "threat", T_THREAT, OFF(coord.malicious), 0, 0, 0, 0},
    {"coordinator", "assumed_corrupt", T_SFRAC, OFF(coord.corrupt_frac), 0, 0,
        0, 0},
    {"coordinator", "assumed_dropout", T_SFRAC, OFF(coord.dropout_frac), 0, 0,
        0, 0},
    KI("deadlines", "reveal_ms", coord.deadlines.reveal_ms, 1, CFG_DAY_MS),
    KI("coordinator", "max_unauth", coord.max_unauth, 1, 100000),
    KI("coordinator", "handshake_ms", coord.handshake_ms, 100, 600000),
    {"coordinator", "nodes", T_LIST_CN, OFF(coord.nodes), OFF(coord.nnodes), 0,
        0, 0},
    {"coordinator", "log_format", T_LOGFMT, OFF(coord.log_json), 0, 0, 0, 0},
    {"coordinator", "metrics_listen", T_LISTEN, OFF(coord.metrics_listen), 0,
        0, 0, 0},
    KI("deadlines", "advertise_ms", coord.deadlines.advertise_ms, 1,
        CFG_DAY_MS),
    KI("deadlines", "share_ms", coord.deadlines.share_ms, 1, CFG_DAY_MS),
    KI("deadlines", "input_ms", coord.deadlines.input_ms, 1, CFG_DAY_MS),
    KI("deadlines", "consistency_ms", coord.deadlines.consistency_ms, 1,
        CFG_DAY_MS),
    KI("deadlines", "unmask_ms", coord.deadlines.unmask_ms, 1, CFG_DAY_MS),
};

static const cfg_key node_keys[] = {
    KN("node", "name", node.name, 1),
    KU("node", "coordinator", node.coordinator, 1),
    KP("node", "key", node.key, 1),
    KP("node", "cert", node.cert, 1),
    KP("node", "ca_cert", node.ca_cert, 1),
    KP("node", "crl", node.crl, 1),
    KP("node", "state_dir", node.state_dir, 0),
    KP("node", "audit_log", node.audit_log, 0),
    KP("node", "schema", node.schema, 0),
    KN("node", "coordinator_name", node.coordinator_name, 0),
    KI("node", "reconnect_min_ms", node.reconnect_min_ms, 1, 3600000),
    KI("node", "reconnect_max_ms", node.reconnect_max_ms, 1, 3600000),
    KI("node", "heartbeat_ms", node.heartbeat_ms, 100, 3600000),
    {"node", "log_format", T_LOGFMT, OFF(node.log_json), 0, 0, 0, 0},
    {"node", "metrics_listen", T_LISTEN, OFF(node.metrics_listen), 0, 0, 0,
        0},
    {"policy", "researchers", T_LIST_CN, OFF(node.researchers),
        OFF(node.nresearchers), 1, 0, 0},
    KI("policy", "min_cell", node.min_cell, 1, 1000000),
    KI("policy", "min_participants", node.min_participants, 2, 1000000),
    KI("policy", "max_job_lifetime_ms", node.max_job_lifetime_ms, 1,
        CFG_DAY_MS),
    KI("policy", "query_timeout_ms", node.query_timeout_ms, 1, CFG_DAY_MS),
    {"policy", "threat", T_THREAT, OFF(node.malicious), 0, 0, 0, 0},
    {"policy", "assumed_corrupt", T_SFRAC, OFF(node.corrupt_frac), 0, 0, 0,
        0},
    {"policy", "assumed_dropout", T_SFRAC, OFF(node.dropout_frac), 0, 0, 0,
        0},
    {"policy", "approved_code", T_LIST_CN, OFF(node.approved_code),
        OFF(node.napproved_code), 0, 0, 0},
    KP("policy", "approved_code_dir", node.approved_code_dir, 0),
    KI("policy", "code_memory_mb", node.code_memory_mb, 1, 65536),
    KI("policy", "code_steps_m", node.code_steps_m, 1, 1000000),
    KI("policy", "code_timeout_ms", node.code_timeout_ms, 1, CFG_DAY_MS),
    {"policy", "approve", T_APPROVE, OFF(node.approve_manual), 0, 0, 0, 0},
    {"policy", "approve_manual", T_LIST_CN, OFF(node.manual_researchers),
        OFF(node.nmanual_researchers), 0, 0, 0},
    {"policy", "require_dp", T_BOOL, OFF(node.require_dp), 0, 0, 0, 0},
    {"policy", "budget_epsilon", T_EPS, OFF(node.budget_epsilon), 0, 0, 0, 0},
    {"policy", "budget_delta", T_DELTA, OFF(node.budget_delta), 0, 0, 0, 0},
};

static const cfg_key researcher_keys[] = {
    KU("researcher", "coordinator", researcher.coordinator, 1),
    KP("researcher", "key", researcher.key, 1),
    KP("researcher", "cert", researcher.cert, 1),
    KP("researcher", "ca_cert", researcher.ca_cert, 1),
    KP("researcher", "crl", researcher.crl, 0),
    KI("researcher", "timeout_ms", researcher.timeout_ms, 1, CFG_DAY_MS),
    KP("researcher", "schema", researcher.schema, 0),
    KN("researcher", "coordinator_name", researcher.coordinator_name, 0),
    {"researcher", "epsilon", T_EPS, OFF(researcher.epsilon), 0, 0, 0, 0},
    {"researcher", "delta", T_DELTA, OFF(researcher.delta), 0, 0, 0, 0},
};

#define CFG_MAX_KEYS 40

/* Per-dataset bookkeeping while parsing. */
enum { DK_KIND, DK_PATH, DK_CONNINFO, DK_TABLE, DK_EXPOSE, DK_APPROVE, DK_N };
static const char *const ds_keys[DK_N] = {
    "kind", "path", "conninfo", "table", "expose", "approve"};

typedef struct cfg_ds_seen {
	int header;     /* line of the [dataset NAME] header */
	int line[DK_N]; /* where each key was given (0: no) */
} cfg_ds_seen;

typedef struct cfg_ctx {
	FILE *f;
	crn_config *cfg;
	const cfg_key *keys;
	size_t nkeys;
	int seen[CFG_MAX_KEYS]; /* line each key was given on */
	cfg_ds_seen *ds_seen;   /* parallel to cfg->node.datasets */
	size_t nds_seen;
	size_t ds_cur;         /* dataset of the current section + 1 */
	char cur_section[256]; /* section of the previous key */
	int lineno;            /* lines read so far */
	int last_key_line;     /* line of the previous key */
	const cfg_key *last_key; /* the previous line's key (NULL: none) */
	int header_line;       /* line of the last [section] header */
	char headers[8][32];   /* role sections seen, with their line */
	int header_lines[8];
	size_t nheaders;
	int err_line; /* line of the first error (0: none) */
	int failed;
	cairn_err rv; /* first error's code */
	char msg[512];
} cfg_ctx;

/* ---- errors ------------------------------------------------------------ */

/* Copy s into dst (size n) as a quoted string, escaping what a terminal
 * should not see and cutting long values. */
static void
cfg_quote(char *dst, size_t n, const char *s)
{
	size_t o = 0;

	if (n < 8)
		return;
	dst[o++] = '"';
	for (; *s != '\0' && o + 6 < n; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\') {
			snprintf(dst + o, n - o, "\\x%02x", ch);
			o += 4;
		} else
			dst[o++] = (char)ch;
	}
	if (*s != '\0' && o + 4 < n) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o++] = '"';
	dst[o] = '\0';
}

/* Record the first error: "<file>:<line>: [<section>] <key>: <what>". */
static void cfg_err(cfg_ctx *c, cairn_err rv, int line, const char *section,
    const char *key, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void
cfg_err(cfg_ctx *c, cairn_err rv, int line, const char *section,
    const char *key, const char *fmt, ...)
{
	char what[320], where[128] = "";
	va_list ap;

	if (c->failed)
		return;
	c->failed = 1;
	c->rv = rv;
	c->err_line = line;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (section != NULL && section[0] != '\0')
		snprintf(where, sizeof(where), "[%.64s] %.48s%s", section,
		    key != NULL ? key : "", key != NULL ? ": " : "");
	else if (key != NULL)
		snprintf(where, sizeof(where), "%.48s: ", key);
	if (line > 0)
		snprintf(c->msg, sizeof(c->msg), "%s:%d: %s%s", c->cfg->path,
		    line, where, what);
	else
		snprintf(c->msg, sizeof(c->msg), "%s: %s%s", c->cfg->path,
		    where, what);
}

/* ---- value parsers ----------------------------------------------------- */

static int
cfg_is_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CFG_NAME_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		        (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' ||
		        *s == '-'))
			return 0;
	return 1;
}

/* SQL-safe identifier: it ends up in generated SQL, so only the plainest
 * form is accepted (no quoting needed, no way to break out). */
static int
cfg_is_ident(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return 0;
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
	        *s == '_'))
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		        (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static int
cfg_is_text(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static char *
cfg_join(const char *dir, const char *rel)
{
	size_t a = strlen(dir), b = strlen(rel);
	char *p;

	if ((p = crn_alloc(a + b + 2)) == NULL)
		return NULL;
	memcpy(p, dir, a);
	p[a] = '/';
	memcpy(p + a + 1, rel, b + 1);
	return p;
}

static char *
cfg_path(const crn_config *cfg, const char *v)
{
	if (v[0] == '/')
		return crn_strdup(v);
	return cfg_join(cfg->dir, v);
}

/* Parse a whole decimal number; 0 on success. */
static int
cfg_u32(const char *v, uint32_t lo, uint32_t hi, uint32_t *out)
{
	uint64_t x = 0;

	if (*v == '\0')
		return -1;
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9')
			return -1;
		x = x * 10 + (uint64_t)(*v - '0');
		if (x > hi)
			return -2;
	}
	if (x < lo)
		return -2;
	*out = (uint32_t)x;
	return 0;
}

/* tcp://host:port or ipc://path; relative ipc paths are resolved.  On
 * error returns NULL with *why set (and *oom on allocation failure). */
static char *
cfg_url(const crn_config *cfg, const char *v, const char **why, int *oom)
{
	const char *colon, *h;
	char *path, *url;
	uint32_t port;
	size_t n;

	*why = NULL;
	*oom = 0;
	if (strncmp(v, "tcp://", 6) == 0) {
		h = v + 6;
		colon = strrchr(h, ':');
		if (colon == NULL || colon == h) {
			*why = "want tcp://HOST:PORT";
			return NULL;
		}
		for (const char *p = h; p < colon; p++)
			if (*p == '/' || *p == ' ' || !cfg_is_text(p)) {
				*why = "bad host in tcp:// address";
				return NULL;
			}
		if (cfg_u32(colon + 1, 1, 65535, &port) != 0) {
			*why = "port must be a number from 1 to 65535";
			return NULL;
		}
		if ((url = crn_strdup(v)) == NULL)
			*oom = 1;
		return url;
	}
	if (strncmp(v, "ipc://", 6) == 0) {
		if (v[6] == '\0') {
			*why = "want ipc://PATH";
			return NULL;
		}
		if ((path = cfg_path(cfg, v + 6)) == NULL) {
			*oom = 1;
			return NULL;
		}
		n = strlen(path);
		if (n > CFG_IPC_MAX) {
			crn_strfree(path);
			*why = "ipc:// socket path longer than 107 bytes";
			return NULL;
		}
		if ((url = crn_alloc(n + 7)) == NULL) {
			crn_strfree(path);
			*oom = 1;
			return NULL;
		}
		memcpy(url, "ipc://", 6);
		memcpy(url + 6, path, n + 1);
		crn_strfree(path);
		return url;
	}
	*why = "want tcp://HOST:PORT or ipc://PATH";
	return NULL;
}

static void
cfg_list_free(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		crn_strfree(v[i]);
	crn_free(v, n * sizeof(*v));
}

/*
 * Split a comma-separated list, trimming blanks.  ident selects identifier
 * items (columns) rather than certificate names.  Records an error on c.
 */
static int
cfg_list(cfg_ctx *c, const char *section, const char *key, const char *v,
    int ident, char ***out, size_t *nout)
{
	char **items = NULL, **grown, item[256], q[96];
	size_t n = 0;
	const char *p = v, *e, *a, *b;

	*out = NULL;
	*nout = 0;
	for (;;) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		a = p;
		b = e;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (a == b || (size_t)(b - a) >= sizeof(item)) {
			cfg_err(c, CAIRN_ECONFIG, c->lineno, section, key,
			    a == b ? "empty item in list" : "item too long");
			goto fail;
		}
		memcpy(item, a, (size_t)(b - a));
		item[b - a] = '\0';
		if (ident ? !cfg_is_ident(item) : !cfg_is_text(item)) {
			cfg_quote(q, sizeof(q), item);
			cfg_err(c, CAIRN_ECONFIG, c->lineno, section, key,
			    ident ? "%s is not a plain column name ([A-Za-z_][A-Za-z0-9_]*)"
			          : "%s is not a valid name",
			    q);
			goto fail;
		}
		for (size_t i = 0; i < n; i++)
			if (strcmp(items[i], item) == 0) {
				cfg_quote(q, sizeof(q), item);
				cfg_err(c, CAIRN_ECONFIG, c->lineno, section,
				    key, "%s listed twice", q);
				goto fail;
			}
		grown = crn_realloc(
		    items, n * sizeof(*items), (n + 1) * sizeof(*items));
		if (grown == NULL)
			goto oom;
		items = grown;
		if ((items[n] = crn_strdup(item)) == NULL)
			goto oom;
		n++;
		if (*e == '\0')
			break;
		p = e + 1;
	}
	*out = items;
	*nout = n;
	return 0;
oom:
	cfg_err(c, CAIRN_ENOMEM, c->lineno, section, key, "out of memory");
fail:
	cfg_list_free(items, n);
	return -1;
}

/* ---- sections ---------------------------------------------------------- */

static int
cfg_header_line(const cfg_ctx *c, const char *section)
{
	for (size_t i = 0; i < c->nheaders; i++)
		if (strcmp(c->headers[i], section) == 0)
			return c->header_lines[i];
	return 0;
}

/* Set one table key from its value. */
/* A fraction: T_FRAC in [0.5, 1), T_SFRAC in [0, 0.5). */
static void
cfg_fraction(cfg_ctx *c, const cfg_key *k, const char *section,
    const char *v, const char *q, double *out)
{
	char *end = NULL;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (end == v || *end != '\0' || errno != 0 || !isfinite(d)) {
		cfg_err(c, CAIRN_ECONFIG, c->lineno, section, k->name,
		    "%s is not a number", q);
		return;
	}
	/* A threshold below one half would let two disjoint halves of a
	 * session each complete; at one, a single dropout aborts every
	 * session.  An assumed fraction of a half or more is beyond what
	 * any graph parameters can survive. */
	if (k->type == T_FRAC && (d < 0.5 || d >= 1.0)) {
		cfg_err(c, CAIRN_ECONFIG, c->lineno, section, k->name,
		    "%s must be at least 0.5 and below 1", q);
		return;
	}
	if (k->type == T_SFRAC && (d < 0.0 || d >= 0.5)) {
		cfg_err(c, CAIRN_ECONFIG, c->lineno, section, k->name,
		    "%s must be at least 0 and below 0.5", q);
		return;
	}
	if (k->type == T_EPS && (d <= 0.0 || d > 100.0)) {
		cfg_err(c, CAIRN_ECONFIG, c->lineno, section, k->name,
		    "%s must be above 0 and at most 100", q);
		return;
	}
	if (k->type == T_DELTA && (d <= 0.0 || d >= 0.5)) {
		cfg_err(c, CAIRN_ECONFIG, c->lineno, section, k->name,
		    "%s must be above 0 and below 0.5", q);
		return;
	}
	*out = d;
}

/* An indented line after a list key continues the list (long lists of
 * program hashes do not fit inih's line length). */
static void
cfg_list_more(cfg_ctx *c, const cfg_key *k, const char *section, const char *v)
{
	uint8_t *base = (uint8_t *)c->cfg;
	char ***lp = (char ***)(void *)(base + k->off), **add = NULL, **all;
	size_t *np = (size_t *)(void *)(base + k->off_n), nadd = 0;

	if (cfg_list(c, section, k->name, v, 0, &add, &nadd) != 0)
		return;
	for (size_t i = 0; i < nadd; i++)
		for (size_t j = 0; j < *np; j++)
			if (strcmp(add[i], (*lp)[j]) == 0) {
				cfg_err(c, CAIRN_ECONFIG, c->lineno, section,
				    k->name, "an item is listed twice");
				cfg_list_free(add, nadd);
				return;
			}
	all = crn_realloc(
	    *lp, *np * sizeof(char *), (*np + nadd) * sizeof(char *));
	if (all == NULL) {
		cfg_err(c, CAIRN_ENOMEM, c->lineno, section, k->name,
		    "out of memory");
		cfg_list_free(add, nadd);
		return;
	}
	memcpy(all + *np, add, nadd * sizeof(char *));
	*lp = all;
	*np += nadd;
	crn_free(add, nadd * sizeof(char *));
}

static void
cfg_set(cfg_ctx *c, const cfg_key *k, const char *section, const char *v)
{
	uint8_t *base = (uint8_t *)c->cfg;
	const char *why;
	char q[96], *s = NULL, ***lp;
	int oom = 0, r;

	cfg_quote(q, sizeof(q), v);
	switch (k->type) {
	case T_STR:
	case T_NAME:
		if (!cfg_is_text(v)) {
			cfg_err(c, CAIRN_ECONFIG, c->lineno, section, k->name,
			    "control characters in %s", q);
			return;
		}
		if (k->type == T_NAME && !cfg_is_name(v)) {
			cfg_err(c, CAIRN_ECONFIG, c->lineno, section, k->name,
			    "%s: want 1 to 64 of A-Z a-z 0-9 _ . -", q);
			return;
		}
		s = crn_strdup(v);
		oom = s == NULL;
		break;
	case T_PATH:
		if (!cfg_is_text(v)) {
			cfg_err(c, CAIRN_ECONFIG, c->lineno, section, k->name,
			    "control characters in %s", q);
			return;
		}
		s = cfg_path(c->cfg, v);
		oom = s == NULL;
		break;
	case T_URL:
		s = cfg_url(c->cfg, v, &why, &oom);
		if (s == NULL && !oom) {
			cfg_err(c, CAIRN_ECONFIG, c->lineno, section, k->name,
			    "%s: %s", q, why);
			return;
		}
		break;
	case T_U32:
		r = cfg_u32(
		    v, k->lo, k->hi, (uint32_t *)(void *)(base + k->off));
		if (r == -1)
			cfg_err(c, CAIRN_ECONFIG, c->lineno, section, k->name,
			    "%s is not a whole number", q);
		else if (r == -2)
			cfg_err(c, CAIRN_ECONFIG, c->lineno, section, k->name,
			    "%s is out of range (%u to %u)", q, k->lo, k->hi);
		return;
	case T_BOOL:
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
			cfg_err(c, CAIRN_ECONFIG, c->lineno, section, k->name,
			    "%s is not true or false", q);
			return;
		}
		*(bool *)(void *)(base + k->off) = strcmp(v, "true") == 0;
		return;
	case T_FRAC:
	case T_SFRAC:
	case T_EPS:
	case T_DELTA:
		cfg_fraction(c, k, section, v, q, (double *)(void *)(base + k->off));
		return;
	case T_THREAT:
		if (strcmp(v, "malicious") != 0 && strcmp(v, "semi-honest") != 0) {
			cfg_err(c, CAIRN_ECONFIG, c->lineno, section, k->name,
			    "%s is not malicious or semi-honest", q);
			return;
		}
		*(bool *)(void *)(base + k->off) = strcmp(v, "malicious") == 0;
		return;
	case T_LOGFMT:
		if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0) {
			cfg_err(c, CAIRN_ECONFIG, c->lineno, section, k->name,
			    "%s is not text or json", q);
			return;
		}
		*(bool *)(void *)(base + k->off) = strcmp(v, "json") == 0;
		return;
	case T_LISTEN:
		if (!crn_cfg_listen_parse(v, NULL, 0, NULL)) {
			cfg_err(c, CAIRN_ECONFIG, c->lineno, section, k->name,
			    "%s: want an IP address and a port, such as 127.0.0.1:9464 or [::1]:9464", q);
			return;
		}
		s = crn_strdup(v);
		oom = s == NULL;
		break;
	case T_APPROVE:
		if (strcmp(v, "auto") != 0 && strcmp(v, "manual") != 0) {
			cfg_err(c, CAIRN_ECONFIG, c->lineno, section, k->name,
			    "%s is not auto or manual", q);
			return;
		}
		*(bool *)(void *)(base + k->off) = strcmp(v, "manual") == 0;
		return;
	case T_LIST_CN:
		lp = (char ***)(void *)(base + k->off);
		(void)cfg_list(c, section, k->name, v, 0, lp,
		    (size_t *)(void *)(base + k->off_n));
		return;
	}
	if (oom) {
		cfg_err(c, CAIRN_ENOMEM, c->lineno, section, k->name,
		    "out of memory");
		return;
	}
	*(char **)(void *)(base + k->off) = s;
}

static crn_cfg_dataset *
cfg_ds_find(crn_cfg_node *n, const char *name)
{
	for (size_t i = 0; i < n->ndatasets; i++)
		if (strcmp(n->datasets[i].name, name) == 0)
			return &n->datasets[i];
	return NULL;
}

/* Open (on its first key) the dataset whose section is "dataset NAME". */
static crn_cfg_dataset *
cfg_ds_open(cfg_ctx *c, const char *section, const char *key)
{
	crn_cfg_node *n = &c->cfg->node;
	crn_cfg_dataset *grown;
	cfg_ds_seen *sgrown;
	const char *name = section + 8;
	char q[96];
	size_t i;

	if (strcmp(section, c->cur_section) == 0 && c->ds_cur > 0)
		return &n->datasets[c->ds_cur - 1];
	while (*name == ' ' || *name == '\t')
		name++;
	if (!cfg_is_ident(name)) {
		cfg_quote(q, sizeof(q), name);
		cfg_err(c, CAIRN_ECONFIG, c->header_line, section, NULL,
		    "dataset name %s is not a plain name ([A-Za-z_][A-Za-z0-9_]*)",
		    q);
		return NULL;
	}
	if (cfg_ds_find(n, name) != NULL) {
		cfg_err(c, CAIRN_ECONFIG, c->header_line, section, NULL,
		    "dataset %s defined twice", name);
		return NULL;
	}
	if (n->ndatasets == CFG_MAX_DATASETS) {
		cfg_err(c, CAIRN_ECONFIG, c->header_line, section, key,
		    "more than %d datasets", CFG_MAX_DATASETS);
		return NULL;
	}
	i = n->ndatasets;
	grown = crn_realloc(
	    n->datasets, i * sizeof(*grown), (i + 1) * sizeof(*grown));
	if (grown == NULL)
		goto oom;
	n->datasets = grown;
	sgrown = crn_realloc(
	    c->ds_seen, i * sizeof(*sgrown), (i + 1) * sizeof(*sgrown));
	if (sgrown == NULL)
		goto oom;
	c->ds_seen = sgrown;
	c->nds_seen = i + 1;
	memset(&n->datasets[i], 0, sizeof(n->datasets[i]));
	memset(&c->ds_seen[i], 0, sizeof(c->ds_seen[i]));
	if ((n->datasets[i].name = crn_strdup(name)) == NULL)
		goto oom;
	c->ds_seen[i].header = c->header_line;
	n->ndatasets = i + 1;
	c->ds_cur = i + 1;
	return &n->datasets[i];
oom:
	cfg_err(c, CAIRN_ENOMEM, c->lineno, section, key, "out of memory");
	return NULL;
}

static void
cfg_ds_key(cfg_ctx *c, const char *section, const char *key, const char *v)
{
	crn_cfg_dataset *ds;
	cfg_ds_seen *seen;
	crn_cfg_colmap *grown;
	const char *col;
	char q[96], *s;
	size_t k;

	if ((ds = cfg_ds_open(c, section, key)) == NULL)
		return;
	seen = &c->ds_seen[c->ds_cur - 1];
	cfg_quote(q, sizeof(q), v);
	if (strncmp(key, "column.", 7) == 0) {
		col = key + 7;
		if (!cfg_is_ident(col) || !cfg_is_ident(v)) {
			cfg_err(c, CAIRN_ECONFIG, c->lineno, section, key,
			    "want column.SCHEMA_COLUMN = SOURCE_COLUMN, both plain names ([A-Za-z_][A-Za-z0-9_]*); got %s",
			    q);
			return;
		}
		for (size_t i = 0; i < ds->nmap; i++)
			if (strcmp(ds->map[i].column, col) == 0) {
				cfg_err(c, CAIRN_ECONFIG, c->lineno, section,
				    key, "given twice");
				return;
			}
		grown = crn_realloc(ds->map, ds->nmap * sizeof(*grown),
		    (ds->nmap + 1) * sizeof(*grown));
		if (grown == NULL)
			goto oom;
		ds->map = grown;
		grown = &ds->map[ds->nmap];
		grown->column = crn_strdup(col);
		grown->source = crn_strdup(v);
		ds->nmap++;
		if (grown->column == NULL || grown->source == NULL)
			goto oom;
		return;
	}
	for (k = 0; k < DK_N; k++)
		if (strcmp(key, ds_keys[k]) == 0)
			break;
	if (k == DK_N) {
		cfg_err(c, CAIRN_ECONFIG, c->lineno, section, key,
		    "unknown key (known: kind, path, conninfo, table, expose, approve, column.NAME)");
		return;
	}
	if (seen->line[k] != 0) {
		cfg_err(c, CAIRN_ECONFIG, c->lineno, section, key,
		    "given twice (first on line %d)", seen->line[k]);
		return;
	}
	seen->line[k] = c->lineno;
	if (!cfg_is_text(v)) {
		cfg_err(c, CAIRN_ECONFIG, c->lineno, section, key,
		    "control characters in %s", q);
		return;
	}
	switch (k) {
	case DK_KIND:
		if (strcmp(v, "csv") == 0)
			ds->kind = CRN_SRC_CSV;
		else if (strcmp(v, "sqlite") == 0)
			ds->kind = CRN_SRC_SQLITE;
		else if (strcmp(v, "postgres") == 0)
			ds->kind = CRN_SRC_PG;
		else
			cfg_err(c, CAIRN_ECONFIG, c->lineno, section, key,
			    "%s: want csv, sqlite or postgres", q);
		return;
	case DK_PATH:
		if ((s = cfg_path(c->cfg, v)) == NULL)
			goto oom;
		ds->path = s;
		return;
	case DK_CONNINFO:
		if ((s = crn_strdup(v)) == NULL)
			goto oom;
		ds->conninfo = s;
		return;
	case DK_APPROVE:
		if (strcmp(v, "auto") != 0 && strcmp(v, "manual") != 0)
			cfg_err(c, CAIRN_ECONFIG, c->lineno, section, key,
			    "%s is not auto or manual", q);
		ds->approve = strcmp(v, "manual") == 0 ? CRN_CFG_APPROVE_MANUAL
		                                       : CRN_CFG_APPROVE_AUTO;
		return;
	case DK_TABLE:
		if (!cfg_is_ident(v)) {
			cfg_err(c, CAIRN_ECONFIG, c->lineno, section, key,
			    "%s is not a plain table name ([A-Za-z_][A-Za-z0-9_]*)",
			    q);
			return;
		}
		if ((s = crn_strdup(v)) == NULL)
			goto oom;
		ds->table = s;
		return;
	default:
		(void)cfg_list(
		    c, section, key, v, 1, &ds->expose, &ds->nexpose);
		return;
	}
oom:
	cfg_err(c, CAIRN_ENOMEM, c->lineno, section, key, "out of memory");
}

static int
cfg_handler(void *user, const char *section, const char *key, const char *value)
{
	cfg_ctx *c = user;
	const cfg_key *k = NULL;
	int known_section = 0;
	size_t i;

	/* Keep the first error only; inih goes on reading regardless. */
	if (c->failed)
		return 1;
	if (section[0] == '\0') {
		cfg_err(c, CAIRN_ECONFIG, c->lineno, NULL, key,
		    "key before any [section]");
		return 1;
	}
	if (value[0] == '\0') {
		cfg_err(
		    c, CAIRN_ECONFIG, c->lineno, section, key, "empty value");
		goto done;
	}
	if (c->cfg->role == CRN_CFG_NODE &&
	    strncmp(section, "dataset", 7) == 0 &&
	    (section[7] == ' ' || section[7] == '\t' || section[7] == '\0')) {
		if (section[7] == '\0') {
			cfg_err(c, CAIRN_ECONFIG, c->header_line, section, NULL,
			    "want [dataset NAME]");
			goto done;
		}
		cfg_ds_key(c, section, key, value);
		goto done;
	}
	for (i = 0; i < c->nkeys; i++) {
		if (strcmp(c->keys[i].section, section) != 0)
			continue;
		known_section = 1;
		if (strcmp(c->keys[i].name, key) == 0) {
			k = &c->keys[i];
			break;
		}
	}
	if (!known_section) {
		cfg_err(c, CAIRN_ECONFIG, c->header_line, section, NULL,
		    "unknown section for a %s configuration",
		    crn_cfg_role_name(c->cfg->role));
		goto done;
	}
	if (k == NULL) {
		cfg_err(
		    c, CAIRN_ECONFIG, c->lineno, section, key, "unknown key");
		goto done;
	}
	if (c->seen[i] != 0 && k->type == T_LIST_CN && c->last_key == k &&
	    c->last_key_line == c->lineno - 1) {
		cfg_list_more(c, k, section, value);
		goto done;
	}
	if (c->seen[i] != 0) {
		/* inih hands an indented line to us as the previous key
		 * again (multi-line values); say so when that is likely. */
		cfg_err(c, CAIRN_ECONFIG, c->lineno, section, key,
		    "given twice (first on line %d%s)", c->seen[i],
		    c->seen[i] == c->last_key_line
		        ? "; an indented line continues the value above it"
		        : "");
		goto done;
	}
	c->seen[i] = c->lineno;
	if (cfg_header_line(c, section) == 0 &&
	    c->nheaders < CRN_NELEM(c->headers)) {
		snprintf(c->headers[c->nheaders], sizeof(c->headers[0]), "%s",
		    section);
		c->header_lines[c->nheaders++] = c->header_line;
	}
	cfg_set(c, k, section, value);
done:
	c->last_key_line = c->lineno;
	c->last_key = k;
	if (strcmp(section, c->cur_section) != 0) {
		snprintf(c->cur_section, sizeof(c->cur_section), "%s", section);
		if (strncmp(section, "dataset", 7) != 0)
			c->ds_cur = 0;
	}
	return 1;
}

/* inih's line source: one whole physical line per call, counted. */
static char *
cfg_reader(char *str, int num, void *stream)
{
	cfg_ctx *c = stream;
	size_t n = 0, len = 0, i;
	int ch, any = 0, nul = 0;

	while ((ch = getc(c->f)) != EOF) {
		any = 1;
		if (ch == '\0')
			nul = 1;
		if (n + 1 < (size_t)num)
			str[n++] = (char)ch;
		len++;
		if (ch == '\n')
			break;
	}
	if (!any)
		return NULL;
	str[n] = '\0';
	c->lineno++;
	if (nul)
		cfg_err(c, CAIRN_ECONFIG, c->lineno, NULL, NULL,
		    "NUL byte in a text file");
	else if (len > n)
		cfg_err(c, CAIRN_ECONFIG, c->lineno, NULL, NULL,
		    "line longer than %d characters", num - 2);
	for (i = 0; i < n && (str[i] == ' ' || str[i] == '\t'); i++)
		;
	if (str[i] == '[')
		c->header_line = c->lineno;
	return str;
}

/* ---- checks after the whole file -------------------------------------- */

static void
cfg_missing(cfg_ctx *c)
{
	for (size_t i = 0; i < c->nkeys && !c->failed; i++) {
		const cfg_key *k = &c->keys[i];
		int line;

		if (!k->required || c->seen[i] != 0)
			continue;
		line = cfg_header_line(c, k->section);
		if (line > 0)
			cfg_err(c, CAIRN_ECONFIG, line, k->section, k->name,
			    "missing (required)");
		else
			cfg_err(c, CAIRN_ECONFIG, 0, k->section, k->name,
			    "missing (required; no [%s] section)", k->section);
	}
}

static void
cfg_check_dataset(cfg_ctx *c, size_t i)
{
	crn_cfg_dataset *ds = &c->cfg->node.datasets[i];
	cfg_ds_seen *seen = &c->ds_seen[i];
	char sec[80];
	int need[DK_N] = {0};
	const char *kind;
	int allow_path, allow_conn, allow_table;
	size_t k, m, e;

	snprintf(sec, sizeof(sec), "dataset %s", ds->name);
	if (ds->kind == 0) {
		cfg_err(c, CAIRN_ECONFIG, seen->header, sec, "kind",
		    "missing (required: csv, sqlite or postgres)");
		return;
	}
	kind = ds->kind == CRN_SRC_CSV   ? "csv"
	    : ds->kind == CRN_SRC_SQLITE ? "sqlite"
	                                 : "postgres";
	allow_path = ds->kind != CRN_SRC_PG;
	allow_conn = ds->kind == CRN_SRC_PG;
	allow_table = ds->kind != CRN_SRC_CSV;
	need[DK_PATH] = allow_path;
	need[DK_CONNINFO] = allow_conn;
	need[DK_TABLE] = allow_table;
	need[DK_EXPOSE] = 1;
	for (k = DK_PATH; k < DK_N; k++) {
		int allowed = k == DK_PATH ? allow_path
		    : k == DK_CONNINFO     ? allow_conn
		    : k == DK_TABLE        ? allow_table
		                           : 1;

		if (seen->line[k] != 0 && !allowed) {
			cfg_err(c, CAIRN_ECONFIG, seen->line[k], sec,
			    ds_keys[k], "not used with kind = %s", kind);
			return;
		}
		if (seen->line[k] == 0 && need[k]) {
			cfg_err(c, CAIRN_ECONFIG, seen->header, sec, ds_keys[k],
			    "missing (required with kind = %s)", kind);
			return;
		}
	}
	/* A mapping for a column the node does not expose is most likely a
	 * typo in one of the two places. */
	for (m = 0; m < ds->nmap; m++) {
		for (e = 0; e < ds->nexpose; e++)
			if (strcmp(ds->map[m].column, ds->expose[e]) == 0)
				break;
		if (e == ds->nexpose) {
			char key[80];

			snprintf(
			    key, sizeof(key), "column.%s", ds->map[m].column);
			cfg_err(c, CAIRN_ECONFIG, seen->header, sec, key,
			    "maps a column that is not in expose");
			return;
		}
	}
}

static void
cfg_finish(cfg_ctx *c)
{
	crn_config *cfg = c->cfg;
	crn_cfg_node *n = &cfg->node;
	char *s;

	cfg_missing(c);
	if (!c->failed && cfg->role == CRN_CFG_COORDINATOR &&
	    cfg->coord.state_dir == NULL &&
	    (cfg->coord.state_dir = cfg_join(cfg->dir, "coordinator-state")) ==
	        NULL)
		cfg_err(c, CAIRN_ENOMEM, 0, NULL, NULL, "out of memory");
	if (!c->failed && cfg->role == CRN_CFG_COORDINATOR &&
	    cfg->coord.audit_log == NULL &&
	    (cfg->coord.audit_log =
	            cfg_join(cfg->coord.state_dir, "audit.log")) == NULL)
		cfg_err(c, CAIRN_ENOMEM, 0, NULL, NULL, "out of memory");
	if (c->failed || cfg->role != CRN_CFG_NODE)
		return;
	if (n->ndatasets == 0) {
		cfg_err(c, CAIRN_ECONFIG, 0, NULL, NULL,
		    "no [dataset NAME] section: the node has no data to offer");
		return;
	}
	for (size_t i = 0; i < n->ndatasets && !c->failed; i++)
		cfg_check_dataset(c, i);
	if (c->failed)
		return;
	/* A mistyped approval would silently approve nothing. */
	for (size_t i = 0; i < n->napproved_code; i++) {
		const char *h = n->approved_code[i];
		size_t k = 0;

		while (h[k] != '\0' && strchr("0123456789abcdef", h[k]) != NULL)
			k++;
		if (k != 64 || h[k] != '\0') {
			cfg_err(c, CAIRN_ECONFIG, cfg_header_line(c, "policy"),
			    "policy", "approved_code",
			    "item %zu is not a SHA-256 in lower-case hex (cairn code hash FILE prints one)",
			    i + 1);
			return;
		}
	}
	if (n->reconnect_min_ms > n->reconnect_max_ms) {
		cfg_err(c, CAIRN_ECONFIG, cfg_header_line(c, "node"), "node",
		    "reconnect_min_ms", "larger than reconnect_max_ms (%u)",
		    n->reconnect_max_ms);
		return;
	}
	if (n->state_dir == NULL) {
		char rel[CFG_NAME_MAX + 8];

		snprintf(rel, sizeof(rel), "%s-state", n->name);
		if ((s = cfg_join(cfg->dir, rel)) == NULL) {
			cfg_err(
			    c, CAIRN_ENOMEM, 0, NULL, NULL, "out of memory");
			return;
		}
		n->state_dir = s;
	}
	if (n->audit_log == NULL &&
	    (n->audit_log = cfg_join(n->state_dir, "audit.log")) == NULL)
		cfg_err(c, CAIRN_ENOMEM, 0, NULL, NULL, "out of memory");
}

static void
cfg_defaults(crn_config *cfg)
{
	switch (cfg->role) {
	case CRN_CFG_COORDINATOR:
		cfg->coord.max_jobs = 4;
		cfg->coord.max_queue = 16;
		cfg->coord.queue_wait_ms = 60000;
		cfg->coord.min_participants = 3;
		cfg->coord.threshold = 0.5;
		cfg->coord.malicious = true;
		cfg->coord.corrupt_frac = 0.05;
		cfg->coord.dropout_frac = 0.05;
		cfg->coord.deadlines.reveal_ms = 30000;
		cfg->coord.max_unauth = 64;
		cfg->coord.handshake_ms = 5000;
		cfg->coord.deadlines.advertise_ms = 30000;
		cfg->coord.deadlines.share_ms = 30000;
		/* Nodes compute over their own data in this round. */
		cfg->coord.deadlines.input_ms = 300000;
		cfg->coord.deadlines.consistency_ms = 30000;
		cfg->coord.deadlines.unmask_ms = 30000;
		break;
	case CRN_CFG_NODE:
		cfg->node.reconnect_min_ms = 100;
		cfg->node.reconnect_max_ms = 30000;
		cfg->node.heartbeat_ms = 10000;
		cfg->node.min_cell = 10;
		cfg->node.min_participants = 3;
		/* Against a coordinator that lies to nodes unless the
		 * operator says otherwise. */
		cfg->node.malicious = true;
		cfg->node.corrupt_frac = 0.05;
		cfg->node.dropout_frac = 0.05;
		/* A signed job may be valid for an hour at most: a longer
		 * window gives a coordinator more time to replay it. */
		cfg->node.max_job_lifetime_ms = 3600000;
		/* The coordinator's default wait for masked inputs. */
		cfg->node.query_timeout_ms = 300000;
		/* Approved programs: core/lua/sandbox.h's defaults. */
		cfg->node.code_memory_mb = 256;
		cfg->node.code_steps_m = 2000;
		cfg->node.code_timeout_ms = 20000;
		/* The node's whole privacy budget per researcher and
		 * dataset; require_dp stays off unless the operator asks. */
		cfg->node.budget_epsilon = 10.0;
		cfg->node.budget_delta = 1e-6;
		break;
	case CRN_CFG_RESEARCHER:
		cfg->researcher.timeout_ms = 600000;
		cfg->researcher.delta = 1e-6;
		break;
	}
}

/* The absolute directory holding path. */
static char *
cfg_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir, *abs, *out;
	size_t n;

	if (slash == NULL)
		dir = crn_strdup(".");
	else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if ((dir = crn_alloc(n + 1)) != NULL) {
			memcpy(dir, path, n);
			dir[n] = '\0';
		}
	}
	/* errno tells the caller what failed. */
	if (dir == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	abs = realpath(dir, NULL);
	crn_strfree(dir);
	if (abs == NULL)
		return NULL;
	if ((out = crn_strdup(abs)) == NULL)
		errno = ENOMEM;
	free(abs);
	return out;
}

cairn_err
crn_config_load(crn_config **out, const char *path, crn_cfg_role role,
    char *err, size_t errlen)
{
	crn_config *cfg = NULL;
	cfg_ctx *c = NULL;
	cairn_err rv = CAIRN_EINTERNAL;
	int e, r;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL)
		return CAIRN_EINVAL;
	*out = NULL;
	if (path == NULL || role < CRN_CFG_COORDINATOR ||
	    role > CRN_CFG_RESEARCHER)
		return CAIRN_EINVAL;
	if ((c = crn_zalloc(sizeof(*c))) == NULL ||
	    (cfg = crn_zalloc(sizeof(*cfg))) == NULL ||
	    (cfg->path = crn_strdup(path)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	cfg->role = role;
	c->cfg = cfg;
	switch (role) {
	case CRN_CFG_COORDINATOR:
		c->keys = coord_keys;
		c->nkeys = CRN_NELEM(coord_keys);
		break;
	case CRN_CFG_NODE:
		c->keys = node_keys;
		c->nkeys = CRN_NELEM(node_keys);
		break;
	default:
		c->keys = researcher_keys;
		c->nkeys = CRN_NELEM(researcher_keys);
		break;
	}
	CAIRN_ASSERT(c->nkeys <= CFG_MAX_KEYS);
	cfg_defaults(cfg);
	if ((c->f = fopen(path, "r")) == NULL ||
	    (cfg->dir = cfg_dir_of(path)) == NULL) {
		e = errno;
		rv = e == ENOMEM  ? CAIRN_ENOMEM
		    : e == EACCES ? CAIRN_EPERM
		    : e == ENOENT ? CAIRN_ENOENT
		                  : CAIRN_ESYS;
		cfg_err(c, rv, 0, NULL, NULL, "cannot open: %s", strerror(e));
		goto out;
	}
	r = ini_parse_stream(cfg_reader, c, cfg_handler, c);
	if (ferror(c->f)) {
		c->failed = 0;
		cfg_err(c, CAIRN_ESYS, 0, NULL, NULL, "read error");
	} else if (r == -2) {
		c->failed = 0;
		cfg_err(c, CAIRN_ENOMEM, 0, NULL, NULL, "out of memory");
	} else if (r > 0 &&
	    (!c->failed || c->err_line == 0 || r < c->err_line)) {
		/* inih found bad syntax before any error of ours. */
		c->failed = 0;
		cfg_err(c, CAIRN_ECONFIG, r, NULL, NULL,
		    "syntax error (want [section] or key = value)");
	}
	if (!c->failed)
		cfg_finish(c);
	if (c->failed) {
		rv = c->rv;
		goto out;
	}
	*out = cfg;
	cfg = NULL;
	rv = CAIRN_OK;
out:
	if (c != NULL) {
		if (rv != CAIRN_OK && c->failed) {
			crn_log_err("%s", c->msg);
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "%s", c->msg);
		}
		if (c->f != NULL)
			fclose(c->f);
		crn_free(c->ds_seen, c->nds_seen * sizeof(*c->ds_seen));
		crn_free(c, sizeof(*c));
	}
	crn_config_free(cfg);
	return rv;
}

static void
cfg_dataset_fini(crn_cfg_dataset *ds)
{
	crn_strfree(ds->name);
	crn_strfree(ds->path);
	/* A connection string may carry a password. */
	if (ds->conninfo != NULL)
		crn_freezero(ds->conninfo, strlen(ds->conninfo) + 1);
	crn_strfree(ds->table);
	cfg_list_free(ds->expose, ds->nexpose);
	for (size_t i = 0; i < ds->nmap; i++) {
		crn_strfree(ds->map[i].column);
		crn_strfree(ds->map[i].source);
	}
	crn_free(ds->map, ds->nmap * sizeof(*ds->map));
}

void
crn_config_free(crn_config *cfg)
{
	crn_cfg_coordinator *co;
	crn_cfg_node *n;
	crn_cfg_researcher *r;

	if (cfg == NULL)
		return;
	co = &cfg->coord;
	crn_strfree(co->listen);
	crn_strfree(co->key);
	crn_strfree(co->cert);
	crn_strfree(co->ca_cert);
	crn_strfree(co->crl);
	crn_strfree(co->schema);
	crn_strfree(co->state_dir);
	cfg_list_free(co->nodes, co->nnodes);
	crn_strfree(co->metrics_listen);
	crn_strfree(co->audit_log);
	n = &cfg->node;
	crn_strfree(n->name);
	crn_strfree(n->coordinator);
	crn_strfree(n->key);
	crn_strfree(n->cert);
	crn_strfree(n->ca_cert);
	crn_strfree(n->crl);
	crn_strfree(n->state_dir);
	crn_strfree(n->audit_log);
	cfg_list_free(n->manual_researchers, n->nmanual_researchers);
	crn_strfree(n->schema);
	crn_strfree(n->coordinator_name);
	crn_strfree(n->metrics_listen);
	cfg_list_free(n->researchers, n->nresearchers);
	cfg_list_free(n->approved_code, n->napproved_code);
	crn_strfree(n->approved_code_dir);
	for (size_t i = 0; i < n->ndatasets; i++)
		cfg_dataset_fini(&n->datasets[i]);
	crn_free(n->datasets, n->ndatasets * sizeof(*n->datasets));
	r = &cfg->researcher;
	crn_strfree(r->coordinator);
	crn_strfree(r->key);
	crn_strfree(r->cert);
	crn_strfree(r->ca_cert);
	crn_strfree(r->crl);
	crn_strfree(r->schema);
	crn_strfree(r->coordinator_name);
	crn_strfree(cfg->path);
	crn_strfree(cfg->dir);
	crn_free(cfg, sizeof(*cfg));
}

const crn_cfg_dataset *
crn_config_dataset(const crn_config *cfg, const char *name)
{
	if (cfg == NULL || name == NULL || cfg->role != CRN_CFG_NODE)
		return NULL;
	for (size_t i = 0; i < cfg->node.ndatasets; i++)
		if (strcmp(cfg->node.datasets[i].name, name) == 0)
			return &cfg->node.datasets[i];
	return NULL;
}

bool
crn_cfg_listen_parse(const char *v, char *host, size_t hostlen, uint16_t *port)
{
	char h[INET6_ADDRSTRLEN + 1];
	const char *colon, *hs = v;
	size_t hl;
	unsigned long p;
	char *end;
	uint8_t a[16];

	if (v[0] == '[') {
		const char *rb = strchr(v, ']');

		if (rb == NULL || rb[1] != ':')
			return false;
		hs = v + 1;
		hl = (size_t)(rb - hs);
		colon = rb + 1;
	} else {
		if ((colon = strrchr(v, ':')) == NULL)
			return false;
		hl = (size_t)(colon - v);
	}
	if (hl == 0 || hl >= sizeof(h))
		return false;
	memcpy(h, hs, hl);
	h[hl] = '\0';
	if (inet_pton(v[0] == '[' ? AF_INET6 : AF_INET, h, a) != 1)
		return false;
	if (colon[1] < '0' || colon[1] > '9')
		return false;
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || p == 0 || p > 65535)
		return false;
	if (host != NULL) {
		if (hostlen <= hl)
			return false;
		memcpy(host, h, hl + 1);
	}
	if (port != NULL)
		*port = (uint16_t)p;
	return true;
}

const char *
crn_cfg_role_name(crn_cfg_role role)
{
	switch (role) {
	case CRN_CFG_COORDINATOR: return "coordinator";
	case CRN_CFG_NODE: return "node";
	case CRN_CFG_RESEARCHER: return "researcher";
	}
	return "?";
}
