/*
 * Core accounting, core allocation and the pinned xstream threads of
 * daos_engine.  The cores come from hwloc (physical cores, in hwloc's
 * logical order); in NUMA mode (-p) only the cores whose CPUs lie in that
 * node count.  The multi-socket mode of upstream (no -p/-f on a host with
 * several NUMA nodes) is not implemented: such hosts use the legacy mode.
 */
#include <errno.h>
#include <hwloc.h>
#include <stdio.h>
#include <string.h>

#include "common/cores.h"
#include "daos/daos_errno.h"
#include "engine/engine.h"

/* Fill plan->cpus with the cores usable by this engine. */
static int
load_cores(int numa_node, struct eng_xs_plan *plan, struct d_errbuf *eb)
{
	hwloc_topology_t topo;
	hwloc_obj_t	 node = NULL, core;
	unsigned	 n = 0, total;
	int		 rc = 0;

	if (hwloc_topology_init(&topo) != 0 || hwloc_topology_load(topo) != 0) {
		d_errbuf_set(eb, "cannot read the CPU topology with hwloc: %s", strerror(errno));
		return -DER_MISC;
	}
	if (numa_node >= 0) {
		node = hwloc_get_numanode_obj_by_os_index(topo, (unsigned)numa_node);
		if (node == NULL) {
			d_errbuf_set(eb,
				     "invalid -p (pinned NUMA node) %d: this host has %d NUMA "
				     "node(s); set pinned_numa_node to an existing node",
				     numa_node, hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE));
			rc = -DER_INVAL;
			goto out;
		}
	}
	total = (unsigned)hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
	D_ALLOC_ARRAY(plan->cpus, total ? total : 1);
	if (plan->cpus == NULL) {
		rc = -DER_NOMEM;
		goto out;
	}
	for (core = NULL; (core = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_CORE, core));) {
		unsigned cpu;

		if (node != NULL && !hwloc_bitmap_isincluded(core->cpuset, node->cpuset))
			continue;
		CPU_ZERO(&plan->cpus[n]);
		hwloc_bitmap_foreach_begin(cpu, core->cpuset)
		{
			if (cpu < CPU_SETSIZE)
				CPU_SET(cpu, &plan->cpus[n]);
		}
		hwloc_bitmap_foreach_end();
		n++;
	}
	if (n == 0) {
		d_errbuf_set(eb, "no cores found%s", node ? " on the pinned NUMA node" : "");
		rc = -DER_INVAL;
		goto out;
	}
	plan->ncores = n;
out:
	hwloc_topology_destroy(topo);
	return rc;
}

static void
xs_add(struct eng_xs_plan *p, enum eng_xs_kind kind, uint32_t idx, unsigned slot, unsigned first)
{
	struct eng_xs *xs = &p->xs[p->nxs++];

	xs->kind = kind;
	xs->idx = idx;
	/* oversubscribed engines wrap around the usable cores */
	xs->core = (first + slot) % p->ncores;
	switch (kind) {
	case ENG_XS_SYS:
		snprintf(xs->name, sizeof(xs->name), "daos_sys_0");
		break;
	case ENG_XS_SWIM:
		snprintf(xs->name, sizeof(xs->name), "daos_swim");
		break;
	case ENG_XS_DRPC:
		snprintf(xs->name, sizeof(xs->name), "daos_drpc");
		break;
	/* targets <= 65535 and helpers <= 2 x targets: the modulo never applies */
	case ENG_XS_TARGET:
		snprintf(xs->name, sizeof(xs->name), "daos_io_%u", idx % 1000000u);
		break;
	case ENG_XS_HELPER:
		snprintf(xs->name, sizeof(xs->name), "daos_off_%u", idx % 1000000u);
		break;
	}
}

int
eng_xs_plan(const struct eng_opts *o, struct eng_xs_plan *plan, struct d_errbuf *eb)
{
	struct eng_xs_plan    p = {.numa_node = o->numa_node};
	struct d_engine_cores cc;
	unsigned	      slot, first;
	uint32_t	      t, h, per;
	int		      rc;

	rc = load_cores(o->numa_node, &p, eb);
	if (rc)
		goto out;
	if ((unsigned)o->first_core >= p.ncores) {
		d_errbuf_set(eb,
			     "invalid -f (first core) %d: it must be below the %u usable core(s)%s",
			     o->first_core, p.ncores, o->numa_node >= 0 ? " of the NUMA node" : "");
		rc = -DER_INVAL;
		goto out;
	}
	rc = d_engine_cores_check(o->targets, o->helpers, p.ncores, o->oversubscribe, &cc, eb);
	if (rc)
		goto out;
	p.helpers = cc.helpers;
	p.helper_pool = cc.helper_pool;
	p.no_helpers = cc.no_helpers;
	p.helpers_capped = cc.helpers_capped;
	p.oversubscribed = cc.oversubscribed;
	snprintf(p.mode_line, sizeof(p.mode_line), "Using %s core allocation algorithm",
		 o->numa_node >= 0 ? "NUMA" : "legacy");

	D_ALLOC_ARRAY(p.xs, 3 + o->targets + p.helpers);
	if (p.xs == NULL) {
		rc = -DER_NOMEM;
		goto out;
	}
	first = (unsigned)o->first_core;
	/* two reserved cores: XS0, then SWIM and the dRPC listener together */
	xs_add(&p, ENG_XS_SYS, 0, 0, first);
	xs_add(&p, ENG_XS_SWIM, 0, 1, first);
	xs_add(&p, ENG_XS_DRPC, 0, 1, first);
	slot = 2;
	per = p.helper_pool ? 0 : p.helpers / o->targets;
	for (t = 0, h = 0; t < o->targets; t++) {
		xs_add(&p, ENG_XS_TARGET, t, slot++, first);
		for (uint32_t i = 0; i < per; i++)
			xs_add(&p, ENG_XS_HELPER, h++, slot++, first);
	}
	for (; h < p.helpers; h++)
		xs_add(&p, ENG_XS_HELPER, h, slot++, first);
	*plan = p;
	return 0;
out:
	eng_xs_plan_fini(&p);
	return rc;
}

void
eng_xs_plan_fini(struct eng_xs_plan *plan)
{
	if (plan == NULL)
		return;
	D_FREE(plan->xs);
	D_FREE(plan->cpus);
}

struct eng_xs_threads {
	pthread_mutex_t lock;
	pthread_cond_t	cond;
	bool		stop;
	unsigned	n;
	pthread_t      *tids;
};

/* No service runs on the xstreams yet: each one holds its core until stop. */
static void *
xs_main(void *arg)
{
	struct eng_xs_threads *t = arg;

	pthread_mutex_lock(&t->lock);
	while (!t->stop)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int
eng_xs_start(const struct eng_xs_plan *plan, struct eng_xs_threads **out, struct d_errbuf *eb)
{
	struct eng_xs_threads *t;
	pthread_attr_t	       attr;
	int		       rc = 0, err;

	D_ALLOC_PTR(t);
	if (t == NULL)
		return -DER_NOMEM;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	D_ALLOC_ARRAY(t->tids, plan->nxs);
	if (t->tids == NULL) {
		eng_xs_stop(t);
		return -DER_NOMEM;
	}
	for (unsigned i = 0; i < plan->nxs; i++) {
		const struct eng_xs *xs = &plan->xs[i];

		if (xs->kind == ENG_XS_DRPC)
			continue;
		pthread_attr_init(&attr);
		/* bound before it runs: the thread never executes on another core */
		err = pthread_attr_setaffinity_np(&attr, sizeof(cpu_set_t), &plan->cpus[xs->core]);
		if (err == 0)
			err = pthread_create(&t->tids[t->n], &attr, xs_main, t);
		pthread_attr_destroy(&attr);
		if (err != 0) {
			d_errbuf_set(eb, "cannot start xstream %s on core %u: %s", xs->name,
				     xs->core, strerror(err));
			rc = d_errno2der(err);
			break;
		}
		pthread_setname_np(t->tids[t->n], xs->name);
		t->n++;
	}
	if (rc) {
		eng_xs_stop(t);
		return rc;
	}
	*out = t;
	return 0;
}

void
eng_xs_stop(struct eng_xs_threads *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	for (unsigned i = 0; i < t->n; i++)
		pthread_join(t->tids[i], NULL);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	D_FREE(t->tids);
	D_FREE(t);
}

int
eng_xs_bind_self(const struct eng_xs_plan *plan, const struct eng_xs *xs, struct d_errbuf *eb)
{
	int err;

	err = pthread_setaffinity_np(pthread_self(), sizeof(cpu_set_t), &plan->cpus[xs->core]);
	if (err != 0) {
		d_errbuf_set(eb, "cannot bind xstream %s to core %u: %s", xs->name, xs->core,
			     strerror(err));
		return d_errno2der(err);
	}
	pthread_setname_np(pthread_self(), xs->name);
	return 0;
}
