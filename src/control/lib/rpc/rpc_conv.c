/*
 * Conversions between scan structures and ctl.proto messages (see
 * rpc.h).  Field correspondences are listed once (the HEALTH_FIELDS
 * X-macro for the long NVMe health record); fixed-size C strings received
 * from the wire are truncated to their buffers.
 */
#include <stdio.h>

#include "common/pb.h"
#include "control/lib/rpc/rpc.h"

/* Fields with the same name and compatible types in ctl_nvme_health and BioHealthResp. */
#define HEALTH_FIELDS(X)                                                                           \
	X(timestamp)                                                                               \
	X(temperature)                                                                             \
	X(warn_temp_time)                                                                          \
	X(crit_temp_time)                                                                          \
	X(ctrl_busy_time)                                                                          \
	X(power_cycles)                                                                            \
	X(power_on_hours)                                                                          \
	X(unsafe_shutdowns)                                                                        \
	X(media_errs)                                                                              \
	X(err_log_entries)                                                                         \
	X(percentage_used)                                                                         \
	X(bio_read_errs)                                                                           \
	X(bio_write_errs)                                                                          \
	X(bio_unmap_errs)                                                                          \
	X(checksum_errs)                                                                           \
	X(critical_warning)                                                                        \
	X(intel_vendor)                                                                            \
	X(program_fail_cnt_norm)                                                                   \
	X(program_fail_cnt_raw)                                                                    \
	X(erase_fail_cnt_norm)                                                                     \
	X(erase_fail_cnt_raw)                                                                      \
	X(wear_leveling_cnt_norm)                                                                  \
	X(wear_leveling_cnt_min)                                                                   \
	X(wear_leveling_cnt_max)                                                                   \
	X(wear_leveling_cnt_avg)                                                                   \
	X(endtoend_err_cnt_raw)                                                                    \
	X(crc_err_cnt_raw)                                                                         \
	X(media_wear_raw)                                                                          \
	X(host_reads_raw)                                                                          \
	X(workload_timer_raw)                                                                      \
	X(thermal_throttle_status)                                                                 \
	X(thermal_throttle_event_cnt)                                                              \
	X(retry_buffer_overflow_cnt)                                                               \
	X(pll_lock_loss_cnt)                                                                       \
	X(nand_bytes_written)                                                                      \
	X(host_bytes_written)                                                                      \
	X(link_port_id)                                                                            \
	X(link_max_speed)                                                                          \
	X(link_max_width)                                                                          \
	X(link_neg_speed)                                                                          \
	X(link_neg_width)

#define S(field)	   ((char *)(field))
#define COPY_STR(dst, src) snprintf((dst), sizeof(dst), "%s", (src) != NULL ? (src) : "")

/* Allocate an array of n pointers to n zeroed messages (one block each). */
static void **
msg_array(size_t n, size_t size)
{
	void **arr;

	if (n == 0)
		return NULL;
	D_ALLOC_ARRAY(arr, n);
	if (arr == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		arr[i] = d_calloc(1, size);
		if (arr[i] == NULL) {
			for (size_t j = 0; j < i; j++)
				D_FREE(arr[j]);
			D_FREE(arr);
			return NULL;
		}
	}
	return arr;
}

static void
msg_array_free(void **arr, size_t n)
{
	if (arr == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		D_FREE(arr[i]);
	D_FREE(arr);
}

/* ---------------------------------------------------------------------- */
/* Storage scan. */

void
ctl_storage_scan_pb_free(Ctl__StorageScanResp *m)
{
	if (m == NULL)
		return;
	if (m->nvme != NULL) {
		for (size_t i = 0; i < m->nvme->n_ctrlrs; i++) {
			Ctl__NvmeController *c = m->nvme->ctrlrs[i];

			if (c == NULL)
				continue;
			D_FREE(c->health_stats);
			msg_array_free((void **)c->namespaces, c->n_namespaces);
		}
		msg_array_free((void **)m->nvme->ctrlrs, m->nvme->n_ctrlrs);
		D_FREE(m->nvme);
	}
	if (m->scm != NULL) {
		msg_array_free((void **)m->scm->modules, m->scm->n_modules);
		msg_array_free((void **)m->scm->namespaces, m->scm->n_namespaces);
		msg_array_free((void **)m->scm->regions, m->scm->n_regions);
		D_FREE(m->scm);
	}
	D_FREE(m->mem_info);
	D_FREE(m);
}

static int
ctrlr_to_pb(const struct ctl_nvme_ctrlr *c, Ctl__NvmeController *p)
{
	ctl__nvme_controller__init(p);
	p->model = S(c->model);
	p->serial = S(c->serial);
	p->pci_addr = S(c->pci_addr);
	p->fw_rev = S(c->fw_rev);
	p->vendor_id = S(c->vendor_id);
	p->ctrl_dev = S(c->ctrl_dev);
	p->socket_id = c->socket_id;
	p->info = S(c->info != NULL ? c->info : "");
	if (c->nr_ns > 0) {
		p->namespaces = (Ctl__NvmeController__Namespace **)msg_array(
			(size_t)c->nr_ns, sizeof(Ctl__NvmeController__Namespace));
		if (p->namespaces == NULL)
			return -DER_NOMEM;
		p->n_namespaces = (size_t)c->nr_ns;
		for (int i = 0; i < c->nr_ns; i++) {
			Ctl__NvmeController__Namespace *n = p->namespaces[i];

			ctl__nvme_controller__namespace__init(n);
			n->id = c->ns[i].id;
			n->size = c->ns[i].size;
			n->blockdev = S(c->ns[i].blockdev);
		}
	}
	if (c->health != NULL) {
		D_ALLOC_PTR(p->health_stats);
		if (p->health_stats == NULL)
			return -DER_NOMEM;
		ctl__bio_health_resp__init(p->health_stats);
#define X(f) p->health_stats->f = c->health->f;
		HEALTH_FIELDS(X)
#undef X
	}
	return 0;
}

int
ctl_storage_scan_to_pb(const struct ctl_storage_scan *s, Ctl__StorageScanResp **out)
{
	Ctl__StorageScanResp *m;
	int		      rc = -DER_NOMEM;

	D_ALLOC_PTR(m);
	if (m == NULL)
		return -DER_NOMEM;
	ctl__storage_scan_resp__init(m);
	D_ALLOC_PTR(m->nvme);
	D_ALLOC_PTR(m->scm);
	D_ALLOC_PTR(m->mem_info);
	if (m->nvme == NULL || m->scm == NULL || m->mem_info == NULL)
		goto fail;
	ctl__scan_nvme_resp__init(m->nvme);
	ctl__scan_scm_resp__init(m->scm);
	ctl__mem_info__init(m->mem_info);
	m->reboot_required = s->reboot_required;

	m->mem_info->hugepages_total = s->mem.hugepages_total;
	m->mem_info->hugepages_free = s->mem.hugepages_free;
	m->mem_info->hugepages_reserved = s->mem.hugepages_rsvd;
	m->mem_info->hugepages_surplus = s->mem.hugepages_surp;
	m->mem_info->hugepage_size_kb = s->mem.hugepage_size_kb;
	m->mem_info->mem_total_kb = s->mem.mem_total_kb;
	m->mem_info->mem_free_kb = s->mem.mem_free_kb;
	m->mem_info->mem_available_kb = s->mem.mem_available_kb;

	if (s->nr_modules > 0) {
		m->scm->modules =
			(Ctl__ScmModule **)msg_array((size_t)s->nr_modules, sizeof(Ctl__ScmModule));
		if (m->scm->modules == NULL)
			goto fail;
		m->scm->n_modules = (size_t)s->nr_modules;
	}
	for (int i = 0; i < s->nr_modules; i++) {
		const struct ctl_scm_module *d = &s->modules[i];
		Ctl__ScmModule		    *p = m->scm->modules[i];

		ctl__scm_module__init(p);
		p->channelid = d->channel_id;
		p->channelposition = d->channel_pos;
		p->controllerid = d->controller_id;
		p->socketid = d->socket_id;
		p->physicalid = d->physical_id;
		p->capacity = d->capacity;
		p->uid = S(d->uid);
		p->partnumber = S(d->part_number);
		p->firmwarerevision = S(d->fw_rev);
		p->healthstate = S(d->health);
	}
	if (s->nr_regions > 0) {
		m->scm->regions =
			(Ctl__ScmRegion **)msg_array((size_t)s->nr_regions, sizeof(Ctl__ScmRegion));
		if (m->scm->regions == NULL)
			goto fail;
		m->scm->n_regions = (size_t)s->nr_regions;
	}
	for (int i = 0; i < s->nr_regions; i++) {
		const struct ctl_scm_region *d = &s->regions[i];
		Ctl__ScmRegion		    *p = m->scm->regions[i];

		ctl__scm_region__init(p);
		p->dev = S(d->dev);
		p->id = d->id;
		p->numa_node = d->numa_node;
		p->size = d->size;
		p->available = d->available;
	}
	if (s->nr_namespaces > 0) {
		m->scm->namespaces = (Ctl__ScmNamespace **)msg_array((size_t)s->nr_namespaces,
								     sizeof(Ctl__ScmNamespace));
		if (m->scm->namespaces == NULL)
			goto fail;
		m->scm->n_namespaces = (size_t)s->nr_namespaces;
	}
	for (int i = 0; i < s->nr_namespaces; i++) {
		const struct ctl_scm_namespace *d = &s->namespaces[i];
		Ctl__ScmNamespace	       *p = m->scm->namespaces[i];

		ctl__scm_namespace__init(p);
		p->uuid = S(d->uuid);
		p->blockdev = S(d->blockdev);
		p->dev = S(d->dev);
		p->region = S(d->region);
		p->mode = S(d->mode);
		p->numa_node = d->numa_node;
		p->size = d->size;
	}
	if (s->nr_ctrlrs > 0) {
		m->nvme->ctrlrs = (Ctl__NvmeController **)msg_array((size_t)s->nr_ctrlrs,
								    sizeof(Ctl__NvmeController));
		if (m->nvme->ctrlrs == NULL)
			goto fail;
		m->nvme->n_ctrlrs = (size_t)s->nr_ctrlrs;
	}
	for (int i = 0; i < s->nr_ctrlrs; i++) {
		rc = ctrlr_to_pb(&s->ctrlrs[i], m->nvme->ctrlrs[i]);
		if (rc != 0)
			goto fail;
	}
	*out = m;
	return 0;
fail:
	ctl_storage_scan_pb_free(m);
	return rc != 0 ? rc : -DER_NOMEM;
}

static int
ctrlr_from_pb(const Ctl__NvmeController *p, struct ctl_nvme_ctrlr *c)
{
	COPY_STR(c->model, p->model);
	COPY_STR(c->serial, p->serial);
	COPY_STR(c->pci_addr, p->pci_addr);
	COPY_STR(c->fw_rev, p->fw_rev);
	COPY_STR(c->vendor_id, p->vendor_id);
	COPY_STR(c->ctrl_dev, p->ctrl_dev);
	c->socket_id = p->socket_id;
	if (p->info != NULL && p->info[0] != '\0') {
		D_STRDUP(c->info, p->info);
		if (c->info == NULL)
			return -DER_NOMEM;
	}
	if (p->n_namespaces > 0) {
		D_ALLOC_ARRAY(c->ns, p->n_namespaces);
		if (c->ns == NULL)
			return -DER_NOMEM;
		c->nr_ns = (int)p->n_namespaces;
		for (size_t i = 0; i < p->n_namespaces; i++) {
			c->ns[i].id = p->namespaces[i]->id;
			c->ns[i].size = p->namespaces[i]->size;
			COPY_STR(c->ns[i].blockdev, p->namespaces[i]->blockdev);
		}
	}
	if (p->health_stats != NULL) {
		D_ALLOC_PTR(c->health);
		if (c->health == NULL)
			return -DER_NOMEM;
#define X(f) c->health->f = p->health_stats->f;
		HEALTH_FIELDS(X)
#undef X
	}
	return 0;
}

int
ctl_storage_scan_from_pb(const Ctl__StorageScanResp *m, struct ctl_storage_scan **out)
{
	struct ctl_storage_scan *s;
	int			 rc = -DER_NOMEM;

	D_ALLOC_PTR(s);
	if (s == NULL)
		return -DER_NOMEM;
	s->reboot_required = m->reboot_required;
	if (m->mem_info != NULL) {
		s->mem.hugepages_total = m->mem_info->hugepages_total;
		s->mem.hugepages_free = m->mem_info->hugepages_free;
		s->mem.hugepages_rsvd = m->mem_info->hugepages_reserved;
		s->mem.hugepages_surp = m->mem_info->hugepages_surplus;
		s->mem.hugepage_size_kb = m->mem_info->hugepage_size_kb;
		s->mem.mem_total_kb = m->mem_info->mem_total_kb;
		s->mem.mem_free_kb = m->mem_info->mem_free_kb;
		s->mem.mem_available_kb = m->mem_info->mem_available_kb;
	}
	if (m->scm != NULL && m->scm->n_modules > 0) {
		D_ALLOC_ARRAY(s->modules, m->scm->n_modules);
		if (s->modules == NULL)
			goto fail;
		s->nr_modules = (int)m->scm->n_modules;
		for (size_t i = 0; i < m->scm->n_modules; i++) {
			const Ctl__ScmModule  *p = m->scm->modules[i];
			struct ctl_scm_module *d = &s->modules[i];

			d->channel_id = p->channelid;
			d->channel_pos = p->channelposition;
			d->controller_id = p->controllerid;
			d->socket_id = p->socketid;
			d->physical_id = p->physicalid;
			d->capacity = p->capacity;
			COPY_STR(d->uid, p->uid);
			COPY_STR(d->part_number, p->partnumber);
			COPY_STR(d->fw_rev, p->firmwarerevision);
			COPY_STR(d->health, p->healthstate);
		}
	}
	if (m->scm != NULL && m->scm->n_regions > 0) {
		D_ALLOC_ARRAY(s->regions, m->scm->n_regions);
		if (s->regions == NULL)
			goto fail;
		s->nr_regions = (int)m->scm->n_regions;
		for (size_t i = 0; i < m->scm->n_regions; i++) {
			const Ctl__ScmRegion  *p = m->scm->regions[i];
			struct ctl_scm_region *d = &s->regions[i];

			COPY_STR(d->dev, p->dev);
			d->id = p->id;
			d->numa_node = p->numa_node;
			d->size = p->size;
			d->available = p->available;
		}
	}
	if (m->scm != NULL && m->scm->n_namespaces > 0) {
		D_ALLOC_ARRAY(s->namespaces, m->scm->n_namespaces);
		if (s->namespaces == NULL)
			goto fail;
		s->nr_namespaces = (int)m->scm->n_namespaces;
		for (size_t i = 0; i < m->scm->n_namespaces; i++) {
			const Ctl__ScmNamespace	 *p = m->scm->namespaces[i];
			struct ctl_scm_namespace *d = &s->namespaces[i];

			COPY_STR(d->uuid, p->uuid);
			COPY_STR(d->blockdev, p->blockdev);
			COPY_STR(d->dev, p->dev);
			COPY_STR(d->region, p->region);
			COPY_STR(d->mode, p->mode);
			d->numa_node = p->numa_node;
			d->size = p->size;
		}
	}
	if (m->nvme != NULL && m->nvme->n_ctrlrs > 0) {
		D_ALLOC_ARRAY(s->ctrlrs, m->nvme->n_ctrlrs);
		if (s->ctrlrs == NULL)
			goto fail;
		s->nr_ctrlrs = (int)m->nvme->n_ctrlrs;
		for (size_t i = 0; i < m->nvme->n_ctrlrs; i++) {
			rc = ctrlr_from_pb(m->nvme->ctrlrs[i], &s->ctrlrs[i]);
			if (rc != 0)
				goto fail;
		}
	}
	*out = s;
	return 0;
fail:
	ctl_storage_scan_free(s);
	return rc != 0 ? rc : -DER_NOMEM;
}

int
ctl_storage_scan_pack(const struct ctl_storage_scan *scan, uint8_t **buf, size_t *len)
{
	Ctl__StorageScanResp *m;
	int		      rc;

	rc = ctl_storage_scan_to_pb(scan, &m);
	if (rc != 0)
		return rc;
	rc = d_pb_pack(&m->base, buf, len);
	ctl_storage_scan_pb_free(m);
	return rc;
}

int
ctl_storage_scan_unpack(const uint8_t *buf, size_t len, struct ctl_storage_scan **out,
			struct d_errbuf *eb)
{
	Ctl__StorageScanResp *m = ctl__storage_scan_resp__unpack(NULL, len, buf);
	int		      rc;

	if (m == NULL) {
		d_errbuf_set(eb, "malformed StorageScanResp (%zu bytes)", len);
		return -DER_PROTO;
	}
	rc = ctl_storage_scan_from_pb(m, out);
	ctl__storage_scan_resp__free_unpacked(m, NULL);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Network scan. */

void
ctl_net_scan_pb_free(Ctl__NetworkScanResp *m)
{
	if (m == NULL)
		return;
	msg_array_free((void **)m->interfaces, m->n_interfaces);
	D_FREE(m->providers);
	D_FREE(m);
}

int
ctl_net_scan_to_pb(const struct ctl_net_scan *s, Ctl__NetworkScanResp **out)
{
	Ctl__NetworkScanResp *m;

	D_ALLOC_PTR(m);
	if (m == NULL)
		return -DER_NOMEM;
	ctl__network_scan_resp__init(m);
	m->numacount = (int32_t)s->numa_count;
	m->corespernuma = (int32_t)s->cores_per_numa;
	if (s->nifaces > 0) {
		m->interfaces = (Ctl__FabricInterface **)msg_array((size_t)s->nifaces,
								   sizeof(Ctl__FabricInterface));
		if (m->interfaces == NULL)
			goto fail;
		m->n_interfaces = (size_t)s->nifaces;
	}
	for (int i = 0; i < s->nifaces; i++) {
		const struct ctl_fabric_iface *f = &s->ifaces[i];
		Ctl__FabricInterface	      *p = m->interfaces[i];

		ctl__fabric_interface__init(p);
		p->provider = f->provider != NULL ? f->provider : S("");
		p->device = f->device != NULL ? f->device : S("");
		p->domain = f->domain != NULL ? f->domain : S("");
		p->numanode = f->numa;
		p->priority = f->priority;
		p->netdevclass = f->net_class;
	}
	if (s->nproviders > 0) {
		D_ALLOC_ARRAY(m->providers, s->nproviders);
		if (m->providers == NULL)
			goto fail;
		m->n_providers = (size_t)s->nproviders;
		for (int i = 0; i < s->nproviders; i++)
			m->providers[i] = s->providers[i];
	}
	*out = m;
	return 0;
fail:
	ctl_net_scan_pb_free(m);
	return -DER_NOMEM;
}

int
ctl_net_scan_from_pb(const Ctl__NetworkScanResp *m, struct ctl_net_scan **out)
{
	struct ctl_net_scan *s;

	D_ALLOC_PTR(s);
	if (s == NULL)
		return -DER_NOMEM;
	s->numa_count = m->numacount > 0 ? (unsigned)m->numacount : 0;
	s->cores_per_numa = m->corespernuma > 0 ? (unsigned)m->corespernuma : 0;
	if (m->n_interfaces > 0) {
		D_ALLOC_ARRAY(s->ifaces, m->n_interfaces);
		if (s->ifaces == NULL)
			goto fail;
		for (size_t i = 0; i < m->n_interfaces; i++) {
			const Ctl__FabricInterface *p = m->interfaces[i];
			struct ctl_fabric_iface	   *f = &s->ifaces[i];

			s->nifaces++;
			D_STRDUP(f->provider, p->provider);
			D_STRDUP(f->device, p->device);
			D_STRDUP(f->domain, p->domain);
			if (f->provider == NULL || f->device == NULL || f->domain == NULL)
				goto fail;
			f->numa = p->numanode;
			f->priority = p->priority;
			f->net_class = p->netdevclass;
		}
	}
	if (m->n_providers > 0) {
		D_ALLOC_ARRAY(s->providers, m->n_providers);
		if (s->providers == NULL)
			goto fail;
		for (size_t i = 0; i < m->n_providers; i++) {
			D_STRDUP(s->providers[i], m->providers[i]);
			if (s->providers[i] == NULL)
				goto fail;
			s->nproviders++;
		}
	}
	*out = s;
	return 0;
fail:
	ctl_net_scan_free(s);
	return -DER_NOMEM;
}

int
ctl_net_scan_pack(const struct ctl_net_scan *scan, uint8_t **buf, size_t *len)
{
	Ctl__NetworkScanResp *m;
	int		      rc;

	rc = ctl_net_scan_to_pb(scan, &m);
	if (rc != 0)
		return rc;
	rc = d_pb_pack(&m->base, buf, len);
	ctl_net_scan_pb_free(m);
	return rc;
}

int
ctl_net_scan_unpack(const uint8_t *buf, size_t len, struct ctl_net_scan **out, struct d_errbuf *eb)
{
	Ctl__NetworkScanResp *m = ctl__network_scan_resp__unpack(NULL, len, buf);
	int		      rc;

	if (m == NULL) {
		d_errbuf_set(eb, "malformed NetworkScanResp (%zu bytes)", len);
		return -DER_PROTO;
	}
	rc = ctl_net_scan_from_pb(m, out);
	ctl__network_scan_resp__free_unpacked(m, NULL);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Requests and the version response. */

int
ctl_storage_scan_req_pack(unsigned int flags, uint8_t **buf, size_t *len)
{
	Ctl__StorageScanReq m = CTL__STORAGE_SCAN_REQ__INIT;

	m.scm = (flags & CTL_SCAN_SCM) != 0;
	m.nvme = (flags & CTL_SCAN_NVME) != 0;
	m.mem = (flags & CTL_SCAN_MEM) != 0;
	m.health = (flags & CTL_SCAN_HEALTH) != 0;
	return d_pb_pack(&m.base, buf, len);
}

int
ctl_storage_scan_req_unpack(const uint8_t *buf, size_t len, unsigned int *flags,
			    struct d_errbuf *eb)
{
	Ctl__StorageScanReq *m = ctl__storage_scan_req__unpack(NULL, len, buf);

	if (m == NULL) {
		d_errbuf_set(eb, "malformed StorageScanReq (%zu bytes)", len);
		return -DER_PROTO;
	}
	*flags = (m->scm ? CTL_SCAN_SCM : 0) | (m->nvme ? CTL_SCAN_NVME : 0) |
		 (m->mem ? CTL_SCAN_MEM : 0) | (m->health ? CTL_SCAN_HEALTH : 0);
	ctl__storage_scan_req__free_unpacked(m, NULL);
	return 0;
}

int
ctl_net_scan_req_pack(const char *provider, uint8_t **buf, size_t *len)
{
	Ctl__NetworkScanReq m = CTL__NETWORK_SCAN_REQ__INIT;

	m.provider = S(provider != NULL ? provider : "");
	return d_pb_pack(&m.base, buf, len);
}

int
ctl_net_scan_req_unpack(const uint8_t *buf, size_t len, char **provider, struct d_errbuf *eb)
{
	Ctl__NetworkScanReq *m = ctl__network_scan_req__unpack(NULL, len, buf);
	char		    *p;

	if (m == NULL) {
		d_errbuf_set(eb, "malformed NetworkScanReq (%zu bytes)", len);
		return -DER_PROTO;
	}
	D_STRDUP(p, m->provider);
	ctl__network_scan_req__free_unpacked(m, NULL);
	if (p == NULL)
		return -DER_NOMEM;
	*provider = p;
	return 0;
}

int
ctl_server_version_pack(const struct ctl_server_version *v, uint8_t **buf, size_t *len)
{
	Ctl__GetVersionResp m = CTL__GET_VERSION_RESP__INIT;

	m.name = S(v->name != NULL ? v->name : "");
	m.version = S(v->version != NULL ? v->version : "");
	m.revision = S(v->revision != NULL ? v->revision : "");
	m.hostname = S(v->hostname != NULL ? v->hostname : "");
	return d_pb_pack(&m.base, buf, len);
}

int
ctl_server_version_unpack(const uint8_t *buf, size_t len, struct ctl_server_version *v,
			  struct d_errbuf *eb)
{
	Ctl__GetVersionResp	 *m = ctl__get_version_resp__unpack(NULL, len, buf);
	struct ctl_server_version r = {0};

	if (m == NULL) {
		d_errbuf_set(eb, "malformed GetVersionResp (%zu bytes)", len);
		return -DER_PROTO;
	}
	D_STRDUP(r.name, m->name);
	D_STRDUP(r.version, m->version);
	D_STRDUP(r.revision, m->revision);
	D_STRDUP(r.hostname, m->hostname);
	ctl__get_version_resp__free_unpacked(m, NULL);
	if (r.name == NULL || r.version == NULL || r.revision == NULL || r.hostname == NULL) {
		ctl_server_version_fini(&r);
		return -DER_NOMEM;
	}
	*v = r;
	return 0;
}

void
ctl_server_version_fini(struct ctl_server_version *v)
{
	if (v == NULL)
		return;
	D_FREE(v->name);
	D_FREE(v->version);
	D_FREE(v->revision);
	D_FREE(v->hostname);
}
