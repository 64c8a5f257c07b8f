/*
 * sandbox.c — the Lua 5.4 sandbox of approved-code jobs (sandbox.h).
 *
 * Every Lua API call that may allocate or raise runs inside lua_pcall: an
 * error outside protected mode would call the panic function, which
 * aborts the process, and a node must never die of a researcher's
 * program.  So the library setup, the building of the data tables, the
 * calls into the program and the reading of its results are C functions
 * run through sb_protected.
 */
#define _POSIX_C_SOURCE 200809L
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/crn.h"
#include "lua/sandbox.h"

struct crn_lua {
	lua_State *L;
	size_t used, peak, cap;
	uint64_t steps, max_steps;
	int64_t deadline_ns;
	uint32_t max_depth;
	crn_lua_verdict killed; /* sticky: a limit was hit */
	bool has_coord;
	uint32_t closing; /* coroutine.close calls under way, nested */
	lua_State *volatile current; /* the thread running (sb_watch) */
	const crn_lua_named *named;  /* params.NAME; NULL: none */
};

static int64_t
sb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The state's allocator: every byte Lua holds is counted against the
 * cap.  When ptr is NULL, osize is a type tag, not a size. */
static void *
sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	crn_lua *s = ud;
	void *p;

	if (ptr == NULL)
		osize = 0;
	if (nsize == 0) {
		crn_free(ptr, osize);
		s->used -= osize;
		return NULL;
	}
	if (nsize > osize && nsize - osize > s->cap - s->used) {
		s->killed = CRN_LUA_MEMORY;
		return NULL;
	}
	if ((p = crn_realloc(ptr, osize, nsize)) == NULL)
		return NULL;
	s->used = s->used - osize + nsize;
	if (s->used > s->peak)
		s->peak = s->used;
	return p;
}

static const char *const sb_limit_msg[] = {
    [CRN_LUA_MEMORY] = "memory limit reached",
    [CRN_LUA_STEPS] = "instruction budget spent",
    [CRN_LUA_TIME] = "wall-clock deadline passed",
    [CRN_LUA_DEPTH] = "call depth limit reached",
};

/* Charge `work` steps and check every limit, raising when one is hit
 * (sticky: the state stays killed). */
static void
sb_charge(lua_State *L, crn_lua *s, uint64_t work)
{
	lua_Debug d;

	s->steps += work;
	if (s->killed == CRN_LUA_OK) {
		if (s->steps > s->max_steps)
			s->killed = CRN_LUA_STEPS;
		else if (sb_now_ns() > s->deadline_ns)
			s->killed = CRN_LUA_TIME;
		else if (lua_getstack(L, (int)s->max_depth, &d))
			s->killed = CRN_LUA_DEPTH;
	}
	if (s->killed != CRN_LUA_OK) {
		lua_sethook(L, lua_gethook(L), LUA_MASKCOUNT, 1);
		luaL_error(L, "sandbox: %s", sb_limit_msg[s->killed]);
	}
}

/* Count hook, every CRN_LUA_HOOK_EVERY instructions in every coroutine
 * (lua_newthread copies the hook).  Once killed, the hook fires on every
 * instruction and raises each time, so pcall cannot keep the program
 * going. */
static void
sb_hook(lua_State *L, lua_Debug *ar)
{
	crn_lua *s;

	(void)ar;
	(void)lua_getallocf(L, (void **)&s);
	sb_charge(L, s, CRN_LUA_HOOK_EVERY);
	/* Still alive: back to the usual interval (the watchdog may have
	 * set it to 1 a little before the deadline). */
	if (lua_gethookcount(L) != CRN_LUA_HOOK_EVERY)
		lua_sethook(L, sb_hook, LUA_MASKCOUNT, CRN_LUA_HOOK_EVERY);
}

/* Call the function this wrapper replaced (upvalue 1) with the
 * wrapper's arguments: nres results (LUA_MULTRET for all), returned as
 * the stack.  sb_porig is the same in protected mode: a Lua status, with
 * the error object on top when not LUA_OK. */
static int
sb_orig(lua_State *L, int nres)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, nres);
	return lua_gettop(L);
}

static int
sb_porig(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	return lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
}

/*
 * The deadline, from outside the state.  The count hook runs between VM
 * instructions, and one instruction can take a second (comparing two
 * strings of 50 MB of NUL bytes calls strcoll on every piece), so a
 * thousand of them pass the deadline by many minutes.  While a program
 * runs, a timer fires at the deadline and then every 50 ms; its signal
 * handler sets the running thread's hook to fire at the next
 * instruction, which then finds the deadline passed (lua_sethook may be
 * called from a signal handler).  The node runs one program at a time in
 * one thread; sb_running is that program.
 */
static crn_lua *volatile sb_running;
static timer_t sb_timer;
static int sb_timer_state; /* 0 not tried, 1 ready, -1 unavailable */

static void
sb_on_timer(int sig)
{
	crn_lua *s = sb_running;

	(void)sig;
	if (s != NULL && s->current != NULL)
		lua_sethook(s->current, sb_hook, LUA_MASKCOUNT, 1);
}

static bool
sb_timer_ready(void)
{
	struct sigaction sa;
	struct sigevent ev;

	if (sb_timer_state != 0)
		return sb_timer_state > 0;
	sb_timer_state = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sb_on_timer;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGRTMIN + 3;
	if (sigaction(SIGRTMIN + 3, &sa, NULL) != 0 ||
	    timer_create(CLOCK_MONOTONIC, &ev, &sb_timer) != 0)
		return false;
	sb_timer_state = 1;
	return true;
}

/* Arm the watchdog for s (on) or disarm it.  Without a timer (it could
 * not be made) the hook alone keeps the deadline. */
static void
sb_watch(crn_lua *s, bool on)
{
	struct itimerspec it;
	int64_t left;

	if (!sb_timer_ready())
		return;
	memset(&it, 0, sizeof(it));
	if (on) {
		left = s->deadline_ns - sb_now_ns();
		if (left < 1000000)
			left = 1000000;
		it.it_value.tv_sec = (time_t)(left / 1000000000);
		it.it_value.tv_nsec = (long)(left % 1000000000);
		it.it_interval.tv_nsec = 50000000;
		s->current = s->L;
		sb_running = s;
	} else {
		sb_running = NULL;
	}
	(void)timer_settime(sb_timer, 0, &it, NULL);
}

/* coroutine.resume, noting the running thread for the watchdog. */
static int
sb_coresume(lua_State *L)
{
	lua_State *co = lua_tothread(L, 1), *prev;
	crn_lua *s;
	int st;

	(void)lua_getallocf(L, (void **)&s);
	prev = s->current;
	if (co != NULL)
		s->current = co;
	st = sb_porig(L);
	s->current = prev;
	if (st != LUA_OK)
		return lua_error(L);
	return lua_gettop(L);
}

/* Library functions that work in C for as long as their argument is big
 * (table.sort, string.upper, ...) run between two hooks however long they
 * take: a loop of such calls would pass the deadline by minutes before the
 * next hook.  Each call is charged to the budget by the size of its first
 * argument (n log n for a sort) and the limits are checked after it. */
static int
sb_charged(lua_State *L)
{
	crn_lua *s;
	uint64_t work = 1;

	(void)lua_getallocf(L, (void **)&s);
	if (lua_type(L, 1) == LUA_TSTRING)
		work += (uint64_t)lua_rawlen(L, 1) / 8;
	else if (lua_type(L, 1) == LUA_TTABLE) {
		uint64_t len = (uint64_t)lua_rawlen(L, 1), lg = 1;

		/* table.sort: plain tables, as for move and the others. */
		if (lua_getmetatable(L, 1))
			return luaL_error(L,
			    "table.sort: tables with a metatable are not allowed");

		while ((len >> lg) != 0)
			lg++;
		work += len * lg / 4;
	}
	(void)sb_orig(L, LUA_MULTRET);
	sb_charge(L, s, work);
	return lua_gettop(L);
}

/* load(chunk [, name [, mode [, env]]]) compiling text only: the mode is
 * always "t", whatever the program asks. */
static int
sb_load(lua_State *L)
{
	int n = lua_gettop(L);

	lua_settop(L, 4);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 1);
	lua_pushvalue(L, 2);
	lua_pushliteral(L, "t");
	if (n >= 4) {
		lua_pushvalue(L, 4);
		lua_call(L, 4, LUA_MULTRET);
	} else {
		lua_call(L, 3, LUA_MULTRET);
	}
	return lua_gettop(L) - 4;
}

/* collectgarbage with the options that only observe or run the
 * collector; "stop", "incremental", "generational", "setpause" and the
 * like would change its limits. */
static int
sb_gc(lua_State *L)
{
	static const char *const ok[] = {
	    "collect", "count", "step", "isrunning", NULL};
	const char *opt = luaL_optstring(L, 1, "collect");
	int i;

	for (i = 0; ok[i] != NULL; i++)
		if (strcmp(opt, ok[i]) == 0)
			break;
	if (ok[i] == NULL)
		return luaL_error(L, "collectgarbage option not allowed");
	return sb_orig(L, LUA_MULTRET);
}

/* Library functions that loop in C, where the count hook never runs,
 * as often as the program asks without allocating anything:
 * string.rep("", 1e18) and table.move over a range of nils would spin
 * past every limit.  Both are refused above SB_C_LOOP_MAX iterations
 * unless each iteration costs memory (the cap bounds those). */
#define SB_C_LOOP_MAX ((lua_Integer)1 << 26)

static int
sb_rep(lua_State *L)
{
	size_t l, lsep;
	lua_Integer n;

	(void)luaL_checklstring(L, 1, &l);
	n = luaL_checkinteger(L, 2);
	(void)luaL_optlstring(L, 3, "", &lsep);
	if (l + lsep == 0 && n > SB_C_LOOP_MAX)
		return luaL_error(L, "string.rep: too many repetitions");
	(void)sb_orig(L, 1);
	{
		crn_lua *s;

		(void)lua_getallocf(L, (void **)&s);
		sb_charge(L, s, 1 + (uint64_t)lua_rawlen(L, -1) / 8);
	}
	return 1;
}

/* The table functions that loop over an index range in C (move, insert,
 * remove, unpack, concat) take plain tables only: through a metatable
 * each element may cost a __len that lies (2^50 shifts of nils), an
 * __index chain of 2,000 tables, or a call, none of which the count hook
 * sees.  A plain table's length is at most what the memory cap holds. */
static void
sb_plain_table(lua_State *L, int idx, const char *fn)
{
	if (lua_type(L, idx) != LUA_TTABLE)
		return; /* the library function reports it */
	if (lua_getmetatable(L, idx))
		luaL_error(
		    L, "%s: tables with a metatable are not allowed", fn);
}

/* Call the original (upvalue 1) with this call's arguments, then charge
 * work steps and check the limits. */
static int
sb_call_charged(lua_State *L, uint64_t work)
{
	crn_lua *s;

	(void)lua_getallocf(L, (void **)&s);
	(void)sb_orig(L, LUA_MULTRET);
	sb_charge(L, s, work);
	return lua_gettop(L);
}

static int
sb_move(lua_State *L)
{
	lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);

	sb_plain_table(L, 1, "table.move");
	sb_plain_table(L, 5, "table.move");
	if (e >= f && (e - f >= SB_C_LOOP_MAX || e - f < 0))
		return luaL_error(L, "table.move: too many elements");
	return sb_call_charged(L, 1 + (e >= f ? (uint64_t)(e - f) : 0));
}

/* insert, remove, unpack, concat: a plain first table, charged by its
 * length (unpack by its range, which Lua caps by the stack). */
static int
sb_tabrange(lua_State *L)
{
	const char *fn = lua_tostring(L, lua_upvalueindex(2));
	uint64_t work = 1;

	sb_plain_table(L, 1, fn);
	if (lua_type(L, 1) == LUA_TTABLE)
		work += (uint64_t)lua_rawlen(L, 1);
	return sb_call_charged(L, work);
}

/* setmetatable without __gc: Lua runs finalizers with hooks switched
 * off (GCTM clears allowhook), so a finalizer would run beyond every
 * limit, during a collection or when the state closes.  An object is
 * marked for finalization only when its metatable has __gc as it is set,
 * so checking here is enough. */
static int
sb_setmetatable(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L,
			    "setmetatable: __gc metamethods are not allowed");
		lua_pop(L, 1);
	}
	return sb_orig(L, 1);
}

/* xpcall's message handler, wrapped.  Lua calls the handler where the
 * error is raised, before unwinding; a limit error is raised from the
 * count hook, where Lua has switched hooks off, so the program's handler
 * would run with no budget and no deadline (an endless loop in it hung
 * the node for good: tests/attack/sandbox_xpcall.sh on branch attack).
 * Once a limit is hit the program's handler is not called: the error
 * passes through as it is.  Its own errors still reach its handler, which
 * then runs under the hook like any other code. */
static int
sb_msgh(lua_State *L)
{
	crn_lua *s;

	(void)lua_getallocf(L, (void **)&s);
	if (s->killed != CRN_LUA_OK)
		return 1; /* the error object, untouched */
	return sb_orig(L, 1);
}

/* xpcall(f, msgh, ...) with msgh wrapped by sb_msgh. */
static int
sb_xpcall(lua_State *L)
{
	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_pushvalue(L, 2);
	lua_pushcclosure(L, sb_msgh, 1);
	lua_replace(L, 2);
	return sb_orig(L, LUA_MULTRET);
}

/* Closing a coroutine runs its to-be-closed variables' __close in the
 * coroutine's own state; one that the count hook killed was left with
 * hooks off (the hook raised and never returned), so that __close would
 * run with no budget and no deadline.  Hence coroutine.wrap and
 * coroutine.close below close a dead coroutine only while no limit has
 * been hit; after one, its variables are left unclosed (the state is
 * about to be thrown away). */
static void
sb_close_thread(lua_State *co, lua_State *from)
{
#if LUA_VERSION_RELEASE_NUM >= 50406
	(void)lua_closethread(co, from);
#else
	(void)from;
	(void)lua_resetthread(co);
#endif
}

#define SB_CLOSE_DEPTH 64

static int
sb_coclose(lua_State *L)
{
	crn_lua *s;

	(void)lua_getallocf(L, (void **)&s);
	if (s->killed != CRN_LUA_OK)
		return luaL_error(L, "sandbox: %s", sb_limit_msg[s->killed]);
	/* A __close that closes another coroutine nests C calls that Lua
	 * 5.4.4 does not count (lua_resetthread restarts the count): ten
	 * thousand deep overflowed the C stack.  The sandbox counts. */
	if (s->closing >= SB_CLOSE_DEPTH)
		return luaL_error(L, "coroutine.close: nested too deep");
	s->closing++;
	if (sb_porig(L) != LUA_OK) {
		s->closing--;
		return lua_error(L);
	}
	s->closing--;
	return lua_gettop(L);
}

/* The function coroutine.wrap returns: resume with the arguments, return
 * what the coroutine yields or returns, raise what it raises (closing
 * it first, as Lua's own wrap does, unless a limit was hit). */
static int
sb_cowrapped(lua_State *L)
{
	lua_State *co = lua_tothread(L, lua_upvalueindex(1));
	int n = lua_gettop(L), nres = 0, st, cst;
	crn_lua *s;

	(void)lua_getallocf(L, (void **)&s);
	if (!lua_checkstack(co, n + 1))
		return luaL_error(L, "too many arguments to resume");
	lua_xmove(L, co, n);
	{
		lua_State *prev = s->current;

		s->current = co;
		st = lua_resume(co, L, n, &nres);
		s->current = prev;
	}
	if (st == LUA_OK || st == LUA_YIELD) {
		if (!lua_checkstack(L, nres + 1)) {
			lua_pop(co, nres);
			return luaL_error(L, "too many results to resume");
		}
		lua_xmove(co, L, nres);
		return nres;
	}
	cst = lua_status(co);
	if (cst != LUA_OK && cst != LUA_YIELD && s->killed == CRN_LUA_OK) {
		/* Died of its own error: close it; a __close error replaces
		 * the error object, as in Lua. */
		sb_close_thread(co, L);
	}
	lua_xmove(co, L, 1);
	return lua_error(L);
}

static int
sb_cowrap(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_settop(L, 1);
	lua_pushvalue(L, lua_upvalueindex(1)); /* coroutine.create */
	lua_insert(L, 1);
	lua_call(L, 1, 1);
	lua_pushcclosure(L, sb_cowrapped, 1);
	return 1;
}

/* Replace lib.name by fn with the original as its upvalue. */
static void
sb_wrap(lua_State *L, const char *lib, const char *name, lua_CFunction fn)
{
	lua_getglobal(L, lib);
	lua_getfield(L, -1, name);
	lua_pushcclosure(L, fn, 1);
	lua_setfield(L, -2, name);
	lua_pop(L, 1);
}

static void
sb_remove(lua_State *L, const char *lib, const char *const *names)
{
	if (lib != NULL)
		lua_getglobal(L, lib);
	else
		lua_pushglobaltable(L);
	for (size_t i = 0; names[i] != NULL; i++) {
		lua_pushnil(L);
		lua_setfield(L, -2, names[i]);
	}
	lua_pop(L, 1);
}

typedef struct sb_args {
	crn_lua *s;
	const char *src;
	size_t len;
	uint64_t seed;
	/* node */
	const crn_lua_col *cols;
	size_t ncols, nrows;
	const double *params;
	size_t nparams;
	double *out;
	size_t outlen;
	/* coordinator */
	const double *agg;
	size_t nagg;
	uint32_t round;
	double *next;
	size_t nnext;
	char *json;
	size_t jlen, jcap;
	bool jfail;
	crn_lua_verdict verdict; /* set before raising an output error */
	cairn_err code;
	char why[160]; /* output errors: for the log */
} sb_args;

static int
sb_setup(lua_State *L)
{
	static const char *const base_off[] = {
	    "dofile", "loadfile", "print", "warn", "require", NULL};
	static const char *const str_off[] = {
	    "dump", "find", "match", "gmatch", "gsub", NULL};
	static const struct {
		const char *name;
		lua_CFunction open;
	} libs[] = {
	    {LUA_GNAME, luaopen_base},
	    {LUA_COLIBNAME, luaopen_coroutine},
	    {LUA_TABLIBNAME, luaopen_table},
	    {LUA_STRLIBNAME, luaopen_string},
	    {LUA_MATHLIBNAME, luaopen_math},
	    {LUA_UTF8LIBNAME, luaopen_utf8},
	};
	static const struct {
		const char *lib, *name;
	} charged[] = {
	    {LUA_TABLIBNAME, "sort"},
	    {LUA_STRLIBNAME, "upper"},
	    {LUA_STRLIBNAME, "lower"},
	    {LUA_STRLIBNAME, "reverse"},
	    {LUA_STRLIBNAME, "format"},
	    {LUA_STRLIBNAME, "pack"},
	    {LUA_UTF8LIBNAME, "len"},
	    {NULL, NULL},
	};
	static const char *const ranged[] = {
	    "insert", "remove", "unpack", "concat"};
	sb_args *a = lua_touserdata(L, 1);

	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		luaL_requiref(L, libs[i].name, libs[i].open, 1);
		lua_pop(L, 1);
	}
	/* requiref leaves package.loaded-like registry entries only: there
	 * is no package library, hence no require. */
	sb_remove(L, NULL, base_off);
	sb_remove(L, LUA_STRLIBNAME, str_off);
	sb_wrap(L, LUA_STRLIBNAME, "rep", sb_rep);
	sb_wrap(L, LUA_TABLIBNAME, "move", sb_move);
	for (size_t i = 0; i < sizeof(ranged) / sizeof(ranged[0]); i++) {
		char full[32];

		snprintf(full, sizeof(full), "table.%s", ranged[i]);
		lua_getglobal(L, LUA_TABLIBNAME);
		lua_getfield(L, -1, ranged[i]);
		lua_pushstring(L, full);
		lua_pushcclosure(L, sb_tabrange, 2);
		lua_setfield(L, -2, ranged[i]);
		lua_pop(L, 1);
	}
	sb_wrap(L, LUA_COLIBNAME, "close", sb_coclose);
	sb_wrap(L, LUA_COLIBNAME, "resume", sb_coresume);
	/* wrap is built on create, not on Lua's wrap. */
	lua_getglobal(L, LUA_COLIBNAME);
	lua_getfield(L, -1, "create");
	lua_pushcclosure(L, sb_cowrap, 1);
	lua_setfield(L, -2, "wrap");
	lua_pop(L, 1);
	for (size_t i = 0; charged[i].lib != NULL; i++)
		sb_wrap(L, charged[i].lib, charged[i].name, sb_charged);
	lua_getglobal(L, "load");
	lua_pushcclosure(L, sb_load, 1);
	lua_setglobal(L, "load");
	lua_getglobal(L, "collectgarbage");
	lua_pushcclosure(L, sb_gc, 1);
	lua_setglobal(L, "collectgarbage");
	lua_getglobal(L, "setmetatable");
	lua_pushcclosure(L, sb_setmetatable, 1);
	lua_setglobal(L, "setmetatable");
	lua_getglobal(L, "xpcall");
	lua_pushcclosure(L, sb_xpcall, 1);
	lua_setglobal(L, "xpcall");
	/* Lock the one metatable every string shares. */
	lua_pushliteral(L, "");
	if (lua_getmetatable(L, -1)) {
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	/* math.random from the job's seed. */
	lua_getglobal(L, LUA_MATHLIBNAME);
	lua_getfield(L, -1, "randomseed");
	lua_pushinteger(L, (lua_Integer)(a->seed >> 1));
	lua_pushinteger(L, (lua_Integer)(a->seed & 1));
	lua_call(L, 2, 0);
	lua_pop(L, 1);
	/* The program, as text only, then its main chunk. */
	if (luaL_loadbufferx(L, a->src, a->len, "=program", "t") != LUA_OK)
		return lua_error(L);
	lua_call(L, 0, 0);
	lua_getglobal(L, "node");
	if (lua_type(L, -1) != LUA_TFUNCTION) {
		a->verdict = CRN_LUA_ERROR;
		return luaL_error(L, "the program defines no function node");
	}
	lua_getglobal(L, "coordinator");
	a->s->has_coord = lua_type(L, -1) == LUA_TFUNCTION;
	return 0;
}

/* Log text for the error object on top (never calling a metamethod: a
 * __tostring would run program code outside the sandbox's pcall). */
static void
sb_errmsg(lua_State *L, char *log, size_t loglen)
{
	int t = lua_type(L, -1);

	if (loglen == 0)
		return;
	if (t == LUA_TSTRING || t == LUA_TNUMBER)
		snprintf(log, loglen, "%s", lua_tostring(L, -1));
	else
		snprintf(log, loglen, "(error object is a %s value)",
		    lua_typename(L, t));
}

/* Run fn(a) protected and turn the outcome into a cairn_err. */
static cairn_err
sb_protected(crn_lua *s, lua_CFunction fn, sb_args *a, crn_lua_verdict *verdict,
    char *log, size_t loglen)
{
	lua_State *L = s->L;
	int st;

	if (loglen > 0)
		log[0] = '\0';
	a->s = s;
	a->verdict = CRN_LUA_OK;
	a->code = CAIRN_OK;
	lua_settop(L, 0);
	if (s->killed != CRN_LUA_OK) {
		*verdict = s->killed;
		snprintf(log, loglen, "sandbox: %s", sb_limit_msg[s->killed]);
		return s->killed == CRN_LUA_TIME ? CAIRN_ETIMEDOUT
		                                 : CAIRN_ETOOBIG;
	}
	lua_pushcfunction(L, fn);
	lua_pushlightuserdata(L, a);
	sb_watch(s, true);
	st = lua_pcall(L, 1, 0, 0);
	sb_watch(s, false);
	if (s->killed != CRN_LUA_OK) {
		/* The limit decides, whatever the program did after. */
		*verdict = s->killed;
		snprintf(log, loglen, "sandbox: %s", sb_limit_msg[s->killed]);
		lua_settop(L, 0);
		return s->killed == CRN_LUA_TIME ? CAIRN_ETIMEDOUT
		                                 : CAIRN_ETOOBIG;
	}
	if (st == LUA_OK) {
		*verdict = CRN_LUA_OK;
		return CAIRN_OK;
	}
	if (a->verdict == CRN_LUA_OUTPUT) {
		*verdict = CRN_LUA_OUTPUT;
		snprintf(log, loglen, "%s", a->why);
		lua_settop(L, 0);
		return a->code != CAIRN_OK ? a->code : CAIRN_EDATA;
	}
	*verdict = st == LUA_ERRMEM ? CRN_LUA_MEMORY : CRN_LUA_ERROR;
	sb_errmsg(L, log, loglen);
	lua_settop(L, 0);
	return st == LUA_ERRMEM ? CAIRN_ETOOBIG : CAIRN_EINVAL;
}

const char *
crn_lua_reason(crn_lua_verdict v)
{
	switch (v) {
	case CRN_LUA_OK: return "ok";
	case CRN_LUA_ERROR: return "the program raised an error";
	case CRN_LUA_MEMORY: return "the program exceeded its memory limit";
	case CRN_LUA_STEPS:
		return "the program exceeded its instruction budget";
	case CRN_LUA_TIME: return "the program exceeded its time limit";
	case CRN_LUA_DEPTH: return "the program exceeded its call depth limit";
	case CRN_LUA_OUTPUT:
		return "the program's output does not match its declaration";
	}
	return "the program failed";
}

cairn_err
crn_lua_new(crn_lua **out, const char *src, size_t len,
    const crn_lua_limits *lim, uint64_t seed, crn_lua_verdict *verdict,
    char *log, size_t loglen)
{
	crn_lua *s = NULL;
	sb_args a;
	crn_lua_limits d = {0};
	cairn_err rv;

	*out = NULL;
	*verdict = CRN_LUA_ERROR;
	if (loglen > 0)
		log[0] = '\0';
	if (lim == NULL)
		lim = &d;
	if (len > CRN_LUA_MAX_SOURCE) {
		snprintf(log, loglen, "program of %zu bytes, at most %u", len,
		    CRN_LUA_MAX_SOURCE);
		return CAIRN_EINVAL;
	}
	if ((s = crn_zalloc(sizeof(*s))) == NULL)
		return CAIRN_ENOMEM;
	s->cap = lim->mem_bytes != 0 ? lim->mem_bytes
	                             : (size_t)CRN_LUA_DEFAULT_MEMORY_MB << 20;
	s->max_steps = lim->steps != 0
	    ? lim->steps
	    : (uint64_t)CRN_LUA_DEFAULT_STEPS_M * 1000000;
	s->deadline_ns = sb_now_ns() +
	    (int64_t)(lim->timeout_ms != 0 ? lim->timeout_ms
	                                   : CRN_LUA_DEFAULT_TIMEOUT_MS) *
	        1000000;
	s->max_depth =
	    lim->max_depth != 0 ? lim->max_depth : CRN_LUA_DEFAULT_DEPTH;
	if ((s->L = lua_newstate(sb_alloc, s)) == NULL) {
		crn_free(s, sizeof(*s));
		*verdict = CRN_LUA_MEMORY;
		return CAIRN_ENOMEM;
	}
	lua_sethook(s->L, sb_hook, LUA_MASKCOUNT, CRN_LUA_HOOK_EVERY);
	memset(&a, 0, sizeof(a));
	a.src = src;
	a.len = len;
	a.seed = seed;
	if ((rv = sb_protected(s, sb_setup, &a, verdict, log, loglen)) !=
	    CAIRN_OK) {
		crn_lua_free(s);
		return rv;
	}
	*out = s;
	return CAIRN_OK;
}

void
crn_lua_set_named(crn_lua *s, const crn_lua_named *named)
{
	s->named = named;
}

void
crn_lua_free(crn_lua *s)
{
	if (s == NULL)
		return;
	if (s->L != NULL)
		lua_close(s->L);
	crn_free(s, sizeof(*s));
}

bool
crn_lua_has_coordinator(crn_lua *s)
{
	return s->has_coord;
}

uint64_t
crn_lua_steps(const crn_lua *s)
{
	return s->steps;
}

size_t
crn_lua_peak(const crn_lua *s)
{
	return s->peak;
}

static void
sb_push_numbers(lua_State *L, const double *v, size_t n)
{
	lua_createtable(L, n > INT32_MAX ? INT32_MAX : (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		lua_pushnumber(L, v[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
}

/* The params table: the numbered parameters, then the named ones. */
static void
sb_push_params(lua_State *L, const sb_args *a)
{
	const crn_lua_named *nm = a->s->named;

	sb_push_numbers(L, a->params, a->nparams);
	for (size_t i = 0; nm != NULL && i < nm->n; i++) {
		lua_pushnumber(L, nm->values[i]);
		lua_setfield(L, -2, nm->names[i]);
	}
}

static void
sb_push_col(lua_State *L, const crn_lua_col *c)
{
	lua_createtable(L, c->n > INT32_MAX ? INT32_MAX : (int)c->n, 0);
	for (size_t i = 0; i < c->n; i++) {
		if (c->null != NULL && c->null[i])
			continue;
		if (c->is_text)
			lua_pushstring(L, c->text[i]);
		else if (c->is_int)
			lua_pushinteger(L, (lua_Integer)c->inum[i]);
		else
			lua_pushnumber(L, c->num[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
}

/* Raise an output error; the message is for the log only. */
static int
sb_out_fail(lua_State *L, sb_args *a, cairn_err code, const char *msg)
{
	a->verdict = CRN_LUA_OUTPUT;
	a->code = code;
	snprintf(a->why, sizeof(a->why), "%s", msg);
	return luaL_error(L, "%s", msg);
}

/* Copy the array at idx into v[n], raw: no metamethod is consulted, so
 * a table whose __len or __index lies is judged by what it holds. */
static int
sb_read_numbers(
    lua_State *L, sb_args *a, int idx, double *v, size_t n, const char *what)
{
	char msg[160];

	if (lua_type(L, idx) != LUA_TTABLE) {
		snprintf(msg, sizeof(msg), "%s is not a table", what);
		return sb_out_fail(L, a, CAIRN_EDATA, msg);
	}
	if (lua_rawlen(L, idx) != n) {
		snprintf(msg, sizeof(msg), "%s has %llu values, declared %zu",
		    what, (unsigned long long)lua_rawlen(L, idx), n);
		return sb_out_fail(L, a, CAIRN_EDATA, msg);
	}
	for (size_t i = 0; i < n; i++) {
		int t = lua_rawgeti(L, idx, (lua_Integer)i + 1);

		if (t != LUA_TNUMBER) {
			snprintf(msg, sizeof(msg),
			    "%s[%zu] is a %s, not a number", what, i + 1,
			    lua_typename(L, t));
			return sb_out_fail(L, a, CAIRN_EDATA, msg);
		}
		v[i] = lua_tonumber(L, -1);
		lua_pop(L, 1);
		if (!isfinite(v[i])) {
			snprintf(msg, sizeof(msg), "%s[%zu] is not finite",
			    what, i + 1);
			return sb_out_fail(L, a, CAIRN_ERANGE, msg);
		}
	}
	return 0;
}

static int
sb_node(lua_State *L)
{
	sb_args *a = lua_touserdata(L, 1);

	lua_getglobal(L, "node");
	lua_createtable(L, 0, 2);
	lua_pushinteger(L, (lua_Integer)a->nrows);
	lua_setfield(L, -2, "rows");
	lua_createtable(L, 0, a->ncols > INT32_MAX ? 0 : (int)a->ncols);
	for (size_t i = 0; i < a->ncols; i++) {
		sb_push_col(L, &a->cols[i]);
		lua_setfield(L, -2, a->cols[i].name);
	}
	lua_setfield(L, -2, "cols");
	sb_push_params(L, a);
	lua_call(L, 2, 1);
	return sb_read_numbers(L, a, -1, a->out, a->outlen, "node() output");
}

cairn_err
crn_lua_node(crn_lua *s, const crn_lua_col *cols, size_t ncols, size_t nrows,
    const double *params, size_t nparams, double *out, size_t outlen,
    crn_lua_verdict *verdict, char *log, size_t loglen)
{
	sb_args a;

	memset(&a, 0, sizeof(a));
	a.cols = cols;
	a.ncols = ncols;
	a.nrows = nrows;
	a.params = params;
	a.nparams = nparams;
	a.out = out;
	a.outlen = outlen;
	return sb_protected(s, sb_node, &a, verdict, log, loglen);
}

/* ---- JSON of the coordinator's result ---------------------------------- */

#define SB_JSON_MAX   (1u << 20)
#define SB_JSON_DEPTH 32

static void
sb_jput(sb_args *a, const char *p, size_t n)
{
	if (a->jfail)
		return;
	if (a->jlen + n + 1 > SB_JSON_MAX) {
		a->jfail = true;
		return;
	}
	if (a->jlen + n + 1 > a->jcap) {
		size_t nc = a->jcap == 0 ? 256 : a->jcap;
		char *q;

		while (nc < a->jlen + n + 1)
			nc *= 2;
		if ((q = crn_realloc(a->json, a->jcap, nc)) == NULL) {
			a->jfail = true;
			return;
		}
		a->json = q;
		a->jcap = nc;
	}
	memcpy(a->json + a->jlen, p, n);
	a->jlen += n;
	a->json[a->jlen] = '\0';
}

static void
sb_jstr(sb_args *a, const char *s, size_t n)
{
	sb_jput(a, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[8];

		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			sb_jput(a, e, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(e, sizeof(e), "\\u%04x", c);
			sb_jput(a, e, 6);
		} else {
			sb_jput(a, (const char *)&s[i], 1);
		}
	}
	sb_jput(a, "\"", 1);
}

static int
sb_key_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int sb_json(lua_State *L, sb_args *a, int idx, int depth);

/* A table: an array when its keys are exactly 1..#t, else an object with
 * string keys in sorted order (Lua's own order is seeded per state). */
static int
sb_json_table(lua_State *L, sb_args *a, int idx, int depth)
{
	size_t n = lua_rawlen(L, idx), nkeys = 0, k = 0;
	const char **keys;

	/* A weak table (__mode) loses entries when the collector runs, as
	 * it may between the two walks below (the keys array allocates):
	 * refused.  Other metatables do not matter, reads are raw. */
	if (lua_getmetatable(L, idx)) {
		int weak;

		lua_pushliteral(L, "__mode");
		weak = lua_rawget(L, -2) != LUA_TNIL;

		lua_pop(L, 2);
		if (weak)
			return sb_out_fail(L, a, CAIRN_EDATA,
			    "result tables cannot be weak (__mode)");
	}
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		nkeys++;
		if (lua_type(L, -2) != LUA_TSTRING &&
		    !(lua_isinteger(L, -2) && lua_tointeger(L, -2) >= 1 &&
		        (size_t)lua_tointeger(L, -2) <= n))
			return sb_out_fail(L, a, CAIRN_EDATA,
			    "result has a key that is neither a string nor an array index");
		lua_pop(L, 1);
	}
	if (nkeys == n && n > 0) {
		sb_jput(a, "[", 1);
		for (size_t i = 1; i <= n; i++) {
			if (i > 1)
				sb_jput(a, ",", 1);
			lua_rawgeti(L, idx, (lua_Integer)i);
			sb_json(L, a, lua_gettop(L), depth + 1);
			lua_pop(L, 1);
		}
		sb_jput(a, "]", 1);
		return 0;
	}
	if (nkeys != 0 && n != 0)
		return sb_out_fail(L, a, CAIRN_EDATA,
		    "result mixes array values and named fields in one table");
	keys = lua_newuserdatauv(L, (nkeys + 1) * sizeof(*keys), 0);
	lua_pushnil(L);
	while (k < nkeys && lua_next(L, idx) != 0) {
		keys[k++] = lua_tostring(L, -2); /* anchored by the table */
		lua_pop(L, 1);
	}
	if (k != nkeys)
		return sb_out_fail(L, a, CAIRN_EDATA,
		    "result table changed while it was read");
	qsort(keys, nkeys, sizeof(*keys), sb_key_cmp);
	sb_jput(a, "{", 1);
	for (size_t i = 0; i < nkeys; i++) {
		if (i > 0)
			sb_jput(a, ",", 1);
		sb_jstr(a, keys[i], strlen(keys[i]));
		sb_jput(a, ":", 1);
		lua_pushstring(L, keys[i]);
		lua_rawget(L, idx);
		sb_json(L, a, lua_gettop(L), depth + 1);
		lua_pop(L, 1);
	}
	sb_jput(a, "}", 1);
	lua_pop(L, 1);
	return 0;
}

static int
sb_json(lua_State *L, sb_args *a, int idx, int depth)
{
	char buf[64];
	size_t n;
	const char *s;

	if (depth > SB_JSON_DEPTH)
		return sb_out_fail(
		    L, a, CAIRN_EDATA, "result nested too deeply");
	switch (lua_type(L, idx)) {
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			snprintf(buf, sizeof(buf), "%lld",
			    (long long)lua_tointeger(L, idx));
		} else {
			double v = lua_tonumber(L, idx);

			if (!isfinite(v))
				return sb_out_fail(L, a, CAIRN_ERANGE,
				    "result holds a number that is not finite");
			/* The shortest of 15 or 17 digits that reads back
			 * as the same double. */
			snprintf(buf, sizeof(buf), "%.15g", v);
			if (strtod(buf, NULL) != v)
				snprintf(buf, sizeof(buf), "%.17g", v);
		}
		sb_jput(a, buf, strlen(buf));
		return 0;
	case LUA_TBOOLEAN:
		s = lua_toboolean(L, idx) ? "true" : "false";
		sb_jput(a, s, strlen(s));
		return 0;
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &n);
		sb_jstr(a, s, n);
		return 0;
	case LUA_TTABLE:
		luaL_checkstack(L, 8, "result nested too deeply");
		return sb_json_table(L, a, idx, depth);
	default:
		return sb_out_fail(L, a, CAIRN_EDATA,
		    "result holds a value that is not a number, string, boolean or table");
	}
}

static int
sb_coord(lua_State *L)
{
	sb_args *a = lua_touserdata(L, 1);
	int t, tr;
	size_t n;

	lua_getglobal(L, "coordinator");
	sb_push_numbers(L, a->agg, a->nagg);
	sb_push_params(L, a);
	lua_pushinteger(L, (lua_Integer)a->round);
	lua_call(L, 3, 1);
	t = lua_gettop(L);
	if (lua_type(L, t) != LUA_TTABLE)
		return sb_out_fail(
		    L, a, CAIRN_EDATA, "coordinator() did not return a table");
	lua_pushliteral(L, "result");
	tr = lua_rawget(L, t);
	if (tr != LUA_TNIL) {
		sb_json(L, a, t + 1, 0);
		if (a->jfail)
			return sb_out_fail(L, a, CAIRN_ETOOBIG,
			    "result too large or out of memory");
		return 0;
	}
	lua_pop(L, 1);
	lua_pushliteral(L, "next");
	if (lua_rawget(L, t) != LUA_TTABLE)
		return sb_out_fail(L, a, CAIRN_EDATA,
		    "coordinator() returned neither next nor result");
	n = (size_t)lua_rawlen(L, t + 1);
	if (n > CRN_LUA_MAX_PARAMS)
		return sb_out_fail(
		    L, a, CAIRN_ETOOBIG, "next has too many parameters");
	if ((a->next = crn_alloc((n > 0 ? n : 1) * sizeof(double))) == NULL)
		return sb_out_fail(L, a, CAIRN_ENOMEM, "out of memory");
	a->nnext = n;
	return sb_read_numbers(L, a, t + 1, a->next, n, "next");
}

cairn_err
crn_lua_coordinator(crn_lua *s, const double *agg, size_t nagg,
    const double *params, size_t nparams, uint32_t round, double **next,
    size_t *nnext, char **result, crn_lua_verdict *verdict, char *log,
    size_t loglen)
{
	sb_args a;
	cairn_err rv;

	*next = NULL;
	*nnext = 0;
	*result = NULL;
	memset(&a, 0, sizeof(a));
	a.agg = agg;
	a.nagg = nagg;
	a.params = params;
	a.nparams = nparams;
	a.round = round;
	if (!s->has_coord) {
		*verdict = CRN_LUA_ERROR;
		snprintf(log, loglen, "the program defines no coordinator");
		return CAIRN_EINVAL;
	}
	rv = sb_protected(s, sb_coord, &a, verdict, log, loglen);
	if (rv == CAIRN_OK && a.json != NULL) {
		if ((*result = crn_strdup(a.json)) == NULL)
			rv = CAIRN_ENOMEM;
	} else if (rv == CAIRN_OK) {
		*next = a.next;
		*nnext = a.nnext;
		a.next = NULL;
	}
	crn_free(a.next, (a.nnext > 0 ? a.nnext : 1) * sizeof(double));
	crn_free(a.json, a.jcap);
	return rv;
}
