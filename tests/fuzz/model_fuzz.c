/*
 * model_fuzz.c — the model decoders on arbitrary bytes: a ModelSpec
 * arrives inside a researcher's signed job and every node compiles it
 * (libpg_query parses its expressions); a ModelRound comes from the
 * coordinator.  The first byte chooses which: even, a spec; odd, a round.
 *
 * A decoded spec must re-encode and decode to the same spec, and compile
 * against a fixed schema or be refused with a message; a compiled model
 * has ranges that are finite with lo <= hi and a fixed point of at least
 * CRN_MODEL_MIN_FRAC bits.  A decoded round has only finite parameters.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/crn.h"
#include "model/model.h"
#include "query/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fuzz_schema =
    "[federation]\nmin_cell = 1\nmax_nodes = 10\n\n[dataset d]\nmax_rows = 1000\n\n[column d.a]\ntype = integer\nmin = -10\nmax = 10\n\n[column d.b]\ntype = decimal\nscale = 2\nmin = 0.5\nmax = 20\n\n[column d.r]\ntype = category\ndomain = north, south\n";

static void
check_spec(const crn_model_spec *s)
{
	crn_model_spec again;
	crn_schema *schema = NULL;
	crn_model *m = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[512];

	if (crn_model_spec_encode(s, &buf, &len) != CAIRN_OK ||
	    crn_model_spec_decode(buf, len, &again) != CAIRN_OK)
		abort();
	if (again.kind != s->kind || again.nx != s->nx || again.k != s->k ||
	    strcmp(again.dataset, s->dataset) != 0)
		abort();
	for (size_t i = 0; i < s->nx; i++)
		if (strcmp(again.x[i], s->x[i]) != 0)
			abort();
	crn_model_spec_fini(&again);
	crn_free(buf, len);
	if (crn_schema_parse(fuzz_schema, "fuzz", &schema, err, sizeof(err)) !=
	    CAIRN_OK)
		abort();
	err[0] = '\0';
	if (crn_model_compile(schema, s, &m, err, sizeof(err)) == CAIRN_OK) {
		for (size_t i = 0; i < m->p; i++)
			if (!isfinite(m->lo[i]) || !isfinite(m->hi[i]) ||
			    m->lo[i] > m->hi[i])
				abort();
		if (m->frac_bits < CRN_MODEL_MIN_FRAC || m->dim == 0)
			abort();
		crn_model_free(m);
	} else if (err[0] == '\0') {
		abort();
	}
	crn_schema_free(schema);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if ((data[0] & 1) == 0) {
		crn_model_spec s;

		if (crn_model_spec_decode(data + 1, size - 1, &s) != CAIRN_OK)
			return 0;
		check_spec(&s);
		crn_model_spec_fini(&s);
	} else {
		crn_model_round r;

		if (crn_model_round_decode(data + 1, size - 1, &r) != CAIRN_OK)
			return 0;
		for (size_t i = 0; i < r.nparams; i++)
			if (!isfinite(r.params[i]))
				abort();
		crn_model_round_fini(&r);
	}
	return 0;
}
