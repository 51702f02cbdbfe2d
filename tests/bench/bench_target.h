/* jgbench: the local TCP targets the forwarded channels connect to. */
#ifndef JGBENCH_TARGET_H
#define JGBENCH_TARGET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

enum target_mode {
	TARGET_ECHO,	/* echo every byte; close after the peer's EOF */
	TARGET_HOLD,	/* read and discard; close only after the peer's EOF */
	TARGET_SINK,	/* count bytes until EOF (one thread per connection) */
	TARGET_SOURCE,	/* send source_bytes, then close (one thread each) */
};

struct econn;

/*
 * The serving threads are detached and run until the process exits, still
 * closing connections (and counting them in `open`) after the caller is
 * done: a struct target must have static storage, never live on a stack.
 */
struct target {
	enum target_mode mode;
	int		lfd;
	int		port;
	uint64_t	source_bytes;
	pthread_t	thread;
	atomic_ullong	accepted;	/* connections accepted */
	atomic_ullong	open;		/* connections currently open */
	atomic_ullong	sink_last;	/* bytes the last finished sink read */
	atomic_int	sink_done;	/* sinks that reached EOF */
	struct econn	*conns;		/* echo/hold connections (epoll thread) */
};

/* Listens on 127.0.0.1, an ephemeral port, and serves in a thread. */
int target_start(struct target *t, enum target_mode mode,
    uint64_t source_bytes);

#endif
