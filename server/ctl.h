/*
 * ctl.h: the `jumpgate ctl` subcommand (ctl.c).
 */
#ifndef JG_CTL_H
#define JG_CTL_H

/* argv[0] is "ctl"; returns the exit status. */
int	ctl_main(int argc, char **argv);

#endif
