/*
 * log.h: sshd-style logging for every thread of jumpgate.
 *
 * Levels and prefixes follow OpenSSH's log.c so that operators can grep the
 * same lines they know from sshd ("debug1: ...", bare INFO lines).  Every
 * message is escaped before it is written: a client-controlled string can
 * never start a line of its own.
 */
#ifndef JG_LOG_H
#define JG_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LVL_QUIET = 0,
	LOG_LVL_FATAL,
	LOG_LVL_ERROR,
	LOG_LVL_INFO,
	LOG_LVL_VERBOSE,
	LOG_LVL_DEBUG1,
	LOG_LVL_DEBUG2,
	LOG_LVL_DEBUG3,
};

enum log_sink {
	LOG_SINK_SYSLOG = 0,
	LOG_SINK_STDERR,
	LOG_SINK_FILE,
};

/* Longest message written, as sshd's MSGBUFSIZ; longer ones are cut. */
#define LOG_MSG_MAX 1024

int		 log_level_parse(const char *name);
const char	*log_level_name(int level);
int		 log_facility_parse(const char *name);
const char	*log_facility_name(int facility);

/* Opens the sink; for LOG_SINK_FILE, returns -1 with errno set on failure. */
int		 log_init(const char *ident, int level, enum log_sink sink,
		    const char *path, int facility);
void		 log_set_level(int level);
int		 log_get_level(void);
static inline int log_enabled(int level);

void		 log_msg(int level, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		 log_fatal(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2), noreturn));

/*
 * log_fatal's exit status: LOG_EXIT_CONFIG (sshd's 255) until start-up is
 * done, then LOG_EXIT_RUNTIME, so that systemd's RestartPreventExitStatus
 * keeps a bad configuration from restarting in a loop but restarts a
 * daemon that ran out of memory.
 */
#define LOG_EXIT_CONFIG		255
#define LOG_EXIT_RUNTIME	71	/* EX_OSERR */
void		 log_set_fatal_status(int status);

/*
 * Escapes src (at most srclen bytes, stopping at NUL) into dst as OpenSSH's
 * strnvis(VIS_SAFE|VIS_OCTAL) does: control bytes, DEL, bytes >= 0x80 and
 * the backslash become \ooo or \\.  Always NUL-terminates dst; returns the
 * length written.  Truncates at a character boundary, never mid-escape.
 */
size_t		 log_escape(char *dst, size_t dstlen, const char *src,
		    size_t srclen);

extern int log_current_level;

static inline int
log_enabled(int level)
{
	return level <= log_current_level;
}

#define log_error(...)	 log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_info(...)	 log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_verbose(...) log_msg(LOG_LVL_VERBOSE, __VA_ARGS__)
/* The debug macros skip argument evaluation when the level is off. */
#define log_debug(...)	 do { if (log_enabled(LOG_LVL_DEBUG1)) \
	log_msg(LOG_LVL_DEBUG1, __VA_ARGS__); } while (0)
#define log_debug2(...)	 do { if (log_enabled(LOG_LVL_DEBUG2)) \
	log_msg(LOG_LVL_DEBUG2, __VA_ARGS__); } while (0)
#define log_debug3(...)	 do { if (log_enabled(LOG_LVL_DEBUG3)) \
	log_msg(LOG_LVL_DEBUG3, __VA_ARGS__); } while (0)

#endif
