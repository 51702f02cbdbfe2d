/* jgbench: the local TCP targets the forwarded channels connect to. */
#include "bench_target.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define ECHO_BUF 4096

struct econn {
	struct econn *prev, *next;	/* t->conns; reachable for LeakSanitizer */
	int	fd;
	int	eof;		/* peer sent EOF; close once flushed */
	size_t	off, len;	/* unsent echo bytes */
	char	buf[];		/* ECHO_BUF bytes for echo, none for hold */
};

struct tconn {
	struct target	*t;
	int		fd;
};

static void
econn_close(struct target *t, int ep, struct econn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		t->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	free(c);
	atomic_fetch_sub(&t->open, 1);
}

/* Returns 0 to keep the connection, -1 when it was closed. */
static int
econn_flush(struct target *t, int ep, struct econn *c)
{
	struct epoll_event ev;

	while (c->off < c->len) {
		ssize_t w = write(c->fd, c->buf + c->off, c->len - c->off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			ev.events = EPOLLOUT;
			ev.data.ptr = c;
			epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			return 0;
		}
		if (w <= 0) {
			econn_close(t, ep, c);
			return -1;
		}
		c->off += (size_t)w;
	}
	c->off = c->len = 0;
	if (c->eof) {
		econn_close(t, ep, c);
		return -1;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	return 0;
}

static void
econn_input(struct target *t, int ep, struct econn *c)
{
	static char discard[65536];

	for (;;) {
		ssize_t r;

		if (t->mode == TARGET_HOLD)
			r = read(c->fd, discard, sizeof(discard));
		else
			r = read(c->fd, c->buf, ECHO_BUF);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r < 0) {
			econn_close(t, ep, c);
			return;
		}
		if (r == 0) {
			c->eof = 1;
			if (t->mode == TARGET_HOLD || c->len == 0)
				econn_close(t, ep, c);
			return;
		}
		if (t->mode == TARGET_HOLD)
			continue;
		c->off = 0;
		c->len = (size_t)r;
		if (econn_flush(t, ep, c) != 0 || c->len != 0)
			return;	/* closed, or waiting for EPOLLOUT */
	}
}

static void *
epoll_main(void *arg)
{
	struct target *t = arg;
	struct epoll_event evs[256], ev;
	int ep, i, n, one = 1;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		perror("epoll_create1");
		exit(1);
	}
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, t->lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			struct econn *c = evs[i].data.ptr;

			if (c == NULL) {
				int fd;

				while ((fd = accept4(t->lfd, NULL, NULL,
				    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					size_t sz = sizeof(*c) +
					    (t->mode == TARGET_ECHO ? ECHO_BUF : 0);

					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY,
					    &one, sizeof(one));
					if ((c = calloc(1, sz)) == NULL)
						abort();
					c->fd = fd;
					if ((c->next = t->conns) != NULL)
						c->next->prev = c;
					t->conns = c;
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
					atomic_fetch_add(&t->accepted, 1);
					atomic_fetch_add(&t->open, 1);
				}
				if (errno == EMFILE || errno == ENFILE) {
					fprintf(stderr, "target: accept: %s\n",
					    strerror(errno));
					usleep(10000);
				}
				continue;
			}
			if (evs[i].events & EPOLLOUT)
				econn_flush(t, ep, c);
			else
				econn_input(t, ep, c);
		}
	}
	return NULL;
}

static void *
stream_conn(void *arg)
{
	struct tconn *tc = arg;
	struct target *t = tc->t;
	static char buf[262144];
	uint64_t total = 0;
	ssize_t r;

	if (t->mode == TARGET_SINK) {
		while ((r = read(tc->fd, buf, sizeof(buf))) != 0) {
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				break;
			total += (uint64_t)r;
		}
		atomic_store(&t->sink_last, total);
		atomic_fetch_add(&t->sink_done, 1);
	} else {
		while (total < t->source_bytes) {
			uint64_t left = t->source_bytes - total;
			size_t chunk = left < sizeof(buf) ? (size_t)left :
			    sizeof(buf);

			r = write(tc->fd, buf, chunk);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			total += (uint64_t)r;
		}
	}
	close(tc->fd);
	atomic_fetch_sub(&t->open, 1);
	free(tc);
	return NULL;
}

static void *
stream_main(void *arg)
{
	struct target *t = arg;
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		struct tconn *tc;
		pthread_t th;
		int fd;

		if ((fd = accept4(t->lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
			if (errno != EINTR && errno != ECONNABORTED)
				usleep(10000);
			continue;
		}
		if ((tc = malloc(sizeof(*tc))) == NULL)
			abort();
		tc->t = t;
		tc->fd = fd;
		atomic_fetch_add(&t->accepted, 1);
		atomic_fetch_add(&t->open, 1);
		if (pthread_create(&th, &attr, stream_conn, tc) != 0) {
			close(fd);
			atomic_fetch_sub(&t->open, 1);
			free(tc);
		}
	}
	return NULL;
}

int
target_start(struct target *t, enum target_mode mode, uint64_t source_bytes)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int one = 1, fl = 0;

	memset(t, 0, sizeof(*t));
	t->mode = mode;
	t->source_bytes = source_bytes;
	if (mode == TARGET_ECHO || mode == TARGET_HOLD)
		fl = SOCK_NONBLOCK;
	if ((t->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | fl, 0)) < 0)
		return -1;
	setsockopt(t->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(t->lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(t->lfd, 4096) != 0 ||
	    getsockname(t->lfd, (struct sockaddr *)&sin, &sl) != 0) {
		close(t->lfd);
		return -1;
	}
	t->port = ntohs(sin.sin_port);
	if (pthread_create(&t->thread, NULL,
	    (mode == TARGET_ECHO || mode == TARGET_HOLD) ? epoll_main :
	    stream_main, t) != 0)
		return -1;
	pthread_detach(t->thread);
	return 0;
}
