/*
 * runtime_fuzz.c — the runtime message decoders of proto/codec_runtime.c
 * (JobOffer, JobStatus, JobResult, StatusReport, ErrorReport) on arbitrary
 * bytes.  These arrive from the coordinator (at nodes and researchers) and
 * from either side (errors).
 *
 * The first input byte picks the decoder (modulo 5); the rest is the
 * message.  A refused input must leave the struct zeroed and answer
 * CAIRN_EINVAL or CAIRN_ETOOBIG.  An accepted one must keep the decoder's
 * promises (strings never NULL where promised, printable names, a sum
 * that is whole ring elements, result tables without control characters
 * other than line breaks and tabs) and re-encode to bytes that decode and
 * re-encode to the same bytes again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/crn.h"
#include "proto/codec_runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

static void
check_refusal(cairn_err rv, const void *m, size_t n)
{
	if (!all_zero(m, n))
		abort();
	if (rv != CAIRN_EINVAL && rv != CAIRN_ETOOBIG)
		abort();
}

static void
check_text(const char *s, int lines)
{
	if (s == NULL)
		return;
	for (const char *p = s; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == 0x7f)
			abort();
		if (ch < 0x20 &&
		    !(lines && (ch == '\n' || ch == '\r' || ch == '\t')))
			abort();
	}
}

static void
check_names(char **v, size_t n)
{
	if (n > 0 && v == NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (v[i] == NULL)
			abort();
		check_text(v[i], 0);
	}
}

/* enc(dec(a)) must equal a (a is already an encoder's output). */
static void
same_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen || (alen > 0 && memcmp(a, b, alen) != 0))
		abort();
}

static void
fuzz_offer(const uint8_t *d, size_t n)
{
	crn_rt_offer m, m2;
	uint8_t *w = NULL, *w2 = NULL;
	size_t wl = 0, wl2 = 0;
	cairn_err rv;

	if ((rv = crn_rt_offer_decode(&m, d, n)) != CAIRN_OK) {
		check_refusal(rv, &m, sizeof(m));
		return;
	}
	if ((m.signed_job == NULL) != (m.signed_job_len == 0))
		abort();
	if (crn_rt_offer_encode(&m, &w, &wl) != CAIRN_OK ||
	    crn_rt_offer_decode(&m2, w, wl) != CAIRN_OK ||
	    crn_rt_offer_encode(&m2, &w2, &wl2) != CAIRN_OK)
		abort();
	same_bytes(w, wl, w2, wl2);
	crn_free(w, wl);
	crn_free(w2, wl2);
	crn_rt_offer_fini(&m);
	crn_rt_offer_fini(&m2);
}

static void
fuzz_jobstatus(const uint8_t *d, size_t n)
{
	crn_rt_jobstatus m, m2;
	uint8_t *w = NULL, *w2 = NULL;
	size_t wl = 0, wl2 = 0;
	cairn_err rv;

	if ((rv = crn_rt_jobstatus_decode(&m, d, n)) != CAIRN_OK) {
		check_refusal(rv, &m, sizeof(m));
		return;
	}
	if (crn_rt_jobstatus_encode(&m, &w, &wl) != CAIRN_OK ||
	    crn_rt_jobstatus_decode(&m2, w, wl) != CAIRN_OK ||
	    crn_rt_jobstatus_encode(&m2, &w2, &wl2) != CAIRN_OK)
		abort();
	same_bytes(w, wl, w2, wl2);
	crn_free(w, wl);
	crn_free(w2, wl2);
}

static void
fuzz_result(const uint8_t *d, size_t n)
{
	crn_rt_result m, m2;
	uint8_t *w = NULL, *w2 = NULL;
	size_t wl = 0, wl2 = 0;
	cairn_err rv;

	if ((rv = crn_rt_result_decode(&m, d, n)) != CAIRN_OK) {
		check_refusal(rv, &m, sizeof(m));
		return;
	}
	check_names(m.contributed, m.ncontributed);
	check_names(m.dropped, m.ndropped);
	check_names(m.dropped_between, m.ndropped_between);
	if (m.error == NULL)
		abort();
	check_text(m.error, 0);
	check_text(m.table_text, 1);
	check_text(m.table_json, 1);
	check_text(m.table_csv, 1);
	if (m.ring_bits != 0 && m.ring_bits != 32 && m.ring_bits != 64 &&
	    m.ring_bits != 128)
		abort();
	if (m.sum_len > 0 &&
	    (m.ring_bits == 0 || m.sum_len % (m.ring_bits / 8) != 0))
		abort();
	if (crn_rt_result_encode(&m, &w, &wl) != CAIRN_OK ||
	    crn_rt_result_decode(&m2, w, wl) != CAIRN_OK ||
	    crn_rt_result_encode(&m2, &w2, &wl2) != CAIRN_OK)
		abort();
	same_bytes(w, wl, w2, wl2);
	crn_free(w, wl);
	crn_free(w2, wl2);
	crn_rt_result_fini(&m);
	crn_rt_result_fini(&m2);
	if (!all_zero(&m, sizeof(m)))
		abort();
}

static void
fuzz_status(const uint8_t *d, size_t n)
{
	crn_rt_status m, m2;
	uint8_t *w = NULL, *w2 = NULL;
	size_t wl = 0, wl2 = 0;
	cairn_err rv;

	if ((rv = crn_rt_status_decode(&m, d, n)) != CAIRN_OK) {
		check_refusal(rv, &m, sizeof(m));
		return;
	}
	check_names(m.nodes, m.nnodes);
	if (m.nsessions > 0 && m.sessions == NULL)
		abort();
	for (size_t i = 0; i < m.nsessions; i++) {
		if (m.sessions[i].researcher == NULL)
			abort();
		check_text(m.sessions[i].researcher, 0);
	}
	if (crn_rt_status_encode(&m, &w, &wl) != CAIRN_OK ||
	    crn_rt_status_decode(&m2, w, wl) != CAIRN_OK ||
	    crn_rt_status_encode(&m2, &w2, &wl2) != CAIRN_OK)
		abort();
	same_bytes(w, wl, w2, wl2);
	crn_free(w, wl);
	crn_free(w2, wl2);
	crn_rt_status_fini(&m);
	crn_rt_status_fini(&m2);
}

static void
fuzz_error(const uint8_t *d, size_t n)
{
	crn_rt_error m, m2;
	uint8_t *w = NULL, *w2 = NULL;
	size_t wl = 0, wl2 = 0;
	cairn_err rv;

	if ((rv = crn_rt_error_decode(&m, d, n)) != CAIRN_OK) {
		check_refusal(rv, &m, sizeof(m));
		return;
	}
	if (m.message == NULL)
		abort();
	check_text(m.message, 0);
	if (crn_rt_error_encode(&m, &w, &wl) != CAIRN_OK ||
	    crn_rt_error_decode(&m2, w, wl) != CAIRN_OK ||
	    crn_rt_error_encode(&m2, &w2, &wl2) != CAIRN_OK)
		abort();
	same_bytes(w, wl, w2, wl2);
	crn_free(w, wl);
	crn_free(w2, wl2);
	crn_rt_error_fini(&m);
	crn_rt_error_fini(&m2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 5) {
	case 0: fuzz_offer(data + 1, size - 1); break;
	case 1: fuzz_jobstatus(data + 1, size - 1); break;
	case 2: fuzz_result(data + 1, size - 1); break;
	case 3: fuzz_status(data + 1, size - 1); break;
	default: fuzz_error(data + 1, size - 1); break;
	}
	return 0;
}
