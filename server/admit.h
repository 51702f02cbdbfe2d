/*
 * admit.h: the daemon-wide budgets every worker draws from.
 *
 * MaxStartups and PerSourceMaxStartups count unauthenticated connections,
 * MaxChannelsPerUser and MaxChannelsPerSource count channels; a session
 * may be on any worker, so the counts live here, behind mutexes.
 */
#ifndef JG_ADMIT_H
#define JG_ADMIT_H

#include <stddef.h>

struct config;

/* Before any worker starts; admit_free after they all stopped. */
void	admit_init(const struct config *cf);
void	admit_free(void);
/* New limits from a reload (main thread); the counts are kept. */
void	admit_reconfigure(const struct config *cf);

/*
 * A connection just accepted on fd.  0: it now counts against
 * MaxStartups and its PerSourceNetBlockSize netblock until
 * admit_startup_done(peer).  -1: drop it (sshd's lines are logged and its
 * notice written to fd; the caller closes).
 */
int	admit_startup(int fd, const char *peer, int pport, const char *local,
	    int lport);
/* Authenticated or closed: the connection no longer counts. */
void	admit_startup_done(const char *peer);

/*
 * One more channel for user from source address src, unless that would
 * pass MaxChannelsPerUser or MaxChannelsPerSource: then -1, and why
 * names the cap ("MaxChannelsPerUser 8 reached for user alice").
 */
int	admit_channel_attach(const char *user, const char *src, char *why,
	    size_t whylen);
void	admit_channel_detach(const char *user, const char *src);

#endif
