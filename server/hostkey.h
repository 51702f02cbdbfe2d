/*
 * hostkey.h: the server's host keys and the embedded demo's files.
 */
#ifndef JG_HOSTKEY_H
#define JG_HOSTKEY_H

#include <stddef.h>

struct config;

#define HOSTKEY_MAX 8

/*
 * Fills paths with the host keys to load: the configured ones, or the
 * state directory's ed25519 key, generated on first start.  With
 * check_only, nothing is generated.  Returns the count, or -1.
 */
int	hostkey_prepare(const struct config *cf, int check_only,
	    char **paths, int max);

/*
 * The embedded demo: a client key "demo" allowed by the demo's
 * AuthorizedKeysFile, a known_hosts and an ssh_config for it, and the
 * ssh command lines to try printed on stdout.
 */
int	hostkey_demo_setup(const struct config *cf, char *const *hostkeys,
	    int nhostkeys, const char *host, int port);

/* The directory to keep state in when none is configured. */
void	hostkey_default_state_dir(char *buf, size_t len);

#endif
