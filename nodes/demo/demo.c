/*
 * demo.c — a throwaway federation on this machine (demo.h).
 *
 * Without --schema/--csv 'cairn demo' uses the sample federation in
 * examples/: the schema examples/schema/cps.ini and
 * examples/data/agency{1,2,3}.csv (crn_demo_use_examples).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/crn.h"
#include "crypto/cert.h"
#include "crypto/crypto.h"
#include "demo/demo.h"
#include "exec/exec.h"
#include "lua/code.h"
#include "query/schema.h"
#include "query/sql_plan.h"
#include "query/sql_result.h"
#include "runtime/config.h"

extern char **environ;

#define DEMO_MAX_NODES   CRN_DEMO_MAX_NODES
#define DEMO_MAX_QUERIES CRN_DEMO_MAX_QUERIES
#define DEMO_PATH        CRN_DEMO_PATH

typedef crn_demo demo;
typedef crn_demo_node demo_node;

/* The questions asked of the sample federation. */
static const char *const demo_default_queries[] = {
    "SELECT count(*), sum(wage), avg(wage) FROM cps",
    "SELECT region, count(*), avg(wage), stddev_samp(wage) FROM cps WHERE education >= 12 GROUP BY region ORDER BY region",
    "SELECT sex, count(*), avg(hours) FROM cps WHERE age BETWEEN 25 AND 54 GROUP BY sex ORDER BY sex",
    "SELECT width_bucket(age, 16, 76, 6) AS age_band, count(*), avg(wage) FROM cps GROUP BY width_bucket(age, 16, 76, 6) ORDER BY age_band",
};

/* A fit for each kind over the sample federation, when --model comes
 * without --x. */
static const char *const demo_fit_linear[] = {"--y", "wage", "--x",
    "education", "--x", "age", "--x", "sex = 'female'", NULL};
static const char *const demo_fit_logistic[] = {"--y", "hours >= 40", "--x",
    "age", "--x", "education", "--x", "sex = 'female'", NULL};
static const char *const demo_fit_poisson[] = {
    "--y", "education", "--x", "age", "--x", "region = 'west'", NULL};
static const char *const demo_fit_kmeans[] = {"--x", "age", "--x", "hours",
    "--k", "3", "--init", "25,40;45,40;65,20", NULL};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int demo_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* "cairn: <msg>" on stderr, as the program's other errors; returns 1. */
static int
demo_error(const char *fmt, ...)
{
	va_list ap;

	fputs("cairn: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* Progress goes to stderr so that stdout carries only the answers. */
static void
say(const char *fmt, ...)
{
	va_list ap;

	fputs("demo: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- small file helpers -------------------------------------------------- */

static int
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t len = strlen(text), off = 0;

	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	return close(fd);
}

static char *
read_text(const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char *s;

	if (crn_file_read(path, 64u << 20, &buf, &len) != CAIRN_OK)
		return NULL;
	if ((s = malloc(len + 1)) != NULL) {
		memcpy(s, buf, len);
		s[len] = '\0';
	}
	crn_free(buf, len + 1); /* crn_file_read adds a NUL */
	return s;
}

static int
rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int
path_join(char *out, const char *a, const char *b)
{
	int n = snprintf(out, DEMO_PATH, "%s/%s", a, b);

	return n < 0 || n >= DEMO_PATH ? -1 : 0;
}

static int
absolute(char *out, const char *path)
{
	if (realpath(path, out) == NULL)
		return demo_error(
		    "demo: cannot open %s: %s", path, strerror(errno));
	return 0;
}

/* ---- provisioning -------------------------------------------------------- */

/* Key pair, request and certificate for one party, as 'cairn keygen' and
 * 'cairn ca sign' would make them. */
static int
provision(demo *d, const char *name, crn_role role)
{
	char keypath[DEMO_PATH], certpath[DEMO_PATH], cadir[DEMO_PATH];
	char file[CRN_CERT_NAME_MAX + 8];
	crn_identity *id = NULL;
	char *csr = NULL, *cert = NULL;
	cairn_err rv;
	int ret = 1;

	snprintf(file, sizeof(file), "pki/%s.key", name);
	if (path_join(keypath, d->dir, file) != 0)
		goto out;
	snprintf(file, sizeof(file), "pki/%s.crt", name);
	if (path_join(certpath, d->dir, file) != 0 ||
	    path_join(cadir, d->dir, "ca") != 0)
		goto out;
	if ((rv = crn_identity_generate(&id)) != CAIRN_OK ||
	    (rv = crn_identity_save(id, keypath)) != CAIRN_OK ||
	    (rv = crn_csr_new(id, role, name, &csr)) != CAIRN_OK ||
	    (rv = crn_ca_sign(cadir, csr, role, 30, &cert)) != CAIRN_OK) {
		demo_error("demo: cannot provision '%s': %s", name,
		    cairn_strerror(rv));
		goto out;
	}
	if (write_file(certpath, cert, 0644) != 0) {
		demo_error(
		    "demo: cannot write %s: %s", certpath, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	crn_strfree(csr);
	crn_strfree(cert);
	crn_identity_free(id);
	return ret;
}

/* The columns of the dataset, comma-separated, for the nodes' expose. */
static void
column_list(const crn_dataset *ds, char *out, size_t len)
{
	size_t off = 0;

	out[0] = '\0';
	for (size_t i = 0; i < ds->ncols && off < len; i++) {
		int n = snprintf(out + off, len - off, "%s%s", i ? ", " : "",
		    ds->cols[i].name);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* The dataset section of a sample node's own configuration, if any. */
static const crn_cfg_dataset *
node_dataset(const demo_node *n, const char *dataset)
{
	return n->cfg != NULL ? crn_config_dataset(n->cfg, dataset) : NULL;
}

static void
append_colmap(const demo_node *n, const char *dataset, char *text, size_t len)
{
	const crn_cfg_dataset *ds = node_dataset(n, dataset);
	size_t off = strlen(text);

	for (size_t i = 0; ds != NULL && i < ds->nmap && off < len; i++) {
		int w = snprintf(text + off, len - off, "column.%s = %s\n",
		    ds->map[i].column, ds->map[i].source);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

static int
write_configs(demo *d)
{
	const crn_dataset *ds = crn_schema_dataset(d->schema, d->dataset);
	char path[DEMO_PATH], cols[4096], text[16384];
	size_t i;

	column_list(ds, cols, sizeof(cols));
	snprintf(text, sizeof(text),
	    "# written by 'cairn demo'\n"
	    "[coordinator]\n"
	    "listen = ipc://%s/coordinator.sock\n"
	    "key = pki/coordinator.key\n"
	    "cert = pki/coordinator.crt\n"
	    "ca_cert = ca/ca.crt\n"
	    "crl = ca/crl.pem\n"
	    "schema = %s\n"
	    "max_jobs = 4\n"
	    "min_participants = %zu\n"
	    "threshold = 0.5\n"
	    "[deadlines]\n"
	    "advertise_ms = 10000\n"
	    "share_ms = 10000\n"
	    "input_ms = 30000\n"
	    "consistency_ms = 10000\n"
	    "unmask_ms = 10000\n",
	    d->dir, d->schema_path, d->nnodes);
	if (path_join(path, d->dir, "coordinator.conf") != 0 ||
	    write_file(path, text, 0644) != 0)
		return demo_error("demo: cannot write %s", path);
	for (i = 0; i < d->nnodes; i++) {
		char file[CRN_CERT_NAME_MAX + 8];
		int w;

		w = snprintf(text, sizeof(text),
		    "# written by 'cairn demo'\n"
		    "[node]\n"
		    "name = %s\n"
		    "coordinator = ipc://%s/coordinator.sock\n"
		    "key = pki/%s.key\n"
		    "cert = pki/%s.crt\n"
		    "ca_cert = ca/ca.crt\n"
		    "crl = ca/crl.pem\n"
		    "state_dir = state/%s\n"
		    "schema = %s\n"
		    "coordinator_name = coordinator\n"
		    "reconnect_min_ms = 50\n"
		    "reconnect_max_ms = 1000\n"
		    "heartbeat_ms = 1000\n"
		    "[policy]\n"
		    "researchers = researcher\n"
		    "min_cell = %u\n"
		    "min_participants = %zu\n"
		    "require_dp = %s\n"
		    "budget_epsilon = 100\n"
		    "%s%s%s[dataset %s]\n"
		    "kind = csv\n"
		    "path = %s\n"
		    "expose = %s\n",
		    d->nodes[i].name, d->dir, d->nodes[i].name,
		    d->nodes[i].name, d->nodes[i].name, d->schema_path,
		    d->schema->min_cell, d->nnodes,
		    d->epsilon > 0 ? "true" : "false",
		    d->code[0] != '\0' ? "approved_code = " : "", d->code_hash,
		    d->code[0] != '\0' ? "\n" : "", d->dataset, d->nodes[i].csv,
		    cols);
		if (w < 0 || (size_t)w >= sizeof(text))
			return demo_error("demo: node configuration too long");
		append_colmap(&d->nodes[i], d->dataset, text, sizeof(text));
		snprintf(file, sizeof(file), "%s.conf", d->nodes[i].name);
		if (path_join(path, d->dir, file) != 0 ||
		    write_file(path, text, 0644) != 0)
			return demo_error("demo: cannot write %s", path);
	}
	snprintf(text, sizeof(text),
	    "# written by 'cairn demo'\n"
	    "[researcher]\n"
	    "coordinator = ipc://%s/coordinator.sock\n"
	    "key = pki/researcher.key\n"
	    "cert = pki/researcher.crt\n"
	    "ca_cert = ca/ca.crt\n"
	    "crl = ca/crl.pem\n"
	    "timeout_ms = %d\n",
	    d->dir, d->timeout_s * 1000);
	if (d->epsilon > 0) {
		size_t n = strlen(text);

		snprintf(text + n, sizeof(text) - n,
		    "epsilon = %.17g\ndelta = %.17g\n", d->epsilon, d->delta);
	}
	if (path_join(path, d->dir, "researcher.conf") != 0 ||
	    write_file(path, text, 0644) != 0)
		return demo_error("demo: cannot write %s", path);
	return 0;
}

static int
setup_federation(demo *d)
{
	char path[DEMO_PATH];
	size_t i;
	cairn_err rv;

	if (path_join(path, d->dir, "pki") != 0 || mkdir(path, 0700) != 0)
		return demo_error("demo: cannot create %s", path);
	if (path_join(path, d->dir, "logs") != 0 || mkdir(path, 0700) != 0)
		return demo_error("demo: cannot create %s", path);
	if (path_join(path, d->dir, "state") != 0 || mkdir(path, 0700) != 0)
		return demo_error("demo: cannot create %s", path);
	if (path_join(path, d->dir, "ca") != 0)
		return 1;
	if ((rv = crn_ca_init(path, "cairn demo CA", 30)) != CAIRN_OK)
		return demo_error(
		    "demo: cannot create the CA: %s", cairn_strerror(rv));
	if (provision(d, "coordinator", CRN_ROLE_COORDINATOR) != 0 ||
	    provision(d, "researcher", CRN_ROLE_RESEARCHER) != 0)
		return 1;
	for (i = 0; i < d->nnodes; i++) {
		if (provision(d, d->nodes[i].name, CRN_ROLE_NODE) != 0)
			return 1;
	}
	say("federation CA, coordinator, %zu nodes and a researcher provisioned in %s",
	    d->nnodes, d->dir);
	return write_configs(d);
}

/* ---- processes ----------------------------------------------------------- */

/* Start 'cairn <sub> --config DIR/<conf>' with output to DIR/logs/<log>. */
static pid_t
start_daemon(demo *d, const char *sub, const char *conf, const char *log)
{
	char cpath[DEMO_PATH], lpath[DEMO_PATH], lname[128];
	char *argv[] = {d->self, (char *)(uintptr_t)sub,
	    (char *)(uintptr_t) "--config", cpath, NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid = -1;
	int err;

	snprintf(lname, sizeof(lname), "logs/%s.log", log);
	if (path_join(cpath, d->dir, conf) != 0 ||
	    path_join(lpath, d->dir, lname) != 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(
	    &fa, 1, lpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	err = posix_spawn(&pid, d->self, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err != 0) {
		demo_error("demo: cannot start %s: %s", sub, strerror(err));
		return -1;
	}
	return pid;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Run 'cairn ARGS...' with stdout into out_path; wait at most timeout_s.
 * Returns the exit status, or -1 when it could not run or timed out.
 */
static int
run_client(demo *d, char *const args[], const char *out_path, int timeout_s)
{
	char *argv[CRN_DEMO_MAX_FITARGS + 16]; /* room for a fit's options */
	posix_spawn_file_actions_t fa;
	char errlog[DEMO_PATH];
	pid_t pid;
	int status = 0, err;
	size_t n = 0;
	double deadline = now_s() + timeout_s;

	argv[n++] = d->self;
	for (size_t i = 0; args[i] != NULL && n < CRN_NELEM(argv) - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (path_join(errlog, d->dir, "logs/clients.log") != 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(
	    &fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(
	    &fa, 2, errlog, O_WRONLY | O_CREAT | O_APPEND, 0600);
	err = posix_spawn(&pid, d->self, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err != 0)
		return -1;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return -1;
		if (now_s() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(20000);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
child_alive(pid_t pid)
{
	int status;

	return pid > 0 && waitpid(pid, &status, WNOHANG) == 0;
}

/* Wait until 'cairn status' lists every node, or the daemons die, or
 * 30 seconds pass. */
static int
wait_for_nodes(demo *d)
{
	char conf[DEMO_PATH], out[DEMO_PATH];
	char *args[] = {(char *)(uintptr_t) "status",
	    (char *)(uintptr_t) "--config", conf, NULL};
	double deadline = now_s() + 30;

	if (path_join(conf, d->dir, "researcher.conf") != 0 ||
	    path_join(out, d->dir, "logs/status.out") != 0)
		return 1;
	while (now_s() < deadline) {
		size_t seen = 0;
		char *text;

		if (!child_alive(d->coord_pid))
			return demo_error("demo: the coordinator stopped; see %s/logs/coordinator.log",
			    d->dir);
		if (run_client(d, args, out, 10) == 0 &&
		    (text = read_text(out)) != NULL) {
			for (size_t i = 0; i < d->nnodes; i++) {
				if (strstr(text, d->nodes[i].name) != NULL)
					seen++;
			}
			free(text);
			if (seen == d->nnodes) {
				say("all %zu nodes connected", d->nnodes);
				return 0;
			}
		}
		usleep(200000);
	}
	return demo_error("demo: the nodes did not all connect within 30 s; see the logs in %s/logs (run with --keep to look)",
	    d->dir);
}

static void
stop_all(demo *d)
{
	pid_t pids[DEMO_MAX_NODES + 1];
	size_t n = 0, i;
	double deadline;

	for (i = 0; i < d->nnodes; i++) {
		if (d->nodes[i].pid > 0)
			pids[n++] = d->nodes[i].pid;
	}
	if (d->coord_pid > 0)
		pids[n++] = d->coord_pid;
	for (i = 0; i < n; i++)
		kill(pids[i], SIGTERM);
	deadline = now_s() + 5;
	for (i = 0; i < n; i++) {
		int status;

		while (waitpid(pids[i], &status, WNOHANG) == 0) {
			if (now_s() > deadline) {
				kill(pids[i], SIGKILL);
				waitpid(pids[i], &status, 0);
				break;
			}
			usleep(20000);
		}
	}
	for (i = 0; i < d->nnodes; i++)
		d->nodes[i].pid = -1;
	d->coord_pid = -1;
}

/* ---- the answer in the clear --------------------------------------------- */

static void
ring_add(void *acc, const void *v, uint64_t dim, uint32_t bits)
{
	uint64_t i;

	if (bits == 32) {
		uint32_t *a = acc;
		const uint32_t *b = v;
		for (i = 0; i < dim; i++)
			a[i] += b[i];
	} else if (bits == 64) {
		uint64_t *a = acc;
		const uint64_t *b = v;
		for (i = 0; i < dim; i++)
			a[i] += b[i];
	} else {
		unsigned __int128 *a = acc;
		const unsigned __int128 *b = v;
		for (i = 0; i < dim; i++)
			a[i] += b[i];
	}
}

/*
 * Plan sql, run the executors over every node's file and add the vectors
 * in the clear: the figure secure aggregation must reproduce exactly.
 */
static int
clear_answer(demo *d, const char *sql, crn_result **out)
{
	const crn_dataset *ds;
	crn_plan *plan = NULL;
	crn_result *res = NULL;
	uint8_t *sum = NULL;
	size_t esize, len = 0;
	char err[512];
	cairn_err rv;
	int ret = 1;

	*out = NULL;
	if ((rv = crn_sql_plan(d->schema, sql, &plan, err, sizeof(err))) !=
	    CAIRN_OK) {
		demo_error("demo: %s", err);
		goto out;
	}
	ds = crn_schema_dataset(d->schema, plan->dataset);
	esize = crn_exec_elem_size(plan->ring_bits);
	len = (size_t)plan->dim * esize;
	if ((sum = crn_zalloc(len)) == NULL)
		goto out;
	for (size_t i = 0; i < d->nnodes; i++) {
		const crn_cfg_dataset *nds =
		    node_dataset(&d->nodes[i], plan->dataset);
		crn_colmap map[64];
		crn_source src = {
		    .kind = CRN_SRC_CSV, .path = d->nodes[i].csv, .map = map};
		crn_exec_stats st;
		void *vec = NULL;

		for (size_t k = 0;
		     nds != NULL && k < nds->nmap && k < CRN_NELEM(map); k++) {
			map[k].name = nds->map[k].column;
			map[k].local = nds->map[k].source;
			src.nmap = k + 1;
		}

		if ((rv = crn_exec_run(plan, ds, &src, &vec, &st, err,
		         sizeof(err))) != CAIRN_OK) {
			demo_error("demo: %s", err);
			goto out;
		}
		ring_add(sum, vec, plan->dim, plan->ring_bits);
		crn_free(vec, len);
	}
	if ((rv = crn_sql_result_decode(
	         plan, sum, len, (uint32_t)d->nnodes, &res)) != CAIRN_OK) {
		demo_error("demo: cannot decode the clear sum: %s",
		    cairn_strerror(rv));
		goto out;
	}
	*out = res;
	res = NULL;
	ret = 0;
out:
	crn_result_free(res);
	crn_free(sum, len);
	crn_plan_free(plan);
	return ret;
}

/* ---- queries --------------------------------------------------------------
 */

/* The header and data lines of a CSV answer, without comment lines, so
 * that the federation's answer and the clear one compare as tables. */
static void
strip_comments(char *s)
{
	char *r = s, *w = s;

	while (*r != '\0') {
		char *eol = strchr(r, '\n');
		size_t n = eol != NULL ? (size_t)(eol - r) + 1 : strlen(r);

		if (r[0] != '#') {
			memmove(w, r, n);
			w += n;
		}
		r += n;
	}
	*w = '\0';
}

/* The last line the clients wrote to stderr: the query's own error. */
static void
last_line(demo *d, char *buf, size_t len)
{
	char path[DEMO_PATH], *text, *end, *start;

	snprintf(buf, len, "see the logs (run with --keep)");
	if (path_join(path, d->dir, "logs/clients.log") != 0 ||
	    (text = read_text(path)) == NULL)
		return;
	end = text + strlen(text);
	while (end > text && end[-1] == '\n')
		*--end = '\0';
	start = strrchr(text, '\n');
	start = start != NULL ? start + 1 : text;
	if (strncmp(start, "cairn: ", 7) == 0)
		start += 7;
	if (*start != '\0') {
		size_t n = strlen(start);

		if (n >= len)
			n = len - 1;
		memcpy(buf, start, n);
		buf[n] = '\0';
	}
	free(text);
}

/*
 * Nodes tell remote parties only a generic reason for a data error (the
 * details may quote a row); the demo runs every node itself, so as their
 * operator it shows the last refusal each node logged.
 */
static void
node_refusals(demo *d)
{
	for (size_t i = 0; i < d->nnodes; i++) {
		char rel[CRN_CERT_NAME_MAX + 16], path[DEMO_PATH];
		char *text, *line, *last = NULL, *save = NULL;

		snprintf(rel, sizeof(rel), "logs/%s.log", d->nodes[i].name);
		if (path_join(path, d->dir, rel) != 0 ||
		    (text = read_text(path)) == NULL)
			continue;
		for (line = strtok_r(text, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save))
			if (strstr(line, ": refused: ") != NULL)
				last = strstr(line, ": refused: ") + 2;
		if (last != NULL)
			demo_error(
			    "demo: node %s logged: %s", d->nodes[i].name, last);
		free(text);
	}
}

static int
run_query(demo *d, size_t qi)
{
	const char *sql = d->queries[qi];
	char conf[DEMO_PATH], out[DEMO_PATH], csvout[DEMO_PATH];
	char *fed = NULL, *fed_csv = NULL, *clear = NULL, *table = NULL;
	size_t clearlen = 0, tablelen = 0;
	crn_result *res = NULL;
	int ret = 1, st;

	if (path_join(conf, d->dir, "researcher.conf") != 0 ||
	    path_join(out, d->dir, "logs/query.out") != 0 ||
	    path_join(csvout, d->dir, "logs/query.csv") != 0)
		return 1;
	if (strcmp(d->format, "table") == 0)
		printf("\n-- %s\n", sql);
	{
		char *args[] = {(char *)(uintptr_t) "query",
		    (char *)(uintptr_t) "--config", conf,
		    (char *)(uintptr_t) "--schema", d->schema_path,
		    (char *)(uintptr_t) "--format",
		    (char *)(uintptr_t)d->format, (char *)(uintptr_t)sql, NULL};
		st = run_client(d, args, out, d->timeout_s + 5);
	}
	if (st != 0 || (fed = read_text(out)) == NULL) {
		char last[512];

		last_line(d, last, sizeof(last));
		demo_error("demo: query %zu %s: %s", qi + 1,
		    st < 0 ? "timed out" : "failed", last);
		node_refusals(d);
		goto out;
	}
	/* The same query as CSV, to compare with the clear figure. */
	if (strcmp(d->format, "csv") != 0) {
		char *args[] = {(char *)(uintptr_t) "query",
		    (char *)(uintptr_t) "--config", conf,
		    (char *)(uintptr_t) "--schema", d->schema_path,
		    (char *)(uintptr_t) "--format", (char *)(uintptr_t) "csv",
		    (char *)(uintptr_t)sql, NULL};
		if (run_client(d, args, csvout, d->timeout_s + 5) != 0 ||
		    (fed_csv = read_text(csvout)) == NULL) {
			demo_error("demo: query %zu failed as CSV; see %s/logs/clients.log",
			    qi + 1, d->dir);
			goto out;
		}
	} else if ((fed_csv = strdup(fed)) == NULL) {
		goto out;
	}
	if (clear_answer(d, sql, &res) != 0 ||
	    crn_result_csv(res, &clear, &clearlen) != CAIRN_OK ||
	    crn_result_text(res, &table, &tablelen) != CAIRN_OK)
		goto out;
	strip_comments(fed_csv);
	if (strcmp(d->format, "table") != 0) {
		/* Machine-readable: only the answers, as 'cairn query'
		 * prints them; the comparison is still made. */
		fputs(fed, stdout);
		if (fed[0] != '\0' && fed[strlen(fed) - 1] != '\n')
			putchar('\n');
	} else {
		printf("under secure aggregation (%zu nodes):\n%s", d->nnodes,
		    fed);
		printf(
		    "in the clear (pooled files, no protection):\n%s", table);
	}
	if (d->epsilon > 0) {
		/* Noisy by design: the difference is the noise, whose 95%
		 * interval the table shows beside each figure. */
		if (strcmp(d->format, "table") == 0)
			printf("=> with DP noise (epsilon %g, delta %g): the differences are the noise\n",
			    d->epsilon, d->delta);
		ret = 0;
		goto out;
	}
	if (strcmp(fed_csv, clear) != 0) {
		demo_error("demo: query %zu: the federation's answer differs from the clear computation",
		    qi + 1);
		goto out;
	}
	if (strcmp(d->format, "table") == 0)
		printf("=> identical\n");
	ret = 0;
out:
	free(fed);
	free(fed_csv);
	if (clear != NULL)
		crn_free(clear, clearlen + 1);
	if (table != NULL)
		crn_free(table, tablelen + 1);
	crn_result_free(res);
	fflush(stdout);
	return ret;
}

/* Run 'cairn fit' with the --model options and print what it prints. */
static int
run_fit(demo *d)
{
	char conf[DEMO_PATH], out[DEMO_PATH];
	char *args[CRN_DEMO_MAX_FITARGS + 14], *fed = NULL;
	size_t n = 0;
	int st;

	if (path_join(conf, d->dir, "researcher.conf") != 0 ||
	    path_join(out, d->dir, "logs/fit.out") != 0)
		return 1;
	args[n++] = (char *)(uintptr_t) "fit";
	args[n++] = (char *)(uintptr_t) "--config";
	args[n++] = conf;
	args[n++] = (char *)(uintptr_t) "--schema";
	args[n++] = d->schema_path;
	args[n++] = (char *)(uintptr_t) "--dataset";
	args[n++] = d->dataset;
	args[n++] = (char *)(uintptr_t) "--model";
	args[n++] = (char *)(uintptr_t)d->model;
	args[n++] = (char *)(uintptr_t) "--format";
	args[n++] = (char *)(uintptr_t)d->format;
	for (size_t k = 0; k < d->nfit; k++)
		args[n++] = (char *)(uintptr_t)d->fitargs[k];
	args[n] = NULL;
	if (strcmp(d->format, "table") == 0) {
		printf("\n-- cairn fit --model %s", d->model);
		for (size_t k = 0; k < d->nfit; k++)
			printf(strchr(d->fitargs[k], ' ') != NULL ? " \"%s\"" : " %s",
			    d->fitargs[k]);
		printf("\n");
	}
	st = run_client(d, args, out, d->timeout_s + 5);
	if (st != 0 || (fed = read_text(out)) == NULL) {
		char last[512];

		last_line(d, last, sizeof(last));
		demo_error("demo: fit %s: %s", st < 0 ? "timed out" : "failed",
		    last);
		node_refusals(d);
		free(fed);
		return 1;
	}
	fputs(fed, stdout);
	free(fed);
	fflush(stdout);
	return 0;
}

/* ---- approved code ------------------------------------------------------- */

typedef struct pool_out {
	FILE *f;
	const crn_dataset *ds;
} pool_out;

/* One value of the pooled CSV file, as the CSV executor reads it back:
 * numbers exactly (scaled integers printed with their decimals), an
 * unquoted empty field for NULL, category text quoted. */
static void
pool_value(FILE *f, const crn_column *c, const crn_cell *v)
{
	uint64_t mag, p = 1;

	if (v->null)
		return;
	if (c->type == CRN_COL_CATEGORY) {
		const char *t = v->cat < c->ndomain ? c->domain[v->cat] : "";

		fputc('"', f);
		for (; *t != '\0'; t++) {
			if (*t == '"')
				fputc('"', f);
			fputc(*t, f);
		}
		fputc('"', f);
		return;
	}
	mag = v->num < 0 ? (uint64_t)0 - (uint64_t)v->num : (uint64_t)v->num;
	for (uint32_t k = 0; k < c->scale; k++)
		p *= 10;
	fprintf(f, "%s%llu", v->num < 0 ? "-" : "",
	    (unsigned long long)(mag / p));
	if (c->scale > 0)
		fprintf(f, ".%0*llu", (int)c->scale,
		    (unsigned long long)(mag % p));
}

/* crn_exec_rows callback: one row of one node's file. */
static cairn_err
pool_row(void *arg, const crn_cell *cells, const char *where)
{
	pool_out *po = arg;

	(void)where;
	for (size_t i = 0; i < po->ds->ncols; i++) {
		if (i > 0)
			fputc(',', po->f);
		pool_value(po->f, &po->ds->cols[i], &cells[i]);
	}
	fputc('\n', po->f);
	return ferror(po->f) ? CAIRN_ESYS : CAIRN_OK;
}

/* One node's rows, in the schema's own column names, into po. */
static int
pool_node(demo *d, const crn_plan *plan, size_t i, pool_out *po)
{
	const crn_cfg_dataset *nds = node_dataset(&d->nodes[i], d->dataset);
	crn_colmap map[64];
	crn_source src = {
	    .kind = CRN_SRC_CSV, .path = d->nodes[i].csv, .map = map};
	bool want[256];
	crn_exec_stats st;
	char err[512];

	if (po->ds->ncols > CRN_NELEM(want))
		return demo_error("demo: --code: at most %zu columns",
		    CRN_NELEM(want));
	for (size_t k = 0; k < po->ds->ncols; k++)
		want[k] = true;
	for (size_t k = 0; nds != NULL && k < nds->nmap && k < CRN_NELEM(map);
	     k++) {
		map[k].name = nds->map[k].column;
		map[k].local = nds->map[k].source;
		src.nmap = k + 1;
	}
	if (crn_exec_rows(plan, po->ds, &src, want, pool_row, po, &st, err,
	        sizeof(err)) != CAIRN_OK)
		return demo_error("demo: %s", err);
	return 0;
}

/*
 * Every node's rows in one CSV file (DIR/pooled.csv), in the schema's
 * column names whatever each node's file calls them: what 'cairn code
 * run-local' reads to run the same program in one process.
 */
static int
write_pooled(demo *d, const char *path)
{
	char sql[CRN_CERT_NAME_MAX + 32], err[512];
	crn_plan *plan = NULL;
	pool_out po = {.ds = crn_schema_dataset(d->schema, d->dataset)};
	int ret = 1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", d->dataset);
	if (crn_sql_plan(d->schema, sql, &plan, err, sizeof(err)) != CAIRN_OK)
		return demo_error("demo: %s", err);
	if ((po.f = fopen(path, "w")) == NULL) {
		demo_error("demo: cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < po.ds->ncols; i++)
		fprintf(po.f, "%s%s", i > 0 ? "," : "", po.ds->cols[i].name);
	fputc('\n', po.f);
	for (size_t i = 0; i < d->nnodes; i++)
		if (pool_node(d, plan, i, &po) != 0)
			goto out;
	ret = 0;
out:
	if (po.f != NULL && fclose(po.f) != 0 && ret == 0)
		ret = demo_error("demo: cannot write %s", path);
	crn_plan_free(plan);
	return ret;
}

/* A code job's answer without what differs by construction between the
 * federation and one process: the nodes that contributed and the clip
 * count (each node clips its own output). */
static void
code_strip(char *s)
{
	static const char *const keys[] = {", \"contributed\": [", ", \"clipped\": "};

	for (size_t k = 0; k < CRN_NELEM(keys); k++) {
		char *p = strstr(s, keys[k]), *e;

		if (p == NULL)
			continue;
		e = p + strlen(keys[k]);
		e += k == 0 ? strcspn(e, "]") + 1 : strspn(e, "0123456789");
		memmove(p, e, strlen(e) + 1);
	}
}

/* Run argv-style args through 'cairn' into out; the text, or NULL. */
static char *
code_client(demo *d, const char *sub, const char *const *head, size_t nhead,
    const char *out)
{
	char *args[CRN_DEMO_CODE_ARGS + 16];
	size_t n = 0;

	args[n++] = (char *)(uintptr_t)sub;
	for (size_t i = 0; i < nhead; i++)
		args[n++] = (char *)(uintptr_t)head[i];
	args[n++] = (char *)(uintptr_t) "--dataset";
	args[n++] = d->dataset;
	args[n++] = (char *)(uintptr_t) "--code";
	args[n++] = d->code;
	for (size_t i = 0; i < d->ncode_args; i++)
		args[n++] = (char *)(uintptr_t)d->code_args[i];
	args[n] = NULL;
	if (run_client(d, args, out, d->timeout_s * 4 + 5) != 0)
		return NULL;
	return read_text(out);
}

/* The program as a code job on the federation, then in one process on
 * the pooled rows. */
static int
run_code(demo *d)
{
	char conf[DEMO_PATH], pooled[DEMO_PATH], out[DEMO_PATH];
	char lout[DEMO_PATH], last[512];
	const char *fedargs[] = {"--config", conf};
	const char *locargs[] = {
	    "run-local", "--schema", d->schema_path, "--data", pooled};
	char *fed = NULL, *loc = NULL;
	int ret = 1;

	if (path_join(conf, d->dir, "researcher.conf") != 0 ||
	    path_join(pooled, d->dir, "pooled.csv") != 0 ||
	    path_join(out, d->dir, "logs/code.out") != 0 ||
	    path_join(lout, d->dir, "logs/code-local.out") != 0)
		return 1;
	say("every demo node approves %s (sha256 %s) automatically, as its operator; a real node runs a program only after its operator approves that hash",
	    d->code, d->code_hash);
	if (strcmp(d->format, "table") == 0)
		printf("\n-- program %s (sha256 %s), approved automatically by the demo's nodes\n",
		    d->code, d->code_hash);
	if ((fed = code_client(d, "run", fedargs, CRN_NELEM(fedargs), out)) ==
	    NULL) {
		last_line(d, last, sizeof(last));
		demo_error("demo: the code job failed: %s", last);
		node_refusals(d);
		goto out;
	}
	if (write_pooled(d, pooled) != 0)
		goto out;
	if ((loc = code_client(d, "code", locargs, CRN_NELEM(locargs),
	         lout)) == NULL) {
		last_line(d, last, sizeof(last));
		demo_error("demo: the program failed on the pooled rows: %s",
		    last);
		goto out;
	}
	if (strcmp(d->format, "table") != 0) {
		fputs(fed, stdout);
		ret = 0;
		goto out;
	}
	printf("under secure aggregation (%zu nodes):\n%s", d->nnodes, fed);
	printf("in one process on the pooled rows (no protection):\n%s", loc);
	code_strip(fed);
	code_strip(loc);
	if (d->epsilon > 0)
		printf("=> with DP noise (epsilon %g, delta %g, from the researcher configuration): the differences are the noise\n",
		    d->epsilon, d->delta);
	else if (strcmp(fed, loc) == 0)
		printf("=> identical (contributing nodes and clip counts aside)\n");
	else
		printf("=> differs: a program whose answer depends on how the rows are split between nodes (local training, as in fedavg_logreg.lua) may\n");
	ret = 0;
out:
	free(fed);
	free(loc);
	fflush(stdout);
	return ret;
}

int
crn_demo_set_code(
    demo *d, const char *path, const char *const *args, size_t nargs)
{
	uint8_t *src = NULL;
	size_t len = 0;

	if (nargs > CRN_DEMO_CODE_ARGS)
		return demo_error("demo: too many --code options");
	if (absolute(d->code, path) != 0)
		return 1;
	/* The exact bytes, as 'cairn run' sends them and the nodes hash
	 * them. */
	if (crn_file_read(d->code, 64u << 20, &src, &len) != CAIRN_OK)
		return demo_error("demo: cannot read %s", d->code);
	crn_code_hash_hex(src, len, d->code_hash);
	crn_free(src, len + 1);
	for (size_t i = 0; i < nargs; i++)
		d->code_args[i] = args[i];
	d->ncode_args = nargs;
	return 0;
}

/* ---- arguments ------------------------------------------------------------
 */

int
crn_demo_fit_arg(demo *d, const char *opt, const char *val)
{
	if (d->nfit + (val != NULL ? 2 : 1) > CRN_DEMO_MAX_FITARGS)
		return demo_error("demo: too many fit options (at most %d words)",
		    CRN_DEMO_MAX_FITARGS);
	d->fitargs[d->nfit++] = opt;
	if (val != NULL)
		d->fitargs[d->nfit++] = val;
	return 0;
}

/* --model without --x on the sample federation: its sample fit. */
static int
demo_fit_defaults(demo *d)
{
	const char *const *def = NULL;

	for (size_t k = 0; k < d->nfit; k++)
		if (strcmp(d->fitargs[k], "--x") == 0)
			return 0;
	if (strcmp(d->model, "linear") == 0)
		def = demo_fit_linear;
	else if (strcmp(d->model, "logistic") == 0)
		def = demo_fit_logistic;
	else if (strcmp(d->model, "poisson") == 0)
		def = demo_fit_poisson;
	else if (strcmp(d->model, "kmeans") == 0)
		def = demo_fit_kmeans;
	else
		return demo_error("demo: --model is linear, logistic, poisson or kmeans, not '%s'",
		    d->model);
	for (; *def != NULL; def++)
		if (crn_demo_fit_arg(d, *def, NULL) != 0)
			return 1;
	return 0;
}

int
crn_demo_add_node(demo *d, const char *name, const char *csv)
{
	demo_node *n;

	if (d->nnodes == DEMO_MAX_NODES)
		return demo_error("demo: at most %d nodes", DEMO_MAX_NODES);
	if (!crn_cert_name_valid(name))
		return demo_error("demo: '%s' is not a valid node name (1-64 of A-Z a-z 0-9 . _ -)",
		    name);
	if (strcmp(name, "coordinator") == 0 || strcmp(name, "researcher") == 0)
		return demo_error("demo: the node name '%s' is taken", name);
	for (size_t i = 0; i < d->nnodes; i++) {
		if (strcmp(d->nodes[i].name, name) == 0)
			return demo_error("demo: node '%s' given twice", name);
	}
	n = &d->nodes[d->nnodes];
	snprintf(n->name, sizeof(n->name), "%s", name);
	if (absolute(n->csv, csv) != 0)
		return 1;
	n->pid = -1;
	d->nnodes++;
	return 0;
}

static int
load_schema(demo *d)
{
	char err[512];
	cairn_err rv;

	if ((rv = crn_schema_load(
	         d->schema_path, &d->schema, err, sizeof(err))) != CAIRN_OK)
		return demo_error("demo: %s", err);
	if (d->dataset[0] == '\0') {
		if (d->schema->ndatasets != 1)
			return demo_error("demo: %s declares %zu datasets; choose one with --dataset NAME",
			    d->schema_path, d->schema->ndatasets);
		snprintf(d->dataset, sizeof(d->dataset), "%s",
		    d->schema->datasets[0].name);
	} else if (crn_schema_dataset(d->schema, d->dataset) == NULL) {
		return demo_error("demo: %s declares no dataset '%s'",
		    d->schema_path, d->dataset);
	}
	/* Refuse a query the planner refuses before starting anything. */
	for (size_t q = 0; q < d->nqueries; q++) {
		crn_plan *plan = NULL;

		if ((rv = crn_sql_plan(d->schema, d->queries[q], &plan, err,
		         sizeof(err))) != CAIRN_OK)
			return demo_error("demo: query %zu: %s", q + 1, err);
		crn_plan_free(plan);
	}
	return 0;
}


int
crn_demo_use_examples(demo *d, const char *examples)
{
	static const char *const names[] = {"agency1", "agency2", "agency3"};
	char rel[64], p[DEMO_PATH];

	for (size_t k = 0; k < CRN_NELEM(names); k++) {
		char err[512];

		snprintf(rel, sizeof(rel), "data/%s.csv", names[k]);
		if (path_join(p, examples, rel) != 0 ||
		    crn_demo_add_node(d, names[k], p) != 0)
			return demo_error("demo: the sample federation is missing; pass --examples DIR (the examples/ folder of the source tree)");
		snprintf(rel, sizeof(rel), "node%zu.conf", k + 1);
		if (path_join(p, examples, rel) != 0 ||
		    crn_config_load(&d->nodes[k].cfg, p, CRN_CFG_NODE, err,
		        sizeof(err)) != CAIRN_OK)
			return demo_error("demo: %s", err);
	}
	if (path_join(p, examples, "schema/cps.ini") != 0 ||
	    absolute(d->schema_path, p) != 0)
		return 1;
	if (d->model != NULL)
		return demo_fit_defaults(d);
	if (d->nqueries == 0 && d->code[0] == '\0') {
		for (size_t k = 0; k < CRN_NELEM(demo_default_queries); k++)
			d->queries[d->nqueries++] = demo_default_queries[k];
	}
	return 0;
}

int
crn_demo_set_schema(demo *d, const char *path)
{
	return absolute(d->schema_path, path);
}

void
crn_demo_init(demo *d)
{
	memset(d, 0, sizeof(*d));
	d->format = "table";
	d->timeout_s = 60;
	d->delta = 1e-6;
	d->coord_pid = -1;
}

int
crn_demo_run(demo *d)
{
	const char *tmp = getenv("TMPDIR");
	ssize_t n;
	int failed = 0;

	if (load_schema(d) != 0)
		return 1;
	if ((n = readlink("/proc/self/exe", d->self, sizeof(d->self) - 1)) < 0)
		return demo_error(
		    "demo: cannot find this program: %s", strerror(errno));
	d->self[n] = '\0';
	snprintf(d->dir, sizeof(d->dir), "%s/cairn-demo-XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(d->dir) == NULL)
		return demo_error("demo: cannot create a temporary directory: %s",
		    strerror(errno));
	if (setup_federation(d) != 0)
		return 1;
	if ((d->coord_pid = start_daemon(
	         d, "coordinator", "coordinator.conf", "coordinator")) < 0)
		return 1;
	for (size_t i = 0; i < d->nnodes; i++) {
		char conf[CRN_CERT_NAME_MAX + 8];

		snprintf(conf, sizeof(conf), "%s.conf", d->nodes[i].name);
		if ((d->nodes[i].pid = start_daemon(
		         d, "node", conf, d->nodes[i].name)) < 0)
			return 1;
	}
	say("coordinator and %zu node daemons started", d->nnodes);
	if (wait_for_nodes(d) != 0)
		return 1;
	for (size_t q = 0; q < d->nqueries; q++) {
		if (run_query(d, q) != 0)
			failed++;
	}
	if (d->model != NULL && run_fit(d) != 0)
		return 1;
	if (d->code[0] != '\0' && run_code(d) != 0)
		return 1;
	if (failed != 0)
		return demo_error(
		    "demo: %d of %zu queries failed", failed, d->nqueries);
	if (d->nqueries > 0 && d->epsilon > 0)
		say("%zu %s answered under secure aggregation with DP noise (epsilon %g, delta %g)",
		    d->nqueries, d->nqueries == 1 ? "query" : "queries",
		    d->epsilon, d->delta);
	else if (d->nqueries > 0)
		say("%zu %s answered under secure aggregation, each identical to the clear computation",
		    d->nqueries, d->nqueries == 1 ? "query" : "queries");
	return 0;
}

void
crn_demo_fini(demo *d, int status)
{
	stop_all(d);
	if (d->dir[0] != '\0' && strstr(d->dir, "cairn-demo-") != NULL) {
		if (d->keep || status != 0)
			say("federation kept in %s (logs in %s/logs)", d->dir,
			    d->dir);
		else
			nftw(d->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	}
	crn_schema_free(d->schema);
	for (size_t i = 0; i < d->nnodes; i++)
		crn_config_free(d->nodes[i].cfg);
}
