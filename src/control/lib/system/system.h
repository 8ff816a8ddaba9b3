/*
 * System membership as the management service keeps it: member states
 * (upstream's bitmask values and names), the legal state transitions,
 * state filters, and an in-memory membership table with upstream's join
 * rules, lookups, state updates and a text form for persistence.  No
 * locking, no raft, no RPC: the management service wraps this table.
 *
 * Also the selection of members by the rank and host filters of `dmg system`
 * requests (select.c: pure but for name resolution).
 */
#ifndef DAOS_CONTROL_LIB_SYSTEM_SYSTEM_H
#define DAOS_CONTROL_LIB_SYSTEM_SYSTEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

enum ctl_member_state {
	CTL_MS_UNKNOWN = 0x0,
	CTL_MS_AWAIT_FORMAT = 0x1,
	CTL_MS_STARTING = 0x2,
	CTL_MS_READY = 0x4,
	CTL_MS_JOINED = 0x8,
	CTL_MS_STOPPING = 0x10,
	CTL_MS_STOPPED = 0x20,
	CTL_MS_EXCLUDED = 0x40,
	CTL_MS_ERRORED = 0x80,
	CTL_MS_UNRESPONSIVE = 0x100,
	CTL_MS_ADMIN_EXCLUDED = 0x200,
	CTL_MS_CHECKER_STARTED = 0x400,
};

/* Members usable for pool creation and the like. */
#define CTL_MS_FILTER_AVAILABLE (CTL_MS_READY | CTL_MS_JOINED)
/* Members left out of the CaRT group map pushed to engines. */
#define CTL_MS_FILTER_EXCLUDED (CTL_MS_AWAIT_FORMAT | CTL_MS_EXCLUDED | CTL_MS_ADMIN_EXCLUDED)
#define CTL_MS_FILTER_ALL      0xFFFFu

#define CTL_NIL_RANK	UINT32_MAX
#define CTL_UUID_STRLEN 36

/* "AwaitFormat", ..., "CheckerStarted"; "Unknown" for anything else. */
const char *ctl_member_state_name(uint32_t state);
/* Case-insensitive inverse of ctl_member_state_name(); CTL_MS_UNKNOWN if no match. */
uint32_t ctl_member_state_parse(const char *s);
/* False for upstream's illegal transitions (including X -> X and from Unknown/AdminExcluded). */
bool ctl_member_state_transition_ok(uint32_t from, uint32_t to);

struct ctl_member {
	uint32_t rank;
	uint64_t incarnation;
	char	 uuid[CTL_UUID_STRLEN + 1]; /* canonical lower-case form */
	char	*addr;			    /* control-plane address, host:port */
	char	*uri;			    /* primary fabric URI */
	uint32_t nctxs;			    /* primary fabric contexts */
	char	*fault_domain;		    /* "/" or "/a/b" */
	uint32_t state;
	char	*info;	      /* reason of the last state change, may be NULL */
	int64_t	 last_update; /* Unix time of the last change, 0 when unknown */
};

struct ctl_join_req {
	const char *uuid; /* engine UUID from its superblock */
	uint32_t    rank; /* superblock rank, or CTL_NIL_RANK */
	const char *uri;  /* required */
	uint32_t    nctxs;
	const char *addr;	  /* control address, required */
	const char *fault_domain; /* NULL: "/" */
	uint64_t    incarnation;
	bool	    check_mode; /* join in checker mode: state CheckerStarted */
	const char *provider;	/* the system's fabric provider (URI scheme); NULL: any */
};

struct ctl_join_resp {
	uint32_t rank;
	uint32_t state;
	uint32_t prev_state; /* CTL_MS_UNKNOWN for a new member */
	bool	 created;
	uint64_t map_version;
};

/* Why a join was refused (upstream's ErrJoin* and faults). */
enum ctl_join_fail {
	CTL_JOIN_OK = 0,
	CTL_JOIN_BAD_REQUEST,	     /* -DER_INVAL: missing/invalid field */
	CTL_JOIN_RANK_CHANGED,	     /* -DER_MISMATCH */
	CTL_JOIN_UUID_CHANGED,	     /* -DER_MISMATCH */
	CTL_JOIN_ADDR_CHANGED,	     /* -DER_MISMATCH */
	CTL_JOIN_ADMIN_EXCLUDED,     /* -DER_NO_PERM */
	CTL_JOIN_FAULT_DOMAIN_DEPTH, /* -DER_INVAL */
	CTL_JOIN_UUID_EXISTS,	     /* -DER_EXIST: UUID known under another rank */
	CTL_JOIN_MEMBER_EXISTS, /* -DER_EXIST: same addr/URI/domain, new UUID (needs --replace) */
	CTL_JOIN_PROVIDER, /* -DER_MISMATCH: URI of another fabric provider than the system's */
};

struct ctl_membership;

int  ctl_membership_create(struct ctl_membership **out);
void ctl_membership_destroy(struct ctl_membership *m);

/*
 * Join or rejoin (Membership.Join).  The existing member is looked up by
 * rank, or by UUID when the rank is nil; it must keep its UUID, rank and
 * control address and not be AdminExcluded, and its fault domain depth
 * must match the others'; it becomes Joined (CheckerStarted in check
 * mode) with the new URI, contexts, fault domain and incarnation.  A new
 * member gets the requested rank or the next free rank from 1 (rank 0 is
 * only ever requested, by the bootstrap engine).  On failure `*fail`
 * (may be NULL) says why and `eb` has upstream's message.
 */
int ctl_membership_join(struct ctl_membership *m, const struct ctl_join_req *req,
			struct ctl_join_resp *resp, enum ctl_join_fail *fail, struct d_errbuf *eb);

/* Lookups return NULL when absent; pointers stay valid until the next change. */
const struct ctl_member *ctl_membership_find_rank(const struct ctl_membership *m, uint32_t rank);
const struct ctl_member *ctl_membership_find_uuid(const struct ctl_membership *m, const char *uuid);
/*
 * Set a member's state (and info, NULL to clear).  -DER_NONEXIST for an
 * unknown rank; -DER_NOTAPPLICABLE, member untouched, for an illegal
 * transition (callers that apply bulk updates skip those, as upstream).
 */
int ctl_membership_set_state(struct ctl_membership *m, uint32_t rank, uint32_t state,
			     const char *info, struct d_errbuf *eb);

/* Record when a member last changed (the caller's clock); -DER_NONEXIST for an unknown rank. */
int ctl_membership_touch(struct ctl_membership *m, uint32_t rank, int64_t when);
/*
 * A new reason for the state a member already has (an Errored rank that
 * failed again): the info only, no state change, no map version.
 * -DER_NONEXIST, -DER_NOMEM.
 */
int ctl_membership_set_info(struct ctl_membership *m, uint32_t rank, const char *info);

/* Members whose state is in `mask` (Unknown matches only CTL_MS_FILTER_ALL), by rank. */
int	 ctl_membership_list(const struct ctl_membership *m, uint32_t mask,
			     const struct ctl_member ***out, size_t *n);
size_t	 ctl_membership_count(const struct ctl_membership *m);
uint64_t ctl_membership_map_version(const struct ctl_membership *m);
uint32_t ctl_membership_next_rank(const struct ctl_membership *m);

/*
 * Text form, one line per record:
 *   daos-membership 1
 *   next_rank <n>
 *   map_version <n>
 *   member <rank> <uuid> <State> <incarnation> <nctxs> <addr> <uri> <fault_domain> <info>
 *          <last_update>
 * Fields are separated by single spaces; '%', space, control characters
 * and an empty value ("%-") are percent-escaped.  <last_update> (Unix
 * seconds) came later: a member line without it still loads (time 0).
 * Caller frees.
 */
char *ctl_membership_to_text(const struct ctl_membership *m);
/* Inverse; errors name the line and field. */
int ctl_membership_from_text(const char *text, struct ctl_membership **out, struct d_errbuf *eb);

/* ---- liveness: what a PingRanks of a member's host means for the member ---- */

/* Members the MS pings: available ones, and unresponsive ones that may have come back. */
#define CTL_MS_FILTER_PINGED (CTL_MS_FILTER_AVAILABLE | CTL_MS_UNRESPONSIVE)

struct ctl_ping {
	/* The host's control plane did not answer (after the caller's retries); `msg` says why. */
	bool unreachable;
	/* The host answered about this rank: `state` (a member state name) and `msg`. */
	bool	    answered;
	const char *state;
	const char *msg;
	/* For a Joined answer: the incarnation of the engine that runs the rank (0: unknown). */
	uint64_t incarnation;
};

/*
 * The state a member in `cur` at control address `addr` takes after a ping
 * of its host, with the reason in `info` (always non-empty): false when the
 * member stays as it is.  An unreachable host makes Joined/Ready members
 * Unresponsive ("control plane of <addr> unreachable: <msg>"); a host that
 * reports the rank Errored, Stopped or AwaitFormat moves a pinged member
 * there (its message, or "rank R is <State> on <addr>"); a host that does not
 * know the rank makes it Errored.  Joined/Starting/Stopping answers change
 * nothing (a restarted engine comes back through Join), nor does any
 * illegal transition (Unresponsive -> Joined among them: see below).
 */
bool ctl_member_ping_update(uint32_t rank, uint32_t cur, const char *addr, const struct ctl_ping *p,
			    uint32_t *to, char *info, size_t info_len);

/*
 * Whether a ping answer proves that an Unresponsive member's engine never
 * went away (its host was only out of reach): the host answers that the
 * rank is Joined with the member's own, non-zero incarnation, so it is the
 * process that joined, with the uuid, rank and address the MS recorded.
 * `why` gets the reason for the log ("host <addr> answers again, same engine
 * (incarnation I)").  False for anything else: another incarnation is a
 * restarted engine, which rejoins by itself.
 */
bool ctl_member_ping_rejoins(uint32_t cur, uint64_t incarnation, const char *addr,
			     const struct ctl_ping *p, char *why, size_t why_len);

/*
 * The verified rejoin of ctl_member_ping_rejoins(): the Unresponsive member
 * `rank` whose incarnation is `incarnation` becomes Joined, info cleared and
 * the map version bumped, as a Join does; the legal-transition table is not
 * consulted (it forbids Unresponsive -> Joined for state updates).
 * -DER_NONEXIST for an unknown rank; -DER_NOTAPPLICABLE, member untouched,
 * when it is not Unresponsive or has another incarnation.
 */
int ctl_membership_rejoin_same(struct ctl_membership *m, uint32_t rank, uint64_t incarnation,
			       struct d_errbuf *eb);

/* ==== member selection ============================================================== */

struct ctl_system_sel {
	const struct ctl_member **v; /* selected members, by rank */
	size_t			  n;
	char			 *absent_ranks; /* requested ranks that are no member ("" none) */
	char			 *absent_hosts; /* requested hosts without members ("" none) */
};

/* A --rank-hosts set with the addresses of each name (resolved without the MS lock). */
struct ctl_system_hosts;

/*
 * Parse and resolve a host set (getaddrinfo: may block, call it before
 * taking the MS lock).  NULL or "": *out is NULL (all hosts).  A bad set:
 * -DER_INVAL naming the flag.
 */
int ctl_system_hosts_resolve(const char *hosts, struct ctl_system_hosts **out, struct d_errbuf *eb);
void ctl_system_hosts_free(struct ctl_system_hosts *h);

/*
 * Members of `m` matching the request filters: `ranks` a rank set (NULL or
 * "" for all) and `hosts` a resolved host set (NULL for all; not both),
 * `mask` member states (0: all).  A host matches a member whose control
 * address has that host (by name as given, or else any address it
 * resolves to) and, when the host carries ":port", that port.  A bad rank
 * set: -DER_INVAL naming the flag.  The pointers in out->v are valid until
 * the membership changes.
 */
int  ctl_system_select(const struct ctl_membership *m, const char *ranks,
		       const struct ctl_system_hosts *hosts, uint32_t mask,
		       struct ctl_system_sel *out, struct d_errbuf *eb);
void ctl_system_sel_fini(struct ctl_system_sel *s);

#endif /* DAOS_CONTROL_LIB_SYSTEM_SYSTEM_H */
