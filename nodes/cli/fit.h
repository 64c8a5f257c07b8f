/*
 * fit.h — the model options 'cairn fit' and 'cairn bench fit' share
 * (cmd_fit.c): the cli_opt table of a model spec, and their checks.
 */
#ifndef CRN_CLI_FIT_H
#define CRN_CLI_FIT_H

#include "cli/opts.h"
#include "model/model.h"

typedef struct cli_fit_args {
	crn_model_spec spec; /* borrows argv; spec.init is owned */
	char *xs[CRN_MODEL_MAX_X];
	const char *cmd; /* "fit", "bench fit": for messages */
} cli_fit_args;

/*
 * Parse argv by c's own options (c->opts, which may be empty) and the
 * model options (--dataset, --model, --y, --x, --where, --no-intercept,
 * --l2, --k, --init, --max-iter, --tol) into a->spec, and check them:
 * --dataset, --model and one --x at least, numbers, kmeans' --k and
 * --init.  Returns -1 to go on, else the exit status (0 after --help, 2
 * for a usage error).  cli_fit_args_fini frees it either way.
 */
int cli_fit_parse(const cli_cmd *c, int argc, char **argv, cli_fit_args *a);

void cli_fit_args_fini(cli_fit_args *a);

#endif /* CRN_CLI_FIT_H */
