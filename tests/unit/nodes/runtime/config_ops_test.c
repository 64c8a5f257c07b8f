/*
 * config_ops_test.c — the operator keys of the daemons' configuration:
 * log_format (text | json) and metrics_listen (IP:PORT), their defaults,
 * and one line naming file, line, section and key for each bad value.
 */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <string.h>

#include "cairn_test.h"
#include "runtime/config.h"

#define COORD                                                                  \
	"[coordinator]\nlisten = tcp://127.0.0.1:7700\nkey = k\ncert = c\n"    \
	"ca_cert = ca\ncrl = r\nschema = s.ini\n"
#define NODE                                                                   \
	"[node]\nname = n\ncoordinator = tcp://h:7700\nkey = k\ncert = c\n"    \
	"ca_cert = ca\ncrl = r\n"
#define NODE_TAIL                                                              \
	"[policy]\nresearchers = alice\n[dataset t]\nkind = csv\npath = "      \
	"t.csv\n"                                                              \
	"expose = a\n"

static char tdir[256];
static char tfile[300];

static int
setup(void **state)
{
	(void)state;
	snprintf(tdir, sizeof(tdir), "%s", crn_t_tmpdir());
	snprintf(tfile, sizeof(tfile), "%s/t.conf", tdir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	crn_t_rmtree(tdir);
	return 0;
}

static cairn_err
load(const char *text, crn_cfg_role role, crn_config **cfg, char *err,
    size_t errlen)
{
	FILE *f = fopen(tfile, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
	return crn_config_load(cfg, tfile, role, err, errlen);
}

static void
test_defaults(void **state)
{
	crn_config *cfg = NULL;
	char err[512];

	(void)state;
	assert_int_equal(
	    load(COORD, CRN_CFG_COORDINATOR, &cfg, err, sizeof(err)), CAIRN_OK);
	assert_false(cfg->coord.log_json);
	assert_null(cfg->coord.metrics_listen);
	crn_config_free(cfg);
	assert_int_equal(
	    load(NODE NODE_TAIL, CRN_CFG_NODE, &cfg, err, sizeof(err)),
	    CAIRN_OK);
	assert_false(cfg->node.log_json);
	assert_null(cfg->node.metrics_listen);
	crn_config_free(cfg);
}

static void
test_set(void **state)
{
	crn_config *cfg = NULL;
	char err[512];

	(void)state;
	assert_int_equal(load(COORD "log_format = json\n"
	                            "metrics_listen = 127.0.0.1:9464\n",
	                     CRN_CFG_COORDINATOR, &cfg, err, sizeof(err)),
	    CAIRN_OK);
	assert_true(cfg->coord.log_json);
	assert_string_equal(cfg->coord.metrics_listen, "127.0.0.1:9464");
	crn_config_free(cfg);
	assert_int_equal(load(NODE "log_format = text\n"
	                           "metrics_listen = [::1]:9465\n" NODE_TAIL,
	                     CRN_CFG_NODE, &cfg, err, sizeof(err)),
	    CAIRN_OK);
	assert_false(cfg->node.log_json);
	assert_string_equal(cfg->node.metrics_listen, "[::1]:9465");
	crn_config_free(cfg);
}

static void
test_bad(void **state)
{
	static const struct {
		const char *line, *want;
	} cases[] = {
	    {"log_format = JSON\n",
	        ":8: [coordinator] log_format: \"JSON\" is not text or json"},
	    {"log_format = syslog\n", "is not text or json"},
	    {"metrics_listen = localhost:9464\n",
	        ":8: [coordinator] metrics_listen: \"localhost:9464\": want an IP address and a port"},
	    {"metrics_listen = 127.0.0.1\n", "want an IP address and a port"},
	    {"metrics_listen = 127.0.0.1:0\n", "want an IP address"},
	    {"metrics_listen = 127.0.0.1:65536\n", "want an IP address"},
	    {"metrics_listen = 127.0.0.1:-1\n", "want an IP address"},
	    {"metrics_listen = 127.0.0.1:+80\n", "want an IP address"},
	    {"metrics_listen = 127.0.0.1:80x\n", "want an IP address"},
	    {"metrics_listen = ::1:9464\n", "want an IP address"},
	    {"metrics_listen = [::1]9464\n", "want an IP address"},
	    {"metrics_listen = [127.0.0.1]:9464\n", "want an IP address"},
	    {"metrics_listen = :9464\n", "want an IP address"},
	};
	char text[512], err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		crn_config *cfg = NULL;

		snprintf(text, sizeof(text), "%s%s", COORD, cases[i].line);
		err[0] = '\0';
		assert_int_equal(
		    load(text, CRN_CFG_COORDINATOR, &cfg, err, sizeof(err)),
		    CAIRN_ECONFIG);
		assert_null(cfg);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("%s: got '%s', want '%s'", cases[i].line, err,
			    cases[i].want);
	}
}

static void
test_listen_parse(void **state)
{
	char host[64];
	uint16_t port = 0;

	(void)state;
	assert_true(
	    crn_cfg_listen_parse("10.1.2.3:65535", host, sizeof(host), &port));
	assert_string_equal(host, "10.1.2.3");
	assert_int_equal(port, 65535);
	assert_true(
	    crn_cfg_listen_parse("[fe80::1]:1", host, sizeof(host), &port));
	assert_string_equal(host, "fe80::1");
	assert_int_equal(port, 1);
	/* Too small a buffer for the host: refused, never cut. */
	assert_false(crn_cfg_listen_parse("10.1.2.3:80", host, 4, &port));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
    cmocka_unit_test_setup_teardown(test_set, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bad, setup, teardown),
    cmocka_unit_test(test_listen_parse),
};

CAIRN_TEST_MAIN(tests)
