/*
 * config_fuzz.c — the configuration parser on arbitrary file contents.
 *
 * The parser reads files (paths in it resolve against the file's
 * directory), so each input is written to one private temporary file and
 * loaded as each of the three roles.  Whatever the bytes, loading must
 * return an error or a config that frees cleanly, and an error message
 * must name the file.
 */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/crn.h"
#include "runtime/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fz_path[256];

static void
fz_cleanup(void)
{
	char dir[256];

	if (fz_path[0] == '\0')
		return;
	unlink(fz_path);
	snprintf(dir, sizeof(dir), "%s", fz_path);
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
}

static int
fz_file(void)
{
	char dir[200];
	const char *base;

	if (fz_path[0] != '\0')
		return 0;
	base = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/cairn-cfgfuzz-XXXXXX",
	    base != NULL ? base : "/tmp");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(fz_path, sizeof(fz_path), "%s/fuzz.conf", dir);
	atexit(fz_cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const crn_cfg_role roles[] = {
	    CRN_CFG_COORDINATOR, CRN_CFG_NODE, CRN_CFG_RESEARCHER};
	crn_config *cfg;
	char err[512];
	FILE *f;

	if (fz_file() != 0 || (f = fopen(fz_path, "wb")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	if (fclose(f) != 0)
		abort();
	for (size_t i = 0; i < CRN_NELEM(roles); i++) {
		cfg = NULL;
		if (crn_config_load(&cfg, fz_path, roles[i], err,
		        sizeof(err)) == CAIRN_OK) {
			if (cfg == NULL || cfg->role != roles[i])
				abort();
			if (roles[i] == CRN_CFG_NODE &&
			    crn_config_dataset(
			        cfg, cfg->node.datasets[0].name) == NULL)
				abort();
			crn_config_free(cfg);
		} else {
			if (cfg != NULL ||
			    strncmp(err, fz_path, strlen(fz_path)) != 0)
				abort();
		}
	}
	return 0;
}
