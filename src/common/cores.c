/*
 * The engine's core accounting (upstream's dss_tgt_nr_check): how many
 * cores an engine with N targets and H helper xstreams needs, and what it
 * does when it has fewer.  Used by daos_engine at start; pure.
 */
#include <stdbool.h>
#include <stdint.h>

#include "common/cores.h"

int
d_engine_cores_check(uint32_t targets, uint32_t helpers, uint32_t ncores, bool oversubscribe,
		     struct d_engine_cores *out, struct d_errbuf *eb)
{
	struct d_engine_cores r = {0};

	if (targets == 0 || ncores == 0) {
		d_errbuf_set(eb,
			     "cannot start engine with %u targets on %u cores: both must be "
			     "non-zero",
			     targets, ncores);
		return -DER_INVAL;
	}
	r.helpers = helpers;
	if ((uint64_t)helpers > 2ULL * targets) {
		r.helpers = 2 * targets;
		r.helpers_capped = true;
	} else if (helpers == 0) {
		r.no_helpers = true;
	}
	r.cores_needed = D_ENGINE_SYS_CORES + targets + r.helpers;
	if (r.cores_needed > ncores) {
		if (!oversubscribe) {
			d_errbuf_set(
				eb,
				"cannot start engine with %u targets %u xs_helpers on %u "
				"cores, may try with DAOS_TARGET_OVERSUBSCRIBE=1 or reduce "
				"#targets/#nr_xs_helpers(%d cores reserved for system service)",
				targets, r.helpers, ncores, D_ENGINE_SYS_CORES);
			return -DER_INVAL;
		}
		r.oversubscribed = true;
	}
	r.helper_pool = r.helpers % targets != 0;
	*out = r;
	return 0;
}
