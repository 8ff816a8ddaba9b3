/*
 * Unit tests of the daos_server_helper wire and checks (src/control/lib/
 * storage/storage_helper.c): request text both ways and every refusal of
 * the parser, the response text, whether a config file is one only root can
 * change (needs root to create files of another owner), and whether a
 * request is about the SCM of a configured engine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/common.h"
#include "common/yaml_doc.h"
#include "control/lib/storage/storage.h"

static void
parse_fails(const char *text, const char *msg)
{
	struct ctl_helper_req req;
	struct d_errbuf	      eb = {{0}};

	assert_int_equal(ctl_helper_req_parse(text, strlen(text), &req, &eb), -DER_INVAL);
	if (strcmp(eb.msg, msg) != 0)
		fail_msg("\"%s\": got \"%s\", want \"%s\"", text, eb.msg, msg);
}

static void
test_request_round_trip(void **state)
{
	struct ctl_helper_req req = {.op = CTL_HELPER_SCM_MOUNT_RAM, .size_gib = 4};
	struct ctl_helper_req back;
	struct d_errbuf	      eb = {{0}};
	char		     *text;

	(void)state;
	strcpy(req.config, "/etc/daos/daos_server.yml");
	strcpy(req.mount, "/mnt/daos 0");
	text = ctl_helper_req_format(&req);
	assert_string_equal(text, "op=scm-mount-ram\nconfig=/etc/daos/daos_server.yml\n"
				  "mount=/mnt/daos 0\nsize_gib=4\n");
	assert_int_equal(ctl_helper_req_parse(text, strlen(text), &back, &eb), 0);
	assert_int_equal(back.op, CTL_HELPER_SCM_MOUNT_RAM);
	assert_string_equal(back.config, req.config);
	assert_string_equal(back.mount, req.mount);
	assert_string_equal(back.device, "");
	assert_int_equal(back.size_gib, 4);
	D_FREE(text);

	memset(&req, 0, sizeof(req));
	req.op = CTL_HELPER_SCM_MOUNT_DCPM;
	strcpy(req.config, "/c.yml");
	strcpy(req.device, "/dev/pmem0");
	strcpy(req.mount, "/mnt/daos0");
	text = ctl_helper_req_format(&req);
	assert_string_equal(text, "op=scm-mount-dcpm\nconfig=/c.yml\nmount=/mnt/daos0\n"
				  "device=/dev/pmem0\n");
	assert_int_equal(ctl_helper_req_parse(text, strlen(text), &back, &eb), 0);
	assert_string_equal(back.device, "/dev/pmem0");
	D_FREE(text);

	/* What cannot be written is not written: a newline in a path, a missing field. */
	strcpy(req.mount, "/mnt/x\nsize_gib=1");
	assert_null(ctl_helper_req_format(&req));
	req.mount[0] = '\0';
	assert_null(ctl_helper_req_format(&req));
	req.op = CTL_HELPER_NONE;
	assert_null(ctl_helper_req_format(&req));
	assert_string_equal(ctl_helper_op_name(CTL_HELPER_SCM_UNMOUNT), "scm-unmount");
	assert_string_equal(ctl_helper_op_name((enum ctl_helper_op)99), "?");
}

static void
test_request_refusals(void **state)
{
	char big[CTL_HELPER_REQ_MAX + 2];

	(void)state;
	parse_fails("", "empty request");
	parse_fails("config=/c\nop=scm-unmount\n", "line 1: the request must start with op=");
	parse_fails("op=scm-format-everything\n", "line 1: unknown op \"scm-format-everything\"");
	parse_fails("op=scm-unmount\nconfig=/c\nmount=/m", "line 3: not ended by a newline");
	parse_fails("op=scm-unmount\nconfig /c\n", "line 2: expected key=value");
	parse_fails("op=scm-unmount\nconfig=/c\nconfig=/d\n", "line 3: config given twice");
	parse_fails("op=scm-unmount\nconfig=/c\nmount=/m\nmount=/n\n", "line 4: mount given twice");
	parse_fails("op=scm-unmount\nconfig=/c\nuid=0\n", "line 3: unknown key \"uid\"");
	parse_fails("op=scm-unmount\nconfig=/c\ndevice=/dev/sda\n",
		    "line 3: op scm-unmount takes no device");
	parse_fails("op=scm-unmount\nconfig=c.yml\n", "line 2: config must be an absolute path");
	parse_fails("op=scm-unmount\nconfig=/c\nmount=\n",
		    "line 3: mount must be an absolute path");
	parse_fails("op=scm-unmount\nconfig=/c\nmount=/m\tx\n",
		    "line 3: control character in the value");
	parse_fails("op=scm-mount-ram\nconfig=/c\nmount=/m\nsize_gib=-1\n",
		    "line 4: size_gib must be a whole number");
	parse_fails("op=scm-mount-ram\nconfig=/c\nmount=/m\nsize_gib=99999999999999999999\n",
		    "line 4: size_gib must be a whole number");
	parse_fails("op=scm-mount-ram\nconfig=/c\nmount=/m\n", "op scm-mount-ram needs size_gib");
	parse_fails("op=scm-mount-dcpm\nmount=/m\ndevice=/d\n", "op scm-mount-dcpm needs config");
	parse_fails("op=scm-mkfs-dcpm\nconfig=/c\n", "op scm-mkfs-dcpm needs device");
	{
		char line[PATH_MAX + 64];

		snprintf(line, sizeof(line), "op=scm-unmount\nconfig=/c\nmount=/%0*d\n", PATH_MAX,
			 0);
		parse_fails(line, "line 3: mount is longer than 4095 bytes");
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	parse_fails(big, "request of 8193 bytes is longer than 8192");
}

static void
test_response(void **state)
{
	struct d_errbuf eb = {{0}};
	char	       *text;
	int		st = 1;

	(void)state;
	text = ctl_helper_resp_format(0, "ignored");
	assert_string_equal(text, "status=0\n");
	assert_int_equal(ctl_helper_resp_parse(text, strlen(text), &st, &eb), 0);
	assert_int_equal(st, 0);
	D_FREE(text);
	text = ctl_helper_resp_format(-DER_NO_PERM, "two\nlines");
	assert_string_equal(text, "status=-1001\nmessage=two lines\n");
	assert_int_equal(ctl_helper_resp_parse(text, strlen(text), &st, &eb), 0);
	assert_int_equal(st, -DER_NO_PERM);
	assert_string_equal(eb.msg, "two lines");
	D_FREE(text);
	assert_int_equal(ctl_helper_resp_parse("status=-1003\n", 13, &st, &eb), 0);
	assert_string_equal(eb.msg, d_errstr(-DER_INVAL));
	assert_int_equal(ctl_helper_resp_parse("", 0, &st, &eb), -DER_PROTO);
	assert_int_equal(ctl_helper_resp_parse("status=1\n", 9, &st, &eb), -DER_PROTO);
	assert_int_equal(ctl_helper_resp_parse("status=x\n", 9, &st, &eb), -DER_PROTO);
	assert_int_equal(ctl_helper_resp_parse("status=0", 8, &st, &eb), -DER_PROTO);
}

static char tmpdir[64];

static void
put(const char *path, const char *text, mode_t mode, uid_t uid)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
	assert_int_equal(chown(path, uid, 0), 0);
}

static void
test_config_trusted(void **state)
{
	struct d_errbuf eb = {{0}};
	char		sub[128], cfg[160], want[1024], real[PATH_MAX];

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hlpXXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	assert_int_equal(chmod(tmpdir, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/etc", tmpdir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(cfg, sizeof(cfg), "%s/daos_server.yml", sub);
	put(cfg, "name: daos_server\n", 0644, 0);

	/* Root may use any file; others only one that only root can change. */
	assert_int_equal(ctl_helper_config_trusted(cfg, 0, real, sizeof(real), &eb), 0);
	assert_string_equal(real, cfg);
	assert_int_equal(ctl_helper_config_trusted(cfg, 65534, real, sizeof(real), &eb), 0);
	assert_string_equal(real, cfg); /* the file to load: the one checked */
	assert_int_equal(
		ctl_helper_config_trusted("/nonexistent/x.yml", 65534, real, sizeof(real), &eb),
		-DER_NONEXIST);

	assert_int_equal(chown(cfg, 65534, 0), 0);
	assert_int_equal(ctl_helper_config_trusted(cfg, 65534, real, sizeof(real), &eb),
			 -DER_NO_PERM);
	snprintf(want, sizeof(want),
		 "configuration file %s is not owned by root: the helper acts only on a "
		 "configuration that only root can change (chown root %s; chmod go-w %s)",
		 cfg, cfg, cfg);
	assert_string_equal(eb.msg, want);
	assert_int_equal(chown(cfg, 0, 0), 0);

	assert_int_equal(chmod(cfg, 0664), 0);
	assert_int_equal(ctl_helper_config_trusted(cfg, 65534, real, sizeof(real), &eb),
			 -DER_NO_PERM);
	assert_non_null(strstr(eb.msg, "is writable by group or others"));
	assert_int_equal(chmod(cfg, 0644), 0);

	/* A directory above it that someone else could rename things in. */
	assert_int_equal(chmod(sub, 0777), 0);
	assert_int_equal(ctl_helper_config_trusted(cfg, 65534, real, sizeof(real), &eb),
			 -DER_NO_PERM);
	snprintf(want, sizeof(want),
		 "directory %s of configuration file %s is writable by group or others: the "
		 "helper acts only on paths that only root can change",
		 sub, cfg);
	assert_string_equal(eb.msg, want);
	/* ... unless sticky, as /tmp (the file's owner is then the only one who may). */
	assert_int_equal(chmod(sub, 01777), 0);
	assert_int_equal(ctl_helper_config_trusted(cfg, 65534, real, sizeof(real), &eb), 0);
	assert_int_equal(chmod(sub, 0755), 0);
	assert_int_equal(chown(sub, 65534, 0), 0);
	assert_int_equal(ctl_helper_config_trusted(cfg, 65534, real, sizeof(real), &eb),
			 -DER_NO_PERM);
	assert_non_null(strstr(eb.msg, "is not owned by root"));

	/* A directory is not a configuration file. */
	assert_int_equal(ctl_helper_config_trusted(sub, 65534, real, sizeof(real), &eb),
			 -DER_INVAL);
	snprintf(want, sizeof(want), "configuration file %s is not a regular file", sub);
	assert_string_equal(eb.msg, want);

	/* A symlink is judged by what it points to (and where that is). */
	{
		char link[160];

		snprintf(link, sizeof(link), "%s/link.yml", tmpdir);
		assert_int_equal(symlink(cfg, link), 0);
		assert_int_equal(ctl_helper_config_trusted(link, 65534, real, sizeof(real), &eb),
				 -DER_NO_PERM);
		assert_non_null(strstr(eb.msg, sub));
		unlink(link);
	}
	/* Where the helper mounts: only root may change the directories above. */
	assert_int_equal(chmod(sub, 0755), 0);
	{
		char mnt[200], link[200];

		snprintf(mnt, sizeof(mnt), "%s/scm0", sub);
		assert_int_equal(ctl_helper_path_trusted(mnt, "scm_mount", 65534, &eb),
				 -DER_NO_PERM); /* sub is 65534's */
		snprintf(want, sizeof(want),
			 "directory %s of scm_mount %s is not owned by root: the helper acts "
			 "only on paths that only root can change",
			 sub, mnt);
		assert_string_equal(eb.msg, want);
		assert_int_equal(chown(sub, 0, 0), 0);
		/* missing tail: root creates it under trusted directories */
		snprintf(mnt, sizeof(mnt), "%s/scm0/deeper", sub);
		assert_int_equal(ctl_helper_path_trusted(mnt, "scm_mount", 65534, &eb), 0);
		assert_int_equal(ctl_helper_path_trusted(mnt, "scm_mount", 0, &eb), 0);
		/* a root symlink into a directory another user owns: judged where it leads */
		snprintf(link, sizeof(link), "%s/user", tmpdir);
		assert_int_equal(mkdir(link, 0755), 0);
		assert_int_equal(chown(link, 65534, 65534), 0);
		snprintf(mnt, sizeof(mnt), "%s/via", sub);
		assert_int_equal(symlink(link, mnt), 0);
		snprintf(mnt, sizeof(mnt), "%s/via/scm0", sub);
		assert_int_equal(ctl_helper_path_trusted(mnt, "scm_mount", 65534, &eb),
				 -DER_NO_PERM);
		snprintf(want, sizeof(want),
			 "scm_mount %s goes through a symbolic link or a relative component (%s is "
			 "%s/scm0): name the real path in the configuration",
			 mnt, mnt, link);
		/* the missing tail is cut first: the link itself is what differs */
		assert_non_null(strstr(eb.msg, "goes through a symbolic link"));
		/* a sticky directory above a mount point: its entries are whoever's made them */
		assert_int_equal(chmod(sub, 01777), 0);
		snprintf(mnt, sizeof(mnt), "%s/scm0", sub);
		assert_int_equal(ctl_helper_path_trusted(mnt, "scm_mount", 65534, &eb),
				 -DER_NO_PERM);
		assert_non_null(strstr(eb.msg, "is writable by group or others"));
		assert_int_equal(chmod(sub, 0755), 0);
		assert_int_equal(ctl_helper_path_trusted("rel/x", "scm_mount", 65534, &eb),
				 -DER_INVAL);
		assert_string_equal(eb.msg, "scm_mount rel/x is not an absolute path");
		snprintf(mnt, sizeof(mnt), "%s/via", sub);
		unlink(mnt);
		rmdir(link);
	}
	unlink(cfg);
	rmdir(sub);
	rmdir(tmpdir);
}

static struct ctl_server_config *
config(void)
{
	static const char text[] =
		"provider: ofi+tcp\n"
		"engines:\n"
		"- targets: 1\n  fabric_iface: lo\n  fabric_iface_port: 31416\n"
		"  storage:\n  - class: ram\n    scm_mount: /mnt/daos0\n"
		"- targets: 1\n  fabric_iface: lo\n  fabric_iface_port: 31516\n"
		"  storage:\n  - class: dcpm\n    scm_mount: /mnt/daos1\n    scm_list: [/dev/pmem1]\n";
	struct ctl_server_config *cfg = NULL;
	struct d_diags		  dg;

	d_diags_init(&dg, "helper");
	assert_int_equal(ctl_server_config_load_string("helper", text, &cfg, &dg), 0);
	d_diags_fini(&dg);
	return cfg;
}

static void
check(const struct ctl_server_config *cfg, enum ctl_helper_op op, const char *mount,
      const char *device, int rc, uint32_t engine, const char *msg)
{
	struct ctl_helper_req req = {.op = op};
	struct d_errbuf	      eb = {{0}};
	uint32_t	      idx = 99;

	strcpy(req.config, "/etc/daos/daos_server.yml");
	strcpy(req.mount, mount);
	strcpy(req.device, device);
	assert_int_equal(ctl_helper_req_check(cfg, &req, 65534, &idx, &eb), rc);
	if (rc == 0)
		assert_int_equal(idx, engine);
	else if (strcmp(eb.msg, msg) != 0)
		fail_msg("got \"%s\", want \"%s\"", eb.msg, msg);
}

static void
test_request_check(void **state)
{
	struct ctl_server_config *cfg = config();

	(void)state;
	check(cfg, CTL_HELPER_SCM_MOUNT_RAM, "/mnt/daos0", "", 0, 0, NULL);
	check(cfg, CTL_HELPER_SCM_UNMOUNT, "/mnt/daos0", "", 0, 0, NULL);
	check(cfg, CTL_HELPER_SCM_UNMOUNT, "/mnt/daos1", "", 0, 1, NULL);
	check(cfg, CTL_HELPER_SCM_MKFS_DCPM, "", "/dev/pmem1", 0, 1, NULL);
	check(cfg, CTL_HELPER_SCM_MOUNT_DCPM, "/mnt/daos1", "/dev/pmem1", 0, 1, NULL);

	check(cfg, CTL_HELPER_SCM_UNMOUNT, "/etc", "", -DER_NO_PERM, 0,
	      "/etc is not the scm_mount of an engine in /etc/daos/daos_server.yml; the helper "
	      "only acts on the SCM of the configured engines");
	check(cfg, CTL_HELPER_SCM_MOUNT_RAM, "/mnt/daos0/../../etc", "", -DER_NO_PERM, 0,
	      "/mnt/daos0/../../etc is not the scm_mount of an engine in "
	      "/etc/daos/daos_server.yml; the helper only acts on the SCM of the configured "
	      "engines");
	check(cfg, CTL_HELPER_SCM_MOUNT_RAM, "/mnt/daos1", "", -DER_NO_PERM, 0,
	      "/mnt/daos1 is the scm_mount of engine 1 in /etc/daos/daos_server.yml, of class "
	      "dcpm, not ram");
	check(cfg, CTL_HELPER_SCM_MKFS_DCPM, "", "/dev/sda", -DER_NO_PERM, 0,
	      "/dev/sda is not the scm_list device of a dcpm engine in "
	      "/etc/daos/daos_server.yml; the helper only acts on the SCM of the configured "
	      "engines");
	/* Device and mount of two different engines, or of a ram engine. */
	check(cfg, CTL_HELPER_SCM_MOUNT_DCPM, "/mnt/daos0", "/dev/pmem1", -DER_NO_PERM, 0,
	      "/dev/pmem1 on /mnt/daos0 is not the scm_list device and scm_mount of a dcpm "
	      "engine in /etc/daos/daos_server.yml; the helper only acts on the SCM of the "
	      "configured engines");
	/* an automatic size (no scm_size) is capped by this host's memory, for non-root */
	{
		struct ctl_helper_req req = {.op = CTL_HELPER_SCM_MOUNT_RAM,
					     .size_gib = 1ULL << 40};
		struct d_errbuf	      eb = {{0}};
		uint32_t	      idx;

		strcpy(req.config, "/etc/daos/daos_server.yml");
		strcpy(req.mount, "/mnt/daos0");
		assert_int_equal(ctl_helper_req_check(cfg, &req, 65534, &idx, &eb), -DER_NO_PERM);
		assert_non_null(strstr(eb.msg, "size_gib 1099511627776 is more than the "));
		assert_int_equal(ctl_helper_req_check(cfg, &req, 0, &idx, &eb), 0);
	}
	ctl_server_config_destroy(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_round_trip), cmocka_unit_test(test_request_refusals),
		cmocka_unit_test(test_response),	   cmocka_unit_test(test_config_trusted),
		cmocka_unit_test(test_request_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
