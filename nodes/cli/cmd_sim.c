/*
 * cmd_sim.c — 'cairn sim secagg': one whole secure-aggregation session in
 * this process (core/secagg/secagg.h crn_sa_sim_run), with timings, so that the
 * protocol's cost can be measured without a network.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/crn.h"
#include "cli/cmds.h"
#include "cli/opts.h"
#include "crypto/prg.h"
#include "secagg/graph.h"
#include "secagg/secagg.h"

static const char sim_usage_text[] =
    "usage: cairn sim secagg --nodes N --dim M [--dropout F]\n"
    "         [--drop-at advertise|reveal|share-keys|masked-input|\n"
    "                    consistency|unmask]\n"
    "         [--graph full|sparse] [--seed S] [--bits 32|64|128]\n"
    "         [--threshold T] [--corrupt C] [--semi-honest]\n"
    "\n"
    "Runs every party of one secure-aggregation session in this\n"
    "process with random inputs, routing each message through its\n"
    "serialized bytes.  A random fraction F of the nodes (default 0)\n"
    "goes silent at the chosen round (default masked-input; a node\n"
    "missing the reveal round ends the session by design).  The\n"
    "result is checked against the plain sum of the survivors'\n"
    "inputs.  Degree and threshold come from the federation size, the\n"
    "assumed corrupt fraction C (default 0.05) and F, unless\n"
    "--threshold is given, and hold against a coordinator that lies\n"
    "to nodes (the nodes' default policy); --semi-honest picks them\n"
    "for an honest-but-curious coordinator instead (--malicious is\n"
    "accepted and is the default).  Every node holds the same policy\n"
    "and refuses a roster whose degree or threshold does not meet\n"
    "it or that is not sorted by identity key; the graph seed comes\n"
    "from every node's committed contribution, revealed once the\n"
    "roster is fixed.\n"
    "\n"
    "Certificates: a \"sim authority\" Ed25519 key certifies each\n"
    "node's identity key pk with pk || Sign(\"cairn-sim-cert-v1\" ||\n"
    "pk), sent in its advertisement; every node checks the\n"
    "certificate of every roster entry (the daemons check X.509\n"
    "chains, CRLs and the node role instead), so node times include\n"
    "one signature verification per participant.\n"
    "\n"
    "Prints human-readable lines, then one JSON object as the last\n"
    "line.  Exit status: 0 when the sum is exact; 1 when it is wrong\n"
    "or the session aborted (for instance fewer than the threshold\n"
    "survived: an error line says how many were needed and how many\n"
    "answered); 2 for bad usage.\n";

static void
sim_usage(FILE *f)
{
	fputs(sim_usage_text, f);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

static int
parse_frac(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0.0) || v > 1.0)
		return -1;
	*out = v;
	return 0;
}

/* The raw AES-CTR keystream rate for this vector's element width, timed
 * in this run so the figures compare on the same machine and load. */
static double
keystream_ns_per_elem(uint64_t dim, uint32_t bits)
{
	size_t len = (size_t)dim * (bits / 8);
	uint8_t seed[32] = {1};
	uint8_t *buf = malloc(len);
	double best = -1.0;

	if (buf == NULL)
		return -1.0;
	for (int rep = 0; rep < 5; rep++) {
		double t0 = now_s(), dt;

		if (crn_prg_keystream(buf, len, seed) != CAIRN_OK)
			break;
		dt = now_s() - t0;
		if (best < 0 || dt < best)
			best = dt;
	}
	free(buf);
	return best < 0 ? -1.0 : best * 1e9 / (double)dim;
}

static void
json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* Print the outcome of a simulation: lines for people, then one JSON
 * object (what the benchmarks read). */
static void
sim_report(const crn_sa_sim_cfg *cfg, const crn_sa_sim_result *r,
    double dropout, double ks)
{
	if (r->finished)
		printf("result: %s sum of %u survivors' inputs\n",
		    r->correct ? "exact" : "WRONG", r->survivors);
	else
		printf("result: aborted (%s)\n", r->abort.reason);
	printf("coordinator: %.3f s, %" PRIu64 " bytes received\n", r->coord_s,
	    r->coord_bytes_rx);
	printf("node: median %.4f s, p99 %.4f s, max %.4f s, median %" PRIu64
	       " bytes sent (%.4f x the plain vector)\n",
	    r->node_s_median, r->node_s_p99, r->node_s_max,
	    r->node_bytes_median,
	    (double)r->node_bytes_median / (double)r->plain_bytes);
	printf("baseline: keystream %.3f ns/element, plain sum of survivors %.4f s, median node's crypto floor %.4f s (%.2f x)\n",
	    ks, r->plain_sum_s, r->node_floor_s,
	    r->node_floor_s > 0 ? r->node_s_median / r->node_floor_s : 0.0);
	if (!r->finished)
		cli_error("session aborted: %s", r->abort.reason);
	else if (!r->correct)
		cli_error("the sum differs from the survivors' plain sum");
	fflush(stderr);

	printf("{\"correct\":%s,\"finished\":%s,\"nodes\":%u,\"survivors\":%u,\"dim\":%" PRIu64 ",\"bits\":%u,\"graph\":\"%s\",\"degree\":%u,\"threshold\":%u,\"dropout\":%g,\"dropped\":%u,\"drop_at\":\"%s\",\"coordinator_s\":%.6f,\"node_s_median\":%.6f,\"node_s_p99\":%.6f,\"node_s_max\":%.6f,\"node_bytes_sent_median\":%" PRIu64 ",\"coordinator_bytes_received\":%" PRIu64 ",\"expansion\":%.6f,\"keystream_ns_per_elem\":%.4f,\"plain_sum_s\":%.6f,\"node_floor_s\":%.6f,\"threat\":\"%s\",\"abort_code\":%d,\"abort_needed\":%u,\"abort_answered\":%u,\"abort_reason\":",
	    r->finished && r->correct ? "true" : "false",
	    r->finished ? "true" : "false", r->nodes, r->survivors, cfg->dim,
	    cfg->ring_bits, cfg->degree ? "sparse" : "full",
	    cfg->degree ? cfg->degree : cfg->nodes - 1, cfg->threshold, dropout,
	    cfg->ndrop, crn_sa_round_name(cfg->drop_at), r->coord_s,
	    r->node_s_median, r->node_s_p99, r->node_s_max,
	    r->node_bytes_median, r->coord_bytes_rx,
	    (double)r->node_bytes_median / (double)r->plain_bytes, ks,
	    r->plain_sum_s, r->node_floor_s,
	    cfg->malicious ? "malicious" : "semi-honest", r->abort.code,
	    r->abort.needed, r->abort.answered);
	json_str(r->abort.reason);
	printf("}\n");
}

/* The options of 'cairn sim secagg'. */
struct sim_args {
	uint64_t nodes, dim, seed, bits, threshold;
	double dropout, corrupt;
	int sparse, malicious;
	crn_sa_round at;
};

/* The round called name (advertise .. unmask); -1 if none. */
static int
sim_round(const char *name)
{
	for (int i = CRN_SA_R_ADVERTISE; i < CRN_SA_R_DONE; i++)
		if (strcmp(name, crn_sa_round_name((crn_sa_round)i)) == 0)
			return i;
	return -1;
}

/* Parse argv into *a: -1 to go on, 0 after --help, 2 for a usage error
 * (the caller prints the usage). */
static int
sim_parse(int argc, char **argv, struct sim_args *a)
{
	const char *nodes = NULL, *dim = NULL, *dropout = NULL, *at = NULL;
	const char *graph = NULL, *seed = NULL, *bits = NULL, *t = NULL;
	const char *corrupt = NULL;
	bool malicious = false, semi = false;
	const cli_opt opts[] = {
	    {.name = "--nodes", .val = &nodes, .required = true},
	    {.name = "--dim", .val = &dim, .required = true},
	    {.name = "--dropout", .val = &dropout},
	    {.name = "--drop-at", .val = &at},
	    {.name = "--graph", .val = &graph},
	    {.name = "--seed", .val = &seed},
	    {.name = "--bits", .val = &bits},
	    {.name = "--threshold", .val = &t},
	    {.name = "--corrupt", .val = &corrupt},
	    {.name = "--malicious", .flag = &malicious},
	    {.name = "--semi-honest", .flag = &semi},
	    {.name = NULL},
	};
	const cli_cmd cmd = {
	    "sim secagg", opts, NULL, 0, 0, NULL, sim_usage_text};
	int st, r = CRN_SA_R_MASKED;

	memset(a, 0, sizeof(*a));
	a->seed = 1;
	a->bits = 64;
	a->corrupt = 0.05;
	if ((st = cli_parse(&cmd, argc, argv)) >= 0)
		return st;
	a->malicious = semi && !malicious ? 0 : 1;
	a->sparse = graph != NULL && strcmp(graph, "sparse") == 0;
	if (parse_u64(nodes, &a->nodes) != 0 || parse_u64(dim, &a->dim) != 0 ||
	    (dropout != NULL && parse_frac(dropout, &a->dropout) != 0) ||
	    (at != NULL && (r = sim_round(at)) < 0) ||
	    (graph != NULL && !a->sparse && strcmp(graph, "full") != 0) ||
	    (seed != NULL && parse_u64(seed, &a->seed) != 0) ||
	    (bits != NULL && parse_u64(bits, &a->bits) != 0) ||
	    (a->bits != 32 && a->bits != 64 && a->bits != 128) ||
	    (t != NULL && parse_u64(t, &a->threshold) != 0) ||
	    (corrupt != NULL &&
	        (parse_frac(corrupt, &a->corrupt) != 0 || a->corrupt >= 0.5)) ||
	    a->nodes < 3 || a->nodes > CRN_SA_MAX_NODES || a->dim == 0 ||
	    a->dim > CRN_SA_MAX_DIM)
		return cli_usage_error("sim secagg",
		    "a value out of range: --nodes 3..%u, --dim 1..%llu, --bits 32, 64 or 128, fractions below 0.5, a round name for --drop-at, full or sparse for --graph",
		    (unsigned)CRN_SA_MAX_NODES,
		    (unsigned long long)CRN_SA_MAX_DIM);
	a->at = (crn_sa_round)r;
	return -1;
}

static int
sim_secagg(int argc, char **argv)
{
	struct sim_args a;
	double pol_drop, ks;
	crn_graph_params gp;
	crn_sa_sim_cfg cfg;
	crn_sa_sim_result r;
	cairn_err rv;
	int st;

	if ((st = sim_parse(argc, argv, &a)) >= 0)
		return st;

	/* Degree and threshold for the federation; the dropout fraction the
	 * choice may assume is capped below 1/2 (beyond that no threshold
	 * is both safe and live, and the session is expected to abort). */
	/* The nodes check the parameters against the same fractions, where
	 * zero means their default of 0.05. */
	pol_drop = a.dropout < 0.45 ? a.dropout : 0.45;
	if (pol_drop <= 0.0)
		pol_drop = 0.05;
	if (a.corrupt <= 0.0)
		a.corrupt = 0.05;
	if ((rv = crn_graph_choose_ex(&gp, (uint32_t)a.nodes, a.corrupt,
	         pol_drop, a.sparse, a.malicious)) != CAIRN_OK)
		return cli_error(
		    "cannot choose graph parameters: %s", cairn_strerror(rv));
	if (a.threshold != 0) {
		if (a.threshold < 2 || a.threshold > a.nodes)
			return cli_usage_error("sim secagg",
			    "--threshold is 2..%llu (the number of nodes)",
			    (unsigned long long)a.nodes);
		gp.threshold = (uint32_t)a.threshold;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.nodes = (uint32_t)a.nodes;
	cfg.dim = a.dim;
	cfg.ring_bits = (uint32_t)a.bits;
	cfg.threshold = gp.threshold;
	cfg.degree = gp.degree >= a.nodes - 1 ? 0 : gp.degree;
	for (int i = 0; i < 8; i++)
		cfg.seed[i] = (uint8_t)(a.seed >> (8 * i));
	cfg.ndrop = (uint32_t)llround(a.dropout * (double)a.nodes);
	cfg.drop_at = a.at;
	cfg.clock = now_s;
	cfg.corrupt_frac = a.corrupt;
	cfg.dropout_frac = pol_drop;
	cfg.malicious = a.malicious != 0;

	printf("secagg simulation: %u nodes, %" PRIu64 " x %u-bit elements, %s graph (degree %u), threshold %u\n",
	    cfg.nodes, a.dim, cfg.ring_bits, cfg.degree ? "sparse" : "complete",
	    cfg.degree ? cfg.degree : cfg.nodes - 1, cfg.threshold);
	printf("dropping %u nodes at %s\n", cfg.ndrop, crn_sa_round_name(a.at));
	fflush(stdout);
	if ((rv = crn_sa_sim_run(&cfg, &r)) != CAIRN_OK)
		return cli_error("simulation failed: %s", cairn_strerror(rv));
	ks = keystream_ns_per_elem(a.dim, cfg.ring_bits);

	sim_report(&cfg, &r, a.dropout, ks);
	return r.finished && r.correct ? 0 : 1;
}

int
cmd_sim(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "secagg") == 0)
		return sim_secagg(argc - 1, argv + 1);
	if (argc >= 2 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		sim_usage(stdout);
		return 0;
	}
	sim_usage(stderr);
	return 2;
}
