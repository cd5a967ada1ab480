/* certlink tests: a scripted HTTP/1.1 responder on a loopback port the OS picks, in a thread.
 *
 * Each accepted connection reads one request (headers and Content-Length body), appends it to a log, and
 * answers with the next step of a script (the last step repeats): a status with headers and a body, a
 * delay, a connection that hangs until the test stops the responder, or a close without a reply. A
 * keep_alive step leaves the connection open for the next request (HTTP keep-alive); connections counts
 * the connections accepted, served the requests answered. With an
 * SSL_CTX it speaks TLS, so tests can also check what reached a TLS server. Header-only, for tests.
 */
#ifndef CL_TEST_RESPONDER_H
#define CL_TEST_RESPONDER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

struct responder_step {
	int status;          /* 0: close the connection without replying */
	const char *headers; /* extra header lines, each ending in "\r\n", or NULL */
	const char *body;    /* NULL: empty */
	size_t body_repeat;  /* send body this many times (0 means once), for large replies */
	int delay_ms;        /* wait before replying */
	bool hang;           /* never reply; hold the connection until responder_stop() */
	bool no_length;      /* no Content-Length: the reply ends when the connection closes */
	bool keep_alive;     /* no "Connection: close": read the next request on the same connection */
};

struct responder {
	int listen_fd;
	int port;
	SSL_CTX *tls;
	SSL_CTX *tls_later; /* when set, the certificate of every connection after the first */
	const struct responder_step *steps;
	int nsteps;
	atomic_int served;
	atomic_int connections;
	atomic_int stop;
	pthread_mutex_t lock;
	char log[256 * 1024]; /* every request received, raw */
	size_t log_len;
	pthread_t thread;
};

struct responder_conn {
	int fd;
	SSL *ssl;
};

static inline int responder_io(struct responder_conn *c, void *buf, size_t n, bool write)
{
	if (c->ssl)
		return write ? SSL_write(c->ssl, buf, (int)n) : SSL_read(c->ssl, buf, (int)n);
	return (int)(write ? send(c->fd, buf, n, MSG_NOSIGNAL) : recv(c->fd, buf, n, 0));
}

static inline void responder_wait(struct responder *r, int ms)
{
	for (int t = 0; t < ms && !atomic_load(&r->stop); t += 10)
		usleep(10 * 1000);
}

/* Read headers and a Content-Length body (requests stay small in tests); log them. Returns the bytes read
 * (0: the client closed the connection). */
static inline size_t responder_read_request(struct responder *r, struct responder_conn *c)
{
	char buf[64 * 1024];
	size_t len = 0, want = 0;
	char *end = NULL, *cl;
	int n;

	while (len < sizeof(buf) - 1 && (n = responder_io(c, buf + len, sizeof(buf) - 1 - len, false)) > 0) {
		len += (size_t)n;
		buf[len] = '\0';
		if (!end && (end = strstr(buf, "\r\n\r\n")) != NULL) {
			cl = strcasestr(buf, "\r\nContent-Length:");
			want = (size_t)(end - buf) + 4 + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (end && len >= want)
			break;
	}
	pthread_mutex_lock(&r->lock);
	if (len > sizeof(r->log) - r->log_len)
		len = sizeof(r->log) - r->log_len;
	memcpy(r->log + r->log_len, buf, len);
	r->log_len += len;
	pthread_mutex_unlock(&r->lock);
	return len;
}

static inline void responder_reply(struct responder *r, struct responder_conn *c,
                                   const struct responder_step *s)
{
	char head[1024];
	size_t blen = s->body ? strlen(s->body) : 0, reps = s->body_repeat ? s->body_repeat : 1;
	int n;

	responder_wait(r, s->delay_ms);
	if (s->hang) {
		responder_wait(r, 600 * 1000);
		return;
	}
	if (s->status == 0)
		return;
	n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\n%s%s", s->status,
	             s->keep_alive ? "" : "Connection: close\r\n", s->headers ? s->headers : "");
	if (!s->no_length)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "Content-Length: %zu\r\n", blen * reps);
	n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
	if (responder_io(c, head, (size_t)n, true) != n)
		return;
	for (size_t i = 0; i < reps && blen; i++)
		if (responder_io(c, (void *)s->body, blen, true) != (int)blen)
			return;
}

static inline void responder_serve(struct responder *r, int fd)
{
	struct responder_conn c = { fd, NULL };
	const struct responder_step *s;
	int i;

	i = atomic_fetch_add(&r->connections, 1);
	if (r->tls) {
		c.ssl = SSL_new(r->tls_later && i > 0 ? r->tls_later : r->tls);
		SSL_set_fd(c.ssl, fd);
		if (SSL_accept(c.ssl) != 1)
			goto out;
	}
	do {
		if (responder_read_request(r, &c) == 0)
			break;
		i = atomic_fetch_add(&r->served, 1);
		s = &r->steps[i < r->nsteps ? i : r->nsteps - 1];
		responder_reply(r, &c, s);
	} while (s->keep_alive && !s->hang && s->status != 0 && !atomic_load(&r->stop));
	if (c.ssl)
		SSL_shutdown(c.ssl);
out:
	SSL_free(c.ssl);
	close(fd);
}

static inline void *responder_main(void *arg)
{
	struct responder *r = arg;
	struct pollfd p = { .fd = r->listen_fd, .events = POLLIN };
	int fd;

	while (!atomic_load(&r->stop)) {
		if (poll(&p, 1, 20) <= 0)
			continue;
		fd = accept(r->listen_fd, NULL, NULL);
		if (fd >= 0)
			responder_serve(r, fd);
	}
	return NULL;
}

/* A loopback TCP listener on a port the OS picks; returns the fd, port in *port. */
static inline int responder_listen(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* A port nobody listens on: bound by the OS, then closed. */
static inline int responder_closed_port(void)
{
	int port = 0, fd = responder_listen(&port);

	if (fd >= 0)
		close(fd);
	return port;
}

static inline bool responder_start(struct responder *r, const struct responder_step *steps, int nsteps,
                                   SSL_CTX *tls)
{
	memset(r, 0, sizeof(*r));
	r->steps = steps;
	r->nsteps = nsteps;
	r->tls = tls;
	pthread_mutex_init(&r->lock, NULL);
	r->listen_fd = responder_listen(&r->port);
	return r->listen_fd >= 0 && pthread_create(&r->thread, NULL, responder_main, r) == 0;
}

/* A TLS responder that shows FIRST's certificate on its first connection and LATER's on every other: a
 * server that passes an identity check on one connection and is someone else on the next. */
static inline bool responder_start_switching(struct responder *r, const struct responder_step *steps,
                                             int nsteps, SSL_CTX *first, SSL_CTX *later)
{
	memset(r, 0, sizeof(*r));
	r->steps = steps;
	r->nsteps = nsteps;
	r->tls = first;
	r->tls_later = later;
	pthread_mutex_init(&r->lock, NULL);
	r->listen_fd = responder_listen(&r->port);
	return r->listen_fd >= 0 && pthread_create(&r->thread, NULL, responder_main, r) == 0;
}

static inline void responder_stop(struct responder *r)
{
	atomic_store(&r->stop, 1);
	pthread_join(r->thread, NULL);
	close(r->listen_fd);
	pthread_mutex_destroy(&r->lock);
}

/* True when the request log contains needle (requests are text in these tests). */
static inline bool responder_saw(struct responder *r, const char *needle)
{
	bool found;

	pthread_mutex_lock(&r->lock);
	r->log[r->log_len < sizeof(r->log) ? r->log_len : sizeof(r->log) - 1] = '\0';
	found = strstr(r->log, needle) != NULL;
	pthread_mutex_unlock(&r->lock);
	return found;
}

#endif
