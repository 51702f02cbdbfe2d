/*
 * auth.h: answering a session's SSH_MSG_USERAUTH_REQUESTs.
 */
#ifndef JG_AUTH_H
#define JG_AUTH_H

#include <libssh/libssh.h>

struct session;

/*
 * Answers one authentication request (takes no ownership of msg).  On
 * success the session is SESSION_OPEN with its user, key options and
 * policy set; past MaxAuthTries, or on a change of user, it is
 * SESSION_DEAD with the reason logged.
 */
void	auth_request(struct session *s, ssh_message msg);
/* Before a channel open: the policy of the worker's current config. */
void	auth_policy_refresh(struct session *s);

#endif
