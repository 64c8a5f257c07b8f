/*
 * transport_test.c — the TLS transport over ipc:// and tcp://127.0.0.1
 * with a real federation PKI made here (a CA, certificates for every
 * role, a revoked, an expired and a foreign one): many dialers on one
 * listener with addressed replies, 16 MiB messages back to back, per-role
 * message limits, queues, timeouts, up/down events and reconnection; and
 * hostile peers: wrong role, revoked, expired, another CA, a pinned name,
 * plain TCP garbage, an oversized ClientHello, a handshake that stops, a
 * crowd of unauthenticated connections beyond max_unauth, an
 * authenticated peer whose message stalls or breaks the framing.
 *
 * Nothing in the transport runs in the background, so the two ends of a
 * connection run on two threads: an echo server (srv_*) owns a listener
 * and sends every message back on the connection it came from.
 * CAIRN_TEST_TIMEOUT: 180
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cairn_test.h"
#include "crypto/cert.h"
#include "crypto/tls.h"
#include "net/transport.h"

#define NCLIENTS 4
#define BIG      ((size_t)16 << 20)
/* "At once", on a loaded machine: well under the timeouts and deadlines
 * (5 s and more) the thing checked would otherwise wait for. */
#define SOON_MS 3000

/* ---- the federation of this test ---------------------------------------- */

enum {
	P_COORD,  /* coordinator "coord" */
	P_COORD2, /* coordinator "coord2" */
	P_NODE1,  /* nodes node1..node4 */
	P_NODE4 = P_NODE1 + 3,
	P_ALICE,   /* researcher */
	P_REVOKED, /* node, revoked */
	P_EXPIRED, /* node, expired yesterday */
	P_FOREIGN, /* node of another CA */
	NPARTIES
};

typedef struct party {
	crn_identity *id;
	uint8_t *der;
	size_t len;
} party;

static struct {
	char dir[256];
	crn_cert_store *store;
	party p[NPARTIES];
} W;

/* How one side judges its peers: roles, a pinned name, limits. */
typedef struct judge {
	unsigned roles;
	const char *name;
	size_t node_max, researcher_max; /* 0: the transport's max_msg */
} judge;

static judge J_COORD = {CRN_ROLE_NODE | CRN_ROLE_RESEARCHER, NULL, 0, 0};
static judge J_NODE = {CRN_ROLE_COORDINATOR, NULL, 0, 0};

static cairn_err
judge_verify(void *arg, const uint8_t *der, size_t len, crn_cert_info *info,
    size_t *max_msg)
{
	judge *j = arg;
	cairn_err rv;

	*max_msg = 0;
	rv = crn_cert_store_verify(
	    W.store, der, len, j->roles, (int64_t)time(NULL), info);
	if (rv != CAIRN_OK)
		return rv;
	if (j->name != NULL && strcmp(info->name, j->name) != 0)
		return CAIRN_EPERM;
	*max_msg =
	    info->role == CRN_ROLE_RESEARCHER ? j->researcher_max : j->node_max;
	return CAIRN_OK;
}

static crn_tr_auth
auth_of(int who, judge *j)
{
	crn_tr_auth a = {
	    W.p[who].id, W.p[who].der, W.p[who].len, judge_verify, j};

	return a;
}

static void
issue(const char *ca, party *p, crn_role role, const char *name,
    int64_t not_before, int64_t not_after)
{
	char *csr = NULL, *pem = NULL;

	CAIRN_T_PASS(crn_identity_generate(&p->id));
	CAIRN_T_PASS(crn_csr_new(p->id, role, name, &csr));
	if (not_after == 0)
		CAIRN_T_PASS(crn_ca_sign(ca, csr, role, 30, &pem));
	else
		CAIRN_T_PASS(
		    crn_ca_sign_validity(ca, csr, role, not_before, not_after, &pem));
	CAIRN_T_PASS(crn_cert_pem_to_der(pem, &p->der, &p->len));
	crn_strfree(csr);
	crn_strfree(pem);
}

static int
world_setup(void **state)
{
	char ca[300], ca2[300], path[320];
	uint8_t *cacert = NULL, *crl = NULL;
	size_t calen = 0, crllen = 0;
	int64_t now = (int64_t)time(NULL);
	char name[16];

	(void)state;
	snprintf(W.dir, sizeof(W.dir), "%s", crn_t_tmpdir());
	snprintf(ca, sizeof(ca), "%s/ca", W.dir);
	snprintf(ca2, sizeof(ca2), "%s/ca2", W.dir);
	CAIRN_T_PASS(crn_ca_init(ca, "test CA", 30));
	CAIRN_T_PASS(crn_ca_init(ca2, "another CA", 30));
	issue(ca, &W.p[P_COORD], CRN_ROLE_COORDINATOR, "coord", 0, 0);
	issue(ca, &W.p[P_COORD2], CRN_ROLE_COORDINATOR, "coord2", 0, 0);
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "node%d", i + 1);
		issue(ca, &W.p[P_NODE1 + i], CRN_ROLE_NODE, name, 0, 0);
	}
	issue(ca, &W.p[P_ALICE], CRN_ROLE_RESEARCHER, "alice", 0, 0);
	issue(ca, &W.p[P_REVOKED], CRN_ROLE_NODE, "revoked", 0, 0);
	CAIRN_T_PASS(crn_ca_revoke(ca, "revoked"));
	issue(ca, &W.p[P_EXPIRED], CRN_ROLE_NODE, "expired", now - 10 * 86400,
	    now - 86400);
	issue(ca2, &W.p[P_FOREIGN], CRN_ROLE_NODE, "node1", 0, 0);
	snprintf(path, sizeof(path), "%s/ca.crt", ca);
	CAIRN_T_PASS(crn_file_read(path, CRN_CERT_MAX_LEN, &cacert, &calen));
	snprintf(path, sizeof(path), "%s/crl.pem", ca);
	CAIRN_T_PASS(crn_file_read(path, CRN_CERT_MAX_LEN, &crl, &crllen));
	CAIRN_T_PASS(crn_cert_store_new(&W.store, cacert, calen, crl, crllen));
	crn_free(cacert, calen + 1);
	crn_free(crl, crllen + 1);
	return 0;
}

static int
world_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < NPARTIES; i++) {
		crn_identity_free(W.p[i].id);
		crn_free(W.p[i].der, W.p[i].len);
	}
	crn_cert_store_free(W.store);
	crn_t_rmtree(W.dir);
	return 0;
}

/* ---- endpoints and small helpers --------------------------------------- */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* A free TCP port on 127.0.0.1: bind port 0, read it back, release it. */
static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

typedef struct url_fix {
	char url[300];
	int port; /* tcp */
} url_fix;

/* tcp: 0 ipc (a socket in the test's directory), 1 tcp. */
static void
make_url(url_fix *u, int tcp)
{
	static int n;

	memset(u, 0, sizeof(*u));
	if (tcp) {
		u->port = free_port();
		snprintf(u->url, sizeof(u->url), "tcp://127.0.0.1:%d", u->port);
	} else {
		snprintf(
		    u->url, sizeof(u->url), "ipc://%s/s%d.sock", W.dir, n++);
	}
}

static void
fill(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16);
	}
}

static int
check(const uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		if (p[i] != (uint8_t)(x >> 16))
			return 0;
	}
	return 1;
}

static void
dial(crn_tr **cl, int who, const char *url, judge *j, const crn_tr_opts *o)
{
	crn_tr_auth a = auth_of(who, j);

	CAIRN_T_PASS(crn_tr_dial(cl, url, &a, o));
}

/* Send msg and get the echo back. */
static void
roundtrip(crn_tr *cl, const void *msg, size_t n)
{
	uint32_t conn;
	uint8_t *buf;
	size_t len;

	CAIRN_T_PASS(crn_tr_send(cl, CRN_TR_CONN_DIALER, msg, n, 5000));
	CAIRN_T_PASS(crn_tr_recv(cl, &conn, &buf, &len, 10000));
	assert_int_equal(conn, CRN_TR_CONN_DIALER);
	assert_int_equal(len, n);
	assert_memory_equal(buf, msg, n);
	crn_free(buf, len);
}

/* ---- the echo server ---------------------------------------------------- */

typedef struct srv {
	crn_tr *tr;
	pthread_t th;
	pthread_mutex_t mu;
	int stop;
	int ups, downs, msgs;
	char why[CRN_TR_WHY_LEN]; /* the last DOWN's */
	char peer[CRN_CERT_NAME_MAX + 1];
} srv;

static int
srv_get(srv *s, const int *field)
{
	int v;

	pthread_mutex_lock(&s->mu);
	v = *field;
	pthread_mutex_unlock(&s->mu);
	return v;
}

static void
srv_note(srv *s, const crn_tr_event *ev)
{
	pthread_mutex_lock(&s->mu);
	if (ev->kind == CRN_TR_EV_UP) {
		s->ups++;
		snprintf(s->peer, sizeof(s->peer), "%s", ev->peer.name);
	} else if (ev->kind == CRN_TR_EV_DOWN) {
		s->downs++;
		snprintf(s->why, sizeof(s->why), "%s", ev->why);
	} else {
		s->msgs++;
	}
	pthread_mutex_unlock(&s->mu);
}

static void *
srv_main(void *arg)
{
	srv *s = arg;
	crn_tr_event ev;

	while (!srv_get(s, &s->stop)) {
		if (crn_tr_next(s->tr, &ev, 20) != CAIRN_OK)
			continue;
		srv_note(s, &ev);
		if (ev.kind == CRN_TR_EV_MSG &&
		    crn_tr_send_owned(s->tr, ev.conn, ev.buf, ev.len, 20000) ==
		        CAIRN_OK)
			continue; /* the buffer went with the reply */
		crn_tr_event_fini(&ev);
	}
	if (crn_tr_flush(s->tr, 2000) != CAIRN_OK)
		print_message("echo server: replies still queued at stop\n");
	return NULL;
}

static void
srv_start_as(srv *s, int who, const char *url, judge *j, const crn_tr_opts *o)
{
	crn_tr_auth a = auth_of(who, j);

	memset(s, 0, sizeof(*s));
	CAIRN_T_PASS(crn_tr_listen(&s->tr, url, &a, o));
	assert_int_equal(pthread_mutex_init(&s->mu, NULL), 0);
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

static void
srv_start(srv *s, const char *url, judge *j, const crn_tr_opts *o)
{
	srv_start_as(s, P_COORD, url, j, o);
}

static void
srv_stop(srv *s)
{
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_mutex_unlock(&s->mu);
	assert_int_equal(pthread_join(s->th, NULL), 0);
	crn_tr_close(s->tr);
	pthread_mutex_destroy(&s->mu);
}

/* Wait (bounded) until *field reaches want. */
static void
srv_wait(srv *s, const int *field, int want)
{
	for (int k = 0; k < 500 && srv_get(s, field) < want; k++)
		sleep_ms(10);
	assert_true(srv_get(s, field) >= want);
}

/* ---- many dialers, addressed replies ----------------------------------- */

static void
many_clients(int tcp)
{
	crn_tr *cl[NCLIENTS] = {NULL};
	uint32_t conn;
	uint8_t *buf;
	size_t len;
	char msg[32];
	url_fix u;
	srv s;

	make_url(&u, tcp);
	srv_start(&s, u.url, &J_COORD, NULL);
	for (int i = 0; i < NCLIENTS; i++) {
		dial(&cl[i], P_NODE1 + i, u.url, &J_NODE, NULL);
		snprintf(msg, sizeof(msg), "hello %d", i);
		CAIRN_T_PASS(crn_tr_send(
		    cl[i], CRN_TR_CONN_DIALER, msg, strlen(msg), 5000));
	}
	/* Each gets exactly its own message back, in reverse order of
	 * asking: replies are addressed, not broadcast. */
	for (int i = NCLIENTS - 1; i >= 0; i--) {
		snprintf(msg, sizeof(msg), "hello %d", i);
		CAIRN_T_PASS(crn_tr_recv(cl[i], &conn, &buf, &len, 5000));
		assert_int_equal(len, strlen(msg));
		assert_memory_equal(buf, msg, len);
		crn_free(buf, len);
	}
	for (int i = 0; i < NCLIENTS; i++)
		CAIRN_T_FAIL(
		    crn_tr_recv(cl[i], &conn, &buf, &len, 50), CAIRN_ETIMEDOUT);
	srv_wait(&s, &s.ups, NCLIENTS);
	/* Closing a dialer is an event at the listener, at once. */
	for (int i = 0; i < NCLIENTS; i++)
		crn_tr_close(cl[i]);
	srv_wait(&s, &s.downs, NCLIENTS);
	srv_stop(&s);
}

static void
test_many_ipc(void **state)
{
	(void)state;
	many_clients(0);
}

static void
test_many_tcp(void **state)
{
	(void)state;
	many_clients(1);
}

/* Many dialers on one tcp endpoint: each gets exactly its own reply. */
static void
test_crowd(void **state)
{
	enum { CROWD = 200 };
	crn_tr **cl;
	uint32_t conn;
	uint8_t *buf;
	size_t len;
	char msg[32];
	int64_t t0;
	url_fix u;
	srv s;

	(void)state;
	cl = crn_zalloc(CROWD * sizeof(*cl));
	assert_non_null(cl);
	make_url(&u, 1);
	srv_start(&s, u.url, &J_COORD, NULL);
	t0 = now_ms();
	for (int i = 0; i < CROWD; i++) {
		dial(&cl[i], P_NODE1 + i % 4, u.url, &J_NODE, NULL);
		snprintf(msg, sizeof(msg), "%d", i);
		CAIRN_T_PASS(crn_tr_send(cl[i], 0, msg, strlen(msg), 5000));
	}
	for (int i = 0; i < CROWD; i++) {
		snprintf(msg, sizeof(msg), "%d", i);
		CAIRN_T_PASS(crn_tr_recv(cl[i], &conn, &buf, &len, 5000));
		assert_int_equal(len, strlen(msg));
		assert_memory_equal(buf, msg, len);
		crn_free(buf, len);
	}
	print_message("%d dialers: handshake, message, addressed reply: %lld ms\n",
	    CROWD, (long long)(now_ms() - t0));
	for (int i = 0; i < CROWD; i++)
		crn_tr_close(cl[i]);
	srv_stop(&s);
	crn_free(cl, CROWD * sizeof(*cl));
}

/* ---- 16 MiB messages, back to back ------------------------------------ */

static void
big_messages(int tcp)
{
	crn_tr *cl = NULL;
	uint32_t conn;
	uint8_t *buf, *big;
	size_t len;
	url_fix u;
	int64_t t0;
	srv s;

	big = crn_alloc(BIG);
	assert_non_null(big);
	make_url(&u, tcp);
	srv_start(&s, u.url, &J_COORD, NULL);
	dial(&cl, P_NODE1, u.url, &J_NODE, NULL);
	t0 = now_ms();
	for (uint32_t k = 0; k < 3; k++) {
		fill(big, BIG, k + 100);
		CAIRN_T_PASS(crn_tr_send(cl, 0, big, BIG, 20000));
	}
	for (uint32_t k = 0; k < 3; k++) {
		CAIRN_T_PASS(crn_tr_recv(cl, &conn, &buf, &len, 20000));
		assert_int_equal(len, BIG);
		assert_true(check(buf, len, k + 100));
		crn_free(buf, len);
	}
	/* Includes filling and checking the buffers. */
	print_message("3 x 16 MiB there and back over %s: %lld ms\n", u.url,
	    (long long)(now_ms() - t0));
	/* Too big for the sender's own limit. */
	CAIRN_T_FAIL(crn_tr_send(cl, 0, big, CRN_TR_MAX_MSG_DEFAULT + 1, 0),
	    CAIRN_ETOOBIG);
	crn_tr_close(cl);
	srv_stop(&s);
	crn_free(big, BIG);
}

static void
test_big_ipc(void **state)
{
	(void)state;
	big_messages(0);
}

static void
test_big_tcp(void **state)
{
	(void)state;
	big_messages(1);
}

/* A message over its peer's limit closes the connection; the dialer
 * hears so at once, reconnects, and small messages pass again. */
static void
test_role_limit(void **state)
{
	judge small = {CRN_ROLE_NODE | CRN_ROLE_RESEARCHER, NULL, 1024, 512};
	crn_tr_opts fast = {.reconnect_min_ms = 20, .reconnect_max_ms = 100};
	uint8_t big[4096] = {0};
	crn_tr *cl = NULL, *rs = NULL;
	uint32_t conn;
	uint8_t *buf;
	size_t len;
	int64_t t0;
	url_fix u;
	srv s;

	(void)state;
	make_url(&u, 1);
	srv_start(&s, u.url, &small, NULL);
	dial(&cl, P_NODE1, u.url, &J_NODE, &fast);
	roundtrip(cl, big, 1024);
	CAIRN_T_PASS(crn_tr_send(cl, 0, big, 1025, 5000));
	t0 = now_ms();
	CAIRN_T_FAIL(crn_tr_recv(cl, &conn, &buf, &len, 5000), CAIRN_ECLOSED);
	assert_true(now_ms() - t0 < SOON_MS);
	srv_wait(&s, &s.downs, 1);
	pthread_mutex_lock(&s.mu);
	assert_non_null(strstr(s.why, "over the limit of 1024"));
	pthread_mutex_unlock(&s.mu);
	roundtrip(cl, "ok", 2);
	/* A researcher's limit is its own. */
	dial(&rs, P_ALICE, u.url, &J_NODE, &fast);
	roundtrip(rs, big, 512);
	CAIRN_T_PASS(crn_tr_send(rs, 0, big, 513, 5000));
	CAIRN_T_FAIL(crn_tr_recv(rs, &conn, &buf, &len, 5000), CAIRN_ECLOSED);
	roundtrip(cl, big, 1000);
	crn_tr_close(rs);
	crn_tr_close(cl);
	srv_stop(&s);
}

/* ---- peers that are refused ------------------------------------------- */

/* A dialer that is refused: its send says so at once, the listener
 * never reports it. */
static void
refused(srv *s, const char *url, int who, judge *j, cairn_err want)
{
	crn_tr *cl = NULL;
	int64_t t0 = now_ms();

	dial(&cl, who, url, j, NULL);
	CAIRN_T_FAIL(crn_tr_send(cl, 0, "x", 1, 5000), want);
	assert_true(now_ms() - t0 < SOON_MS);
	print_message(
	    "refused (%s): %s\n", cairn_strerror(want), crn_tr_why(cl));
	assert_true(crn_tr_why(cl)[0] != '\0');
	crn_tr_close(cl);
	assert_int_equal(srv_get(s, &s->ups), 0);
}

static void
test_refused_peers(void **state)
{
	judge nodes_only = {CRN_ROLE_NODE, NULL, 0, 0};
	judge pinned = {CRN_ROLE_COORDINATOR, "coord2", 0, 0};
	url_fix u;
	srv s;

	(void)state;
	make_url(&u, 1);
	srv_start(&s, u.url, &nodes_only, NULL);
	/* The listener refuses (the dialer hears a TLS alert). */
	refused(&s, u.url, P_ALICE, &J_NODE, CAIRN_EAUTH);   /* role */
	refused(&s, u.url, P_COORD2, &J_NODE, CAIRN_EAUTH);  /* role */
	refused(&s, u.url, P_REVOKED, &J_NODE, CAIRN_EAUTH); /* CRL */
	refused(&s, u.url, P_EXPIRED, &J_NODE, CAIRN_EAUTH);
	refused(&s, u.url, P_FOREIGN, &J_NODE, CAIRN_EAUTH); /* other CA */
	/* The dialer refuses: a coordinator that is not the pinned one. */
	refused(&s, u.url, P_NODE1, &pinned, CAIRN_EPERM);
	srv_stop(&s);
	/* A listener whose certificate is not a coordinator's. */
	make_url(&u, 0);
	srv_start_as(&s, P_NODE1, u.url, &J_COORD, NULL);
	refused(&s, u.url, P_NODE1 + 1, &J_NODE, CAIRN_EROLE);
	srv_stop(&s);
}

/* ---- hostile peers on a raw socket -------------------------------------- */

static int
raw_connect(int port)
{
	struct sockaddr_in sa;
	struct timeval tv = {5, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

/* Milliseconds until the peer closes fd (reading and dropping what it
 * sends), or -1 if it has not within ms. */
static int64_t
ms_to_eof(int fd, int ms)
{
	int64_t t0 = now_ms();
	uint8_t b[4096];

	while (now_ms() - t0 < ms) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			return now_ms() - t0;
	}
	return -1;
}

/* Plain TCP garbage and a ClientHello claiming 100 kB: closed at once,
 * long before the handshake deadline. */
static void
test_garbage(void **state)
{
	crn_tr_opts o = {.handshake_ms = 10000};
	static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	uint8_t hello[1009] = {
	    0x16, 0x03, 0x01, 0x03, 0xec, 0x01, 0x01, 0x86, 0xa0};
	url_fix u;
	int64_t dt;
	srv s;
	int fd;

	(void)state;
	make_url(&u, 1);
	srv_start(&s, u.url, &J_COORD, &o);
	fd = raw_connect(u.port);
	assert_int_equal(write(fd, http, strlen(http)), (ssize_t)strlen(http));
	dt = ms_to_eof(fd, 3000);
	assert_true(dt >= 0 && dt < SOON_MS);
	close(fd);
	fd = raw_connect(u.port);
	assert_int_equal(
	    write(fd, hello, sizeof(hello)), (ssize_t)sizeof(hello));
	dt = ms_to_eof(fd, 3000);
	assert_true(dt >= 0 && dt < SOON_MS);
	close(fd);
	assert_int_equal(srv_get(&s, &s.ups), 0);
	srv_stop(&s);
}

/* A TLS client of our own making, for peers that stop half-way or break
 * the framing after authenticating. */
typedef struct raw_tls {
	int fd;
	crn_tls_ctx *ctx;
	crn_tls *t;
} raw_tls;

static cairn_err
judge_verify_tls(void *arg, const uint8_t *der, size_t len, crn_cert_info *info)
{
	size_t max;

	return judge_verify(arg, der, len, info, &max);
}

static void
raw_tls_open(raw_tls *r, int port, int who)
{
	int fl;

	CAIRN_T_PASS(crn_tls_ctx_new(&r->ctx, false, W.p[who].id, W.p[who].der,
	    W.p[who].len, judge_verify_tls, &J_NODE));
	r->fd = raw_connect(port);
	fl = fcntl(r->fd, F_GETFL);
	assert_int_equal(fcntl(r->fd, F_SETFL, fl | O_NONBLOCK), 0);
	CAIRN_T_PASS(crn_tls_new(&r->t, r->ctx, r->fd));
}

static void
raw_tls_close(raw_tls *r)
{
	crn_tls_free(r->t);
	crn_tls_ctx_free(r->ctx);
	close(r->fd);
}

/* Finish the handshake and read the listener's welcome frame. */
static void
raw_tls_welcome(raw_tls *r)
{
	uint8_t w[5];
	size_t got = 0, n;
	bool done = false;
	int64_t t0 = now_ms();

	while (!done && now_ms() - t0 < 5000) {
		struct pollfd p = {.fd = r->fd, .events = crn_tls_want(r->t)};

		CAIRN_T_PASS(crn_tls_handshake(r->t, &done));
		if (!done)
			(void)poll(&p, 1, 100);
	}
	assert_true(done);
	while (got < sizeof(w) && now_ms() - t0 < 5000) {
		struct pollfd p = {.fd = r->fd, .events = POLLIN};

		CAIRN_T_PASS(crn_tls_read(r->t, w + got, sizeof(w) - got, &n));
		got += n;
		if (n == 0)
			(void)poll(&p, 1, 100);
	}
	assert_int_equal(got, sizeof(w));
	assert_int_equal(w[0], 'W');
}

static void
raw_tls_write(raw_tls *r, const void *buf, size_t len)
{
	size_t put;

	CAIRN_T_PASS(crn_tls_write(r->t, buf, len, &put));
	assert_int_equal(put, len);
}

/* A real ClientHello of ours: made on one end of a socket pair that
 * nobody answers, so the handshake goes no further. */
static size_t
client_hello(uint8_t *out, size_t cap)
{
	crn_tls_ctx *ctx = NULL;
	crn_tls *t = NULL;
	bool done;
	ssize_t n;
	int sv[2];

	assert_int_equal(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	CAIRN_T_PASS(crn_tls_ctx_new(&ctx, false, W.p[P_NODE1].id,
	    W.p[P_NODE1].der, W.p[P_NODE1].len, judge_verify_tls, &J_NODE));
	CAIRN_T_PASS(crn_tls_new(&t, ctx, sv[0]));
	CAIRN_T_PASS(crn_tls_handshake(t, &done));
	assert_false(done);
	n = recv(sv[1], out, cap, 0);
	assert_true(n > 9 && out[0] == 0x16 && out[5] == 0x01);
	crn_tls_free(t);
	crn_tls_ctx_free(ctx);
	close(sv[0]);
	close(sv[1]);
	return (size_t)n;
}

/* A client that sends its ClientHello and stops: the listener closes it
 * at its handshake deadline, not before, and never reports it. */
static void
test_stop_midhandshake(void **state)
{
	crn_tr_opts o = {.handshake_ms = 400};
	uint8_t hello[2048];
	size_t n;
	int64_t dt;
	url_fix u;
	srv s;
	int fd;

	(void)state;
	n = client_hello(hello, sizeof(hello));
	make_url(&u, 1);
	srv_start(&s, u.url, &J_COORD, &o);
	fd = raw_connect(u.port);
	assert_int_equal(write(fd, hello, n), (ssize_t)n);
	dt = ms_to_eof(fd, 5000);
	print_message(
	    "a stopped handshake closed after %lld ms\n", (long long)dt);
	assert_true(dt >= 300 && dt < 3000);
	close(fd);
	assert_int_equal(srv_get(&s, &s.ups), 0);
	srv_stop(&s);
}

/* An authenticated peer whose message stops half-way is closed after
 * stall_ms; one that sends an unknown frame kind at once. */
static void
test_stall_and_framing(void **state)
{
	crn_tr_opts o = {.stall_ms = 300};
	static const uint8_t part[15] = {'M', 0, 0, 0x03, 0xe8, 1, 2, 3};
	static const uint8_t odd[5] = {'Q', 0, 0, 0, 0};
	raw_tls r;
	int64_t dt;
	url_fix u;
	srv s;

	(void)state;
	make_url(&u, 1);
	srv_start(&s, u.url, &J_COORD, &o);
	raw_tls_open(&r, u.port, P_NODE1);
	raw_tls_welcome(&r);
	srv_wait(&s, &s.ups, 1);
	raw_tls_write(&r, part, sizeof(part)); /* 10 of 1000 body bytes */
	dt = ms_to_eof(r.fd, 5000);
	assert_true(dt >= 200 && dt < 3000);
	srv_wait(&s, &s.downs, 1);
	pthread_mutex_lock(&s.mu);
	assert_non_null(strstr(s.why, "partial message stalled"));
	pthread_mutex_unlock(&s.mu);
	raw_tls_close(&r);
	raw_tls_open(&r, u.port, P_NODE1);
	raw_tls_welcome(&r);
	raw_tls_write(&r, odd, sizeof(odd));
	dt = ms_to_eof(r.fd, 5000);
	assert_true(dt >= 0 && dt < SOON_MS);
	srv_wait(&s, &s.downs, 2);
	pthread_mutex_lock(&s.mu);
	assert_non_null(strstr(s.why, "unexpected frame"));
	pthread_mutex_unlock(&s.mu);
	raw_tls_close(&r);
	srv_stop(&s);
}

/* More unauthenticated connections than max_unauth: the extra ones are
 * closed on accept, the others at the handshake deadline; then a real
 * dialer gets in. */
static void
test_unauth_cap(void **state)
{
	crn_tr_opts o = {.max_unauth = 3, .handshake_ms = 1500};
	crn_tr *cl = NULL;
	int fd[5];
	int64_t t0, dt;
	url_fix u;
	srv s;

	(void)state;
	make_url(&u, 1);
	srv_start(&s, u.url, &J_COORD, &o);
	t0 = now_ms();
	for (int i = 0; i < 5; i++) {
		fd[i] = raw_connect(u.port);
		sleep_ms(50); /* accepted in this order */
	}
	/* Before any deadline (1.5 s from accept): the first three are open,
	 * the two beyond max_unauth are closed, or will be at once. */
	for (int i = 0; i < 3; i++) {
		struct pollfd p = {.fd = fd[i], .events = POLLIN};

		assert_int_equal(poll(&p, 1, 0), 0);
	}
	for (int i = 3; i < 5; i++)
		assert_true(ms_to_eof(fd[i], SOON_MS) >= 0);
	for (int i = 0; i < 3; i++) {
		assert_true(ms_to_eof(fd[i], 5000 + SOON_MS) >= 0);
		dt = now_ms() - t0;
		assert_true(dt >= 1400 && dt < 1500 + 250 + SOON_MS);
		close(fd[i]);
	}
	close(fd[3]);
	close(fd[4]);
	dial(&cl, P_NODE1, u.url, &J_NODE, NULL);
	roundtrip(cl, "in", 2);
	crn_tr_close(cl);
	srv_stop(&s);
}

/* ---- events, reconnection ----------------------------------------------- */

/* The listener goes away: the dialer's receive says so at once (not at
 * its timeout); sends wait for the connection; once a listener is back
 * the dialer reconnects by itself. */
static void
restart(int tcp)
{
	crn_tr_opts fast = {.reconnect_min_ms = 50, .reconnect_max_ms = 400};
	crn_tr *cl = NULL;
	uint32_t conn;
	uint8_t *buf;
	size_t len;
	int64_t t0;
	url_fix u;
	srv s;

	make_url(&u, tcp);
	srv_start(&s, u.url, &J_COORD, NULL);
	dial(&cl, P_NODE1, u.url, &J_NODE, &fast);
	roundtrip(cl, "before", 6);
	srv_stop(&s);
	t0 = now_ms();
	CAIRN_T_FAIL(crn_tr_recv(cl, &conn, &buf, &len, 10000), CAIRN_ECLOSED);
	assert_true(now_ms() - t0 < SOON_MS);
	assert_true(crn_tr_why(cl)[0] != '\0');
	CAIRN_T_FAIL(crn_tr_send(cl, 0, "lost", 4, 100), CAIRN_ETIMEDOUT);
	srv_start(&s, u.url, &J_COORD, NULL);
	roundtrip(cl, "after", 5);
	crn_tr_close(cl);
	srv_stop(&s);
}

static void
test_restart_ipc(void **state)
{
	(void)state;
	restart(0);
}

static void
test_restart_tcp(void **state)
{
	(void)state;
	restart(1);
}

/* ---- a listener on this thread, a dialer on another ------------------- */

typedef struct peer {
	crn_tr *tr;
	pthread_t th;
	pthread_mutex_t mu;
	int go;    /* set (under mu) when nrecv is known */
	int nrecv; /* messages to take, each 1 MiB of seed k */
	int ok;
	int64_t closed_ms; /* drop test: when ECLOSED came */
} peer;

static void *
peer_reader(void *arg)
{
	peer *p = arg;
	uint32_t conn;
	uint8_t *buf;
	size_t len;

	int go = 0;

	p->ok = 1;
	CAIRN_T_PASS(crn_tr_send(p->tr, 0, "hi", 2, 5000));
	/* Read nothing until the listener's queue is full. */
	while (!go) {
		sleep_ms(10);
		pthread_mutex_lock(&p->mu);
		go = p->go;
		pthread_mutex_unlock(&p->mu);
	}
	for (int k = 0; k < p->nrecv; k++) {
		if (crn_tr_recv(p->tr, &conn, &buf, &len, 10000) != CAIRN_OK) {
			p->ok = 0;
			return NULL;
		}
		if (len != ((size_t)1 << 20) || !check(buf, len, (uint32_t)k))
			p->ok = 0;
		crn_free(buf, len);
	}
	return NULL;
}

static void
first_hello(crn_tr *lst, uint32_t *conn)
{
	crn_tr_event ev;

	do {
		CAIRN_T_PASS(crn_tr_next(lst, &ev, 5000));
		crn_tr_event_fini(&ev);
	} while (ev.kind != CRN_TR_EV_MSG);
	*conn = ev.conn;
}

/* A full queue makes the listener's send wait (only for that
 * connection); queued messages arrive in order once the dialer reads. */
static void
test_queue_full(void **state)
{
	crn_tr_auth a = auth_of(P_COORD, &J_COORD);
	peer p = {0};
	crn_tr *lst = NULL;
	uint8_t *m;
	uint32_t conn;
	int64_t t0, dt;
	url_fix u;
	int n = 0;

	(void)state;
	m = crn_alloc((size_t)1 << 20);
	assert_non_null(m);
	make_url(&u, 1);
	CAIRN_T_PASS(crn_tr_listen(&lst, u.url, &a, NULL));
	dial(&p.tr, P_NODE1, u.url, &J_NODE, NULL);
	assert_int_equal(pthread_mutex_init(&p.mu, NULL), 0);
	assert_int_equal(pthread_create(&p.th, NULL, peer_reader, &p), 0);
	first_hello(lst, &conn);
	/* Until the kernel's buffers and our queue are full. */
	for (;;) {
		cairn_err rv;

		fill(m, (size_t)1 << 20, (uint32_t)n);
		rv = crn_tr_send(lst, conn, m, (size_t)1 << 20, 0);
		if (rv == CAIRN_ETIMEDOUT)
			break;
		CAIRN_T_PASS(rv);
		n++;
		assert_true(n < 1000);
	}
	assert_true(n >= CRN_TR_QUEUE_MSGS);
	t0 = now_ms();
	CAIRN_T_FAIL(crn_tr_send(lst, conn, "over", 4, 150), CAIRN_ETIMEDOUT);
	dt = now_ms() - t0;
	assert_true(dt >= 100 && dt < 2000 + SOON_MS);
	pthread_mutex_lock(&p.mu);
	p.nrecv = n;
	p.go = 1;
	pthread_mutex_unlock(&p.mu);
	CAIRN_T_PASS(crn_tr_flush(lst, 30000));
	assert_int_equal(pthread_join(p.th, NULL), 0);
	pthread_mutex_destroy(&p.mu);
	assert_true(p.ok);
	print_message("%d x 1 MiB queued before the send waited\n", n);
	crn_tr_close(p.tr);
	crn_tr_close(lst);
	crn_free(m, (size_t)1 << 20);
}

static void *
peer_until_closed(void *arg)
{
	peer *p = arg;
	uint32_t conn;
	uint8_t *buf;
	size_t len;

	CAIRN_T_PASS(crn_tr_send(p->tr, 0, "hi", 2, 5000));
	p->ok = crn_tr_recv(p->tr, &conn, &buf, &len, 20000) == CAIRN_ECLOSED;
	p->closed_ms = now_ms();
	return NULL;
}

/* The listener closes one connection: its dialer knows at once. */
static void
test_drop(void **state)
{
	crn_tr_auth a = auth_of(P_COORD, &J_COORD);
	peer p = {0};
	crn_tr *lst = NULL;
	uint32_t conn;
	int64_t t0;
	url_fix u;

	(void)state;
	make_url(&u, 0);
	CAIRN_T_PASS(crn_tr_listen(&lst, u.url, &a, NULL));
	dial(&p.tr, P_NODE1, u.url, &J_NODE, NULL);
	assert_int_equal(pthread_create(&p.th, NULL, peer_until_closed, &p), 0);
	first_hello(lst, &conn);
	t0 = now_ms();
	CAIRN_T_PASS(crn_tr_drop(lst, conn));
	assert_int_equal(pthread_join(p.th, NULL), 0);
	assert_true(p.ok);
	assert_true(p.closed_ms - t0 < SOON_MS);
	CAIRN_T_FAIL(crn_tr_drop(lst, conn), CAIRN_ECLOSED);
	CAIRN_T_FAIL(crn_tr_send(lst, conn, "x", 1, 100), CAIRN_ECLOSED);
	crn_tr_close(p.tr);
	crn_tr_close(lst);
}

/* ---- timeouts and errors ---------------------------------------------- */

static void
test_timeouts(void **state)
{
	crn_tr_auth a = auth_of(P_COORD, &J_COORD);
	crn_tr *lst = NULL, *cl = NULL;
	uint32_t conn;
	uint8_t *buf;
	size_t len;
	int64_t t0, dt;
	url_fix u;

	(void)state;
	make_url(&u, 1);
	/* Nobody listening: a dialer's send times out and says why. */
	dial(&cl, P_NODE1, u.url, &J_NODE, NULL);
	t0 = now_ms();
	CAIRN_T_FAIL(crn_tr_send(cl, 0, "x", 1, 200), CAIRN_ETIMEDOUT);
	dt = now_ms() - t0;
	assert_true(dt >= 150 && dt < 2000 + SOON_MS);
	assert_non_null(strstr(crn_tr_why(cl), "refused"));
	CAIRN_T_FAIL(crn_tr_recv(cl, &conn, &buf, &len, 0), CAIRN_ETIMEDOUT);
	assert_null(buf);
	CAIRN_T_PASS(crn_tr_flush(cl, 0));
	CAIRN_T_PASS(crn_tr_listen(&lst, u.url, &a, NULL));
	t0 = now_ms();
	CAIRN_T_FAIL(crn_tr_recv(lst, &conn, &buf, &len, 200), CAIRN_ETIMEDOUT);
	dt = now_ms() - t0;
	assert_true(dt >= 150 && dt < 2000 + SOON_MS);
	CAIRN_T_FAIL(crn_tr_recv(lst, &conn, &buf, &len, 0), CAIRN_ETIMEDOUT);
	/* Unknown connection. */
	CAIRN_T_FAIL(crn_tr_send(lst, 12345, "x", 1, 100), CAIRN_ECLOSED);
	CAIRN_T_FAIL(crn_tr_drop(lst, 12345), CAIRN_ECLOSED);
	/* Bad arguments. */
	CAIRN_T_FAIL(crn_tr_send(lst, 1, "x", 1, -1), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_tr_recv(lst, &conn, &buf, &len, -5), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_tr_send(cl, 3, "x", 1, 10), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_tr_flush(lst, -1), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_tr_drop(cl, 0), CAIRN_EINVAL);
	crn_tr_close(cl);
	crn_tr_close(lst);
}

/* A caller that never waits (timeout 0) still gets its connection up and
 * its messages through: each call moves what is there. */
static void
test_zero_timeouts(void **state)
{
	crn_tr *cl = NULL;
	uint32_t conn;
	uint8_t *buf = NULL;
	size_t len = 0;
	cairn_err rv = CAIRN_ETIMEDOUT;
	url_fix u;
	srv s;

	(void)state;
	make_url(&u, 1);
	srv_start(&s, u.url, &J_COORD, NULL);
	dial(&cl, P_NODE1, u.url, &J_NODE, NULL);
	for (int k = 0; k < 5000 && rv == CAIRN_ETIMEDOUT; k++) {
		rv = crn_tr_send(cl, 0, "now", 3, 0);
		if (rv == CAIRN_ETIMEDOUT)
			sleep_ms(1);
	}
	CAIRN_T_PASS(rv);
	rv = CAIRN_ETIMEDOUT;
	for (int k = 0; k < 5000 && rv == CAIRN_ETIMEDOUT; k++) {
		rv = crn_tr_recv(cl, &conn, &buf, &len, 0);
		if (rv == CAIRN_ETIMEDOUT)
			sleep_ms(1);
	}
	CAIRN_T_PASS(rv);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "now", 3);
	crn_free(buf, len);
	crn_tr_close(cl);
	srv_stop(&s);
}

static void
test_bad_urls(void **state)
{
	static const char *const bad[] = {"http://x", "tcp://", "tcp://h",
	    "tcp://127.0.0.1:notaport", "tcp://127.0.0.1:0",
	    "tcp://127.0.0.1:70000", "tcp://::1:7700", "tcp://[::1]",
	    "inproc://x", "ipc://", "tcp://a b:1"};
	crn_tr_opts bo = {.reconnect_min_ms = 500, .reconnect_max_ms = 100};
	crn_tr_auth a = auth_of(P_COORD, &J_COORD), none = a;
	crn_tr *tr = (crn_tr *)1;
	crn_tr *x = NULL, *y = NULL;
	url_fix u;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CAIRN_T_FAIL(
		    crn_tr_listen(&tr, bad[i], &a, NULL), CAIRN_EINVAL);
		assert_null(tr);
		CAIRN_T_FAIL(crn_tr_dial(&tr, bad[i], &a, NULL), CAIRN_EINVAL);
	}
	CAIRN_T_FAIL(crn_tr_dial(&tr, NULL, &a, NULL), CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    crn_tr_dial(&tr, "tcp://127.0.0.1:1", &a, &bo), CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    crn_tr_dial(&tr, "tcp://127.0.0.1:1", NULL, NULL), CAIRN_EINVAL);
	none.verify = NULL;
	CAIRN_T_FAIL(
	    crn_tr_dial(&tr, "tcp://127.0.0.1:1", &none, NULL), CAIRN_EINVAL);
	/* A certificate that is not ours. */
	none = a;
	none.cert = W.p[P_NODE1].der;
	none.cert_len = W.p[P_NODE1].len;
	CAIRN_T_FAIL(
	    crn_tr_dial(&tr, "tcp://127.0.0.1:1", &none, NULL), CAIRN_EINVAL);
	/* The same address twice; the IPv6 and wildcard forms. */
	make_url(&u, 1);
	CAIRN_T_PASS(crn_tr_listen(&x, u.url, &a, NULL));
	assert_int_not_equal(crn_tr_listen(&y, u.url, &a, NULL), CAIRN_OK);
	assert_null(y);
	crn_tr_close(x);
	make_url(&u, 0);
	CAIRN_T_PASS(crn_tr_listen(&x, u.url, &a, NULL));
	assert_int_not_equal(crn_tr_listen(&y, u.url, &a, NULL), CAIRN_OK);
	crn_tr_close(x);
	snprintf(u.url, sizeof(u.url), "tcp://*:%d", free_port());
	CAIRN_T_PASS(crn_tr_listen(&x, u.url, &a, NULL));
	crn_tr_close(x);
	crn_tr_close(NULL);
}

/* Allocation failures: opening fails cleanly, and a transport opened
 * after a failure works. */
static void
test_oom(void **state)
{
	crn_tr_auth a = auth_of(P_COORD, &J_COORD);
	crn_tr *x = NULL, *cl = NULL;
	cairn_err rv;
	url_fix u;
	srv s;
	long n;

	(void)state;
	make_url(&u, 0);
	for (n = 0; n < 100; n++) {
		crn_alloc_fail_after(n);
		rv = crn_tr_listen(&x, u.url, &a, NULL);
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_OK)
			break;
		CAIRN_T_EQ(rv, CAIRN_ENOMEM);
		assert_null(x);
	}
	assert_true(n > 0);
	crn_tr_close(x);
	srv_start(&s, u.url, &J_COORD, NULL);
	for (n = 0; n < 100; n++) {
		crn_alloc_fail_after(n);
		rv = crn_tr_dial(&cl, u.url, &a, NULL);
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_OK)
			break;
		CAIRN_T_EQ(rv, CAIRN_ENOMEM);
	}
	crn_tr_close(cl);
	dial(&cl, P_NODE1, u.url, &J_NODE, NULL);
	roundtrip(cl, "ok", 2);
	crn_tr_close(cl);
	srv_stop(&s);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_many_ipc),
    cmocka_unit_test(test_many_tcp),
    cmocka_unit_test(test_crowd),
    cmocka_unit_test(test_big_ipc),
    cmocka_unit_test(test_big_tcp),
    cmocka_unit_test(test_role_limit),
    cmocka_unit_test(test_refused_peers),
    cmocka_unit_test(test_garbage),
    cmocka_unit_test(test_stop_midhandshake),
    cmocka_unit_test(test_stall_and_framing),
    cmocka_unit_test(test_unauth_cap),
    cmocka_unit_test(test_restart_ipc),
    cmocka_unit_test(test_restart_tcp),
    cmocka_unit_test(test_queue_full),
    cmocka_unit_test(test_drop),
    cmocka_unit_test(test_timeouts),
    cmocka_unit_test(test_zero_timeouts),
    cmocka_unit_test(test_bad_urls),
    cmocka_unit_test(test_oom),
};

int
main(void)
{
	crn_t_init();
	return cmocka_run_group_tests(tests, world_setup, world_teardown);
}
