/*
 * What dmg's remote commands share.  dmg_conn.c: the connection setup
 * (daos_control.yml through the search order with -o / -i / -l overrides,
 * TLS material, the host list expanded into host:port targets), the
 * fan-out of one request to every host with dmg's limits (threads,
 * deadlines and grouping are rpc.h's), the host error table and the final
 * status ("N hosts had errors").  dmg_fanout.c: the whole pipeline of a
 * fan-out command, driven by its struct dmg_fanout_cmd.
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

/* The -l/--host-list option entry of every command that contacts hosts. */
#define DMG_OPT_HOST_LIST                                                                          \
	{                                                                                          \
		.short_name = 'l', .long_name = "host-list", .type = D_OPT_STR,                    \
		.arg_name = "HOSTS", .help = "A hostlist to override the one in the config file"   \
	}

/* "1 host had errors" / "N hosts had errors" (upstream's wording), in buf. */
const char *dmg_failed_str(int nfailed, char *buf, size_t len);

/* ---- the fan-out pipeline (dmg_fanout.c) ---------------------------------------------- */

struct dmg_fanout;

/*
 * Where the hosts string and the answer pointer sit in an element of the
 * render library's group array (struct ctl_storage_group and the like).
 */
struct dmg_view {
	size_t size; /* of an element; 0: the command has no such array */
	size_t hosts;
	size_t obj;
};

#define DMG_VIEW(type, hosts_member, obj_member)                                                   \
	{                                                                                          \
		sizeof(type), offsetof(type, hosts_member), offsetof(type, obj_member)             \
	}

/*
 * What a fan-out command is: its method, its messages and callbacks for what
 * differs.  An "answer" is a host's decoded response (the command's own
 * type); hosts group when their answers give the same key bytes.
 */
struct dmg_fanout_cmd {
	const char     *method;	       /* control method called on every host */
	const char     *name;	       /* "<name>: <error>" when the calls cannot start */
	const char     *resp_name;     /* "invalid <resp_name> response: <why>" (host error) */
	const char     *oom;	       /* the whole message when memory runs out */
	bool		errors_stdout; /* host errors on stdout, a blank line before the groups */
	struct dmg_view view;	       /* f->view: the groups as this array (DMG_VIEW) */

	/* Optional, once the host list is known: nonzero is the exit status (reported). */
	int (*check)(struct dmg_fanout *f);
	/* Optional: the request body (malloc()ed); none sends an empty one.  -DER_*. */
	int (*pack)(const struct d_cli_ctx *ctx, uint8_t **req, size_t *len);
	/* Optional: the host called alone before the others (SIZE_MAX: none). */
	size_t (*first)(struct dmg_fanout *f);
	/* One host's answer into *obj; -DER_NOMEM, or another -DER_* with the reason in eb. */
	int (*unpack)(const uint8_t *body, size_t len, void **obj, struct d_errbuf *eb);
	/* Grouping key (malloc()ed); may put obj in a canonical form.  None: no grouping. */
	int (*key)(void *obj, uint8_t **key, size_t *len);
	/* Optional: errors inside host i's successful answer, added to errs under its name. */
	int (*errors)(struct dmg_fanout *f, size_t i, struct ctl_host_groups *errs);
	void (*free)(void *obj);
	/* Text of the groups on stdout, after the host errors.  Optional. */
	void (*print)(const struct dmg_fanout *f);
	/* Members of the -j response object after "host_errors".  Optional. */
	void (*json)(const struct dmg_fanout *f, struct d_json *w);
};

/*
 * The unpack and free callbacks, <prefix>_unpack and <prefix>_free, of an
 * answer that an rpc.h decoder gives: DMG_ANSWER_NEW for one that returns a
 * new object (int unpack_fn(body, len, type **out, eb), void free_fn(type *)),
 * DMG_ANSWER_INTO for one that fills a caller's struct (int
 * unpack_fn(body, len, type *out, eb), void fini_fn(type *)).
 */
#define DMG_ANSWER_NEW(prefix, type, unpack_fn, free_fn)                                           \
	static int prefix##_unpack(const uint8_t *body, size_t len, void **obj,                    \
				   struct d_errbuf *eb)                                            \
	{                                                                                          \
		type *o = NULL;                                                                    \
		int   rc = unpack_fn(body, len, &o, eb);                                           \
                                                                                                   \
		if (rc == 0)                                                                       \
			*obj = o;                                                                  \
		return rc;                                                                         \
	}                                                                                          \
	static void prefix##_free(void *obj)                                                       \
	{                                                                                          \
		free_fn(obj);                                                                      \
	}

#define DMG_ANSWER_INTO(prefix, type, unpack_fn, fini_fn)                                          \
	static int prefix##_unpack(const uint8_t *body, size_t len, void **obj,                    \
				   struct d_errbuf *eb)                                            \
	{                                                                                          \
		type *o;                                                                           \
		int   rc;                                                                          \
                                                                                                   \
		D_ALLOC_PTR(o);                                                                    \
		if (o == NULL)                                                                     \
			return -DER_NOMEM;                                                         \
		rc = unpack_fn(body, len, o, eb);                                                  \
		if (rc == 0)                                                                       \
			*obj = o;                                                                  \
		else                                                                               \
			D_FREE(o);                                                                 \
		return rc;                                                                         \
	}                                                                                          \
	static void prefix##_free(void *obj)                                                       \
	{                                                                                          \
		fini_fn(obj);                                                                      \
		D_FREE(obj);                                                                       \
	}

/* One run of a command. */
struct dmg_fanout {
	const struct dmg_fanout_cmd *cmd;
	struct d_cli_ctx	    *ctx;
	struct dmg_conn		    *c;
	struct ctl_rpc_result	    *res;  /* per host of c */
	void			   **objs; /* per host: its answer, NULL when it failed */
	struct ctl_host_groups	     ok;   /* hosts with identical answers, sorted by hosts */
	struct ctl_host_groups	     errs; /* hosts with identical errors, sorted by hosts */
	int			     nfailed;
	void			    *view; /* ok as the cmd->view array, when it has one */
};

/*
 * The whole pipeline: open the connection (dmg_conn_open), check, call,
 * decode and group, collect the host errors and report.  Returns the exit
 * status, everything printed.
 */
int dmg_fanout_run(struct d_cli_ctx *ctx, const struct dmg_fanout_cmd *cmd);

/*
 * Its stages, for a command that runs more than one method on the same
 * connection (f->cmd, f->ctx and f->c set by the caller, the rest zero).
 * Each returns 0 or -DER_*, printing nothing; report returns the exit status.
 */
int  dmg_fanout_call(struct dmg_fanout *f);   /* pack, first, call every host */
int  dmg_fanout_decode(struct dmg_fanout *f); /* unpack answers, group them in f->ok */
int  dmg_fanout_errors(struct dmg_fanout *f); /* f->errs and f->nfailed */
int  dmg_fanout_report(struct dmg_fanout *f); /* text or -j envelope, dmg_finish */
void dmg_fanout_fini(struct dmg_fanout *f);   /* all but f->c */

/* The answer shown for group g of f->ok. */
const void *dmg_fanout_obj(const struct dmg_fanout *f, int g);

/*
 * Upstream's host map under `key`: {"<group name>": {"<obj_key>": answer,
 * "hosts": "<hosts>"}, ...} with obj_json writing the answer (HostStorage).
 */
void dmg_fanout_json_map(const struct dmg_fanout *f, struct d_json *w, const char *key,
			 const char *obj_key,
			 void (*obj_json)(struct d_json *w, const char *key, const void *obj));

/*
 * LeaderQuery on the hosts of `c` in order until one answers (transport
 * errors move on; an answer, even an error, is final).  *lq is the decoded
 * answer (free with mgmt__leader_query_resp__free_unpacked).  cmd_system.c.
 */
int dmg_leader_query(struct dmg_conn *c, Mgmt__LeaderQueryResp **lq, struct d_errbuf *eb);

#endif /* DAOS_CONTROL_DMG_DMG_INTERNAL_H */
