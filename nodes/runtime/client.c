/*
 * client.c — researcher connection to the coordinator.  See client.h.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crn.h"
#include "proto/codec_envelope.h"
#include "runtime/client.h"
#include "runtime/testhook.h"

cairn_err
crn_rt_client_open(crn_rt_client *c, const char *path, char *err, size_t errlen)
{
	crn_tr_auth auth;
	crn_tr_opts opts;
	cairn_err rv;

	memset(c, 0, sizeof(*c));
	crn_random_bytes(c->cid, sizeof(c->cid));
	if ((rv = crn_config_load(
	         &c->cfg, path, CRN_CFG_RESEARCHER, err, errlen)) != CAIRN_OK) {
		if (rv == CAIRN_ENOENT)
			snprintf(err, errlen, "cannot open %s", path);
		return rv;
	}
	if ((rv = crn_rt_party_open(&c->party, c->cfg->researcher.key,
	         c->cfg->researcher.cert, c->cfg->researcher.ca_cert,
	         c->cfg->researcher.crl,
	         crn_hooks.unchecked_self ? CRN_ROLE_UNCHECKED
	                                  : CRN_ROLE_RESEARCHER,
	         err, errlen)) != CAIRN_OK)
		goto fail;
	c->peers.party = &c->party;
	c->peers.roles = CRN_ROLE_COORDINATOR;
	c->peers.name = c->cfg->researcher.coordinator_name;
	crn_rt_tr_auth(&c->peers, &auth);
	memset(&opts, 0, sizeof(opts));
	/* No message is larger than an envelope may be. */
	opts.max_msg = CRN_ENVELOPE_MAX;
	opts.reconnect_min_ms = 50;
	opts.reconnect_max_ms = 1000;
	if ((rv = crn_tr_dial(&c->tr, c->cfg->researcher.coordinator, &auth,
	         &opts)) != CAIRN_OK) {
		snprintf(err, errlen, "cannot dial %s: %s",
		    c->cfg->researcher.coordinator, cairn_strerror(rv));
		goto fail;
	}
	return CAIRN_OK;
fail:
	crn_rt_client_close(c);
	return rv;
}

void
crn_rt_client_close(crn_rt_client *c)
{
	crn_tr_close(c->tr);
	crn_rt_party_close(&c->party);
	crn_config_free(c->cfg);
	memset(c, 0, sizeof(*c));
}

cairn_err
crn_rt_client_send(crn_rt_client *c, uint32_t type, const uint8_t *payload,
    size_t len, int timeout_ms)
{
	uint8_t *env = NULL;
	size_t elen = 0;
	cairn_err rv;

	if (crn_hooks.client_send != NULL)
		return crn_hooks.client_send(c, type, payload, len, timeout_ms);
	if ((rv = crn_rt_wrap(&c->party, type, c->cid, 0, payload, len, &env,
	         &elen)) != CAIRN_OK)
		return rv;
	rv =
	    crn_tr_send_owned(c->tr, CRN_TR_CONN_DIALER, env, elen, timeout_ms);
	if (rv != CAIRN_OK)
		crn_free(env, elen);
	return rv;
}

cairn_err
crn_rt_client_recv(crn_rt_client *c, crn_envelope *env, int64_t deadline_ms)
{
	crn_cert_info who;
	crn_tr_event ev;
	cairn_err rv;

	for (;;) {
		int64_t left = deadline_ms - crn_rt_now_ms();

		if (crn_rt_stop)
			return CAIRN_ECLOSED;
		if (left <= 0)
			return CAIRN_ETIMEDOUT;
		/* Wake up now and then to notice a signal. */
		rv = crn_tr_next(c->tr, &ev, (int)(left < 250 ? left : 250));
		if (rv == CAIRN_ETIMEDOUT)
			continue;
		if (rv != CAIRN_OK)
			return rv;
		if (ev.kind == CRN_TR_EV_DOWN)
			return CAIRN_ECLOSED;
		if (ev.kind != CRN_TR_EV_MSG)
			continue;
		rv = crn_rt_unwrap(
		    &c->party, &ev, CRN_ROLE_COORDINATOR, env, &who);
		crn_tr_event_fini(&ev);
		if (rv == CAIRN_OK)
			return CAIRN_OK;
	}
}

const char *
crn_rt_client_why(const crn_rt_client *c)
{
	return crn_tr_why(c->tr);
}
