/*
 * coordinator.h — the coordinator daemon (`cairn coordinator`).
 *
 * One thread, one event loop: it listens on the configured URL, accepts
 * nodes (HELLO) and researchers (JOB_SUBMIT, STATUS_REQ), checks every
 * job (researcher certificate and signature, freshness, plan), and runs
 * each job in two passes (core/release.h), each its own secure-
 * aggregation session (crn_sa_coord): the counts with the nodes connected
 * at that moment (no more than the schema's max_nodes), then the figures
 * of the releasable cells with the nodes of the first pass; up to
 * max_jobs jobs at once.  Every round waits at most its configured
 * deadline.
 */
#ifndef CRN_COORDINATOR_COORDINATOR_H
#define CRN_COORDINATOR_COORDINATOR_H

/*
 * Run the coordinator with the configuration file at path until SIGINT or
 * SIGTERM.  Logs to stderr.  Returns the process exit status: 0 after a
 * clean stop, 1 when it cannot start (the reason is logged).
 */
int crn_coordinator_main(const char *path);

#endif /* CRN_COORDINATOR_COORDINATOR_H */
