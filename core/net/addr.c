/*
 * addr.c — the transport's endpoints: "tcp://host:port" and
 * "ipc:///path" parsed, bound, connected and accepted, all non-blocking
 * and close-on-exec.  See tr_int.h.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/crn.h"
#include "net/tr_int.h"

/* TCP keepalive: a peer whose machine vanished is noticed in about
 * TR_KA_IDLE + TR_KA_CNT * TR_KA_INTVL seconds. */
#define TR_KA_IDLE  30
#define TR_KA_INTVL 10
#define TR_KA_CNT   3
#define TR_BACKLOG  128

static cairn_err
tr_port_parse(const char *p, tr_url *u)
{
	size_t n = strlen(p);
	long v;

	if (n == 0 || n > 5 || strspn(p, "0123456789") != n)
		return CAIRN_EINVAL;
	v = strtol(p, NULL, 10);
	if (v < 1 || v > 65535)
		return CAIRN_EINVAL;
	memcpy(u->port, p, n + 1);
	return CAIRN_OK;
}

static cairn_err
tr_host_parse(const char *h, size_t n, tr_url *u)
{
	if (n >= sizeof(u->host))
		return CAIRN_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (h[i] <= ' ' || h[i] == '/' || (unsigned char)h[i] >= 0x7f)
			return CAIRN_EINVAL;
	}
	memcpy(u->host, h, n);
	u->host[n] = '\0';
	if (strcmp(u->host, "*") == 0)
		u->host[0] = '\0';
	return CAIRN_OK;
}

cairn_err
crn_tr_url_parse(const char *url, tr_url *u)
{
	const char *p, *end;

	memset(u, 0, sizeof(*u));
	if (url == NULL)
		return CAIRN_EINVAL;
	if (strncmp(url, "ipc://", 6) == 0) {
		p = url + 6;
		if (*p == '\0' || strlen(p) >= sizeof(u->path))
			return CAIRN_EINVAL;
		u->ipc = true;
		memcpy(u->path, p, strlen(p) + 1);
		return CAIRN_OK;
	}
	if (strncmp(url, "tcp://", 6) != 0)
		return CAIRN_EINVAL;
	p = url + 6;
	if (*p == '[') {
		if ((end = strchr(p, ']')) == NULL || end[1] != ':' ||
		    tr_host_parse(p + 1, (size_t)(end - p - 1), u) != CAIRN_OK)
			return CAIRN_EINVAL;
		return tr_port_parse(end + 2, u);
	}
	if ((end = strrchr(p, ':')) == NULL ||
	    memchr(p, ':', (size_t)(end - p)))
		return CAIRN_EINVAL; /* no port, or IPv6 without brackets */
	if (tr_host_parse(p, (size_t)(end - p), u) != CAIRN_OK)
		return CAIRN_EINVAL;
	return tr_port_parse(end + 1, u);
}

void
crn_tr_sock_tune(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int one = 1, idle = TR_KA_IDLE, intvl = TR_KA_INTVL, cnt = TR_KA_CNT;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		return;
	/* Failures only cost latency or dead-peer detection: carry on. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

static cairn_err
tr_un_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return CAIRN_EINVAL;
	memcpy(sa->sun_path, path, strlen(path));
	return CAIRN_OK;
}

/* Whether a listener answers on the Unix socket at sa. */
static bool
tr_un_alive(const struct sockaddr_un *sa)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool alive;

	if (s < 0)
		return true; /* cannot tell: do not remove it */
	alive = connect(s, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ||
	    errno != ECONNREFUSED;
	close(s);
	return alive;
}

static cairn_err
tr_listen_ipc(const char *path, int *fd)
{
	struct sockaddr_un sa;
	int s = -1;
	cairn_err rv = CAIRN_EINTERNAL;

	if ((rv = tr_un_addr(path, &sa)) != CAIRN_OK)
		goto out;
	if ((s = socket(
	         AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		goto sys;
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		/* A socket file a dead listener left behind is ours to
		 * replace; a live one is not. */
		if (errno != EADDRINUSE || tr_un_alive(&sa) ||
		    unlink(path) != 0 ||
		    bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0)
			goto sys;
	}
	if (listen(s, TR_BACKLOG) != 0)
		goto sys;
	*fd = s;
	s = -1;
	rv = CAIRN_OK;
	goto out;
sys:
	crn_log_err("cannot listen on ipc://%s: %s", path, strerror(errno));
	rv = CAIRN_ESYS;
out:
	if (s >= 0)
		close(s);
	return rv;
}

static int
tr_tcp_listen_one(const struct addrinfo *ai)
{
	int one = 1, zero = 0;
	int s = socket(ai->ai_family,
	    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);

	if (s < 0)
		return -1;
	(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		(void)setsockopt(
		    s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(s, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(s, TR_BACKLOG) != 0) {
		int e = errno;

		close(s);
		errno = e;
		return -1;
	}
	return s;
}

cairn_err
crn_tr_sock_listen(const tr_url *u, int *fd)
{
	struct addrinfo hints, *res = NULL;
	int s = -1, e = 0, g;

	*fd = -1;
	if (u->ipc)
		return tr_listen_ipc(u->path, fd);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	g = getaddrinfo(u->host[0] ? u->host : NULL, u->port, &hints, &res);
	if (g != 0) {
		crn_log_err("cannot listen on tcp://%s:%s: %s",
		    u->host[0] ? u->host : "*", u->port, gai_strerror(g));
		return CAIRN_EINVAL;
	}
	for (const struct addrinfo *ai = res; ai != NULL && s < 0;
	     ai = ai->ai_next) {
		if ((s = tr_tcp_listen_one(ai)) < 0)
			e = errno;
	}
	freeaddrinfo(res);
	if (s < 0) {
		crn_log_err("cannot listen on tcp://%s:%s: %s",
		    u->host[0] ? u->host : "*", u->port, strerror(e));
		return CAIRN_ESYS;
	}
	*fd = s;
	return CAIRN_OK;
}

/* Start connecting s to sa; *pending when in progress. */
static cairn_err
tr_connect_start(int s, const struct sockaddr *sa, socklen_t sl, bool *pending,
    char *why, size_t whylen)
{
	int r;

	do {
		r = connect(s, sa, sl);
	} while (r != 0 && errno == EINTR);
	if (r == 0) {
		*pending = false;
		return CAIRN_OK;
	}
	if (errno == EINPROGRESS) {
		*pending = true;
		return CAIRN_OK;
	}
	snprintf(why, whylen, "%s", strerror(errno));
	return CAIRN_ESYS;
}

static cairn_err
tr_connect_ipc(
    const tr_url *u, int *fd, bool *pending, char *why, size_t whylen)
{
	struct sockaddr_un sa;
	cairn_err rv;
	int s;

	if (tr_un_addr(u->path, &sa) != CAIRN_OK)
		return CAIRN_EINVAL;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return CAIRN_ESYS;
	}
	rv = tr_connect_start(
	    s, (struct sockaddr *)&sa, sizeof(sa), pending, why, whylen);
	if (rv != CAIRN_OK) {
		close(s);
		return rv;
	}
	*fd = s;
	return CAIRN_OK;
}

cairn_err
crn_tr_sock_connect(const tr_url *u, unsigned attempt, int *fd, bool *pending,
    char *why, size_t whylen)
{
	struct addrinfo hints, *res = NULL;
	const struct addrinfo *ai;
	unsigned n = 0;
	cairn_err rv;
	int s, g;

	*fd = -1;
	*pending = false;
	if (u->ipc)
		return tr_connect_ipc(u, fd, pending, why, whylen);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	/* A name resolves here, blocking (the resolver's own timeouts). */
	g = getaddrinfo(
	    u->host[0] ? u->host : "localhost", u->port, &hints, &res);
	if (g != 0) {
		snprintf(why, whylen, "cannot resolve '%s': %s", u->host,
		    gai_strerror(g));
		return CAIRN_ENOENT;
	}
	/* Try the addresses a name has in turn, one per attempt. */
	for (ai = res; ai != NULL; ai = ai->ai_next)
		n++;
	ai = res;
	for (unsigned k = attempt % n; k > 0; k--)
		ai = ai->ai_next;
	s = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (s < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		freeaddrinfo(res);
		return CAIRN_ESYS;
	}
	crn_tr_sock_tune(s);
	rv = tr_connect_start(
	    s, ai->ai_addr, ai->ai_addrlen, pending, why, whylen);
	freeaddrinfo(res);
	if (rv != CAIRN_OK) {
		close(s);
		return rv;
	}
	*fd = s;
	return CAIRN_OK;
}

cairn_err
crn_tr_sock_connected(int fd, char *why, size_t whylen)
{
	int err = 0;
	socklen_t sl = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) != 0)
		err = errno;
	if (err == 0)
		return CAIRN_OK;
	snprintf(why, whylen, "%s", strerror(err));
	return CAIRN_ESYS;
}

static void
tr_addr_name(const struct sockaddr_storage *ss, char *addr, size_t addrlen,
    char *key, size_t keylen)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		port = ntohs(a->sin_port);
		snprintf(addr, addrlen, "%s:%u", ip, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		port = ntohs(a->sin6_port);
		snprintf(addr, addrlen, "[%s]:%u", ip, port);
	} else {
		snprintf(ip, sizeof(ip), "unix");
		snprintf(addr, addrlen, "unix");
	}
	snprintf(key, keylen, "%s", ip);
}

cairn_err
crn_tr_sock_accept(
    int lfd, int *fd, char *addr, size_t addrlen, char *key, size_t keylen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int s;

	*fd = -1;
	memset(&ss, 0, sizeof(ss));
	s = accept4(
	    lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (s < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
		    errno == ECONNABORTED)
			return CAIRN_OK;
		crn_log_warn("accept: %s", strerror(errno));
		return CAIRN_ESYS;
	}
	tr_addr_name(&ss, addr, addrlen, key, keylen);
	crn_tr_sock_tune(s);
	*fd = s;
	return CAIRN_OK;
}
