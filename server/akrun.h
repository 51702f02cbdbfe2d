/*
 * akrun.h: running AuthorizedKeysCommand for a session, off the worker's
 * loop, and the cache of what it printed.
 */
#ifndef JG_AKRUN_H
#define JG_AKRUN_H

#include <stddef.h>

#include <libssh/libssh.h>

struct config;
struct session;
struct worker;

/*
 * Called on the session's worker once the run is over: out is what the
 * command printed (exit status 0), or NULL when it was refused (failed,
 * timed out, printed too much; already logged).  out is the job's: copy
 * what must outlive the call.
 */
typedef void (*akrun_done_fn)(struct session *s, const char *out,
	    size_t len);

/*
 * Main thread, at start-up and each reload, before a worker sees cf:
 * looks AuthorizedKeysCommandUser up (NSS may block) and checks that
 * this kernel can watch a child (pidfd).  -1 with the reason logged.
 */
int	akrun_resolve(struct config *cf);

/*
 * Runs the command for key and the session's user.  1: running, done
 * comes later (the session holds the job until then or akrun_cancel).
 * 0: answered from the cache, *out (free it) and *len set.  -1: not run,
 * the reason logged.
 */
int	akrun_start(struct session *s, const ssh_key key, akrun_done_fn done,
	    char **out, size_t *len);
/* The session goes: its command is killed, done is never called. */
void	akrun_cancel(struct session *s);
/* Worker shutdown: kills and reaps what is left (blocks briefly). */
void	akrun_worker_free(struct worker *w);
/* At exit, after the workers: empties the cache. */
void	akrun_cache_free(void);

#endif
