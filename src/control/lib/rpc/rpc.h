/*
 * Control RPC (ARCHITECTURE.md "Protocols 1"): request/response over TCP +
 * TLS (src/common/tls.h), each message a 4-byte big-endian length followed
 * by a protobuf-c envelope (src/proto/ctl.proto RpcRequest / RpcResponse)
 * whose body is the method's own message.
 *
 * Server (rpc_server.c): ctl_rpc_server_create() binds; ctl_rpc_server_run()
 * is an event loop that accepts, handshakes and reads requests without
 * blocking (deadlines, caps on unauthenticated connections per address and
 * in all), and hands each complete request to a worker thread, which checks
 * it against the method table of rpc_auth.c (role from the verified
 * certificate, version compatibility), calls the registered handler and
 * answers; a connection carries several requests.  ctl_rpc_server_stop() is
 * async-signal-safe.
 *
 * Client: ctl_rpc_call() / ctl_rpc_conn_*() with one absolute deadline over
 * resolve, connect, handshake and I/O; failures come back categorised in a
 * struct ctl_rpc_error.  ctl_rpc_fanout_call() calls many hosts in parallel
 * (rpc_fanout.c).
 *
 * This module never logs: servers report events through a notify callback.
 * Both ends set SIGPIPE to SIG_IGN when it is at its default (a peer that
 * closes mid-write must be an error, not a process kill).
 *
 * Also the conversions between the control plane's C structures and the
 * protobuf-c messages of src/proto (scans, versions, StorageFormat).
 */
#ifndef DAOS_CONTROL_LIB_RPC_RPC_H
#define DAOS_CONTROL_LIB_RPC_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "common/tls.h"
#include "control/lib/hw/hw.h"
#include "proto/ctl.pb-c.h"

/* Largest frame accepted or sent (envelope included). */
#define CTL_RPC_MAX_FRAME    (64u << 20)
#define CTL_RPC_DEFAULT_PORT 10001

/* ---------------------------------------------------------------------- */
/* Errors, categorised for dmg's host error table. */

enum ctl_rpc_err_kind {
	CTL_RPC_ERR_NONE = 0,
	CTL_RPC_ERR_RESOLVE,	 /* "no such host" */
	CTL_RPC_ERR_REFUSED,	 /* "connection refused" */
	CTL_RPC_ERR_TIMEOUT,	 /* "timed out" */
	CTL_RPC_ERR_UNREACHABLE, /* "network is unreachable", other connect errors */
	CTL_RPC_ERR_TLS,	 /* "TLS handshake failed: <reason>" (incl. insecure mismatch) */
	CTL_RPC_ERR_PERM,    /* "permission denied: <comp> does not have permission to call <m>" */
	CTL_RPC_ERR_VERSION, /* "version mismatch: ..." */
	CTL_RPC_ERR_PROTO,   /* connection closed, malformed or oversized frame */
	CTL_RPC_ERR_REMOTE,  /* the handler failed: status + its text */
	CTL_RPC_ERR_LOCAL,   /* out of memory, bad arguments */
};

struct ctl_rpc_error {
	enum ctl_rpc_err_kind kind;
	int		      status;	/* -DER_* (remote status for CTL_RPC_ERR_REMOTE) */
	char		      msg[512]; /* short reason, as printed in dmg's error table */
};

/* Short name of a kind ("connection refused", "TLS", ...), for grouping. */
const char *ctl_rpc_err_kind_str(enum ctl_rpc_err_kind kind);

/* ---------------------------------------------------------------------- */
/* Framing and envelopes (exposed for unit tests and fuzzing). */

struct ctl_rpc_req_env {
	const char    *method;
	const char    *version;
	const char    *component;
	const uint8_t *body;
	size_t	       body_len;
};

/* Refusals by the transport itself (RpcResponse.refusal). */
enum ctl_rpc_refusal {
	CTL_RPC_REFUSE_NONE = 0,
	CTL_RPC_REFUSE_PERM = 1,
	CTL_RPC_REFUSE_VERSION = 2,
	CTL_RPC_REFUSE_INSECURE = 3, /* plaintext request to a TLS server */
	CTL_RPC_REFUSE_METHOD = 4,   /* unknown method */
};

struct ctl_rpc_resp_env {
	int32_t		     status;
	const char	    *error;
	const uint8_t	    *body;
	size_t		     body_len;
	const char	    *version;
	const char	    *component;
	enum ctl_rpc_refusal refusal;
};

/* Frame: 4-byte big-endian length + packed envelope, freshly allocated. */
int ctl_rpc_frame_request(const struct ctl_rpc_req_env *env, uint8_t **frame, size_t *len);
int ctl_rpc_frame_response(const struct ctl_rpc_resp_env *env, uint8_t **frame, size_t *len);
/* Length prefix of a frame: -DER_OVERFLOW when above CTL_RPC_MAX_FRAME, -DER_PROTO when 0. */
int ctl_rpc_frame_len(const uint8_t hdr[4], uint32_t *len);

/* ---------------------------------------------------------------------- */
/* Authorization and version compatibility (rpc_auth.c). */

struct ctl_rpc_auth {
	const char  *method;
	unsigned int roles;   /* bit (1 << enum d_tls_component) per role allowed */
	uint32_t     req_max; /* largest request body accepted; 0: CTL_RPC_REQ_MAX */
};

#define CTL_ROLE(c) (1u << (c))

/*
 * Request bodies: CTL_RPC_REQ_MAX unless the table says otherwise; the methods
 * an agent may call take CTL_RPC_REQ_SMALL.  A server never allocates more
 * for a request frame than the largest body its peer's role may send plus
 * CTL_RPC_ENV_MAX for the envelope (method, component, version), so a peer
 * holding a certificate of a weak role (or none) cannot make it read large
 * frames; responses (read by clients) may use all of CTL_RPC_MAX_FRAME.
 */
#define CTL_RPC_REQ_MAX	  (1u << 20)
#define CTL_RPC_REQ_SMALL (64u << 10)
#define CTL_RPC_ENV_MAX	  4096u

/* Largest request body `method` accepts (0 when the method is unknown). */
uint32_t ctl_rpc_req_max(const struct ctl_rpc_auth *a);

/*
 * Largest request frame (envelope included) a peer of role `comp` may send:
 * the largest body among the methods that role may call, plus
 * CTL_RPC_ENV_MAX.  D_COMP_UNDEFINED (role not known yet, an insecure
 * server): the largest over every method.  A role that may call nothing:
 * CTL_RPC_ENV_MAX.
 */
uint32_t ctl_rpc_role_frame_max(enum d_tls_component comp);

/* The table of every control method (NULL-terminated), and a lookup in it. */
extern const struct ctl_rpc_auth ctl_rpc_auth_table[];
const struct ctl_rpc_auth	*ctl_rpc_auth_find(const char *method);

/*
 * May `comp` call `method`?  0, or -DER_NO_PERM with
 * "<component> does not have permission to call <method>" (also for
 * methods not in the table).
 */
int ctl_rpc_authorize(enum d_tls_component comp, const char *method, struct d_errbuf *eb);

/*
 * Upstream's build/interop.go rules: equal versions are compatible; server
 * and agent within 2 minor versions of the same major; nothing below 2.0.0
 * with anything at or above it; otherwise the same major.minor.  0 or
 * -DER_MISMATCH ("<comp> <ver> is incompatible with <comp> <ver>"),
 * -DER_INVAL for an unparsable version.
 */
int ctl_version_compat(const char *self_comp, const char *self_ver, const char *other_comp,
		       const char *other_ver, struct d_errbuf *eb);

/* ---------------------------------------------------------------------- */
/* Server. */

/* What the server knows of the caller of a handler. */
struct ctl_rpc_peer {
	enum d_tls_component component; /* from the certificate, or the header when insecure */
	const char	    *version;
	const char	    *addr; /* "10.0.0.1:40312" */
};

/*
 * A method handler.  `req` is the body of the request (the method's
 * message, packed).  On success return 0 and hand over a malloc()ed packed
 * response in *resp (may be NULL with *resp_len 0).  On failure return
 * -DER_* with a message in eb (sent to the caller as the error text).
 */
typedef int (*ctl_rpc_handler_t)(void *arg, const struct ctl_rpc_peer *peer, const uint8_t *req,
				 size_t req_len, uint8_t **resp, size_t *resp_len,
				 struct d_errbuf *eb);

struct ctl_rpc_method {
	const char	 *name; /* must be in ctl_rpc_auth_table */
	ctl_rpc_handler_t handler;
};

enum ctl_rpc_event {
	CTL_RPC_EV_INFO,
	CTL_RPC_EV_WARN,
	CTL_RPC_EV_ERROR,
};

/* Called from the event loop and from worker threads: must be thread-safe. */
typedef void (*ctl_rpc_notify_t)(void *arg, enum ctl_rpc_event ev, const char *msg);

struct ctl_rpc_server_cfg {
	const char		    *addr; /* bind address; NULL or "" = all (IPv6 + IPv4) */
	uint16_t		     port; /* 0: ephemeral (tests) */
	const struct d_tls_cfg	    *tls;
	const struct ctl_rpc_method *methods;
	int			     nr_methods;
	void			    *arg; /* passed to handlers and notify */
	ctl_rpc_notify_t	     notify;
	int			     max_conns;		   /* requests served at once; 0: 64 */
	int			     handshake_timeout_ms; /* connect to first request; 0: 5 s */
	int			     idle_timeout_ms;	   /* 0: 60 s */
	const char		    *version;		   /* NULL: DAOS_VERSION */
};

struct ctl_rpc_server;

/*
 * Load TLS material, check every method is in the auth table, bind and
 * listen.  Port taken: -DER_EXIST "port 10001 is already in use (...)".
 * Insecure: the server works, and the caller must log a warning
 * (ctl_rpc_server_insecure()).
 */
int ctl_rpc_server_create(const struct ctl_rpc_server_cfg *cfg, struct ctl_rpc_server **out,
			  struct d_errbuf *eb);
/* Serve until ctl_rpc_server_stop(); returns 0 after waiting for worker threads. */
int ctl_rpc_server_run(struct ctl_rpc_server *srv);
/* Async-signal-safe: wakes run() and every worker waiting for a peer. */
void ctl_rpc_server_stop(struct ctl_rpc_server *srv);
void ctl_rpc_server_destroy(struct ctl_rpc_server *srv);
bool ctl_rpc_server_insecure(const struct ctl_rpc_server *srv);
/* Role of the server's own certificate (D_COMP_UNDEFINED when insecure or unknown). */
enum d_tls_component ctl_rpc_server_component(const struct ctl_rpc_server *srv);
uint16_t	     ctl_rpc_server_port(const struct ctl_rpc_server *srv);

/* ---------------------------------------------------------------------- */
/* Client. */

struct ctl_rpc_client;

/*
 * Load the TLS material (all load-time checks of tls.h; errors in eb) and
 * build the SSL_CTX once for every later call.  `component` is what an
 * insecure client calls itself in requests; with TLS the client always
 * sends its certificate's CN (the server refuses any other claim).
 */
int  ctl_rpc_client_create(const struct d_tls_cfg *tls, enum d_tls_component component,
			   struct ctl_rpc_client **out, struct d_errbuf *eb);
void ctl_rpc_client_destroy(struct ctl_rpc_client *cl);
/* Claim another version in requests (tests of version checks only). */
int ctl_rpc_client_set_version(struct ctl_rpc_client *cl, const char *version);

/*
 * Split a control address "host:port" or "[v6addr]:port" into host (without
 * the brackets, NUL-terminated in host_len bytes) and port 1..65535.
 * -DER_INVAL when the port is missing or out of range, the host empty or too
 * long; nothing is written then.
 */
int ctl_addr_split(const char *addr, char *host, size_t host_len, uint16_t *port);
/*
 * The same with an optional port: "host", "host:port", "[v6addr]" or
 * "[v6addr]:port"; *port is 0 when there is none.  An unbracketed name with
 * more than one colon is a bare IPv6 address without a port (ambiguous
 * otherwise).  -DER_INVAL for a bad port, an empty or too long host, an
 * unclosed bracket or anything after "]" but ":port"; nothing is written then.
 */
int ctl_addr_split_opt(const char *addr, char *host, size_t host_len, uint16_t *port);

/* A connection for several requests. */
struct ctl_rpc_conn;

/* Resolve, connect and handshake before `deadline` (d_tls_now_ms() based). */
int ctl_rpc_conn_open(struct ctl_rpc_client *cl, const char *host, uint16_t port, int64_t deadline,
		      struct ctl_rpc_conn **out, struct ctl_rpc_error *err);
/* One request; the response body (malloc()ed, may be NULL) goes to *resp. */
int  ctl_rpc_conn_call(struct ctl_rpc_conn *conn, const char *method, const void *req,
		       size_t req_len, int64_t deadline, uint8_t **resp, size_t *resp_len,
		       struct ctl_rpc_error *err);
void ctl_rpc_conn_close(struct ctl_rpc_conn *conn);

/* Open, call, close, all within timeout_ms. */
int ctl_rpc_call(struct ctl_rpc_client *cl, const char *host, uint16_t port, const char *method,
		 const void *req, size_t req_len, int timeout_ms, uint8_t **resp, size_t *resp_len,
		 struct ctl_rpc_error *err);

struct ctl_rpc_target {
	const char *host;
	uint16_t    port;
};

struct ctl_rpc_result {
	int		     rc; /* 0 or -DER_* */
	uint8_t		    *body;
	size_t		     body_len;
	struct ctl_rpc_error err;
};

/* ---- fan-out (rpc_fanout.c) ------------------------------------------------------- */

struct ctl_rpc_fanout_opts {
	int    connect_ms;  /* resolve + connect + TLS handshake, per host */
	int    call_ms;	    /* the call once connected; 0: within the connect deadline */
	int    concurrency; /* hosts contacted at once; 0: 64 */
	size_t first;	    /* target called alone before all the others; SIZE_MAX: none */
};

/*
 * Call `method` with the same body on every target over a bounded pool of
 * threads.  results[i] (caller's array of n) belongs to targets[i] and is
 * overwritten.  With `first` < n that target is called, and has answered or
 * failed, before any other is contacted.  Returns 0 when the calls ran (each
 * result has its own rc and categorised error), -DER_NOMEM when none could be
 * started, -DER_INVAL for missing arrays.
 */
int ctl_rpc_fanout_call(struct ctl_rpc_client *cl, const struct ctl_rpc_target *targets, size_t n,
			const char *method, const void *req, size_t req_len,
			const struct ctl_rpc_fanout_opts *opts, struct ctl_rpc_result *results);

/*
 * The same with one deadline of `timeout_ms` per host over connect and call,
 * at most `concurrency` (0: 64) at a time.  -DER_INVAL also for n < 0.
 */
int ctl_rpc_fanout(struct ctl_rpc_client *cl, const struct ctl_rpc_target *targets, int n,
		   const char *method, const void *req, size_t req_len, int timeout_ms,
		   int concurrency, struct ctl_rpc_result *results);
/* Free the bodies of n results (the array itself is the caller's). */
void ctl_rpc_results_fini(struct ctl_rpc_result *results, int n);

/* The error text of a failed result: its message, else the text of its rc. */
const char *ctl_rpc_result_msg(const struct ctl_rpc_result *r);

/*
 * Mark a result failed with rc and a reason, dropping its body (a caller that
 * cannot decode an answer makes it that host's error).
 */
void ctl_rpc_result_fail(struct ctl_rpc_result *r, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Hosts grouped by identical key bytes (a canonical form of their answer, or
 * an error text), each group with its ranged hostset ("wolf-[1-4]").
 */
struct d_hostset;

struct ctl_host_group {
	uint8_t		 *key;
	size_t		  key_len;
	int		  rep; /* result index of the first member (its answer is shown) */
	struct d_hostset *hs;
	char		 *hosts; /* ranged hostset, after ctl_host_groups_finish() */
};

struct ctl_host_groups {
	struct ctl_host_group *v;
	int		       n;
	int		       cap;
	size_t		       members; /* additions, a host added twice counting twice */
};

/* Add `host` (result index `idx`) to the group of key[0..len), new or not.  -DER_NOMEM. */
int ctl_host_groups_add(struct ctl_host_groups *g, const void *key, size_t len, const char *host,
			int idx);
/* Compute the ranged hostsets and sort the groups by them.  -DER_NOMEM. */
int ctl_host_groups_finish(struct ctl_host_groups *g);
/* Free every group; `g` is empty again (and may be NULL). */
void ctl_host_groups_fini(struct ctl_host_groups *g);

/*
 * Name of a group in JSON host maps (upstream: a hash of the result): the
 * 64-bit FNV-1a of its key in decimal, into buf (>= 21 bytes); returns buf.
 */
const char *ctl_host_group_name(const struct ctl_host_group *g, char *buf, size_t len);

/* Errors inside the successful answer of host i, added to errs; 0 or -DER_*. */
typedef int (*ctl_host_errors_t)(void *arg, size_t i, struct ctl_host_groups *errs);

/*
 * Group the hosts of n results by error text into `errs` and finish it: a
 * failed result (rc != 0) adds its ctl_rpc_result_msg(), a successful one
 * what `more` (may be NULL) finds in its answer, host by host in order under
 * hosts[i].  Returns the number of hosts with at least one error, or -DER_*.
 */
int ctl_rpc_host_errors(const struct ctl_rpc_result *res, size_t n, const char *const *hosts,
			ctl_host_errors_t more, void *arg, struct ctl_host_groups *errs);

/* ==== protobuf conversions ========================================================= */

/*
 * Conversions between the control plane's C structures and the protobuf-c
 * messages of src/proto/ctl.proto, both ways, plus pack/unpack helpers that
 * go straight between the C structures and wire bytes.  Scans: struct
 * ctl_storage_scan <-> Ctl__StorageScanResp, struct ctl_net_scan <->
 * Ctl__NetworkScanResp; requests and the version response.
 *
 * *_to_pb() results borrow strings from the C structure (valid while it
 * lives) and are released with the matching *_pb_free().  *_from_pb()
 * results are ordinary heap structures (ctl_*_scan_free()).
 */

int  ctl_storage_scan_to_pb(const struct ctl_storage_scan *scan, Ctl__StorageScanResp **out);
void ctl_storage_scan_pb_free(Ctl__StorageScanResp *msg);
int  ctl_storage_scan_from_pb(const Ctl__StorageScanResp *msg, struct ctl_storage_scan **out);

int  ctl_net_scan_to_pb(const struct ctl_net_scan *scan, Ctl__NetworkScanResp **out);
void ctl_net_scan_pb_free(Ctl__NetworkScanResp *msg);
int  ctl_net_scan_from_pb(const Ctl__NetworkScanResp *msg, struct ctl_net_scan **out);

/* Wire bytes (malloc()ed) of a scan, and back; bad bytes are -DER_PROTO with eb. */
int ctl_storage_scan_pack(const struct ctl_storage_scan *scan, uint8_t **buf, size_t *len);
int ctl_storage_scan_unpack(const uint8_t *buf, size_t len, struct ctl_storage_scan **out,
			    struct d_errbuf *eb);
int ctl_net_scan_pack(const struct ctl_net_scan *scan, uint8_t **buf, size_t *len);
int ctl_net_scan_unpack(const uint8_t *buf, size_t len, struct ctl_net_scan **out,
			struct d_errbuf *eb);

/* StorageScanReq <-> CTL_SCAN_* flags. */
int ctl_storage_scan_req_pack(unsigned int flags, uint8_t **buf, size_t *len);
int ctl_storage_scan_req_unpack(const uint8_t *buf, size_t len, unsigned int *flags,
				struct d_errbuf *eb);

/* NetworkScanReq <-> provider ("" = all); *provider is malloc()ed. */
int ctl_net_scan_req_pack(const char *provider, uint8_t **buf, size_t *len);
int ctl_net_scan_req_unpack(const uint8_t *buf, size_t len, char **provider, struct d_errbuf *eb);

/* GetVersionResp. */
struct ctl_server_version {
	char *name;	/* "DAOS Control Server" */
	char *version;	/* "2.9.100" */
	char *revision; /* "" when unknown */
	char *hostname;
};

int  ctl_server_version_pack(const struct ctl_server_version *v, uint8_t **buf, size_t *len);
int  ctl_server_version_unpack(const uint8_t *buf, size_t len, struct ctl_server_version *v,
			       struct d_errbuf *eb);
void ctl_server_version_fini(struct ctl_server_version *v);

/* ---- StorageFormat exchange ------------------------------------------------------ */

/* Info of a successful result without its own info (upstream's status name). */
#define CTL_FMT_SUCCESS "CTL_SUCCESS"
/* Info of an instance that was not formatted because it did not need it. */
#define CTL_FMT_ALREADY "SCM is already formatted"
/* Info of a failed mount result whose SCM was formatted before the failure. */
#define CTL_FMT_DONE_BEFORE "SCM formatted"
/* Address upstream gives a bdev result that stands for "NVMe skipped". */
#define CTL_FMT_NIL_BDEV "<nil>"

/* One ScmMountResult (path = mount point) or NvmeControllerResult (path = PCI/file). */
struct ctl_fmt_result {
	char	*path;
	uint32_t instance;
	uint32_t roles;	 /* CTL_BDEV_ROLE_* (bdev results only) */
	int32_t	 status; /* 0 or -DER_* */
	char	*error;	 /* NULL when status == 0 */
	char	*info;	 /* NULL: none */
};

struct ctl_format_resp {
	struct ctl_fmt_result *mounts;
	size_t		       nmounts;
	struct ctl_fmt_result *ctrlrs;
	size_t		       nctrlrs;
};

void ctl_format_resp_fini(struct ctl_format_resp *r);

/* Append a result (strings copied; NULL allowed for error/info).  0 or -DER_NOMEM. */
int ctl_format_resp_add(struct ctl_format_resp *r, bool mount, const char *path, uint32_t instance,
			uint32_t roles, int32_t status, const char *error, const char *info);

/* StorageFormatReq (scm and nvme always set, as dmg does). */
int ctl_format_req_pack(bool reformat, bool replace, uint8_t **buf, size_t *len);
int ctl_format_req_unpack(const uint8_t *buf, size_t len, bool *reformat, bool *replace,
			  struct d_errbuf *eb);

/* StorageFormatResp wire bytes (malloc()ed) and back (-DER_PROTO with eb). */
int ctl_format_resp_pack(const struct ctl_format_resp *r, uint8_t **buf, size_t *len);
int ctl_format_resp_unpack(const uint8_t *buf, size_t len, struct ctl_format_resp *out,
			   struct d_errbuf *eb);

#endif /* DAOS_CONTROL_LIB_RPC_RPC_H */
