/*
 * libFuzzer target for the host list and rank set parsers.  Built only when
 * the compiler is clang (build-fuzz, made by `make test`, which runs it).
 *
 * Beyond "no crash, no leak" it checks the invariants the parsers promise:
 * a set's compressed form parses back to the same set (the same count, and
 * every input name is in it: compress -> parse -> expand gives the input
 * names back), the list and the set built from it agree on membership, and
 * rank sets round-trip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/hostlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_hosts(const char *in)
{
	struct d_hostlist *hl = NULL;
	struct d_hostset  *hs = NULL, *again = NULL;
	char		  *ranged = NULL, *ranged2 = NULL, *expanded = NULL;
	bool		   all;

	if (d_hostlist_parse(in, &hl, NULL) != 0) {
		if (d_hostset_parse(in, &hs, NULL) == 0)
			abort(); /* list and set grammars must agree */
		return;
	}
	if (d_hostset_parse(in, &hs, NULL) != 0 || d_hostset_ranged(hs, &ranged) != 0)
		abort();
	if (d_hostset_count(hs) > d_hostlist_count(hl))
		abort();
	if (d_hostset_count(hs) > 0) {
		if (d_hostset_parse(ranged, &again, NULL) != 0 ||
		    d_hostset_ranged(again, &ranged2) != 0 || strcmp(ranged, ranged2) != 0 ||
		    d_hostset_count(again) != d_hostset_count(hs))
			abort();
		if (d_hostset_contains(hs, in, &all, NULL) != 0 || !all)
			abort();
		/* Same count and every input host in the re-parsed set: the same names. */
		if (d_hostset_contains(again, in, &all, NULL) != 0 || !all)
			abort();
	}
	if (d_hostlist_count(hl) < 4096 && d_hostlist_deranged(hl, &expanded) != 0)
		abort();
	free(expanded);
	free(ranged);
	free(ranged2);
	d_hostset_destroy(again);
	d_hostset_destroy(hs);
	d_hostlist_destroy(hl);
}

static void
check_ranks(const char *in)
{
	struct d_rankset *rs = NULL, *again = NULL;
	char		 *s = NULL, *s2 = NULL;

	if (d_rankset_parse(in, &rs, NULL) != 0)
		return;
	if (d_rankset_ranged(rs, &s) != 0 || d_rankset_parse(s, &again, NULL) != 0 ||
	    d_rankset_ranged(again, &s2) != 0 || strcmp(s, s2) != 0)
		abort();
	free(s);
	free(s2);
	d_rankset_destroy(again);
	d_rankset_destroy(rs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1);

	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0'; /* embedded NULs just shorten the input */
	check_hosts(in);
	check_ranks(in);
	free(in);
	return 0;
}
