/*
 * ctl.c: `jumpgate ctl`, the command line end of AdminSocket.
 *
 * One HTTP/1.0 request per run over the Unix socket, blocking (this is
 * a short-lived command, not a worker), every read and write bounded by
 * a timeout and the answer by a size.  The server does the work and the
 * formatting: ctl prints the body (the session table, its JSON, or the
 * server's message) and exits 0 for a 2xx answer, 1 otherwise.  The
 * socket's path comes from -S or from the configuration the daemon
 * would read, through the same loader.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "str.h"
#include "version.h"

/* Seconds per read or write; bytes of answer (a very busy server's list). */
#define CTL_TIMEOUT	10
#define CTL_ANSWER_MAX	(64 * 1024 * 1024)

static void __attribute__((noreturn))
ctl_usage(void)
{
	fprintf(stderr,
	    "usage: jumpgate ctl [-f config_file] [-S socket] sessions "
	    "[--json]\n"
	    "       jumpgate ctl [-f config_file] [-S socket] close-session "
	    "id\n"
	    "       jumpgate ctl [-f config_file] [-S socket] close-channel "
	    "id channel\n");
	exit(2);
}

/* The path of AdminSocket in config_file (or the default file). */
static char *
ctl_socket_path(const char *file)
{
	struct config *cf;
	char err[CONFIG_ERR_MAX];
	char *path = NULL;

	if (file == NULL && access(CONFIG_DEFAULT_PATH, F_OK) == 0)
		file = CONFIG_DEFAULT_PATH;
	if (file == NULL) {
		fprintf(stderr, "jumpgate ctl: no %s; give the socket with "
		    "-S\n", CONFIG_DEFAULT_PATH);
		return NULL;
	}
	cf = config_new();
	if (config_load_file(cf, file, err, sizeof(err)) == -1) {
		fprintf(stderr, "jumpgate ctl: %s\n", err);
		goto out;
	}
	config_finalize(cf);
	if (strcmp(cf->c_admin_socket, "none") == 0)
		fprintf(stderr, "jumpgate ctl: %s sets no AdminSocket; give "
		    "one with -S\n", file);
	else
		path = xstrdup(cf->c_admin_socket);
out:
	config_unref(cf);
	return path;
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un sun;
	struct timeval tv = { CTL_TIMEOUT, 0 };
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "jumpgate ctl: %s: path too long\n", path);
		return -1;
	}
	str_lcpy(sun.sun_path, path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		fprintf(stderr, "jumpgate ctl: socket: %s\n", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "jumpgate ctl: cannot connect to %s: %s "
		    "(is jumpgate running with AdminSocket %s?)\n", path,
		    strerror(errno), path);
		close(fd);
		return -1;
	}
	return fd;
}

static int
ctl_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The whole answer, up to CTL_ANSWER_MAX; NULL with a message. */
static char *
ctl_read_all(int fd, size_t *lenp)
{
	char *buf = NULL;
	size_t len = 0, size = 0;
	ssize_t n;

	for (;;) {
		if (len + 1 >= size) {
			if (size >= CTL_ANSWER_MAX) {
				fprintf(stderr, "jumpgate ctl: answer larger "
				    "than %d bytes\n", CTL_ANSWER_MAX);
				goto fail;
			}
			size = size ? size * 2 : 16384;
			buf = xreallocarray(buf, size, 1);
		}
		if ((n = read(fd, buf + len, size - len - 1)) == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "jumpgate ctl: read: %s\n",
			    errno == EAGAIN ? "no answer in time" :
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
fail:
	free(buf);
	return NULL;
}

/* Sends the request and prints the answer: the exit status. */
static int
ctl_request(const char *path, const char *method, const char *target)
{
	char req[512], *ans = NULL, *body;
	size_t len;
	int fd, code, rc = 1;

	if ((fd = ctl_connect(path)) == -1)
		return 1;
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: localhost\r\n"
	    "Content-Length: 0\r\n\r\n", method, target);
	if (ctl_write_all(fd, req, strlen(req)) == -1) {
		fprintf(stderr, "jumpgate ctl: write: %s\n", strerror(errno));
		goto out;
	}
	if ((ans = ctl_read_all(fd, &len)) == NULL)
		goto out;
	if (sscanf(ans, "HTTP/1.%*d %d", &code) != 1 ||
	    (body = strstr(ans, "\r\n\r\n")) == NULL) {
		fprintf(stderr, "jumpgate ctl: not an HTTP answer from %s\n",
		    path);
		goto out;
	}
	body += 4;
	if (code >= 200 && code < 300) {
		fputs(body, stdout);
		rc = 0;
	} else
		fprintf(stderr, "jumpgate ctl: %d: %s", code, body);
out:
	free(ans);
	close(fd);
	return rc;
}

/* A session or channel id: digits only, so it is safe in a path. */
static const char *
ctl_id(const char *s)
{
	if (*s == '\0' || strlen(s) > 20 || strspn(s, "0123456789") !=
	    strlen(s))
		ctl_usage();
	return s;
}

int
ctl_main(int argc, char **argv)
{
	const char *file = NULL, *cmd;
	char *path = NULL, target[128];
	int ch, rc;

	/* '+': stop at the command, whose own arguments follow it. */
	while ((ch = getopt(argc, argv, "+f:S:")) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			break;
		case 'S':
			path = xstrdup(optarg);
			break;
		default:
			ctl_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		ctl_usage();
	cmd = argv[0];
	if (strcmp(cmd, "sessions") == 0 && (argc == 1 || (argc == 2 &&
	    strcmp(argv[1], "--json") == 0)))
		snprintf(target, sizeof(target), "/sessions%s", argc == 1 ?
		    "?format=text" : "");
	else if (strcmp(cmd, "close-session") == 0 && argc == 2)
		snprintf(target, sizeof(target), "/sessions/%s/close",
		    ctl_id(argv[1]));
	else if (strcmp(cmd, "close-channel") == 0 && argc == 3)
		snprintf(target, sizeof(target),
		    "/sessions/%s/channels/%s/close", ctl_id(argv[1]),
		    ctl_id(argv[2]));
	else
		ctl_usage();
	if (path == NULL && (path = ctl_socket_path(file)) == NULL)
		return 1;
	rc = ctl_request(path, strcmp(cmd, "sessions") == 0 ? "GET" : "POST",
	    target);
	free(path);
	return rc;
}
