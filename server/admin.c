/*
 * admin.c: the admin listener, served by libevent's evhttp on a thread
 * and event loop of its own.
 *
 * GET /metrics, /healthz, /readyz and /sessions; POST
 * /sessions/ID/close and /sessions/ID/channels/CH/close.  Nothing here
 * runs on an SSH worker's loop or reads a worker's sessions: /sessions
 * and the closes are worker jobs (worker.h) that each worker runs on its
 * own thread, answered once the last one is done; metrics are summed
 * from the workers' single-writer counters (metrics.c).
 *
 * GET is served on both sockets.  POST is live control and is served
 * only on AdminSocket, to root or the daemon's own uid as SO_PEERCRED
 * tells: there is no secret to provision or rotate, and the TCP
 * listener, which may have to face a pod network for Kubernetes probes,
 * can never close anything.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "addr.h"
#include "admin.h"
#include "config.h"
#include "control.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "privs.h"
#include "str.h"
#include "worker.h"

/* The request line and headers; no admin request needs more. */
#define ADMIN_MAX_HEADERS	(8 * 1024)
/* POST carries nothing: anything is a mistake or an attack. */
#define ADMIN_MAX_BODY		256
/* Seconds a client may take to send a request or read the answer. */
#define ADMIN_TIMEOUT		10
#define ADMIN_BACKLOG		16
/*
 * Connections per listener at once; past it accepting pauses (the
 * backlog waits) until one closes, so idle clients cannot use up the
 * descriptors the SSH side needs.
 */
#define ADMIN_MAX_CONNS		64

enum admin_state {
	ADMIN_STARTING = 0,
	ADMIN_READY,
	ADMIN_DRAINING,
};

struct admin_listener {
	struct evhttp		*al_http;
	/* evhttp's listener, paused at the cap; NULL at exit. */
	struct evconnlistener	*al_lev;
	int			 al_fd;
	int			 al_unix;
	int			 al_nconns;
};

/* A connection evhttp is setting up, until its closecb is installed. */
struct admin_conn {
	TAILQ_ENTRY(admin_conn)	 ac_entry;
	struct admin_listener	*ac_al;
	struct bufferevent	*ac_bev;	/* one reference is ours */
};

/* A request waiting for the workers. */
struct admin_req {
	TAILQ_ENTRY(admin_req)	 ar_entry;
	struct evhttp_request	*ar_req;
	struct worker_job	*ar_job;
	struct control_req	 ar_cr;
};

static struct admin_listener	 admin_tcp = { NULL, NULL, -1, 0, 0 };
static struct admin_listener	 admin_unix = { NULL, NULL, -1, 1, 0 };
static struct sockaddr_storage	 admin_tcp_ss;
static char			*admin_path;	/* to unlink at exit */
static dev_t			 admin_path_dev;
static ino_t			 admin_path_ino;
static struct event_base	*admin_base;
static struct event		*admin_stop_ev;
static pthread_t		 admin_thread;
static int			 admin_running;
static struct worker		*admin_workers;
static int			 admin_nworkers;
static int			 admin_state;	/* atomic */
static TAILQ_HEAD(, admin_req)	 admin_pending =
    TAILQ_HEAD_INITIALIZER(admin_pending);
static TAILQ_HEAD(, admin_conn)	 admin_new_conns =
    TAILQ_HEAD_INITIALIZER(admin_new_conns);

static int
admin_bind_tcp(const struct config_listen *cl)
{
	struct addrinfo hints, *res, *ai;
	char port[16], host[ADDR_STRLEN];
	int fd = -1, one = 1, rc, err = 0, bound;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", cl->cl_port);
	if ((rc = getaddrinfo(cl->cl_host, port, &hints, &res)) != 0) {
		log_error("AdminListen %s: %s", cl->cl_host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1) {
			err = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			    sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, ADMIN_BACKLOG) == 0) {
			memcpy(&admin_tcp_ss, ai->ai_addr, ai->ai_addrlen);
			break;
		}
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		log_error("AdminListen %s port %d: %s", cl->cl_host,
		    cl->cl_port, strerror(err));
		return -1;
	}
	addr_ntop((struct sockaddr *)&admin_tcp_ss, host, sizeof(host),
	    &bound);
	log_info("Admin listening on %s port %d.", host, bound);
	admin_tcp.al_fd = fd;
	return 0;
}

/* 1 when a process answers on path: not a stale socket to remove. */
static int
admin_socket_in_use(const struct sockaddr_un *sun)
{
	int fd, rc;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	return rc == 0;
}

/*
 * As root, so the directory may be root's; the socket is then given to
 * User, who must remove it at exit, and a missing directory is made
 * User's (as the pid file's).  Mode 0600: only User and root connect.
 */
static int
admin_bind_unix(const struct config *cf, const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	uid_t uid;
	gid_t gid;
	mode_t mask;
	int fd, drop, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_error("AdminSocket %s: path too long", path);
		return -1;
	}
	str_lcpy(sun.sun_path, path, sizeof(sun.sun_path));
	drop = privs_parent_dir(cf, path, &uid, &gid);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_error("AdminSocket %s: exists and is not a socket",
			    path);
			return -1;
		}
		if (admin_socket_in_use(&sun)) {
			log_error("AdminSocket %s: in use by another process",
			    path);
			return -1;
		}
		log_verbose("%s: removing stale socket %s", __func__, path);
		unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_error("AdminSocket %s: socket: %s", path, strerror(errno));
		return -1;
	}
	mask = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(mask);
	if (rc == -1 || listen(fd, ADMIN_BACKLOG) == -1 ||
	    stat(path, &st) == -1) {
		log_error("AdminSocket %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (drop && chown(path, uid, gid) == -1) {
		log_error("AdminSocket %s: chown: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	admin_path = xstrdup(path);
	admin_path_dev = st.st_dev;
	admin_path_ino = st.st_ino;
	admin_unix.al_fd = fd;
	log_info("Admin listening on %s.", path);
	return 0;
}

int
admin_bind(const struct config *cf)
{
	if (cf->c_admin_listen.cl_port != 0 &&
	    admin_bind_tcp(&cf->c_admin_listen) == -1)
		return -1;
	if (strcmp(cf->c_admin_socket, "none") != 0 &&
	    admin_bind_unix(cf, cf->c_admin_socket) == -1)
		return -1;
	return 0;
}

int
admin_endpoint(struct policy_endpoint *pe)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	if (admin_tcp.al_fd == -1)
		return 0;
	memset(pe, 0, sizeof(*pe));
	pe->pe_family = admin_tcp_ss.ss_family;
	if (pe->pe_family == AF_INET) {
		sin = (const struct sockaddr_in *)&admin_tcp_ss;
		memcpy(pe->pe_addr, &sin->sin_addr, 4);
		pe->pe_port = ntohs(sin->sin_port);
	} else {
		sin6 = (const struct sockaddr_in6 *)&admin_tcp_ss;
		memcpy(pe->pe_addr, &sin6->sin6_addr, 16);
		pe->pe_port = ntohs(sin6->sin6_port);
	}
	return 1;
}

void
admin_set_ready(int ready)
{
	__atomic_store_n(&admin_state, ready ? ADMIN_READY : ADMIN_DRAINING,
	    __ATOMIC_RELEASE);
}

static const char *
admin_reason(int code)
{
	switch (code) {
	case 200:	return "OK";
	case 403:	return "Forbidden";
	case 404:	return "Not Found";
	case 405:	return "Method Not Allowed";
	case 409:	return "Conflict";
	default:	return "Service Unavailable";
	}
}

static void
admin_send(struct evhttp_request *req, int code, const char *ctype,
    struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
	/* evhttp 2.1 would send a HEAD answer's body too. */
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD)
		body = NULL;
	evhttp_send_reply(req, code, admin_reason(code), body);
}

static void __attribute__((format(printf, 3, 4)))
admin_text(struct evhttp_request *req, int code, const char *fmt, ...)
{
	struct evbuffer *b;
	va_list ap;

	if ((b = evbuffer_new()) == NULL)
		log_fatal("%s: evbuffer_new failed", __func__);
	va_start(ap, fmt);
	evbuffer_add_vprintf(b, fmt, ap);
	va_end(ap);
	evbuffer_add(b, "\n", 1);
	admin_send(req, code, "text/plain; charset=utf-8", b);
	evbuffer_free(b);
}

static void
admin_metrics(struct evhttp_request *req)
{
	struct evbuffer *b;
	int ready;

	if ((b = evbuffer_new()) == NULL)
		log_fatal("%s: evbuffer_new failed", __func__);
	ready = __atomic_load_n(&admin_state, __ATOMIC_ACQUIRE) == ADMIN_READY;
	metrics_render(b, admin_workers, admin_nworkers, ready);
	admin_send(req, 200, "text/plain; version=0.0.4; charset=utf-8", b);
	evbuffer_free(b);
}

static void
admin_readyz(struct evhttp_request *req)
{
	switch (__atomic_load_n(&admin_state, __ATOMIC_ACQUIRE)) {
	case ADMIN_READY:
		admin_text(req, 200, "ready");
		break;
	case ADMIN_STARTING:
		admin_text(req, 503, "not ready: starting");
		break;
	default:
		admin_text(req, 503, "not ready: draining");
		break;
	}
}

/* The workers' answers, once every one of them is in. */
static void
admin_answer(struct admin_req *ar)
{
	struct worker_job *j = ar->ar_job;
	struct evbuffer *b, *part;
	size_t len;
	int i, code, n = 0, missing = 0;
	char msg[256];

	for (i = 0; i < j->wj_nparts; i++)
		missing += !j->wj_parts[i].wp_ran;
	if (ar->ar_cr.cr_op != CONTROL_LIST) {
		for (i = 0; i < j->wj_nparts; i++) {
			part = j->wj_parts[i].wp_out;
			if ((len = evbuffer_get_length(part)) < 4)
				continue;
			if (len >= sizeof(msg))
				len = sizeof(msg) - 1;
			evbuffer_copyout(part, msg, len);
			msg[len] = '\0';
			code = atoi(msg);
			admin_text(ar->ar_req, code, "%s", msg + 4);
			return;
		}
		if (missing)
			admin_text(ar->ar_req, 503, "the server is stopping");
		else
			admin_text(ar->ar_req, 404, "no session %lu",
			    ar->ar_cr.cr_sid);
		return;
	}
	if (missing) {
		admin_text(ar->ar_req, 503, "the server is stopping");
		return;
	}
	if ((b = evbuffer_new()) == NULL)
		log_fatal("%s: evbuffer_new failed", __func__);
	if (ar->ar_cr.cr_text)
		control_table_header(b);
	else
		evbuffer_add_printf(b, "{\"sessions\":[");
	for (i = 0; i < j->wj_nparts; i++) {
		part = j->wj_parts[i].wp_out;
		if (evbuffer_get_length(part) == 0)
			continue;
		if (!ar->ar_cr.cr_text && n++ > 0)
			evbuffer_add(b, ",", 1);
		evbuffer_add_buffer(b, part);
	}
	if (!ar->ar_cr.cr_text)
		evbuffer_add_printf(b, "]}\n");
	admin_send(ar->ar_req, 200, ar->ar_cr.cr_text ?
	    "text/plain; charset=utf-8" : "application/json", b);
	evbuffer_free(b);
}

static void
admin_req_free(struct admin_req *ar)
{
	TAILQ_REMOVE(&admin_pending, ar, ar_entry);
	worker_job_free(ar->ar_job);
	free(ar);
}

/*
 * The last worker is done.  A client that hung up meanwhile left its
 * request to us (libevent detaches it): answering it frees it.
 */
static void
admin_on_job_done(evutil_socket_t fd, short what, void *arg)
{
	struct admin_req *ar = arg;

	admin_answer(ar);
	admin_req_free(ar);
}

/*
 * Until a request is answered, evhttp keeps its read callback, and
 * libevent 2.1 exits the process ("illegal connection state") when a
 * byte arrives then, as a pipelined request's would.  Reading stays on,
 * so a hang-up is still seen, but the bytes wait (at most a request's
 * worth) until the answer, which installs evhttp's callbacks again.
 */
static void
admin_hold_reads(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev;
	bufferevent_data_cb wcb;
	bufferevent_event_cb ecb;
	void *cbarg;

	if (evcon == NULL)
		return;
	bev = evhttp_connection_get_bufferevent(evcon);
	bufferevent_getcb(bev, NULL, &wcb, &ecb, &cbarg);
	bufferevent_setcb(bev, NULL, wcb, ecb, cbarg);
	bufferevent_setwatermark(bev, EV_READ, 0, ADMIN_MAX_HEADERS);
}

static void
admin_post_job(struct evhttp_request *req, const struct control_req *cr)
{
	struct admin_req *ar;

	ar = xcalloc(1, sizeof(*ar));
	ar->ar_req = req;
	ar->ar_cr = *cr;
	ar->ar_job = worker_job_new(admin_nworkers, control_run, &ar->ar_cr,
	    admin_base, admin_on_job_done, ar);
	TAILQ_INSERT_TAIL(&admin_pending, ar, ar_entry);
	admin_hold_reads(req);
	worker_job_post(ar->ar_job, admin_workers, admin_nworkers);
}

/* Digits only, no sign, no leading zero games: an id or -1. */
static const char *
admin_parse_id(const char *p, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (*p < '0' || *p > '9')
		return NULL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (max - (unsigned long)(*p - '0')) / 10)
			return NULL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	*out = v;
	return p;
}

/* /sessions/ID/close or /sessions/ID/channels/CH/close: 0, or -1. */
static int
admin_parse_close(const char *path, struct control_req *cr)
{
	const char *p;
	unsigned long sid, chid;

	memset(cr, 0, sizeof(*cr));
	if (strncmp(path, "/sessions/", 10) != 0 ||
	    (p = admin_parse_id(path + 10, (unsigned long)-1, &sid)) == NULL)
		return -1;
	cr->cr_sid = sid;
	if (strcmp(p, "/close") == 0) {
		cr->cr_op = CONTROL_CLOSE_SESSION;
		return 0;
	}
	if (strncmp(p, "/channels/", 10) != 0 ||
	    (p = admin_parse_id(p + 10, 0x7fffffff, &chid)) == NULL ||
	    strcmp(p, "/close") != 0)
		return -1;
	cr->cr_op = CONTROL_CLOSE_CHANNEL;
	cr->cr_chid = (int)chid;
	return 0;
}

static int
admin_peer(struct evhttp_request *req, struct ucred *uc)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	socklen_t len = sizeof(*uc);
	int fd;

	if (evcon == NULL ||
	    (fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon)))
	    == -1)
		return -1;
	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, uc, &len);
}

static void
admin_control(struct admin_listener *al, struct evhttp_request *req,
    struct control_req *cr, const char *path)
{
	struct ucred uc;

	if (!al->al_unix) {
		admin_text(req, 403, "use AdminSocket");
		return;
	}
	if (admin_peer(req, &uc) == -1) {
		log_error("%s: POST %s: SO_PEERCRED: %s", __func__, path,
		    strerror(errno));
		admin_text(req, 403, "who are you?");
		return;
	}
	if (uc.uid != 0 && uc.uid != geteuid()) {
		log_info("%s: POST %s refused: uid %lu (pid %ld) is neither "
		    "root nor the daemon's", __func__, path,
		    (unsigned long)uc.uid, (long)uc.pid);
		admin_text(req, 403, "uid %lu may not control this server",
		    (unsigned long)uc.uid);
		return;
	}
	log_verbose("%s: POST %s from uid %lu (pid %ld)", __func__, path,
	    (unsigned long)uc.uid, (long)uc.pid);
	cr->cr_uid = uc.uid;
	admin_post_job(req, cr);
}

static void
admin_on_request(struct evhttp_request *req, void *arg)
{
	struct admin_listener *al = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evkeyvalq *hdrs = evhttp_request_get_output_headers(req);
	const char *path = NULL, *query = NULL;
	struct control_req cr;

	if (uri != NULL) {
		path = evhttp_uri_get_path(uri);
		query = evhttp_uri_get_query(uri);
	}
	if (path == NULL)
		path = "";
	if (strcmp(path, "/metrics") == 0 || strcmp(path, "/healthz") == 0 ||
	    strcmp(path, "/readyz") == 0 || strcmp(path, "/sessions") == 0) {
		if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
			evhttp_add_header(hdrs, "Allow", "GET, HEAD");
			admin_text(req, 405, "GET only");
		} else if (path[1] == 'm')
			admin_metrics(req);
		else if (path[1] == 'h')
			admin_text(req, 200, "ok");
		else if (path[1] == 'r')
			admin_readyz(req);
		else {
			memset(&cr, 0, sizeof(cr));
			cr.cr_op = CONTROL_LIST;
			cr.cr_text = query != NULL &&
			    strcmp(query, "format=text") == 0;
			admin_post_job(req, &cr);
		}
		return;
	}
	if (admin_parse_close(path, &cr) == 0) {
		if (cmd != EVHTTP_REQ_POST) {
			evhttp_add_header(hdrs, "Allow", "POST");
			admin_text(req, 405, "POST only");
		} else
			admin_control(al, req, &cr, path);
		return;
	}
	admin_text(req, 404, "not found");
}

static void
admin_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct admin_listener *al = arg;

	if (al->al_nconns-- == ADMIN_MAX_CONNS && al->al_lev != NULL) {
		evconnlistener_enable(al->al_lev);
		log_debug("%s: accepting admin connections again", __func__);
	}
}

/*
 * libevent 2.1 has no cap on evhttp's connections (evhttp_set_max_
 * connections is 2.2's) and tells of a new one only through the bevcb,
 * before the connection exists.  So the bevcb counts it and holds a
 * reference on its bufferevent, and this runs next, in the same loop
 * pass (before any I/O on it): the bufferevent's callback argument is
 * then evhttp's connection, whose closecb counts it out.  A connection
 * evhttp already dropped has had its callbacks cleared.
 */
static void
admin_conn_attach(struct admin_conn *ac)
{
	void *evcon = NULL;

	TAILQ_REMOVE(&admin_new_conns, ac, ac_entry);
	bufferevent_getcb(ac->ac_bev, NULL, NULL, NULL, &evcon);
	if (evcon != NULL)
		evhttp_connection_set_closecb(evcon, admin_conn_closed,
		    ac->ac_al);
	else
		admin_conn_closed(NULL, ac->ac_al);
	bufferevent_decref(ac->ac_bev);
	free(ac);
}

static void
admin_on_conn(evutil_socket_t fd, short what, void *arg)
{
	admin_conn_attach(arg);
}

static struct bufferevent *
admin_on_bev(struct event_base *base, void *arg)
{
	struct admin_listener *al = arg;
	struct admin_conn *ac;
	struct bufferevent *bev;

	if ((bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) ==
	    NULL)
		return NULL;
	ac = xcalloc(1, sizeof(*ac));
	ac->ac_al = al;
	ac->ac_bev = bev;
	if (event_base_once(base, -1, EV_TIMEOUT, admin_on_conn, ac,
	    NULL) == -1) {
		free(ac);
		return bev;
	}
	bufferevent_incref(bev);
	TAILQ_INSERT_TAIL(&admin_new_conns, ac, ac_entry);
	if (++al->al_nconns == ADMIN_MAX_CONNS) {
		evconnlistener_disable(al->al_lev);
		log_info("%s: %d admin connections on %s: accepting more when "
		    "one closes", __func__, ADMIN_MAX_CONNS, al->al_unix ?
		    admin_path : "AdminListen");
	}
	return bev;
}

static void
admin_on_stop(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(admin_base);
}

static void *
admin_main(void *arg)
{
	log_debug("%s: admin listener running", __func__);
	event_base_dispatch(admin_base);
	return NULL;
}

static void
admin_listen(struct admin_listener *al)
{
	struct evhttp_bound_socket *bound;

	if (al->al_fd == -1)
		return;
	if ((al->al_http = evhttp_new(admin_base)) == NULL)
		log_fatal("%s: evhttp_new failed", __func__);
	evhttp_set_max_headers_size(al->al_http, ADMIN_MAX_HEADERS);
	evhttp_set_max_body_size(al->al_http, ADMIN_MAX_BODY);
	evhttp_set_timeout(al->al_http, ADMIN_TIMEOUT);
	/* Every method reaches us, to be answered 405 with Allow. */
	evhttp_set_allowed_methods(al->al_http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	    EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(al->al_http, admin_on_request, al);
	evhttp_set_bevcb(al->al_http, admin_on_bev, al);
	if ((bound = evhttp_accept_socket_with_handle(al->al_http,
	    al->al_fd)) == NULL)
		log_fatal("%s: evhttp_accept_socket failed", __func__);
	al->al_lev = evhttp_bound_socket_get_listener(bound);
	/* evhttp closes it now. */
	al->al_fd = -1;
}

void
admin_start(struct worker *workers, int n)
{
	int rc;

	if (admin_tcp.al_fd == -1 && admin_unix.al_fd == -1)
		return;
	admin_workers = workers;
	admin_nworkers = n;
	if ((admin_base = event_base_new()) == NULL ||
	    (admin_stop_ev = event_new(admin_base, -1, 0, admin_on_stop,
	    NULL)) == NULL)
		log_fatal("%s: event_base_new failed", __func__);
	admin_listen(&admin_tcp);
	admin_listen(&admin_unix);
	if ((rc = pthread_create(&admin_thread, NULL, admin_main, NULL)) != 0)
		log_fatal("%s: pthread_create: %s", __func__, strerror(rc));
	admin_running = 1;
}

void
admin_stop(void)
{
	if (!admin_running)
		return;
	/* An event, not loopbreak: that is lost if the loop has not begun. */
	event_active(admin_stop_ev, 0, 0);
	pthread_join(admin_thread, NULL);
	admin_running = 0;
}

void
admin_free(void)
{
	struct admin_req *ar;
	struct stat st;

	/* Every worker has stopped: each job is done or never ran. */
	while ((ar = TAILQ_FIRST(&admin_pending)) != NULL) {
		admin_text(ar->ar_req, 503, "the server is stopping");
		admin_req_free(ar);
	}
	/* Accepted in the loop's last pass: their event will not run. */
	while (TAILQ_FIRST(&admin_new_conns) != NULL)
		admin_conn_attach(TAILQ_FIRST(&admin_new_conns));
	/* evhttp_free frees the listener before the connections. */
	admin_tcp.al_lev = admin_unix.al_lev = NULL;
	if (admin_tcp.al_http != NULL)
		evhttp_free(admin_tcp.al_http);
	if (admin_unix.al_http != NULL)
		evhttp_free(admin_unix.al_http);
	if (admin_tcp.al_fd != -1)
		close(admin_tcp.al_fd);
	if (admin_unix.al_fd != -1)
		close(admin_unix.al_fd);
	if (admin_stop_ev != NULL)
		event_free(admin_stop_ev);
	if (admin_base != NULL)
		event_base_free(admin_base);
	/* Only if it is still ours: a new daemon may have taken the path. */
	if (admin_path != NULL && lstat(admin_path, &st) == 0 &&
	    st.st_dev == admin_path_dev && st.st_ino == admin_path_ino &&
	    unlink(admin_path) == -1)
		log_verbose("cannot remove %s: %s", admin_path,
		    strerror(errno));
	free(admin_path);
	admin_path = NULL;
}
