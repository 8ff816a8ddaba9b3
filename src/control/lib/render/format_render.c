/*
 * dmg's rendering of grouped StorageFormat host results (render.h).  The
 * layout follows upstream's pretty/storage.go: failed results are host
 * errors (printed by the caller's Errors table), successful ones are
 * counted and listed; bdev results without an address stand for "NVMe
 * skipped" and are never listed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/table.h"
#include "control/lib/config/config.h"
#include "control/lib/render/render.h"

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
	D_FREE(m);
	D_FREE(c);
	return key;
}

static bool
info_is(const struct ctl_fmt_result *r, const char *info)
{
	return r->info != NULL && strcmp(r->info, info) == 0;
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
		const struct ctl_fmt_result **c;
		size_t			      nm = 0, nc = 0;
		char			      sm[24], sc[24];

		/* Every SCM formatted, or found formatted, even if a later step failed. */
		for (size_t k = 0; k < g[i].resp->nmounts; k++)
			if (g[i].resp->mounts[k].status == 0 ||
			    info_is(&g[i].resp->mounts[k], CTL_FMT_DONE_BEFORE))
				nm++;
		c = listed(g[i].resp, false, &nc);
		snprintf(sm, sizeof(sm), "%zu", nm);
		snprintf(sc, sizeof(sc), "%zu", nc);
		d_table_add(t, g[i].hosts, sm, sc);
		D_FREE(c);
	}
	fprintf(out, "Format Summary:\n");
	d_table_print(t, out, 2);
	d_table_destroy(t);
	/* Say when nothing was done: found formatted is not formatted now. */
	for (int i = 0; i < n; i++) {
		size_t already = 0;

		for (size_t k = 0; k < g[i].resp->nmounts; k++)
			already += info_is(&g[i].resp->mounts[k], CTL_FMT_ALREADY);
		if (already == g[i].resp->nmounts && already > 0)
			fprintf(out,
				"  %s: already formatted, nothing was done (dmg storage format "
				"--force reformats)\n",
				g[i].hosts);
		else if (already > 0)
			fprintf(out,
				"  %s: %zu of %zu instances already formatted, left as they were\n",
				g[i].hosts, already, g[i].resp->nmounts);
	}
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
		D_FREE(m);
		return;
	}
	t = d_table_create(2, titles);
	for (size_t i = 0; t != NULL && i < n; i++)
		d_table_add(t, m[i]->path, info_or_success(m[i]));
	if (t != NULL)
		d_table_print(t, out, 0);
	d_table_destroy(t);
	D_FREE(m);
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
		D_FREE(c);
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
	D_FREE(c);
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
	D_FREE(m);
	D_FREE(c);
}
