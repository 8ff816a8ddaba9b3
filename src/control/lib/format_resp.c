/*
 * StorageFormat request/response: C structures <-> ctl.proto wire bytes,
 * and dmg's rendering of grouped host results (ctl_format_resp.h).  The
 * layout follows upstream's pretty/storage.go: failed results are host
 * errors (printed by the caller's Errors table), successful ones are
 * counted and listed; bdev results without an address stand for "NVMe
 * skipped" and are never listed.
 */
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/table.h"
#include "control/lib/ctl_config.h"
#include "control/lib/ctl_format_resp.h"
#include "proto/ctl.pb-c.h"

static void
result_fini(struct ctl_fmt_result *r)
{
	free(r->path);
	free(r->error);
	free(r->info);
}

void
ctl_format_resp_fini(struct ctl_format_resp *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nmounts; i++)
		result_fini(&r->mounts[i]);
	for (size_t i = 0; i < r->nctrlrs; i++)
		result_fini(&r->ctrlrs[i]);
	free(r->mounts);
	free(r->ctrlrs);
	memset(r, 0, sizeof(*r));
}

static char *
dup_or_null(const char *s, bool *failed)
{
	char *d;

	if (s == NULL)
		return NULL;
	D_STRDUP(d, s);
	if (d == NULL)
		*failed = true;
	return d;
}

int
ctl_format_resp_add(struct ctl_format_resp *r, bool mount, const char *path, uint32_t instance,
		    uint32_t roles, int32_t status, const char *error, const char *info)
{
	struct ctl_fmt_result **v = mount ? &r->mounts : &r->ctrlrs;
	size_t		       *n = mount ? &r->nmounts : &r->nctrlrs;
	struct ctl_fmt_result  *nv, res = {0};
	bool			failed = false;

	res.path = dup_or_null(path != NULL ? path : "", &failed);
	res.error = dup_or_null(error, &failed);
	res.info = dup_or_null(info, &failed);
	res.instance = instance;
	res.roles = roles;
	res.status = status;
	nv = failed ? NULL : d_realloc(*v, (*n + 1) * sizeof(**v));
	if (nv == NULL) {
		result_fini(&res);
		return -DER_NOMEM;
	}
	nv[*n] = res;
	*v = nv;
	(*n)++;
	return 0;
}

enum ctl_fmt_action
ctl_format_decide(bool needed, bool running, bool reformat)
{
	if (!needed && !reformat)
		return CTL_FMT_SKIP;
	if (running)
		return reformat ? CTL_FMT_STOP_AND_FORMAT : CTL_FMT_REFUSE_RUNNING;
	return CTL_FMT_FORMAT;
}

int
ctl_format_req_pack(bool reformat, bool replace, uint8_t **buf, size_t *len)
{
	Ctl__StorageFormatReq req = CTL__STORAGE_FORMAT_REQ__INIT;
	size_t		      n;

	req.scm = true;
	req.nvme = true;
	req.reformat = reformat;
	req.replace = replace;
	n = ctl__storage_format_req__get_packed_size(&req);
	*buf = malloc(n > 0 ? n : 1);
	if (*buf == NULL)
		return -DER_NOMEM;
	*len = ctl__storage_format_req__pack(&req, *buf);
	return 0;
}

int
ctl_format_req_unpack(const uint8_t *buf, size_t len, bool *reformat, bool *replace,
		      struct d_errbuf *eb)
{
	Ctl__StorageFormatReq *req = ctl__storage_format_req__unpack(NULL, len, buf);

	if (req == NULL) {
		d_errbuf_set(eb, "invalid StorageFormat request (%zu bytes)", len);
		return -DER_PROTO;
	}
	*reformat = req->reformat;
	*replace = req->replace;
	ctl__storage_format_req__free_unpacked(req, NULL);
	return 0;
}

static void
state_to_pb(const struct ctl_fmt_result *r, Ctl__ResponseState *st)
{
	ctl__response_state__init(st);
	st->status = r->status;
	st->error = r->error != NULL ? r->error : (char *)"";
	st->info = r->info != NULL ? r->info : (char *)"";
}

int
ctl_format_resp_pack(const struct ctl_format_resp *r, uint8_t **buf, size_t *len)
{
	Ctl__StorageFormatResp	   resp = CTL__STORAGE_FORMAT_RESP__INIT;
	Ctl__ScmMountResult	  *m = NULL, **mp = NULL;
	Ctl__NvmeControllerResult *c = NULL, **cp = NULL;
	Ctl__ResponseState	  *st = NULL;
	size_t			   i, n, nst = r->nmounts + r->nctrlrs;
	int			   rc = -DER_NOMEM;

	D_ALLOC_ARRAY(m, r->nmounts + 1);
	D_ALLOC_ARRAY(mp, r->nmounts + 1);
	D_ALLOC_ARRAY(c, r->nctrlrs + 1);
	D_ALLOC_ARRAY(cp, r->nctrlrs + 1);
	D_ALLOC_ARRAY(st, nst + 1);
	if (m == NULL || mp == NULL || c == NULL || cp == NULL || st == NULL)
		goto out;
	for (i = 0; i < r->nmounts; i++) {
		ctl__scm_mount_result__init(&m[i]);
		m[i].mntpoint = r->mounts[i].path;
		m[i].instanceidx = r->mounts[i].instance;
		state_to_pb(&r->mounts[i], &st[i]);
		m[i].state = &st[i];
		mp[i] = &m[i];
	}
	for (i = 0; i < r->nctrlrs; i++) {
		ctl__nvme_controller_result__init(&c[i]);
		c[i].pci_addr = r->ctrlrs[i].path;
		c[i].instanceidx = r->ctrlrs[i].instance;
		c[i].role_bits = r->ctrlrs[i].roles;
		state_to_pb(&r->ctrlrs[i], &st[r->nmounts + i]);
		c[i].state = &st[r->nmounts + i];
		cp[i] = &c[i];
	}
	resp.n_mrets = r->nmounts;
	resp.mrets = mp;
	resp.n_crets = r->nctrlrs;
	resp.crets = cp;
	n = ctl__storage_format_resp__get_packed_size(&resp);
	*buf = malloc(n > 0 ? n : 1);
	if (*buf == NULL)
		goto out;
	*len = ctl__storage_format_resp__pack(&resp, *buf);
	rc = 0;
out:
	free(m);
	free(mp);
	free(c);
	free(cp);
	free(st);
	return rc;
}

static int
state_from_pb(struct ctl_format_resp *out, bool mount, const char *path, uint32_t inst,
	      uint32_t roles, const Ctl__ResponseState *st)
{
	const char *err = st != NULL && st->error != NULL && st->error[0] ? st->error : NULL;
	const char *info = st != NULL && st->info != NULL && st->info[0] ? st->info : NULL;

	return ctl_format_resp_add(out, mount, path, inst, roles, st != NULL ? st->status : 0, err,
				   info);
}

int
ctl_format_resp_unpack(const uint8_t *buf, size_t len, struct ctl_format_resp *out,
		       struct d_errbuf *eb)
{
	Ctl__StorageFormatResp *resp = ctl__storage_format_resp__unpack(NULL, len, buf);
	struct ctl_format_resp	r = {0};
	int			rc = 0;
	size_t			i;

	if (resp == NULL) {
		d_errbuf_set(eb, "invalid StorageFormat response (%zu bytes)", len);
		return -DER_PROTO;
	}
	for (i = 0; rc == 0 && i < resp->n_mrets; i++)
		rc = state_from_pb(&r, true, resp->mrets[i]->mntpoint, resp->mrets[i]->instanceidx,
				   0, resp->mrets[i]->state);
	for (i = 0; rc == 0 && i < resp->n_crets; i++)
		rc = state_from_pb(&r, false, resp->crets[i]->pci_addr, resp->crets[i]->instanceidx,
				   resp->crets[i]->role_bits, resp->crets[i]->state);
	ctl__storage_format_resp__free_unpacked(resp, NULL);
	if (rc != 0) {
		ctl_format_resp_fini(&r);
		d_errbuf_set(eb, "out of memory decoding the StorageFormat response");
		return rc;
	}
	*out = r;
	return 0;
}

void
ctl_fmt_result_error(const struct ctl_fmt_result *res, char *buf, size_t len)
{
	if (res->error != NULL && res->error[0])
		snprintf(buf, len, "%s", res->error);
	else if (res->info != NULL && res->info[0])
		snprintf(buf, len, "%s: %s", d_errname(res->status), res->info);
	else
		snprintf(buf, len, "%s: unknown error", d_errname(res->status));
}

bool
ctl_fmt_ctrlr_listed(const struct ctl_fmt_result *res)
{
	return res->status == 0 && res->path != NULL && res->path[0] != '\0' &&
	       strcmp(res->path, CTL_FMT_NIL_BDEV) != 0;
}

void
ctl_bdev_roles_str(uint32_t roles, char *buf, size_t len)
{
	static const struct {
		uint32_t    bit;
		const char *name;
	} names[] = {
		{CTL_BDEV_ROLE_DATA, "data"},
		{CTL_BDEV_ROLE_META, "meta"},
		{CTL_BDEV_ROLE_WAL, "wal"},
	};
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < D_ARRAY_SIZE(names); i++) {
		if (!(roles & names[i].bit))
			continue;
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s",
					off > 0 ? "," : "", names[i].name);
		if (off >= len)
			break;
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "NA");
}

static const char *
info_or_success(const struct ctl_fmt_result *r)
{
	return r->info != NULL && r->info[0] ? r->info : CTL_FMT_SUCCESS;
}

static int
cmp_path(const void *a, const void *b)
{
	const struct ctl_fmt_result *const *x = a, *const *y = b;

	return strcmp((*x)->path, (*y)->path);
}

/* Pointers to the listed results of one kind, sorted by path (as upstream sorts). */
static const struct ctl_fmt_result **
listed(const struct ctl_format_resp *r, bool mount, size_t *n)
{
	const struct ctl_fmt_result  *v = mount ? r->mounts : r->ctrlrs;
	size_t			      nv = mount ? r->nmounts : r->nctrlrs, k = 0;
	const struct ctl_fmt_result **out;

	D_ALLOC_ARRAY(out, nv + 1);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < nv; i++) {
		if (mount ? v[i].status == 0 : ctl_fmt_ctrlr_listed(&v[i]))
			out[k++] = &v[i];
	}
	if (k > 1)
		qsort(out, k, sizeof(*out), cmp_path);
	*n = k;
	return out;
}

char *
ctl_format_resp_key(const struct ctl_format_resp *r, size_t *len)
{
	const struct ctl_fmt_result **m, **c = NULL;
	struct d_sbuf		      sb;
	size_t			      nm = 0, nc = 0;
	char			     *key = NULL;

	d_sbuf_init(&sb);
	m = listed(r, true, &nm);
	if (m != NULL)
		c = listed(r, false, &nc);
	if (m == NULL || c == NULL)
		goto out;
	for (size_t i = 0; i < nm; i++)
		d_sbuf_printf(&sb, "M\t%s\t%s\n", m[i]->path, info_or_success(m[i]));
	for (size_t i = 0; i < nc; i++)
		d_sbuf_printf(&sb, "C\t%s\t%s\t%u\n", c[i]->path, info_or_success(c[i]),
			      c[i]->roles);
	if (!sb.failed) {
		*len = sb.len;
		key = d_sbuf_take(&sb);
	}
out:
	d_sbuf_fini(&sb);
	free(m);
	free(c);
	return key;
}

void
ctl_format_print_summary(FILE *out, const struct ctl_format_group *g, int n)
{
	static const char *const titles[] = {"Hosts", "SCM Devices", "NVMe Devices"};
	struct d_table		*t;

	if (n == 0)
		return;
	t = d_table_create(3, titles);
	if (t == NULL)
		return;
	for (int i = 0; i < n; i++) {
		const struct ctl_fmt_result **m, **c;
		size_t			      nm = 0, nc = 0;
		char			      sm[24], sc[24];

		m = listed(g[i].resp, true, &nm);
		c = listed(g[i].resp, false, &nc);
		snprintf(sm, sizeof(sm), "%zu", nm);
		snprintf(sc, sizeof(sc), "%zu", nc);
		d_table_add(t, g[i].hosts, sm, sc);
		free(m);
		free(c);
	}
	fprintf(out, "Format Summary:\n");
	d_table_print(t, out, 2);
	d_table_destroy(t);
}

static void
print_mounts(FILE *out, const struct ctl_format_resp *r)
{
	static const char *const      titles[] = {"SCM Mount", "Format Result"};
	const struct ctl_fmt_result **m;
	struct d_table		     *t;
	size_t			      n = 0;

	m = listed(r, true, &n);
	if (m == NULL)
		return;
	if (n == 0) {
		fprintf(out, "  No SCM mount results\n");
		free(m);
		return;
	}
	t = d_table_create(2, titles);
	for (size_t i = 0; t != NULL && i < n; i++)
		d_table_add(t, m[i]->path, info_or_success(m[i]));
	if (t != NULL)
		d_table_print(t, out, 0);
	d_table_destroy(t);
	free(m);
}

static void
print_ctrlrs(FILE *out, const struct ctl_format_resp *r)
{
	static const char *const      titles[] = {"NVMe PCI", "Format Result", "Role(s)"};
	const struct ctl_fmt_result **c;
	struct d_table		     *t;
	size_t			      n = 0;

	c = listed(r, false, &n);
	if (c == NULL)
		return;
	if (n == 0) {
		fprintf(out, "  No NVMe devices were formatted\n");
		free(c);
		return;
	}
	t = d_table_create(3, titles);
	for (size_t i = 0; t != NULL && i < n; i++) {
		char roles[32];

		ctl_bdev_roles_str(c[i]->roles, roles, sizeof(roles));
		d_table_add(t, c[i]->path, info_or_success(c[i]), roles);
	}
	if (t != NULL)
		d_table_print(t, out, 0);
	d_table_destroy(t);
	free(c);
}

void
ctl_format_print_verbose(FILE *out, const struct ctl_format_group *g, int n)
{
	for (int i = 0; i < n; i++) {
		d_banner_print(out, 0, g[i].hosts);
		print_mounts(out, g[i].resp);
		fprintf(out, "\n");
		print_ctrlrs(out, g[i].resp);
		fprintf(out, "\n");
	}
}

void
ctl_format_json_host(struct d_json *w, const char *key, const struct ctl_format_resp *r)
{
	const struct ctl_fmt_result **m, **c = NULL;
	size_t			      nm = 0, nc = 0;

	m = listed(r, true, &nm);
	if (m != NULL)
		c = listed(r, false, &nc);
	/* upstream's HostStorage with only the format results filled */
	d_json_obj_begin(w, key);
	d_json_arr_begin(w, "nvme_devices");
	for (size_t i = 0; c != NULL && i < nc; i++) {
		d_json_obj_begin(w, NULL);
		d_json_str(w, "info", info_or_success(c[i]));
		d_json_str(w, "model", "");
		d_json_str(w, "serial", "");
		d_json_str(w, "pci_addr", c[i]->path);
		d_json_str(w, "fw_rev", "");
		d_json_str(w, "vendor_id", "");
		d_json_str(w, "pci_type", "");
		d_json_int(w, "socket_id", 0);
		d_json_null(w, "health_stats");
		d_json_null(w, "namespaces");
		d_json_arr_begin(w, "smd_devices");
		d_json_obj_begin(w, NULL);
		d_json_uint(w, "role_bits", c[i]->roles);
		d_json_obj_end(w);
		d_json_arr_end(w);
		d_json_str(w, "dev_state", "UNKNOWN");
		d_json_str(w, "led_state", "NA");
		d_json_obj_end(w);
	}
	d_json_arr_end(w);
	d_json_null(w, "scm_modules");
	d_json_null(w, "scm_namespaces");
	d_json_arr_begin(w, "scm_mount_points");
	for (size_t i = 0; m != NULL && i < nm; i++) {
		d_json_obj_begin(w, NULL);
		d_json_str(w, "class", "");
		d_json_null(w, "device_list");
		d_json_str(w, "info", info_or_success(m[i]));
		d_json_str(w, "path", m[i]->path);
		d_json_uint(w, "rank", 0);
		d_json_uint(w, "total_bytes", 0);
		d_json_uint(w, "avail_bytes", 0);
		d_json_uint(w, "usable_bytes", 0);
		d_json_obj_end(w);
	}
	d_json_arr_end(w);
	d_json_null(w, "smd_info");
	d_json_bool(w, "reboot_required", false);
	d_json_null(w, "mem_info");
	d_json_obj_end(w);
	free(m);
	free(c);
}
