/*
 * testutil.h: helpers shared by the unit tests: scratch directories,
 * small files, and capturing what jumpgate logs so tests can assert the
 * exact lines operators will grep for.
 */
#ifndef JG_TESTUTIL_H
#define JG_TESTUTIL_H

#include <stddef.h>

/* A fresh directory under $TMPDIR (or /tmp); free with tu_rmtree. */
char	*tu_mkdtemp(void);
void	 tu_rmtree(char *dir);

/* Writes content to dir/name; returns the malloc'd full path. */
char	*tu_write(const char *dir, const char *name, const char *content);

/* Everything readable from fd, from offset 0, NUL-terminated. */
char	*tu_slurp_fd(int fd);

/* Sends every log line, at DEBUG3, to a file that tests can read. */
void	 tu_log_capture(void);
void	 tu_log_clear(void);
/* The lines logged since the last clear; caller frees. */
char	*tu_log_text(void);
/* How many times needle occurs in what was logged since the last clear. */
int	 tu_log_count(const char *needle);

#endif
