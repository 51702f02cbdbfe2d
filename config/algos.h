/*
 * algos.h: the algorithm keywords (Ciphers, MACs, KexAlgorithms,
 * HostKeyAlgorithms, PubkeyAcceptedAlgorithms) read as sshd reads them
 * and resolved against what libssh 0.10 can do.
 */
#ifndef JG_ALGOS_H
#define JG_ALGOS_H

#include <stddef.h>

enum algos_kind {
	ALGOS_CIPHERS = 0,
	ALGOS_MACS,
	ALGOS_KEX,
	ALGOS_HOSTKEY,
	ALGOS_PUBKEY,	/* PubkeyAcceptedAlgorithms: client key signatures */
	ALGOS_NKINDS,
};

/* The kind a keyword names ("ciphers", any case, old aliases too), or -1. */
int	algos_kind_by_keyword(const char *keyword);

/* The keyword as sshd -T prints it: "ciphers", "macs", ... */
const char *algos_keyword(enum algos_kind kind);

/* What jumpgate offers when the keyword is not set (libssh's defaults). */
const char *algos_default(enum algos_kind kind);

/*
 * Resolves an sshd list: "a,b" (exactly these), "+a,b" (appended to the
 * default), "-a*,b" (removed from the default, wildcards allowed) or
 * "^a,b" (put first).  Wildcards also expand in HostKeyAlgorithms lists,
 * as in sshd.  Names sshd knows but libssh cannot do (umac-64@openssh.com,
 * sntrup761x25519-sha512@openssh.com, ...) are left out and listed in
 * *dropped (malloc'd, NULL when none); a name nobody knows, or a list
 * left empty, is an error.  Returns the malloc'd comma list, or NULL with
 * err filled.
 */
char	*algos_resolve(enum algos_kind kind, const char *spec, char **dropped,
	    char *err, size_t errlen);

/* 1 when the comma list holds the name exactly. */
int	algos_list_has(const char *list, const char *name);

#endif
