/* jgbench: CPU time and anonymous memory of a server's process tree. */
#ifndef JGBENCH_PROC_H
#define JGBENCH_PROC_H

#include <sys/types.h>

struct proc_sample {
	double	cpu_s;		/* utime+stime+cutime+cstime, whole tree */
	long	pss_anon_kb;	/* Pss_Anon from smaps_rollup, summed */
	int	nprocs;		/* processes in the tree */
};

/*
 * Samples `root` and every live descendant.  Each process counts its own
 * time and the time of children it has reaped (cutime/cstime), so sshd's
 * and Dropbear's finished per-connection processes are still counted once
 * their parent has waited for them.  Memory is read only when want_mem.
 * Returns -1 when root does not exist.
 */
int proc_sample(pid_t root, int want_mem, struct proc_sample *out);

#endif
