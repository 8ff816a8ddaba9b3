/*
 * Text and JSON rendering of storage scans in upstream's layout
 * (cmd/dmg/pretty/storage*.go) and field names (storage.NvmeController,
 * storage.ScmModule, storage.ScmNamespace, control.HostStorage,
 * common.SysMemInfo).  Works on (hostset, scan) groups so dmg can print many
 * hosts; grouping hosts with identical storage is the caller's business.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "common/table.h"
#include "common/units.h"
#include "control/lib/hw/hw.h"
#include "control/lib/render/render.h"

static const char *
plural(const char *word, int n, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", word, n == 1 ? "" : "s");
	return buf;
}

char *
ctl_storage_scm_summary(const struct ctl_storage_scan *s)
{
	char	 size[D_SIZE_BUFLEN], w[32];
	uint64_t total = 0;
	int	 i;

	if (s->nr_namespaces > 0) {
		for (i = 0; i < s->nr_namespaces; i++)
			total += s->namespaces[i].size;
		return d_asprintf("%s (%d %s)", d_size_si(total, size, sizeof(size)),
				  s->nr_namespaces,
				  plural("namespace", s->nr_namespaces, w, sizeof(w)));
	}
	for (i = 0; i < s->nr_modules; i++)
		total += s->modules[i].capacity;
	return d_asprintf("%s (%d %s)", d_size_iec(total, size, sizeof(size)), s->nr_modules,
			  plural("module", s->nr_modules, w, sizeof(w)));
}

char *
ctl_storage_nvme_summary(const struct ctl_storage_scan *s)
{
	char	 size[D_SIZE_BUFLEN], w[32];
	uint64_t total = 0;
	int	 i;

	for (i = 0; i < s->nr_ctrlrs; i++)
		total += ctl_nvme_ctrlr_capacity(&s->ctrlrs[i]);
	return d_asprintf("%s (%d %s)", d_size_si(total, size, sizeof(size)), s->nr_ctrlrs,
			  plural("controller", s->nr_ctrlrs, w, sizeof(w)));
}

void
ctl_storage_print_summary(FILE *out, const struct ctl_storage_group *groups, int n)
{
	static const char *const titles[] = {"Hosts", "SCM Total", "NVMe Total"};
	struct d_table		*t;
	int			 i;

	if (n == 0)
		return;
	t = d_table_create(3, titles);
	if (t == NULL)
		return;
	for (i = 0; i < n; i++) {
		char *scm = ctl_storage_scm_summary(groups[i].scan);
		char *nvme = ctl_storage_nvme_summary(groups[i].scan);

		d_table_add(t, groups[i].hosts, scm, nvme);
		D_FREE(scm);
		D_FREE(nvme);
	}
	d_table_print(t, out, 0);
	d_table_destroy(t);
}

void
ctl_storage_print_scm_namespaces(FILE *out, const struct ctl_scm_namespace *ns, int n)
{
	static const char *const titles[] = {"SCM Namespace", "Socket", "Capacity"};
	struct d_table		*t;
	int			 i;

	if (n == 0) {
		fprintf(out, "  No SCM namespaces found\n");
		return;
	}
	t = d_table_create(3, titles);
	if (t == NULL)
		return;
	for (i = 0; i < n; i++) {
		char sock[16], size[D_SIZE_BUFLEN];

		snprintf(sock, sizeof(sock), "%u", ns[i].numa_node);
		d_table_add(t, ns[i].blockdev, sock, d_size_si(ns[i].size, size, sizeof(size)));
	}
	d_table_print(t, out, 0);
	d_table_destroy(t);
}

static void
print_scm_modules(FILE *out, const struct ctl_storage_scan *s)
{
	static const char *const titles[] = {"SCM Module", "Socket",	   "Memory Ctrlr",
					     "Channel",	   "Channel Slot", "Capacity",
					     "UID",	   "Part Number",  "Health"};
	struct d_table		*t;
	int			 i;

	if (s->nr_modules == 0) {
		fprintf(out, "  No SCM modules found\n");
		return;
	}
	t = d_table_create(9, titles);
	if (t == NULL)
		return;
	for (i = 0; i < s->nr_modules; i++) {
		const struct ctl_scm_module *m = &s->modules[i];
		char id[16], sock[16], ctrl[16], chan[16], slot[16], size[D_SIZE_BUFLEN];

		snprintf(id, sizeof(id), "%u", m->physical_id);
		snprintf(sock, sizeof(sock), "%u", m->socket_id);
		snprintf(ctrl, sizeof(ctrl), "%u", m->controller_id);
		snprintf(chan, sizeof(chan), "%u", m->channel_id);
		snprintf(slot, sizeof(slot), "%u", m->channel_pos);
		d_table_add(t, id, sock, ctrl, chan, slot,
			    d_size_iec(m->capacity, size, sizeof(size)), m->uid, m->part_number,
			    m->health);
	}
	d_table_print(t, out, 0);
	d_table_destroy(t);
}

void
ctl_storage_print_scm(FILE *out, const struct ctl_storage_scan *s)
{
	if (s->nr_namespaces > 0)
		ctl_storage_print_scm_namespaces(out, s->namespaces, s->nr_namespaces);
	else
		print_scm_modules(out, s);
}

void
ctl_storage_print_nvme(FILE *out, const struct ctl_storage_scan *s)
{
	static const char *const titles[] = {"NVMe PCI", "Model",   "FW Revision", "Socket",
					     "Capacity", "Role(s)", "Rank"};
	struct d_table		*t;
	int			 i;

	if (s->nr_ctrlrs == 0) {
		fprintf(out, "  No NVMe devices found\n");
		return;
	}
	t = d_table_create(7, titles);
	if (t == NULL)
		return;
	for (i = 0; i < s->nr_ctrlrs; i++) {
		const struct ctl_nvme_ctrlr *c = &s->ctrlrs[i];
		char			     sock[16], size[D_SIZE_BUFLEN];

		snprintf(sock, sizeof(sock), "%d", c->socket_id);
		/* No SMD (engine) information in a local scan: no roles, no rank. */
		d_table_add(t, c->pci_addr, c->model, c->fw_rev, sock,
			    d_size_si(ctl_nvme_ctrlr_capacity(c), size, sizeof(size)), "NA",
			    "None");
	}
	d_table_print(t, out, 0);
	d_table_destroy(t);
}

void
ctl_storage_print_verbose(FILE *out, const struct ctl_storage_group *groups, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		const struct ctl_storage_scan *s = groups[i].scan;

		d_banner_print(out, 0, groups[i].hosts);
		fprintf(out, "HugePage Size: %" PRIu64 " KB\n\n", s->mem.hugepage_size_kb);
		ctl_storage_print_scm(out, s);
		fprintf(out, "\n");
		ctl_storage_print_nvme(out, s);
		fprintf(out, "\n");
	}
}

/* Go's time.Duration.String() for whole seconds: "0s", "8m0s", "10402h0m0s". */
static const char *
duration(uint64_t secs, char *buf, size_t len)
{
	uint64_t h = secs / 3600, m = secs % 3600 / 60, s = secs % 60;

	if (h > 0)
		snprintf(buf, len, "%" PRIu64 "h%" PRIu64 "m%" PRIu64 "s", h, m, s);
	else if (m > 0)
		snprintf(buf, len, "%" PRIu64 "m%" PRIu64 "s", m, s);
	else
		snprintf(buf, len, "%" PRIu64 "s", s);
	return buf;
}

/* go-humanize SI(): "8 GT/s", "2.5 GT/s", "0 T/s". */
static const char *
si_rate(double v, char *buf, size_t len)
{
	static const char *prefixes[] = {"", "k", "M", "G", "T", "P"};
	int		   e = 0;
	char		  *p;

	while (v >= 1000 && e < 5) {
		v /= 1000;
		e++;
	}
	snprintf(buf, len, "%.6f", v);
	p = buf + strlen(buf);
	while (p > buf && p[-1] == '0')
		*--p = '\0';
	if (p > buf && p[-1] == '.')
		*--p = '\0';
	snprintf(p, len - (size_t)(p - buf), " %sT/s", prefixes[e]);
	return buf;
}

/* ISO 8601 with milliseconds and a colon in the zone, as upstream prints. */
static const char *
iso8601(uint64_t secs, char *buf, size_t len)
{
	time_t	  t = (time_t)secs;
	struct tm tm;
	char	  zone[8];
	size_t	  n;

	localtime_r(&t, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S.000", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	snprintf(buf + n, len - n, "%.3s:%.2s", zone, zone + 3);
	return buf;
}

static void
print_warn(FILE *out, const char *name, bool warn)
{
	fprintf(out, "    %s: %s\n", name, warn ? "WARNING" : "OK");
}

static void
print_health(FILE *out, const struct ctl_nvme_ctrlr *c)
{
	const struct ctl_nvme_health *h = c->health;
	char			      buf[64];

	if (h == NULL) {
		if (c->info != NULL)
			fprintf(out, "  Health Stats Unavailable (%s)\n", c->info);
		else
			fprintf(out, "  Health Stats Unavailable\n");
		return;
	}
	fprintf(out, "  Health Stats:\n");
	if (h->timestamp > 0)
		fprintf(out, "    Timestamp:%s\n", iso8601(h->timestamp, buf, sizeof(buf)));
	fprintf(out, "    Temperature:%uK(%.02fC)\n", h->temperature,
		(double)((float)h->temperature - 273.15f));
	if (h->warn_temp_time > 0)
		fprintf(out, "    Temperature Warning Duration:%s\n",
			duration((uint64_t)h->warn_temp_time * 60, buf, sizeof(buf)));
	if (h->crit_temp_time > 0)
		fprintf(out, "    Temperature Critical Duration:%s\n",
			duration((uint64_t)h->crit_temp_time * 60, buf, sizeof(buf)));
	fprintf(out, "    Controller Busy Time:%s\n",
		duration(h->ctrl_busy_time * 60, buf, sizeof(buf)));
	fprintf(out, "    Power Cycles:%" PRIu64 "\n", h->power_cycles);
	fprintf(out, "    Power On Duration:%s\n",
		duration(h->power_on_hours * 3600, buf, sizeof(buf)));
	fprintf(out, "    Unsafe Shutdowns:%" PRIu64 "\n", h->unsafe_shutdowns);
	fprintf(out, "    Media Errors:%" PRIu64 "\n", h->media_errs);
	if (h->timestamp > 0) {
		fprintf(out, "    Read Errors:%u\n", h->bio_read_errs);
		fprintf(out, "    Write Errors:%u\n", h->bio_write_errs);
		fprintf(out, "    Unmap Errors:%u\n", h->bio_unmap_errs);
		fprintf(out, "    Checksum Errors:%u\n", h->checksum_errs);
	}
	fprintf(out, "    Error Log Entries:%" PRIu64 "\n", h->err_log_entries);
	fprintf(out, "    Lifetime Percent Used:%u%%\n", h->percentage_used);
	fprintf(out, "  Critical Warnings:\n");
	print_warn(out, "Temperature", h->critical_warning & CTL_NVME_WARN_TEMP);
	print_warn(out, "Available Spare", h->critical_warning & CTL_NVME_WARN_SPARE);
	print_warn(out, "Device Reliability", h->critical_warning & CTL_NVME_WARN_RELIAB);
	print_warn(out, "Read Only", h->critical_warning & CTL_NVME_WARN_READ_ONLY);
	print_warn(out, "Volatile Memory Backup", h->critical_warning & CTL_NVME_WARN_VOLATILE);
	/* Upstream shows the vendor block only when the normalized program-fail count is set. */
	if (h->program_fail_cnt_norm > 0) {
		fprintf(out, "  Intel Vendor SMART Attributes:\n");
		fprintf(out,
			"    Program Fail Count:\n       Normalized:%u%%\n       Raw:%" PRIu64 "\n",
			h->program_fail_cnt_norm, h->program_fail_cnt_raw);
		fprintf(out,
			"    Erase Fail Count:\n       Normalized:%u%%\n       Raw:%" PRIu64 "\n",
			h->erase_fail_cnt_norm, h->erase_fail_cnt_raw);
		fprintf(out,
			"    Wear Leveling Count:\n       Normalized:%u%%\n       Min:%u\n"
			"       Max:%u\n       Avg:%u\n",
			h->wear_leveling_cnt_norm, h->wear_leveling_cnt_min,
			h->wear_leveling_cnt_max, h->wear_leveling_cnt_avg);
		fprintf(out, "    End-to-End Error Detection Count:%" PRIu64 "\n",
			h->endtoend_err_cnt_raw);
		fprintf(out, "    CRC Error Count:%" PRIu64 "\n", h->crc_err_cnt_raw);
		fprintf(out, "    Timed Workload, Media Wear:%" PRIu64 "\n", h->media_wear_raw);
		fprintf(out, "    Timed Workload, Host Read/Write Ratio:%" PRIu64 "\n",
			h->host_reads_raw);
		fprintf(out, "    Timed Workload, Timer:%" PRIu64 "\n", h->workload_timer_raw);
		fprintf(out, "    Thermal Throttle Status:%u%%\n", h->thermal_throttle_status);
		fprintf(out, "    Thermal Throttle Event Count:%" PRIu64 "\n",
			h->thermal_throttle_event_cnt);
		fprintf(out, "    Retry Buffer Overflow Counter:%" PRIu64 "\n",
			h->retry_buffer_overflow_cnt);
		fprintf(out, "    PLL Lock Loss Count:%" PRIu64 "\n", h->pll_lock_loss_cnt);
		fprintf(out, "    NAND Bytes Written:%" PRIu64 "\n", h->nand_bytes_written);
		fprintf(out, "    Host Bytes Written:%" PRIu64 "\n", h->host_bytes_written);
	}
	fprintf(out, "  PCIe Link Info:\n");
	fprintf(out, "    Port: #%u\n", h->link_port_id);
	fprintf(out, "    Max Speed: %s\n", si_rate(h->link_max_speed, buf, sizeof(buf)));
	fprintf(out, "    Negotiated Speed: %s\n", si_rate(h->link_neg_speed, buf, sizeof(buf)));
	fprintf(out, "    Max Width: x%u\n", h->link_max_width);
	fprintf(out, "    Negotiated Width: x%u\n", h->link_neg_width);
}

void
ctl_storage_print_health(FILE *out, const struct ctl_storage_group *groups, int n)
{
	int i, j;

	for (i = 0; i < n; i++) {
		const struct ctl_storage_scan *s = groups[i].scan;

		d_banner_print(out, 0, groups[i].hosts);
		if (s->nr_ctrlrs == 0) {
			fprintf(out, "  No NVMe devices detected\n");
			continue;
		}
		for (j = 0; j < s->nr_ctrlrs; j++) {
			const struct ctl_nvme_ctrlr *c = &s->ctrlrs[j];
			char			     size[D_SIZE_BUFLEN];

			fprintf(out, "PCI:%s Model:%s FW:%s Socket:%d Capacity:%s\n", c->pci_addr,
				c->model, c->fw_rev, c->socket_id,
				d_size_si(ctl_nvme_ctrlr_capacity(c), size, sizeof(size)));
			print_health(out, c);
			fprintf(out, "\n");
		}
	}
}

/* ---- JSON ------------------------------------------------------------------ */

static void
json_health(struct d_json *w, const struct ctl_nvme_health *h)
{
	if (h == NULL) {
		d_json_null(w, "health_stats");
		return;
	}
	d_json_obj_begin(w, "health_stats");
	d_json_uint(w, "timestamp", h->timestamp);
	d_json_uint(w, "warn_temp_time", h->warn_temp_time);
	d_json_uint(w, "crit_temp_time", h->crit_temp_time);
	d_json_uint(w, "ctrl_busy_time", h->ctrl_busy_time);
	d_json_uint(w, "power_cycles", h->power_cycles);
	d_json_uint(w, "power_on_hours", h->power_on_hours);
	d_json_uint(w, "unsafe_shutdowns", h->unsafe_shutdowns);
	d_json_uint(w, "media_errs", h->media_errs);
	d_json_uint(w, "err_log_entries", h->err_log_entries);
	d_json_uint(w, "percentage_used", h->percentage_used);
	d_json_uint(w, "bio_read_errs", h->bio_read_errs);
	d_json_uint(w, "bio_write_errs", h->bio_write_errs);
	d_json_uint(w, "bio_unmap_errs", h->bio_unmap_errs);
	d_json_uint(w, "checksum_errs", h->checksum_errs);
	d_json_uint(w, "temperature", h->temperature);
	d_json_bool(w, "temp_warn", h->critical_warning & CTL_NVME_WARN_TEMP);
	d_json_bool(w, "avail_spare_warn", h->critical_warning & CTL_NVME_WARN_SPARE);
	d_json_bool(w, "dev_reliability_warn", h->critical_warning & CTL_NVME_WARN_RELIAB);
	d_json_bool(w, "read_only_warn", h->critical_warning & CTL_NVME_WARN_READ_ONLY);
	d_json_bool(w, "volatile_mem_warn", h->critical_warning & CTL_NVME_WARN_VOLATILE);
	d_json_uint(w, "program_fail_cnt_norm", h->program_fail_cnt_norm);
	d_json_uint(w, "program_fail_cnt_raw", h->program_fail_cnt_raw);
	d_json_uint(w, "erase_fail_cnt_norm", h->erase_fail_cnt_norm);
	d_json_uint(w, "erase_fail_cnt_raw", h->erase_fail_cnt_raw);
	d_json_uint(w, "wear_leveling_cnt_norm", h->wear_leveling_cnt_norm);
	d_json_uint(w, "wear_leveling_cnt_min", h->wear_leveling_cnt_min);
	d_json_uint(w, "wear_leveling_cnt_max", h->wear_leveling_cnt_max);
	d_json_uint(w, "wear_leveling_cnt_avg", h->wear_leveling_cnt_avg);
	d_json_uint(w, "endtoend_err_cnt_raw", h->endtoend_err_cnt_raw);
	d_json_uint(w, "crc_err_cnt_raw", h->crc_err_cnt_raw);
	d_json_uint(w, "media_wear_raw", h->media_wear_raw);
	d_json_uint(w, "host_reads_raw", h->host_reads_raw);
	d_json_uint(w, "workload_timer_raw", h->workload_timer_raw);
	d_json_uint(w, "thermal_throttle_status", h->thermal_throttle_status);
	d_json_uint(w, "thermal_throttle_event_cnt", h->thermal_throttle_event_cnt);
	d_json_uint(w, "retry_buffer_overflow_cnt", h->retry_buffer_overflow_cnt);
	d_json_uint(w, "pll_lock_loss_cnt", h->pll_lock_loss_cnt);
	d_json_uint(w, "nand_bytes_written", h->nand_bytes_written);
	d_json_uint(w, "host_bytes_written", h->host_bytes_written);
	d_json_uint(w, "cluster_size", 0);
	d_json_uint(w, "meta_wal_size", 0);
	d_json_uint(w, "rdb_wal_size", 0);
	d_json_uint(w, "link_port_id", h->link_port_id);
	d_json_double(w, "link_max_speed", h->link_max_speed);
	d_json_uint(w, "link_max_width", h->link_max_width);
	d_json_double(w, "link_neg_speed", h->link_neg_speed);
	d_json_uint(w, "link_neg_width", h->link_neg_width);
	d_json_obj_end(w);
}

void
ctl_storage_json_ctrlrs(struct d_json *w, const char *key, const struct ctl_storage_scan *s)
{
	int i, j;

	d_json_arr_begin(w, key);
	for (i = 0; i < s->nr_ctrlrs; i++) {
		const struct ctl_nvme_ctrlr *c = &s->ctrlrs[i];

		d_json_obj_begin(w, NULL);
		d_json_str(w, "info", c->info != NULL ? c->info : "");
		d_json_str(w, "model", c->model);
		d_json_str(w, "serial", c->serial);
		d_json_str(w, "pci_addr", c->pci_addr);
		d_json_str(w, "fw_rev", c->fw_rev);
		d_json_str(w, "vendor_id", c->vendor_id);
		d_json_str(w, "pci_type", "");
		d_json_int(w, "socket_id", c->socket_id);
		json_health(w, c->health);
		d_json_arr_begin(w, "namespaces");
		for (j = 0; j < c->nr_ns; j++) {
			d_json_obj_begin(w, NULL);
			d_json_uint(w, "id", c->ns[j].id);
			d_json_uint(w, "size", c->ns[j].size);
			d_json_obj_end(w);
		}
		d_json_arr_end(w);
		d_json_null(w, "smd_devices");
		/* No engine (SMD) view of the device in a local scan. */
		d_json_str(w, "dev_state", "UNKNOWN");
		d_json_str(w, "led_state", "NA");
		d_json_obj_end(w);
	}
	d_json_arr_end(w);
}

void
ctl_storage_json_modules(struct d_json *w, const char *key, const struct ctl_storage_scan *s)
{
	int i;

	/* Upstream's ScmModule has no JSON tags: Go field names. */
	d_json_arr_begin(w, key);
	for (i = 0; i < s->nr_modules; i++) {
		const struct ctl_scm_module *m = &s->modules[i];

		d_json_obj_begin(w, NULL);
		d_json_uint(w, "ChannelID", m->channel_id);
		d_json_uint(w, "ChannelPosition", m->channel_pos);
		d_json_uint(w, "ControllerID", m->controller_id);
		d_json_uint(w, "SocketID", m->socket_id);
		d_json_uint(w, "PhysicalID", m->physical_id);
		d_json_uint(w, "Capacity", m->capacity);
		d_json_str(w, "UID", m->uid);
		d_json_str(w, "PartNumber", m->part_number);
		d_json_str(w, "FirmwareRevision", m->fw_rev);
		d_json_str(w, "HealthState", m->health);
		d_json_obj_end(w);
	}
	d_json_arr_end(w);
}

void
ctl_storage_json_namespaces(struct d_json *w, const char *key, const struct ctl_scm_namespace *ns,
			    int n)
{
	int i;

	d_json_arr_begin(w, key);
	for (i = 0; i < n; i++) {
		d_json_obj_begin(w, NULL);
		d_json_str(w, "uuid", ns[i].uuid);
		d_json_str(w, "blockdev", ns[i].blockdev);
		d_json_str(w, "dev", ns[i].dev);
		d_json_uint(w, "numa_node", ns[i].numa_node);
		d_json_uint(w, "size", ns[i].size);
		d_json_null(w, "mount");
		d_json_obj_end(w);
	}
	d_json_arr_end(w);
}

void
ctl_storage_json_host(struct d_json *w, const char *key, const struct ctl_storage_scan *s)
{
	const struct ctl_meminfo *m = &s->mem;

	d_json_obj_begin(w, key);
	ctl_storage_json_ctrlrs(w, "nvme_devices", s);
	ctl_storage_json_modules(w, "scm_modules", s);
	ctl_storage_json_namespaces(w, "scm_namespaces", s->namespaces, s->nr_namespaces);
	d_json_arr_begin(w, "scm_mount_points");
	d_json_arr_end(w);
	d_json_null(w, "smd_info");
	d_json_bool(w, "reboot_required", s->reboot_required);
	d_json_obj_begin(w, "mem_info");
	d_json_uint(w, "numa_node_index", 0);
	d_json_uint(w, "hugepages_total", m->hugepages_total);
	d_json_uint(w, "hugepages_free", m->hugepages_free);
	d_json_uint(w, "hugepages_reserved", m->hugepages_rsvd);
	d_json_uint(w, "hugepages_surplus", m->hugepages_surp);
	d_json_uint(w, "hugepage_size_kb", m->hugepage_size_kb);
	d_json_uint(w, "mem_total_kb", m->mem_total_kb);
	d_json_uint(w, "mem_free_kb", m->mem_free_kb);
	d_json_uint(w, "mem_available_kb", m->mem_available_kb);
	d_json_uint(w, "mem_used_kb", m->mem_total_kb - m->mem_free_kb);
	d_json_null(w, "numa_nodes");
	d_json_obj_end(w);
	d_json_obj_end(w);
}
