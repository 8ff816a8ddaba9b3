/*
 * StorageFormat request/response (rpc.h): the C structures of the per-instance
 * results and their ctl.proto wire bytes, both ways.  What dmg prints of them
 * is render/format_render.c.
 */
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/pb.h"
#include "common/table.h"
#include "control/lib/config/config.h"
#include "control/lib/rpc/rpc.h"
#include "proto/ctl.pb-c.h"

static void
result_fini(struct ctl_fmt_result *r)
{
	D_FREE(r->path);
	D_FREE(r->error);
	D_FREE(r->info);
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
	D_FREE(r->mounts);
	D_FREE(r->ctrlrs);
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

int
ctl_format_req_pack(bool reformat, bool replace, uint8_t **buf, size_t *len)
{
	Ctl__StorageFormatReq req = CTL__STORAGE_FORMAT_REQ__INIT;

	req.scm = true;
	req.nvme = true;
	req.reformat = reformat;
	req.replace = replace;
	return d_pb_pack(&req.base, buf, len);
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
	size_t			   i, nst = r->nmounts + r->nctrlrs;
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
	rc = d_pb_pack(&resp.base, buf, len);
out:
	D_FREE(m);
	D_FREE(mp);
	D_FREE(c);
	D_FREE(cp);
	D_FREE(st);
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
