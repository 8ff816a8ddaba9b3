/*
 * Control RPC client (see rpc.h): resolve with getaddrinfo_a so a slow
 * resolver cannot outlive the deadline, non-blocking connect, TLS handshake,
 * request/response over one connection (the fan-out over many hosts sharing
 * one TLS context is rpc_fanout.c).  Every failure is categorised
 * (struct ctl_rpc_error) with the short reason dmg prints.  Nothing here logs.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daos_build.h"
#include "control/lib/rpc/rpc.h"
#include "control/lib/rpc/rpc_internal.h"
#include "proto/ctl.pb-c.h"

static const char *const kind_names[] = {
	[CTL_RPC_ERR_NONE] = "ok",
	[CTL_RPC_ERR_RESOLVE] = "no such host",
	[CTL_RPC_ERR_REFUSED] = "connection refused",
	[CTL_RPC_ERR_TIMEOUT] = "timed out",
	[CTL_RPC_ERR_UNREACHABLE] = "unreachable",
	[CTL_RPC_ERR_TLS] = "TLS handshake failed",
	[CTL_RPC_ERR_PERM] = "permission denied",
	[CTL_RPC_ERR_VERSION] = "version mismatch",
	[CTL_RPC_ERR_PROTO] = "protocol error",
	[CTL_RPC_ERR_REMOTE] = "remote error",
	[CTL_RPC_ERR_LOCAL] = "local error",
};

const char *
ctl_rpc_err_kind_str(enum ctl_rpc_err_kind kind)
{
	if ((unsigned)kind >= D_ARRAY_SIZE(kind_names))
		return "unknown";
	return kind_names[kind];
}

/* A port: decimal digits only (no blank, sign or base prefix), 1..65535. */
static int
addr_port(const char *s, uint16_t *port)
{
	uint64_t p;

	if (d_parse_u64(s, &p) != 0 || p == 0 || p > 65535)
		return -DER_INVAL;
	*port = (uint16_t)p;
	return 0;
}

/* Both results, written only when the host h[0..hl) is not empty and fits. */
static int
addr_out(const char *h, size_t hl, uint16_t p, char *host, size_t host_len, uint16_t *port)
{
	if (hl == 0 || hl >= host_len)
		return -DER_INVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = p;
	return 0;
}

int
ctl_addr_split(const char *addr, char *host, size_t host_len, uint16_t *port)
{
	const char *colon = strrchr(addr, ':');
	const char *h = addr;
	size_t	    hl;
	uint16_t    p;

	if (colon == NULL || addr_port(colon + 1, &p) != 0)
		return -DER_INVAL;
	hl = (size_t)(colon - addr);
	if (addr[0] == '[' && hl >= 2 && colon[-1] == ']') { /* [v6addr]:port */
		h++;
		hl -= 2;
	}
	return addr_out(h, hl, p, host, host_len, port);
}

int
ctl_addr_split_opt(const char *addr, char *host, size_t host_len, uint16_t *port)
{
	const char *colon = strchr(addr, ':');
	const char *h = addr;
	size_t	    hl;
	uint16_t    p = 0;

	if (addr[0] == '[') {
		const char *rb = strchr(addr, ']');

		if (rb == NULL || (rb[1] != '\0' && rb[1] != ':'))
			return -DER_INVAL;
		if (rb[1] == ':' && addr_port(rb + 2, &p) != 0)
			return -DER_INVAL;
		h++;
		hl = (size_t)(rb - h);
	} else if (colon != NULL && strchr(colon + 1, ':') == NULL) {
		if (addr_port(colon + 1, &p) != 0)
			return -DER_INVAL;
		hl = (size_t)(colon - addr);
	} else {
		/* no port, or a bare IPv6 address: its colons are its own */
		hl = strlen(addr);
	}
	return addr_out(h, hl, p, host, host_len, port);
}

static int __attribute__((format(printf, 4, 5)))
set_err(struct ctl_rpc_error *err, enum ctl_rpc_err_kind kind, int status, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		err->kind = kind;
		err->status = status;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return status;
}

struct ctl_rpc_client {
	struct d_tls_ctx    *tls;
	enum d_tls_component component;
	char		     version[64];
};

struct ctl_rpc_conn {
	struct ctl_rpc_client *cl;
	struct d_tls_conn     *tc;
	bool		       exchanged; /* a response was received on it */
};

int
ctl_rpc_client_create(const struct d_tls_cfg *tls, enum d_tls_component component,
		      struct ctl_rpc_client **out, struct d_errbuf *eb)
{
	struct ctl_rpc_client *cl;
	int		       rc;

	D_ALLOC_PTR(cl);
	if (cl == NULL)
		return -DER_NOMEM;
	rc = d_tls_ctx_create(D_TLS_CLIENT, tls, &cl->tls, eb);
	if (rc != 0) {
		D_FREE(cl);
		return rc;
	}
	/* With TLS the role is the certificate's; claiming another would be refused. */
	cl->component = d_tls_ctx_insecure(cl->tls) ? component : d_tls_ctx_component(cl->tls);
	snprintf(cl->version, sizeof(cl->version), "%s", DAOS_VERSION);
	ctl_rpc_ignore_sigpipe();
	*out = cl;
	return 0;
}

void
ctl_rpc_client_destroy(struct ctl_rpc_client *cl)
{
	if (cl == NULL)
		return;
	d_tls_ctx_destroy(cl->tls);
	D_FREE(cl);
}

int
ctl_rpc_client_set_version(struct ctl_rpc_client *cl, const char *version)
{
	if (version == NULL || strlen(version) >= sizeof(cl->version))
		return -DER_INVAL;
	snprintf(cl->version, sizeof(cl->version), "%s", version);
	return 0;
}

struct gai_req {
	struct gaicb	cb;
	struct addrinfo hints;
	char		port[8];
	char		host[];
};

static int
resolve(const char *host, uint16_t port, int64_t deadline, struct addrinfo **res,
	struct ctl_rpc_error *err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct gai_req *r;
	struct gaicb   *list[1];
	char		pstr[8];
	int		rc;

	snprintf(pstr, sizeof(pstr), "%u", port);
	if (getaddrinfo(host, pstr, &hints, res) == 0)
		return 0;

	r = d_calloc(1, sizeof(*r) + strlen(host) + 1);
	if (r == NULL)
		return set_err(err, CTL_RPC_ERR_LOCAL, -DER_NOMEM, "out of memory");
	strcpy(r->host, host);
	memcpy(r->port, pstr, sizeof(pstr));
	r->hints.ai_socktype = SOCK_STREAM;
	r->hints.ai_flags = AI_NUMERICSERV;
	r->cb.ar_name = r->host;
	r->cb.ar_service = r->port;
	r->cb.ar_request = &r->hints;
	list[0] = &r->cb;
	rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (rc != 0) {
		D_FREE(r);
		return set_err(err, CTL_RPC_ERR_LOCAL, -DER_NOMEM, "cannot start resolving %s: %s",
			       host, gai_strerror(rc));
	}
	for (;;) {
		rc = gai_error(&r->cb);
		if (rc != EAI_INPROGRESS)
			break;
		int64_t left = deadline - d_tls_now_ms();

		if (left <= 0) {
			rc = gai_cancel(&r->cb);
			if (rc == EAI_NOTCANCELED)
				return set_err(err, CTL_RPC_ERR_TIMEOUT, -DER_TIMEDOUT,
					       "timed out"); /* r stays with the resolver thread */
			if (rc == EAI_ALLDONE && r->cb.ar_result != NULL)
				freeaddrinfo(r->cb.ar_result);
			D_FREE(r);
			return set_err(err, CTL_RPC_ERR_TIMEOUT, -DER_TIMEDOUT, "timed out");
		}
		struct timespec ts = {.tv_sec = left / 1000, .tv_nsec = (left % 1000) * 1000000};

		(void)gai_suspend((const struct gaicb *const *)list, 1, &ts);
	}
	if (rc != 0) {
		D_FREE(r);
		if (rc == EAI_AGAIN)
			return set_err(err, CTL_RPC_ERR_RESOLVE, -DER_NONEXIST,
				       "no such host (temporary failure in name resolution)");
		return set_err(err, CTL_RPC_ERR_RESOLVE, -DER_NONEXIST, "no such host");
	}
	*res = r->cb.ar_result;
	D_FREE(r);
	return 0;
}

static int
connect_errno(int e, struct ctl_rpc_error *err)
{
	switch (e) {
	case ECONNREFUSED:
		return set_err(err, CTL_RPC_ERR_REFUSED, -DER_UNREACH, "connection refused");
	case ETIMEDOUT:
		return set_err(err, CTL_RPC_ERR_TIMEOUT, -DER_TIMEDOUT, "timed out");
	case ENETUNREACH:
		return set_err(err, CTL_RPC_ERR_UNREACHABLE, -DER_UNREACH,
			       "network is unreachable");
	case EHOSTUNREACH:
		return set_err(err, CTL_RPC_ERR_UNREACHABLE, -DER_UNREACH, "no route to host");
	default:
		return set_err(err, CTL_RPC_ERR_UNREACHABLE, -DER_UNREACH, "cannot connect: %s",
			       strerror(e));
	}
}

/* Non-blocking connect to the first address that answers. */
static int
tcp_connect(const struct addrinfo *res, int64_t deadline, int *out, struct ctl_rpc_error *err)
{
	int last = ECONNREFUSED;

	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
				ai->ai_protocol);
		int one = 1;

		if (fd < 0) {
			last = errno;
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			*out = fd;
			return 0;
		}
		if (errno != EINPROGRESS) {
			last = errno;
			close(fd);
			continue;
		}
		for (;;) {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
			int64_t	      left = deadline - d_tls_now_ms();
			int	      rc;

			if (left <= 0) {
				close(fd);
				return set_err(err, CTL_RPC_ERR_TIMEOUT, -DER_TIMEDOUT,
					       "timed out");
			}
			rc = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
			if (rc < 0 && errno == EINTR)
				continue;
			if (rc == 0)
				continue; /* the deadline check above ends it */
			break;
		}
		int	  soerr = 0;
		socklen_t sl = sizeof(soerr);

		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0) {
			*out = fd;
			return 0;
		}
		last = soerr != 0 ? soerr : errno;
		close(fd);
	}
	return connect_errno(last, err);
}

int
ctl_rpc_conn_open(struct ctl_rpc_client *cl, const char *host, uint16_t port, int64_t deadline,
		  struct ctl_rpc_conn **out, struct ctl_rpc_error *err)
{
	struct addrinfo	    *res = NULL;
	struct ctl_rpc_conn *conn;
	struct d_errbuf	     eb = {{0}};
	bool		     plaintext = false;
	int		     fd = -1, rc;

	if (host == NULL || host[0] == '\0')
		return set_err(err, CTL_RPC_ERR_LOCAL, -DER_INVAL, "empty host name");
	rc = resolve(host, port, deadline, &res, err);
	if (rc != 0)
		return rc;
	rc = tcp_connect(res, deadline, &fd, err);
	freeaddrinfo(res);
	if (rc != 0)
		return rc;
	D_ALLOC_PTR(conn);
	if (conn == NULL) {
		close(fd);
		return set_err(err, CTL_RPC_ERR_LOCAL, -DER_NOMEM, "out of memory");
	}
	conn->cl = cl;
	rc = d_tls_conn_create(cl->tls, fd, -1, &conn->tc);
	if (rc != 0) {
		close(fd);
		D_FREE(conn);
		return set_err(err, CTL_RPC_ERR_LOCAL, rc, "out of memory");
	}
	rc = d_tls_handshake(conn->tc, deadline, &plaintext, &eb);
	if (rc != 0) {
		ctl_rpc_conn_close(conn);
		if (rc == -DER_TIMEDOUT)
			return set_err(err, CTL_RPC_ERR_TIMEOUT, rc, "timed out");
		if (plaintext)
			return set_err(err, CTL_RPC_ERR_TLS, rc,
				       "TLS handshake failed: the server does not use TLS (it has "
				       "allow_insecure: true); set allow_insecure: true in this "
				       "client's config too, or remove it from the server's");
		return set_err(err, CTL_RPC_ERR_TLS, rc, "TLS handshake failed: %s", eb.msg);
	}
	*out = conn;
	return 0;
}

void
ctl_rpc_conn_close(struct ctl_rpc_conn *conn)
{
	if (conn == NULL)
		return;
	d_tls_conn_destroy(conn->tc);
	D_FREE(conn);
}

/* An I/O failure; before the first response a TLS error is the peer rejecting us. */
static int
io_error(struct ctl_rpc_conn *conn, int rc, const struct d_errbuf *eb, struct ctl_rpc_error *err)
{
	if (rc == -DER_TIMEDOUT)
		return set_err(err, CTL_RPC_ERR_TIMEOUT, rc, "timed out");
	if (rc == -DER_NOMEM)
		return set_err(err, CTL_RPC_ERR_LOCAL, rc, "out of memory");
	if (!conn->exchanged && !d_tls_ctx_insecure(conn->cl->tls)) {
		if (rc == -DER_PROTO)
			return set_err(err, CTL_RPC_ERR_TLS, rc, "TLS handshake failed: %s",
				       eb->msg);
		/*
		 * TLS 1.3 servers judge our certificate after our handshake
		 * ended; a close before any response is most likely that.
		 */
		if (rc == -DER_SHUTDOWN || rc == -DER_IO)
			return set_err(err, CTL_RPC_ERR_TLS, rc,
				       "TLS handshake failed: the server closed the connection "
				       "(does it trust this client's certificate and CA?)");
	}
	if (rc == -DER_SHUTDOWN)
		return set_err(err, CTL_RPC_ERR_PROTO, rc, "connection closed by the server");
	return set_err(err, CTL_RPC_ERR_PROTO, rc, "%s", eb->msg[0] ? eb->msg : d_errstr(rc));
}

static int
response_error(struct ctl_rpc_conn *conn, const Ctl__RpcResponse *r, struct ctl_rpc_error *err)
{
	struct d_errbuf eb = {{0}};
	int		st = r->status != 0 ? r->status : -DER_MISC;
	int		rc;

	switch (r->refusal) {
	case CTL_RPC_REFUSE_PERM:
		return set_err(err, CTL_RPC_ERR_PERM, st, "permission denied: %s", r->error);
	case CTL_RPC_REFUSE_VERSION:
		return set_err(err, CTL_RPC_ERR_VERSION, st, "version mismatch: %s", r->error);
	case CTL_RPC_REFUSE_INSECURE:
		return set_err(err, CTL_RPC_ERR_TLS, st, "TLS handshake failed: %s", r->error);
	default:
		break;
	}
	if (r->status != 0)
		return set_err(err, CTL_RPC_ERR_REMOTE, r->status, "%s",
			       r->error[0] ? r->error : d_errstr(r->status));
	/* Also check from our side: an older server may not check at all. */
	rc = ctl_version_compat(d_tls_component_name(conn->cl->component), conn->cl->version,
				r->component, r->version, &eb);
	if (rc != 0)
		return set_err(err, CTL_RPC_ERR_VERSION, -DER_MISMATCH, "version mismatch: %s",
			       eb.msg);
	return 0;
}

int
ctl_rpc_conn_call(struct ctl_rpc_conn *conn, const char *method, const void *req, size_t req_len,
		  int64_t deadline, uint8_t **resp, size_t *resp_len, struct ctl_rpc_error *err)
{
	struct ctl_rpc_req_env env = {
		.method = method,
		.version = conn->cl->version,
		.component = d_tls_component_name(conn->cl->component),
		.body = req,
		.body_len = req_len,
	};
	struct d_errbuf	  eb = {{0}};
	Ctl__RpcResponse *r;
	uint8_t		 *frame, *body = NULL;
	size_t		  len;
	int		  rc;

	rc = ctl_rpc_frame_request(&env, &frame, &len);
	if (rc != 0)
		return set_err(err, CTL_RPC_ERR_LOCAL, rc,
			       rc == -DER_OVERFLOW ? "request too large" : "out of memory");
	rc = d_tls_write(conn->tc, frame, len, deadline, &eb);
	D_FREE(frame);
	if (rc != 0)
		return io_error(conn, rc, &eb, err);
	rc = ctl_rpc_frame_read(conn->tc, deadline, CTL_RPC_MAX_FRAME - 4, &frame, &len, &eb);
	if (rc != 0)
		return io_error(conn, rc, &eb, err);
	r = ctl__rpc_response__unpack(NULL, len, frame);
	D_FREE(frame);
	if (r == NULL)
		return set_err(err, CTL_RPC_ERR_PROTO, -DER_PROTO, "malformed response");
	conn->exchanged = true;
	rc = response_error(conn, r, err);
	if (rc == 0 && r->body.len > 0) {
		D_ALLOC(body, r->body.len);
		if (body == NULL)
			rc = set_err(err, CTL_RPC_ERR_LOCAL, -DER_NOMEM, "out of memory");
		else
			memcpy(body, r->body.data, r->body.len);
	}
	if (rc == 0) {
		*resp = body;
		*resp_len = r->body.len;
	}
	ctl__rpc_response__free_unpacked(r, NULL);
	return rc;
}

int
ctl_rpc_call(struct ctl_rpc_client *cl, const char *host, uint16_t port, const char *method,
	     const void *req, size_t req_len, int timeout_ms, uint8_t **resp, size_t *resp_len,
	     struct ctl_rpc_error *err)
{
	int64_t		     deadline = d_tls_now_ms() + timeout_ms;
	struct ctl_rpc_conn *conn;
	int		     rc;

	rc = ctl_rpc_conn_open(cl, host, port, deadline, &conn, err);
	if (rc != 0)
		return rc;
	rc = ctl_rpc_conn_call(conn, method, req, req_len, deadline, resp, resp_len, err);
	ctl_rpc_conn_close(conn);
	return rc;
}
