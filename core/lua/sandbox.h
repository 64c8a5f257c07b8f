/*
 * sandbox.h — researchers' own programs (Lua 5.4) in a sandbox: the
 * runtime of "approved code" jobs (JOB_CODE).
 *
 * A program is one Lua source file that defines
 *
 *   function node(data, params)      -> array of numbers (declared length)
 *   function coordinator(aggregate, params, round)
 *                                     -> {next = {numbers}} or {result = v}
 *
 * node() runs at each data owner's node over that node's rows; its output
 * is clipped, encoded in fixed point and summed by secure aggregation.
 * coordinator() (optional) runs where the sum is released, once per round.
 *
 * Every call gets a fresh lua_State (crn_lua_new) holding only:
 *   - base functions, without dofile, loadfile, print and warn; `load`
 *     only compiles text (mode "t", never a binary chunk) and
 *     `collectgarbage` only takes "collect", "count", "step" and
 *     "isrunning" (nothing that changes the collector's limits);
 *   - coroutine, table, utf8;
 *   - math, with math.random seeded from the job (reproducible runs);
 *   - string without dump and without the pattern functions (find, match,
 *     gmatch, gsub): those run in C, where the instruction budget cannot
 *     interrupt them, and a crafted pattern backtracks exponentially.
 *     The string metatable is locked (getmetatable("") returns false).
 *   - Library loops in C that cost no memory are bounded: string.rep of an
 *     empty string and table.move over more than 2^26 elements are
 *     refused.  setmetatable refuses a metatable with __gc: Lua runs
 *     finalizers with hooks off, beyond every limit.
 * No io, os, debug or package (so no require).
 *
 * Limits (crn_lua_limits): a memory cap enforced by the state's own
 * allocator; an instruction budget counted by a count hook (every
 * CRN_LUA_HOOK_EVERY VM instructions, in every coroutine); a wall-clock
 * deadline checked at the same hook; a call-depth limit checked there too
 * (Lua's own C-stack limit, LUAI_MAXCCALLS, bounds C recursion).  Once a
 * limit is hit the sandbox stays killed: every later hook raises again,
 * so a pcall in the program cannot swallow it, and the verdict is the
 * limit whatever the program returns.
 *
 * Errors: the researcher is told a generic reason (crn_lua_reason); the
 * Lua message (which may hold a row value) goes into `log`, for the node's
 * log only.  Not thread-safe per object; separate objects are independent.
 * The hook reads CLOCK_MONOTONIC: this module is not sans-I/O, by need.
 */
#ifndef CRN_LUA_SANDBOX_H
#define CRN_LUA_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define CRN_LUA_HOOK_EVERY 1000

/* Defaults of the node policy keys code_memory_mb, code_steps_m,
 * code_timeout_ms, and of the call-depth limit. */
#define CRN_LUA_DEFAULT_MEMORY_MB  256u
#define CRN_LUA_DEFAULT_STEPS_M    2000u
#define CRN_LUA_DEFAULT_TIMEOUT_MS 20000u
#define CRN_LUA_DEFAULT_DEPTH      1000u

/* Largest program accepted, bytes. */
#define CRN_LUA_MAX_SOURCE (256u * 1024u)
/* Longest output vector and parameter list. */
#define CRN_LUA_MAX_OUTPUT (1u << 20)
#define CRN_LUA_MAX_PARAMS 16384u

/* Named parameters ('cairn run --param NAME=NUMBER'): the same in every
 * round, params.NAME in node() and coordinator() beside the numbered
 * ones.  Borrowed; n = 0 for none. */
typedef struct crn_lua_named {
	char *const *names;
	const double *values;
	size_t n;
} crn_lua_named;

typedef struct crn_lua_limits {
	size_t mem_bytes;    /* 0: CRN_LUA_DEFAULT_MEMORY_MB MiB */
	uint64_t steps;      /* VM instructions; 0: default */
	uint64_t timeout_ms; /* wall clock from crn_lua_new; 0: default */
	uint32_t max_depth;  /* nested Lua calls; 0: default */
} crn_lua_limits;

/* What ended a run, for the researcher's generic reason. */
typedef enum crn_lua_verdict {
	CRN_LUA_OK = 0,
	CRN_LUA_ERROR = 1,  /* the program raised an error / did not compile */
	CRN_LUA_MEMORY = 2, /* memory cap */
	CRN_LUA_STEPS = 3,  /* instruction budget */
	CRN_LUA_TIME = 4,   /* wall-clock deadline */
	CRN_LUA_DEPTH = 5,  /* call depth */
	CRN_LUA_OUTPUT = 6, /* output of the wrong shape or not finite */
} crn_lua_verdict;

typedef struct crn_lua crn_lua;

/*
 * One column handed to node(): n values, numbers (num) or text (text, for
 * category columns); null[i] true is NULL (nil in Lua).  Borrowed.
 * Numbers are pushed as Lua integers when is_int, else as floats.
 */
typedef struct crn_lua_col {
	const char *name;
	size_t n;
	bool is_text;
	bool is_int;
	const double *num;
	const int64_t *inum;
	const char *const *text;
	const bool *null;
} crn_lua_col;

/* The fixed prefix every researcher-visible error starts with. */
const char *crn_lua_reason(crn_lua_verdict v);

/*
 * Compile src (len bytes, text only) in a fresh state with limits lim
 * (NULL: defaults) and math.random seeded with seed, and run its main
 * chunk (which defines the functions).  On failure *out is NULL, *verdict
 * says why and log (if loglen > 0) holds the Lua message.  Errors:
 * CAIRN_EINVAL (does not compile, raises, or src too long), CAIRN_ETOOBIG
 * (memory or budget), CAIRN_ETIMEDOUT, CAIRN_ENOMEM (our own allocation).
 */
CAIRN_NODISCARD cairn_err crn_lua_new(crn_lua **out, const char *src,
    size_t len, const crn_lua_limits *lim, uint64_t seed,
    crn_lua_verdict *verdict, char *log, size_t loglen);

/* Close the state and free everything.  NULL-safe. */
void crn_lua_free(crn_lua *L);

/*
 * Call node(data, params): data = {rows = nrows, cols = {name = array}},
 * params an array of numbers.  The result must be an array (raw length,
 * no metamethods consulted) of exactly outlen finite numbers, copied into
 * out.  Errors as crn_lua_new, plus CAIRN_ERANGE (NaN or infinity) and
 * CAIRN_EDATA (wrong length or a non-number), both verdict CRN_LUA_OUTPUT.
 */
CAIRN_NODISCARD cairn_err crn_lua_node(crn_lua *L, const crn_lua_col *cols,
    size_t ncols, size_t nrows, const double *params, size_t nparams,
    double *out, size_t outlen, crn_lua_verdict *verdict, char *log,
    size_t loglen);

/* The named parameters of every later call on s (borrowed: they must
 * outlive the calls); NULL for none. */
void crn_lua_set_named(crn_lua *s, const crn_lua_named *named);

/* Does the program define coordinator()? */
bool crn_lua_has_coordinator(crn_lua *L);

/*
 * Call coordinator(aggregate, params, round).  It returns a table with
 * either `next` (an array of finite numbers, at most CRN_LUA_MAX_PARAMS:
 * *next, crn_alloc'd, *nnext entries; *result NULL) or `result` (any
 * value made of numbers, strings, booleans and tables: *result is its
 * JSON, crn_strdup'd; *next NULL).  Errors as crn_lua_node.
 */
CAIRN_NODISCARD cairn_err crn_lua_coordinator(crn_lua *L, const double *agg,
    size_t nagg, const double *params, size_t nparams, uint32_t round,
    double **next, size_t *nnext, char **result, crn_lua_verdict *verdict,
    char *log, size_t loglen);

/* Steps (VM instructions, to CRN_LUA_HOOK_EVERY) and peak bytes used. */
uint64_t crn_lua_steps(const crn_lua *L);
size_t crn_lua_peak(const crn_lua *L);

#endif /* CRN_LUA_SANDBOX_H */
