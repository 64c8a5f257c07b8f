/*
 * tr.c — the backend-independent half of the transport: argument checks,
 * option defaults, and dispatch through the ops table (transport.h).
 */
#include <limits.h>
#include <string.h>

#include "base/crn.h"
#include "net/transport.h"

/* Schemes we hand to the backend.  nanomsg also knows ws://, which we do
 * not offer: every link carries signed envelopes and nothing else. */
static const char *const tr_schemes[] = {"tcp://", "ipc://", "inproc://"};

static int
tr_url_ok(const char *url)
{
	size_t n;

	if (url == NULL)
		return 0;
	for (size_t i = 0; i < CRN_NELEM(tr_schemes); i++) {
		n = strlen(tr_schemes[i]);
		if (strncmp(url, tr_schemes[i], n) == 0 && url[n] != '\0')
			return 1;
	}
	return 0;
}

static cairn_err
tr_opts_fill(crn_tr_opts *dst, const crn_tr_opts *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src != NULL)
		*dst = *src;
	if (dst->reconnect_min_ms < 0 || dst->reconnect_max_ms < 0 ||
	    dst->ack_giveup_ms < 0 || dst->idle_ms < 0)
		return CAIRN_EINVAL;
	/* NN_RCVMAXSIZE is an int and also covers our frame header. */
	if (dst->max_msg > (size_t)INT_MAX - 64)
		return CAIRN_EINVAL;
	if (dst->max_msg == 0)
		dst->max_msg = CRN_TR_MAX_MSG_DEFAULT;
	if (dst->reconnect_min_ms == 0)
		dst->reconnect_min_ms = CRN_TR_RECONNECT_MIN_DEFAULT;
	if (dst->reconnect_max_ms == 0)
		dst->reconnect_max_ms = CRN_TR_RECONNECT_MAX_DEFAULT;
	if (dst->ack_giveup_ms == 0)
		dst->ack_giveup_ms = CRN_TR_ACK_GIVEUP_DEFAULT;
	if (dst->idle_ms == 0)
		dst->idle_ms = CRN_TR_IDLE_DEFAULT;
	if (dst->reconnect_max_ms < dst->reconnect_min_ms)
		return CAIRN_EINVAL;
	return CAIRN_OK;
}

static cairn_err
tr_open(crn_tr **out, const char *url, const crn_tr_opts *opts, int listener)
{
	crn_tr *tr = NULL;
	cairn_err rv = CAIRN_EINTERNAL;

	if (out == NULL)
		return CAIRN_EINVAL;
	*out = NULL;
	if (!tr_url_ok(url)) {
		crn_log_err("unsupported endpoint (want tcp://, ipc:// or "
		            "inproc://)");
		rv = CAIRN_EINVAL;
		goto out;
	}
	if ((tr = crn_zalloc(sizeof(*tr))) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	if ((rv = tr_opts_fill(&tr->opts, opts)) != CAIRN_OK)
		goto out;
	tr->ops = &crn_tr_nn_ops;
	tr->listener = listener;
	rv = listener ? tr->ops->listen(tr, url) : tr->ops->dial(tr, url);
	if (rv != CAIRN_OK)
		goto out;
	*out = tr;
	tr = NULL;
out:
	/* A backend that failed has released its own state. */
	crn_free(tr, sizeof(*tr));
	return rv;
}

cairn_err
crn_tr_listen(crn_tr **out, const char *url, const crn_tr_opts *opts)
{
	return tr_open(out, url, opts, 1);
}

cairn_err
crn_tr_dial(crn_tr **out, const char *url, const crn_tr_opts *opts)
{
	return tr_open(out, url, opts, 0);
}

cairn_err
crn_tr_send(
    crn_tr *tr, uint32_t conn, const void *buf, size_t len, int timeout_ms)
{
	if (tr == NULL || (buf == NULL && len > 0) || timeout_ms < 0)
		return CAIRN_EINVAL;
	if (len > tr->opts.max_msg)
		return CAIRN_ETOOBIG;
	if (!tr->listener && conn != CRN_TR_CONN_DIALER)
		return CAIRN_EINVAL;
	return tr->ops->send(tr, conn, buf, len, timeout_ms);
}

cairn_err
crn_tr_recv(
    crn_tr *tr, uint32_t *conn, uint8_t **buf, size_t *len, int timeout_ms)
{
	if (buf != NULL)
		*buf = NULL;
	if (len != NULL)
		*len = 0;
	if (conn != NULL)
		*conn = 0;
	if (tr == NULL || conn == NULL || buf == NULL || len == NULL ||
	    timeout_ms < 0)
		return CAIRN_EINVAL;
	return tr->ops->recv(tr, conn, buf, len, timeout_ms);
}

cairn_err
crn_tr_flush(crn_tr *tr, int timeout_ms)
{
	if (tr == NULL || timeout_ms < 0)
		return CAIRN_EINVAL;
	return tr->ops->flush(tr, timeout_ms);
}

void
crn_tr_close(crn_tr *tr)
{
	if (tr == NULL)
		return;
	tr->ops->close(tr);
	crn_free(tr, sizeof(*tr));
}
