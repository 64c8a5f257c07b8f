/*
 * conn.c — one transport connection: its TLS channel, the framing of
 * messages inside it, and its send queue.  The poll loop (tr.c) decides
 * when to call these; nothing here waits.  See tr_int.h.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/crn.h"
#include "net/tr_int.h"

cairn_err
crn_tr_conn_new(tr_conn **out, int fd, crn_tls_ctx *tls, tr_state st)
{
	tr_conn *c = NULL;
	cairn_err rv = CAIRN_EINTERNAL;

	*out = NULL;
	if ((c = crn_zalloc(sizeof(*c))) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	c->fd = fd;
	c->st = st;
	/* A connect still in progress gets its TLS channel once it is
	 * through (tr.c); every other state needs one now. */
	if (st != TR_CONNECTING &&
	    (rv = crn_tls_new(&c->tls, tls, fd)) != CAIRN_OK)
		goto out;
	*out = c;
	c = NULL;
	rv = CAIRN_OK;
out:
	if (c != NULL) {
		c->fd = -1; /* the caller still owns fd on failure */
		crn_tr_conn_free(c);
	}
	return rv;
}

void
crn_tr_conn_unqueue(tr_conn *c)
{
	tr_out *o;

	while ((o = c->qhead) != NULL) {
		c->qhead = o->next;
		crn_free(o->buf, o->len);
		crn_free(o, sizeof(*o));
	}
	c->qtail = NULL;
	c->qcount = 0;
	c->qbytes = 0;
	crn_free(c->stage, TR_STAGE);
	c->stage = NULL;
	c->stage_len = c->stage_off = 0;
}

void
crn_tr_conn_free(tr_conn *c)
{
	if (c == NULL)
		return;
	crn_tr_conn_unqueue(c);
	crn_free(c->body, c->blen);
	crn_tls_free(c->tls);
	if (c->fd >= 0)
		close(c->fd);
	crn_free(c, sizeof(*c));
}

bool
crn_tr_conn_room(const tr_conn *c, size_t len)
{
	if (c->qcount == 0)
		return true;
	return c->qcount < CRN_TR_QUEUE_MSGS &&
	    c->qbytes + len <= CRN_TR_QUEUE_BYTES;
}

cairn_err
crn_tr_conn_queue(tr_conn *c, uint8_t kind, uint8_t *buf, size_t len)
{
	tr_out *o;

	if ((o = crn_zalloc(sizeof(*o))) == NULL)
		return CAIRN_ENOMEM;
	o->buf = buf;
	o->len = len;
	o->kind = kind;
	if (c->qtail != NULL)
		c->qtail->next = o;
	else
		c->qhead = o;
	c->qtail = o;
	c->qcount++;
	c->qbytes += len;
	return CAIRN_OK;
}

/*
 * The bytes to hand to TLS next: the rest of the staging buffer (header
 * plus the first part of the body), or the body in place.  The choice
 * depends only on what was written, so after a write that took nothing
 * the same bytes come back, as TLS requires.
 */
static cairn_err
tr_next_bytes(tr_conn *c, const uint8_t **p, size_t *n, bool *staged)
{
	tr_out *o = c->qhead;
	size_t k, boff;

	*staged = true;
	if (c->stage_off < c->stage_len) {
		*p = c->stage + c->stage_off;
		*n = c->stage_len - c->stage_off;
		return CAIRN_OK;
	}
	if (o->off == 0) {
		if (c->stage == NULL &&
		    (c->stage = crn_alloc(TR_STAGE)) == NULL)
			return CAIRN_ENOMEM;
		c->stage[0] = o->kind;
		for (int i = 0; i < 4; i++)
			c->stage[1 + i] = (uint8_t)(o->len >> (24 - 8 * i));
		k = o->len < TR_STAGE - TR_HDR ? o->len : TR_STAGE - TR_HDR;
		if (k > 0)
			memcpy(c->stage + TR_HDR, o->buf, k);
		c->stage_len = TR_HDR + k;
		c->stage_off = 0;
		*p = c->stage;
		*n = c->stage_len;
		return CAIRN_OK;
	}
	*staged = false;
	boff = o->off - TR_HDR;
	*p = o->buf + boff;
	*n = o->len - boff;
	return CAIRN_OK;
}

/* o is written: drop it; the staging buffer goes when the queue is
 * empty (an idle connection keeps no buffer). */
static void
tr_pop(tr_conn *c)
{
	tr_out *o = c->qhead;

	c->qhead = o->next;
	if (c->qhead == NULL)
		c->qtail = NULL;
	c->qcount--;
	c->qbytes -= o->len;
	c->stage_len = c->stage_off = 0;
	crn_free(o->buf, o->len);
	crn_free(o, sizeof(*o));
	if (c->qhead == NULL) {
		crn_free(c->stage, TR_STAGE);
		c->stage = NULL;
	}
}

cairn_err
crn_tr_conn_write(tr_conn *c, char *why, size_t whylen)
{
	size_t moved = 0, n, put;
	const uint8_t *p;
	bool staged;
	cairn_err rv;

	while (c->qhead != NULL && moved < TR_PASS_BYTES) {
		if ((rv = tr_next_bytes(c, &p, &n, &staged)) != CAIRN_OK)
			return rv;
		if ((rv = crn_tls_write(c->tls, p, n, &put)) != CAIRN_OK) {
			snprintf(why, whylen, "%s", crn_tls_why(c->tls));
			return rv;
		}
		if (put == 0)
			break; /* the socket is full */
		moved += put;
		c->qhead->off += put;
		if (staged)
			c->stage_off += put;
		if (c->qhead->off == TR_HDR + c->qhead->len)
			tr_pop(c);
	}
	return CAIRN_OK;
}

bool
crn_tr_conn_partial(const tr_conn *c)
{
	return c->hgot > 0;
}

/* A whole header is in: check it and make room for the body. */
static cairn_err
tr_header(tr_conn *c, char *why, size_t whylen)
{
	uint8_t kind = c->hdr[0];
	size_t len = (size_t)c->hdr[1] << 24 | (size_t)c->hdr[2] << 16 |
	    (size_t)c->hdr[3] << 8 | c->hdr[4];
	bool welcome_ok = c->st == TR_WELCOME;

	if (kind == TR_KIND_WELCOME && welcome_ok && len == 0)
		return CAIRN_OK;
	if (kind != TR_KIND_MSG || c->st != TR_UP) {
		snprintf(why, whylen, "unexpected frame (kind 0x%02x)", kind);
		return CAIRN_EPROTO;
	}
	if (len > c->max_msg) {
		snprintf(why, whylen,
		    "a message of %zu bytes, over the limit of %zu for it", len,
		    c->max_msg);
		return CAIRN_ETOOBIG;
	}
	/* Room for what the header announces.  The peer is authenticated
	 * and within its role's limit; pages are touched only as bytes
	 * arrive. */
	if ((c->body = crn_alloc(len)) == NULL) {
		snprintf(
		    why, whylen, "no memory for a message of %zu bytes", len);
		return CAIRN_ENOMEM;
	}
	c->blen = len;
	c->bgot = 0;
	return CAIRN_OK;
}

/* Read into the header or the body; *n is what came. */
static cairn_err
tr_read_some(tr_conn *c, size_t *n, char *why, size_t whylen)
{
	cairn_err rv;

	if (c->hgot < TR_HDR)
		rv =
		    crn_tls_read(c->tls, c->hdr + c->hgot, TR_HDR - c->hgot, n);
	else
		rv = crn_tls_read(
		    c->tls, c->body + c->bgot, c->blen - c->bgot, n);
	if (rv != CAIRN_OK)
		snprintf(why, whylen, "%s", crn_tls_why(c->tls));
	return rv;
}

cairn_err
crn_tr_conn_read(
    tr_conn *c, int64_t now_ms, tr_rx *rx, char *why, size_t whylen)
{
	size_t moved = 0, n;
	cairn_err rv;

	memset(rx, 0, sizeof(*rx));
	while (moved < TR_PASS_BYTES) {
		if ((rv = tr_read_some(c, &n, why, whylen)) != CAIRN_OK)
			return rv;
		if (n == 0)
			return CAIRN_OK;
		moved += n;
		c->last_rx = now_ms;
		if (c->hgot < TR_HDR) {
			c->hgot += n;
			if (c->hgot < TR_HDR)
				continue;
			if ((rv = tr_header(c, why, whylen)) != CAIRN_OK)
				return rv;
			if (c->hdr[0] == TR_KIND_WELCOME) {
				c->hgot = 0;
				rx->welcome = true;
				return CAIRN_OK;
			}
		} else {
			c->bgot += n;
		}
		if (c->bgot == c->blen) {
			rx->buf = c->body;
			rx->len = c->blen;
			c->body = NULL;
			c->blen = c->bgot = 0;
			c->hgot = 0;
			return CAIRN_OK;
		}
	}
	return CAIRN_OK;
}
