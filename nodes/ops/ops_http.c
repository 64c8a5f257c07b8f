/*
 * ops_http.c — the operator listener: libmicrohttpd on a thread of its
 * own, a snapshot under a mutex the event loop only tries (see ops.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "base/crn.h"
#include "ops/ops.h"

#if MHD_VERSION < 0x00097002
typedef int MHD_Result;
#else
typedef enum MHD_Result MHD_Result;
#endif

struct crn_ops {
	crn_ops_role role;
	char party[CRN_OPS_NAME_MAX + 32];
	crn_ops_state *mine;   /* the event loop's */
	crn_ops_state *shared; /* the snapshot, under mu */
	pthread_mutex_t mu;
	bool mu_ok;
	struct MHD_Daemon *mhd;
	int64_t published_ms;
};

static MHD_Result
ops_reply(struct MHD_Connection *conn, unsigned status, const char *type,
    const char *body, size_t len)
{
	struct MHD_Response *r;
	MHD_Result ret;

	r = MHD_create_response_from_buffer(
	    len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(r, "Content-Type", type);
	(void)MHD_add_response_header(r, "Cache-Control", "no-store");
	(void)MHD_add_response_header(r, "Content-Security-Policy",
	    "default-src 'none'; style-src 'unsafe-inline'");
	(void)MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Serve one request: a copy of the snapshot, rendered outside the lock. */
static MHD_Result
ops_handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	crn_ops *o = cls;
	crn_ops_state *copy = NULL;
	char *body = NULL;
	size_t len = 0;
	cairn_err rv = CAIRN_ENOTSUP;
	const char *type = "text/plain; charset=utf-8";
	MHD_Result ret;
	bool metrics = strcmp(url, "/metrics") == 0;
	bool page = strcmp(url, "/") == 0 && o->role == CRN_OPS_COORDINATOR;

	(void)version;
	(void)upload_data;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		static const char m[] = "read-only: GET only\n";

		return ops_reply(
		    conn, MHD_HTTP_METHOD_NOT_ALLOWED, type, m, sizeof(m) - 1);
	}
	/* No body is read: a request that sends one is answered at once. */
	*upload_data_size = 0;
	(void)con_cls;
	if (!metrics && !page) {
		static const char m[] = "not found: try /metrics\n";

		return ops_reply(
		    conn, MHD_HTTP_NOT_FOUND, type, m, sizeof(m) - 1);
	}
	if ((copy = crn_alloc(sizeof(*copy))) != NULL) {
		pthread_mutex_lock(&o->mu);
		memcpy(copy, o->shared, sizeof(*copy));
		pthread_mutex_unlock(&o->mu);
		if (metrics) {
			rv = crn_ops_render_metrics(copy, o->role, o->party,
			    (uint64_t)time(NULL), &body, &len);
			type = "text/plain; version=0.0.4; charset=utf-8";
		} else {
			rv = crn_ops_render_status(
			    copy, o->party, (uint64_t)time(NULL), &body, &len);
			type = "text/html; charset=utf-8";
		}
		crn_free(copy, sizeof(*copy));
	}
	if (rv != CAIRN_OK) {
		static const char m[] = "out of memory\n";

		return ops_reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "text/plain", m, sizeof(m) - 1);
	}
	ret = ops_reply(conn, MHD_HTTP_OK, type, body, len);
	crn_free(body, len + 1);
	return ret;
}

static void
ops_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	crn_log_debug("metrics listener: %s", msg);
}

static cairn_err
ops_listen(crn_ops *o, const char *listen, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	char host[64];
	const char *colon;
	unsigned flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
	unsigned long port;

	memset(&ss, 0, sizeof(ss));
	colon = strrchr(listen, ':');
	if (colon == NULL || (size_t)(colon - listen) >= sizeof(host))
		goto bad;
	port = strtoul(colon + 1, NULL, 10);
	if (listen[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		snprintf(host, sizeof(host), "%.*s", (int)(colon - listen - 2),
		    listen + 1);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			goto bad;
		flags |= MHD_USE_IPv6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		snprintf(
		    host, sizeof(host), "%.*s", (int)(colon - listen), listen);
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			goto bad;
	}
	o->mhd = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, ops_handle,
	    o, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT,
	    10u, MHD_OPTION_EXTERNAL_LOGGER, ops_mhd_log, NULL, MHD_OPTION_END);
	if (o->mhd == NULL) {
		snprintf(err, errlen,
		    "metrics_listen %s: cannot listen there (address in use, or not an address of this host)",
		    listen);
		return CAIRN_ESYS;
	}
	return CAIRN_OK;
bad:
	snprintf(err, errlen, "metrics_listen %s: not IP:PORT", listen);
	return CAIRN_EINVAL;
}

cairn_err
crn_ops_open(crn_ops **out, crn_ops_role role, const char *party,
    const char *listen, char *err, size_t errlen)
{
	crn_ops *o = NULL;
	cairn_err rv = CAIRN_ENOMEM;

	*out = NULL;
	if ((o = crn_zalloc(sizeof(*o))) == NULL ||
	    (o->mine = crn_zalloc(sizeof(*o->mine))) == NULL ||
	    (o->shared = crn_zalloc(sizeof(*o->shared))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	o->role = role;
	snprintf(o->party, sizeof(o->party), "%s", party);
	o->mine->started = (uint64_t)time(NULL);
	if (pthread_mutex_init(&o->mu, NULL) != 0) {
		snprintf(
		    err, errlen, "pthread_mutex_init: %s", strerror(errno));
		rv = CAIRN_ESYS;
		goto out;
	}
	o->mu_ok = true;
	if (listen != NULL &&
	    (rv = ops_listen(o, listen, err, errlen)) != CAIRN_OK)
		goto out;
	*out = o;
	o = NULL;
	rv = CAIRN_OK;
out:
	crn_ops_close(o);
	return rv;
}

void
crn_ops_close(crn_ops *o)
{
	if (o == NULL)
		return;
	/* Joins the listener's thread: no handler runs after this. */
	if (o->mhd != NULL)
		MHD_stop_daemon(o->mhd);
	if (o->mu_ok)
		pthread_mutex_destroy(&o->mu);
	crn_free(o->mine, sizeof(*o->mine));
	crn_free(o->shared, sizeof(*o->shared));
	crn_free(o, sizeof(*o));
}

crn_ops_state *
crn_ops_state_of(crn_ops *o)
{
	return o->mine;
}

void
crn_ops_publish(crn_ops *o, int64_t now_ms)
{
	int64_t since = now_ms - o->published_ms;

	if (o->mhd == NULL)
		return;
	if (since < CRN_OPS_PUBLISH_MS || (!o->mine->dirty && since < 1000))
		return;
	/* Never wait for the listener: a busy lock means try next time. */
	if (pthread_mutex_trylock(&o->mu) != 0)
		return;
	memcpy(o->shared, o->mine, sizeof(*o->shared));
	pthread_mutex_unlock(&o->mu);
	o->mine->dirty = false;
	o->published_ms = now_ms;
}
