/*
 * dRPC: packet framing and reassembly, the client (connect, call with
 * sequence matching and a deadline) and the single-threaded poll-loop
 * server (handler table, unknown module/method answers, async-signal-safe
 * stop).  Wire layout and error codes are documented in drpc.h.  It does
 * not interpret method bodies and does not log.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/drpc.h"
#include "common/pb.h"
#include "proto/drpc.pb-c.h"

_Static_assert((int)D_DRPC_SUCCESS == (int)DRPC__STATUS__SUCCESS, "status");
_Static_assert((int)D_DRPC_SUBMITTED == (int)DRPC__STATUS__SUBMITTED, "status");
_Static_assert((int)D_DRPC_FAILURE == (int)DRPC__STATUS__FAILURE, "status");
_Static_assert((int)D_DRPC_UNKNOWN_MODULE == (int)DRPC__STATUS__UNKNOWN_MODULE, "status");
_Static_assert((int)D_DRPC_UNKNOWN_METHOD == (int)DRPC__STATUS__UNKNOWN_METHOD, "status");
_Static_assert((int)D_DRPC_FAILED_UNMARSHAL_CALL == (int)DRPC__STATUS__FAILED_UNMARSHAL_CALL,
	       "status");
_Static_assert((int)D_DRPC_FAILED_UNMARSHAL_PAYLOAD == (int)DRPC__STATUS__FAILED_UNMARSHAL_PAYLOAD,
	       "status");
_Static_assert((int)D_DRPC_FAILED_MARSHAL == (int)DRPC__STATUS__FAILED_MARSHAL, "status");

/* A server gives a slow reader this long to take a response before it
 * drops the connection, so one stuck client cannot stall the others. */
#define DRPC_SERVER_SEND_TIMEOUT_MS 10000

#define DRPC_WHY_LEN 256

/* ---- Names ---- */

const char *
d_drpc_module_name(int32_t module)
{
	switch (module) {
#define D_DRPC_X(sym, num, name)                                                                   \
	case num:                                                                                  \
		return name;
		D_DRPC_MODULES(D_DRPC_X)
#undef D_DRPC_X
	default:
		return NULL;
	}
}

static const struct {
	int32_t	    module;
	int32_t	    method;
	const char *name;
} drpc_methods[] = {
#define D_DRPC_X(sym, mod, num, name) {mod, num, name},
	D_DRPC_METHODS(D_DRPC_X)
#undef D_DRPC_X
};

const char *
d_drpc_method_name(int32_t module, int32_t method)
{
	for (size_t i = 0; i < D_ARRAY_SIZE(drpc_methods); i++)
		if (drpc_methods[i].module == module && drpc_methods[i].method == method)
			return drpc_methods[i].name;
	return NULL;
}

const char *
d_drpc_status_name(int32_t status)
{
	static const char *const names[] = {
		"SUCCESS",
		"SUBMITTED",
		"FAILURE",
		"UNKNOWN_MODULE",
		"UNKNOWN_METHOD",
		"FAILED_UNMARSHAL_CALL",
		"FAILED_UNMARSHAL_PAYLOAD",
		"FAILED_MARSHAL",
	};

	if (status < 0 || (size_t)status >= D_ARRAY_SIZE(names))
		return NULL;
	return names[status];
}

/* ---- Time ---- */

static int64_t
drpc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* timeout_ms < 0: no deadline (-1). */
static int64_t
drpc_deadline(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : drpc_now_ms() + timeout_ms;
}

/* Wait for events on fd until the deadline: 0, -DER_TIMEDOUT, -DER_HG. */
static int
drpc_wait(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int	      rc;

	for (;;) {
		int ms = -1;

		if (deadline >= 0) {
			int64_t left = deadline - drpc_now_ms();

			if (left <= 0)
				return -DER_TIMEDOUT;
			ms = left > INT_MAX ? INT_MAX : (int)left;
		}
		rc = poll(&pfd, 1, ms);
		if (rc > 0)
			return 0;
		if (rc == 0)
			continue; /* re-check the deadline */
		if (errno != EINTR)
			return -DER_HG;
	}
}

/* ---- Framing ---- */

static void
put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t
get_le32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* Reassembly state of one incoming message; next == 0 means idle. */
struct drpc_asm {
	uint8_t *buf;
	uint64_t total;
	uint32_t nchunks;
	uint32_t next;
	size_t	 got;
};

static void
drpc_asm_reset(struct drpc_asm *a)
{
	D_FREE(a->buf);
	memset(a, 0, sizeof(*a));
}

/*
 * Feed one packet of n bytes.  Returns 1 when the message is complete (its
 * buffer handed over in *msg and *len and the state reset), 0 when more packets
 * are needed, or -DER_* with the reason in why.
 */
static int
drpc_asm_feed(struct drpc_asm *a, const uint8_t *pkt, size_t n, uint8_t **msg, size_t *len,
	      char *why)
{
	uint64_t total, chunk;
	uint32_t idx, nchunks;

	if (n < D_DRPC_HDR_SIZE) {
		snprintf(why, DRPC_WHY_LEN,
			 "dRPC packet of %zu bytes is shorter than the %d-byte chunk header", n,
			 D_DRPC_HDR_SIZE);
		return -DER_PROTO;
	}
	total = get_le64(pkt);
	chunk = get_le64(pkt + 8);
	idx = get_le32(pkt + 16);
	nchunks = get_le32(pkt + 20);

	if (chunk != n - D_DRPC_HDR_SIZE) {
		snprintf(why, DRPC_WHY_LEN,
			 "dRPC chunk header announces %llu data bytes but the packet carries %zu",
			 (unsigned long long)chunk, n - D_DRPC_HDR_SIZE);
		return -DER_PROTO;
	}
	if (a->next == 0) {
		if (total > D_DRPC_MAX_MSG) {
			snprintf(why, DRPC_WHY_LEN,
				 "dRPC message of %llu bytes exceeds the limit of %u bytes",
				 (unsigned long long)total, D_DRPC_MAX_MSG);
			return -DER_OVERFLOW;
		}
		if (idx != 0) {
			snprintf(why, DRPC_WHY_LEN,
				 "first dRPC packet of a message has chunk index %u instead of 0",
				 idx);
			return -DER_PROTO;
		}
		if (nchunks == 0 || (total == 0 && nchunks != 1) ||
		    (total > 0 && nchunks > total)) {
			snprintf(why, DRPC_WHY_LEN,
				 "dRPC message of %llu bytes announces an impossible %u chunks",
				 (unsigned long long)total, nchunks);
			return -DER_PROTO;
		}
		D_ALLOC(a->buf, total > 0 ? total : 1);
		if (a->buf == NULL) {
			snprintf(why, DRPC_WHY_LEN, "out of memory for a %llu-byte dRPC message",
				 (unsigned long long)total);
			return -DER_NOMEM;
		}
		a->total = total;
		a->nchunks = nchunks;
		a->got = 0;
	} else {
		if (idx != a->next) {
			snprintf(why, DRPC_WHY_LEN,
				 "dRPC chunk %u arrived where chunk %u was expected", idx, a->next);
			return -DER_PROTO;
		}
		if (total != a->total || nchunks != a->nchunks) {
			snprintf(why, DRPC_WHY_LEN,
				 "dRPC chunk %u announces %llu bytes in %u chunks, its message "
				 "began with %llu bytes in %u chunks",
				 idx, (unsigned long long)total, nchunks,
				 (unsigned long long)a->total, a->nchunks);
			return -DER_PROTO;
		}
	}
	if (chunk > a->total - a->got || (chunk == 0 && a->total > 0)) {
		snprintf(why, DRPC_WHY_LEN,
			 "dRPC chunk %u carries %llu bytes where %llu of the message remain", idx,
			 (unsigned long long)chunk, (unsigned long long)(a->total - a->got));
		return -DER_PROTO;
	}
	memcpy(a->buf + a->got, pkt + D_DRPC_HDR_SIZE, chunk);
	a->got += chunk;
	a->next++;
	if (a->next < a->nchunks)
		return 0;
	if (a->got != a->total) {
		snprintf(why, DRPC_WHY_LEN, "dRPC message ended after %zu of its %llu bytes",
			 a->got, (unsigned long long)a->total);
		return -DER_PROTO;
	}
	*msg = a->buf;
	*len = a->got;
	a->buf = NULL;
	drpc_asm_reset(a);
	return 1;
}

/*
 * Receive one packet into pkt (D_DRPC_MAX_PACKET bytes) without blocking:
 * its length, 0 at end of stream, -DER_AGAIN when none is queued,
 * -DER_OVERFLOW for an oversized packet, -DER_UNREACH/-DER_HG.
 */
static ssize_t
drpc_recv_packet(int fd, uint8_t *pkt, char *why)
{
	ssize_t n;

	do {
		/* MSG_TRUNC makes recv report the real packet length. */
		n = recv(fd, pkt, D_DRPC_MAX_PACKET, MSG_DONTWAIT | MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -DER_AGAIN;
		snprintf(why, DRPC_WHY_LEN, "dRPC receive failed: %s", strerror(errno));
		return errno == ECONNRESET ? -DER_UNREACH : -DER_HG;
	}
	if (n > D_DRPC_MAX_PACKET) {
		snprintf(why, DRPC_WHY_LEN,
			 "dRPC packet of %zd bytes exceeds the packet limit of %d bytes", n,
			 D_DRPC_MAX_PACKET);
		return -DER_OVERFLOW;
	}
	return n;
}

static int
drpc_eof(const struct drpc_asm *a, char *why)
{
	if (a->next == 0) {
		snprintf(why, DRPC_WHY_LEN, "dRPC peer closed the connection");
		return -DER_UNREACH;
	}
	snprintf(why, DRPC_WHY_LEN, "dRPC peer closed the connection after chunk %u of %u",
		 a->next - 1, a->nchunks);
	return -DER_PROTO;
}

static int
drpc_send_dl(int fd, const void *buf, size_t len, int64_t deadline, bool *partial)
{
	const uint8_t *data = buf;
	uint8_t	      *pkt;
	size_t	       nchunks, off = 0;
	int	       rc = 0;

	*partial = false;
	if (len > D_DRPC_MAX_MSG)
		return -DER_OVERFLOW;
	nchunks = len == 0 ? 1 : (len + D_DRPC_MAX_PAYLOAD - 1) / D_DRPC_MAX_PAYLOAD;
	D_ALLOC(pkt, D_DRPC_MAX_PACKET);
	if (pkt == NULL)
		return -DER_NOMEM;
	for (size_t i = 0; i < nchunks; i++) {
		size_t	chunk = len - off < D_DRPC_MAX_PAYLOAD ? len - off : D_DRPC_MAX_PAYLOAD;
		ssize_t n;

		put_le64(pkt, len);
		put_le64(pkt + 8, chunk);
		put_le32(pkt + 16, (uint32_t)i);
		put_le32(pkt + 20, (uint32_t)nchunks);
		if (chunk > 0)
			memcpy(pkt + D_DRPC_HDR_SIZE, data + off, chunk);
		for (;;) {
			rc = drpc_wait(fd, POLLOUT, deadline);
			if (rc != 0)
				goto out;
			n = send(fd, pkt, D_DRPC_HDR_SIZE + chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n >= 0)
				break;
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				continue;
			rc = (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN)
				     ? -DER_UNREACH
				     : -DER_HG;
			goto out;
		}
		*partial = true;
		off += chunk;
	}
	*partial = false;
out:
	D_FREE(pkt);
	return rc;
}

int
d_drpc_send_msg(int fd, const void *buf, size_t len, int timeout_ms)
{
	bool partial;

	return drpc_send_dl(fd, buf, len, drpc_deadline(timeout_ms), &partial);
}

static int
drpc_recv_dl(int fd, int64_t deadline, uint8_t **buf, size_t *len, bool *partial, char *why)
{
	struct drpc_asm a = {0};
	uint8_t	       *pkt;
	int		rc;

	*partial = false;
	D_ALLOC(pkt, D_DRPC_MAX_PACKET);
	if (pkt == NULL)
		return -DER_NOMEM;
	for (;;) {
		ssize_t n;

		rc = drpc_wait(fd, POLLIN, deadline);
		if (rc != 0) {
			snprintf(why, DRPC_WHY_LEN, "no dRPC answer before the deadline");
			break;
		}
		n = drpc_recv_packet(fd, pkt, why);
		if (n == -DER_AGAIN)
			continue;
		if (n < 0) {
			rc = (int)n;
			*partial = true; /* the rest of a bad message may still be queued */
			break;
		}
		if (n == 0) {
			rc = drpc_eof(&a, why);
			break;
		}
		*partial = true;
		rc = drpc_asm_feed(&a, pkt, (size_t)n, buf, len, why);
		if (rc == 1) {
			*partial = false;
			rc = 0;
			break;
		}
		if (rc < 0)
			break;
	}
	drpc_asm_reset(&a);
	D_FREE(pkt);
	return rc;
}

int
d_drpc_recv_msg(int fd, int timeout_ms, uint8_t **buf, size_t *len, bool *partial)
{
	char	 why[DRPC_WHY_LEN];
	bool	 part;
	uint8_t *b;
	size_t	 l;
	int	 rc;

	rc = drpc_recv_dl(fd, drpc_deadline(timeout_ms), &b, &l, &part, why);
	if (partial != NULL)
		*partial = part;
	if (rc == 0) {
		*buf = b;
		*len = l;
	}
	return rc;
}

/* ---- Socket helpers ---- */

/* path must not be NULL (checked by the callers' contract). */
static int
drpc_sockaddr(const char *path, struct sockaddr_un *sa, struct d_errbuf *eb)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (path[0] == '\0' || strlen(path) >= sizeof(sa->sun_path)) {
		d_errbuf_set(eb,
			     "dRPC socket path '%s' is empty or longer than %zu bytes; use a "
			     "shorter socket directory",
			     path, sizeof(sa->sun_path) - 1);
		return -DER_INVAL;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

static int
drpc_connect_fd(const struct sockaddr_un *sa, int *fdp)
{
	int fd, rc;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	do {
		rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	} while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	*fdp = fd;
	return 0;
}

/* ---- Client ---- */

struct d_drpc_client {
	int		fd;
	int64_t		seq;
	bool		broken;
	pthread_mutex_t lock;
};

void
d_drpc_resp_free(struct d_drpc_resp *resp)
{
	if (resp == NULL)
		return;
	D_FREE(resp->body);
	D_FREE(resp);
}

int
d_drpc_connect(const char *path, struct d_drpc_client **out, struct d_errbuf *eb)
{
	struct sockaddr_un    sa;
	struct d_drpc_client *c = NULL;
	int		      fd, rc;

	rc = drpc_sockaddr(path, &sa, eb);
	if (rc != 0)
		return rc;
	rc = drpc_connect_fd(&sa, &fd);
	if (rc != 0) {
		int err = -rc;

		switch (err) {
		case ENOENT:
			rc = -DER_NONEXIST;
			break;
		case ECONNREFUSED:
			rc = -DER_UNREACH;
			break;
		case EACCES:
		case EPERM:
			rc = -DER_NO_PERM;
			break;
		default:
			rc = -DER_HG;
		}
		d_errbuf_set(
			eb,
			"cannot connect to dRPC socket %s: %s; is the process serving it running?",
			path, strerror(err));
		return rc;
	}
	D_ALLOC_PTR(c);
	if (c == NULL) {
		close(fd);
		d_errbuf_set(eb, "out of memory connecting to %s", path);
		return -DER_NOMEM;
	}
	c->fd = fd;
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return 0;
}

void
d_drpc_close(struct d_drpc_client *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	pthread_mutex_destroy(&c->lock);
	D_FREE(c);
}

int
d_drpc_call(struct d_drpc_client *c, int32_t module, int32_t method, const void *body,
	    size_t body_len, int timeout_ms, struct d_drpc_resp **resp)
{
	Drpc__Call	    call = DRPC__CALL__INIT;
	Drpc__Response	   *r = NULL;
	struct d_drpc_resp *out = NULL;
	int64_t		    deadline = drpc_deadline(timeout_ms);
	uint8_t		   *buf = NULL;
	size_t		    len;
	bool		    partial;
	char		    why[DRPC_WHY_LEN];
	int		    rc;

	if (body_len > 0 && body == NULL)
		return -DER_INVAL;
	pthread_mutex_lock(&c->lock);
	if (c->broken) {
		rc = -DER_HG;
		goto out;
	}
	call.module = module;
	call.method = method;
	call.sequence = ++c->seq;
	call.body.data = (uint8_t *)body;
	call.body.len = body_len;
	if (drpc__call__get_packed_size(&call) > D_DRPC_MAX_MSG) {
		rc = -DER_OVERFLOW;
		goto out;
	}
	rc = d_pb_pack(&call.base, &buf, &len);
	if (rc != 0)
		goto out;
	rc = drpc_send_dl(c->fd, buf, len, deadline, &partial);
	D_FREE(buf);
	if (rc != 0) {
		if (rc != -DER_TIMEDOUT || partial)
			c->broken = true;
		goto out;
	}
	for (;;) {
		rc = drpc_recv_dl(c->fd, deadline, &buf, &len, &partial, why);
		if (rc != 0) {
			if (rc != -DER_TIMEDOUT || partial)
				c->broken = true;
			goto out;
		}
		r = drpc__response__unpack(NULL, len, buf);
		D_FREE(buf);
		if (r == NULL) {
			rc = -DER_PROTO;
			c->broken = true;
			goto out;
		}
		/* An answer to an earlier call that timed out: skip it. */
		if (r->sequence > 0 && r->sequence < call.sequence) {
			drpc__response__free_unpacked(r, NULL);
			r = NULL;
			continue;
		}
		break;
	}
	if (r->sequence != call.sequence) {
		rc = -DER_PROTO;
		c->broken = true;
		goto out;
	}
	D_ALLOC_PTR(out);
	if (out == NULL) {
		rc = -DER_NOMEM;
		goto out;
	}
	out->sequence = r->sequence;
	out->status = r->status;
	if (r->body.len > 0) {
		D_ALLOC(out->body, r->body.len);
		if (out->body == NULL) {
			D_FREE(out);
			rc = -DER_NOMEM;
			goto out;
		}
		memcpy(out->body, r->body.data, r->body.len);
		out->body_len = r->body.len;
	}
	*resp = out;
out:
	if (r != NULL)
		drpc__response__free_unpacked(r, NULL);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* ---- Server ---- */

struct drpc_handler {
	int32_t		 module;
	int32_t		 method;
	d_drpc_handler_t fn;
	void		*arg;
};

struct drpc_conn {
	int		fd; /* -1: free slot */
	struct drpc_asm as;
};

struct d_drpc_server {
	char		     *path;
	dev_t		      dev;
	ino_t		      ino;
	int		      lfd;
	int		      efd;
	struct drpc_handler  *handlers;
	size_t		      nhandlers;
	struct drpc_conn      conns[D_DRPC_MAX_CONNS];
	d_drpc_notify_t	      notify;
	void		     *notify_arg;
	uint8_t		     *pkt;
	pthread_t	      thread;
	bool		      started;
	volatile sig_atomic_t stopping;
};

static void
drpc_notify(struct d_drpc_server *s, int rc, const char *msg)
{
	if (s->notify != NULL)
		s->notify(s->notify_arg, rc, msg);
}

/* Remove a stale socket file at path, refuse to touch anything else. */
static int
drpc_clear_path(const char *path, const struct sockaddr_un *sa, struct d_errbuf *eb)
{
	struct stat st;
	int	    fd, rc;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		d_errbuf_set(eb, "cannot check dRPC socket path %s: %s", path, strerror(errno));
		return d_errno2der(errno);
	}
	if (!S_ISSOCK(st.st_mode)) {
		d_errbuf_set(eb,
			     "%s exists and is not a socket; remove it or choose another socket "
			     "directory",
			     path);
		return -DER_EXIST;
	}
	rc = drpc_connect_fd(sa, &fd);
	if (rc == 0) {
		close(fd);
		d_errbuf_set(eb,
			     "another process is serving dRPC socket %s; stop it or choose "
			     "another socket directory",
			     path);
		return -DER_BUSY;
	}
	if (rc != -ECONNREFUSED && rc != -ENOENT) {
		d_errbuf_set(eb, "dRPC socket %s is in use (%s); stop its owner first", path,
			     strerror(-rc));
		return -DER_BUSY;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		d_errbuf_set(eb, "cannot remove stale dRPC socket %s: %s", path, strerror(errno));
		return d_errno2der(errno);
	}
	return 0;
}

int
d_drpc_server_create(const char *path, mode_t mode, struct d_drpc_server **out, struct d_errbuf *eb)
{
	struct sockaddr_un    sa;
	struct d_drpc_server *s = NULL;
	struct stat	      st;
	int		      rc;

	rc = drpc_sockaddr(path, &sa, eb);
	if (rc != 0)
		return rc;
	rc = drpc_clear_path(path, &sa, eb);
	if (rc != 0)
		return rc;
	D_ALLOC_PTR(s);
	if (s == NULL)
		goto nomem;
	s->lfd = -1;
	s->efd = -1;
	for (int i = 0; i < D_DRPC_MAX_CONNS; i++)
		s->conns[i].fd = -1;
	D_STRDUP(s->path, path);
	D_ALLOC(s->pkt, D_DRPC_MAX_PACKET);
	if (s->path == NULL || s->pkt == NULL)
		goto nomem;
	s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->efd < 0 || s->lfd < 0) {
		rc = d_errno2der(errno);
		d_errbuf_set(eb, "cannot create dRPC socket for %s: %s", path, strerror(errno));
		goto fail;
	}
	if (bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = errno == EACCES ? -DER_NO_PERM : d_errno2der(errno);
		d_errbuf_set(eb, "cannot bind dRPC socket %s: %s; check the socket directory", path,
			     strerror(errno));
		goto fail;
	}
	/* Before listen() nobody can connect, so the mode applies from the start. */
	if (chmod(path, mode) != 0 || stat(path, &st) != 0 || listen(s->lfd, SOMAXCONN) != 0) {
		int err = errno;

		rc = d_errno2der(err);
		d_errbuf_set(eb, "cannot set up dRPC socket %s: %s", s->path, strerror(err));
		unlink(path);
		goto fail;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	*out = s;
	return 0;
nomem:
	rc = -DER_NOMEM;
	d_errbuf_set(eb, "out of memory creating dRPC server %s", path);
fail:
	if (s != NULL) {
		if (s->lfd >= 0)
			close(s->lfd);
		if (s->efd >= 0)
			close(s->efd);
		D_FREE(s->pkt);
		D_FREE(s->path);
		D_FREE(s);
	}
	return rc;
}

int
d_drpc_server_register(struct d_drpc_server *s, int32_t module, int32_t method, d_drpc_handler_t fn,
		       void *arg)
{
	struct drpc_handler *h;

	if (fn == NULL || s->started)
		return -DER_INVAL;
	for (size_t i = 0; i < s->nhandlers; i++)
		if (s->handlers[i].module == module && s->handlers[i].method == method)
			return -DER_EXIST;
	h = d_realloc(s->handlers, (s->nhandlers + 1) * sizeof(*h));
	if (h == NULL)
		return -DER_NOMEM;
	s->handlers = h;
	s->handlers[s->nhandlers++] = (struct drpc_handler){module, method, fn, arg};
	return 0;
}

void
d_drpc_server_set_notify(struct d_drpc_server *s, d_drpc_notify_t fn, void *arg)
{
	s->notify = fn;
	s->notify_arg = arg;
}

static void
drpc_conn_close(struct drpc_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	drpc_asm_reset(&c->as);
}

/* Decode a call, run its handler, and encode the response into *out. */
static int
drpc_dispatch(struct d_drpc_server *s, const uint8_t *msg, size_t len, uint8_t **out,
	      size_t *out_len)
{
	Drpc__Call	    *call;
	Drpc__Response	     r = DRPC__RESPONSE__INIT;
	uint8_t		    *resp_body = NULL;
	size_t		     resp_len = 0;
	bool		     module_known = false;
	struct drpc_handler *h = NULL;
	int		     rc;

	call = drpc__call__unpack(NULL, len, msg);
	if (call == NULL) {
		r.status = DRPC__STATUS__FAILED_UNMARSHAL_CALL;
	} else {
		r.sequence = call->sequence;
		for (size_t i = 0; i < s->nhandlers; i++) {
			if (s->handlers[i].module != call->module)
				continue;
			module_known = true;
			if (s->handlers[i].method == call->method) {
				h = &s->handlers[i];
				break;
			}
		}
		if (h != NULL) {
			struct d_drpc_req req = {call->module, call->method, call->sequence,
						 call->body.data, call->body.len};

			r.status = (Drpc__Status)h->fn(&req, h->arg, &resp_body, &resp_len);
		} else {
			r.status = module_known ? DRPC__STATUS__UNKNOWN_METHOD
						: DRPC__STATUS__UNKNOWN_MODULE;
		}
		drpc__call__free_unpacked(call, NULL);
	}
	r.body.data = resp_body;
	r.body.len = resp_body != NULL ? resp_len : 0;
	if (drpc__response__get_packed_size(&r) > D_DRPC_MAX_MSG) {
		r.status = DRPC__STATUS__FAILED_MARSHAL;
		r.body.len = 0;
	}
	rc = d_pb_pack(&r.base, out, out_len);
	D_FREE(resp_body);
	return rc;
}

/* Read what is queued on a connection; false when it must be closed. */
static bool
drpc_conn_input(struct d_drpc_server *s, struct drpc_conn *c)
{
	char	 why[DRPC_WHY_LEN];
	uint8_t *msg, *resp;
	size_t	 len, resp_len;
	bool	 partial;
	ssize_t	 n;
	int	 rc;

	n = drpc_recv_packet(c->fd, s->pkt, why);
	if (n == -DER_AGAIN)
		return true;
	if (n == 0) {
		rc = drpc_eof(&c->as, why);
		if (rc != -DER_UNREACH) /* a clean close is no event */
			drpc_notify(s, rc, why);
		return false;
	}
	if (n > 0) {
		rc = drpc_asm_feed(&c->as, s->pkt, (size_t)n, &msg, &len, why);
		if (rc == 0)
			return true;
	} else {
		rc = (int)n;
	}
	if (rc < 0) {
		drpc_notify(s, rc, why);
		return false;
	}
	rc = drpc_dispatch(s, msg, len, &resp, &resp_len);
	D_FREE(msg);
	if (rc != 0) {
		drpc_notify(s, rc, "out of memory encoding a dRPC response");
		return false;
	}
	rc = drpc_send_dl(c->fd, resp, resp_len, drpc_deadline(DRPC_SERVER_SEND_TIMEOUT_MS),
			  &partial);
	D_FREE(resp);
	if (rc != 0) {
		snprintf(why, DRPC_WHY_LEN, "cannot send a dRPC response: %s", d_errstr(rc));
		drpc_notify(s, rc, why);
		return false;
	}
	return true;
}

static void
drpc_accept(struct d_drpc_server *s)
{
	int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return; /* EAGAIN or a connection that vanished */
	for (int i = 0; i < D_DRPC_MAX_CONNS; i++) {
		if (s->conns[i].fd < 0) {
			s->conns[i].fd = fd;
			return;
		}
	}
	close(fd);
	drpc_notify(s, -DER_BUSY, "dRPC connection refused: too many open connections");
}

int
d_drpc_server_run(struct d_drpc_server *s)
{
	struct pollfd pfd[2 + D_DRPC_MAX_CONNS];
	int	      map[2 + D_DRPC_MAX_CONNS];

	while (!s->stopping) {
		nfds_t n = 2;
		int    rc;

		pfd[0] = (struct pollfd){.fd = s->efd, .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = s->lfd, .events = POLLIN};
		for (int i = 0; i < D_DRPC_MAX_CONNS; i++) {
			if (s->conns[i].fd < 0)
				continue;
			pfd[n] = (struct pollfd){.fd = s->conns[i].fd, .events = POLLIN};
			map[n++] = i;
		}
		rc = poll(pfd, n, -1);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return -DER_HG;
		}
		if (pfd[0].revents != 0)
			break;
		for (nfds_t k = 2; k < n; k++) {
			struct drpc_conn *c = &s->conns[map[k]];

			if (pfd[k].revents != 0 && !drpc_conn_input(s, c))
				drpc_conn_close(c);
		}
		if (pfd[1].revents & POLLIN)
			drpc_accept(s);
	}
	return 0;
}

static void *
drpc_server_thread(void *arg)
{
	d_drpc_server_run(arg);
	return NULL;
}

int
d_drpc_server_start(struct d_drpc_server *s)
{
	sigset_t all, old;
	int	 rc;

	if (s->started)
		return -DER_ALREADY;
	/* Signals belong to the application's threads, not the server's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->thread, NULL, drpc_server_thread, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return d_errno2der(rc);
	s->started = true;
	return 0;
}

void
d_drpc_server_stop(struct d_drpc_server *s)
{
	uint64_t one = 1;
	ssize_t	 rc;

	if (s == NULL)
		return;
	s->stopping = 1;
	rc = write(s->efd, &one, sizeof(one));
	(void)rc; /* a full counter already wakes the loop */
}

void
d_drpc_server_destroy(struct d_drpc_server *s)
{
	struct stat st;

	if (s == NULL)
		return;
	if (s->started) {
		d_drpc_server_stop(s);
		pthread_join(s->thread, NULL);
	}
	for (int i = 0; i < D_DRPC_MAX_CONNS; i++)
		drpc_conn_close(&s->conns[i]);
	close(s->lfd);
	close(s->efd);
	/* Only remove the file if it is still ours, not a successor's. */
	if (lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == s->dev &&
	    st.st_ino == s->ino)
		unlink(s->path);
	D_FREE(s->handlers);
	D_FREE(s->pkt);
	D_FREE(s->path);
	D_FREE(s);
}
