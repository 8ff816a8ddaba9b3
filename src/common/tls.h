/*
 * TLS for the control plane (OpenSSL 3): contexts for clients and servers
 * built from the `transport_config` of daos_server.yml / daos_agent.yml /
 * daos_control.yml, load-time checks of keys and certificates with
 * upstream's messages, and connections over non-blocking sockets where every
 * operation has an absolute deadline.
 *
 * Policy: TLS 1.3 preferred, 1.2 minimum; ECDHE key exchange with AES-GCM
 * only; mutual authentication (servers require and verify a client
 * certificate with EKU clientAuth against the CA; clients verify the
 * server's chain and require CN=server); no hostname verification, as
 * upstream.  The peer's role (component) is the CN of its verified
 * certificate.
 *
 * A context with allow_insecure set carries no SSL_CTX: connections are plain
 * TCP through the same I/O functions.  This module never logs.
 */
#ifndef DAOS_COMMON_TLS_H
#define DAOS_COMMON_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

/* Roles a certificate CN may name (upstream security.Component). */
enum d_tls_component {
	D_COMP_UNDEFINED = 0,
	D_COMP_ADMIN,
	D_COMP_AGENT,
	D_COMP_SERVER,
};

/* "undefined", "admin", "agent", "server". */
const char *d_tls_component_name(enum d_tls_component c);
/* Exact CN match; anything else is D_COMP_UNDEFINED. */
enum d_tls_component d_tls_component_from_cn(const char *cn);

struct d_tls_cfg {
	bool	    allow_insecure;
	const char *ca_cert;
	const char *cert;
	const char *key;
	const char *client_cert_dir;	/* servers: agent certificates; NULL = none */
	bool	    key_group_readable; /* admin key: 0440 allowed instead of 0400 */
};

enum d_tls_side {
	D_TLS_CLIENT,
	D_TLS_SERVER,
};

/* Most permissive modes accepted (upstream pem.go). */
#define D_TLS_MODE_KEY	     0400
#define D_TLS_MODE_ADMIN_KEY 0440
#define D_TLS_MODE_CERT	     0664
#define D_TLS_MODE_CERT_DIR  0750

/*
 * Check that `path` exists and grants nothing beyond `max_mode`:
 * -DER_NONEXIST "certificates are enabled, but <path> was not found",
 * -DER_BAD_CERT "<path> has insecure permissions 0644 (suggested: 0400)".
 */
int d_tls_check_file(const char *path, unsigned int max_mode, struct d_errbuf *eb);

struct d_tls_ctx;

/*
 * Build a context.  Secure: checks every file (existence, permissions), loads
 * the CA, certificate and key, checks the key matches the certificate and
 * that the certificate verifies against the CA now (expired, not yet valid,
 * other CA: `certificate at path "x" is invalid: <why>`).  Errors:
 * -DER_NONEXIST, -DER_BAD_CERT, -DER_INVAL (empty path), -DER_NOMEM.
 */
int  d_tls_ctx_create(enum d_tls_side side, const struct d_tls_cfg *cfg, struct d_tls_ctx **out,
		      struct d_errbuf *eb);
void d_tls_ctx_destroy(struct d_tls_ctx *ctx);
bool d_tls_ctx_insecure(const struct d_tls_ctx *ctx);
/* Component named by the context's own certificate CN (UNDEFINED when insecure). */
enum d_tls_component d_tls_ctx_component(const struct d_tls_ctx *ctx);

/* ---------------------------------------------------------------------- */

/* Milliseconds on CLOCK_MONOTONIC; deadlines are absolute values of it. */
int64_t d_tls_now_ms(void);

struct d_tls_conn;

/*
 * Wrap a connected socket (made non-blocking here; the connection owns and
 * closes it).  `cancel_fd` (-1: none) aborts waits with -DER_CANCELED when it
 * becomes readable (a server's stop eventfd).
 */
int  d_tls_conn_create(struct d_tls_ctx *ctx, int fd, int cancel_fd, struct d_tls_conn **out);
void d_tls_conn_destroy(struct d_tls_conn *conn);
int  d_tls_conn_fd(const struct d_tls_conn *conn);

/*
 * Run the handshake (no-op when insecure).  Failure: -DER_TIMEDOUT, or
 * -DER_BAD_CERT / -DER_PROTO with `eb` holding the reason (OpenSSL's verify
 * or alert text, "Server certificate does not identify as Server", or that
 * the peer does not speak TLS).  Peer sent nothing TLS-like: -DER_PROTO and
 * *plaintext_peer (when not NULL) set.
 */
int d_tls_handshake(struct d_tls_conn *conn, int64_t deadline, bool *plaintext_peer,
		    struct d_errbuf *eb);

/*
 * Stop using TLS on this connection (the peer turned out to speak plaintext):
 * later reads and writes go to the socket directly.
 */
void d_tls_conn_plain(struct d_tls_conn *conn);

/*
 * After refusing a peer, so that closing does not reset the connection and
 * destroy an alert before the peer reads it: linger_start() finishes sending
 * (FIN after the alert); drain() discards what the peer still sends, 0 once
 * it closed (or reset), -DER_AGAIN while it has not.  The caller bounds the
 * wait.
 */
int d_tls_conn_linger_start(struct d_tls_conn *conn);
int d_tls_conn_drain(struct d_tls_conn *conn);

/* Verified peer role (UNDEFINED when insecure or before the handshake). */
enum d_tls_component d_tls_conn_peer(const struct d_tls_conn *conn);

/*
 * Read exactly len bytes / write all of buf before `deadline` (-1: none).
 * Errors: -DER_TIMEDOUT, -DER_CANCELED, -DER_SHUTDOWN (the peer closed the
 * stream before the first byte), -DER_PROTO (TLS protocol error or alert,
 * e.g. the peer rejected our certificate after a TLS 1.3 handshake; eb has
 * OpenSSL's reason), -DER_IO (closed mid-way, reset; eb says which).
 */
int d_tls_read(struct d_tls_conn *conn, void *buf, size_t len, int64_t deadline,
	       struct d_errbuf *eb);
int d_tls_write(struct d_tls_conn *conn, const void *buf, size_t len, int64_t deadline,
		struct d_errbuf *eb);

/*
 * Non-blocking forms, for servers that drive many connections from one
 * event loop.  Each returns -DER_AGAIN with *want set to POLLIN or POLLOUT
 * when it must wait for the socket, and is called again once it is ready.
 * handshake_step(): as d_tls_handshake().  read_some(): 0 with *got > 0,
 * -DER_SHUTDOWN at end of stream, else as d_tls_read().  peek_byte_now():
 * the first byte the peer sent, not consumed (-DER_AGAIN: none yet).
 */
int d_tls_handshake_step(struct d_tls_conn *conn, short *want, bool *plaintext_peer,
			 struct d_errbuf *eb);
int d_tls_read_some(struct d_tls_conn *conn, void *buf, size_t len, size_t *got, short *want,
		    struct d_errbuf *eb);
int d_tls_peek_byte_now(struct d_tls_conn *conn, uint8_t *byte);

#endif /* DAOS_COMMON_TLS_H */
