/*
 * log.c: the one place where jumpgate writes log lines.
 *
 * Lines are formatted and escaped into a stack buffer and written with a
 * single write(2) (or syslog(3)), so threads never interleave inside a line
 * and no lock is needed.  The format is sshd's: debug levels carry a
 * "debugN: " prefix, everything else is bare.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

int log_current_level = LOG_LVL_INFO;
static enum log_sink log_sink_kind = LOG_SINK_STDERR;
static int log_fd = STDERR_FILENO;

static const struct {
	const char	*name;
	int		 level;
} log_levels[] = {
	{ "QUIET", LOG_LVL_QUIET },
	{ "FATAL", LOG_LVL_FATAL },
	{ "ERROR", LOG_LVL_ERROR },
	{ "INFO", LOG_LVL_INFO },
	{ "VERBOSE", LOG_LVL_VERBOSE },
	{ "DEBUG", LOG_LVL_DEBUG1 },
	{ "DEBUG1", LOG_LVL_DEBUG1 },
	{ "DEBUG2", LOG_LVL_DEBUG2 },
	{ "DEBUG3", LOG_LVL_DEBUG3 },
};

static const struct {
	const char	*name;
	int		 facility;
} log_facilities[] = {
	{ "DAEMON", LOG_DAEMON }, { "USER", LOG_USER },
	{ "AUTH", LOG_AUTH }, { "AUTHPRIV", LOG_AUTHPRIV },
	{ "LOCAL0", LOG_LOCAL0 }, { "LOCAL1", LOG_LOCAL1 },
	{ "LOCAL2", LOG_LOCAL2 }, { "LOCAL3", LOG_LOCAL3 },
	{ "LOCAL4", LOG_LOCAL4 }, { "LOCAL5", LOG_LOCAL5 },
	{ "LOCAL6", LOG_LOCAL6 }, { "LOCAL7", LOG_LOCAL7 },
};

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

int
log_level_parse(const char *name)
{
	size_t i;

	for (i = 0; i < NITEMS(log_levels); i++)
		if (strcasecmp(name, log_levels[i].name) == 0)
			return log_levels[i].level;
	return -1;
}

const char *
log_level_name(int level)
{
	size_t i;

	for (i = 0; i < NITEMS(log_levels); i++)
		if (log_levels[i].level == level)
			return log_levels[i].name;
	return "UNKNOWN";
}

int
log_facility_parse(const char *name)
{
	size_t i;

	for (i = 0; i < NITEMS(log_facilities); i++)
		if (strcasecmp(name, log_facilities[i].name) == 0)
			return log_facilities[i].facility;
	return -1;
}

const char *
log_facility_name(int facility)
{
	size_t i;

	for (i = 0; i < NITEMS(log_facilities); i++)
		if (log_facilities[i].facility == facility)
			return log_facilities[i].name;
	return "UNKNOWN";
}

int
log_init(const char *ident, int level, enum log_sink sink, const char *path,
    int facility)
{
	int fd;

	log_current_level = level;
	log_sink_kind = sink;
	switch (sink) {
	case LOG_SINK_SYSLOG:
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
		break;
	case LOG_SINK_STDERR:
		log_fd = STDERR_FILENO;
		break;
	case LOG_SINK_FILE:
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		    0600);
		if (fd == -1)
			return -1;
		if (log_fd > STDERR_FILENO)
			close(log_fd);
		log_fd = fd;
		break;
	}
	return 0;
}

void
log_set_level(int level)
{
	log_current_level = level;
}

int
log_get_level(void)
{
	return log_current_level;
}

size_t
log_escape(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t di = 0, si;
	unsigned char c;
	char esc[5];
	size_t elen;

	if (dstlen == 0)
		return 0;
	for (si = 0; si < srclen && src[si] != '\0'; si++) {
		c = (unsigned char)src[si];
		if (c == '\\') {
			memcpy(esc, "\\\\", 2);
			elen = 2;
		} else if (c < 0x20 || c >= 0x7f) {
			snprintf(esc, sizeof(esc), "\\%03o", c);
			elen = 4;
		} else {
			esc[0] = (char)c;
			elen = 1;
		}
		if (di + elen >= dstlen)
			break;
		memcpy(dst + di, esc, elen);
		di += elen;
	}
	dst[di] = '\0';
	return di;
}

static void log_write(int, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
log_write(int level, const char *fmt, va_list ap)
{
	char raw[LOG_MSG_MAX], line[LOG_MSG_MAX * 4 + 16];
	const char *prefix = "";
	size_t len;
	int saved_errno = errno, prio;

	vsnprintf(raw, sizeof(raw), fmt, ap);
	switch (level) {
	case LOG_LVL_DEBUG1: prefix = "debug1: "; prio = LOG_DEBUG; break;
	case LOG_LVL_DEBUG2: prefix = "debug2: "; prio = LOG_DEBUG; break;
	case LOG_LVL_DEBUG3: prefix = "debug3: "; prio = LOG_DEBUG; break;
	case LOG_LVL_VERBOSE:
	case LOG_LVL_INFO: prio = LOG_INFO; break;
	case LOG_LVL_ERROR: prio = LOG_ERR; break;
	default: prio = LOG_CRIT; break;
	}
	if (log_sink_kind == LOG_SINK_SYSLOG) {
		len = strlen(prefix);
		memcpy(line, prefix, len);
		log_escape(line + len, sizeof(line) - len, raw, sizeof(raw));
		syslog(prio, "%s", line);
	} else {
		len = strlen(prefix);
		memcpy(line, prefix, len);
		len += log_escape(line + len, sizeof(line) - len - 1, raw,
		    sizeof(raw));
		line[len++] = '\n';
		/* One write per line: atomic with O_APPEND, no lock needed. */
		if (write(log_fd, line, len) < 0) {
			/* Nowhere left to report a failing log sink. */
		}
	}
	errno = saved_errno;
}

void
log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_write(level, fmt, ap);
	va_end(ap);
}

static int log_fatal_status = LOG_EXIT_CONFIG;

void
log_set_fatal_status(int status)
{
	log_fatal_status = status;
}

void
log_fatal(const char *fmt, ...)
{
	va_list ap;

	if (log_enabled(LOG_LVL_FATAL)) {
		va_start(ap, fmt);
		log_write(LOG_LVL_FATAL, fmt, ap);
		va_end(ap);
	}
	exit(log_fatal_status);
}
