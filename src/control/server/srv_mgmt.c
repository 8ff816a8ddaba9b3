/*
 * The management service object of `daos_server start` (srv_mgmt.h) and
 * what every one of its requests checks first: that this server runs the
 * MS (else -DER_NOTLEADER naming the leader), that the request is for this
 * system, that its body decodes; and how a response is handed back.
 *
 * The handlers themselves are in srv_mgmt_join.c (Join, ClusterEvent) and
 * srv_mgmt_system.c (LeaderQuery, SystemQuery/Stop/Start/Erase), the
 * database in srv_mgmt_db.c, the liveness loop in srv_mgmt_live.c (started
 * and stopped by srv_start.c, not from here).
 *
 * Not here: raft replication (a single replica only), pool service,
 * group-map pushes to engines, system exclude/drain/attributes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "control/server/srv_mgmt_internal.h"

int
srv_mgmt_create(struct srv_state *st, struct srv_mgmt **out, struct d_errbuf *eb)
{
	struct srv_mgmt *ms;

	D_ALLOC_PTR(ms);
	if (ms == NULL) {
		d_errbuf_set(eb, "out of memory creating the management service");
		return -DER_NOMEM;
	}
	pthread_mutex_init(&ms->lock, NULL);
	ms->st = st;
	if (srv_mgmt_db_path(st->cfg, ms->db_path, sizeof(ms->db_path)) != 0)
		ms->db_path[0] = '\0';
	*out = ms;
	return 0;
}

void
srv_mgmt_destroy(struct srv_mgmt *ms)
{
	if (ms == NULL)
		return;
	ctl_membership_destroy(ms->m);
	pthread_mutex_destroy(&ms->lock);
	D_FREE(ms);
}

/* Validation always leaves at least one replica (default localhost:10001). */
const char *
srv_ms_leader(const struct srv_state *st)
{
	return st->cfg->mgmt_svc_replicas.n > 0 ? st->cfg->mgmt_svc_replicas.v[0] : "";
}

int
srv_ms_not_leader(const struct srv_state *st, struct d_errbuf *eb)
{
	d_errbuf_set(eb, "%s is not the management service leader; the current leader is %s",
		     st->hostname, srv_ms_leader(st));
	return -DER_NOTLEADER;
}

/* Upstream's FaultWrongSystem. */
int
srv_ms_check_sys(const struct srv_state *st, const char *sys, struct d_errbuf *eb)
{
	const char *name = st->cfg->name != NULL ? st->cfg->name : "daos_server";

	if (sys == NULL || sys[0] == '\0' || strcmp(sys, name) == 0)
		return 0;
	d_errbuf_set(eb, "request system does not match running system (%s != %s)", sys, name);
	return -DER_INVAL;
}

int
srv_ms_bad_request(const char *what, struct d_errbuf *eb)
{
	d_errbuf_set(eb, "malformed %s request: cannot decode its body", what);
	return -DER_PROTO;
}

int
srv_ms_pack(const ProtobufCMessage *msg, uint8_t **resp, size_t *resp_len, struct d_errbuf *eb)
{
	int rc = d_pb_pack(msg, resp, resp_len);

	if (rc != 0)
		d_errbuf_set(eb, "out of memory encoding the response");
	return rc;
}
