/*
 * What dmg's remote commands share (dmg_conn.c): the connection setup
 * (daos_control.yml through the search order with -o / -i / -l overrides,
 * TLS material, the host list expanded into host:port targets), the
 * parallel fan-out of one request to every host, grouping of hosts whose
 * results are identical into ranged hostsets, the host error table and the
 * final status ("N hosts had errors").
 *
 * Limits, overridable through the environment (tests and benchmarks):
 *   DMG_CONNECT_TIMEOUT_MS  resolve + connect + TLS handshake per host [5000]
 *   DMG_RPC_TIMEOUT_MS      the call itself once connected            [30000]
 *   DMG_CONCURRENCY         hosts contacted at once                   [64]
 * A host that accepts a connection but stays silent costs at most the
 * connect timeout (the handshake is part of it), or the call timeout after
 * a handshake; nothing waits without a deadline.
 */
#ifndef DAOS_CONTROL_DMG_DMG_INTERNAL_H
#define DAOS_CONTROL_DMG_DMG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/cli.h"
#include "common/hostlist.h"
#include "common/json.h"
#include "control/lib/config/config.h"
#include "control/lib/rpc/rpc.h"
#include "proto/system.pb-c.h"

#define DMG_DEFAULT_CONNECT_MS	5000
#define DMG_DEFAULT_CALL_MS	30000
#define DMG_DEFAULT_CONCURRENCY 64

struct dmg_conn {
	struct ctl_control_config *cfg;
	struct ctl_rpc_client	  *cl;
	size_t			   n;	    /* hosts */
	struct ctl_rpc_target	  *targets; /* sorted, unique */
	char			 **names;   /* host part of each target */
	char			 **display; /* name, or name:port when port != the config port */
	int			   connect_ms;
	int			   call_ms;
	int			   concurrency;
};

/*
 * Print `msg` as "ERROR: dmg: <msg>" on stderr, and with -j the envelope
 * {"response": null, "error": msg, "status": rc} on stdout.  Returns 1.
 */
int dmg_fail(const struct d_cli_ctx *ctx, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Load the configuration (-o, else ~/.daos_control.yml, the config
 * directory, /etc/daos/daos_control.yml, else defaults), apply -i and -l
 * (the command's or the hidden global one), expand the host list into
 * host:port targets with the config `port` as default, read the limits and
 * build the TLS client.  Errors: -DER_* with the sentence in eb.
 */
int  dmg_conn_open(const struct d_cli_ctx *ctx, struct dmg_conn **out, struct d_errbuf *eb);
void dmg_conn_close(struct dmg_conn *c);

/* The access point default: the first host of the sorted list, as displayed. */
const char *dmg_conn_first_host(const struct dmg_conn *c);

/* Call `method` on every host; results[i] is for c->targets[i] (free with dmg_results_free). */
int dmg_fanout(struct dmg_conn *c, const char *method, const void *req, size_t req_len,
	       struct ctl_rpc_result **results);
/* The same, calling host `first` alone before all the others (SIZE_MAX: plain fan-out). */
int dmg_fanout_first(struct dmg_conn *c, const char *method, const void *req, size_t req_len,
		     size_t first, struct ctl_rpc_result **results);
/* Index of the target "host:port" (by name, else by resolved address); SIZE_MAX: none. */
size_t dmg_conn_find(const struct dmg_conn *c, const char *host, uint16_t port);
void   dmg_results_free(struct ctl_rpc_result *results, size_t n);

/* Limits from the environment: value of `name` if a positive integer, else deflt. */
int dmg_env_int(const char *name, int deflt);

/* ---- grouping (ctl_host_groups of rpc.h) ------------------------------------------- */

/*
 * Group the failed results (rc != 0) by error text under their displayed host
 * names into `errs` (finished) and return the number of failed hosts, or
 * -DER_NOMEM.  A caller that cannot decode a body marks that result failed
 * first (ctl_rpc_result_fail).
 */
int dmg_host_errors(const struct dmg_conn *c, const struct ctl_rpc_result *res,
		    struct ctl_host_groups *errs);

/* "Errors:" and the "Hosts Error" table, indented by 2 (nothing when no errors). */
void dmg_errors_print(FILE *out, const struct ctl_host_groups *errs);
/* "host_errors": {"<error>": "<hosts>"} into the open JSON object. */
void dmg_errors_json(struct d_json *w, const struct ctl_host_groups *errs);

/*
 * Finish a fan-out command: with -j print the envelope holding `response`
 * (a finished writer, may be NULL) and, when hosts failed, the error
 * "N hosts had errors"; without -j print "ERROR: dmg: N hosts had errors"
 * on stderr when hosts failed.  Returns the exit status.
 */
int dmg_finish(const struct d_cli_ctx *ctx, int nfailed, struct d_json *response);

/*
 * End of a fan-out command: free the ok and error groups, the results of
 * every host of `c` and close `c` (NULL when the connection was never opened;
 * then `res` must be NULL too).
 */
void dmg_fanout_fini(struct dmg_conn *c, struct ctl_rpc_result *res, struct ctl_host_groups *ok,
		     struct ctl_host_groups *errs);

/* The -l/--host-list option entry of every command that contacts hosts. */
#define DMG_OPT_HOST_LIST                                                                          \
	{                                                                                          \
		.short_name = 'l', .long_name = "host-list", .type = D_OPT_STR,                    \
		.arg_name = "HOSTS", .help = "A hostlist to override the one in the config file"   \
	}

/* "1 host had errors" / "N hosts had errors" (upstream's wording), in buf. */
const char *dmg_failed_str(int nfailed, char *buf, size_t len);

/*
 * LeaderQuery on the hosts of `c` in order until one answers (transport
 * errors move on; an answer, even an error, is final).  *lq is the decoded
 * answer (free with mgmt__leader_query_resp__free_unpacked).  cmd_system.c.
 */
int dmg_leader_query(struct dmg_conn *c, Mgmt__LeaderQueryResp **lq, struct d_errbuf *eb);

#endif /* DAOS_CONTROL_DMG_DMG_INTERNAL_H */
