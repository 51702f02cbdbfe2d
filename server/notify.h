/*
 * notify.h: systemd's readiness protocol (sd_notify), spoken directly.
 */
#ifndef JG_NOTIFY_H
#define JG_NOTIFY_H

/*
 * Reads $NOTIFY_SOCKET once; without it every notify_send does nothing.
 * Main thread only, before the workers start.
 */
void	notify_init(void);
/* One datagram ("READY=1", "STOPPING=1"); never blocks. */
void	notify_send(const char *msg);
/* RELOADING=1 with the MONOTONIC_USEC systemd wants beside it. */
void	notify_reloading(void);
void	notify_free(void);

#endif
