/*
 * NVMe discovery on the real machine: controllers from /sys/class/nvme
 * (PCI address, model, serial, firmware, NUMA node of the PCI device,
 * namespaces and their sizes) and the SMART/health log (page 0x02, plus the
 * Intel vendor page 0xCA on Intel devices) read with NVME_IOCTL_ADMIN_CMD on
 * /dev/nvmeX.  A health log that cannot be read is recorded on the
 * controller, never fatal.  Also the decoders of both log pages, shared with
 * the unit tests.  No SPDK: controllers stay with the kernel driver.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/nvme_ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "control/lib/hw/hw_internal.h"

#define NVME_ADMIN_GET_LOG_PAGE 0x02
#define NVME_LOG_HEALTH		0x02
#define NVME_LOG_INTEL_SMART	0xca
#define NVME_NSID_ALL		0xffffffffu
#define NVME_HEALTH_PAGE_LEN	512
#define INTEL_VENDOR_ID		"0x8086"
#define STG_SYS_NVME		"/sys/class/nvme"

/* Little-endian integer of n bytes (n <= 8; wider counters are truncated). */
static uint64_t
le_get(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t	 i;

	if (n > 8)
		n = 8;
	for (i = n; i > 0; i--)
		v = (v << 8) | p[i - 1];
	return v;
}

int
ctl_nvme_health_decode(const uint8_t *page, size_t len, struct ctl_nvme_health *h)
{
	if (len < NVME_HEALTH_PAGE_LEN)
		return -DER_INVAL;
	/* Offsets from the NVMe base specification, "SMART / Health Information". */
	h->critical_warning = page[0];
	h->temperature = (uint32_t)le_get(page + 1, 2);
	h->percentage_used = page[5];
	h->ctrl_busy_time = le_get(page + 96, 16);
	h->power_cycles = le_get(page + 112, 16);
	h->power_on_hours = le_get(page + 128, 16);
	h->unsafe_shutdowns = le_get(page + 144, 16);
	h->media_errs = le_get(page + 160, 16);
	h->err_log_entries = le_get(page + 176, 16);
	h->warn_temp_time = (uint32_t)le_get(page + 192, 4);
	h->crit_temp_time = (uint32_t)le_get(page + 196, 4);
	return 0;
}

void
ctl_nvme_intel_decode(const uint8_t *page, size_t len, struct ctl_nvme_health *h)
{
	size_t off;

	/* 12-byte entries: key, 2 reserved, normalized, reserved, 6-byte raw, reserved. */
	for (off = 0; off + 12 <= len; off += 12) {
		const uint8_t *e = page + off;
		uint8_t	       norm = e[3];
		const uint8_t *raw = e + 5;

		switch (e[0]) {
		case 0xab:
			h->program_fail_cnt_norm = norm;
			h->program_fail_cnt_raw = le_get(raw, 6);
			break;
		case 0xac:
			h->erase_fail_cnt_norm = norm;
			h->erase_fail_cnt_raw = le_get(raw, 6);
			break;
		case 0xad:
			h->wear_leveling_cnt_norm = norm;
			h->wear_leveling_cnt_min = (uint16_t)le_get(raw, 2);
			h->wear_leveling_cnt_max = (uint16_t)le_get(raw + 2, 2);
			h->wear_leveling_cnt_avg = (uint16_t)le_get(raw + 4, 2);
			break;
		case 0xb8:
			h->endtoend_err_cnt_raw = le_get(raw, 6);
			break;
		case 0xc7:
			h->crc_err_cnt_raw = le_get(raw, 6);
			break;
		case 0xe2:
			h->media_wear_raw = le_get(raw, 6);
			break;
		case 0xe3:
			h->host_reads_raw = le_get(raw, 6);
			break;
		case 0xe4:
			h->workload_timer_raw = le_get(raw, 6);
			break;
		case 0xea:
			h->thermal_throttle_status = raw[0];
			h->thermal_throttle_event_cnt = le_get(raw + 1, 4);
			break;
		case 0xf0:
			h->retry_buffer_overflow_cnt = le_get(raw, 6);
			break;
		case 0xf3:
			h->pll_lock_loss_cnt = le_get(raw, 6);
			break;
		case 0xf4:
			h->nand_bytes_written = le_get(raw, 6);
			break;
		case 0xf5:
			h->host_bytes_written = le_get(raw, 6);
			break;
		default:
			break;
		}
	}
	h->intel_vendor = true;
}

static int
get_log_page(int fd, uint8_t lid, void *buf, uint32_t len)
{
	struct nvme_admin_cmd cmd;
	uint32_t	      numd = len / 4 - 1;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = NVME_ADMIN_GET_LOG_PAGE;
	cmd.nsid = NVME_NSID_ALL;
	cmd.addr = (uint64_t)(uintptr_t)buf;
	cmd.data_len = len;
	cmd.cdw10 = lid | ((numd & 0xffff) << 16);
	cmd.cdw11 = numd >> 16;
	if (ioctl(fd, NVME_IOCTL_ADMIN_CMD, &cmd) < 0)
		return -errno;
	return 0;
}

/* Read the health of /dev/<ctrl_dev>; on failure set c->info. */
static void
read_health(struct ctl_nvme_ctrlr *c, const char *pcidir)
{
	struct ctl_nvme_health *h = NULL;
	uint8_t			page[NVME_HEALTH_PAGE_LEN];
	char			dev[64];
	int			fd = -1;
	int			err;

	stg_pathf(dev, sizeof(dev), "/dev/%s", c->ctrl_dev);
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		c->info = d_asprintf("health: cannot open %s: %s", dev, strerror(errno));
		return;
	}
	memset(page, 0, sizeof(page));
	err = get_log_page(fd, NVME_LOG_HEALTH, page, sizeof(page));
	if (err != 0) {
		c->info = d_asprintf("health: get log page 0x02 on %s failed: %s", dev,
				     strerror(-err));
		goto out;
	}
	D_ALLOC_PTR(h);
	if (h == NULL) {
		c->info = d_asprintf("health: out of memory");
		goto out;
	}
	ctl_nvme_health_decode(page, sizeof(page), h);
	if (strcmp(c->vendor_id, INTEL_VENDOR_ID) == 0) {
		memset(page, 0, sizeof(page));
		/* Not every Intel model has the page; its absence is not an error. */
		if (get_log_page(fd, NVME_LOG_INTEL_SMART, page, sizeof(page)) == 0)
			ctl_nvme_intel_decode(page, sizeof(page), h);
	}
	stg_pci_link_read(pcidir, h);
	c->health = h;
out:
	close(fd);
}

/* Block device name of a namespace entry: "nvme0n1", or the head of "nvme0c1n1". */
static int
ns_blockdev(const char *ctrl, const char *entry, char *buf, size_t len)
{
	char	       path[512];
	DIR	      *d;
	struct dirent *de;
	const char    *n;
	int	       rc = -DER_NONEXIST;

	if (strchr(entry + strlen(ctrl), 'c') == NULL) {
		stg_strlcpy(buf, entry, len);
		return 0;
	}
	/* Multipath: the block device lives in the controller's subsystem. */
	n = strrchr(entry, 'n');
	d = opendir("/sys/class/nvme-subsystem");
	if (d == NULL)
		return rc;
	while ((de = readdir(d)) != NULL && rc != 0) {
		DIR	      *sd;
		struct dirent *se;

		stg_pathf(path, sizeof(path), "/sys/class/nvme-subsystem/%s/%s", de->d_name, ctrl);
		if (de->d_name[0] == '.' || access(path, F_OK) != 0)
			continue;
		stg_pathf(path, sizeof(path), "/sys/class/nvme-subsystem/%s", de->d_name);
		sd = opendir(path);
		if (sd == NULL)
			continue;
		while ((se = readdir(sd)) != NULL) {
			const char *sn = strrchr(se->d_name, 'n');

			if (strncmp(se->d_name, "nvme", 4) == 0 && sn != NULL &&
			    sn != se->d_name + 3 && strchr(se->d_name + 4, 'c') == NULL &&
			    strcmp(sn, n) == 0) {
				stg_strlcpy(buf, se->d_name, len);
				rc = 0;
				break;
			}
		}
		closedir(sd);
	}
	closedir(d);
	return rc;
}

static int
scan_namespaces(const char *ctrldir, struct ctl_nvme_ctrlr *c, struct d_errbuf *eb)
{
	char	       path[1024];
	DIR	      *d;
	struct dirent *de;
	size_t	       clen = strlen(c->ctrl_dev);
	int	       rc = 0;

	d = opendir(ctrldir);
	if (d == NULL) {
		d_errbuf_set(eb, "cannot list %s: %s", ctrldir, strerror(errno));
		return d_errno2der(errno);
	}
	while ((de = readdir(d)) != NULL) {
		struct ctl_nvme_ns ns = {0};
		uint64_t	   sectors, nsid;
		const char	  *tail;

		/* Namespaces are "<ctrl>n<id>" or, with multipath, "<ctrl-ish>c<i>n<id>". */
		if (strncmp(de->d_name, "nvme", 4) != 0 ||
		    (tail = strrchr(de->d_name, 'n')) == NULL || tail <= de->d_name + 3 ||
		    d_parse_u64(tail + 1, &nsid) != 0)
			continue;
		if (strncmp(de->d_name, c->ctrl_dev, clen) != 0 &&
		    strchr(de->d_name + 4, 'c') == NULL)
			continue;
		stg_pathf(path, sizeof(path), "%s/%s/size", ctrldir, de->d_name);
		/* sysfs block sizes are in 512-byte sectors whatever the LBA size. */
		if (stg_read_u64(path, &sectors, NULL) != 0)
			continue;
		ns.id = (uint32_t)nsid;
		ns.size = sectors * 512;
		if (ns_blockdev(c->ctrl_dev, de->d_name, ns.blockdev, sizeof(ns.blockdev)) != 0)
			stg_strlcpy(ns.blockdev, de->d_name, sizeof(ns.blockdev));
		if (stg_array_add((void **)&c->ns, &c->nr_ns, sizeof(ns), &ns) != 0) {
			d_errbuf_set(eb, "out of memory");
			rc = -DER_NOMEM;
			break;
		}
	}
	closedir(d);
	return rc;
}

int
stg_nvme_scan(struct ctl_storage_scan *s, bool health, struct d_errbuf *eb)
{
	DIR	      *d;
	struct dirent *de;
	int	       rc = 0;

	d = opendir(STG_SYS_NVME);
	if (d == NULL) {
		/* No nvme driver loaded: no NVMe devices, not an error. */
		if (errno == ENOENT)
			return 0;
		d_errbuf_set(eb, "cannot list %s: %s", STG_SYS_NVME, strerror(errno));
		return d_errno2der(errno);
	}
	while ((de = readdir(d)) != NULL) {
		struct ctl_nvme_ctrlr c = {0};
		char		      dir[512], path[640], pcidir[640];
		int64_t		      numa;
		uint64_t	      n;

		if (strncmp(de->d_name, "nvme", 4) != 0 || d_parse_u64(de->d_name + 4, &n) != 0)
			continue;
		stg_pathf(dir, sizeof(dir), "%s/%s", STG_SYS_NVME, de->d_name);
		stg_pathf(pcidir, sizeof(pcidir), "%s/device", dir);
		stg_strlcpy(c.ctrl_dev, de->d_name, sizeof(c.ctrl_dev));
		stg_pathf(path, sizeof(path), "%s/address", dir);
		/* Fabrics controllers (nvme-tcp, ...) have no PCI address: not local SSDs. */
		if (stg_read_line(path, c.pci_addr, sizeof(c.pci_addr), NULL) != 0 ||
		    !ctl_pci_addr_valid(c.pci_addr))
			continue;
		stg_pathf(path, sizeof(path), "%s/model", dir);
		stg_read_line(path, c.model, sizeof(c.model), NULL);
		stg_pathf(path, sizeof(path), "%s/serial", dir);
		stg_read_line(path, c.serial, sizeof(c.serial), NULL);
		stg_pathf(path, sizeof(path), "%s/firmware_rev", dir);
		stg_read_line(path, c.fw_rev, sizeof(c.fw_rev), NULL);
		stg_pathf(path, sizeof(path), "%s/vendor", pcidir);
		stg_read_line(path, c.vendor_id, sizeof(c.vendor_id), NULL);
		stg_pathf(path, sizeof(path), "%s/numa_node", pcidir);
		/* -1 means the platform reports no affinity; upstream shows socket 0. */
		if (stg_read_i64(path, &numa, NULL) == 0 && numa > 0)
			c.socket_id = (int32_t)numa;
		rc = scan_namespaces(dir, &c, eb);
		if (rc == 0 && health)
			read_health(&c, pcidir);
		if (rc == 0 &&
		    stg_array_add((void **)&s->ctrlrs, &s->nr_ctrlrs, sizeof(c), &c) != 0) {
			d_errbuf_set(eb, "out of memory");
			rc = -DER_NOMEM;
		}
		if (rc != 0) {
			D_FREE(c.ns);
			D_FREE(c.health);
			D_FREE(c.info);
			break;
		}
	}
	closedir(d);
	return rc;
}
