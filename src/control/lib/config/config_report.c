/*
 * Output of `config validate` shared by daos_server, daos_agent and dmg:
 * the effective configuration as YAML on stdout (or inside the JSON
 * envelope with -j), notices and problems on stderr, one per line as
 * "file:line: key: message".  Also the JSON form of each configuration,
 * produced by the same table walk as the YAML writer.
 */
#include <stdio.h>

#include "common/json.h"
#include "control/lib/config/config_internal.h"

static void
je_map_begin(struct cfg_emit *em, const char *key)
{
	d_json_obj_begin(em->priv, key);
}

static void
je_map_end(struct cfg_emit *em)
{
	d_json_obj_end(em->priv);
}

static void
je_list_begin(struct cfg_emit *em, const char *key, size_t n)
{
	(void)n;
	d_json_arr_begin(em->priv, key);
}

static void
je_list_end(struct cfg_emit *em)
{
	d_json_arr_end(em->priv);
}

static void
je_str(struct cfg_emit *em, const char *key, const char *v)
{
	d_json_str(em->priv, key, v);
}

static void
je_num(struct cfg_emit *em, const char *key, int64_t v)
{
	d_json_int(em->priv, key, v);
}

static void
je_bool(struct cfg_emit *em, const char *key, bool v)
{
	d_json_bool(em->priv, key, v);
}

static const struct cfg_emit_ops json_ops = {
	.map_begin = je_map_begin,
	.map_end = je_map_end,
	.list_begin = je_list_begin,
	.list_end = je_list_end,
	.str = je_str,
	.num = je_num,
	.boolean = je_bool,
};

void
cfg_section_to_json(const struct cfg_section *sec, const void *obj, struct d_json *w,
		    const char *key)
{
	struct cfg_emit em = {.ops = &json_ops, .priv = w};

	d_json_obj_begin(w, key);
	cfg_section_emit(&em, sec, obj);
	d_json_obj_end(w);
}

static void
diags_json(struct d_json *w, const struct d_diags *dg, enum d_diag_sev sev, const char *key)
{
	size_t i;

	d_json_arr_begin(w, key);
	for (i = 0; i < dg->n; i++) {
		const struct d_diag *d = &dg->v[i];

		if (d->sev != sev)
			continue;
		d_json_obj_begin(w, NULL);
		d_json_str(w, "file", dg->file);
		if (d->line > 0)
			d_json_int(w, "line", d->line);
		else
			d_json_null(w, "line");
		d_json_str(w, "key", d->key);
		d_json_str(w, "message", d->msg);
		d_json_obj_end(w);
	}
	d_json_arr_end(w);
}

int
ctl_config_report(const struct ctl_config_result *res, bool json, FILE *out, FILE *err)
{
	size_t nerr = d_diags_count(res->diags, D_DIAG_ERROR);
	bool   ok = res->rc == 0 && nerr == 0;

	if (json) {
		struct d_json *w = d_json_create();
		char	      *emsg = NULL;

		if (w == NULL) {
			fprintf(err, "ERROR: out of memory\n");
			return 1;
		}
		d_json_obj_begin(w, NULL);
		d_json_str(w, "path", res->diags->file);
		d_json_bool(w, "valid", ok);
		if (ok && res->to_json != NULL)
			res->to_json(res->cfg, w, "config");
		diags_json(w, res->diags, D_DIAG_NOTICE, "notices");
		diags_json(w, res->diags, D_DIAG_ERROR, "errors");
		d_json_obj_end(w);
		if (!ok) {
			/* the envelope's error names the first problem and the count */
			const struct d_diag *first = NULL;
			char		    *f;
			size_t		     i;

			for (i = 0; i < res->diags->n && first == NULL; i++)
				if (res->diags->v[i].sev == D_DIAG_ERROR)
					first = &res->diags->v[i];
			f = first ? d_diag_format(res->diags, first) : NULL;
			emsg = d_asprintf("%zu problem%s in %s%s%s", nerr ? nerr : 1,
					  nerr > 1 ? "s" : "", res->diags->file, f ? ": " : "",
					  f ? f : "");
			D_FREE(f);
		}
		if (d_json_finish(w) != 0) {
			d_json_destroy(w);
			D_FREE(emsg);
			fprintf(err, "ERROR: out of memory\n");
			return 1;
		}
		d_json_envelope_print(out, w, ok ? NULL : (emsg ? emsg : "invalid configuration"),
				      ok ? 0 : (res->rc != 0 ? res->rc : -DER_INVAL));
		d_json_destroy(w);
		D_FREE(emsg);
		return ok ? 0 : 1;
	}
	d_diags_print(res->diags, D_DIAG_NOTICE, err);
	if (!ok) {
		d_diags_print(res->diags, D_DIAG_ERROR, err);
		fprintf(err, "ERROR: %s: %zu problem%s found; the configuration is not valid\n",
			res->diags->file, nerr ? nerr : 1, nerr > 1 ? "s" : "");
		return 1;
	}
	if (res->yaml != NULL)
		fputs(res->yaml, out);
	fprintf(err, "%s: configuration is valid\n", res->diags->file);
	return 0;
}

void
ctl_server_config_json(const void *cfg, struct d_json *w, const char *key)
{
	cfg_section_to_json(cfg_server_file.sec, cfg, w, key);
}

void
ctl_agent_config_json(const void *cfg, struct d_json *w, const char *key)
{
	cfg_section_to_json(cfg_agent_file.sec, cfg, w, key);
}

void
ctl_control_config_json(const void *cfg, struct d_json *w, const char *key)
{
	cfg_section_to_json(cfg_control_file.sec, cfg, w, key);
}

/* Record a failed command-line override as a problem of the run. */
static int
config_apply_override(struct d_diags *dg, int rc, const struct d_errbuf *eb)
{
	if (rc != 0)
		d_diags_add(dg, D_DIAG_ERROR, 0, NULL, "%s", eb->msg);
	return rc;
}

int
ctl_config_validate_main(enum ctl_config_kind kind, const char *opt_path, const void *overrides,
			 bool json, FILE *out, FILE *err)
{
	struct ctl_config_result   res = {0};
	struct ctl_server_config  *s = NULL;
	struct ctl_agent_config	  *a = NULL;
	struct ctl_control_config *c = NULL;
	struct d_errbuf		   eb;
	struct d_diags		   dg;
	char			  *path = NULL, *yaml = NULL;
	int			   rc, status;

	rc = ctl_config_find(kind, opt_path, NULL, &path, &eb);
	d_diags_init(&dg, path ? path : rc == 0 ? "<built-in defaults>" : cfg_file_get(kind)->name);
	if (rc != 0) {
		d_diags_add(&dg, D_DIAG_ERROR, 0, NULL, "%s", eb.msg);
		goto report;
	}
	switch (kind) {
	case CTL_CFG_SERVER:
		rc = ctl_server_config_load(path, &s, &dg);
		if (rc == 0 && overrides != NULL)
			rc = config_apply_override(
				&dg, ctl_server_config_override(s, overrides, &eb), &eb);
		if (rc == 0)
			rc = ctl_server_config_validate(s, &dg);
		res.cfg = s;
		res.to_json = ctl_server_config_json;
		if (rc == 0)
			yaml = ctl_server_config_to_yaml(s);
		break;
	case CTL_CFG_AGENT:
		rc = ctl_agent_config_load(path, &a, &dg);
		if (rc == 0 && overrides != NULL)
			rc = config_apply_override(
				&dg, ctl_agent_config_override(a, overrides, &eb), &eb);
		res.cfg = a;
		res.to_json = ctl_agent_config_json;
		if (rc == 0)
			yaml = ctl_agent_config_to_yaml(a);
		break;
	default:
		if (path == NULL)
			d_diags_add(&dg, D_DIAG_NOTICE, 0, NULL,
				    "no daos_control.yml found (looked in ~/.daos_control.yml and "
				    "the config directories); using built-in defaults");
		rc = ctl_control_config_load(path, &c, &dg);
		if (rc == 0 && overrides != NULL)
			rc = config_apply_override(
				&dg, ctl_control_config_override(c, overrides, &eb), &eb);
		res.cfg = c;
		res.to_json = ctl_control_config_json;
		if (rc == 0)
			yaml = ctl_control_config_to_yaml(c);
		break;
	}
	if (rc == 0 && yaml == NULL)
		rc = -DER_NOMEM;
report:
	res.rc = rc;
	res.diags = &dg;
	res.yaml = yaml;
	status = ctl_config_report(&res, json, out, err);
	ctl_server_config_destroy(s);
	ctl_agent_config_destroy(a);
	ctl_control_config_destroy(c);
	d_diags_fini(&dg);
	D_FREE(yaml);
	D_FREE(path);
	return status;
}
