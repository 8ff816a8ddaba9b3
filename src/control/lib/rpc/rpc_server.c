/*
 * Control RPC server (see rpc.h).  One event loop (the thread that calls
 * ctl_rpc_server_run()) owns every connection that is not being served: it
 * accepts, runs TLS handshakes, recognises peers of the wrong kind and reads
 * request frames, all without blocking.  A connection whose request is
 * complete goes to a pool of worker threads, which run the authorization
 * and version checks and the handler, write the response and give the
 * connection back.  So a stranger that connects and sends nothing (or a
 * handshake one byte at a time) costs a socket and a small structure, never
 * a thread: workers only ever wait for handlers and for peers that passed
 * the handshake.
 *
 * Limits on strangers: connections that have not yet completed their first
 * request are "pending"; they have HANDSHAKE_MS for that, at most
 * PENDING_PEER_MAX of them come from one address and at most PENDING_MAX in
 * all.  Above either limit the oldest pending connection (of that address,
 * or of all) is closed for the new one: a flood from one address only ever
 * competes with itself, and a client that connects now is served now.
 * Messages about strangers are rate-limited per kind.  Nothing here logs:
 * events go to cfg.notify.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daos_build.h"
#include "control/lib/rpc/rpc.h"
#include "control/lib/rpc/rpc_internal.h"
#include "proto/ctl.pb-c.h"

#define WORKER_STACK_SIZE    (256 * 1024)
#define DEFAULT_WORKERS	     64
#define DEFAULT_HANDSHAKE_MS 5000
#define DEFAULT_IDLE_MS	     60000
#define PENDING_MAX	     1024 /* connections before their first request */
#define PENDING_PEER_MAX     256  /* ... from one address */
#define IDLE_MAX	     1024 /* served connections waiting for their next request */
#define LINGER_MS	     1000 /* after a refusal, for the peer to read it */
#define ACCEPT_PAUSE_MS	     100  /* out of file descriptors with nothing to close */
#define BODY_CHUNK	     (64 * 1024)
#define NOTE_WINDOW_MS	     10000 /* rate limit of messages about strangers: */
#define NOTE_BURST	     256   /* at most this many per kind and window */

/* What a connection waits for while the event loop owns it. */
enum sc_state {
	SC_PEEK,      /* insecure server: the first byte (a TLS client?) */
	SC_HANDSHAKE, /* TLS handshake */
	SC_FRAME,     /* a request frame: length, then body */
	SC_LINGER,    /* refused: the peer closing after reading why */
	SC_BUSY,      /* with a worker (queued or served) */
	SC_CLOSED,    /* closed during this round of events; freed after it */
};

/* Kinds of rate-limited messages about peers. */
enum note_kind {
	NOTE_HANDSHAKE,
	NOTE_TIMEOUT,
	NOTE_MISMATCH,
	NOTE_FRAME,
	NOTE_EVICT,
	NOTE_NR,
};

struct srv_conn {
	struct ctl_rpc_server *srv;
	struct d_tls_conn     *conn;
	char		       addr[INET6_ADDRSTRLEN + 8];
	uint8_t		       ip[16]; /* IPv4 as v4-mapped IPv6 */
	enum sc_state	       st;
	bool		       established; /* has had a request served */
	bool		       refusing;    /* plaintext peer of a TLS server: read, then refuse */
	bool		       armed;	    /* registered with epoll */
	enum d_tls_component   role;
	uint32_t	       max; /* largest frame this peer may send */
	int64_t		       deadline;
	/* on srv->pending or srv->idle while the loop owns it */
	struct srv_conn *prev, *next;
	/* on the job, done or graveyard list */
	struct srv_conn *qnext;
	uint8_t		 hdr[4];
	size_t		 nhdr;
	uint8_t		*body;
	size_t		 len, got, cap;
	int		 rc; /* of the worker's request */
};

struct sc_list {
	struct srv_conn *head, *tail;
	int		 n;
};

struct sc_queue {
	struct srv_conn *head, *tail;
};

static const char *const note_what[NOTE_NR] = {
	[NOTE_HANDSHAKE] = "failed TLS handshakes",
	[NOTE_TIMEOUT] = "connections without a request in time",
	[NOTE_MISMATCH] = "clients with TLS on one side only",
	[NOTE_FRAME] = "invalid request lengths",
	[NOTE_EVICT] = "connections closed to make room",
};

struct note_limit {
	int64_t window;
	int	n;
	int	dropped;
};

struct ctl_rpc_server {
	struct ctl_rpc_server_cfg cfg;
	char			  version[64];
	struct d_tls_ctx	 *tls;
	int			  lfd;
	int			  stop_fd; /* eventfd; stays readable once written */
	int			  wake_fd; /* eventfd: a worker gave a connection back */
	int			  epfd;
	uint16_t		  port;
	/* event loop only */
	struct sc_list	  pending, idle;
	struct sc_queue	  graveyard;
	int64_t		  next_due; /* earliest deadline, or later */
	int64_t		  accept_paused_until;
	struct note_limit notes[NOTE_NR];
	/* shared with workers, under lock */
	pthread_mutex_t lock;
	pthread_cond_t	work_cond; /* a job, or stopping */
	pthread_cond_t	exit_cond; /* a worker exited */
	struct sc_queue jobs, done;
	int		nworkers, nwaiting;
	bool		stopping;
};

static void __attribute__((format(printf, 3, 4)))
notify(struct ctl_rpc_server *srv, enum ctl_rpc_event ev, const char *fmt, ...)
{
	char	msg[1024];
	va_list ap;

	if (srv->cfg.notify == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	srv->cfg.notify(srv->cfg.arg, ev, msg);
}

/* notify() at most NOTE_BURST times per kind and window (event loop only). */
static void __attribute__((format(printf, 3, 4)))
note(struct ctl_rpc_server *srv, enum note_kind kind, const char *fmt, ...)
{
	struct note_limit *nl = &srv->notes[kind];
	int64_t		   now = d_tls_now_ms();
	char		   msg[1024];
	va_list		   ap;

	if (now - nl->window >= NOTE_WINDOW_MS) {
		if (nl->dropped > 0)
			notify(srv, CTL_RPC_EV_WARN,
			       "%d more messages about %s were not logged in the last %d s",
			       nl->dropped, note_what[kind], NOTE_WINDOW_MS / 1000);
		nl->window = now;
		nl->n = 0;
		nl->dropped = 0;
	}
	if (nl->n >= NOTE_BURST) {
		nl->dropped++;
		return;
	}
	nl->n++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	notify(srv, CTL_RPC_EV_WARN, "%s", msg);
}

/* ---------------------------------------------------------------------- */
/* Lists. */

static void
list_add(struct sc_list *l, struct srv_conn *sc)
{
	sc->next = NULL;
	sc->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = sc;
	else
		l->head = sc;
	l->tail = sc;
	l->n++;
}

static void
list_del(struct sc_list *l, struct srv_conn *sc)
{
	if (sc->prev != NULL)
		sc->prev->next = sc->next;
	else
		l->head = sc->next;
	if (sc->next != NULL)
		sc->next->prev = sc->prev;
	else
		l->tail = sc->prev;
	sc->prev = sc->next = NULL;
	l->n--;
}

static void
queue_push(struct sc_queue *q, struct srv_conn *sc)
{
	sc->qnext = NULL;
	if (q->tail != NULL)
		q->tail->qnext = sc;
	else
		q->head = sc;
	q->tail = sc;
}

static struct srv_conn *
queue_pop(struct sc_queue *q)
{
	struct srv_conn *sc = q->head;

	if (sc != NULL) {
		q->head = sc->qnext;
		if (q->head == NULL)
			q->tail = NULL;
	}
	return sc;
}

/* The list a connection owned by the event loop is on. */
static struct sc_list *
conn_list(struct srv_conn *sc)
{
	return sc->established ? &sc->srv->idle : &sc->srv->pending;
}

/* ---------------------------------------------------------------------- */
/* Requests (workers). */

static int
send_response(struct ctl_rpc_server *srv, struct d_tls_conn *conn, int64_t deadline, int status,
	      const char *error, enum ctl_rpc_refusal refusal, const uint8_t *body, size_t len)
{
	struct ctl_rpc_resp_env env = {
		.status = status,
		.error = error,
		.body = body,
		.body_len = len,
		.version = srv->version,
		.component = "server",
		.refusal = refusal,
	};
	struct d_errbuf eb = {{0}};
	uint8_t	       *frame;
	size_t		flen;
	int		rc;

	rc = ctl_rpc_frame_response(&env, &frame, &flen);
	if (rc == -DER_OVERFLOW) {
		env.status = -DER_OVERFLOW;
		env.error = "response too large for one frame";
		env.body = NULL;
		env.body_len = 0;
		rc = ctl_rpc_frame_response(&env, &frame, &flen);
	}
	if (rc != 0)
		return rc;
	rc = d_tls_write(conn, frame, flen, deadline, &eb);
	D_FREE(frame);
	return rc;
}

static const struct ctl_rpc_method *
find_handler(const struct ctl_rpc_server *srv, const char *name)
{
	for (int i = 0; i < srv->cfg.nr_methods; i++)
		if (strcmp(srv->cfg.methods[i].name, name) == 0)
			return &srv->cfg.methods[i];
	return NULL;
}

/* Check and run one request; the response goes back on the connection. */
static int
serve_request(struct srv_conn *sc, const uint8_t *frame, size_t len, int64_t deadline)
{
	struct ctl_rpc_server *srv = sc->srv;
	Ctl__RpcRequest	      *req;
	struct d_errbuf	       eb = {{0}};
	enum d_tls_component   comp;
	uint8_t		      *body = NULL;
	size_t		       blen = 0;
	int		       rc;

	req = ctl__rpc_request__unpack(NULL, len, frame);
	if (req == NULL) {
		notify(srv, CTL_RPC_EV_WARN, "malformed request from %s", sc->addr);
		return send_response(srv, sc->conn, deadline, -DER_PROTO,
				     "malformed request envelope", CTL_RPC_REFUSE_NONE, NULL, 0);
	}
	comp = d_tls_component_from_cn(req->component);
	if (!d_tls_ctx_insecure(srv->tls)) {
		enum d_tls_component cert = d_tls_conn_peer(sc->conn);

		/* The role is the certificate's; a header claiming another is refused. */
		if (comp != cert) {
			d_errbuf_set(&eb,
				     "%s does not have permission to call %s "
				     "(request claims component \"%s\")",
				     d_tls_component_name(cert), req->method, req->component);
			notify(srv, CTL_RPC_EV_WARN, "refused %s from %s: %s", req->method,
			       sc->addr, eb.msg);
			rc = send_response(srv, sc->conn, deadline, -DER_NO_PERM, eb.msg,
					   CTL_RPC_REFUSE_PERM, NULL, 0);
			goto out;
		}
	}
	rc = ctl_rpc_authorize(comp, req->method, &eb);
	if (rc != 0) {
		notify(srv, CTL_RPC_EV_WARN, "refused %s from %s: %s", req->method, sc->addr,
		       eb.msg);
		rc = send_response(srv, sc->conn, deadline, rc, eb.msg, CTL_RPC_REFUSE_PERM, NULL,
				   0);
		goto out;
	}
	if (req->body.len > ctl_rpc_req_max(ctl_rpc_auth_find(req->method))) {
		d_errbuf_set(&eb, "request body of %zu bytes is above the limit of %u bytes for %s",
			     req->body.len, ctl_rpc_req_max(ctl_rpc_auth_find(req->method)),
			     req->method);
		notify(srv, CTL_RPC_EV_WARN, "refused %s from %s: %s", req->method, sc->addr,
		       eb.msg);
		rc = send_response(srv, sc->conn, deadline, -DER_OVERFLOW, eb.msg,
				   CTL_RPC_REFUSE_NONE, NULL, 0);
		goto out;
	}
	rc = ctl_version_compat("server", srv->version, req->component, req->version, &eb);
	if (rc != 0) {
		notify(srv, CTL_RPC_EV_WARN, "refused %s from %s: %s", req->method, sc->addr,
		       eb.msg);
		rc = send_response(srv, sc->conn, deadline, rc, eb.msg, CTL_RPC_REFUSE_VERSION,
				   NULL, 0);
		goto out;
	}
	const struct ctl_rpc_method *m = find_handler(srv, req->method);

	if (m == NULL) {
		d_errbuf_set(&eb, "method %s is not served by this daos_server", req->method);
		rc = send_response(srv, sc->conn, deadline, -DER_NOSYS, eb.msg,
				   CTL_RPC_REFUSE_METHOD, NULL, 0);
		goto out;
	}
	struct ctl_rpc_peer peer = {.component = comp, .version = req->version, .addr = sc->addr};

	rc = m->handler(srv->cfg.arg, &peer, req->body.data, req->body.len, &body, &blen, &eb);
	if (rc != 0) {
		D_FREE(body);
		body = NULL;
		blen = 0;
		if (eb.msg[0] == '\0')
			d_errbuf_set(&eb, "%s failed: %s", req->method, d_errstr(rc));
	}
	rc = send_response(srv, sc->conn, deadline, rc, rc != 0 ? eb.msg : NULL,
			   CTL_RPC_REFUSE_NONE, body, blen);
	D_FREE(body);
out:
	ctl__rpc_request__free_unpacked(req, NULL);
	return rc;
}

static void
wake_loop(struct ctl_rpc_server *srv)
{
	uint64_t one = 1;

	if (write(srv->wake_fd, &one, sizeof(one)) < 0) {
		/* counter saturated: the loop is awake anyway */
	}
}

static void *
worker(void *arg)
{
	struct ctl_rpc_server *srv = arg;

	pthread_mutex_lock(&srv->lock);
	for (;;) {
		struct srv_conn *sc;

		while (srv->jobs.head == NULL && !srv->stopping) {
			srv->nwaiting++;
			pthread_cond_wait(&srv->work_cond, &srv->lock);
			srv->nwaiting--;
		}
		if (srv->stopping)
			break;
		sc = queue_pop(&srv->jobs);
		pthread_mutex_unlock(&srv->lock);

		sc->rc = serve_request(sc, sc->body, sc->len,
				       d_tls_now_ms() + srv->cfg.idle_timeout_ms);
		D_FREE(sc->body);
		sc->cap = 0;

		pthread_mutex_lock(&srv->lock);
		queue_push(&srv->done, sc);
		wake_loop(srv);
	}
	srv->nworkers--;
	pthread_cond_broadcast(&srv->exit_cond);
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* Connections (event loop). */

static void
conn_close(struct srv_conn *sc)
{
	struct ctl_rpc_server *srv = sc->srv;

	if (sc->st == SC_CLOSED)
		return;
	if (sc->st != SC_BUSY)
		list_del(conn_list(sc), sc);
	d_tls_conn_destroy(sc->conn); /* closing the socket takes it out of epoll */
	sc->conn = NULL;
	D_FREE(sc->body);
	sc->st = SC_CLOSED;
	/* Events of this round may still point at it: free after the round. */
	queue_push(&srv->graveyard, sc);
}

static void
set_deadline(struct srv_conn *sc, int64_t deadline)
{
	sc->deadline = deadline;
	if (deadline < sc->srv->next_due)
		sc->srv->next_due = deadline;
}

static void
arm(struct srv_conn *sc, short want)
{
	struct ctl_rpc_server *srv = sc->srv;
	struct epoll_event     ev = {
		    .events = EPOLLONESHOT | ((want & POLLOUT) ? EPOLLOUT : EPOLLIN),
		    .data.ptr = sc,
	    };

	if (epoll_ctl(srv->epfd, sc->armed ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, d_tls_conn_fd(sc->conn),
		      &ev) != 0) {
		notify(srv, CTL_RPC_EV_ERROR, "cannot watch connection from %s: %s", sc->addr,
		       strerror(errno));
		conn_close(sc);
		return;
	}
	sc->armed = true;
}

/* Refuse a peer of the wrong kind with a response it can read, then linger. */
static void
refuse(struct srv_conn *sc, const char *why)
{
	int64_t now = d_tls_now_ms();

	/* A few hundred bytes into an empty socket buffer: no wait. */
	send_response(sc->srv, sc->conn, now, -DER_PROTO, why, CTL_RPC_REFUSE_INSECURE, NULL, 0);
	if (d_tls_conn_linger_start(sc->conn) != 0) {
		conn_close(sc);
		return;
	}
	sc->st = SC_LINGER;
	set_deadline(sc, now + LINGER_MS);
	arm(sc, POLLIN);
}

static void
dispatch(struct srv_conn *sc)
{
	struct ctl_rpc_server *srv = sc->srv;
	pthread_t	       th;
	pthread_attr_t	       attr;
	bool		       spawn;

	list_del(conn_list(sc), sc);
	sc->st = SC_BUSY;
	pthread_mutex_lock(&srv->lock);
	queue_push(&srv->jobs, sc);
	spawn = srv->nwaiting == 0 && srv->nworkers < srv->cfg.max_conns;
	if (spawn)
		srv->nworkers++;
	else
		pthread_cond_signal(&srv->work_cond);
	pthread_mutex_unlock(&srv->lock);
	if (!spawn)
		return;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, WORKER_STACK_SIZE);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, worker, srv) != 0) {
		struct sc_queue orphans = {NULL, NULL};

		pthread_mutex_lock(&srv->lock);
		srv->nworkers--;
		/* Another worker will take it; with none, nobody would. */
		if (srv->nworkers > 0) {
			pthread_cond_signal(&srv->work_cond);
		} else {
			orphans = srv->jobs;
			srv->jobs.head = srv->jobs.tail = NULL;
		}
		pthread_mutex_unlock(&srv->lock);
		while ((sc = queue_pop(&orphans)) != NULL) {
			notify(srv, CTL_RPC_EV_ERROR,
			       "cannot serve the request from %s: no thread to run it", sc->addr);
			conn_close(sc);
		}
	}
	pthread_attr_destroy(&attr);
}

/* "agent certificate", or "no certificate: allow_insecure", for messages. */
static const char *
peer_desc(const struct ctl_rpc_server *srv, enum d_tls_component role)
{
	static const char *const certs[] = {
		[D_COMP_ADMIN] = "admin certificate",
		[D_COMP_AGENT] = "agent certificate",
		[D_COMP_SERVER] = "server certificate",
	};

	if (d_tls_ctx_insecure(srv->tls))
		return "no certificate: allow_insecure";
	if ((size_t)role < D_ARRAY_SIZE(certs) && certs[role] != NULL)
		return certs[role];
	return "certificate of no known role";
}

/* A request frame: 4-byte length, then the body; complete -> dispatch. */
static int
read_frame(struct srv_conn *sc, short *want)
{
	struct ctl_rpc_server *srv = sc->srv;
	struct d_errbuf	       eb = {{0}};
	size_t		       n;
	int		       rc;

	while (sc->nhdr < sizeof(sc->hdr)) {
		rc = d_tls_read_some(sc->conn, sc->hdr + sc->nhdr, sizeof(sc->hdr) - sc->nhdr, &n,
				     want, &eb);
		if (rc != 0) {
			if (rc == -DER_SHUTDOWN && sc->nhdr > 0)
				notify(srv, CTL_RPC_EV_INFO,
				       "connection from %s: closed in the middle of a message",
				       sc->addr);
			else if (rc == -DER_PROTO || rc == -DER_IO)
				notify(srv, CTL_RPC_EV_INFO, "connection from %s: %s", sc->addr,
				       eb.msg);
			return rc;
		}
		sc->nhdr += n;
		if (sc->nhdr < sizeof(sc->hdr))
			continue;
		uint32_t len = 0;

		rc = ctl_rpc_frame_len(sc->hdr, &len);
		if (rc == 0 && len > sc->max)
			rc = -DER_OVERFLOW;
		if (rc != 0) {
			uint32_t said = (uint32_t)sc->hdr[0] << 24 | (uint32_t)sc->hdr[1] << 16 |
					(uint32_t)sc->hdr[2] << 8 | sc->hdr[3];

			if (sc->refusing)
				return -DER_OVERFLOW;
			if (rc == -DER_OVERFLOW)
				note(srv, NOTE_FRAME,
				     "closing connection from %s (%s): invalid frame length %u "
				     "(limit %u bytes); no method %s may call takes a request that "
				     "large",
				     sc->addr, peer_desc(srv, sc->role), said, sc->max,
				     sc->role == D_COMP_UNDEFINED ? "a client" : "this role");
			else
				note(srv, NOTE_FRAME,
				     "closing connection from %s: invalid frame length %u",
				     sc->addr, said);
			return rc;
		}
		sc->len = len;
		sc->got = 0;
	}
	while (sc->got < sc->len) {
		/* Grow with what arrives: a length alone reserves nothing. */
		if (sc->got == sc->cap) {
			size_t	 cap = sc->cap == 0 ? BODY_CHUNK : sc->cap * 2;
			uint8_t *p;

			if (cap > sc->len)
				cap = sc->len;
			D_REALLOC(p, sc->body, cap);
			if (p == NULL)
				return -DER_NOMEM;
			sc->body = p;
			sc->cap = cap;
		}
		rc = d_tls_read_some(sc->conn, sc->body + sc->got, sc->cap - sc->got, &n, want,
				     &eb);
		if (rc != 0) {
			if (rc != -DER_AGAIN)
				notify(srv, CTL_RPC_EV_INFO, "connection from %s: %s", sc->addr,
				       rc == -DER_SHUTDOWN ? "closed in the middle of a message"
							   : eb.msg);
			return rc;
		}
		sc->got += n;
	}
	sc->nhdr = 0;
	return 0;
}

static void
step_handshake(struct srv_conn *sc)
{
	struct ctl_rpc_server *srv = sc->srv;
	struct d_errbuf	       eb = {{0}};
	bool		       plaintext = false;
	short		       want = 0;
	int		       rc;

	rc = d_tls_handshake_step(sc->conn, &want, &plaintext, &eb);
	if (rc == -DER_AGAIN) {
		arm(sc, want);
		return;
	}
	if (rc == 0) {
		sc->role = d_tls_conn_peer(sc->conn);
		sc->max = ctl_rpc_role_frame_max(sc->role);
		sc->st = SC_FRAME;
		return;
	}
	if (plaintext) {
		note(srv, NOTE_MISMATCH,
		     "rejected a plaintext connection from %s: the client has allow_insecure: true "
		     "but this server requires TLS",
		     sc->addr);
		/* The insecure client has sent (or is sending) its request: read it first. */
		d_tls_conn_plain(sc->conn);
		sc->refusing = true;
		sc->max = CTL_RPC_REQ_SMALL + CTL_RPC_ENV_MAX;
		sc->st = SC_FRAME;
		return;
	}
	note(srv, NOTE_HANDSHAKE, "TLS handshake with %s failed: %s", sc->addr, eb.msg);
	if (d_tls_conn_linger_start(sc->conn) != 0) {
		conn_close(sc);
		return;
	}
	sc->st = SC_LINGER;
	set_deadline(sc, d_tls_now_ms() + LINGER_MS);
	arm(sc, POLLIN);
}

/* Advance a connection the event loop owns as far as it goes without waiting. */
static void
conn_step(struct srv_conn *sc)
{
	struct ctl_rpc_server *srv = sc->srv;
	short		       want = POLLIN;
	uint8_t		       b;
	int		       rc;

	for (;;) {
		switch (sc->st) {
		case SC_PEEK:
			rc = d_tls_peek_byte_now(sc->conn, &b);
			if (rc == -DER_AGAIN) {
				arm(sc, POLLIN);
				return;
			}
			if (rc != 0) {
				conn_close(sc);
				return;
			}
			if (b == 22 /* TLS handshake record */) {
				char drain[16384];

				note(srv, NOTE_MISMATCH,
				     "rejected a TLS connection from %s: this server has "
				     "allow_insecure: true; the client must set allow_insecure: "
				     "true too, or remove it here",
				     sc->addr);
				/* Consume the ClientHello so closing does not reset the connection.
				 */
				(void)recv(d_tls_conn_fd(sc->conn), drain, sizeof(drain), 0);
				refuse(sc, "server does not use TLS (allow_insecure: true)");
				return;
			}
			sc->st = SC_FRAME;
			break;
		case SC_HANDSHAKE:
			step_handshake(sc);
			if (sc->st != SC_FRAME)
				return;
			break;
		case SC_FRAME:
			rc = read_frame(sc, &want);
			if (rc == -DER_AGAIN) {
				arm(sc, want);
				return;
			}
			if (sc->refusing) {
				refuse(sc,
				       "server requires TLS but this client has allow_insecure: "
				       "true; set allow_insecure: false and configure "
				       "certificates in the client's transport_config (or set "
				       "allow_insecure: true on every server too)");
				return;
			}
			if (rc != 0) {
				conn_close(sc);
				return;
			}
			dispatch(sc);
			return;
		case SC_LINGER:
			if (d_tls_conn_drain(sc->conn) == -DER_AGAIN)
				arm(sc, POLLIN);
			else
				conn_close(sc);
			return;
		case SC_BUSY:
		case SC_CLOSED:
			return;
		}
	}
}

/* A worker is done with a connection: close it or wait for its next request. */
static void
conn_returned(struct srv_conn *sc)
{
	struct ctl_rpc_server *srv = sc->srv;

	if (sc->rc != 0) {
		conn_close(sc); /* SC_BUSY: on no list */
		return;
	}
	sc->established = true;
	sc->st = SC_FRAME;
	if (srv->idle.n >= IDLE_MAX)
		conn_close(srv->idle.head); /* the least recently used */
	list_add(&srv->idle, sc);
	set_deadline(sc, d_tls_now_ms() + srv->cfg.idle_timeout_ms);
	conn_step(sc); /* a pipelined request may already be here */
}

static void
format_addr(const struct sockaddr_storage *ss, char *buf, size_t len, uint8_t ip[16])
{
	char host[INET6_ADDRSTRLEN] = "?";
	int  port = 0;

	memset(ip, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
		ip[10] = ip[11] = 0xff;
		memcpy(ip + 12, &a->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		/* Show v4-mapped peers as plain IPv4. */
		if (strncmp(host, "::ffff:", 7) == 0 && strchr(host + 7, '.') != NULL)
			memmove(host, host + 7, strlen(host + 7) + 1);
		port = ntohs(a->sin6_port);
		memcpy(ip, &a->sin6_addr, 16);
	}
	snprintf(buf, len, "%s:%d", host, port);
}

/* Make room for one more pending connection from `ip`. */
static void
evict_for(struct ctl_rpc_server *srv, const uint8_t ip[16], const char *addr)
{
	struct srv_conn *oldest = NULL;
	int		 same = 0;

	for (struct srv_conn *sc = srv->pending.head; sc != NULL; sc = sc->next) {
		if (memcmp(sc->ip, ip, 16) != 0)
			continue;
		if (oldest == NULL)
			oldest = sc;
		same++;
	}
	if (same >= PENDING_PEER_MAX) {
		int hostlen = (int)(strrchr(addr, ':') - addr);

		note(srv, NOTE_EVICT,
		     "%d connections from %.*s have not completed a request: closing the oldest "
		     "(%s) for the new one (%s)",
		     same, hostlen, addr, oldest->addr, addr);
		conn_close(oldest);
	} else if (srv->pending.n >= PENDING_MAX) {
		note(srv, NOTE_EVICT,
		     "%d connections have not completed a request: closing the oldest (%s) for "
		     "one from %s",
		     srv->pending.n, srv->pending.head->addr, addr);
		conn_close(srv->pending.head);
	}
}

static void
conn_accepted(struct ctl_rpc_server *srv, int fd, const struct sockaddr_storage *ss)
{
	struct srv_conn *sc;
	char		 addr[INET6_ADDRSTRLEN + 8];
	uint8_t		 ip[16];
	int		 one = 1;

	format_addr(ss, addr, sizeof(addr), ip);
	evict_for(srv, ip, addr);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	D_ALLOC_PTR(sc);
	if (sc == NULL || d_tls_conn_create(srv->tls, fd, srv->stop_fd, &sc->conn) != 0) {
		notify(srv, CTL_RPC_EV_ERROR, "cannot serve connection from %s: out of memory",
		       addr);
		D_FREE(sc);
		close(fd);
		return;
	}
	sc->srv = srv;
	memcpy(sc->addr, addr, sizeof(sc->addr));
	memcpy(sc->ip, ip, sizeof(sc->ip));
	sc->st = d_tls_ctx_insecure(srv->tls) ? SC_PEEK : SC_HANDSHAKE;
	sc->role = D_COMP_UNDEFINED;
	/* Insecure: every client is unauthenticated; bound it as such. */
	sc->max = ctl_rpc_role_frame_max(D_COMP_UNDEFINED);
	list_add(&srv->pending, sc);
	set_deadline(sc, d_tls_now_ms() + srv->cfg.handshake_timeout_ms);
	conn_step(sc);
}

static void
accept_some(struct ctl_rpc_server *srv)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t		sl = sizeof(ss);
		int fd = accept4(srv->lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);

		if (fd >= 0) {
			conn_accepted(srv, fd, &ss);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EMFILE && errno != ENFILE && errno != ENOBUFS && errno != ENOMEM)
			return; /* EAGAIN: nothing more waiting */
		/* Out of descriptors: strangers give theirs back first. */
		if (srv->pending.head != NULL) {
			note(srv, NOTE_EVICT,
			     "accept: %s: closing the oldest connection that has not completed a "
			     "request (%s)",
			     strerror(errno), srv->pending.head->addr);
			conn_close(srv->pending.head);
			continue;
		}
		notify(srv, CTL_RPC_EV_ERROR, "accept: %s", strerror(errno));
		struct epoll_event ev = {.events = 0, .data.ptr = NULL};

		epoll_ctl(srv->epfd, EPOLL_CTL_MOD, srv->lfd, &ev);
		srv->accept_paused_until = d_tls_now_ms() + ACCEPT_PAUSE_MS;
		if (srv->accept_paused_until < srv->next_due)
			srv->next_due = srv->accept_paused_until;
		return;
	}
}

/* Close connections past their deadline; recompute the earliest one. */
static void
expire(struct ctl_rpc_server *srv, int64_t now)
{
	struct sc_list *lists[] = {&srv->pending, &srv->idle};
	int64_t		due = INT64_MAX;

	if (srv->accept_paused_until != 0) {
		if (now >= srv->accept_paused_until) {
			struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};

			epoll_ctl(srv->epfd, EPOLL_CTL_MOD, srv->lfd, &ev);
			srv->accept_paused_until = 0;
		} else {
			due = srv->accept_paused_until;
		}
	}
	for (size_t i = 0; i < D_ARRAY_SIZE(lists); i++) {
		struct srv_conn *sc = lists[i]->head;

		while (sc != NULL) {
			struct srv_conn *next = sc->next;

			if (sc->deadline > now) {
				if (sc->deadline < due)
					due = sc->deadline;
			} else if (sc->st == SC_HANDSHAKE) {
				note(srv, NOTE_TIMEOUT,
				     "TLS handshake with %s timed out after %d ms", sc->addr,
				     srv->cfg.handshake_timeout_ms);
				conn_close(sc);
			} else if (!sc->established && sc->st != SC_LINGER) {
				note(srv, NOTE_TIMEOUT,
				     "closing connection from %s: no complete request within %d ms",
				     sc->addr, srv->cfg.handshake_timeout_ms);
				conn_close(sc);
			} else {
				conn_close(sc);
			}
			sc = next;
		}
	}
	srv->next_due = due;
}

/* ---------------------------------------------------------------------- */
/* Server. */

static int
srv_listen(struct ctl_rpc_server *srv, struct d_errbuf *eb)
{
	struct addrinfo	 hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
	struct addrinfo *res = NULL, *ai;
	const char	*addr = srv->cfg.addr;
	char		 port[8];
	int		 rc, err = 0;

	if (addr == NULL || addr[0] == '\0') {
		addr = NULL;
		hints.ai_family = AF_INET6; /* dual stack, falls back to IPv4 below */
	}
	snprintf(port, sizeof(port), "%u", srv->cfg.port);
	rc = getaddrinfo(addr, port, &hints, &res);
	if (rc != 0 && addr == NULL) {
		hints.ai_family = AF_INET;
		rc = getaddrinfo(addr, port, &hints, &res);
	}
	if (rc != 0) {
		d_errbuf_set(eb, "cannot use listen address \"%s\": %s", addr ? addr : "",
			     gai_strerror(rc));
		return -DER_INVAL;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
				ai->ai_protocol);
		int one = 1, zero = 0;

		if (fd < 0) {
			err = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0) {
			struct sockaddr_storage ss;
			socklen_t		sl = sizeof(ss);

			getsockname(fd, (struct sockaddr *)&ss, &sl);
			srv->port = ntohs(ss.ss_family == AF_INET
						  ? ((struct sockaddr_in *)&ss)->sin_port
						  : ((struct sockaddr_in6 *)&ss)->sin6_port);
			srv->lfd = fd;
			freeaddrinfo(res);
			return 0;
		}
		err = errno;
		close(fd);
	}
	freeaddrinfo(res);
	if (err == EADDRINUSE) {
		d_errbuf_set(eb,
			     "port %u is already in use (EADDRINUSE): another daos_server or "
			     "another program listens on it; stop it or set a different `port`",
			     srv->cfg.port);
		return -DER_EXIST;
	}
	d_errbuf_set(eb, "cannot listen on %s port %u: %s", addr ? addr : "all addresses",
		     srv->cfg.port, strerror(err));
	return err == EACCES ? -DER_NO_PERM : -DER_IO;
}

static int
watch(struct ctl_rpc_server *srv, int fd, void *tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = tag};

	return epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int
ctl_rpc_server_create(const struct ctl_rpc_server_cfg *cfg, struct ctl_rpc_server **out,
		      struct d_errbuf *eb)
{
	struct ctl_rpc_server *srv;
	int		       rc;

	for (int i = 0; i < cfg->nr_methods; i++) {
		if (ctl_rpc_auth_find(cfg->methods[i].name) == NULL) {
			d_errbuf_set(eb,
				     "method %s has a handler but no entry in the "
				     "authorization table (rpc_auth.c)",
				     cfg->methods[i].name);
			return -DER_INVAL;
		}
	}
	D_ALLOC_PTR(srv);
	if (srv == NULL)
		return -DER_NOMEM;
	srv->cfg = *cfg;
	srv->lfd = srv->stop_fd = srv->wake_fd = srv->epfd = -1;
	srv->next_due = INT64_MAX;
	if (srv->cfg.max_conns <= 0)
		srv->cfg.max_conns = DEFAULT_WORKERS;
	if (srv->cfg.handshake_timeout_ms <= 0)
		srv->cfg.handshake_timeout_ms = DEFAULT_HANDSHAKE_MS;
	if (srv->cfg.idle_timeout_ms <= 0)
		srv->cfg.idle_timeout_ms = DEFAULT_IDLE_MS;
	snprintf(srv->version, sizeof(srv->version), "%s",
		 cfg->version != NULL ? cfg->version : DAOS_VERSION);
	srv->cfg.version = srv->version;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->work_cond, NULL);
	pthread_cond_init(&srv->exit_cond, NULL);

	rc = d_tls_ctx_create(D_TLS_SERVER, cfg->tls, &srv->tls, eb);
	if (rc != 0)
		goto fail;
	srv->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	srv->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv->stop_fd < 0 || srv->wake_fd < 0 || srv->epfd < 0) {
		d_errbuf_set(eb, "eventfd/epoll: %s", strerror(errno));
		rc = -DER_IO;
		goto fail;
	}
	rc = srv_listen(srv, eb);
	if (rc != 0)
		goto fail;
	if (watch(srv, srv->lfd, NULL) != 0 || watch(srv, srv->stop_fd, &srv->stop_fd) != 0 ||
	    watch(srv, srv->wake_fd, &srv->wake_fd) != 0) {
		d_errbuf_set(eb, "epoll: %s", strerror(errno));
		rc = -DER_IO;
		goto fail;
	}
	ctl_rpc_ignore_sigpipe();
	*out = srv;
	return 0;
fail:
	ctl_rpc_server_destroy(srv);
	return rc;
}

bool
ctl_rpc_server_insecure(const struct ctl_rpc_server *srv)
{
	return d_tls_ctx_insecure(srv->tls);
}

enum d_tls_component
ctl_rpc_server_component(const struct ctl_rpc_server *srv)
{
	return d_tls_ctx_insecure(srv->tls) ? D_COMP_UNDEFINED : d_tls_ctx_component(srv->tls);
}

uint16_t
ctl_rpc_server_port(const struct ctl_rpc_server *srv)
{
	return srv->port;
}

void
ctl_rpc_server_stop(struct ctl_rpc_server *srv)
{
	uint64_t one = 1;

	/* write(2) is async-signal-safe; the eventfd stays readable for everyone. */
	if (write(srv->stop_fd, &one, sizeof(one)) < 0) {
		/* counter saturated: already stopping */
	}
}

static void
bury(struct ctl_rpc_server *srv)
{
	struct srv_conn *sc;

	while ((sc = queue_pop(&srv->graveyard)) != NULL)
		D_FREE(sc);
}

static void
take_returned(struct ctl_rpc_server *srv)
{
	struct sc_queue	 q;
	struct srv_conn *sc;
	uint64_t	 v;

	if (read(srv->wake_fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: another round took them */
	}
	pthread_mutex_lock(&srv->lock);
	q = srv->done;
	srv->done.head = srv->done.tail = NULL;
	pthread_mutex_unlock(&srv->lock);
	while ((sc = queue_pop(&q)) != NULL)
		conn_returned(sc);
}

/* Close everything; wait for workers (their waits see the stop eventfd). */
static void
shut_down(struct ctl_rpc_server *srv)
{
	struct sc_queue	 jobs;
	struct srv_conn *sc;

	pthread_mutex_lock(&srv->lock);
	srv->stopping = true;
	jobs = srv->jobs;
	srv->jobs.head = srv->jobs.tail = NULL;
	pthread_cond_broadcast(&srv->work_cond);
	pthread_mutex_unlock(&srv->lock);
	while ((sc = queue_pop(&jobs)) != NULL)
		conn_close(sc);
	while (srv->pending.head != NULL)
		conn_close(srv->pending.head);
	while (srv->idle.head != NULL)
		conn_close(srv->idle.head);
	pthread_mutex_lock(&srv->lock);
	while (srv->nworkers > 0)
		pthread_cond_wait(&srv->exit_cond, &srv->lock);
	jobs = srv->done;
	srv->done.head = srv->done.tail = NULL;
	pthread_mutex_unlock(&srv->lock);
	while ((sc = queue_pop(&jobs)) != NULL)
		conn_close(sc);
	bury(srv);
}

int
ctl_rpc_server_run(struct ctl_rpc_server *srv)
{
	struct epoll_event evs[64];

	for (;;) {
		int64_t now = d_tls_now_ms();
		int	timeout = -1;

		if (srv->next_due <= now)
			expire(srv, now);
		if (srv->next_due != INT64_MAX) {
			int64_t left = srv->next_due - now;

			timeout = left > INT32_MAX ? INT32_MAX : (int)(left < 0 ? 0 : left);
		}
		int n = epoll_wait(srv->epfd, evs, D_ARRAY_SIZE(evs), timeout);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			notify(srv, CTL_RPC_EV_ERROR, "epoll_wait: %s", strerror(errno));
			break;
		}
		bool stop = false;

		for (int i = 0; i < n; i++) {
			void *tag = evs[i].data.ptr;

			if (tag == &srv->stop_fd)
				stop = true;
			else if (tag == &srv->wake_fd)
				take_returned(srv);
			else if (tag == NULL)
				accept_some(srv);
			else
				conn_step(tag);
		}
		bury(srv);
		if (stop)
			break;
	}
	shut_down(srv);
	return 0;
}

void
ctl_rpc_server_destroy(struct ctl_rpc_server *srv)
{
	if (srv == NULL)
		return;
	if (srv->stop_fd >= 0)
		close(srv->stop_fd);
	if (srv->wake_fd >= 0)
		close(srv->wake_fd);
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->lfd >= 0)
		close(srv->lfd);
	d_tls_ctx_destroy(srv->tls);
	pthread_mutex_destroy(&srv->lock);
	pthread_cond_destroy(&srv->work_cond);
	pthread_cond_destroy(&srv->exit_cond);
	D_FREE(srv);
}
