/*
 * sshlog.h: what jumpgate needs from libssh beyond its public API.
 *
 * Two things: sshd's per-packet debug3 lines ("receive packet: type 90"),
 * rebuilt from libssh's own packet log, and the CHANNEL_OPEN fields that
 * libssh 0.10 parses but exposes through no accessor.
 */
#ifndef JG_SSHLOG_H
#define JG_SSHLOG_H

#include <stdint.h>

#include <libssh/libssh.h>
#include <libssh/server.h>

/* Installs the libssh log bridge for the calling thread (state is TLS). */
void	sshlog_thread_init(int level);

/*
 * The sender channel, initial window and max packet of a CHANNEL_OPEN
 * message.  Returns -1 when the library's layout cannot be confirmed, in
 * which case the fields are left zero.
 */
int	sshlog_open_params(ssh_message msg, uint32_t *rchan, uint32_t *window,
	    uint32_t *maxpacket);

#endif
