/* Shared between rpc.c (framing, server) and rpc_client.c; not for other directories. */
#ifndef DAOS_CONTROL_LIB_RPC_INTERNAL_H
#define DAOS_CONTROL_LIB_RPC_INTERNAL_H

#include "control/lib/rpc/rpc.h"

/*
 * Read one frame's payload (D_ALLOC'd) before `deadline`.  A length prefix
 * above `max` (at most CTL_RPC_MAX_FRAME - 4) is -DER_OVERFLOW before
 * anything is allocated, with eb naming the length and the limit.
 */
int ctl_rpc_frame_read(struct d_tls_conn *conn, int64_t deadline, uint32_t max, uint8_t **out,
		       size_t *out_len, struct d_errbuf *eb);

/* SIGPIPE to SIG_IGN when it is at its default. */
void ctl_rpc_ignore_sigpipe(void);

#endif /* DAOS_CONTROL_LIB_RPC_INTERNAL_H */
