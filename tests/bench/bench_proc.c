/* jgbench: CPU time and anonymous memory of a server's process tree. */
#include "bench_proc.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pent {
	pid_t	pid, ppid;
	unsigned long long ticks;
	int	in;
};

static int
read_stat(pid_t pid, struct pent *e)
{
	char path[64], buf[1024], *p;
	unsigned long long v[4];
	FILE *f;
	size_t n;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: fields start after the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	p++;
	/* p now at " state ppid ..." : field 3 is state. */
	e->pid = pid;
	e->ppid = 0;
	field = 2;
	while (*p != '\0' && field < 17) {
		while (*p == ' ')
			p++;
		field++;
		if (field == 4)
			e->ppid = (pid_t)strtol(p, NULL, 10);
		else if (field >= 14 && field <= 17)
			v[field - 14] = strtoull(p, NULL, 10);
		while (*p != '\0' && *p != ' ')
			p++;
	}
	if (field < 17)
		return -1;
	e->ticks = v[0] + v[1] + v[2] + v[3];
	return 0;
}

static long
read_pss_anon(pid_t pid)
{
	char path[64], line[256];
	long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "Pss_Anon:", 9) == 0) {
			kb = strtol(line + 9, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

int
proc_sample(pid_t root, int want_mem, struct proc_sample *out)
{
	struct pent *ents = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	int changed, found = 0;
	DIR *d;

	memset(out, 0, sizeof(*out));
	if ((d = opendir("/proc")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		struct pent e;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (read_stat((pid_t)atoi(de->d_name), &e) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			ents = realloc(ents, cap * sizeof(*ents));
			if (ents == NULL)
				abort();
		}
		e.in = (e.pid == root);
		found |= e.in;
		ents[n++] = e;
	}
	closedir(d);
	/* Mark descendants: a few passes, the tree is at most 3 deep. */
	do {
		changed = 0;
		for (i = 0; i < n; i++) {
			size_t j;

			if (ents[i].in)
				continue;
			for (j = 0; j < n; j++) {
				if (ents[j].in && ents[j].pid == ents[i].ppid) {
					ents[i].in = 1;
					changed = 1;
					break;
				}
			}
		}
	} while (changed);
	for (i = 0; i < n; i++) {
		if (!ents[i].in)
			continue;
		out->nprocs++;
		out->cpu_s += (double)ents[i].ticks / (double)sysconf(_SC_CLK_TCK);
		if (want_mem)
			out->pss_anon_kb += read_pss_anon(ents[i].pid);
	}
	free(ents);
	return found ? 0 : -1;
}
