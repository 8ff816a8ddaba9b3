/*
 * Host lists, host sets and rank sets in the bracketed notation of upstream
 * DAOS (src/control/lib/hostlist and lib/ranklist): "node[001-020]",
 * "wolf-[71-72]", "10.5.1.[2-32]:10001", ranks "0-1,5-6".
 *
 * A d_hostlist keeps hosts in the order given, duplicates included; a
 * d_hostset is sorted (prefix, suffix, digit count, number) and
 * de-duplicated; a d_rankset is a sorted set of uint32 ranks.  All three are
 * opaque heap objects (_create/_destroy; destroy accepts NULL).  Nothing here
 * logs or resolves names: parse errors are returned as -DER_INVAL with a
 * sentence in the caller's d_errbuf naming the bad token and the fix.
 * Strings returned through `char **` are heap-allocated; free() them.
 */
#ifndef DAOS_COMMON_HOSTLIST_H
#define DAOS_COMMON_HOSTLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

/** Largest hi - lo accepted in one range, as upstream (a range holds at most 16385 hosts). */
#define D_HOSTLIST_MAX_RANGE 16384

/** Callback for the _foreach functions; a non-zero return stops the walk and is returned. */
typedef int (*d_host_cb_t)(const char *host, void *arg);

struct d_hostlist;
struct d_hostset;
struct d_rankset;

/* ---- host lists: ordered, duplicates kept ---- */

/** Create an empty list. */
int d_hostlist_create(struct d_hostlist **hl);
/**
 * Parse \a str (tokens separated by ',', space or tab outside brackets).
 * An empty or blank string is an error (-DER_INVAL).
 */
int  d_hostlist_parse(const char *str, struct d_hostlist **hl, struct d_errbuf *eb);
void d_hostlist_destroy(struct d_hostlist *hl);
/** Append the hosts of \a str; \a hl is unchanged on error. */
int d_hostlist_push(struct d_hostlist *hl, const char *str, struct d_errbuf *eb);
/** Append a copy of every host of \a other. */
int    d_hostlist_push_list(struct d_hostlist *hl, const struct d_hostlist *other);
size_t d_hostlist_count(const struct d_hostlist *hl);
/** The \a n th host (0-based); -DER_NONEXIST when n >= count. */
int d_hostlist_nth(const struct d_hostlist *hl, size_t n, char **host);
/** Call \a cb for every host in order. */
int d_hostlist_foreach(const struct d_hostlist *hl, d_host_cb_t cb, void *arg);
/** Compressed form, e.g. "node[1-3,1]"; "" for an empty list. */
int d_hostlist_ranged(const struct d_hostlist *hl, char **str);
/** Fully expanded, comma-joined form. */
int d_hostlist_deranged(const struct d_hostlist *hl, char **str);

/* ---- host sets: sorted, unique ---- */

int d_hostset_create(struct d_hostset **hs);
/** Parse \a str into a set; an empty or blank string is an error. */
int  d_hostset_parse(const char *str, struct d_hostset **hs, struct d_errbuf *eb);
void d_hostset_destroy(struct d_hostset *hs);
/** Add the hosts of \a str; \a added (may be NULL) gets the number of new hosts. */
int d_hostset_insert(struct d_hostset *hs, const char *str, size_t *added, struct d_errbuf *eb);
/** Add every host of list \a hl. */
int d_hostset_insert_list(struct d_hostset *hs, const struct d_hostlist *hl, size_t *added);
/** Add every host of \a other. */
int d_hostset_merge(struct d_hostset *hs, const struct d_hostset *other);
/** Remove the hosts of \a str that are present; \a removed (may be NULL) gets their number. */
int d_hostset_remove(struct d_hostset *hs, const char *str, size_t *removed, struct d_errbuf *eb);
/** *\a all = whether every host of \a str is in the set (upstream's Within). */
int d_hostset_contains(const struct d_hostset *hs, const char *str, bool *all, struct d_errbuf *eb);
/** New set of the hosts of \a str that are also in \a hs (upstream's Intersects). */
int    d_hostset_intersect(const struct d_hostset *hs, const char *str, struct d_hostset **out,
			   struct d_errbuf *eb);
size_t d_hostset_count(const struct d_hostset *hs);
int    d_hostset_nth(const struct d_hostset *hs, size_t n, char **host);
int    d_hostset_foreach(const struct d_hostset *hs, d_host_cb_t cb, void *arg);
/** Compressed form, e.g. "node[10-20,001-009]", "wolf-[118-121,130-133]". */
int d_hostset_ranged(const struct d_hostset *hs, char **str);
int d_hostset_deranged(const struct d_hostset *hs, char **str);

/**
 * Expand \a str into the sorted, unique "host:port" addresses, adding
 * ":default_port" where a host has none (upstream common.ParseHostList, as
 * used for dmg -l).  Free the result with d_host_addrs_free().
 */
int  d_host_addrs_parse(const char *str, unsigned int default_port, char ***addrs, size_t *naddrs,
			struct d_errbuf *eb);
void d_host_addrs_free(char **addrs, size_t naddrs);

/* ---- rank sets: sorted unique uint32 ranks ---- */

/** Largest valid rank (UINT32_MAX is upstream's NilRank). */
#define D_RANK_MAX (UINT32_MAX - 1)

int d_rankset_create(struct d_rankset **rs);
/**
 * Parse "0-1,5-6", "[0-3,7]" or "3"; "" and "[]" give an empty set, as
 * upstream.  Whitespace and letters are errors.
 */
int  d_rankset_parse(const char *str, struct d_rankset **rs, struct d_errbuf *eb);
void d_rankset_destroy(struct d_rankset *rs);
/** -DER_INVAL when \a rank > D_RANK_MAX. */
int d_rankset_add(struct d_rankset *rs, uint32_t rank);
/** Removing an absent rank is not an error. */
int	 d_rankset_remove(struct d_rankset *rs, uint32_t rank);
int	 d_rankset_merge(struct d_rankset *rs, const struct d_rankset *other);
bool	 d_rankset_contains(const struct d_rankset *rs, uint32_t rank);
uint64_t d_rankset_count(const struct d_rankset *rs);
/** The \a n th smallest rank; -DER_NONEXIST when n >= count. */
int d_rankset_nth(const struct d_rankset *rs, uint64_t n, uint32_t *rank);
/** Call \a cb for every rank in ascending order; non-zero return stops. */
int d_rankset_foreach(const struct d_rankset *rs, int (*cb)(uint32_t rank, void *arg), void *arg);
/** "0-1,5-6" (upstream String()); "" when empty. */
int d_rankset_str(const struct d_rankset *rs, char **str);
/** "[0-1,5-6]", a single rank as "3" (upstream RangedString()). */
int d_rankset_ranged(const struct d_rankset *rs, char **str);

#endif /* DAOS_COMMON_HOSTLIST_H */
