/*
 * The pipeline of dmg's fan-out commands (dmg_internal.h), written once:
 * open the connection, pack the request, call every host, decode each
 * answer, group the hosts with identical answers and those with identical
 * errors, print the groups or the -j envelope, and give the exit status.
 * What differs between commands comes from their struct dmg_fanout_cmd;
 * nothing here knows what a method returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/dmg/dmg_internal.h"

int
dmg_fanout_call(struct dmg_fanout *f)
{
	const struct dmg_fanout_cmd *cmd = f->cmd;
	uint8_t			    *req = NULL;
	size_t			     len = 0;
	int			     rc = 0;

	if (cmd->pack != NULL)
		rc = cmd->pack(f->ctx, &req, &len);
	if (rc == 0)
		rc = dmg_fanout_first(f->c, cmd->method, req, len,
				      cmd->first != NULL ? cmd->first(f) : SIZE_MAX, &f->res);
	D_FREE(req);
	return rc;
}

int
dmg_fanout_decode(struct dmg_fanout *f)
{
	const struct dmg_fanout_cmd *cmd = f->cmd;
	struct d_errbuf		     eb = {{0}};
	int			     rc;

	D_ALLOC_ARRAY(f->objs, f->c->n > 0 ? f->c->n : 1);
	if (f->objs == NULL)
		return -DER_NOMEM;
	for (size_t i = 0; i < f->c->n; i++) {
		struct ctl_rpc_result *r = &f->res[i];
		uint8_t		      *key;
		size_t		       key_len;

		if (r->rc != 0)
			continue;
		rc = cmd->unpack(r->body, r->body_len, &f->objs[i], &eb);
		if (rc == -DER_NOMEM)
			return rc;
		if (rc != 0) {
			ctl_rpc_result_fail(r, rc, "invalid %s response: %s", cmd->resp_name,
					    eb.msg);
			continue;
		}
		if (cmd->key == NULL)
			continue;
		rc = cmd->key(f->objs[i], &key, &key_len);
		if (rc != 0)
			return rc;
		rc = ctl_host_groups_add(&f->ok, key, key_len, f->c->display[i], (int)i);
		D_FREE(key);
		if (rc != 0)
			return rc;
	}
	return ctl_host_groups_finish(&f->ok);
}

/* ctl_host_errors_t over the command's errors callback. */
static int
answer_errors(void *arg, size_t i, struct ctl_host_groups *errs)
{
	struct dmg_fanout *f = arg;

	return f->cmd->errors(f, i, errs);
}

int
dmg_fanout_errors(struct dmg_fanout *f)
{
	int rc;

	rc = ctl_rpc_host_errors(f->res, f->c->n, (const char *const *)f->c->display,
				 f->cmd->errors != NULL ? answer_errors : NULL, f, &f->errs);
	if (rc < 0)
		return rc;
	f->nfailed = rc;
	return 0;
}

/* The groups as the command's render array: each element's hosts and answer pointers set. */
static int
build_view(struct dmg_fanout *f)
{
	const struct dmg_view *v = &f->cmd->view;
	char		      *a;

	if (v->size == 0)
		return 0;
	D_ALLOC(a, v->size * (size_t)(f->ok.n > 0 ? f->ok.n : 1));
	if (a == NULL)
		return -DER_NOMEM;
	for (int g = 0; g < f->ok.n; g++) {
		const char *hosts = f->ok.v[g].hosts;
		const void *obj = dmg_fanout_obj(f, g);

		memcpy(a + v->size * (size_t)g + v->hosts, &hosts, sizeof(hosts));
		memcpy(a + v->size * (size_t)g + v->obj, &obj, sizeof(obj));
	}
	f->view = a;
	return 0;
}

int
dmg_fanout_report(struct dmg_fanout *f)
{
	const struct dmg_fanout_cmd *cmd = f->cmd;
	struct d_json		    *w = NULL;
	int			     status;

	if (build_view(f) != 0)
		return dmg_fail(f->ctx, -DER_NOMEM, "%s", cmd->oom);
	if (d_cli_has(f->ctx, "json")) {
		w = d_json_create();
		if (w == NULL)
			return dmg_fail(f->ctx, -DER_NOMEM, "%s", cmd->oom);
		d_json_obj_begin(w, NULL);
		dmg_errors_json(w, &f->errs);
		if (cmd->json != NULL)
			cmd->json(f, w);
		d_json_obj_end(w);
	} else {
		/* upstream logs the host errors (stderr) before the results, but for network scan
		 */
		dmg_errors_print(cmd->errors_stdout ? stdout : stderr, &f->errs);
		if (cmd->errors_stdout && f->errs.n > 0 && f->ok.n > 0)
			fputc('\n', stdout);
		if (cmd->print != NULL)
			cmd->print(f);
	}
	status = dmg_finish(f->ctx, f->nfailed, w);
	d_json_destroy(w);
	return status;
}

void
dmg_fanout_fini(struct dmg_fanout *f)
{
	if (f->objs != NULL)
		for (size_t i = 0; i < f->c->n; i++)
			if (f->objs[i] != NULL)
				f->cmd->free(f->objs[i]);
	D_FREE(f->objs);
	D_FREE(f->view);
	ctl_host_groups_fini(&f->ok);
	ctl_host_groups_fini(&f->errs);
	if (f->c != NULL)
		dmg_results_free(f->res, f->c->n);
	f->res = NULL;
}

int
dmg_fanout_run(struct d_cli_ctx *ctx, const struct dmg_fanout_cmd *cmd)
{
	struct dmg_fanout f = {.cmd = cmd, .ctx = ctx};
	struct d_errbuf	  eb = {{0}};
	int		  rc, status;

	rc = dmg_conn_open(ctx, &f.c, &eb);
	if (rc != 0)
		return dmg_fail(ctx, rc, "%s", eb.msg);
	status = cmd->check != NULL ? cmd->check(&f) : 0;
	if (status != 0)
		goto out;
	rc = dmg_fanout_call(&f);
	if (rc != 0) {
		status = dmg_fail(ctx, rc, "%s: %s", cmd->name, d_errstr(rc));
		goto out;
	}
	rc = dmg_fanout_decode(&f);
	if (rc == 0)
		rc = dmg_fanout_errors(&f);
	if (rc != 0)
		status = dmg_fail(ctx, -DER_NOMEM, "%s", cmd->oom);
	else
		status = dmg_fanout_report(&f);
out:
	dmg_fanout_fini(&f);
	dmg_conn_close(f.c);
	return status;
}

const void *
dmg_fanout_obj(const struct dmg_fanout *f, int g)
{
	return f->objs[f->ok.v[g].rep];
}

void
dmg_fanout_json_map(const struct dmg_fanout *f, struct d_json *w, const char *key,
		    const char *obj_key,
		    void (*obj_json)(struct d_json *, const char *, const void *))
{
	d_json_obj_begin(w, key);
	for (int g = 0; g < f->ok.n; g++) {
		char name[24];

		d_json_obj_begin(w, ctl_host_group_name(&f->ok.v[g], name, sizeof(name)));
		obj_json(w, obj_key, dmg_fanout_obj(f, g));
		d_json_str(w, "hosts", f->ok.v[g].hosts);
		d_json_obj_end(w);
	}
	d_json_obj_end(w);
}
