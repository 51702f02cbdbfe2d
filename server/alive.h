/*
 * alive.h: the liveness timers of a session (ClientAliveInterval,
 * ClientAliveCountMax, UnusedConnectionTimeout).
 */
#ifndef JG_ALIVE_H
#define JG_ALIVE_H

struct session;

/* Creates the session's timers; called once its events exist. */
void	alive_init(struct session *s);

/* Post-pump: starts or stops the unused-connection clock. */
void	alive_post(struct session *s);

void	alive_free(struct session *s);

#endif
