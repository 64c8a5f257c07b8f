/*
 * coord_seen.h — the nodes a coordinator has seen, kept in its state_dir
 * (file "nodes.seen", one node name a line) so that a restarted
 * coordinator still expects every node it knew: until a node reconnects,
 * answers list it as absent instead of leaving it out unsaid.  An
 * operator retires a node by deleting its line while the coordinator is
 * stopped.
 */
#ifndef CRN_COORDINATOR_COORD_SEEN_H
#define CRN_COORDINATOR_COORD_SEEN_H

#include <stddef.h>

#include "base/err.h"

/* The file's name inside state_dir. */
#define CO_SEEN_FILE "nodes.seen"

/*
 * Read state_dir/nodes.seen into a new array of names (free with
 * co_seen_free).  A missing file is an empty list (CAIRN_OK, *n 0).
 * Lines that are not valid certificate names are skipped and counted in
 * *skipped.  CAIRN_ENOMEM, or a file error of crn_file_read.
 */
CAIRN_NODISCARD cairn_err co_seen_load(
    const char *state_dir, char ***names, size_t *n, size_t *skipped);

/* Replace state_dir/nodes.seen with the n names (crn_file_write_atomic). */
CAIRN_NODISCARD cairn_err co_seen_save(
    const char *state_dir, const char *const *names, size_t n);

void co_seen_free(char **names, size_t n);

#endif /* CRN_COORDINATOR_COORD_SEEN_H */
