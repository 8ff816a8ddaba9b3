/*
 * Control RPC transport (see rpc.h): framing and envelopes, the server's
 * accept loop and connection threads with the authorization and version
 * checks in front of every handler, and the client with categorised errors
 * and parallel fan-out.  Method bodies are opaque bytes here; rpc_conv.c
 * converts the scan messages.  Nothing here logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "daos_build.h"
#include "common/pb.h"
#include "control/lib/rpc/rpc.h"
#include "control/lib/rpc/rpc_internal.h"
#include "proto/ctl.pb-c.h"

#define CONN_STACK_SIZE	     (256 * 1024)
#define DEFAULT_MAX_CONNS    64
#define DEFAULT_HANDSHAKE_MS 10000
#define DEFAULT_IDLE_MS	     60000
#define DEFAULT_FANOUT	     64

void
ctl_rpc_ignore_sigpipe(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		sa.sa_handler = SIG_IGN;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = 0;
		sigaction(SIGPIPE, &sa, NULL);
	}
}

/* ---------------------------------------------------------------------- */
/* Framing. */

static int
frame_pack(const ProtobufCMessage *msg, uint8_t **frame, size_t *len)
{
	size_t	 n = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf;
	int	 rc;

	if (n + 4 > CTL_RPC_MAX_FRAME)
		return -DER_OVERFLOW;
	rc = d_pb_pack_hdr(msg, 4, &buf, len);
	if (rc != 0)
		return rc;
	buf[0] = (uint8_t)(n >> 24);
	buf[1] = (uint8_t)(n >> 16);
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	*frame = buf;
	return 0;
}

int
ctl_rpc_frame_request(const struct ctl_rpc_req_env *env, uint8_t **frame, size_t *len)
{
	Ctl__RpcRequest m = CTL__RPC_REQUEST__INIT;

	m.method = (char *)(env->method != NULL ? env->method : "");
	m.version = (char *)(env->version != NULL ? env->version : "");
	m.component = (char *)(env->component != NULL ? env->component : "");
	m.body.data = (uint8_t *)env->body;
	m.body.len = env->body_len;
	return frame_pack(&m.base, frame, len);
}

int
ctl_rpc_frame_response(const struct ctl_rpc_resp_env *env, uint8_t **frame, size_t *len)
{
	Ctl__RpcResponse m = CTL__RPC_RESPONSE__INIT;

	m.status = env->status;
	m.error = (char *)(env->error != NULL ? env->error : "");
	m.body.data = (uint8_t *)env->body;
	m.body.len = env->body_len;
	m.version = (char *)(env->version != NULL ? env->version : "");
	m.component = (char *)(env->component != NULL ? env->component : "");
	m.refusal = env->refusal;
	return frame_pack(&m.base, frame, len);
}

int
ctl_rpc_frame_len(const uint8_t hdr[4], uint32_t *len)
{
	uint32_t n =
		(uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];

	if (n == 0)
		return -DER_PROTO;
	if (n > CTL_RPC_MAX_FRAME - 4)
		return -DER_OVERFLOW;
	*len = n;
	return 0;
}

int
ctl_rpc_frame_read(struct d_tls_conn *conn, int64_t deadline, uint32_t max, uint8_t **out,
		   size_t *out_len, struct d_errbuf *eb)
{
	uint8_t	 hdr[4];
	uint32_t n;
	uint8_t *buf;
	int	 rc;

	if (max > CTL_RPC_MAX_FRAME - 4)
		max = CTL_RPC_MAX_FRAME - 4;
	rc = d_tls_read(conn, hdr, sizeof(hdr), deadline, eb);
	if (rc != 0)
		return rc;
	rc = ctl_rpc_frame_len(hdr, &n);
	if (rc == 0 && n > max)
		rc = -DER_OVERFLOW;
	if (rc != 0) {
		d_errbuf_set(eb, "invalid frame length %u (limit %u bytes)",
			     (unsigned)((uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
					(uint32_t)hdr[2] << 8 | hdr[3]),
			     max);
		return rc;
	}
	D_ALLOC(buf, n);
	if (buf == NULL)
		return -DER_NOMEM;
	rc = d_tls_read(conn, buf, n, deadline, eb);
	if (rc != 0) {
		if (rc == -DER_SHUTDOWN) {
			d_errbuf_set(eb, "connection closed in the middle of a message");
			rc = -DER_IO;
		}
		D_FREE(buf);
		return rc;
	}
	*out = buf;
	*out_len = n;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Server. */

struct ctl_rpc_server {
	struct ctl_rpc_server_cfg cfg;
	char			  version[64];
	struct d_tls_ctx	 *tls;
	int			  lfd;
	int			  stop_fd; /* eventfd; stays readable once written */
	uint16_t		  port;
	pthread_mutex_t		  lock;
	pthread_cond_t		  cond;
	int			  nconns;
};

struct srv_conn {
	struct ctl_rpc_server *srv;
	struct d_tls_conn     *conn;
	char		       addr[INET6_ADDRSTRLEN + 8];
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

/* Plaintext peer on a TLS server, or TLS peer on a plaintext server: explain, close. */
static void
refuse_mismatch(struct srv_conn *sc, int64_t deadline, bool peer_is_tls)
{
	struct ctl_rpc_server *srv = sc->srv;
	struct d_errbuf	       eb = {{0}};
	char		       drain[16384];
	uint8_t		      *frame;
	size_t		       len;

	if (peer_is_tls) {
		notify(srv, CTL_RPC_EV_WARN,
		       "rejected a TLS connection from %s: this server has allow_insecure: true; "
		       "the client must set allow_insecure: true too, or remove it here",
		       sc->addr);
		/* Consume the ClientHello so closing does not reset the connection. */
		(void)recv(d_tls_conn_fd(sc->conn), drain, sizeof(drain), 0);
		send_response(srv, sc->conn, deadline, -DER_PROTO,
			      "server does not use TLS (allow_insecure: true)",
			      CTL_RPC_REFUSE_INSECURE, NULL, 0);
		return;
	}
	notify(srv, CTL_RPC_EV_WARN,
	       "rejected a plaintext connection from %s: the client has allow_insecure: true but "
	       "this server requires TLS",
	       sc->addr);
	/* The insecure client has sent (or is sending) its request: read it first. */
	d_tls_conn_plain(sc->conn);
	if (ctl_rpc_frame_read(sc->conn, deadline, CTL_RPC_REQ_SMALL + CTL_RPC_ENV_MAX, &frame,
			       &len, &eb) == 0)
		D_FREE(frame);
	send_response(srv, sc->conn, deadline, -DER_PROTO,
		      "server requires TLS but this client has allow_insecure: true; set "
		      "allow_insecure: false and configure certificates in the client's "
		      "transport_config (or set allow_insecure: true on every server too)",
		      CTL_RPC_REFUSE_INSECURE, NULL, 0);
}

/* "agent certificate", or "no certificate: allow_insecure" for the log. */
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

static void *
conn_thread(void *arg)
{
	struct srv_conn	      *sc = arg;
	struct ctl_rpc_server *srv = sc->srv;
	struct d_errbuf	       eb = {{0}};
	int64_t		       hs_deadline = d_tls_now_ms() + srv->cfg.handshake_timeout_ms;
	bool		       plaintext = false;
	enum d_tls_component   role;
	uint32_t	       max;
	int		       rc;

	if (d_tls_ctx_insecure(srv->tls)) {
		uint8_t b;

		rc = d_tls_peek_byte(sc->conn, hs_deadline, &b);
		if (rc == 0 && b == 22 /* TLS handshake record */) {
			refuse_mismatch(sc, hs_deadline, true);
			goto out;
		}
	} else {
		rc = d_tls_handshake(sc->conn, hs_deadline, &plaintext, &eb);
		if (rc != 0) {
			if (plaintext) {
				refuse_mismatch(sc, hs_deadline, false);
			} else if (rc == -DER_TIMEDOUT) {
				notify(srv, CTL_RPC_EV_WARN,
				       "TLS handshake with %s timed out after %d ms", sc->addr,
				       srv->cfg.handshake_timeout_ms);
			} else if (rc != -DER_CANCELED) {
				notify(srv, CTL_RPC_EV_WARN, "TLS handshake with %s failed: %s",
				       sc->addr, eb.msg);
				d_tls_conn_linger(sc->conn, d_tls_now_ms() + 1000);
			}
			goto out;
		}
	}
	/* Bound what this peer may make us read by what its role may call. */
	role = d_tls_ctx_insecure(srv->tls) ? D_COMP_UNDEFINED : d_tls_conn_peer(sc->conn);
	max = ctl_rpc_role_frame_max(role);
	for (;;) {
		int64_t	 deadline = d_tls_now_ms() + srv->cfg.idle_timeout_ms;
		uint8_t *frame;
		size_t	 len;

		rc = ctl_rpc_frame_read(sc->conn, deadline, max, &frame, &len, &eb);
		if (rc != 0) {
			if (rc == -DER_OVERFLOW)
				notify(srv, CTL_RPC_EV_WARN,
				       "closing connection from %s (%s): %s; no method %s may call "
				       "takes a request that large",
				       sc->addr, peer_desc(srv, role), eb.msg,
				       role == D_COMP_UNDEFINED ? "a client" : "this role");
			else if (rc == -DER_PROTO)
				notify(srv, CTL_RPC_EV_WARN, "closing connection from %s: %s",
				       sc->addr, eb.msg);
			else if (rc == -DER_IO)
				notify(srv, CTL_RPC_EV_INFO, "connection from %s: %s", sc->addr,
				       eb.msg);
			break;
		}
		rc = serve_request(sc, frame, len, d_tls_now_ms() + srv->cfg.idle_timeout_ms);
		D_FREE(frame);
		if (rc != 0)
			break;
	}
out:
	d_tls_conn_destroy(sc->conn);
	pthread_mutex_lock(&srv->lock);
	srv->nconns--;
	pthread_cond_broadcast(&srv->cond);
	pthread_mutex_unlock(&srv->lock);
	D_FREE(sc);
	return NULL;
}

static void
format_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int  port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		/* Show v4-mapped peers as plain IPv4. */
		if (strncmp(host, "::ffff:", 7) == 0 && strchr(host + 7, '.') != NULL)
			memmove(host, host + 7, strlen(host + 7) + 1);
		port = ntohs(a->sin6_port);
	}
	snprintf(buf, len, "%s:%d", host, port);
}

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
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
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
	srv->lfd = -1;
	srv->stop_fd = -1;
	if (srv->cfg.max_conns <= 0)
		srv->cfg.max_conns = DEFAULT_MAX_CONNS;
	if (srv->cfg.handshake_timeout_ms <= 0)
		srv->cfg.handshake_timeout_ms = DEFAULT_HANDSHAKE_MS;
	if (srv->cfg.idle_timeout_ms <= 0)
		srv->cfg.idle_timeout_ms = DEFAULT_IDLE_MS;
	snprintf(srv->version, sizeof(srv->version), "%s",
		 cfg->version != NULL ? cfg->version : DAOS_VERSION);
	srv->cfg.version = srv->version;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->cond, NULL);

	rc = d_tls_ctx_create(D_TLS_SERVER, cfg->tls, &srv->tls, eb);
	if (rc != 0)
		goto fail;
	srv->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (srv->stop_fd < 0) {
		d_errbuf_set(eb, "eventfd: %s", strerror(errno));
		rc = -DER_IO;
		goto fail;
	}
	rc = srv_listen(srv, eb);
	if (rc != 0)
		goto fail;
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
spawn_conn(struct ctl_rpc_server *srv, int fd, const struct sockaddr_storage *ss)
{
	struct srv_conn *sc;
	pthread_attr_t	 attr;
	pthread_t	 th;
	char		 addr[INET6_ADDRSTRLEN + 8];
	int		 one = 1;

	format_addr(ss, addr, sizeof(addr));
	pthread_mutex_lock(&srv->lock);
	if (srv->nconns >= srv->cfg.max_conns) {
		pthread_mutex_unlock(&srv->lock);
		notify(srv, CTL_RPC_EV_WARN,
		       "refusing connection from %s: %d connections already open", addr,
		       srv->cfg.max_conns);
		close(fd);
		return;
	}
	srv->nconns++;
	pthread_mutex_unlock(&srv->lock);

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	D_ALLOC_PTR(sc);
	if (sc == NULL)
		goto fail;
	sc->srv = srv;
	memcpy(sc->addr, addr, sizeof(sc->addr));
	if (d_tls_conn_create(srv->tls, fd, srv->stop_fd, &sc->conn) != 0)
		goto fail;
	fd = -1; /* owned by the connection now */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, CONN_STACK_SIZE);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, conn_thread, sc) != 0) {
		pthread_attr_destroy(&attr);
		goto fail;
	}
	pthread_attr_destroy(&attr);
	return;
fail:
	notify(srv, CTL_RPC_EV_ERROR, "cannot serve connection from %s: out of resources", addr);
	if (sc != NULL)
		d_tls_conn_destroy(sc->conn);
	D_FREE(sc);
	if (fd >= 0)
		close(fd);
	pthread_mutex_lock(&srv->lock);
	srv->nconns--;
	pthread_cond_broadcast(&srv->cond);
	pthread_mutex_unlock(&srv->lock);
}

static bool
stop_requested(struct ctl_rpc_server *srv)
{
	struct pollfd pfd = {.fd = srv->stop_fd, .events = POLLIN};

	return poll(&pfd, 1, 0) > 0;
}

/*
 * At the connection limit, leave new connections in the listen backlog
 * until a thread finishes, rather than dropping them: a burst from one
 * client (dmg with many requests) then waits instead of failing.
 */
static bool
wait_for_slot(struct ctl_rpc_server *srv)
{
	pthread_mutex_lock(&srv->lock);
	while (srv->nconns >= srv->cfg.max_conns) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&srv->cond, &srv->lock, &ts);
		if (stop_requested(srv)) {
			pthread_mutex_unlock(&srv->lock);
			return false;
		}
	}
	pthread_mutex_unlock(&srv->lock);
	return true;
}

int
ctl_rpc_server_run(struct ctl_rpc_server *srv)
{
	struct pollfd pfd[2] = {{.fd = srv->lfd, .events = POLLIN},
				{.fd = srv->stop_fd, .events = POLLIN}};

	for (;;) {
		if (!wait_for_slot(srv))
			break;
		int rc = poll(pfd, 2, -1);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			break;
		if (pfd[1].revents != 0)
			break;
		if (pfd[0].revents == 0)
			continue;

		struct sockaddr_storage ss;
		socklen_t		sl = sizeof(ss);
		int fd = accept4(srv->lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);

		if (fd < 0) {
			/* EMFILE and friends: back off instead of spinning. */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				notify(srv, CTL_RPC_EV_ERROR, "accept: %s", strerror(errno));
				poll(&pfd[1], 1, 100);
			}
			continue;
		}
		spawn_conn(srv, fd, &ss);
	}
	/* Connection threads see the stop eventfd and finish. */
	pthread_mutex_lock(&srv->lock);
	while (srv->nconns > 0)
		pthread_cond_wait(&srv->cond, &srv->lock);
	pthread_mutex_unlock(&srv->lock);
	return 0;
}

void
ctl_rpc_server_destroy(struct ctl_rpc_server *srv)
{
	if (srv == NULL)
		return;
	if (srv->stop_fd >= 0) {
		ctl_rpc_server_stop(srv);
		pthread_mutex_lock(&srv->lock);
		while (srv->nconns > 0)
			pthread_cond_wait(&srv->cond, &srv->lock);
		pthread_mutex_unlock(&srv->lock);
		close(srv->stop_fd);
	}
	if (srv->lfd >= 0)
		close(srv->lfd);
	d_tls_ctx_destroy(srv->tls);
	pthread_mutex_destroy(&srv->lock);
	pthread_cond_destroy(&srv->cond);
	D_FREE(srv);
}
