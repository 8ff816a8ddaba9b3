/*
 * Loading the configuration files: the shipped files and examples, the fully
 * uncommented daos_server.yml, defaults, effective-config round trip, the
 * active-config writer, search order, command-line overrides, fault_cb
 * checks on real files, the YAML document helpers, and the generic loader
 * of struct cfg_file on the error paths every file kind reaches (file
 * errors, allocation failures).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/fs.h"
#include "control/lib/config/config_internal.h"
#include "../unit_fi.h"

static const char *
src_dir(void)
{
	const char *d = getenv("DAOS_SOURCE_DIR");

	assert_non_null(d);
	return d;
}

static char *
read_all(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long  len;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return buf;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(path, mode);
}

static void
dump(struct d_diags *dg)
{
	d_diags_print(dg, D_DIAG_ERROR, stderr);
}

/* Load one file with the loader its name calls for; 0 errors expected. */
static void
load_clean(const char *path)
{
	const char    *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct d_diags dg;
	int	       rc;

	d_diags_init(&dg, path);
	if (strncmp(base, "daos_server", 11) == 0) {
		struct ctl_server_config *cfg = NULL;

		rc = ctl_server_config_load(path, &cfg, &dg);
		if (rc == 0)
			rc = ctl_server_config_validate(cfg, &dg);
		ctl_server_config_destroy(cfg);
	} else if (strncmp(base, "daos_agent", 10) == 0) {
		struct ctl_agent_config *cfg = NULL;

		rc = ctl_agent_config_load(path, &cfg, &dg);
		ctl_agent_config_destroy(cfg);
	} else {
		struct ctl_control_config *cfg = NULL;

		assert_int_equal(strncmp(base, "daos_control", 12), 0);
		rc = ctl_control_config_load(path, &cfg, &dg);
		ctl_control_config_destroy(cfg);
	}
	if (rc != 0)
		dump(&dg);
	assert_int_equal(rc, 0);
	assert_int_equal(d_diags_count(&dg, D_DIAG_ERROR), 0);
	d_diags_fini(&dg);
}

static int
load_dir(const char *dir)
{
	DIR	      *d = opendir(dir);
	struct dirent *de;
	int	       n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		char  *p;

		if (l < 5 || strcmp(de->d_name + l - 4, ".yml") != 0)
			continue;
		p = d_asprintf("%s/%s", dir, de->d_name);
		load_clean(p);
		free(p);
		n++;
	}
	closedir(d);
	return n;
}

static void
test_shipped_files_load(void **state)
{
	char *dir;

	(void)state;
	dir = d_asprintf("%s/utils/config", src_dir());
	assert_int_equal(load_dir(dir), 3);
	free(dir);
	dir = d_asprintf("%s/utils/config/examples", src_dir());
	assert_true(load_dir(dir) >= 5);
	free(dir);
}

/* Remove one leading '#' from every line: the option lines become settings. */
static char *
uncomment(const char *text)
{
	struct d_sbuf sb;
	const char   *p = text;

	d_sbuf_init(&sb);
	while (*p) {
		size_t len = strcspn(p, "\n");

		if (*p == '#')
			d_sbuf_putn(&sb, p + 1, len - 1);
		else
			d_sbuf_putn(&sb, p, len);
		d_sbuf_putn(&sb, "\n", 1);
		p += len;
		if (*p == '\n')
			p++;
	}
	return d_sbuf_take(&sb);
}

static void
test_uncommented_server_file(void **state)
{
	struct ctl_server_config *cfg = NULL;
	struct d_diags		  dg;
	char			 *path, *text, *un;

	(void)state;
	path = d_asprintf("%s/utils/config/daos_server.yml", src_dir());
	text = read_all(path);
	un = uncomment(text);
	d_diags_init(&dg, "uncommented daos_server.yml");
	assert_int_equal(ctl_server_config_load_string("uncommented", un, &cfg, &dg), 0);
	if (ctl_server_config_validate(cfg, &dg) != 0)
		dump(&dg);
	assert_int_equal(d_diags_count(&dg, D_DIAG_ERROR), 0);
	/* every documented setting took effect */
	assert_int_equal(cfg->nengines, 2);
	assert_int_equal(cfg->mgmt_svc_replicas.n, 3);
	assert_string_equal(cfg->mgmt_svc_replicas.v[0], "storage-1:10001");
	assert_string_equal(cfg->control_metadata.path, "/var/daos/config");
	assert_string_equal(cfg->control_iface, "eth0");
	assert_int_equal(cfg->telemetry_port, 9191);
	assert_int_equal(cfg->engines[0].nstorage, 4);
	assert_int_equal(cfg->engines[0].storage[1].bdev_roles, CTL_BDEV_ROLE_WAL);
	assert_string_equal(cfg->engines[0].storage[1].bdev_busid_range, "0x80-0x8f");
	assert_int_equal(cfg->engines[0].bdev_auto_faulty.max_csum_errs, 4294967295LL);
	assert_string_equal(cfg->engines[1].fabric.provider, "ofi+tcp");
	assert_string_equal(cfg->support_config.file_transfer_exec, "/usr/bin/rsync");
	ctl_server_config_destroy(cfg);
	d_diags_fini(&dg);
	free(un);
	free(text);
	free(path);

	/* the agent and dmg templates follow the same convention */
	{
		struct ctl_agent_config	  *a = NULL;
		struct ctl_control_config *c = NULL;

		path = d_asprintf("%s/utils/config/daos_agent.yml", src_dir());
		text = read_all(path);
		un = uncomment(text);
		d_diags_init(&dg, "uncommented daos_agent.yml");
		if (ctl_agent_config_load_string("a", un, &a, &dg) != 0)
			dump(&dg);
		assert_non_null(a);
		assert_int_equal(a->nfabric_ifaces, 2);
		assert_int_equal(a->credential_config.nclient_user_map, 2);
		assert_int_equal(a->credential_config.cache_expiration_ns, 60000000000LL);
		assert_int_equal(a->telemetry_retain_ns, 300000000000LL);
		ctl_agent_config_destroy(a);
		d_diags_fini(&dg);
		free(un);
		free(text);
		free(path);

		path = d_asprintf("%s/utils/config/daos_control.yml", src_dir());
		text = read_all(path);
		un = uncomment(text);
		d_diags_init(&dg, "uncommented daos_control.yml");
		assert_int_equal(ctl_control_config_load_string("c", un, &c, &dg), 0);
		assert_int_equal(c->hostlist.n, 2);
		ctl_control_config_destroy(c);
		d_diags_fini(&dg);
		free(un);
		free(text);
		free(path);
	}
}

static void
test_defaults(void **state)
{
	struct ctl_server_config  *s;
	struct ctl_agent_config	  *a;
	struct ctl_control_config *c;

	(void)state;
	assert_int_equal(ctl_server_config_default(&s), 0);
	assert_string_equal(s->name, "daos_server");
	assert_int_equal(s->port, 10001);
	assert_string_equal(s->socket_dir, "/var/run/daos_server");
	assert_int_equal(s->system_ram_reserved, 64);
	assert_int_equal(s->core_dump_filter, 0x13);
	assert_int_equal(s->engine_auto_restart_min_delay, 300);
	assert_string_equal(s->control_log_mask, "INFO");
	assert_int_equal(s->mgmt_svc_replicas.n, 1);
	assert_string_equal(s->mgmt_svc_replicas.v[0], "localhost:10001");
	assert_string_equal(s->transport.client_cert_dir, "/etc/daos/certs/clients");
	assert_string_equal(s->transport.ca_cert, "/etc/daos/certs/daosCA.crt");
	assert_string_equal(s->transport.cert, "/etc/daos/certs/server.crt");
	assert_string_equal(s->transport.key, "/etc/daos/certs/server.key");
	assert_false(s->transport.allow_insecure);
	assert_int_equal(s->nengines, 0);
	ctl_server_config_destroy(s);

	assert_int_equal(ctl_agent_config_default(&a), 0);
	assert_string_equal(a->runtime_dir, "/var/run/daos_agent");
	assert_string_equal(a->access_points.v[0], "localhost:10001");
	assert_string_equal(a->transport.cert, "/etc/daos/certs/agent.crt");
	assert_null(a->transport.client_cert_dir);
	assert_int_equal(a->port, 10001);
	ctl_agent_config_destroy(a);

	assert_int_equal(ctl_control_config_default(&c), 0);
	assert_string_equal(c->hostlist.v[0], "localhost:10001");
	assert_string_equal(c->transport.key, "/etc/daos/certs/admin.key");
	ctl_control_config_destroy(c);
	/* no file anywhere: defaults */
	assert_int_equal(ctl_control_config_load(NULL, &c, NULL), 0);
	assert_null(c->path);
	ctl_control_config_destroy(c);
}

static struct ctl_server_config *
load_valid_server(const char *name, const char *text, struct d_diags *dg)
{
	struct ctl_server_config *cfg = NULL;

	assert_int_equal(ctl_server_config_load_string(name, text, &cfg, dg), 0);
	if (ctl_server_config_validate(cfg, dg) != 0)
		dump(dg);
	assert_int_equal(d_diags_count(dg, D_DIAG_ERROR), 0);
	return cfg;
}

static void
test_round_trip(void **state)
{
	struct ctl_server_config *a, *b;
	struct d_diags		  dg;
	char			 *path, *text, *y1, *y2;

	(void)state;
	path = d_asprintf("%s/utils/config/examples/daos_server_wolf.yml", src_dir());
	text = read_all(path);
	d_diags_init(&dg, "wolf");
	a = load_valid_server("wolf", text, &dg);
	/* the guide's access_points became replicas with the port filled in */
	assert_string_equal(a->mgmt_svc_replicas.v[0], "wolf-71:10001");
	assert_int_equal(a->access_points.n, 0);
	assert_true(a->engines[0].first_core_set);
	assert_false(a->engines[0].pinned_numa_node_set);
	y1 = ctl_server_config_to_yaml(a);
	assert_non_null(y1);
	assert_null(strstr(y1, "access_points"));
	assert_null(strstr(y1, "pinned_numa_node"));
	assert_non_null(strstr(y1, "provider: ofi+verbs;ofi_rxm\n"));
	assert_non_null(strstr(y1, "  - class: dcpm\n"));
	b = load_valid_server("effective", y1, &dg);
	y2 = ctl_server_config_to_yaml(b);
	assert_string_equal(y1, y2);
	ctl_server_config_destroy(a);
	ctl_server_config_destroy(b);
	free(y1);
	free(y2);
	free(text);
	free(path);

	/* plain ofi+verbs gains ;ofi_rxm, globally and in engines */
	a = load_valid_server("verbs",
			      "provider: ofi+verbs\nengines:\n- targets: 1\n"
			      "  fabric_iface: ib0\n  fabric_iface_port: 31416\n"
			      "  log_file: /a\n  storage:\n  - class: ram\n"
			      "    scm_mount: /m\n",
			      &dg);
	assert_string_equal(a->fabric.provider, "ofi+verbs;ofi_rxm");
	assert_string_equal(a->engines[0].fabric.provider, "ofi+verbs;ofi_rxm");
	y1 = ctl_server_config_to_yaml(a);
	/* strings that would read back as other types are quoted */
	assert_non_null(strstr(y1, "fabric_auth_key: \"\"\n"));
	free(y1);
	ctl_server_config_destroy(a);

	/* agent and control round trips */
	{
		struct ctl_agent_config	  *x = NULL, *z = NULL;
		struct ctl_control_config *c = NULL, *c2 = NULL;

		path = d_asprintf("%s/utils/config/examples/daos_agent.yml", src_dir());
		assert_int_equal(ctl_agent_config_load(path, &x, &dg), 0);
		y1 = ctl_agent_config_to_yaml(x);
		assert_int_equal(ctl_agent_config_load_string("a2", y1, &z, &dg), 0);
		y2 = ctl_agent_config_to_yaml(z);
		assert_string_equal(y1, y2);
		assert_non_null(strstr(y1, "cache_expiration: 1m\n"));
		free(y1);
		free(y2);
		free(path);
		ctl_agent_config_destroy(x);
		ctl_agent_config_destroy(z);
		assert_int_equal(ctl_control_config_load_string(
					 "c", "hostlist: ['a:1', b]\nport: 10002\n", &c, &dg),
				 0);
		y1 = ctl_control_config_to_yaml(c);
		assert_int_equal(ctl_control_config_load_string("c2", y1, &c2, &dg), 0);
		assert_int_equal(c2->port, 10002);
		assert_string_equal(c2->hostlist.v[0], "a:1");
		free(y1);
		ctl_control_config_destroy(c);
		ctl_control_config_destroy(c2);
	}
	d_diags_fini(&dg);
}

static void
test_save_active(void **state)
{
	struct ctl_server_config *cfg;
	struct d_errbuf		  eb;
	struct stat		  st;
	char			  dir[] = "/tmp/test_cfg_XXXXXX", *path = NULL, *text, *y;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(ctl_server_config_default(&cfg), 0);
	assert_int_equal(ctl_server_config_save_active(cfg, dir, &path, &eb), 0);
	assert_non_null(strstr(path, "/.daos_server.active.yml"));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	text = read_all(path);
	y = ctl_server_config_to_yaml(cfg);
	assert_string_equal(text, y);
	/* overwriting keeps one file and no temporaries */
	free(path);
	assert_int_equal(ctl_server_config_save_active(cfg, dir, &path, &eb), 0);
	{
		DIR	      *d = opendir(dir);
		struct dirent *de;
		int	       n = 0;

		while ((de = readdir(d)) != NULL)
			n += de->d_name[0] != '.' || strlen(de->d_name) > 2;
		closedir(d);
		assert_int_equal(n, 1);
	}
	unlink(path);
	rmdir(dir);
	free(path);
	path = NULL;
	/* a missing directory is reported with what to do */
	assert_int_equal(ctl_server_config_save_active(cfg, "/nonexistent/dir", &path, &eb),
			 -DER_NONEXIST);
	assert_non_null(strstr(eb.msg, "check that socket_dir exists"));
	assert_null(path);
	free(text);
	free(y);
	ctl_server_config_destroy(cfg);
}

/* Descriptors synced while saving, directories marked. */
static int  g_nsync;
static bool g_sync_dir[8];

static int
spy_fsync(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && g_nsync < 8)
		g_sync_dir[g_nsync++] = S_ISDIR(st.st_mode);
	return fsync(fd);
}

/* The active config is durable: the file is synced, then socket_dir after the rename
 * (it once skipped the directory, so a crash could lose the rename). */
static void
test_save_active_synced(void **state)
{
	struct ctl_server_config *cfg;
	struct d_errbuf		  eb;
	char			  dir[] = "/tmp/test_cfg_XXXXXX", *path = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(ctl_server_config_default(&cfg), 0);
	g_nsync = 0;
	d_fs_fsync = spy_fsync;
	assert_int_equal(ctl_server_config_save_active(cfg, dir, &path, &eb), 0);
	d_fs_fsync = fsync;
	assert_int_equal(g_nsync, 2);
	assert_false(g_sync_dir[0]);
	assert_true(g_sync_dir[1]);
	unlink(path);
	rmdir(dir);
	free(path);
	ctl_server_config_destroy(cfg);
}

static void
test_search_order(void **state)
{
	char		       root[] = "/tmp/test_cfg_XXXXXX";
	char		       home[96], cdir[96], sdir[96], p[128];
	struct ctl_config_dirs dirs;
	struct d_errbuf	       eb;
	char		      *out = NULL;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(home, sizeof(home), "%s/home", root);
	snprintf(cdir, sizeof(cdir), "%s/conf", root);
	snprintf(sdir, sizeof(sdir), "%s/etc", root);
	mkdir(home, 0755);
	mkdir(cdir, 0755);
	mkdir(sdir, 0755);
	dirs = (struct ctl_config_dirs){.home = home, .config_dir = cdir, .sys_dir = sdir};

	/* -o wins even when the file does not exist (the loader reports it) */
	assert_int_equal(ctl_config_find(CTL_CFG_SERVER, "/x/y.yml", &dirs, &out, &eb), 0);
	assert_string_equal(out, "/x/y.yml");
	free(out);
	/* nothing: server and agent fail, dmg uses defaults */
	assert_int_equal(ctl_config_find(CTL_CFG_SERVER, NULL, &dirs, &out, &eb), -DER_NONEXIST);
	assert_non_null(strstr(eb.msg, "no daos_server.yml found"));
	assert_int_equal(ctl_config_find(CTL_CFG_AGENT, NULL, &dirs, &out, &eb), -DER_NONEXIST);
	out = (char *)"x";
	assert_int_equal(ctl_config_find(CTL_CFG_CONTROL, NULL, &dirs, &out, &eb), 0);
	assert_null(out);

	/* system directory, then the build's config dir before it */
	snprintf(p, sizeof(p), "%s/daos_server.yml", sdir);
	write_file(p, "port: 1\n", 0644);
	assert_int_equal(ctl_config_find(CTL_CFG_SERVER, NULL, &dirs, &out, &eb), 0);
	assert_string_equal(out, p);
	free(out);
	snprintf(p, sizeof(p), "%s/daos_server.yml", cdir);
	write_file(p, "port: 1\n", 0644);
	assert_int_equal(ctl_config_find(CTL_CFG_SERVER, NULL, &dirs, &out, &eb), 0);
	assert_string_equal(out, p);
	free(out);

	/* dmg: ~/.daos_control.yml before the others */
	snprintf(p, sizeof(p), "%s/daos_control.yml", sdir);
	write_file(p, "port: 1\n", 0644);
	assert_int_equal(ctl_config_find(CTL_CFG_CONTROL, NULL, &dirs, &out, &eb), 0);
	assert_string_equal(out, p);
	free(out);
	snprintf(p, sizeof(p), "%s/.daos_control.yml", home);
	write_file(p, "port: 1\n", 0644);
	assert_int_equal(ctl_config_find(CTL_CFG_CONTROL, NULL, &dirs, &out, &eb), 0);
	assert_string_equal(out, p);
	free(out);
	/* agent from the config dir */
	snprintf(p, sizeof(p), "%s/daos_agent.yml", cdir);
	write_file(p, "port: 1\n", 0644);
	assert_int_equal(ctl_config_find(CTL_CFG_AGENT, NULL, &dirs, &out, &eb), 0);
	assert_string_equal(out, p);
	free(out);

	snprintf(p, sizeof(p), "rm -rf %s", root);
	assert_int_equal(system(p), 0);
}

static void
test_overrides(void **state)
{
	struct ctl_server_config   *s;
	struct ctl_agent_config	   *a;
	struct ctl_control_config  *c;
	struct d_diags		    dg;
	struct d_errbuf		    eb;
	struct ctl_server_overrides so = {.port = "10002",
					  .targets = "4",
					  .xs_helpers = "1",
					  .first_core = "2",
					  .scm_mount = "/mnt/other",
					  .group = "sys2",
					  .socket_dir = "/tmp/s",
					  .modules = "vos",
					  .insecure = true};

	(void)state;
	d_diags_init(&dg, "ov");
	s = load_valid_server("ov",
			      "provider: ofi+tcp\nengines:\n- targets: 8\n"
			      "  fabric_iface: lo\n  fabric_iface_port: 31416\n  log_file: /a\n"
			      "  storage:\n  - class: ram\n    scm_mount: /mnt/daos\n",
			      &dg);
	assert_int_equal(ctl_server_config_override(s, &so, &eb), 0);
	assert_int_equal(s->port, 10002);
	/* the default replica is this server, on the port it listens on */
	assert_string_equal(s->mgmt_svc_replicas.v[0], "localhost:10002");
	assert_int_equal(s->engines[0].targets, 4);
	assert_int_equal(s->engines[0].nr_xs_helpers, 1);
	assert_int_equal(s->engines[0].first_core, 2);
	assert_string_equal(s->engines[0].storage[0].scm_mount, "/mnt/other");
	assert_string_equal(s->engines[0].modules, "vos");
	assert_string_equal(s->name, "sys2");
	assert_string_equal(s->socket_dir, "/tmp/s");
	assert_true(s->transport.allow_insecure);
	so = (struct ctl_server_overrides){.port = "abc"};
	assert_int_equal(ctl_server_config_override(s, &so, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "invalid argument for flag `-p, --port'"));
	so = (struct ctl_server_overrides){.targets = "0"};
	assert_int_equal(ctl_server_config_override(s, &so, &eb), -DER_INVAL);
	ctl_server_config_destroy(s);
	assert_int_equal(ctl_server_config_default(&s), 0);
	so = (struct ctl_server_overrides){.scm_mount = "/m"};
	assert_int_equal(ctl_server_config_override(s, &so, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "needs an engine with an scm tier"));
	ctl_server_config_destroy(s);

	assert_int_equal(ctl_agent_config_default(&a), 0);
	assert_int_equal(
		ctl_agent_config_override(a,
					  &(struct ctl_agent_overrides){.runtime_dir = "/tmp/r",
									.log_file = "/tmp/l",
									.insecure = true},
					  &eb),
		0);
	assert_string_equal(a->runtime_dir, "/tmp/r");
	assert_string_equal(a->log_file, "/tmp/l");
	assert_true(a->transport.allow_insecure);
	ctl_agent_config_destroy(a);

	assert_int_equal(ctl_control_config_default(&c), 0);
	assert_int_equal(
		ctl_control_config_override(
			c, &(struct ctl_control_overrides){.hostlist = "a,wolf-[71,72],c"}, &eb),
		0);
	/* kept whole: a split on ',' would cut the bracketed range apart */
	assert_int_equal(c->hostlist.n, 1);
	assert_string_equal(c->hostlist.v[0], "a,wolf-[71,72],c");
	assert_int_equal(
		ctl_control_config_override(
			c, &(struct ctl_control_overrides){.hostlist = "wolf-[72-71]"}, &eb),
		-DER_INVAL);
	assert_non_null(strstr(eb.msg, "-l/--host-list: "));
	assert_int_equal(ctl_control_config_override(
				 c, &(struct ctl_control_overrides){.hostlist = ","}, &eb),
			 -DER_INVAL);
	ctl_control_config_destroy(c);
	d_diags_fini(&dg);
}

static void
test_fault_cb_files(void **state)
{
	char			  dir[] = "/tmp/test_fcb_XXXXXX", sc[128], ln[128];
	struct ctl_server_config *cfg = NULL;
	struct d_diags		  dg;
	char			 *y;
	struct {
		const char *file;
		mode_t	    mode;
		const char *msg; /* NULL: valid */
	} cases[] = {
		{"ok.sh", 0755, NULL},
		{"writable.sh", 0777, "does not meet security requirements"},
		{"setuid.sh", 04755, "does not meet security requirements"},
		{"noexec.sh", 0644, "fault domain callback cannot be executed"},
		{"missing.sh", 0, "fault domain callback script not found"},
		{"link.sh", 0, "does not meet security requirements"},
	};
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (i = 0; i < D_ARRAY_SIZE(cases); i++) {
		snprintf(sc, sizeof(sc), "%s/%s", dir, cases[i].file);
		if (cases[i].mode != 0)
			write_file(sc, "#!/bin/sh\necho /r/h\n", cases[i].mode);
		if (strcmp(cases[i].file, "link.sh") == 0) {
			snprintf(ln, sizeof(ln), "%s/ok.sh", dir);
			assert_int_equal(symlink(ln, sc), 0);
		}
		y = d_asprintf("fault_cb: %s\n", sc);
		d_diags_init(&dg, "fcb");
		assert_int_equal(ctl_server_config_load_string("fcb", y, &cfg, &dg), 0);
		cfg->fault_cb_dir = dir;
		if (cases[i].msg == NULL) {
			assert_int_equal(ctl_server_config_validate(cfg, &dg), 0);
		} else {
			assert_int_equal(ctl_server_config_validate(cfg, &dg), -DER_INVAL);
			assert_non_null(strstr(dg.v[0].msg, cases[i].msg));
		}
		ctl_server_config_destroy(cfg);
		d_diags_fini(&dg);
		free(y);
		unlink(sc);
	}
	rmdir(dir);
}

static void
test_file_errors(void **state)
{
	struct ctl_server_config  *s = NULL;
	struct ctl_control_config *c = NULL;
	struct d_diags		   dg;
	char			   dir[] = "/tmp/test_cfe_XXXXXX", p[96];

	(void)state;
	d_diags_init(&dg, "/nonexistent/daos_server.yml");
	assert_int_equal(ctl_server_config_load("/nonexistent/daos_server.yml", &s, &dg),
			 -DER_NONEXIST);
	assert_null(s);
	assert_non_null(strstr(dg.v[0].msg, "config file not found"));
	d_diags_fini(&dg);

	assert_non_null(mkdtemp(dir));
	d_diags_init(&dg, dir);
	assert_int_equal(ctl_server_config_load(dir, &s, &dg), -DER_INVAL);
	assert_non_null(strstr(dg.v[0].msg, "is a directory"));
	d_diags_fini(&dg);

	/* dmg: an empty file is an error naming it; the server accepts it */
	snprintf(p, sizeof(p), "%s/empty.yml", dir);
	write_file(p, "", 0644);
	d_diags_init(&dg, p);
	assert_int_equal(ctl_control_config_load(p, &c, &dg), -DER_INVAL);
	assert_non_null(strstr(dg.v[0].msg, "empty config file: "));
	assert_non_null(strstr(dg.v[0].msg, p));
	d_diags_fini(&dg);
	d_diags_init(&dg, p);
	assert_int_equal(ctl_server_config_load(p, &s, &dg), 0);
	assert_string_equal(s->path, p);
	ctl_server_config_destroy(s);
	d_diags_fini(&dg);
	unlink(p);
	rmdir(dir);
}

/* ---- the generic loader, for each file kind --------------------------------------- */

static const struct cfg_file *const kinds[] = {&cfg_server_file, &cfg_agent_file,
					       &cfg_control_file};
static int			    fi_sentinel_obj;
#define FI_SENTINEL ((void *)&fi_sentinel_obj)

/* Loading `path` fails with `rc` and one message containing `msg`; *out untouched. */
static bool
load_fails(const struct cfg_file *f, const char *path, int rc, const char *msg)
{
	struct d_diags dg;
	void	      *cfg = FI_SENTINEL;
	bool	       ok;

	d_diags_init(&dg, path);
	ok = cfg_file_load(f, path, &cfg, &dg) == rc && cfg == FI_SENTINEL && dg.n == 1 &&
	     strstr(dg.v[0].msg, msg) != NULL;
	if (!ok)
		fprintf(stderr, "%s: loading %s: %s\n", f->name, path, dg.n ? dg.v[0].msg : "-");
	d_diags_fini(&dg);
	return ok;
}

/* Child: an unreadable file, for a user that may not read it (root reads anything). */
static int
unreadable_child(const char *path)
{
	size_t i;

	if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
		return 3;
	for (i = 0; i < D_ARRAY_SIZE(kinds); i++)
		if (!load_fails(kinds[i], path, -DER_NO_PERM, "permission denied"))
			return 1;
	return 0;
}

static void
test_file_kind_errors(void **state)
{
	char	       dir[] = "/tmp/test_cfk_XXXXXX", p[96], msg[256];
	struct d_diags dg;
	void	      *cfg;
	pid_t	       pid;
	size_t	       i;
	int	       st, rc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	chmod(dir, 0755);
	for (i = 0; i < D_ARRAY_SIZE(kinds); i++) {
		const struct cfg_file *f = kinds[i];

		snprintf(p, sizeof(p), "%s/missing.yml", dir);
		assert_true(load_fails(f, p, -DER_NONEXIST, "config file not found"));
		assert_true(load_fails(f, dir, -DER_INVAL, "is a directory"));
		snprintf(p, sizeof(p), "%s/bad.yml", dir);
		write_file(p, "port: [1\n", 0644);
		assert_true(load_fails(f, p, -DER_INVAL, "YAML syntax error"));
		write_file(p, "port: 10001\nno_such_key: 1\n", 0644);
		assert_true(load_fails(f, p, -DER_INVAL, "unknown key \"no_such_key\""));

		/* an empty file: the error of daos_control.yml, the defaults for the others */
		snprintf(p, sizeof(p), "%s/empty.yml", dir);
		write_file(p, "", 0644);
		d_diags_init(&dg, p);
		cfg = FI_SENTINEL;
		rc = cfg_file_load(f, p, &cfg, &dg);
		if (f->empty_hint != NULL) {
			assert_int_equal(rc, -DER_INVAL);
			assert_ptr_equal(cfg, FI_SENTINEL);
			assert_int_equal(dg.n, 1);
			snprintf(msg, sizeof(msg),
				 "empty config file: %s; add settings such as "
				 "hostlist or remove the file to use the defaults",
				 p);
			assert_string_equal(dg.v[0].msg, msg);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(dg.n, 0);
			assert_string_equal(*(char **)((char *)cfg + f->path_off), p);
			cfg_file_destroy(f, cfg);
		}
		d_diags_fini(&dg);
		unlink(p);
	}
	/* only dmg's file may be absent: a NULL path is the built-in defaults, no diags needed */
	assert_true(cfg_control_file.optional && !cfg_server_file.optional &&
		    !cfg_agent_file.optional);
	cfg = FI_SENTINEL;
	assert_int_equal(cfg_file_load(&cfg_control_file, NULL, &cfg, NULL), 0);
	assert_null(((struct ctl_control_config *)cfg)->path);
	assert_null(((struct ctl_control_config *)cfg)->doc);
	cfg_file_destroy(&cfg_control_file, cfg);
	cfg_file_destroy(&cfg_server_file, NULL);

	snprintf(p, sizeof(p), "%s/secret.yml", dir);
	write_file(p, "port: 10001\n", 0000);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(unreadable_child(p));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 3)
		print_message("unreadable file not tried: root without CAP_SETUID\n");
	else
		assert_int_equal(WEXITSTATUS(st), 0);
	unlink(p);
	snprintf(p, sizeof(p), "%s/bad.yml", dir);
	unlink(p);
	assert_int_equal(rmdir(dir), 0);
}

/* The search order and file names come from each kind's description. */
static void
test_file_kind_search(void **state)
{
	static const struct {
		enum ctl_config_kind kind;
		const char	    *name;
	} names[] = {
		{CTL_CFG_SERVER, "daos_server.yml"},
		{CTL_CFG_AGENT, "daos_agent.yml"},
		{CTL_CFG_CONTROL, "daos_control.yml"},
	};
	char		       root[] = "/tmp/test_cfs_XXXXXX", p[128], msg[400];
	struct ctl_config_dirs dirs;
	struct d_errbuf	       eb;
	char		      *out;
	size_t		       i;

	(void)state;
	assert_non_null(mkdtemp(root));
	dirs = (struct ctl_config_dirs){
		.home = root, .config_dir = "/nonexistent/c", .sys_dir = "/nonexistent/s"};
	for (i = 0; i < D_ARRAY_SIZE(names); i++) {
		const struct cfg_file *f = cfg_file_get(names[i].kind);

		assert_ptr_equal(f, kinds[i]);
		assert_string_equal(f->name, names[i].name);
		/* ~/.<name>: dmg's per-user file, nobody else's */
		snprintf(p, sizeof(p), "%s/.%s", root, f->name);
		write_file(p, "port: 10001\n", 0644);
		out = (char *)"untouched";
		if (names[i].kind == CTL_CFG_CONTROL) {
			assert_int_equal(ctl_config_find(names[i].kind, NULL, &dirs, &out, &eb), 0);
			assert_string_equal(out, p);
			free(out);
		} else {
			assert_int_equal(ctl_config_find(names[i].kind, NULL, &dirs, &out, &eb),
					 -DER_NONEXIST);
			assert_string_equal(out, "untouched");
			snprintf(msg, sizeof(msg),
				 "no %s found (looked for /nonexistent/c/%s and "
				 "/nonexistent/s/%s); give the file with -o",
				 f->name, f->name, f->name);
			assert_string_equal(eb.msg, msg);
		}
		unlink(p);
	}
	assert_int_equal(rmdir(root), 0);
}

/* Rules shared by the files: exact messages, keys and lines, per file. */
static void
test_common_rules(void **state)
{
	static const struct {
		const struct cfg_file *f;
		const char	      *text;
		const char	      *diag[4]; /* "line|key|message" */
	} cases[] = {
		{&cfg_server_file,
		 "name: abcdefghijklmnop\n",
		 {"1|name|invalid system name: \"abcdefghijklmnop\"; use 1 to 15 characters"}},
		{&cfg_agent_file,
		 "name: abcdefghijklmnop\nport: 0\naccess_points: [a, \"\", b, \"\"]\n",
		 {"1|name|invalid system name: abcdefghijklmnop; use 1 to 15 characters",
		  "2|port|invalid control port 0; use a port between 1 and 65535, default 10001",
		  "3|access_points[1]|empty access point address; give a host name or address",
		  "3|access_points[3]|empty access point address; give a host name or address"}},
		{&cfg_control_file,
		 "hostlist:\n- h\n- \"\"\nname: \"\"\nport: 65536\n",
		 {"4|name|invalid system name: \"\"; use 1 to 15 characters",
		  "5|port|invalid control port 65536; use a port between 1 and 65535, default 10001",
		  "3|hostlist[1]|empty host address; give a host name or address"}},
	};
	struct d_diags dg;
	void	      *cfg;
	size_t	       i, j;
	char	       got[256];

	(void)state;
	for (i = 0; i < D_ARRAY_SIZE(cases); i++) {
		d_diags_init(&dg, cases[i].f->name);
		cfg = FI_SENTINEL;
		assert_int_equal(cfg_file_load_string(cases[i].f, cases[i].f->name, cases[i].text,
						      &cfg, &dg),
				 -DER_INVAL);
		assert_ptr_equal(cfg, FI_SENTINEL);
		for (j = 0; j < D_ARRAY_SIZE(cases[i].diag) && cases[i].diag[j] != NULL; j++) {
			assert_true(j < dg.n);
			assert_int_equal(dg.v[j].sev, D_DIAG_ERROR);
			snprintf(got, sizeof(got), "%d|%s|%s", dg.v[j].line,
				 dg.v[j].key ? dg.v[j].key : "", dg.v[j].msg);
			assert_string_equal(got, cases[i].diag[j]);
		}
		assert_int_equal(dg.n, j);
		d_diags_fini(&dg);
	}
}

/*
 * Out of memory (unit_fi.h): with the Nth and every later allocation failing,
 * each entry point returns -DER_NOMEM and leaves *out alone, or succeeds with
 * the whole result: no notice lost, no field missing.  A child exits 0 when
 * an injected failure was handled, 2 when nothing failed (the sweep is over),
 * 1 when something was wrong.
 */
struct fi_kind {
	const struct cfg_file *f;
	const char	      *text;
	/* `cfg` and `dg` hold everything `text` should give */
	bool (*complete)(const void *cfg, const struct d_diags *dg);
	bool (*default_complete)(const void *cfg);
};

static bool
fi_server_complete(const void *cfg, const struct d_diags *dg)
{
	const struct ctl_server_config *s = cfg;

	/* the access_points notice is the last allocation of a string load */
	return d_diags_count(dg, D_DIAG_NOTICE) == 1 && s->mgmt_svc_replicas.n == 1 &&
	       strcmp(s->mgmt_svc_replicas.v[0], "h1") == 0 && strcmp(s->name, "s1") == 0;
}

static bool
fi_server_default(const void *cfg)
{
	const struct ctl_server_config *s = cfg;

	return s->mgmt_svc_replicas.n == 1 &&
	       strcmp(s->mgmt_svc_replicas.v[0], "localhost:10001") == 0 &&
	       strcmp(s->transport.cert, "/etc/daos/certs/server.crt") == 0;
}

static bool
fi_agent_complete(const void *cfg, const struct d_diags *dg)
{
	const struct ctl_agent_config *a = cfg;

	return dg->n == 0 && strcmp(a->name, "a1") == 0 && a->access_points.n == 1 &&
	       a->credential_config.nclient_user_map == 1 &&
	       strcmp(a->credential_config.client_user_map[0].user, "u") == 0;
}

static bool
fi_agent_default(const void *cfg)
{
	const struct ctl_agent_config *a = cfg;

	return strcmp(a->runtime_dir, "/var/run/daos_agent") == 0 && a->access_points.n == 1;
}

static bool
fi_control_complete(const void *cfg, const struct d_diags *dg)
{
	const struct ctl_control_config *c = cfg;

	return dg->n == 0 && c->hostlist.n == 2 && strcmp(c->hostlist.v[1], "h2") == 0;
}

static bool
fi_control_default(const void *cfg)
{
	const struct ctl_control_config *c = cfg;

	return c->hostlist.n == 1 && strcmp(c->transport.key, "/etc/daos/certs/admin.key") == 0;
}

static const struct fi_kind fi_kinds[] = {
	{&cfg_server_file, "name: s1\naccess_points: [h1]\n", fi_server_complete,
	 fi_server_default},
	{&cfg_agent_file,
	 "name: a1\naccess_points: [h1]\ncredential_config:\n  client_user_map:\n"
	 "    1000:\n      user: u\n",
	 fi_agent_complete, fi_agent_default},
	{&cfg_control_file, "hostlist: [h1, h2]\n", fi_control_complete, fi_control_default},
};

static bool
fi_outcome(const struct fi_kind *k, int rc, void *cfg, const struct d_diags *dg, const char *path)
{
	bool ok;

	if (rc == -DER_NOMEM)
		return cfg == FI_SENTINEL;
	ok = rc == 0 && cfg != FI_SENTINEL && !dg->nomem && k->complete(cfg, dg);
	if (ok && path != NULL)
		ok = strcmp(*(char **)((char *)cfg + k->f->path_off), path) == 0;
	if (rc == 0 && cfg != FI_SENTINEL)
		cfg_file_destroy(k->f, cfg);
	return ok;
}

static int
fi_kind_run(const struct fi_kind *k)
{
	struct d_diags dg;
	char	       path[256];
	void	      *cfg, *probe;
	bool	       ok;
	int	       rc;

	snprintf(path, sizeof(path), "%s/%s", getenv("CFG_FI_DIR"), k->f->name);
	d_diags_init(&dg, k->f->name);
	cfg = FI_SENTINEL;
	rc = cfg_file_load_string(k->f, k->f->name, k->text, &cfg, &dg);
	ok = fi_outcome(k, rc, cfg, &dg, NULL);
	d_diags_fini(&dg);

	d_diags_init(&dg, path);
	cfg = FI_SENTINEL;
	rc = cfg_file_load(k->f, path, &cfg, &dg);
	ok = fi_outcome(k, rc, cfg, &dg, path) && ok;
	d_diags_fini(&dg);

	cfg = FI_SENTINEL;
	rc = cfg_file_default(k->f, &cfg);
	if (rc == 0) {
		ok = cfg != FI_SENTINEL && k->default_complete(cfg) && ok;
		cfg_file_destroy(k->f, cfg);
	} else {
		ok = rc == -DER_NOMEM && cfg == FI_SENTINEL && ok;
	}
	if (!ok)
		return 1;
	D_ALLOC(probe, 1);
	if (probe == NULL)
		return 0;
	D_FREE(probe);
	return 2;
}

static int
fi_server(void)
{
	return fi_kind_run(&fi_kinds[0]);
}

static int
fi_agent(void)
{
	return fi_kind_run(&fi_kinds[1]);
}

static int
fi_control(void)
{
	return fi_kind_run(&fi_kinds[2]);
}

static const struct unit_fi_case fi_cases[] = {
	{"server", fi_server},
	{"agent", fi_agent},
	{"control", fi_control},
	{NULL, NULL},
};

static void
test_alloc_failures(void **state)
{
	char   dir[] = "/tmp/test_cfi_XXXXXX", p[96];
	size_t i;
	int    n, r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	setenv("CFG_FI_DIR", dir, 1);
	for (i = 0; i < D_ARRAY_SIZE(fi_kinds); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, fi_kinds[i].f->name);
		write_file(p, fi_kinds[i].text, 0644);
	}
	for (i = 0; i < D_ARRAY_SIZE(fi_cases) - 1; i++) {
		for (n = 1;; n++) {
			r = unit_fi_run(fi_cases[i].name, n);
			if (r != 0 && r != 2)
				fail_msg("%s: allocation %d failing: child status %d",
					 fi_cases[i].name, n, r);
			if (r == 2)
				break;
			assert_true(n < 100000);
		}
		assert_true(n > 10); /* the sweep reached the loader's allocations */
	}
	for (i = 0; i < D_ARRAY_SIZE(fi_kinds); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, fi_kinds[i].f->name);
		unlink(p);
	}
	unsetenv("CFG_FI_DIR");
	assert_int_equal(rmdir(dir), 0);
}

static void
test_yaml_helpers(void **state)
{
	struct {
		const char *s;
		int	    rc;
		int64_t	    v;
	} ints[] = {
		{"10001", 0, 10001},
		{"0x13", 0, 0x13},
		{"0o17", 0, 017},
		{"010", 0, 8},
		{"0b101", 0, 5},
		{"1_000", 0, 1000},
		{"-5", 0, -5},
		{"+7", 0, 7},
		{"1.5", -DER_INVAL},
		{"abc", -DER_INVAL},
		{"", -DER_INVAL},
		{"99999999999999999999", -DER_OVERFLOW},
		{"-9223372036854775808", 0, INT64_MIN},
	};
	struct d_yaml_doc *doc = NULL;
	struct d_diags	   dg;
	int64_t		   v, ns;
	size_t		   i;
	char		   buf[32];

	(void)state;
	for (i = 0; i < D_ARRAY_SIZE(ints); i++) {
		assert_int_equal(d_yaml_parse_int(ints[i].s, &v), ints[i].rc);
		if (ints[i].rc == 0)
			assert_int_equal(v, ints[i].v);
	}
	d_diags_init(&dg, "h");
	assert_int_equal(d_yaml_load_string("h", "a:\n  b:\n  - x\n  - c: 1\n",
					    strlen("a:\n  b:\n  - x\n  - c: 1\n"), &doc, &dg),
			 0);
	assert_int_equal(d_yaml_path_line(doc->root, "a.b[1].c"), 4);
	assert_int_equal(d_yaml_path_line(doc->root, "a.b[0]"), 3);
	assert_int_equal(d_yaml_path_line(doc->root, "a.b[7].c"), 2);
	assert_int_equal(d_yaml_path_line(doc->root, "a.zz"), 1);
	assert_string_equal(d_yaml_describe(d_yaml_map_get(doc->root, "a")), "a mapping");
	d_yaml_doc_destroy(doc);
	d_diags_fini(&dg);

	assert_int_equal(cfg_parse_duration("1m30s", &ns), 0);
	assert_int_equal(ns, 90000000000LL);
	assert_int_equal(cfg_parse_duration("1.5h", &ns), 0);
	assert_int_equal(ns, 5400000000000LL);
	assert_int_equal(cfg_parse_duration("250ms", &ns), 0);
	assert_int_equal(ns, 250000000LL);
	assert_int_equal(cfg_parse_duration("5", &ns), -DER_INVAL);
	assert_int_equal(cfg_parse_duration("m", &ns), -DER_INVAL);
	cfg_format_duration(5400000000000LL, buf, sizeof(buf));
	assert_string_equal(buf, "1h30m");
	cfg_format_duration(0, buf, sizeof(buf));
	assert_string_equal(buf, "0s");
	cfg_format_duration(250000000LL, buf, sizeof(buf));
	assert_string_equal(buf, "250ms");

	assert_int_equal(ctl_pci_addr_check("0000:81:00.0"), 0);
	assert_int_equal(ctl_pci_addr_check("5d0505:01:00.0"), 0);
	assert_int_equal(ctl_pci_addr_check("0000:81:00"), -DER_INVAL);
	assert_int_equal(ctl_pci_addr_check("0000:81:00.a0"), -DER_INVAL);
	assert_int_equal(ctl_pci_addr_check("/dev/sda"), -DER_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_files_load),
		cmocka_unit_test(test_uncommented_server_file),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_save_active),
		cmocka_unit_test(test_search_order),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_fault_cb_files),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_yaml_helpers),
		cmocka_unit_test(test_file_kind_errors),
		cmocka_unit_test(test_file_kind_search),
		cmocka_unit_test(test_common_rules),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_save_active_synced),
	};

	unit_fi_dispatch(fi_cases);
	return cmocka_run_group_tests_name("config_load", tests, NULL, NULL);
}
