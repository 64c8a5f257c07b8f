/*
 * secagg_corpus_gen.c — write the committed seed corpora of the
 * secure-aggregation fuzzers from the real messages of one-process world
 * runs (core/secagg_world.h): every decoder's corpus gets a real message
 * of its type and a few near misses (truncated, a flipped byte), and the
 * machine fuzzer gets control sequences that pass, flip, truncate, drop,
 * replay or replace each message of a session in turn (its input format
 * is in secagg_machine_fuzz.c).  The runs are deterministic, so the
 * output only changes when a message format or the protocol does.
 *
 *   cmake --build build --target secagg_corpus_gen
 *   build/tests/secagg_corpus_gen tests/fuzz/corpus
 *
 * Files are written into existing directories under the given root (one
 * per fuzzer, created when missing); files of other names are left.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto/init.h"
#include "proto/codec_secagg.h"
#include "base/crn.h"
#include "secagg/secagg.h"
#include "secagg/world.h"

static const char *root;

static void
die(const char *what)
{
	fprintf(stderr, "secagg_corpus_gen: %s\n", what);
	exit(1);
}

/* Write root/dir/name: len bytes of data (prefix byte first if >= 0). */
static void
put(const char *dir, const char *name, int prefix, const uint8_t *data,
    size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, dir);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		die("cannot make a corpus directory");
	snprintf(path, sizeof(path), "%s/%s/%s", root, dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		die("cannot write a corpus file");
	if (prefix >= 0)
		fputc(prefix, f);
	if ((len > 0 && fwrite(data, 1, len, f) != len) || fclose(f) != 0)
		die("cannot write a corpus file");
}

/* A real message, cut short by one byte and by half, and with one byte
 * flipped in the middle. */
static void
put_family(const char *dir, const char *name, int prefix, const crn_sa_wmsg *m)
{
	char n2[128];
	uint8_t *b;

	if (m == NULL)
		die("no such message in the run");
	put(dir, name, prefix, m->data, m->len);
	snprintf(n2, sizeof(n2), "%s_cut1", name);
	put(dir, n2, prefix, m->data, m->len - 1);
	snprintf(n2, sizeof(n2), "%s_half", name);
	put(dir, n2, prefix, m->data, m->len / 2);
	if ((b = malloc(m->len)) == NULL)
		die("out of memory");
	memcpy(b, m->data, m->len);
	b[m->len / 2] ^= 0x80;
	snprintf(n2, sizeof(n2), "%s_flip", name);
	put(dir, n2, prefix, b, m->len);
	free(b);
}

static crn_sa_verdict
drop_reveal_of_3(void *arg, uint32_t from, uint32_t to, uint32_t type,
    uint8_t **data, size_t *len)
{
	(void)arg;
	(void)to;
	(void)data;
	(void)len;
	return from == 3 && type == CRN_SA_MSG_SEED_REVEAL ? CRN_SA_DROP
	                                                   : CRN_SA_PASS;
}

/* The machine fuzzer's world (4 nodes, t = 3, dim 3), run to its end. */
static crn_sa_world *
run(crn_sa_hook hook, uint32_t max_nodes)
{
	crn_sa_world_cfg c;
	crn_sa_world *w = NULL;

	memset(&c, 0, sizeof(c));
	c.nodes = 4;
	c.dim = 3;
	c.ring_bits = 64;
	c.threshold = 3;
	memset(c.seed, 0x33, sizeof(c.seed));
	c.malicious = true;
	c.max_nodes = max_nodes;
	c.coordinator = true;
	c.sorted = true;
	c.keep = true;
	c.hook = hook;
	if (crn_sa_world_new(&w, &c) != CAIRN_OK ||
	    crn_sa_world_run(w) != CAIRN_OK)
		die("the world run failed");
	return w;
}

/* Node 1's advertisement without its certificate. */
static void
put_no_cert(const crn_sa_wmsg *m)
{
	crn_sa_advertise a, b;
	uint8_t *buf;
	size_t len;

	if (crn_sa_advertise_decode(&a, m->data, m->len) != CAIRN_OK)
		die("cannot decode an advertisement");
	b = a;
	b.cert = NULL;
	b.cert_len = 0;
	if (crn_sa_advertise_encode(&buf, &len, &b) != CAIRN_OK)
		die("cannot encode an advertisement");
	crn_sa_advertise_fini(&a);
	put("secagg_advertise", "no_cert", -1, buf, len);
	crn_free(buf, len);
}

/* One real message of every round, as each decoder's corpus. */
static void
decoder_corpora(const crn_sa_world *w)
{
	const crn_sa_wmsg *keys =
	    crn_sa_world_sent(w, 1, CRN_SA_MSG_SHARE_KEYS);

	put_family("secagg_advertise", "valid", -1,
	    crn_sa_world_sent(w, 1, CRN_SA_MSG_ADVERTISE));
	put_no_cert(crn_sa_world_sent(w, 1, CRN_SA_MSG_ADVERTISE));
	put_family("secagg_roster", "valid", -1,
	    crn_sa_world_got(w, 1, CRN_SA_MSG_ROSTER));
	put_family("secagg_reveal", "valid", -1,
	    crn_sa_world_sent(w, 1, CRN_SA_MSG_SEED_REVEAL));
	put_family("secagg_seeds", "valid", -1,
	    crn_sa_world_got(w, 1, CRN_SA_MSG_GRAPH_SEEDS));
	put_family("secagg_shares", "keys", 0, keys);
	put("secagg_shares", "keys_as_fwd", 1, keys->data, keys->len);
	put_family("secagg_shares", "fwd", 1,
	    crn_sa_world_got(w, 1, CRN_SA_MSG_SHARES_FWD));
	put_family("secagg_masked", "valid", -1,
	    crn_sa_world_sent(w, 1, CRN_SA_MSG_MASKED_INPUT));
	put_family("secagg_survivors", "valid", -1,
	    crn_sa_world_got(w, 1, CRN_SA_MSG_CONSISTENCY_REQ));
	put_family("secagg_consig", "valid", -1,
	    crn_sa_world_sent(w, 1, CRN_SA_MSG_CONSISTENCY_SIG));
	put_family("secagg_unmaskreq", "valid", -1,
	    crn_sa_world_got(w, 1, CRN_SA_MSG_UNMASK_REQ));
	put_family("secagg_unmask", "valid", -1,
	    crn_sa_world_sent(w, 1, CRN_SA_MSG_UNMASK));
}

/* A node's refusal (every node's max_nodes below the roster) and the
 * coordinator's abort (a reveal that never arrives). */
static void
abort_corpus(void)
{
	crn_sa_world *w = run(NULL, 3);

	put_family("secagg_abort", "node_refusal", -1,
	    crn_sa_world_sent(w, 1, CRN_SA_MSG_ABORT));
	crn_sa_world_free(w);
	w = run(drop_reveal_of_3, 0);
	put_family("secagg_abort", "coordinator", -1,
	    crn_sa_world_got(w, 1, CRN_SA_MSG_ABORT));
	crn_sa_world_free(w);
}

/* The honest session's hooked messages: 4 advertisements and 4 rosters
 * pass the hook while the nodes start, 36 more while a drain runs. */
#define HOOKED 44

/* A machine input that lets message m pass the hook with mutation op
 * (0 flip, 1 truncate, 2 drop, 3 replay, 4 replace by `real`). */
static size_t
machine_input(uint8_t *b, uint32_t m, int op, const crn_sa_wmsg *real)
{
	size_t k = 0, l;

	b[k++] = 0; /* the default world: 64 bits, 4 nodes */
	for (uint32_t i = 0; i < m && i < 8; i++)
		b[k++] = 0;
	if (m >= 8) {
		b[k++] = 0x04; /* drain */
		for (uint32_t i = 8; i < m; i++)
			b[k++] = 0;
	}
	if (op == 0) {
		b[k++] = 0x80;
		b[k++] = 0;
		b[k++] = (uint8_t)(17 * m + 5);
		b[k++] = (uint8_t)m;
	} else if (op == 1) {
		b[k++] = 0xa0;
		b[k++] = 0;
		b[k++] = (uint8_t)(3 + m);
	} else if (op == 2 || op == 3) {
		b[k++] = op == 2 ? 0xc0 : 0xe0;
	} else {
		l = real->len < 200 ? real->len : 200;
		b[k++] = 0xf0;
		b[k++] = (uint8_t)l;
		memcpy(b + k, real->data, l);
		k += l;
	}
	return k;
}

static void
machine_corpus(const crn_sa_world *w)
{
	static const char *const ops[] = {
	    "flip", "trunc", "drop", "replay", "replace"};
	/* Driver-level replays: slot 1 gets its roster again, then sends
	 * its reveal again; a deadline before anyone revealed. */
	static const uint8_t replays[] = {
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0, 0x06, 1, 0x07, 10, 0};
	static const uint8_t early[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05};
	const crn_sa_wmsg *real =
	    crn_sa_world_sent(w, 2, CRN_SA_MSG_SHARE_KEYS);
	uint8_t buf[512];
	char name[64];

	put("secagg_machine", "honest", -1, buf, 0);
	/* Every other world the first byte picks: widths and sizes. */
	for (uint8_t h = 1; h < 9; h++) {
		snprintf(name, sizeof(name), "honest_world%u", h);
		put("secagg_machine", name, -1, &h, 1);
	}
	put("secagg_machine", "replays", -1, replays, sizeof(replays));
	put("secagg_machine", "deadline_early", -1, early, sizeof(early));
	for (uint32_t m = 0; m < HOOKED; m++)
		for (int op = 0; op < 5; op++) {
			size_t len = machine_input(buf, m, op, real);

			snprintf(name, sizeof(name), "m%02u_%s", m, ops[op]);
			put("secagg_machine", name, -1, buf, len);
		}
}

int
main(int argc, char **argv)
{
	crn_sa_world *w;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_ROOT\n", argv[0]);
		return 2;
	}
	root = argv[1];
	if (cairn_init() != CAIRN_OK)
		die("cannot start the library");
	w = run(NULL, 0);
	if (crn_sa_world_sum(w, &(size_t){0}) == NULL)
		die("the honest run did not finish");
	decoder_corpora(w);
	machine_corpus(w);
	crn_sa_world_free(w);
	abort_corpus();
	return 0;
}
