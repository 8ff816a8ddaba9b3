/*
 * Core accounting of a daos_engine (cores.c): upstream's rules for how many
 * cores targets and helper xstreams need, shared by the engine and its tests.
 */
#ifndef DAOS_COMMON_CORES_H
#define DAOS_COMMON_CORES_H

#include <stdbool.h>
#include <stdint.h>

#include "common/common.h"

/* Cores reserved for the system and SWIM xstreams (DAOS_TGT0_OFFSET). */
#define D_ENGINE_SYS_CORES 2

/* Outcome of the engine's core accounting (dss_tgt_nr_check). */
struct d_engine_cores {
	uint32_t helpers;	 /* helper xstreams after capping at 2 x targets */
	bool	 helpers_capped; /* "#nr_xs_helpers(H) cannot exceed 2 times #targets ..." */
	bool	 no_helpers;	 /* "Suggest to config at least 1 helper XS per DAOS engine" */
	bool	 oversubscribed; /* too few cores, started anyway */
	bool	 helper_pool;	 /* helpers % targets != 0: shared helper pool */
	uint32_t cores_needed;	 /* 2 + targets + helpers */
};

/*
 * The engine needs 2 + targets + helpers cores.  Too few cores is
 * -DER_INVAL with upstream's message unless `oversubscribe`
 * (DAOS_TARGET_OVERSUBSCRIBE=1).  Zero targets or cores is -DER_INVAL.
 */
int d_engine_cores_check(uint32_t targets, uint32_t helpers, uint32_t ncores, bool oversubscribe,
			 struct d_engine_cores *out, struct d_errbuf *eb);

#endif /* DAOS_COMMON_CORES_H */
