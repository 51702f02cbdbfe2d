/*
 * admin.h: the admin listener (AdminListen, AdminSocket): metrics,
 * health, the live sessions and closing one session or channel.
 */
#ifndef JG_ADMIN_H
#define JG_ADMIN_H

struct config;
struct policy_endpoint;
struct worker;

/*
 * Start-up, before the privilege drop: binds AdminListen and creates
 * AdminSocket (mode 0600, User's).  -1, logged, when either fails.
 */
int	admin_bind(const struct config *cf);
/* 1 with the TCP listener's address (never a forwarding target). */
int	admin_endpoint(struct policy_endpoint *pe);
/* Serves on a thread of its own; jobs go to the n workers. */
void	admin_start(struct worker *workers, int n);
/* 1 once the workers accept; 0 when the drain begins (any thread). */
void	admin_set_ready(int ready);
/* Stops serving; call before the workers stop, so no job follows. */
void	admin_stop(void);
/* Once the workers have stopped: answers what waits, frees, unlinks. */
void	admin_free(void);

#endif
