/*
 * dRPC (ARCHITECTURE.md "Protocols 2"): request/response between local
 * processes over unix SOCK_SEQPACKET sockets -- daos_engine -> daos_server
 * (daos_server.sock), daos_server -> daos_engine (daos_engine_<pid>.sock),
 * libdaos -> daos_agent (daos_agent.sock).  Messages are protobuf-c
 * drpc.Call / drpc.Response (src/proto/drpc.proto); the method's own
 * request and response travel as opaque bodies.
 *
 * Framing.  A message is sent as one or more packets of at most
 * D_DRPC_MAX_PACKET bytes.  Every packet starts with a 24-byte header of
 * little-endian fixed-width fields:
 *
 *	offset 0  u64  total_data_size   size of the whole message
 *	offset 8  u64  chunk_data_size   payload bytes in this packet
 *	offset 16 u32  chunk_idx         0, 1, ... in order
 *	offset 20 u32  total_chunks      number of packets of this message
 *
 * followed by chunk_data_size payload bytes.  Upstream writes a native
 * struct {size_t, size_t, uint32_t, uint32_t}, which is this exact layout on
 * 64-bit little-endian hosts.  The receiver rejects packets that are short,
 * longer than D_DRPC_MAX_PACKET, out of order, inconsistent with earlier
 * chunks of the same message, or announce more than D_DRPC_MAX_MSG bytes.
 *
 * This module never logs; the server reports connection-level problems
 * through an optional notify callback.  SIGPIPE is avoided with
 * MSG_NOSIGNAL, so no signal disposition is changed.
 */
#ifndef DAOS_COMMON_DRPC_H
#define DAOS_COMMON_DRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/common.h"

#define D_DRPC_MAX_PACKET  (128 * 1024)
#define D_DRPC_HDR_SIZE	   24
#define D_DRPC_MAX_PAYLOAD (D_DRPC_MAX_PACKET - D_DRPC_HDR_SIZE)
/* Largest message accepted (a bound on what a peer can make us allocate). */
#define D_DRPC_MAX_MSG (64u * 1024 * 1024)
/* Connections one server serves at once; more are accepted and closed. */
#define D_DRPC_MAX_CONNS 64

/* Module and method numbers of upstream's drpc_modules.h. */
#define D_DRPC_MODULES(X)                                                                          \
	X(D_DRPC_MODULE_SEC_AGENT, 1, "SecurityAgent")                                             \
	X(D_DRPC_MODULE_MGMT, 2, "Mgmt")                                                           \
	X(D_DRPC_MODULE_SRV, 3, "Srv")                                                             \
	X(D_DRPC_MODULE_SEC, 4, "Security")

/* X(symbol, module, number, name) */
#define D_DRPC_METHODS(X)                                                                          \
	X(D_DRPC_METHOD_SEC_AGENT_REQUEST_CREDS, 1, 101, "RequestCredentials")                     \
	X(D_DRPC_METHOD_MGMT_KILL_RANK, 2, 201, "KillRank")                                        \
	X(D_DRPC_METHOD_MGMT_SET_RANK, 2, 202, "SetRank")                                          \
	X(D_DRPC_METHOD_MGMT_GET_ATTACH_INFO, 2, 206, "GetAttachInfo")                             \
	X(D_DRPC_METHOD_MGMT_POOL_CREATE, 2, 207, "PoolCreate")                                    \
	X(D_DRPC_METHOD_MGMT_SET_UP, 2, 209, "SetUp")                                              \
	X(D_DRPC_METHOD_MGMT_PREP_SHUTDOWN, 2, 218, "PrepShutdown")                                \
	X(D_DRPC_METHOD_MGMT_PING_RANK, 2, 225, "PingRank")                                        \
	X(D_DRPC_METHOD_MGMT_GROUP_UPDATE, 2, 232, "GroupUpdate")                                  \
	X(D_DRPC_METHOD_MGMT_NOTIFY_EXIT, 2, 233, "NotifyExit")                                    \
	X(D_DRPC_METHOD_MGMT_NOTIFY_POOL_CONNECT, 2, 235, "NotifyPoolConnect")                     \
	X(D_DRPC_METHOD_MGMT_NOTIFY_POOL_DISCONNECT, 2, 236, "NotifyPoolDisconnect")               \
	X(D_DRPC_METHOD_SRV_NOTIFY_READY, 3, 301, "NotifyReady")                                   \
	X(D_DRPC_METHOD_SRV_GET_POOL_SVC, 3, 303, "GetPoolServiceRanks")                           \
	X(D_DRPC_METHOD_SRV_CLUSTER_EVENT, 3, 304, "ClusterEvent")                                 \
	X(D_DRPC_METHOD_SEC_VALIDATE_CREDS, 4, 401, "ValidateCredentials")

enum d_drpc_module {
#define D_DRPC_X(sym, num, name) sym = num,
	D_DRPC_MODULES(D_DRPC_X)
#undef D_DRPC_X
};

enum d_drpc_method {
#define D_DRPC_X(sym, mod, num, name) sym = num,
	D_DRPC_METHODS(D_DRPC_X)
#undef D_DRPC_X
};

/* drpc.Status of drpc.proto, same values. */
enum d_drpc_status {
	D_DRPC_SUCCESS = 0,
	D_DRPC_SUBMITTED = 1,
	D_DRPC_FAILURE = 2,
	D_DRPC_UNKNOWN_MODULE = 3,
	D_DRPC_UNKNOWN_METHOD = 4,
	D_DRPC_FAILED_UNMARSHAL_CALL = 5,
	D_DRPC_FAILED_UNMARSHAL_PAYLOAD = 6,
	D_DRPC_FAILED_MARSHAL = 7,
};

/* Names for logs ("Mgmt", "SetRank", "UNKNOWN_METHOD"); NULL when unknown. */
const char *d_drpc_module_name(int32_t module);
const char *d_drpc_method_name(int32_t module, int32_t method);
const char *d_drpc_status_name(int32_t status);

/*
 * Framing on a connected SOCK_SEQPACKET fd.  timeout_ms < 0 waits forever;
 * the timeout bounds the whole message.  d_drpc_send_msg(): 0, -DER_TIMEDOUT,
 * -DER_OVERFLOW (len > D_DRPC_MAX_MSG), -DER_UNREACH (peer gone), -DER_NOMEM,
 * -DER_HG.
 * d_drpc_recv_msg(): the reassembled message in *buf (free()), or
 * -DER_UNREACH when the peer closed between messages, -DER_PROTO for a
 * malformed packet or a peer closing mid-message, -DER_OVERFLOW for an
 * oversized packet or message, -DER_TIMEDOUT, -DER_NOMEM, -DER_HG.  *partial
 * (NULL allowed) tells whether part of a message was consumed, i.e. whether
 * the connection is still in step after a failure.
 */
int d_drpc_send_msg(int fd, const void *buf, size_t len, int timeout_ms);
int d_drpc_recv_msg(int fd, int timeout_ms, uint8_t **buf, size_t *len, bool *partial);

/* ---- Client ---- */

struct d_drpc_client;

struct d_drpc_resp {
	int64_t	 sequence;
	int32_t	 status; /* enum d_drpc_status */
	uint8_t *body;
	size_t	 body_len;
};

void d_drpc_resp_free(struct d_drpc_resp *resp);

/* Connect to the server socket at path: 0, -DER_INVAL (path too long),
 * -DER_NONEXIST (no socket there), -DER_UNREACH (nobody listening),
 * -DER_NO_PERM, -DER_NOMEM, -DER_HG; eb (NULL allowed) says which. */
int d_drpc_connect(const char *path, struct d_drpc_client **out, struct d_errbuf *eb);

/*
 * One call; calls on one client are serialized (thread-safe).  The response
 * must repeat the call's sequence number: answers to earlier calls that
 * timed out are skipped, any other number is -DER_PROTO.  Errors as
 * d_drpc_send_msg/d_drpc_recv_msg; after an error that left the
 * connection out of step (partial message, protocol error, peer gone) every
 * further call fails with -DER_HG and the client must be reconnected.
 * A dRPC-level failure (UNKNOWN_MODULE...) is a successful call whose
 * resp->status says so.
 */
int d_drpc_call(struct d_drpc_client *c, int32_t module, int32_t method, const void *body,
		size_t body_len, int timeout_ms, struct d_drpc_resp **resp);

void d_drpc_close(struct d_drpc_client *c);

/* ---- Server ---- */

struct d_drpc_server;

/* The decoded call handed to a handler. */
struct d_drpc_req {
	int32_t	       module;
	int32_t	       method;
	int64_t	       sequence;
	const uint8_t *body;
	size_t	       body_len;
};

/*
 * Handler: returns the dRPC status (normally D_DRPC_SUCCESS or
 * D_DRPC_FAILURE, D_DRPC_FAILED_UNMARSHAL_PAYLOAD for a body it cannot
 * decode) and may set *resp_body to a malloc()ed body, freed by the server.
 * Handlers run on the server's thread, one at a time.
 */
typedef int32_t (*d_drpc_handler_t)(const struct d_drpc_req *req, void *arg, uint8_t **resp_body,
				    size_t *resp_len);

/* Connection-level events (malformed packets, dropped connections): rc is
 * -DER_*, msg a sentence naming the problem.  Runs on the server thread. */
typedef void (*d_drpc_notify_t)(void *arg, int rc, const char *msg);

/*
 * Bind and listen on path with the given file mode (e.g. 0600).  A stale
 * socket file (nobody accepting) is removed first; a live one is
 * -DER_BUSY, a non-socket file -DER_EXIST, a too long path -DER_INVAL.
 */
int d_drpc_server_create(const char *path, mode_t mode, struct d_drpc_server **out,
			 struct d_errbuf *eb);

/* Before start/run only.  -DER_EXIST for a duplicate (module, method). */
int  d_drpc_server_register(struct d_drpc_server *s, int32_t module, int32_t method,
			    d_drpc_handler_t fn, void *arg);
void d_drpc_server_set_notify(struct d_drpc_server *s, d_drpc_notify_t fn, void *arg);

/* Serve all connections from the calling thread until stopped: 0, or
 * -DER_HG if poll() fails.  Not together with d_drpc_server_start(). */
int d_drpc_server_run(struct d_drpc_server *s);
/* Or run the loop on a thread of its own. */
int d_drpc_server_start(struct d_drpc_server *s);
/* Async-signal-safe; the loop returns after the message it is handling.
 * A stopped server is not restarted; destroy it. */
void d_drpc_server_stop(struct d_drpc_server *s);
/* Stop, join, close every connection and remove the socket file. */
void d_drpc_server_destroy(struct d_drpc_server *s);

#endif /* DAOS_COMMON_DRPC_H */
