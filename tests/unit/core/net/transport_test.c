/*
 * transport_test.c — the nanomsg transport over ipc:// and tcp://127.0.0.1
 * (ephemeral port): many dialers on one listener, addressed replies, 16 MiB
 * messages back to back, timeouts, lost acks and resends, a listener
 * restart.
 * CAIRN_TEST_TIMEOUT: 120
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cairn_test.h"
#include "net/transport.h"

#define NCLIENTS 4
#define BIG      ((size_t)16 << 20)

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
	char url[256];
	char dir[256];
} url_fix;

/* tcp: 0 ipc, 1 tcp, 2 inproc. */
static void
make_url(url_fix *u, int tcp)
{
	static int inproc_n;

	memset(u, 0, sizeof(*u));
	if (tcp == 2) {
		snprintf(
		    u->url, sizeof(u->url), "inproc://coord%d", inproc_n++);
	} else if (tcp) {
		snprintf(
		    u->url, sizeof(u->url), "tcp://127.0.0.1:%d", free_port());
	} else {
		snprintf(u->dir, sizeof(u->dir), "%s", crn_t_tmpdir());
		assert_true(snprintf(u->url, sizeof(u->url),
		                "ipc://%s/coord.sock", u->dir) < (int)sizeof(u->url));
	}
}

static void
drop_url(url_fix *u)
{
	if (u->dir[0] != '\0')
		crn_t_rmtree(u->dir);
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

/* ---- many dialers, addressed replies ---------------------------------- */

static void
many_clients(int tcp)
{
	crn_tr *lst = NULL, *cl[NCLIENTS] = {NULL};
	uint32_t conn_of[NCLIENTS], conn;
	uint8_t *buf;
	size_t len;
	char msg[32];
	url_fix u;

	make_url(&u, tcp);
	CAIRN_T_PASS(crn_tr_listen(&lst, u.url, NULL));
	for (int i = 0; i < NCLIENTS; i++) {
		CAIRN_T_PASS(crn_tr_dial(&cl[i], u.url, NULL));
		snprintf(msg, sizeof(msg), "hello %d", i);
		CAIRN_T_PASS(crn_tr_send(
		    cl[i], CRN_TR_CONN_DIALER, msg, strlen(msg), 5000));
	}
	for (int i = 0; i < NCLIENTS; i++)
		conn_of[i] = UINT32_MAX;
	for (int k = 0; k < NCLIENTS; k++) {
		int who;

		CAIRN_T_PASS(crn_tr_recv(lst, &conn, &buf, &len, 5000));
		assert_true(len > 6 && len < sizeof(msg));
		memcpy(msg, buf, len);
		msg[len] = '\0';
		crn_free(buf, len);
		assert_int_equal(sscanf(msg, "hello %d", &who), 1);
		assert_true(who >= 0 && who < NCLIENTS);
		assert_int_equal(conn_of[who], UINT32_MAX);
		conn_of[who] = conn;
	}
	for (int i = 0; i < NCLIENTS; i++)
		for (int j = i + 1; j < NCLIENTS; j++)
			assert_int_not_equal(conn_of[i], conn_of[j]);
	/* Reply in reverse order, twice each, to show addressing does not
	 * depend on who spoke last. */
	for (int r = 0; r < 2; r++) {
		for (int i = NCLIENTS - 1; i >= 0; i--) {
			snprintf(msg, sizeof(msg), "to %d round %d", i, r);
			CAIRN_T_PASS(crn_tr_send(
			    lst, conn_of[i], msg, strlen(msg), 5000));
		}
		for (int i = 0; i < NCLIENTS; i++) {
			snprintf(msg, sizeof(msg), "to %d round %d", i, r);
			CAIRN_T_PASS(
			    crn_tr_recv(cl[i], &conn, &buf, &len, 5000));
			assert_int_equal(conn, CRN_TR_CONN_DIALER);
			assert_int_equal(len, strlen(msg));
			assert_memory_equal(buf, msg, len);
			crn_free(buf, len);
		}
		/* Take the acks (queues move while the listener runs). */
		CAIRN_T_PASS(crn_tr_flush(lst, 5000));
	}
	/* Nobody got anything else. */
	for (int i = 0; i < NCLIENTS; i++)
		CAIRN_T_FAIL(
		    crn_tr_recv(cl[i], &conn, &buf, &len, 50), CAIRN_ETIMEDOUT);
	/* A message from a dialer still comes with its connection id. */
	CAIRN_T_PASS(crn_tr_send(cl[2], 0, "again", 5, 5000));
	CAIRN_T_PASS(crn_tr_recv(lst, &conn, &buf, &len, 5000));
	assert_int_equal(conn, conn_of[2]);
	crn_free(buf, len);
	for (int i = 0; i < NCLIENTS; i++)
		crn_tr_close(cl[i]);
	crn_tr_close(lst);
	drop_url(&u);
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

static void
test_many_inproc(void **state)
{
	(void)state;
	many_clients(2);
}

/* Many dialers on one tcp endpoint: each gets exactly its own reply. */
static void
test_crowd(void **state)
{
	enum { CROWD = 200 };
	crn_tr *lst = NULL, **cl;
	uint32_t *conn_of, conn;
	uint8_t *buf;
	size_t len;
	char msg[32];
	int64_t t0;
	url_fix u;
	int who, seen = 0;

	(void)state;
	cl = crn_zalloc(CROWD * sizeof(*cl));
	conn_of = crn_zalloc(CROWD * sizeof(*conn_of));
	assert_non_null(cl);
	assert_non_null(conn_of);
	memset(conn_of, 0xff, CROWD * sizeof(*conn_of));
	make_url(&u, 1);
	CAIRN_T_PASS(crn_tr_listen(&lst, u.url, NULL));
	t0 = now_ms();
	for (int i = 0; i < CROWD; i++) {
		CAIRN_T_PASS(crn_tr_dial(&cl[i], u.url, NULL));
		snprintf(msg, sizeof(msg), "%d", i);
		CAIRN_T_PASS(crn_tr_send(cl[i], 0, msg, strlen(msg), 5000));
	}
	for (int k = 0; k < CROWD; k++) {
		CAIRN_T_PASS(crn_tr_recv(lst, &conn, &buf, &len, 5000));
		assert_true(len < sizeof(msg));
		memcpy(msg, buf, len);
		msg[len] = '\0';
		crn_free(buf, len);
		who = atoi(msg);
		assert_true(who >= 0 && who < CROWD);
		assert_int_equal(conn_of[who], UINT32_MAX);
		conn_of[who] = conn;
		snprintf(msg, sizeof(msg), "for %d", who);
		CAIRN_T_PASS(crn_tr_send(lst, conn, msg, strlen(msg), 0));
	}
	for (int i = 0; i < CROWD; i++) {
		snprintf(msg, sizeof(msg), "for %d", i);
		CAIRN_T_PASS(crn_tr_recv(cl[i], &conn, &buf, &len, 5000));
		assert_int_equal(len, strlen(msg));
		assert_memory_equal(buf, msg, len);
		crn_free(buf, len);
		seen++;
	}
	CAIRN_T_PASS(crn_tr_flush(lst, 5000));
	print_message("%d dialers: hello, addressed reply, ack: %lld ms\n",
	    seen, (long long)(now_ms() - t0));
	for (int i = 0; i < CROWD; i++)
		crn_tr_close(cl[i]);
	crn_tr_close(lst);
	crn_free(cl, CROWD * sizeof(*cl));
	crn_free(conn_of, CROWD * sizeof(*conn_of));
}

/* ---- 16 MiB messages, back to back ------------------------------------ */

typedef struct big_client {
	crn_tr *tr;
	int nrecv;
	int ok;
} big_client;

/* The dialer side runs in its own thread: the listener's second send to
 * it waits for the first one's ack. */
static void *
big_client_main(void *arg)
{
	big_client *bc = arg;
	uint32_t conn;
	uint8_t *buf;
	size_t len;

	bc->ok = 1;
	for (int k = 0; k < bc->nrecv; k++) {
		if (crn_tr_recv(bc->tr, &conn, &buf, &len, 20000) != CAIRN_OK) {
			bc->ok = 0;
			break;
		}
		if (len != BIG || !check(buf, len, (uint32_t)k + 100))
			bc->ok = 0;
		crn_free(buf, len);
	}
	/* And nothing more: repeats must have been dropped. */
	if (bc->ok &&
	    crn_tr_recv(bc->tr, &conn, &buf, &len, 300) != CAIRN_ETIMEDOUT)
		bc->ok = 0;
	return NULL;
}

static void
big_messages(int tcp)
{
	crn_tr *lst = NULL;
	big_client bc = {NULL, 3, 0};
	uint32_t conn;
	uint8_t *buf, *big;
	size_t len;
	pthread_t th;
	url_fix u;
	int64_t t0;

	big = crn_alloc(BIG);
	assert_non_null(big);
	make_url(&u, tcp);
	CAIRN_T_PASS(crn_tr_listen(&lst, u.url, NULL));
	CAIRN_T_PASS(crn_tr_dial(&bc.tr, u.url, NULL));
	/* Dialer to listener. */
	fill(big, BIG, 7);
	t0 = now_ms();
	CAIRN_T_PASS(crn_tr_send(bc.tr, 0, big, BIG, 10000));
	CAIRN_T_PASS(crn_tr_recv(lst, &conn, &buf, &len, 10000));
	print_message("16 MiB dialer->listener over %s: %lld ms\n", u.url,
	    (long long)(now_ms() - t0));
	assert_int_equal(len, BIG);
	assert_true(check(buf, len, 7));
	crn_free(buf, len);
	/* Listener to dialer, three times back to back: nanomsg alone would
	 * drop the later ones while the first is still being written. */
	assert_int_equal(pthread_create(&th, NULL, big_client_main, &bc), 0);
	t0 = now_ms();
	for (int k = 0; k < 3; k++) {
		fill(big, BIG, (uint32_t)k + 100);
		CAIRN_T_PASS(crn_tr_send(lst, conn, big, BIG, 20000));
	}
	CAIRN_T_PASS(crn_tr_flush(lst, 20000));
	/* Includes filling and checking the buffers. */
	print_message("3 x 16 MiB listener->dialer over %s: %lld ms\n", u.url,
	    (long long)(now_ms() - t0));
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(bc.ok);
	/* Too big for the sender's limit. */
	CAIRN_T_FAIL(crn_tr_send(lst, conn, big, CRN_TR_MAX_MSG_DEFAULT + 1, 0),
	    CAIRN_ETOOBIG);
	crn_tr_close(bc.tr);
	crn_tr_close(lst);
	crn_free(big, BIG);
	drop_url(&u);
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

static void
test_big_inproc(void **state)
{
	(void)state;
	big_messages(2);
}

/* A receiver with a small limit drops an oversized message (nanomsg
 * closes that link); the next, small one still arrives. */
static void
test_max_msg(void **state)
{
	crn_tr_opts small = {.max_msg = 1024};
	crn_tr *lst = NULL, *cl = NULL;
	uint8_t big[4096] = {0};
	uint32_t conn;
	uint8_t *buf;
	size_t len;
	url_fix u;

	(void)state;
	make_url(&u, 1);
	CAIRN_T_PASS(crn_tr_listen(&lst, u.url, &small));
	CAIRN_T_PASS(crn_tr_dial(&cl, u.url, NULL));
	CAIRN_T_PASS(crn_tr_send(cl, 0, big, sizeof(big), 5000));
	CAIRN_T_FAIL(crn_tr_recv(lst, &conn, &buf, &len, 300), CAIRN_ETIMEDOUT);
	CAIRN_T_PASS(crn_tr_send(cl, 0, "ok", 2, 5000));
	CAIRN_T_PASS(crn_tr_recv(lst, &conn, &buf, &len, 5000));
	assert_int_equal(len, 2);
	crn_free(buf, len);
	crn_tr_close(cl);
	crn_tr_close(lst);
}

/* ---- timeouts and errors ---------------------------------------------- */

static void
test_timeouts(void **state)
{
	crn_tr *lst = NULL, *cl = NULL;
	uint32_t conn;
	uint8_t *buf;
	size_t len;
	int64_t t0, dt;
	url_fix u;

	(void)state;
	make_url(&u, 1);
	/* Nobody listening: a dialer's send times out. */
	CAIRN_T_PASS(crn_tr_dial(&cl, u.url, NULL));
	t0 = now_ms();
	CAIRN_T_FAIL(crn_tr_send(cl, 0, "x", 1, 200), CAIRN_ETIMEDOUT);
	dt = now_ms() - t0;
	assert_true(dt >= 150 && dt < 2000);
	CAIRN_T_FAIL(crn_tr_recv(cl, &conn, &buf, &len, 0), CAIRN_ETIMEDOUT);
	assert_null(buf);
	CAIRN_T_PASS(crn_tr_listen(&lst, u.url, NULL));
	t0 = now_ms();
	CAIRN_T_FAIL(crn_tr_recv(lst, &conn, &buf, &len, 200), CAIRN_ETIMEDOUT);
	dt = now_ms() - t0;
	assert_true(dt >= 150 && dt < 2000);
	CAIRN_T_FAIL(crn_tr_recv(lst, &conn, &buf, &len, 0), CAIRN_ETIMEDOUT);
	/* Unknown connection. */
	CAIRN_T_FAIL(crn_tr_send(lst, 12345, "x", 1, 100), CAIRN_ECLOSED);
	/* Bad arguments. */
	CAIRN_T_FAIL(crn_tr_send(lst, 1, "x", 1, -1), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_tr_recv(lst, &conn, &buf, &len, -5), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_tr_send(cl, 3, "x", 1, 10), CAIRN_EINVAL);
	crn_tr_close(cl);
	crn_tr_close(lst);
}

static void
test_bad_urls(void **state)
{
	crn_tr_opts bad = {.reconnect_min_ms = 500, .reconnect_max_ms = 100};
	crn_tr *tr = (crn_tr *)1;
	crn_tr *a = NULL, *b = NULL;
	url_fix u;

	(void)state;
	CAIRN_T_FAIL(crn_tr_listen(&tr, "http://x", NULL), CAIRN_EINVAL);
	assert_null(tr);
	CAIRN_T_FAIL(crn_tr_listen(&tr, "tcp://", NULL), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_tr_dial(&tr, NULL, NULL), CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    crn_tr_listen(&tr, "tcp://127.0.0.1:notaport", NULL), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_tr_dial(&tr, "inproc://x", &bad), CAIRN_EINVAL);
	assert_null(tr);
	/* The same address twice. */
	make_url(&u, 1);
	CAIRN_T_PASS(crn_tr_listen(&a, u.url, NULL));
	assert_int_not_equal(crn_tr_listen(&b, u.url, NULL), CAIRN_OK);
	assert_null(b);
	crn_tr_close(a);
	crn_tr_close(NULL);
}

/* ---- resends and lost acks -------------------------------------------- */

/* The dialer reads late: the listener resends meanwhile, the dialer gets
 * each message once and in order. */
static void
test_resend_dedup(void **state)
{
	crn_tr *lst = NULL, *cl = NULL;
	uint32_t conn, c2;
	uint8_t *buf;
	size_t len;
	url_fix u;

	(void)state;
	make_url(&u, 0);
	CAIRN_T_PASS(crn_tr_listen(&lst, u.url, NULL));
	CAIRN_T_PASS(crn_tr_dial(&cl, u.url, NULL));
	CAIRN_T_PASS(crn_tr_send(cl, 0, "hi", 2, 5000));
	CAIRN_T_PASS(crn_tr_recv(lst, &conn, &buf, &len, 5000));
	crn_free(buf, len);
	CAIRN_T_PASS(crn_tr_send(lst, conn, "one", 3, 1000));
	/* No ack can come yet (the dialer is not reading): the listener
	 * resends at 200 and 600 ms while it waits here. */
	CAIRN_T_FAIL(crn_tr_recv(lst, &c2, &buf, &len, 900), CAIRN_ETIMEDOUT);
	/* A second message queues behind the first. */
	CAIRN_T_PASS(crn_tr_send(lst, conn, "two", 3, 0));
	CAIRN_T_FAIL(crn_tr_flush(lst, 100), CAIRN_ETIMEDOUT);
	CAIRN_T_PASS(crn_tr_recv(cl, &c2, &buf, &len, 5000));
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "one", 3);
	crn_free(buf, len);
	/* The copies of "one" are dropped; "two" has not left yet. */
	CAIRN_T_FAIL(crn_tr_recv(cl, &c2, &buf, &len, 300), CAIRN_ETIMEDOUT);
	/* The listener takes the ack and sends "two". */
	CAIRN_T_FAIL(crn_tr_recv(lst, &c2, &buf, &len, 100), CAIRN_ETIMEDOUT);
	CAIRN_T_PASS(crn_tr_recv(cl, &c2, &buf, &len, 5000));
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "two", 3);
	crn_free(buf, len);
	CAIRN_T_PASS(crn_tr_flush(lst, 5000));
	CAIRN_T_PASS(crn_tr_flush(cl, 0));
	CAIRN_T_FAIL(crn_tr_flush(lst, -1), CAIRN_EINVAL);
	crn_tr_close(cl);
	crn_tr_close(lst);
	drop_url(&u);
}

typedef struct order_client {
	crn_tr *tr;
	int n;
	int ok;
} order_client;

static void *
order_client_main(void *arg)
{
	order_client *oc = arg;
	uint32_t conn;
	uint8_t *buf;
	size_t len;
	char want[32];

	oc->ok = 1;
	for (int k = 0; k < oc->n; k++) {
		if (crn_tr_recv(oc->tr, &conn, &buf, &len, 10000) != CAIRN_OK) {
			oc->ok = 0;
			return NULL;
		}
		snprintf(want, sizeof(want), "m%d", k);
		if (len != strlen(want) || memcmp(buf, want, len) != 0)
			oc->ok = 0;
		crn_free(buf, len);
	}
	return NULL;
}

/* A full queue makes the listener's send wait; queued messages arrive in
 * order once the dialer reads. */
static void
test_queue_full(void **state)
{
	order_client oc = {NULL, CRN_TR_QUEUE_MSGS, 0};
	crn_tr *lst = NULL;
	uint32_t conn;
	uint8_t *buf;
	size_t len;
	pthread_t th;
	char msg[32];
	int64_t t0, dt;
	url_fix u;

	(void)state;
	make_url(&u, 1);
	CAIRN_T_PASS(crn_tr_listen(&lst, u.url, NULL));
	CAIRN_T_PASS(crn_tr_dial(&oc.tr, u.url, NULL));
	CAIRN_T_PASS(crn_tr_send(oc.tr, 0, "hi", 2, 5000));
	CAIRN_T_PASS(crn_tr_recv(lst, &conn, &buf, &len, 5000));
	crn_free(buf, len);
	for (int k = 0; k < CRN_TR_QUEUE_MSGS; k++) {
		snprintf(msg, sizeof(msg), "m%d", k);
		CAIRN_T_PASS(crn_tr_send(lst, conn, msg, strlen(msg), 0));
	}
	t0 = now_ms();
	CAIRN_T_FAIL(crn_tr_send(lst, conn, "over", 4, 150), CAIRN_ETIMEDOUT);
	dt = now_ms() - t0;
	assert_true(dt >= 100 && dt < 2000);
	assert_int_equal(pthread_create(&th, NULL, order_client_main, &oc), 0);
	CAIRN_T_PASS(crn_tr_flush(lst, 20000));
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(oc.ok);
	crn_tr_close(oc.tr);
	crn_tr_close(lst);
}

/* A dialer that went away: the listener gives up and forgets it. */
static void
test_ack_giveup(void **state)
{
	crn_tr_opts o = {.ack_giveup_ms = 300};
	crn_tr *lst = NULL, *cl = NULL;
	uint32_t conn, c2;
	uint8_t *buf;
	size_t len;
	int64_t t0, dt;
	url_fix u;

	(void)state;
	make_url(&u, 1);
	CAIRN_T_PASS(crn_tr_listen(&lst, u.url, &o));
	CAIRN_T_PASS(crn_tr_dial(&cl, u.url, NULL));
	CAIRN_T_PASS(crn_tr_send(cl, 0, "hi", 2, 5000));
	CAIRN_T_PASS(crn_tr_recv(lst, &conn, &buf, &len, 5000));
	crn_free(buf, len);
	crn_tr_close(cl);
	CAIRN_T_PASS(crn_tr_send(lst, conn, "lost", 4, 1000));
	CAIRN_T_PASS(crn_tr_send(lst, conn, "queued", 6, 1000));
	/* Flushing gives up on the silent dialer after ack_giveup_ms. */
	t0 = now_ms();
	CAIRN_T_PASS(crn_tr_flush(lst, 5000));
	dt = now_ms() - t0;
	assert_true(dt >= 250 && dt < 2000);
	CAIRN_T_FAIL(crn_tr_send(lst, conn, "x", 1, 100), CAIRN_ECLOSED);
	CAIRN_T_FAIL(crn_tr_recv(lst, &c2, &buf, &len, 50), CAIRN_ETIMEDOUT);
	crn_tr_close(lst);
}

/* A connection silent for idle_ms is forgotten until it speaks again. */
static void
test_idle(void **state)
{
	crn_tr_opts o = {.idle_ms = 200};
	crn_tr *lst = NULL, *cl = NULL;
	uint32_t conn, c2;
	uint8_t *buf;
	size_t len;
	url_fix u;

	(void)state;
	make_url(&u, 0);
	CAIRN_T_PASS(crn_tr_listen(&lst, u.url, &o));
	CAIRN_T_PASS(crn_tr_dial(&cl, u.url, NULL));
	CAIRN_T_PASS(crn_tr_send(cl, 0, "hi", 2, 5000));
	CAIRN_T_PASS(crn_tr_recv(lst, &conn, &buf, &len, 5000));
	crn_free(buf, len);
	CAIRN_T_FAIL(crn_tr_recv(lst, &c2, &buf, &len, 400), CAIRN_ETIMEDOUT);
	CAIRN_T_FAIL(crn_tr_send(lst, conn, "x", 1, 0), CAIRN_ECLOSED);
	CAIRN_T_PASS(crn_tr_send(cl, 0, "again", 5, 5000));
	CAIRN_T_PASS(crn_tr_recv(lst, &c2, &buf, &len, 5000));
	crn_free(buf, len);
	assert_int_equal(c2, conn); /* same pipe, same id */
	CAIRN_T_PASS(crn_tr_send(lst, conn, "x", 1, 0));
	CAIRN_T_PASS(crn_tr_recv(cl, &c2, &buf, &len, 5000));
	crn_free(buf, len);
	crn_tr_close(cl);
	crn_tr_close(lst);
	drop_url(&u);
}

/* ---- listener restart -------------------------------------------------- */

static void
restart(int tcp)
{
	crn_tr_opts fast = {.reconnect_min_ms = 50, .reconnect_max_ms = 400};
	crn_tr *lst = NULL, *cl = NULL;
	uint32_t conn, c2;
	uint8_t *buf;
	size_t len;
	url_fix u;

	make_url(&u, tcp);
	CAIRN_T_PASS(crn_tr_listen(&lst, u.url, NULL));
	CAIRN_T_PASS(crn_tr_dial(&cl, u.url, &fast));
	CAIRN_T_PASS(crn_tr_send(cl, 0, "before", 6, 5000));
	CAIRN_T_PASS(crn_tr_recv(lst, &conn, &buf, &len, 5000));
	crn_free(buf, len);
	CAIRN_T_PASS(crn_tr_send(lst, conn, "r1", 2, 5000));
	CAIRN_T_PASS(crn_tr_recv(cl, &c2, &buf, &len, 5000));
	crn_free(buf, len);
	crn_tr_close(lst);
	lst = NULL;
	/* While it is down, the dialer's send times out... */
	nanosleep(&(struct timespec){.tv_nsec = 100 * 1000 * 1000}, NULL);
	CAIRN_T_FAIL(crn_tr_send(cl, 0, "lost", 4, 100), CAIRN_ETIMEDOUT);
	/* ...and after it is back, the dialer reconnects by itself. */
	CAIRN_T_PASS(crn_tr_listen(&lst, u.url, NULL));
	CAIRN_T_PASS(crn_tr_send(cl, 0, "after", 5, 10000));
	CAIRN_T_PASS(crn_tr_recv(lst, &conn, &buf, &len, 10000));
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "after", 5);
	crn_free(buf, len);
	/* The new listener starts its sequence numbers afresh; the dialer
	 * must not take its first message for a repeat. */
	CAIRN_T_PASS(crn_tr_send(lst, conn, "r2", 2, 5000));
	CAIRN_T_PASS(crn_tr_recv(cl, &c2, &buf, &len, 5000));
	assert_memory_equal(buf, "r2", 2);
	crn_free(buf, len);
	crn_tr_close(cl);
	crn_tr_close(lst);
	drop_url(&u);
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

/* Allocation failures: opening fails cleanly; a dialer that cannot keep a
 * message does not acknowledge it and gets it again. */
static void
test_oom(void **state)
{
	crn_tr *lst = NULL, *cl = NULL;
	uint32_t conn, c2;
	uint8_t *buf;
	size_t len;
	cairn_err rv;
	url_fix u;
	long n;

	(void)state;
	make_url(&u, 0);
	for (n = 0; n < 100; n++) {
		crn_alloc_fail_after(n);
		rv = crn_tr_listen(&lst, u.url, NULL);
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_OK)
			break;
		CAIRN_T_EQ(rv, CAIRN_ENOMEM);
		assert_null(lst);
	}
	assert_true(n > 0);
	for (n = 0; n < 100; n++) {
		crn_alloc_fail_after(n);
		rv = crn_tr_dial(&cl, u.url, NULL);
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_OK)
			break;
		CAIRN_T_EQ(rv, CAIRN_ENOMEM);
	}
	CAIRN_T_PASS(crn_tr_send(cl, 0, "hi", 2, 5000));
	CAIRN_T_PASS(crn_tr_recv(lst, &conn, &buf, &len, 5000));
	crn_free(buf, len);
	CAIRN_T_PASS(crn_tr_send(lst, conn, "keep", 4, 1000));
	crn_alloc_fail_after(0);
	rv = crn_tr_recv(cl, &c2, &buf, &len, 5000);
	crn_alloc_fail_after(-1);
	CAIRN_T_EQ(rv, CAIRN_ENOMEM);
	assert_null(buf);
	/* The listener resends (first after 200 ms) while it runs. */
	CAIRN_T_FAIL(crn_tr_recv(lst, &c2, &buf, &len, 400), CAIRN_ETIMEDOUT);
	CAIRN_T_PASS(crn_tr_recv(cl, &c2, &buf, &len, 5000));
	assert_int_equal(len, 4);
	assert_memory_equal(buf, "keep", 4);
	crn_free(buf, len);
	CAIRN_T_PASS(crn_tr_flush(lst, 5000));
	crn_tr_close(cl);
	crn_tr_close(lst);
	drop_url(&u);
}

/* ---- hostile peers ----------------------------------------------------- */

/*
 * A peer that speaks the scalability-protocol wire format by hand over a
 * plain TCP socket (header: 0 'S' 'P' 0, protocol id, 2 reserved bytes;
 * then each message as a 64-bit big-endian length and the bytes), so it
 * can send what no nanomsg socket would.  REQ is protocol 48, REP 49.
 */
static void
raw_timeouts(int fd)
{
	struct timeval tv = {5, 0};

	assert_int_equal(
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
}

static void
raw_read(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t r = read(fd, p, n);

		assert_true(r > 0);
		p += r;
		n -= (size_t)r;
	}
}

static void
raw_handshake(int fd, int proto)
{
	uint8_t h[8] = {0, 'S', 'P', 0, 0, (uint8_t)proto, 0, 0}, peer[8];

	assert_int_equal(write(fd, h, 8), 8);
	raw_read(fd, peer, 8);
	assert_int_equal(peer[1], 'S');
}

static void
raw_send(int fd, const void *body, size_t n)
{
	uint8_t len[8];

	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
	assert_int_equal(write(fd, len, 8), 8);
	if (n > 0)
		assert_int_equal(write(fd, body, n), (ssize_t)n);
}

/* Read one message of at most cap bytes; returns its length. */
static size_t
raw_recv(int fd, uint8_t *buf, size_t cap)
{
	uint8_t len[8];
	uint64_t n = 0;

	raw_read(fd, len, 8);
	for (int i = 0; i < 8; i++)
		n = n << 8 | len[i];
	assert_true(n <= cap);
	raw_read(fd, buf, (size_t)n);
	return (size_t)n;
}

/* label | kind | epoch | seq | data */
static size_t
raw_frame(
    uint8_t *out, int kind, uint64_t epoch, uint64_t seq, const char *data)
{
	size_t n = strlen(data);

	out[0] = 0x80;
	out[1] = 0;
	out[2] = 0;
	out[3] = 7;
	out[4] = (uint8_t)kind;
	for (int i = 0; i < 8; i++) {
		out[5 + i] = (uint8_t)(epoch >> (56 - 8 * i));
		out[13 + i] = (uint8_t)(seq >> (56 - 8 * i));
	}
	memcpy(out + 21, data, n);
	return 21 + n;
}

static int
raw_connect(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	raw_timeouts(fd);
	return fd;
}

/* Malformed frames to a listener are dropped; good traffic goes on. */
static void
test_hostile_dialer(void **state)
{
	crn_tr *lst = NULL, *cl = NULL;
	uint8_t f[256], *buf;
	uint32_t conn, evil = 0, good = 0;
	size_t len, n;
	char url[64];
	int port, fd, got_evil = 0, got_good = 0;

	(void)state;
	port = free_port();
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	CAIRN_T_PASS(crn_tr_listen(&lst, url, NULL));
	fd = raw_connect(port);
	raw_handshake(fd, 48);
	raw_send(fd, f, 0); /* empty */
	memset(f, 0, sizeof(f));
	raw_send(fd, f, 40); /* no bottom of the backtrace */
	n = raw_frame(f, 'D', 0, 0, "");
	raw_send(fd, f, 8); /* short frame */
	n = raw_frame(f, 'X', 0, 0, "what");
	raw_send(fd, f, n); /* unknown kind */
	n = raw_frame(f, 'A', 1, 99, "");
	raw_send(fd, f, n); /* stray ack */
	memset(f, 0, 40);   /* ten hops: a backtrace too long */
	f[40] = 0x80;
	raw_send(fd, f, 44 + raw_frame(f + 44, 'D', 0, 0, "deep") - 4);
	n = raw_frame(f, 'D', 0, 0, "evil");
	raw_send(fd, f, n); /* well-formed: delivered */
	CAIRN_T_PASS(crn_tr_dial(&cl, url, NULL));
	CAIRN_T_PASS(crn_tr_send(cl, 0, "good", 4, 5000));
	while (!got_evil || !got_good) {
		CAIRN_T_PASS(crn_tr_recv(lst, &conn, &buf, &len, 5000));
		assert_int_equal(len, 4);
		if (memcmp(buf, "evil", 4) == 0) {
			got_evil++;
			evil = conn;
		} else {
			assert_memory_equal(buf, "good", 4);
			got_good++;
			good = conn;
		}
		crn_free(buf, len);
	}
	CAIRN_T_FAIL(crn_tr_recv(lst, &conn, &buf, &len, 200), CAIRN_ETIMEDOUT);
	assert_int_not_equal(evil, good);
	/* The raw peer gets an addressed data frame with its own label. */
	CAIRN_T_PASS(crn_tr_send(lst, evil, "back", 4, 1000));
	n = raw_recv(fd, f, sizeof(f));
	assert_int_equal(n, 25);
	assert_int_equal(f[0], 0x80);
	assert_int_equal(f[3], 7);
	assert_int_equal(f[4], 'D');
	assert_memory_equal(f + 21, "back", 4);
	close(fd);
	crn_tr_close(cl);
	crn_tr_close(lst);
}

/* Malformed, repeated and stale frames to a dialer; an oversized one. */
static void
test_hostile_listener(void **state)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	crn_tr_opts o = {
	    .max_msg = 4096, .reconnect_min_ms = 50, .reconnect_max_ms = 100};
	crn_tr *cl = NULL;
	uint8_t f[256], *buf;
	uint32_t conn;
	size_t len, n;
	char url[64];
	int one = 1, sfd, fd;

	(void)state;
	sfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(sfd >= 0);
	assert_int_equal(
	    setsockopt(sfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(sfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(sfd, (struct sockaddr *)&sa, &sl), 0);
	assert_int_equal(listen(sfd, 4), 0);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", ntohs(sa.sin_port));
	CAIRN_T_PASS(crn_tr_dial(&cl, url, &o));
	fd = accept(sfd, NULL, NULL);
	assert_true(fd >= 0);
	raw_timeouts(fd);
	raw_handshake(fd, 49);
	raw_send(fd, "ab", 2); /* shorter than a label */
	n = raw_frame(f, 'D', 5, 1, "");
	raw_send(fd, f, 10); /* short frame */
	n = raw_frame(f, 'A', 5, 1, "");
	raw_send(fd, f, n); /* not data */
	n = raw_frame(f, 'D', 5, 1, "ok");
	raw_send(fd, f, n);
	CAIRN_T_PASS(crn_tr_recv(cl, &conn, &buf, &len, 5000));
	assert_int_equal(len, 2);
	assert_memory_equal(buf, "ok", 2);
	crn_free(buf, len);
	/* The ack names epoch 5, seq 1, after our label. */
	n = raw_recv(fd, f, sizeof(f));
	assert_int_equal(n, 21);
	assert_int_equal(f[0] & 0x80, 0x80);
	assert_int_equal(f[4], 'A');
	assert_int_equal(f[12], 5);
	assert_int_equal(f[20], 1);
	/* A repeat and an older one are acknowledged, not delivered; a new
	 * epoch (a restarted listener) starts afresh. */
	n = raw_frame(f, 'D', 5, 1, "ok");
	raw_send(fd, f, n);
	n = raw_frame(f, 'D', 5, 0, "old");
	raw_send(fd, f, n);
	n = raw_frame(f, 'D', 6, 1, "new");
	raw_send(fd, f, n);
	CAIRN_T_PASS(crn_tr_recv(cl, &conn, &buf, &len, 5000));
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "new", 3);
	crn_free(buf, len);
	CAIRN_T_FAIL(crn_tr_recv(cl, &conn, &buf, &len, 200), CAIRN_ETIMEDOUT);
	/* A length beyond max_msg: nanomsg drops the link, we carry on and
	 * the dialer reconnects. */
	memset(f, 0xff, 8);
	f[0] = 0;
	assert_int_equal(write(fd, f, 8), 8);
	CAIRN_T_FAIL(crn_tr_recv(cl, &conn, &buf, &len, 200), CAIRN_ETIMEDOUT);
	close(fd);
	fd = accept(sfd, NULL, NULL);
	assert_true(fd >= 0);
	raw_timeouts(fd);
	raw_handshake(fd, 49);
	CAIRN_T_PASS(crn_tr_send(cl, 0, "still here", 10, 5000));
	n = raw_recv(fd, f, sizeof(f));
	assert_int_equal(n, 4 + 17 + 10);
	assert_memory_equal(f + 21, "still here", 10);
	close(fd);
	close(sfd);
	crn_tr_close(cl);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_many_ipc),
    cmocka_unit_test(test_many_tcp),
    cmocka_unit_test(test_many_inproc),
    cmocka_unit_test(test_crowd),
    cmocka_unit_test(test_big_ipc),
    cmocka_unit_test(test_big_tcp),
    cmocka_unit_test(test_big_inproc),
    cmocka_unit_test(test_max_msg),
    cmocka_unit_test(test_timeouts),
    cmocka_unit_test(test_bad_urls),
    cmocka_unit_test(test_resend_dedup),
    cmocka_unit_test(test_queue_full),
    cmocka_unit_test(test_ack_giveup),
    cmocka_unit_test(test_idle),
    cmocka_unit_test(test_restart_ipc),
    cmocka_unit_test(test_restart_tcp),
    cmocka_unit_test(test_oom),
    cmocka_unit_test(test_hostile_dialer),
    cmocka_unit_test(test_hostile_listener),
};

CAIRN_TEST_MAIN(tests)
