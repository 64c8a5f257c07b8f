/*
 * sandbox_test.c — the approved-code sandbox (core/lua/sandbox.h): every
 * escape of issue 11 as an attack that must fail (os.execute, io.open,
 * require, a binary chunk through load, string.dump, debug.*, metatable
 * tricks (shared strings, output, globals, results), an endless loop, a memory
 * bomb, deep recursion, a coroutine that never yields, output longer or shorter
 * than declared, NaN and infinity), plus what a program may do: compute over
 * columns, reproducible random numbers, the coordinator's next/result.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cairn_test.h"
#include "lua/sandbox.h"

/* Small limits so the attacks end quickly. */
static const crn_lua_limits small = {.mem_bytes = 8u << 20,
    .steps = 50000000,
    .timeout_ms = 5000,
    .max_depth = 200};

static char logbuf[512];

/* Load src and call node() with no data and an outlen-vector; returns the
 * error of the first step that failed, *v the verdict. */
static cairn_err
run_lim(const char *src, const crn_lua_limits *lim, size_t outlen, double *out,
    crn_lua_verdict *v)
{
	crn_lua *L = NULL;
	double tmp[8];
	cairn_err rv;

	rv = crn_lua_new(
	    &L, src, strlen(src), lim, 42, v, logbuf, sizeof(logbuf));
	if (rv != CAIRN_OK)
		return rv;
	rv = crn_lua_node(L, NULL, 0, 0, NULL, 0, out != NULL ? out : tmp,
	    outlen, v, logbuf, sizeof(logbuf));
	crn_lua_free(L);
	return rv;
}

static cairn_err
run(const char *src, size_t outlen, double *out, crn_lua_verdict *v)
{
	return run_lim(src, &small, outlen, out, v);
}

/* A node() whose body is `body`, returning {1} after it. */
static cairn_err
run_body(const char *body, crn_lua_verdict *v)
{
	char src[2048];

	snprintf(src, sizeof(src),
	    "function node(data, params)\n%s\nreturn {1}\nend\n", body);
	return run(src, 1, NULL, v);
}

/* The program sees nil where a name it must not have would be. */
static void
assert_absent(const char *expr)
{
	char body[512];
	crn_lua_verdict v;

	snprintf(body, sizeof(body), "assert(%s == nil, [[%s present]])", expr,
	    expr);
	CAIRN_T_PASS(run_body(body, &v));
}

static void
test_os_execute(void **state)
{
	crn_lua_verdict v;

	(void)state;
	assert_absent("os");
	CAIRN_T_FAIL(
	    run_body("os.execute('touch /tmp/cairn_pwned')", &v), CAIRN_EINVAL);
	CAIRN_T_EQ(v, CRN_LUA_ERROR);
	assert_true(strstr(logbuf, "os") != NULL);
	/* Reaching it through the registry or _G is no better. */
	CAIRN_T_FAIL(run_body("_G.os.execute('id')", &v), CAIRN_EINVAL);
}

static void
test_io_open(void **state)
{
	crn_lua_verdict v;

	(void)state;
	assert_absent("io");
	CAIRN_T_FAIL(run_body("io.open('/etc/passwd')", &v), CAIRN_EINVAL);
	CAIRN_T_EQ(v, CRN_LUA_ERROR);
	assert_absent("dofile");
	assert_absent("loadfile");
	assert_absent("print");
}

static void
test_require(void **state)
{
	crn_lua_verdict v;

	(void)state;
	assert_absent("require");
	assert_absent("package");
	CAIRN_T_FAIL(run_body("require('os')", &v), CAIRN_EINVAL);
	CAIRN_T_FAIL(run_body("require('io')", &v), CAIRN_EINVAL);
}

static void
test_binary_chunk(void **state)
{
	crn_lua_verdict v;
	crn_lua *L = NULL;
	const char bin[] = "\x1bLua\x54\x00\x19\x93\r\n\x1a\n";

	(void)state;
	/* load() of bytes starting with the binary signature. */
	CAIRN_T_PASS(
	    run_body("local f = load('\\27Lua\\84\\0\\25\\147\\r\\n\\26\\n')\n"
	             "assert(f == nil, 'binary chunk loaded')",
	        &v));
	/* Asking for mode "b" explicitly does not help: the mode is "t". */
	CAIRN_T_PASS(run_body("local f = load('\\27Lua', 'x', 'b')\n"
	                      "assert(f == nil, 'binary mode honoured')",
	    &v));
	/* Text still loads, with the sandbox's globals. */
	CAIRN_T_PASS(run_body("local f = load('return os == nil')\n"
	                      "assert(f(), 'load reached os')",
	    &v));
	/* The program itself as a binary chunk is refused. */
	CAIRN_T_FAIL(crn_lua_new(&L, bin, sizeof(bin) - 1, &small, 1, &v,
	                 logbuf, sizeof(logbuf)),
	    CAIRN_EINVAL);
	assert_null(L);
	assert_true(strstr(logbuf, "binary") != NULL);
}

static void
test_string_dump(void **state)
{
	crn_lua_verdict v;

	(void)state;
	assert_absent("string.dump");
	CAIRN_T_FAIL(run_body("string.dump(function() end)", &v), CAIRN_EINVAL);
	CAIRN_T_FAIL(run_body("local s = ''\ns.dump(node)", &v), CAIRN_EINVAL);
	/* Pattern functions run in C, beyond the budget: gone too. */
	assert_absent("string.gsub");
	assert_absent("string.match");
	assert_absent("string.gmatch");
	assert_absent("string.find");
	assert_absent("('').match");
}

static void
test_debug(void **state)
{
	crn_lua_verdict v;

	(void)state;
	assert_absent("debug");
	CAIRN_T_FAIL(run_body("debug.sethook()", &v), CAIRN_EINVAL);
	CAIRN_T_FAIL(run_body("debug.getregistry()", &v), CAIRN_EINVAL);
	CAIRN_T_FAIL(run_body("debug.setmetatable(1, {})", &v), CAIRN_EINVAL);
}

static void
test_metatable_tricks(void **state)
{
	crn_lua_verdict v;
	double out[3];

	(void)state;
	/* The string metatable, shared by every string, is locked. */
	CAIRN_T_PASS(run_body(
	    "assert(getmetatable('') == false, 'string metatable open')", &v));
	CAIRN_T_FAIL(
	    run_body("getmetatable('').__index = {}", &v), CAIRN_EINVAL);
	CAIRN_T_FAIL(run_body("setmetatable('', {})", &v), CAIRN_EINVAL);
	/* An output whose __len and __index lie: read raw, so refused. */
	CAIRN_T_FAIL(
	    run("function node()\n"
	        "return setmetatable({}, {__len = function() return 3 end, __index = function() return 1 end})\nend",
	        3, out, &v),
	    CAIRN_EDATA);
	CAIRN_T_EQ(v, CRN_LUA_OUTPUT);
	/* A __tostring on an error object never runs outside the sandbox. */
	CAIRN_T_FAIL(
	    run("function node()\n"
	        "error(setmetatable({}, {__tostring = function() while true do end end}))\nend",
	        1, out, &v),
	    CAIRN_EINVAL);
	assert_true(strstr(logbuf, "table") != NULL);
	/* Changing the globals or a library in one job leaves the next
	 * job's fresh state alone. */
	CAIRN_T_PASS(run_body("math.floor = nil\n_G.node = nil", &v));
	CAIRN_T_PASS(run_body("assert(math.floor(1.5) == 1)", &v));
	/* A metatable on the data the node gets changes nothing read back. */
	CAIRN_T_PASS(run(
	    "function node(data, params)\n"
	    "setmetatable(params, {__index = function() return 99 end})\nsetmetatable(data, {__newindex = function() end})\nreturn {1, 2, 3}\nend",
	    3, out, &v));
	assert_true(out[0] == 1 && out[2] == 3);
}

static void
test_infinite_loop(void **state)
{
	crn_lua_verdict v;

	(void)state;
	CAIRN_T_FAIL(run_body("while true do end", &v), CAIRN_ETOOBIG);
	CAIRN_T_EQ(v, CRN_LUA_STEPS);
	/* pcall cannot swallow the budget. */
	CAIRN_T_FAIL(
	    run_body(
	        "while true do pcall(function() while true do end end) end",
	        &v),
	    CAIRN_ETOOBIG);
	CAIRN_T_EQ(v, CRN_LUA_STEPS);
	/* An endless loop in the main chunk, at load time. */
	{
		crn_lua *L = NULL;
		const char *src = "while true do end";

		CAIRN_T_FAIL(crn_lua_new(&L, src, strlen(src), &small, 1, &v,
		                 logbuf, sizeof(logbuf)),
		    CAIRN_ETOOBIG);
		CAIRN_T_EQ(v, CRN_LUA_STEPS);
	}
}

/* Library loops in C that the count hook cannot see. */
static void
test_c_loops(void **state)
{
	crn_lua_limits far = small;
	crn_lua_verdict v;

	(void)state;
	far.timeout_ms = 120000;
	CAIRN_T_FAIL(run_body("string.rep('', 1e15)", &v), CAIRN_EINVAL);
	CAIRN_T_FAIL(run_body("string.rep('', 1e15, '')", &v), CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    run_body("table.move({}, 1, 1e15, 1, {})", &v), CAIRN_EINVAL);
	CAIRN_T_FAIL(run_body("table.move({}, -(1 << 62), 1 << 62, 1)", &v),
	    CAIRN_EINVAL);
	/* Ordinary uses still work. */
	CAIRN_T_PASS(run_body("assert(string.rep('ab', 3, ',') == 'ab,ab,ab')\n"
	                      "assert(('x'):rep(2) == 'xx')\n"
	                      "local t = table.move({1, 2, 3}, 1, 3, 2)\n"
	                      "assert(t[4] == 3)",
	    &v));
	/* Sorting a big table again and again: each sort is charged to the
	 * budget, so the loop ends with the budget, not minutes later (the
	 * deadline is far, so that on a loaded machine only the budget can
	 * end it). */
	CAIRN_T_FAIL(
	    run_lim(
	        "function node()\nlocal t = {}\nfor i = 1, 200000 do t[i] = (i * 7919) % 100003 end\n"
	        "while true do table.sort(t) end\nend",
	        &far, 1, NULL, &v),
	    CAIRN_ETOOBIG);
	CAIRN_T_EQ(v, CRN_LUA_STEPS);
	CAIRN_T_FAIL(
	    run_lim("function node()\nlocal s = string.rep('x', 1 << 20)\n"
	            "while true do local u = s:upper() end\nend",
	        &far, 1, NULL, &v),
	    CAIRN_ETOOBIG);
	CAIRN_T_EQ(v, CRN_LUA_STEPS);
	/* A large repetition is refused (by Lua's size check or the
	 * memory cap), quickly either way. */
	assert_int_not_equal(run_body("string.rep('x', 1e15)", &v), CAIRN_OK);
}

/* Lua runs finalizers with hooks off: a __gc would escape every limit,
 * so no metatable with __gc is accepted. */
static void
test_gc_finalizer(void **state)
{
	crn_lua_verdict v;

	(void)state;
	CAIRN_T_FAIL(
	    run_body(
	        "setmetatable({}, {__gc = function() while true do end end})\ncollectgarbage()",
	        &v),
	    CAIRN_EINVAL);
	assert_non_null(strstr(logbuf, "__gc"));
	/* Set later, __gc does not mark the object (Lua 5.4): harmless. */
	CAIRN_T_PASS(run_body("local mt = {}\nlocal t = setmetatable({}, mt)\n"
	                      "mt.__gc = function() while true do end end\n"
	                      "t = nil\ncollectgarbage()",
	    &v));
	/* rawset into the metatable before setting it is still seen. */
	CAIRN_T_FAIL(run_body("local mt = {}\nrawset(mt, '__gc', next)\n"
	                      "setmetatable({}, mt)",
	                 &v),
	    CAIRN_EINVAL);
}

/* Lua calls xpcall's message handler where the error is raised; for a
 * limit error that is inside the count hook, with hooks off, so a handler
 * that loops would run forever (tests/attack/sandbox_xpcall.sh on branch
 * attack hung a node daemon).  alarm() turns a hang into a failure. */
static void
test_xpcall_handler(void **state)
{
	crn_lua_verdict v;
	double out[1];

	(void)state;
	alarm(60);
	CAIRN_T_FAIL(run_body("xpcall(function() while true do end end,\n"
	                      "       function(e) while true do end end)",
	                 &v),
	    CAIRN_ETOOBIG);
	CAIRN_T_EQ(v, CRN_LUA_STEPS);
	/* The handler cannot even see a limit error to count them. */
	CAIRN_T_FAIL(run_body("local n = 0\n"
	                      "while true do\n"
	                      "  xpcall(function() while true do end end,\n"
	                      "         function(e) n = n + 1 return e end)\n"
	                      "end",
	                 &v),
	    CAIRN_ETOOBIG);
	/* Its own errors still reach its handler, with extra arguments. */
	CAIRN_T_PASS(run(
	    "function node()\n"
	    "  local ok, m = xpcall(function(a, b) error({a + b}) end,\n"
	    "                       function(e) return e[1] * 10 end, 2, 3)\n"
	    "  assert(not ok)\n"
	    "  local ok2, r = xpcall(function(a) return a end, tostring, 7)\n"
	    "  assert(ok2 and r == 7)\n"
	    "  return {m}\n"
	    "end",
	    1, out, &v));
	CAIRN_T_EQ(out[0], 50);
	/* A handler that loops on the program's own error: the budget. */
	CAIRN_T_FAIL(
	    run_body("xpcall(error, function(e) while true do end end)", &v),
	    CAIRN_ETOOBIG);
	CAIRN_T_FAIL(run_body("xpcall(tostring, 1)", &v), CAIRN_EINVAL);
	/* A coroutine killed by the count hook keeps its hooks off; closing
	 * it (coroutine.wrap's error path, coroutine.close) would run its
	 * to-be-closed variables' __close with no limit. */
	CAIRN_T_FAIL(run_body("local mt = {}\n"
	                      "local o = setmetatable({}, mt)\n"
	                      "mt.__close = function() while true do end end\n"
	                      "local c = coroutine.wrap(function()\n"
	                      "  local x <close> = o\n"
	                      "  while true do end\n"
	                      "end)\n"
	                      "pcall(c)",
	                 &v),
	    CAIRN_ETOOBIG);
	CAIRN_T_EQ(v, CRN_LUA_STEPS);
	CAIRN_T_FAIL(run_body("local mt = {}\n"
	                      "local o = setmetatable({}, mt)\n"
	                      "mt.__close = function() while true do end end\n"
	                      "local co = coroutine.create(function()\n"
	                      "  local x <close> = o\n"
	                      "  while true do end\n"
	                      "end)\n"
	                      "coroutine.resume(co)\n"
	                      "coroutine.close(co)",
	                 &v),
	    CAIRN_ETOOBIG);
	CAIRN_T_EQ(v, CRN_LUA_STEPS);
	/* Without a limit hit, wrap and close still close: the __close ran. */
	CAIRN_T_PASS(run_body(
	    "local closed = 0\n"
	    "local mt = {__close = function() closed = closed + 1 end}\n"
	    "local c = coroutine.wrap(function(a)\n"
	    "  local x <close> = setmetatable({}, mt)\n"
	    "  local b = coroutine.yield(a + 1)\n"
	    "  error('e' .. b)\n"
	    "end)\n"
	    "assert(c(1) == 2)\n"
	    "local ok, m = pcall(c, 5)\n"
	    "assert(not ok and m:sub(-2) == 'e5', m)\n"
	    "assert(closed == 1)\n"
	    "local ok2, m2 = pcall(c)\n"
	    "assert(not ok2 and m2 == 'cannot resume dead coroutine', m2)\n"
	    "local co = coroutine.create(function()\n"
	    "  local x <close> = setmetatable({}, mt)\n"
	    "  coroutine.yield()\n"
	    "end)\n"
	    "coroutine.resume(co)\n"
	    "assert(coroutine.close(co) and closed == 2)",
	    &v));
	alarm(0);
}

/* Found by an attacker helper against the sandbox of a182938: each of
 * these ran past every limit or crashed the process before. */
static void
test_c_paths(void **state)
{
	crn_lua_limits big = small;
	crn_lua_verdict v;

	(void)state;
	big.mem_bytes = 256u << 20;
	alarm(120);
	/* Nested coroutine.close through __close: a C-stack overflow
	 * (SIGSEGV) at 10,000 deep in Lua 5.4.4. */
	CAIRN_T_FAIL(
	    run_lim(
	        "function node()\nlocal coro = false\n"
	        "for i = 1, 10000 do\n"
	        "  local previous = coro\n"
	        "  coro = coroutine.create(function()\n"
	        "    local cc <close> = setmetatable({}, {__close = function()\n"
	        "      if previous then assert(coroutine.close(previous)) end end})\n"
	        "    coroutine.yield()\n"
	        "  end)\n"
	        "  assert(coroutine.resume(coro))\n"
	        "end\n"
	        "assert(coroutine.close(coro))\nreturn {1}\nend",
	        &big, 1, NULL, &v),
	    CAIRN_EINVAL);
	/* (the message, "nested too deep", comes wrapped in 64 levels
	 * of assert positions) */
	CAIRN_T_EQ(v, CRN_LUA_ERROR);
	/* A __len that lies: 2^50 shifts of nils in C. */
	CAIRN_T_FAIL(
	    run_body(
	        "local t = setmetatable({}, {__len = function() return 1 << 50 end})\n"
	        "table.remove(t, 1)",
	        &v),
	    CAIRN_EINVAL);
	assert_non_null(
	    strstr(logbuf, "table.remove: tables with a metatable"));
	CAIRN_T_FAIL(
	    run_body(
	        "local t = setmetatable({}, {__len = function() return math.maxinteger - 1 end})\n"
	        "table.insert(t, 1, 0)",
	        &v),
	    CAIRN_EINVAL);
	/* An __index chain of 1,999 tables: 2,000 lookups per element. */
	CAIRN_T_FAIL(
	    run_body(
	        "local a = {}\n"
	        "for i = 1, 1999 do a = setmetatable({}, {__index = a}) end\n"
	        "table.unpack(a, 1, 900000)",
	        &v),
	    CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    run_body(
	        "local a = setmetatable({}, {__index = function() return 1 end})\n"
	        "table.sort(a)",
	        &v),
	    CAIRN_EINVAL);
	/* table.move over 2^26 - 1 nils, again and again: each call is
	 * charged, so the budget ends it. */
	CAIRN_T_FAIL(
	    run_body("local a, b = {}, {}\n"
	             "while true do table.move(a, 1, (1 << 26) - 1, 1, b) end",
	        &v),
	    CAIRN_ETOOBIG);
	/* Plain tables still work. */
	CAIRN_T_PASS(run_body("local t = {1, 2, 3}\n"
	                      "table.insert(t, 1, 0)\n"
	                      "assert(table.remove(t) == 3 and #t == 3)\n"
	                      "assert(table.concat(t, ',') == '0,1,2')\n"
	                      "local x, y = table.unpack(t, 2, 3)\n"
	                      "assert(x == 1 and y == 2)",
	    &v));
	alarm(0);
}

/* One VM instruction that takes long: comparing strings of NUL bytes
 * calls strcoll on every piece (about 0.1 s per 5 MB here), and a
 * thousand of them ran between two hooks, minutes past the deadline.
 * The watchdog timer stops it soon after the deadline. */
static void
test_slow_instruction(void **state)
{
	crn_lua_limits lim = small;
	struct timespec t0, t1;
	crn_lua_verdict v;
	double secs;

	(void)state;
	alarm(120);
	lim.mem_bytes = 64u << 20;
	lim.timeout_ms = 1000;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CAIRN_T_FAIL(run_lim("function node()\n"
	                     "local s = string.rep('\\0', 5000000)\n"
	                     "local t = s .. ''\n"
	                     "while true do local _ = s < t end\n"
	                     "end",
	                 &lim, 1, NULL, &v),
	    CAIRN_ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CAIRN_T_EQ(v, CRN_LUA_TIME);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf(
	    "a loop of 5 MB NUL-string comparisons stopped after %.2f s (limit 1 s)\n",
	    secs);
	/* Without the watchdog: 1,000 comparisons per hook, over a
	 * 20 s here (measured with it taken out).  10 s: generous for a
	 * loaded machine or a sanitizer. */
	assert_true(secs < 10);
	/* Inside a coroutine too. */
	CAIRN_T_FAIL(
	    run_lim(
	        "function node()\n"
	        "local s = string.rep('\\0', 5000000)\n"
	        "local t = s .. ''\n"
	        "local co = coroutine.wrap(function() while true do local _ = s < t end end)\n"
	        "co()\n"
	        "end",
	        &lim, 1, NULL, &v),
	    CAIRN_ETIMEDOUT);
	alarm(0);
}

/* A weak-valued result table loses entries while it is read (the keys
 * array allocates, the collector clears): a read of stale pointers
 * before.  Refused now. */
static void
test_weak_result(void **state)
{
	static const char src[] =
	    "function node() return {1} end\n"
	    "function coordinator(agg, params, round)\n"
	    "  local W = setmetatable({}, {__mode = 'v'})\n"
	    "  local hold = {}\n"
	    "  for i = 1, 5000 do local v = {}; hold[i] = v; W['k' .. i] = v end\n"
	    "  return {result = W}\n"
	    "end\n";
	double agg[1] = {1}, *next = NULL;
	size_t nnext = 0;
	char *res = NULL;
	crn_lua_verdict v;
	crn_lua *L = NULL;

	(void)state;
	CAIRN_T_PASS(crn_lua_new(
	    &L, src, strlen(src), &small, 1, &v, logbuf, sizeof(logbuf)));
	CAIRN_T_FAIL(crn_lua_coordinator(L, agg, 1, NULL, 0, 1, &next, &nnext,
	                 &res, &v, logbuf, sizeof(logbuf)),
	    CAIRN_EDATA);
	assert_non_null(strstr(logbuf, "weak"));
	assert_null(res);
	crn_lua_free(L);
}

static void
test_wall_clock(void **state)
{
	crn_lua_limits lim = small;
	crn_lua_verdict v;
	crn_lua *L = NULL;
	const char *src = "function node() while true do end end";
	struct timespec t0, t1;
	double out[1];

	(void)state;
	lim.steps = UINT64_MAX / 2;
	lim.timeout_ms = 200;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CAIRN_T_PASS(crn_lua_new(
	    &L, src, strlen(src), &lim, 1, &v, logbuf, sizeof(logbuf)));
	CAIRN_T_FAIL(crn_lua_node(L, NULL, 0, 0, NULL, 0, out, 1, &v, logbuf,
	                 sizeof(logbuf)),
	    CAIRN_ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CAIRN_T_EQ(v, CRN_LUA_TIME);
	/* Stopped soon after the deadline (generous for a loaded machine). */
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	/* Once killed, the state stays killed. */
	CAIRN_T_FAIL(crn_lua_node(L, NULL, 0, 0, NULL, 0, out, 1, &v, logbuf,
	                 sizeof(logbuf)),
	    CAIRN_ETIMEDOUT);
	crn_lua_free(L);
}

static void
test_memory_bomb(void **state)
{
	crn_lua_verdict v;

	(void)state;
	CAIRN_T_FAIL(
	    run_body(
	        "local t = {}\nfor i = 1, 1e9 do t[i] = {i, i, i} end", &v),
	    CAIRN_ETOOBIG);
	CAIRN_T_EQ(v, CRN_LUA_MEMORY);
	CAIRN_T_FAIL(
	    run_body("local s = string.rep('x', 1 << 30)", &v), CAIRN_ETOOBIG);
	CAIRN_T_EQ(v, CRN_LUA_MEMORY);
	CAIRN_T_FAIL(
	    run_body("local s = 'x'\nwhile true do s = s .. s end", &v),
	    CAIRN_ETOOBIG);
	CAIRN_T_EQ(v, CRN_LUA_MEMORY);
	/* Caught by pcall, still the memory verdict. */
	CAIRN_T_FAIL(
	    run_body("pcall(string.rep, 'x', 1 << 30)", &v), CAIRN_ETOOBIG);
	CAIRN_T_EQ(v, CRN_LUA_MEMORY);
	/* Turning the collector off or changing its limits is refused. */
	CAIRN_T_FAIL(run_body("collectgarbage('stop')", &v), CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    run_body("collectgarbage('setpause', 1000)", &v), CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    run_body("collectgarbage('generational')", &v), CAIRN_EINVAL);
	CAIRN_T_PASS(run_body(
	    "collectgarbage()\nassert(collectgarbage('count') > 0)", &v));
}

static void
test_deep_recursion(void **state)
{
	crn_lua_verdict v;

	(void)state;
	CAIRN_T_FAIL(run_body("local function f(n) return 1 + f(n + 1) end\n"
	                      "f(1)",
	                 &v),
	    CAIRN_ETOOBIG);
	CAIRN_T_EQ(v, CRN_LUA_DEPTH);
	/* Recursion through C (pcall inside pcall) hits Lua's C-stack limit
	 * or ours; either way an error, never a crash. */
	assert_int_not_equal(run_body("local function f() f() end\n"
	                              "pcall(f)\nerror('x')",
	                         &v),
	    CAIRN_OK);
	/* Within the limit, recursion works. */
	CAIRN_T_PASS(run_body(
	    "local function f(n) if n == 0 then return 0 end return 1 + f(n - 1) end\n"
	    "assert(f(100) == 100)",
	    &v));
}

static void
test_coroutine_never_yields(void **state)
{
	crn_lua_verdict v;

	(void)state;
	CAIRN_T_FAIL(
	    run_body(
	        "local co = coroutine.create(function() while true do end end)\ncoroutine.resume(co)",
	        &v),
	    CAIRN_ETOOBIG);
	CAIRN_T_EQ(v, CRN_LUA_STEPS);
	CAIRN_T_FAIL(
	    run_body(
	        "local w = coroutine.wrap(function() local t = {} for i = 1, 1e9 do t[i] = i end end)\nw()",
	        &v),
	    CAIRN_ETOOBIG);
	CAIRN_T_EQ(v, CRN_LUA_MEMORY);
	/* A well-behaved coroutine works. */
	CAIRN_T_PASS(run_body(
	    "local co = coroutine.wrap(function() coroutine.yield(1) return 2 end)\n"
	    "assert(co() == 1 and co() == 2)",
	    &v));
}

static void
test_output_shape(void **state)
{
	crn_lua_verdict v;
	double out[3];

	(void)state;
	CAIRN_T_FAIL(run("function node() return {1, 2, 3, 4} end", 3, out, &v),
	    CAIRN_EDATA);
	CAIRN_T_EQ(v, CRN_LUA_OUTPUT);
	assert_true(strstr(logbuf, "4 values, declared 3") != NULL);
	CAIRN_T_FAIL(
	    run("function node() return {1, 2} end", 3, out, &v), CAIRN_EDATA);
	CAIRN_T_EQ(v, CRN_LUA_OUTPUT);
	CAIRN_T_FAIL(run("function node() return {1, '2', 3} end", 3, out, &v),
	    CAIRN_EDATA);
	CAIRN_T_FAIL(
	    run("function node() return 7 end", 3, out, &v), CAIRN_EDATA);
	CAIRN_T_FAIL(run("function node() return {1, nil, 3} end", 3, out, &v),
	    CAIRN_EDATA);
	CAIRN_T_PASS(
	    run("function node() return {1, 2.5, -3} end", 3, out, &v));
	assert_true(out[0] == 1 && out[1] == 2.5 && out[2] == -3);
	/* No node() at all. */
	CAIRN_T_FAIL(run("x = 1", 3, out, &v), CAIRN_EINVAL);
}

static void
test_not_finite(void **state)
{
	crn_lua_verdict v;
	double out[2];

	(void)state;
	CAIRN_T_FAIL(run("function node() return {1, 0/0} end", 2, out, &v),
	    CAIRN_ERANGE);
	CAIRN_T_EQ(v, CRN_LUA_OUTPUT);
	CAIRN_T_FAIL(run("function node() return {1/0, 1} end", 2, out, &v),
	    CAIRN_ERANGE);
	CAIRN_T_FAIL(
	    run("function node() return {-math.huge, 1} end", 2, out, &v),
	    CAIRN_ERANGE);
}

static void
test_columns_and_random(void **state)
{
	const char *src =
	    "function node(data, params)\n"
	    "  local s, n = 0, 0\n"
	    "  for i = 1, data.rows do\n"
	    "    local x = data.cols.x[i]\n"
	    "    if x ~= nil and data.cols.g[i] == 'a' then s = s + x; n = n + 1 end\n"
	    "  end\n"
	    "  return {s * params[1], n, math.random()}\n"
	    "end\n";
	double xs[4] = {1.5, 2, 4, 8};
	bool xnull[4] = {false, true, false, false};
	const char *gs[4] = {"a", "a", "b", "a"};
	crn_lua_col cols[2] = {
	    {.name = "x", .n = 4, .num = xs, .null = xnull},
	    {.name = "g", .n = 4, .is_text = true, .text = gs},
	};
	double params[1] = {2}, out[3], out2[3];
	crn_lua_verdict v;
	crn_lua *L = NULL;

	(void)state;
	for (int k = 0; k < 2; k++) {
		CAIRN_T_PASS(crn_lua_new(&L, src, strlen(src), &small, 7, &v,
		    logbuf, sizeof(logbuf)));
		CAIRN_T_PASS(crn_lua_node(L, cols, 2, 4, params, 1,
		    k == 0 ? out : out2, 3, &v, logbuf, sizeof(logbuf)));
		crn_lua_free(L);
	}
	assert_true(out[0] == 19 && out[1] == 2);
	/* Same seed, same random numbers. */
	assert_true(out[2] == out2[2]);
}

static void
test_coordinator(void **state)
{
	const char *src =
	    "function node() return {1} end\n"
	    "function coordinator(agg, params, round)\n"
	    "  if round < 3 then return {next = {params[1] + agg[1]}} end\n"
	    "  return {result = {mean = agg[1] / 2, tag = 'q\"', list = {1, 2}, ok = true}}\n"
	    "end\n";
	double agg[1] = {5}, params[1] = {1}, *next = NULL;
	size_t nnext = 0;
	char *res = NULL;
	crn_lua_verdict v;
	crn_lua *L = NULL;

	(void)state;
	CAIRN_T_PASS(crn_lua_new(
	    &L, src, strlen(src), &small, 7, &v, logbuf, sizeof(logbuf)));
	assert_true(crn_lua_has_coordinator(L));
	CAIRN_T_PASS(crn_lua_coordinator(L, agg, 1, params, 1, 1, &next, &nnext,
	    &res, &v, logbuf, sizeof(logbuf)));
	assert_null(res);
	CAIRN_T_EQ(nnext, 1);
	assert_true(next[0] == 6);
	crn_free(next, sizeof(double));
	CAIRN_T_PASS(crn_lua_coordinator(L, agg, 1, params, 1, 3, &next, &nnext,
	    &res, &v, logbuf, sizeof(logbuf)));
	assert_null(next);
	assert_string_equal(
	    res, "{\"list\":[1,2],\"mean\":2.5,\"ok\":true,\"tag\":\"q\\\"\"}");
	crn_strfree(res);
	crn_lua_free(L);
}

/* Metatables on the tables the runtime itself reads: the globals (where it
 * looks up node and coordinator) and the coordinator's result (which it
 * turns into JSON).  A lookup that runs program code runs it under the
 * limits; the result is read raw, so no metamethod runs outside them. */
static void
test_shared_table_tricks(void **state)
{
	const char *loop_g =
	    "function node() return {1} end\n"
	    "setmetatable(_G, {__index = function() while true do end end})\n";
	const char *meta_res =
	    "function node() return {1} end\n"
	    "local loop = function() while true do end end\n"
	    "function coordinator(agg)\n"
	    "  local r = setmetatable({}, {__index = loop, __pairs = loop, __len = loop})\n"
	    "  if agg[1] > 1 then r = {}; r.self = r end\n"
	    "  return setmetatable({result = r}, {__index = loop})\n"
	    "end\n";
	double agg[1] = {1}, *next = NULL;
	size_t nnext = 0;
	char *res = NULL;
	crn_lua_verdict v;
	crn_lua *L = NULL;

	(void)state;
	/* The lookup of the missing coordinator() meets the endless
	 * __index: the step budget ends it. */
	CAIRN_T_FAIL(crn_lua_new(&L, loop_g, strlen(loop_g), &small, 1, &v,
	                 logbuf, sizeof(logbuf)),
	    CAIRN_ETOOBIG);
	CAIRN_T_EQ(v, CRN_LUA_STEPS);
	assert_null(L);
	/* A result whose metamethods would loop is read raw: an empty
	 * object, at once. */
	CAIRN_T_PASS(crn_lua_new(&L, meta_res, strlen(meta_res), &small, 1, &v,
	    logbuf, sizeof(logbuf)));
	CAIRN_T_PASS(crn_lua_coordinator(L, agg, 1, NULL, 0, 1, &next, &nnext,
	    &res, &v, logbuf, sizeof(logbuf)));
	assert_string_equal(res, "{}");
	crn_strfree(res);
	res = NULL;
	/* A result that holds itself ends at the nesting limit. */
	agg[0] = 2;
	CAIRN_T_FAIL(crn_lua_coordinator(L, agg, 1, NULL, 0, 1, &next, &nnext,
	                 &res, &v, logbuf, sizeof(logbuf)),
	    CAIRN_EDATA);
	CAIRN_T_EQ(v, CRN_LUA_OUTPUT);
	assert_null(res);
	crn_lua_free(L);
}

/* Every allocation failing in turn, from the state's creation to the
 * coordinator's JSON: an error each time (never a crash, an abort from
 * an unprotected Lua error, or a leak), then success. */
static void
test_oom(void **state)
{
	const char *src =
	    "function node(d, p) local t = {} for i = 1, 50 do t[i] = tostring(i) end return {#t} end\n"
	    "function coordinator(a, p, r) return {result = {n = a[1], s = 'x'}} end";
	bool done = false;

	(void)state;
	for (long n = 0; !done && n < 5000; n++) {
		crn_lua *L = NULL;
		crn_lua_verdict v;
		double out[1], agg[1] = {3}, *next = NULL;
		size_t nnext = 0;
		char *res = NULL;
		cairn_err rv;

		crn_alloc_fail_after(n);
		rv = crn_lua_new(&L, src, strlen(src), &small, 1, &v, logbuf,
		    sizeof(logbuf));
		if (rv == CAIRN_OK)
			rv = crn_lua_node(L, NULL, 0, 0, NULL, 0, out, 1, &v,
			    logbuf, sizeof(logbuf));
		if (rv == CAIRN_OK)
			rv = crn_lua_coordinator(L, agg, 1, NULL, 0, 1, &next,
			    &nnext, &res, &v, logbuf, sizeof(logbuf));
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_OK) {
			assert_string_equal(res, "{\"n\":3,\"s\":\"x\"}");
			done = true;
		}
		crn_strfree(res);
		crn_lua_free(L);
	}
	assert_true(done);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_os_execute),
    cmocka_unit_test(test_io_open),
    cmocka_unit_test(test_require),
    cmocka_unit_test(test_binary_chunk),
    cmocka_unit_test(test_string_dump),
    cmocka_unit_test(test_debug),
    cmocka_unit_test(test_metatable_tricks),
    cmocka_unit_test(test_infinite_loop),
    cmocka_unit_test(test_c_loops),
    cmocka_unit_test(test_gc_finalizer),
    cmocka_unit_test(test_xpcall_handler),
    cmocka_unit_test(test_c_paths),
    cmocka_unit_test(test_weak_result),
    cmocka_unit_test(test_slow_instruction),
    cmocka_unit_test(test_wall_clock),
    cmocka_unit_test(test_memory_bomb),
    cmocka_unit_test(test_deep_recursion),
    cmocka_unit_test(test_coroutine_never_yields),
    cmocka_unit_test(test_output_shape),
    cmocka_unit_test(test_not_finite),
    cmocka_unit_test(test_columns_and_random),
    cmocka_unit_test(test_coordinator),
    cmocka_unit_test(test_shared_table_tricks),
    cmocka_unit_test(test_oom),
};

CAIRN_TEST_MAIN(tests)
