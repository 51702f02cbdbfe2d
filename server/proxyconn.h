/*
 * proxyconn.h: the PROXY protocol between accept and SSH (proxyconn.c).
 */
#ifndef JG_PROXYCONN_H
#define JG_PROXYCONN_H

struct session;

/*
 * s's peer is a trusted proxy: read its header from fd (owned) without
 * blocking, then session_start(s, fd) with the carried addresses, or log
 * why not and session_discard(s).
 */
void	proxyconn_start(struct session *s, int fd);

/* Frees what proxyconn_start set up, closing fd if SSH never got it. */
void	proxyconn_free(struct session *s);

/*
 * Called before libssh's first read on a connection from any other
 * address: 1 if the client opened with a PROXY header (logged; the
 * caller drops the connection).
 */
int	proxyconn_untrusted(struct session *s);

#endif
