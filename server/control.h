/*
 * control.h: what an admin request does on each worker's thread: list
 * its sessions, or close one session or one channel (control.c).
 */
#ifndef JG_CONTROL_H
#define JG_CONTROL_H

struct evbuffer;
struct worker;

enum control_op {
	CONTROL_LIST = 0,
	CONTROL_CLOSE_SESSION,
	CONTROL_CLOSE_CHANNEL,
};

/* The request, read-only while the workers run it. */
struct control_req {
	enum control_op	 cr_op;
	int		 cr_text;	/* list as a table, not JSON */
	unsigned long	 cr_sid;
	int		 cr_chid;
	unsigned long	 cr_uid;	/* who asked, for the log */
};

/*
 * A worker_job_fn (arg: a struct control_req).  CONTROL_LIST writes the
 * worker's sessions: JSON objects separated by commas, or table rows.
 * A close writes "CODE text" (an HTTP status) if the session is this
 * worker's, else nothing.
 */
void	control_run(struct worker *w, void *arg, struct evbuffer *out);

/* The table's first line, matching control_run's rows. */
void	control_table_header(struct evbuffer *out);

#endif
