/*
 * relay.h: moving a confirmed channel's bytes between libssh and its
 * target socket, with flow control and half-close (relay.c).
 */
#ifndef JG_RELAY_H
#define JG_RELAY_H

struct channel;

/* The open is confirmed: install the callbacks, start reading the target. */
void	relay_start(struct channel *ch);

/*
 * Client -> target: writes what is queued, tops it up from libssh, and
 * after the client's EOF shuts the target's write side once drained.
 */
void	relay_output(struct channel *ch);

/*
 * Post-pump: acts on the EOF and CLOSE the callbacks flagged, resumes
 * blocked reads, sends our EOF once the target's bytes are out.  1 when
 * both halves are closed and the channel may send its CLOSE.
 */
int	relay_post(struct channel *ch);

/*
 * Closes an open channel now (ChannelTimeout, an admin request): EOF and
 * CLOSE to the client, the target's socket shut, queued bytes dropped.
 * reason (static) becomes ch_close_reason unless one is set.
 */
void	relay_force_close(struct channel *ch, const char *reason);

#endif
