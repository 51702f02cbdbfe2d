/*
 * explain.h: --explain, the daemon's policy answered on the command line.
 */
#ifndef JG_EXPLAIN_H
#define JG_EXPLAIN_H

struct config;

/* Exit statuses, so scripts can ask without parsing. */
#define EXPLAIN_ALLOWED	0
#define EXPLAIN_DENIED	1
#define EXPLAIN_ERROR	255

/* spec is "user=...,addr=...,key=FILE[,laddr=...,lport=...]". */
int	explain_run(const struct config *cf, char *spec, const char *host,
	    const char *port);

#endif
