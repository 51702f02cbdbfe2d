/*
 * auth.h: answering a session's SSH_MSG_USERAUTH_REQUESTs.
 */
#ifndef JG_AUTH_H
#define JG_AUTH_H

#include <stddef.h>

#include <libssh/libssh.h>

struct session;

/*
 * Answers one authentication request.  On success the session is
 * SESSION_OPEN with its user, key options and policy set; past
 * MaxAuthTries, or on a change of user, it is SESSION_DEAD with the
 * reason logged.  Returns 1 when it kept msg: the answer waits for
 * AuthorizedKeysCommand (a request arriving meanwhile waits behind it);
 * 0 when msg was answered and is the caller's to free.
 */
int	auth_request(struct session *s, ssh_message msg);
/* The session goes: its command killed, its waiting requests freed. */
void	auth_free(struct session *s);
/*
 * A key description as auth writes it ("ED25519 SHA256:...", sshd's
 * form) split into its type (cut to tlen) and fingerprint: type "" and
 * fp NULL when there is none.
 */
void	auth_keydesc_split(const char *keydesc, char *type, size_t tlen,
	    const char **fp);
/* Before a channel open: the policy of the worker's current config. */
void	auth_policy_refresh(struct session *s);

#endif
