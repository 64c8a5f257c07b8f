/* logfmt_test.c — log lines: RFC 3339 UTC times, one line per event
 * whatever the message holds, JSON that parses (checked byte for byte). */
#include <string.h>

#include "base/logfmt.h"
#include "cairn_test.h"

/* 2026-12-05T05:10:16.123Z */
#define T0 INT64_C(1796447416123)

static void
test_rfc3339(void **state)
{
	char ts[25];

	(void)state;
	crn_log_rfc3339(T0, ts);
	assert_string_equal(ts, "2026-12-05T05:10:16.123Z");
	crn_log_rfc3339(0, ts);
	assert_string_equal(ts, "1970-01-01T00:00:00.000Z");
	/* Leap day, last millisecond of a day. */
	crn_log_rfc3339(INT64_C(951868799999), ts);
	assert_string_equal(ts, "2000-02-29T23:59:59.999Z");
	/* Before 1970 the milliseconds still count up within the second. */
	crn_log_rfc3339(-1, ts);
	assert_string_equal(ts, "1969-12-31T23:59:59.999Z");
}

static void
test_text(void **state)
{
	char line[CRN_LOG_LINE_MAX];
	size_t n;

	(void)state;
	n = crn_log_line(line, sizeof(line), CRN_LOG_TEXT, T0, CAIRN_LOG_INFO,
	    "cairn-node[n1]", "nd_on_link", "connected to coordinator 'c'");
	assert_string_equal(line,
	    "2026-12-05T05:10:16.123Z cairn-node[n1]: info: connected to coordinator 'c'\n");
	assert_int_equal(n, strlen(line));
	/* Debug lines name the reporting function. */
	crn_log_line(line, sizeof(line), CRN_LOG_TEXT, T0, CAIRN_LOG_DEBUG, "p",
	    "fn", "m");
	assert_string_equal(line, "2026-12-05T05:10:16.123Z p: debug: fn: m\n");
	crn_log_line(line, sizeof(line), CRN_LOG_TEXT, T0, CAIRN_LOG_WARN, NULL,
	    NULL, "w");
	assert_string_equal(line, "2026-12-05T05:10:16.123Z -: warning: w\n");
}

/* A peer's name with a newline cannot forge a second log line. */
static void
test_one_line(void **state)
{
	char line[CRN_LOG_LINE_MAX];

	(void)state;
	crn_log_line(line, sizeof(line), CRN_LOG_TEXT, T0, CAIRN_LOG_ERR, "p",
	    "f", "node 'x\n2026-12-05T00:00:00.000Z p: info: fake\x01\t'");
	assert_string_equal(line,
	    "2026-12-05T05:10:16.123Z p: error: node 'x\\n2026-12-05T00:00:00.000Z p: info: fake\\x01\\t'\n");
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
	crn_log_line(line, sizeof(line), CRN_LOG_JSON, T0, CAIRN_LOG_ERR, "p",
	    "f", "a\nb");
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
}

static void
test_json(void **state)
{
	char line[CRN_LOG_LINE_MAX];

	(void)state;
	crn_log_line(line, sizeof(line), CRN_LOG_JSON, T0, CAIRN_LOG_WARN,
	    "cairn-node[n1]", "nd_on_link", "lost \"c\" (a\\b)\n\x7f\xc3\xa9");
	assert_string_equal(line,
	    "{\"time\":\"2026-12-05T05:10:16.123Z\",\"level\":\"warning\",\"party\":\"cairn-node[n1]\",\"event\":\"nd_on_link\",\"message\":\"lost \\\"c\\\" (a\\\\b)\\n\\u007f\\u00c3\\u00a9\"}\n");
	crn_log_line(line, sizeof(line), CRN_LOG_JSON, T0, CAIRN_LOG_NOTICE,
	    "p\"", NULL, "");
	assert_string_equal(line,
	    "{\"time\":\"2026-12-05T05:10:16.123Z\",\"level\":\"notice\",\"party\":\"p\\\"\",\"event\":\"-\",\"message\":\"\"}\n");
}

/* A message longer than the buffer is cut and the line still closes; no
 * escape is cut in half. */
static void
test_cut(void **state)
{
	char msg[2000], line[120];
	size_t n;

	(void)state;
	memset(msg, '"', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	n = crn_log_line(line, sizeof(line), CRN_LOG_JSON, T0, CAIRN_LOG_INFO,
	    "p", "e", msg);
	assert_true(n < sizeof(line));
	assert_int_equal(n, strlen(line));
	assert_string_equal(line + n - 10, "\" [cut]\"}\n");
	/* Every quote inside the message is escaped: \" pairs only. */
	for (const char *p = strstr(line, "\"message\":\"") + 11;
	     p < line + n - 9; p += 2)
		assert_memory_equal(p, "\\\"", 2);
	n = crn_log_line(line, sizeof(line), CRN_LOG_TEXT, T0, CAIRN_LOG_INFO,
	    "p", "e", msg);
	assert_int_equal(n, strlen(line));
	assert_string_equal(line + n - 7, " [cut]\n");
	/* Too small a buffer holds an empty string, never a partial line. */
	assert_int_equal(crn_log_line(line, 10, CRN_LOG_TEXT, T0,
	                     CAIRN_LOG_INFO, "p", "e", "m"),
	    0);
	assert_string_equal(line, "");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_rfc3339),
    cmocka_unit_test(test_text),
    cmocka_unit_test(test_one_line),
    cmocka_unit_test(test_json),
    cmocka_unit_test(test_cut),
};

CAIRN_TEST_MAIN(tests)
