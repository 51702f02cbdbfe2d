/*
 * notify.c: tells systemd (Type=notify) when the daemon is ready, when it
 * reloads and when it stops, over the AF_UNIX datagram socket named by
 * $NOTIFY_SOCKET.
 *
 * The protocol is one datagram of "KEY=value" lines per state change, so
 * it is spoken here rather than linking libsystemd for one call.  A name
 * starting with '@' is in the abstract namespace (a leading NUL byte).
 * Sends never block and failures are only logged at debug: readiness is
 * advice to the service manager, never a reason to stop serving.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

static struct {
	int			 n_fd;
	struct sockaddr_un	 n_sun;
	socklen_t		 n_len;
} notify = { .n_fd = -1 };

void
notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	if (path == NULL || *path == '\0')
		return;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') ||
	    len >= sizeof(notify.n_sun.sun_path)) {
		log_error("%s: NOTIFY_SOCKET \"%.100s\" is not a socket path: "
		    "ignored", __func__, path);
		return;
	}
	if ((notify.n_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1) {
		log_error("%s: socket: %s", __func__, strerror(errno));
		return;
	}
	notify.n_sun.sun_family = AF_UNIX;
	memcpy(notify.n_sun.sun_path, path, len);
	if (path[0] == '@')
		notify.n_sun.sun_path[0] = '\0';
	/* Abstract names are exactly len bytes long, with no NUL after. */
	notify.n_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    len + (path[0] == '@' ? 0 : 1));
	log_debug("%s: notifying %.100s", __func__, path);
}

void
notify_send(const char *msg)
{
	if (notify.n_fd == -1)
		return;
	if (sendto(notify.n_fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (struct sockaddr *)&notify.n_sun, notify.n_len) == -1)
		log_debug("%s: %s: %s", __func__, msg, strerror(errno));
}

void
notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
	notify_send(msg);
}

void
notify_free(void)
{
	if (notify.n_fd != -1)
		close(notify.n_fd);
	notify.n_fd = -1;
}
