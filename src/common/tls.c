/*
 * TLS contexts and connections for the control plane (see tls.h).  OpenSSL
 * errors are turned into -DER_* codes and one-line reasons here, at the
 * boundary.  Sockets are non-blocking; every wait is a poll() bounded by the
 * caller's deadline and, on servers, by a cancel fd.  Nothing here logs.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/tls.h"

/* TLS 1.2: forward-secret ECDHE with AES-GCM only.  TLS 1.3: AES-GCM suites. */
#define TLS12_CIPHERS                                                                              \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                               \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"
#define TLS13_SUITES "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"

/* First byte of a TLS record: content types change_cipher_spec..application_data. */
#define TLS_CT_MIN	 20
#define TLS_CT_MAX	 23
#define TLS_CT_HANDSHAKE 22

struct d_tls_ctx {
	enum d_tls_side	     side;
	bool		     insecure;
	SSL_CTX		    *ssl_ctx;
	enum d_tls_component self;
};

struct d_tls_conn {
	struct d_tls_ctx    *ctx;
	int		     fd;
	int		     cancel_fd;
	SSL		    *ssl;
	enum d_tls_component peer;
	uint8_t		     first[4]; /* first bytes received, to recognise a plaintext peer */
	size_t		     nfirst;
	bool		     hs_started; /* server: the peer's first byte was a TLS record */
};

static int wait_fd(struct d_tls_conn *conn, short events, int64_t deadline);

static const char *const comp_names[] = {
	[D_COMP_UNDEFINED] = "undefined",
	[D_COMP_ADMIN] = "admin",
	[D_COMP_AGENT] = "agent",
	[D_COMP_SERVER] = "server",
};

const char *
d_tls_component_name(enum d_tls_component c)
{
	if ((unsigned)c >= D_ARRAY_SIZE(comp_names))
		return comp_names[D_COMP_UNDEFINED];
	return comp_names[c];
}

enum d_tls_component
d_tls_component_from_cn(const char *cn)
{
	if (cn == NULL)
		return D_COMP_UNDEFINED;
	for (unsigned i = D_COMP_ADMIN; i < D_ARRAY_SIZE(comp_names); i++)
		if (strcmp(cn, comp_names[i]) == 0)
			return (enum d_tls_component)i;
	return D_COMP_UNDEFINED;
}

int64_t
d_tls_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The most recent OpenSSL error as text (queue cleared), or `dflt`. */
static void
ossl_reason(char *buf, size_t len, const char *dflt)
{
	unsigned long e, last = 0;

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last == 0) {
		snprintf(buf, len, "%s", dflt);
		return;
	}
	const char *r = ERR_reason_error_string(last);

	snprintf(buf, len, "%s", r != NULL ? r : dflt);
}

int
d_tls_check_file(const char *path, unsigned int max_mode, struct d_errbuf *eb)
{
	struct stat st;

	if (path == NULL || path[0] == '\0') {
		d_errbuf_set(eb,
			     "certificates are enabled, but a certificate or key path is empty; "
			     "set it in transport_config or set allow_insecure");
		return -DER_INVAL;
	}
	if (stat(path, &st) != 0) {
		d_errbuf_set(eb, "certificates are enabled, but %s was not found", path);
		return -DER_NONEXIST;
	}
	unsigned int mode = st.st_mode & 07777;

	if ((mode & ~max_mode) != 0) {
		d_errbuf_set(eb, "%s has insecure permissions %04o (suggested: %04o)", path, mode,
			     max_mode);
		return -DER_BAD_CERT;
	}
	return 0;
}

static X509 *
load_cert(const char *path)
{
	FILE *f = fopen(path, "re");
	X509 *x;

	if (f == NULL)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

/* What to do about a certificate verification failure, after OpenSSL's reason. */
static const char *
verify_hint(long err, bool peer_is_client)
{
	switch (err) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		return " (the certificate is not signed by the CA in ca_cert: both ends need "
		       "certificates and ca_cert from the same daosCA)";
	case X509_V_ERR_INVALID_PURPOSE:
		return peer_is_client
			       ? " (the peer's certificate lacks the clientAuth extended key usage: "
				 "use a certificate made by gen_certificates.sh)"
			       : " (the server's certificate lacks the serverAuth extended key usage: "
				 "use the server.crt made by gen_certificates.sh)";
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return " (check both machines' clocks, or renew the certificate)";
	default:
		return "";
	}
}

/* Verify `path`'s certificate against the CA loaded in `ssl_ctx`, now. */
static int
verify_leaf(SSL_CTX *ssl_ctx, const char *path, struct d_errbuf *eb)
{
	X509_STORE_CTX *sctx = NULL;
	X509	       *leaf;
	char		why[256];
	int		rc = 0;

	leaf = load_cert(path);
	if (leaf == NULL) {
		ossl_reason(why, sizeof(why), "not a PEM certificate");
		d_errbuf_set(eb, "certificate at path \"%s\" is invalid: %s", path, why);
		return -DER_BAD_CERT;
	}
	sctx = X509_STORE_CTX_new();
	if (sctx == NULL ||
	    !X509_STORE_CTX_init(sctx, SSL_CTX_get_cert_store(ssl_ctx), leaf, NULL)) {
		rc = -DER_NOMEM;
		goto out;
	}
	if (X509_verify_cert(sctx) != 1) {
		int err = X509_STORE_CTX_get_error(sctx);

		d_errbuf_set(eb, "certificate at path \"%s\" is invalid: %s%s", path,
			     X509_verify_cert_error_string(err),
			     err == X509_V_ERR_CERT_HAS_EXPIRED ||
					     err == X509_V_ERR_CERT_NOT_YET_VALID
				     ? ""
				     : verify_hint(err, false));
		rc = -DER_BAD_CERT;
	}
out:
	ERR_clear_error();
	X509_STORE_CTX_free(sctx);
	X509_free(leaf);
	return rc;
}

static enum d_tls_component
cert_component(X509 *x)
{
	char cn[64];

	if (x == NULL ||
	    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn)) < 0)
		return D_COMP_UNDEFINED;
	return d_tls_component_from_cn(cn);
}

static int
ctx_load(struct d_tls_ctx *ctx, const struct d_tls_cfg *cfg, struct d_errbuf *eb)
{
	char why[256];
	int  rc;

	rc = d_tls_check_file(cfg->ca_cert, D_TLS_MODE_CERT, eb);
	if (rc == 0)
		rc = d_tls_check_file(cfg->cert, D_TLS_MODE_CERT, eb);
	if (rc == 0)
		rc = d_tls_check_file(
			cfg->key, cfg->key_group_readable ? D_TLS_MODE_ADMIN_KEY : D_TLS_MODE_KEY,
			eb);
	/* A key readable only by its owner must be this process's own. */
	if (rc == 0 && !cfg->key_group_readable) {
		struct stat st;

		if (stat(cfg->key, &st) == 0 && st.st_uid != geteuid()) {
			d_errbuf_set(
				eb,
				"private key at path \"%s\" is owned by uid %u, but this process "
				"runs as uid %u: give the key to the user that runs it "
				"(chown %u %s)",
				cfg->key, (unsigned)st.st_uid, (unsigned)geteuid(),
				(unsigned)geteuid(), cfg->key);
			rc = -DER_BAD_CERT;
		}
	}
	if (rc == 0 && ctx->side == D_TLS_SERVER && cfg->client_cert_dir != NULL &&
	    cfg->client_cert_dir[0] != '\0')
		rc = d_tls_check_file(cfg->client_cert_dir, D_TLS_MODE_CERT_DIR, eb);
	if (rc != 0)
		return rc;

	ctx->ssl_ctx =
		SSL_CTX_new(ctx->side == D_TLS_SERVER ? TLS_server_method() : TLS_client_method());
	if (ctx->ssl_ctx == NULL)
		return -DER_NOMEM;
	SSL_CTX_set_min_proto_version(ctx->ssl_ctx, TLS1_2_VERSION);
	if (!SSL_CTX_set_cipher_list(ctx->ssl_ctx, TLS12_CIPHERS) ||
	    !SSL_CTX_set_ciphersuites(ctx->ssl_ctx, TLS13_SUITES)) {
		ossl_reason(why, sizeof(why), "unknown");
		d_errbuf_set(eb, "cannot configure TLS cipher suites: %s", why);
		return -DER_MISC;
	}
	/* Renegotiation and session tickets only widen the attack surface here. */
	SSL_CTX_set_options(ctx->ssl_ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
						  SSL_OP_CIPHER_SERVER_PREFERENCE);

	if (SSL_CTX_load_verify_locations(ctx->ssl_ctx, cfg->ca_cert, NULL) != 1) {
		ossl_reason(why, sizeof(why), "not a PEM certificate");
		d_errbuf_set(eb, "certificate at path \"%s\" is invalid: %s", cfg->ca_cert, why);
		return -DER_BAD_CERT;
	}
	if (SSL_CTX_use_certificate_file(ctx->ssl_ctx, cfg->cert, SSL_FILETYPE_PEM) != 1) {
		ossl_reason(why, sizeof(why), "not a PEM certificate");
		d_errbuf_set(eb, "certificate at path \"%s\" is invalid: %s", cfg->cert, why);
		return -DER_BAD_CERT;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx->ssl_ctx, cfg->key, SSL_FILETYPE_PEM) != 1) {
		ERR_clear_error();
		d_errbuf_set(eb,
			     "private key at path \"%s\" is invalid or does not match the "
			     "certificate \"%s\"",
			     cfg->key, cfg->cert);
		return -DER_BAD_CERT;
	}
	if (SSL_CTX_check_private_key(ctx->ssl_ctx) != 1) {
		ERR_clear_error();
		d_errbuf_set(eb, "private key at path \"%s\" does not match the certificate \"%s\"",
			     cfg->key, cfg->cert);
		return -DER_BAD_CERT;
	}
	rc = verify_leaf(ctx->ssl_ctx, cfg->cert, eb);
	if (rc != 0)
		return rc;
	ctx->self = cert_component(SSL_CTX_get0_certificate(ctx->ssl_ctx));

	/*
	 * Both sides verify the peer chain; libssl checks the peer's EKU
	 * (clientAuth for clients, serverAuth for servers) as part of it.
	 */
	if (ctx->side == D_TLS_SERVER)
		SSL_CTX_set_verify(ctx->ssl_ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
				   NULL);
	else
		SSL_CTX_set_verify(ctx->ssl_ctx, SSL_VERIFY_PEER, NULL);
	return 0;
}

int
d_tls_ctx_create(enum d_tls_side side, const struct d_tls_cfg *cfg, struct d_tls_ctx **out,
		 struct d_errbuf *eb)
{
	struct d_tls_ctx *ctx;
	int		  rc = 0;

	D_ALLOC_PTR(ctx);
	if (ctx == NULL)
		return -DER_NOMEM;
	ctx->side = side;
	ctx->insecure = cfg->allow_insecure;
	if (!ctx->insecure) {
		rc = ctx_load(ctx, cfg, eb);
		if (rc == -DER_NOMEM)
			d_errbuf_set(eb, "out of memory while loading certificates");
		if (rc != 0) {
			d_tls_ctx_destroy(ctx);
			return rc;
		}
	}
	*out = ctx;
	return 0;
}

void
d_tls_ctx_destroy(struct d_tls_ctx *ctx)
{
	if (ctx == NULL)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	D_FREE(ctx);
}

bool
d_tls_ctx_insecure(const struct d_tls_ctx *ctx)
{
	return ctx->insecure;
}

enum d_tls_component
d_tls_ctx_component(const struct d_tls_ctx *ctx)
{
	return ctx->self;
}

/* ---------------------------------------------------------------------- */

/* Keep the first bytes the peer sent, to tell a plaintext peer from a TLS failure. */
static long
record_first_bytes(BIO *bio, int oper, const char *argp, size_t len, int argi, long argl, int ret,
		   size_t *processed)
{
	struct d_tls_conn *conn = (struct d_tls_conn *)BIO_get_callback_arg(bio);

	(void)len;
	(void)argi;
	(void)argl;
	if (oper == (BIO_CB_READ | BIO_CB_RETURN) && ret > 0 && processed != NULL && conn != NULL) {
		size_t n = *processed;

		while (n > 0 && conn->nfirst < sizeof(conn->first)) {
			conn->first[conn->nfirst++] = (uint8_t)*argp++;
			n--;
		}
	}
	return ret;
}

int
d_tls_conn_create(struct d_tls_ctx *ctx, int fd, int cancel_fd, struct d_tls_conn **out)
{
	struct d_tls_conn *conn;
	int		   fl;

	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -DER_IO;
	D_ALLOC_PTR(conn);
	if (conn == NULL)
		return -DER_NOMEM;
	conn->ctx = ctx;
	conn->fd = fd;
	conn->cancel_fd = cancel_fd;
	if (!ctx->insecure) {
		BIO *bio;

		conn->ssl = SSL_new(ctx->ssl_ctx);
		bio = BIO_new_socket(fd, BIO_NOCLOSE);
		if (conn->ssl == NULL || bio == NULL) {
			BIO_free(bio);
			SSL_free(conn->ssl);
			D_FREE(conn);
			return -DER_NOMEM;
		}
		BIO_set_callback_ex(bio, record_first_bytes);
		BIO_set_callback_arg(bio, (char *)conn);
		SSL_set_bio(conn->ssl, bio, bio);
	}
	*out = conn;
	return 0;
}

void
d_tls_conn_destroy(struct d_tls_conn *conn)
{
	if (conn == NULL)
		return;
	if (conn->ssl != NULL) {
		/* Best effort close_notify; never wait for the peer's. */
		SSL_set_quiet_shutdown(conn->ssl, 0);
		(void)SSL_shutdown(conn->ssl);
		SSL_free(conn->ssl);
		ERR_clear_error();
	}
	if (conn->fd >= 0)
		close(conn->fd);
	D_FREE(conn);
}

void
d_tls_conn_plain(struct d_tls_conn *conn)
{
	SSL_free(conn->ssl);
	conn->ssl = NULL;
	ERR_clear_error();
}

int
d_tls_conn_linger_start(struct d_tls_conn *conn)
{
	return shutdown(conn->fd, SHUT_WR) == 0 ? 0 : -DER_IO;
}

int
d_tls_conn_drain(struct d_tls_conn *conn)
{
	char buf[4096];

	for (;;) {
		ssize_t n = recv(conn->fd, buf, sizeof(buf), 0);

		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return -DER_AGAIN;
		return 0; /* closed or reset: done */
	}
}

int
d_tls_conn_fd(const struct d_tls_conn *conn)
{
	return conn->fd;
}

enum d_tls_component
d_tls_conn_peer(const struct d_tls_conn *conn)
{
	return conn->peer;
}

/* Wait for `events` on the socket: 0, -DER_TIMEDOUT, -DER_CANCELED, -DER_IO. */
static int
wait_fd(struct d_tls_conn *conn, short events, int64_t deadline)
{
	struct pollfd pfd[2] = {{.fd = conn->fd, .events = events},
				{.fd = conn->cancel_fd, .events = POLLIN}};
	nfds_t	      n = conn->cancel_fd >= 0 ? 2 : 1;

	for (;;) {
		int timeout = -1;

		if (deadline >= 0) {
			int64_t left = deadline - d_tls_now_ms();

			if (left <= 0)
				return -DER_TIMEDOUT;
			timeout = left > INT32_MAX ? INT32_MAX : (int)left;
		}
		int rc = poll(pfd, n, timeout);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -DER_IO;
		if (rc == 0)
			return -DER_TIMEDOUT;
		if (n == 2 && pfd[1].revents != 0)
			return -DER_CANCELED;
		return 0;
	}
}

int
d_tls_peek_byte_now(struct d_tls_conn *conn, uint8_t *byte)
{
	for (;;) {
		ssize_t n = recv(conn->fd, byte, 1, MSG_PEEK);

		if (n == 1)
			return 0;
		if (n == 0)
			return -DER_SHUTDOWN;
		if (errno == EINTR)
			continue;
		return errno == EAGAIN || errno == EWOULDBLOCK ? -DER_AGAIN : -DER_IO;
	}
}

static int
check_server_identity(struct d_tls_conn *conn, struct d_errbuf *eb)
{
	X509 *peer = SSL_get1_peer_certificate(conn->ssl);

	conn->peer = cert_component(peer);
	X509_free(peer);
	if (conn->ctx->side == D_TLS_CLIENT && conn->peer != D_COMP_SERVER) {
		d_errbuf_set(eb, "Server certificate does not identify as Server");
		return -DER_BAD_CERT;
	}
	return 0;
}

int
d_tls_handshake_step(struct d_tls_conn *conn, short *want, bool *plaintext_peer,
		     struct d_errbuf *eb)
{
	char why[256];
	int  rc;

	if (conn->ssl == NULL)
		return 0;
	if (conn->ctx->side == D_TLS_SERVER && !conn->hs_started) {
		uint8_t b;

		/* A plaintext client would be misread as a broken record; say what it is. */
		rc = d_tls_peek_byte_now(conn, &b);
		if (rc == -DER_AGAIN) {
			*want = POLLIN;
			return rc;
		}
		if (rc == -DER_SHUTDOWN) {
			d_errbuf_set(eb, "peer closed the connection before the TLS handshake");
			return -DER_PROTO;
		}
		if (rc != 0) {
			d_errbuf_set(eb, "receive failed: %s", strerror(errno));
			return rc;
		}
		if (b != TLS_CT_HANDSHAKE) {
			if (plaintext_peer != NULL)
				*plaintext_peer = true;
			d_errbuf_set(eb, "peer does not use TLS (is allow_insecure set on it?)");
			return -DER_PROTO;
		}
		conn->hs_started = true;
	}
	int ret = conn->ctx->side == D_TLS_SERVER ? SSL_accept(conn->ssl) : SSL_connect(conn->ssl);

	if (ret == 1)
		return check_server_identity(conn, eb);
	int err = SSL_get_error(conn->ssl, ret);

	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		*want = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return -DER_AGAIN;
	}
	if (conn->nfirst > 0 && (conn->first[0] < TLS_CT_MIN || conn->first[0] > TLS_CT_MAX)) {
		ERR_clear_error();
		if (plaintext_peer != NULL)
			*plaintext_peer = true;
		d_errbuf_set(eb, "peer does not use TLS (is allow_insecure set on it?)");
		return -DER_PROTO;
	}
	long vr = SSL_get_verify_result(conn->ssl);

	if (vr != X509_V_OK) {
		ERR_clear_error();
		d_errbuf_set(eb, "peer certificate rejected: %s%s",
			     X509_verify_cert_error_string(vr),
			     verify_hint(vr, conn->ctx->side == D_TLS_SERVER));
		return -DER_BAD_CERT;
	}
	if (err == SSL_ERROR_SYSCALL || err == SSL_ERROR_ZERO_RETURN) {
		ERR_clear_error();
		d_errbuf_set(eb, "peer closed the connection during the handshake");
		return -DER_PROTO;
	}
	ossl_reason(why, sizeof(why), "unknown TLS error");
	d_errbuf_set(eb, "%s", why);
	return -DER_PROTO;
}

int
d_tls_handshake(struct d_tls_conn *conn, int64_t deadline, bool *plaintext_peer,
		struct d_errbuf *eb)
{
	for (;;) {
		short want = 0;
		int   rc = d_tls_handshake_step(conn, &want, plaintext_peer, eb);

		if (rc != -DER_AGAIN)
			return rc;
		rc = wait_fd(conn, want, deadline);
		if (rc != 0) {
			ERR_clear_error();
			return rc;
		}
	}
}

int
d_tls_read_some(struct d_tls_conn *conn, void *buf, size_t len, size_t *got, short *want,
		struct d_errbuf *eb)
{
	if (conn->ssl != NULL) {
		size_t n = 0;
		int    ret = SSL_read_ex(conn->ssl, buf, len, &n);

		if (ret == 1) {
			*got = n;
			return 0;
		}
		int err = SSL_get_error(conn->ssl, ret);

		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
			*want = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
			return -DER_AGAIN;
		}
		if (err == SSL_ERROR_ZERO_RETURN ||
		    (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
			ERR_clear_error();
			return -DER_SHUTDOWN;
		}
		char why[256];

		if (err == SSL_ERROR_SSL) {
			/* TLS 1.3: a peer rejecting our certificate says so here. */
			ossl_reason(why, sizeof(why), "TLS error");
			d_errbuf_set(eb, "%s", why);
			return -DER_PROTO;
		}
		ossl_reason(why, sizeof(why), strerror(errno));
		d_errbuf_set(eb, "receive failed: %s", why);
		return -DER_IO;
	}
	for (;;) {
		ssize_t n = recv(conn->fd, buf, len, 0);

		if (n > 0) {
			*got = (size_t)n;
			return 0;
		}
		if (n == 0)
			return -DER_SHUTDOWN;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			*want = POLLIN;
			return -DER_AGAIN;
		}
		d_errbuf_set(eb, "receive failed: %s", strerror(errno));
		return -DER_IO;
	}
}

int
d_tls_read(struct d_tls_conn *conn, void *buf, size_t len, int64_t deadline, struct d_errbuf *eb)
{
	size_t done = 0;

	while (done < len) {
		size_t n = 0;
		short  want = 0;
		int    rc = d_tls_read_some(conn, (char *)buf + done, len - done, &n, &want, eb);

		if (rc == 0) {
			done += n;
			continue;
		}
		if (rc == -DER_SHUTDOWN && done > 0) {
			d_errbuf_set(eb, "connection closed in the middle of a message");
			return -DER_IO;
		}
		if (rc != -DER_AGAIN)
			return rc;
		rc = wait_fd(conn, want, deadline);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
d_tls_write(struct d_tls_conn *conn, const void *buf, size_t len, int64_t deadline,
	    struct d_errbuf *eb)
{
	size_t done = 0;
	int    rc;

	while (done < len) {
		short ev = POLLOUT;

		if (conn->ssl != NULL) {
			size_t n = 0;
			int ret = SSL_write_ex(conn->ssl, (const char *)buf + done, len - done, &n);

			if (ret == 1) {
				done += n;
				continue;
			}
			int err = SSL_get_error(conn->ssl, ret);

			if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
				char why[256];

				ossl_reason(why, sizeof(why), "connection closed by peer");
				d_errbuf_set(eb, "send failed: %s", why);
				return -DER_IO;
			}
			ev = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		} else {
			ssize_t n =
				send(conn->fd, (const char *)buf + done, len - done, MSG_NOSIGNAL);

			if (n >= 0) {
				done += (size_t)n;
				continue;
			}
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				d_errbuf_set(eb, "send failed: %s", strerror(errno));
				return -DER_IO;
			}
		}
		rc = wait_fd(conn, ev, deadline);
		if (rc != 0)
			return rc;
	}
	return 0;
}
