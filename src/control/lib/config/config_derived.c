/*
 * Values daos_server derives from a validated configuration at start:
 * the hugepage count (upstream SetNrHugepages / CalcMinHugepages) and the
 * tmpfs size of ram SCM tiers (SetRamdiskSize / CalcRamdiskSize).  Pure
 * functions of the config and of numbers the caller reads from
 * /proc/meminfo; nothing is read or changed on the host here.
 */
#include <stdio.h>

#include "common/units.h"
#include "control/lib/config/config_internal.h"

#define GIB		 (1ULL << 30)
#define MIB		 (1ULL << 20)
#define HUGE_MEM_PER_TGT GIB	     /* hugepage memory each target needs */
#define TGT_MEM_RSVD	 (128 * MIB) /* RAM kept per target when sizing tmpfs */
#define ENGINE_MEM_RSVD	 GIB	     /* RAM kept per engine at least */

int
ctl_min_hugepages(const struct ctl_server_config *cfg, uint64_t hugepage_kib, uint64_t *out,
		  struct d_errbuf *eb)
{
	uint64_t tgts = 0, sys_xs = 0;
	size_t	 i;

	for (i = 0; i < cfg->nengines; i++) {
		const struct ctl_engine *e = &cfg->engines[i];

		if (!cfg_engine_has_bdevs(e) || e->targets <= 0)
			continue;
		tgts += (uint64_t)e->targets;
		if (ctl_engine_md_on_ssd(e))
			sys_xs++; /* MD-on-SSD engines add a system xstream */
		else if (e->targets == 1)
			tgts++;
	}
	if (tgts == 0) {
		*out = 0;
		return 0;
	}
	if (hugepage_kib == 0) {
		d_errbuf_set(eb, "invalid system hugepage size (0 KiB); check Hugepagesize in "
				 "/proc/meminfo");
		return -DER_INVAL;
	}
	*out = HUGE_MEM_PER_TGT * (tgts + sys_xs) / (hugepage_kib * 1024);
	return 0;
}

int
ctl_server_set_nr_hugepages(struct ctl_server_config *cfg, uint64_t hugepage_kib,
			    struct d_diags *diags)
{
	struct cfg_ctx	cx = {.diags = diags, .doc = cfg->doc};
	struct d_errbuf eb;
	uint64_t	min;
	size_t		i, j;
	bool		nvme = false;
	int		rc;

	rc = ctl_min_hugepages(cfg, hugepage_kib, &min, &eb);
	if (rc != 0) {
		cfg_verr(&cx, "nr_hugepages", "%s", eb.msg);
		return rc;
	}
	if (cfg->disable_hugepages) {
		for (i = 0; i < cfg->nengines; i++)
			for (j = 0; j < cfg->engines[i].nstorage; j++)
				nvme |= cfg->engines[i].storage[j].class == CTL_CLASS_NVME &&
					cfg->engines[i].storage[j].bdev_list.n > 0;
		if (cfg->nr_hugepages != 0) {
			cfg_verr(&cx, "nr_hugepages",
				 "hugepages cannot be disabled if non-zero "
				 "number has been specified in config; remove nr_hugepages or "
				 "disable_hugepages");
			return -DER_INVAL;
		}
		if (nvme) {
			cfg_verr(&cx, "disable_hugepages",
				 "hugepages cannot be disabled if "
				 "nvme-bdevs have been specified in config; remove "
				 "disable_hugepages or the nvme tiers");
			return -DER_INVAL;
		}
		if (min != 0)
			cfg_vnotice(&cx, "disable_hugepages",
				    "Hugepages have been disabled but DAOS "
				    "targets will still be assigned to bdevs. This usage model is "
				    "experimental so caution is advised!");
		else
			cfg_vnotice(&cx, "disable_hugepages",
				    "Hugepages have been disabled, NVMe "
				    "operations may not succeed");
		return 0;
	}
	if (min == 0) {
		if (cfg->nr_hugepages < CTL_SCAN_MIN_HUGEPAGES) {
			cfg_vnotice(&cx, "nr_hugepages",
				    "No hugepages required as zero configured "
				    "engine targets, setting minimum (%d) in config to enable NVMe "
				    "device discovery",
				    CTL_SCAN_MIN_HUGEPAGES);
			cfg->nr_hugepages = CTL_SCAN_MIN_HUGEPAGES;
		}
		return 0;
	}
	if (cfg->nr_hugepages == 0)
		cfg->nr_hugepages = (int64_t)min;
	else if ((uint64_t)cfg->nr_hugepages < min)
		cfg_vnotice(&cx, "nr_hugepages",
			    "%lld nr_hugepages (set in config file) is less "
			    "than recommended %llu, if this is not intentional update the "
			    "'nr_hugepages' config parameter or remove and it will be "
			    "automatically calculated",
			    (long long)cfg->nr_hugepages, (unsigned long long)min);
	return 0;
}

static uint64_t
engine_rsvd(uint64_t targets)
{
	uint64_t m = targets * TGT_MEM_RSVD;

	return m < ENGINE_MEM_RSVD ? ENGINE_MEM_RSVD : m;
}

int
ctl_calc_ramdisk_size(uint64_t mem_total, uint64_t mem_huge, uint64_t mem_sys, uint64_t targets,
		      uint64_t engines, uint64_t *out, struct d_errbuf *eb)
{
	uint64_t rsvd;
	char	 b[4][D_SIZE_BUFLEN];

	if (mem_total == 0) {
		d_errbuf_set(eb, "requires nonzero total mem");
		return -DER_INVAL;
	}
	if (targets == 0) {
		d_errbuf_set(eb, "requires positive nonzero nr engine targets");
		return -DER_INVAL;
	}
	if (engines == 0) {
		d_errbuf_set(eb, "requires positive nonzero nr engines");
		return -DER_INVAL;
	}
	rsvd = mem_huge + mem_sys + engine_rsvd(targets) * engines;
	if (mem_total < rsvd) {
		d_errbuf_set(eb,
			     "insufficient ram to meet minimum requirements (mem stats: total "
			     "%s - (hugepages %s + sys rsvd %s + (engine rsvd %s * nr engines "
			     "%llu)))",
			     d_size_iec(mem_total, b[0], sizeof(b[0])),
			     d_size_iec(mem_huge, b[1], sizeof(b[1])),
			     d_size_iec(mem_sys, b[2], sizeof(b[2])),
			     d_size_iec(engine_rsvd(targets), b[3], sizeof(b[3])),
			     (unsigned long long)engines);
		return -DER_NOSPACE;
	}
	*out = (mem_total - rsvd) / engines;
	return 0;
}

int
ctl_server_set_ramdisk_size(struct ctl_server_config *cfg, uint64_t mem_total_kib,
			    uint64_t hugepage_kib, struct d_diags *diags)
{
	struct cfg_ctx	cx = {.diags = diags, .doc = cfg->doc};
	struct d_errbuf eb;
	uint64_t	max, huge, sys, targets;
	char		b[3][D_SIZE_BUFLEN];
	size_t		i, j;
	int		rc;

	if (cfg->nengines == 0 || cfg->engines[0].nstorage == 0 ||
	    cfg->engines[0].storage[0].class != CTL_CLASS_RAM)
		return 0; /* no ramdisk to size */
	huge = (uint64_t)cfg->nr_hugepages * hugepage_kib * 1024;
	sys = (uint64_t)cfg->system_ram_reserved * GIB;
	targets = cfg->engines[0].targets > 0 ? (uint64_t)cfg->engines[0].targets : 0;
	rc = ctl_calc_ramdisk_size(mem_total_kib * 1024, huge, sys, targets, cfg->nengines, &max,
				   &eb);
	if (rc != 0 && rc != -DER_NOSPACE) {
		cfg_verr(&cx, "engines", "calculate ramdisk size: %s", eb.msg);
		return rc;
	}
	if (rc == -DER_NOSPACE || max < CTL_MIN_RAMDISK_BYTES) {
		uint64_t need = huge + sys + engine_rsvd(targets) * cfg->nengines +
				CTL_MIN_RAMDISK_BYTES * cfg->nengines;

		cfg_verr(&cx, "system_ram_reserved",
			 "Total memory (RAM) insufficient for "
			 "configured %s ram-disk size, want %s RAM but only have %s; reduce engine "
			 "targets or the system_ram_reserved value",
			 d_size_iec(CTL_MIN_RAMDISK_BYTES, b[0], sizeof(b[0])),
			 d_size_iec(need, b[1], sizeof(b[1])),
			 d_size_iec(mem_total_kib * 1024, b[2], sizeof(b[2])));
		return -DER_NOSPACE;
	}
	for (i = 0; i < cfg->nengines; i++) {
		for (j = 0; j < cfg->engines[i].nstorage; j++) {
			struct ctl_tier *t = &cfg->engines[i].storage[j];
			char		 p[96];

			if (t->class != CTL_CLASS_RAM)
				continue;
			if (t->scm_size == 0) {
				t->scm_size = (int64_t)(max / GIB);
				continue;
			}
			if ((uint64_t)t->scm_size * GIB > max) {
				snprintf(p, sizeof(p), "engines[%zu].storage[%zu].scm_size", i, j);
				cfg_verr(
					&cx, p,
					"configured scm tmpfs size %s is larger than the "
					"maximum (%s) that total system memory (RAM) will allow; "
					"remove the 'scm_size' parameter so it can be automatically "
					"set or manually set to a value between %s and %s",
					d_size_iec((uint64_t)t->scm_size * GIB, b[0], sizeof(b[0])),
					d_size_iec(max, b[1], sizeof(b[1])),
					d_size_iec(CTL_MIN_RAMDISK_BYTES, b[2], sizeof(b[2])),
					d_size_iec(max, b[1], sizeof(b[1])));
				return -DER_INVAL;
			}
		}
	}
	return 0;
}
