/*
 * audit_rewrite.c — an attacker's tool for fed_audit.sh: a coordinator
 * that holds its own key rewrites its audit log without one job.
 *
 *   audit_rewrite KEY IN_LOG JOB_HEX OUT_LOG
 *
 * Every entry of IN_LOG except those of JOB_HEX (and the open entries,
 * which the new log writes itself) is signed again, in order, with the
 * same times, into the new file OUT_LOG: a log that verifies on its own,
 * which only the heads the nodes recorded can expose.
 */
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "base/crn.h"
#include "crypto/init.h"

typedef struct rw {
	crn_audit *out;
	const char *skip;
	int kept, dropped;
} rw;

static cairn_err
copy(void *arg, const crn_audit_entry *e)
{
	rw *r = arg;
	crn_audit_field f[32];
	const char *job = crn_audit_field_get(e, "job");
	uint64_t t = 0;

	if (strcmp(e->type, CRN_AUDIT_OPEN) == 0)
		return CAIRN_OK;
	if (job != NULL && strcmp(job, r->skip) == 0) {
		r->dropped++;
		return CAIRN_OK;
	}
	if (e->nfields > CRN_NELEM(f) ||
	    crn_audit_time_parse(e->time, &t) != CAIRN_OK)
		return CAIRN_EINVAL;
	for (size_t i = 0; i < e->nfields; i++) {
		f[i].key = e->keys[i];
		f[i].value = e->values[i];
	}
	r->kept++;
	return crn_audit_append(r->out, t, e->type, f, e->nfields);
}

int
main(int argc, char **argv)
{
	crn_identity *id = NULL;
	crn_audit_report rep;
	char err[512];
	rw r = {0};

	if (argc != 5) {
		fprintf(stderr,
		    "usage: audit_rewrite KEY IN_LOG JOB_HEX OUT_LOG\n");
		return 2;
	}
	if (cairn_init() != CAIRN_OK ||
	    crn_identity_load(&id, argv[1]) != CAIRN_OK) {
		fprintf(stderr, "audit_rewrite: cannot load %s\n", argv[1]);
		return 1;
	}
	r.skip = argv[3];
	if (crn_audit_open(&r.out, argv[4], id, 0, err, sizeof(err)) !=
	        CAIRN_OK ||
	    crn_audit_verify_file(argv[2], NULL, copy, &r, &rep) != CAIRN_OK) {
		fprintf(stderr, "audit_rewrite: %s\n", err[0] ? err : rep.why);
		return 1;
	}
	printf(
	    "audit_rewrite: %d entries kept, %d dropped\n", r.kept, r.dropped);
	crn_audit_close(r.out);
	crn_identity_free(id);
	return r.dropped > 0 ? 0 : 1;
}
