/* jgbench: shared options and the libssh client helpers. */
#ifndef JGBENCH_SSH_H
#define JGBENCH_SSH_H

#include <stdint.h>
#include <sys/types.h>

#include <libssh/libssh.h>

#include "bench_proc.h"

#define MSG_LEN	64

struct bench_opt {
	const char	*host, *user, *key, *cipher, *kex, *dir;
	int		port, conc, sessions, channels, count, direct, srcaddrs;
	double		seconds, settle;
	uint64_t	bytes;
	pid_t		server_pid;
};

extern struct bench_opt opt;
extern const char msg64[MSG_LEN + 1];

double		now(void);
double		client_cpu(void);
void		result(const char *name, double v);
void		die(const char *what);
void		sample(struct proc_sample *s, int mem);
ssh_key		load_key(void);
ssh_session	connect_session(ssh_key key, int srcidx);
ssh_channel	open_blocking(ssh_session s, int port);
int		chan_read_full(ssh_channel ch, char *buf, int len);
int		chan_finish(ssh_channel ch);

#endif
