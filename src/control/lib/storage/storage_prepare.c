/*
 * Preparation of local storage for DAOS, on the machine or on a fixture:
 *
 *   - PMem: one (or -S N) fsdax namespace per PMem region with free space;
 *     modules without regions need ipmctl allocation goals and a reboot,
 *     which we report instead of doing; reset destroys the namespaces.
 *   - NVMe: no SPDK.  Devices stay with the kernel nvme driver; prepare
 *     reserves hugepages and hands the namespaces' block devices of the
 *     selected controllers to the target user; reset gives them back to
 *     root (group "disk") and releases the hugepages prepare reserved, which
 *     it recorded in a state file (/run/daos_server/nvme_prepare.state).
 *
 * Everything is validated before anything is changed, and every action
 * requires root.  The machine or the fixture is reached only through
 * ctl_hw() (hw.h).
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "control/lib/hw/hw.h"
#include "control/lib/storage/storage.h"

#define PATH_LEN 4096

/* nvme prepare's record of the hugepages it reserved, in the CTL_HW_RUN place. */
#define NVME_STATE_NAME "nvme_prepare.state"

static void say(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(FILE *out, const char *fmt, ...)
{
	va_list ap;

	if (out == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

static int
require_root(const char *what, struct d_errbuf *eb)
{
	if (geteuid() == 0)
		return 0;
	d_errbuf_set(eb, "%s requires root privileges (running as uid %u); run the command as root",
		     what, (unsigned)geteuid());
	return -DER_NO_PERM;
}

void
ctl_scm_prepare_resp_fini(struct ctl_scm_prepare_resp *resp)
{
	if (resp == NULL)
		return;
	D_FREE(resp->namespaces);
	resp->nr_namespaces = 0;
}

static int
no_pmem(struct d_errbuf *eb)
{
	d_errbuf_set(eb, "No PMem modules exist on storage server");
	return -DER_NONEXIST;
}

int
ctl_scm_prepare(const struct ctl_scm_prepare_req *req, struct ctl_scm_prepare_resp *resp, FILE *out,
		struct d_errbuf *eb)
{
	const struct ctl_hw_ops	 *hw = ctl_hw();
	struct ctl_storage_scan	 *s = NULL;
	struct ctl_scm_namespace *nss = NULL;
	int			  nr = 0;
	int			  matched = 0;
	int			  i;
	unsigned int		  k;
	int			  rc;

	if (req->nr_ns_per_socket == 0) {
		d_errbuf_set(eb, "(-S|--scm-ns-per-socket) should be set to at least 1");
		return -DER_INVAL;
	}
	if (req->nr_ns_per_socket > CTL_SCM_NS_PER_SOCKET_MAX) {
		d_errbuf_set(eb,
			     "unexpected number of namespaces requested per socket: want [1-%d], "
			     "got %u",
			     CTL_SCM_NS_PER_SOCKET_MAX, req->nr_ns_per_socket);
		return -DER_INVAL;
	}
	rc = require_root("preparing PMem", eb);
	if (rc != 0)
		return rc;
	rc = ctl_storage_scan(CTL_SCAN_SCM, &s, eb);
	if (rc != 0)
		return rc;
	if (s->nr_modules == 0) {
		rc = no_pmem(eb);
		goto out;
	}
	if (s->nr_regions == 0) {
		say(out,
		    "%d PMem module(s) found but no PMem AppDirect interleaved regions exist. "
		    "Regions are created from memory allocation goals that this daos_server "
		    "does not set (no ipmctl): run `ipmctl create -f -goal "
		    "PersistentMemoryType=AppDirect` (one interleaved region per socket), "
		    "reboot, then run this command again. A reboot is required to process new "
		    "PMem memory allocation goals.",
		    s->nr_modules);
		resp->reboot_required = true;
		resp->namespaces = NULL;
		resp->nr_namespaces = 0;
		goto out;
	}
	for (i = 0; i < s->nr_regions; i++) {
		const struct ctl_scm_region *r = &s->regions[i];
		uint64_t		     raw;

		if (req->socket >= 0 && r->numa_node != (uint32_t)req->socket)
			continue;
		matched++;
		if (r->available == 0)
			continue;
		/* Namespaces must be 2 MiB aligned (the fsdax page map granularity). */
		raw = (r->available / req->nr_ns_per_socket) & ~((uint64_t)(2 << 20) - 1);
		if (raw == 0) {
			d_errbuf_set(eb,
				     "%s: %" PRIu64 " bytes free, too little for %u namespace(s)",
				     r->dev, r->available, req->nr_ns_per_socket);
			rc = -DER_NOSPACE;
			goto out;
		}
		for (k = 0; k < req->nr_ns_per_socket; k++) {
			struct ctl_scm_region cur = *r;

			cur.available = r->available - raw * k;
			rc = hw->ns_create(&cur, raw, eb);
			if (rc != 0)
				goto out;
		}
	}
	if (matched == 0) {
		d_errbuf_set(eb,
			     "no PMem region on socket %d (regions exist on other sockets); "
			     "check the --socket value",
			     req->socket);
		rc = -DER_NONEXIST;
		goto out;
	}
	ctl_storage_scan_free(s);
	s = NULL;
	rc = ctl_storage_scan(CTL_SCAN_SCM, &s, eb);
	if (rc != 0)
		goto out;
	if (s->nr_namespaces > 0) {
		D_ALLOC_ARRAY(nss, s->nr_namespaces);
		if (nss == NULL) {
			d_errbuf_set(eb, "out of memory");
			rc = -DER_NOMEM;
			goto out;
		}
	}
	for (i = 0; i < s->nr_namespaces; i++) {
		if (req->socket >= 0 && s->namespaces[i].numa_node != (uint32_t)req->socket)
			continue;
		nss[nr++] = s->namespaces[i];
	}
	if (nr == 0) {
		d_errbuf_set(eb, "failed to find namespaces after PMem prepare");
		rc = -DER_NONEXIST;
		goto out;
	}
	resp->reboot_required = false;
	resp->namespaces = nss;
	resp->nr_namespaces = nr;
	nss = NULL;
out:
	D_FREE(nss);
	ctl_storage_scan_free(s);
	return rc;
}

int
ctl_scm_reset(int socket, FILE *out, struct d_errbuf *eb)
{
	const struct ctl_hw_ops *hw = ctl_hw();
	struct ctl_storage_scan *s = NULL;
	int			 removed = 0;
	int			 i;
	int			 rc;

	rc = require_root("resetting PMem", eb);
	if (rc != 0)
		return rc;
	rc = ctl_storage_scan(CTL_SCAN_SCM, &s, eb);
	if (rc != 0)
		return rc;
	if (s->nr_modules == 0) {
		rc = no_pmem(eb);
		goto out;
	}
	for (i = 0; i < s->nr_namespaces; i++) {
		const struct ctl_scm_namespace *ns = &s->namespaces[i];

		if (socket >= 0 && ns->numa_node != (uint32_t)socket)
			continue;
		rc = hw->ns_destroy(ns, eb);
		if (rc != 0)
			goto out;
		say(out, "Removed PMem namespace %s (/dev/%s, socket %u)", ns->dev, ns->blockdev,
		    ns->numa_node);
		removed++;
	}
	if (s->nr_regions == 0) {
		say(out, "PMem has been reset successfully!");
		goto out;
	}
	say(out,
	    "%s. The %d PMem region(s) remain: regions are removed by a new memory "
	    "allocation goal, which this daos_server does not set (no ipmctl); to return "
	    "the modules to Memory Mode run `ipmctl create -f -goal MemoryMode=100` and "
	    "reboot.",
	    removed > 0 ? "Namespaces have been removed" : "No PMem namespaces to remove",
	    s->nr_regions);
out:
	ctl_storage_scan_free(s);
	return rc;
}

/* ---- NVMe ---------------------------------------------------------------- */

struct addr_list {
	char (*v)[16];
	int n;
};

static int
addr_list_parse(const char *s, const char *what, struct addr_list *l, struct d_errbuf *eb)
{
	char *copy, *tok, *save = NULL;
	int   rc = 0;

	l->v = NULL;
	l->n = 0;
	if (s == NULL || *s == '\0')
		return 0;
	D_STRDUP(copy, s);
	/* Tokens are separated by at least one character: never more than half the length. */
	if (copy != NULL)
		D_ALLOC_ARRAY(l->v, strlen(s) / 2 + 1);
	if (copy == NULL || l->v == NULL) {
		D_FREE(copy);
		D_FREE(l->v);
		d_errbuf_set(eb, "out of memory");
		return -DER_NOMEM;
	}
	for (tok = strtok_r(copy, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
		char  addr[16];
		char *p;

		snprintf(addr, sizeof(addr), "%s", tok);
		for (p = addr; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		if (strlen(tok) >= sizeof(addr) || !ctl_pci_addr_valid(addr)) {
			d_errbuf_set(eb,
				     "invalid addresses in pci %s list: \"%s\" is not a PCI "
				     "address (expected dddd:bb:dd.f, e.g. 0000:81:00.0)",
				     what, tok);
			rc = -DER_INVAL;
			break;
		}
		memcpy(l->v[l->n++], addr, sizeof(addr));
	}
	D_FREE(copy);
	if (rc != 0) {
		D_FREE(l->v);
		l->n = 0;
	}
	return rc;
}

static bool
addr_list_has(const struct addr_list *l, const char *addr)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], addr) == 0)
			return true;
	return false;
}

static const char *
dev_path(char *buf, size_t len, const char *blockdev)
{
	return ctl_hw()->path(CTL_HW_DEV, blockdev, buf, len);
}

struct nvme_sel {
	struct ctl_storage_scan *scan;
	bool			*selected; /* per controller */
	int			 nr_selected;
};

static void
nvme_sel_fini(struct nvme_sel *sel)
{
	ctl_storage_scan_free(sel->scan);
	D_FREE(sel->selected);
}

/* Scan, validate the lists against what exists, and select controllers. */
static int
nvme_select(const struct ctl_nvme_prepare_req *req, struct nvme_sel *sel, struct d_errbuf *eb)
{
	struct addr_list allow = {0}, block = {0};
	int		 i, j;
	int		 rc;

	memset(sel, 0, sizeof(*sel));
	rc = addr_list_parse(req->allow_list, "allow", &allow, eb);
	if (rc == 0)
		rc = addr_list_parse(req->block_list, "block", &block, eb);
	if (rc != 0)
		goto out;
	rc = ctl_storage_scan(CTL_SCAN_NVME, &sel->scan, eb);
	if (rc != 0)
		goto out;
	for (i = 0; i < allow.n; i++) {
		for (j = 0; j < sel->scan->nr_ctrlrs; j++)
			if (strcmp(sel->scan->ctrlrs[j].pci_addr, allow.v[i]) == 0)
				break;
		if (j == sel->scan->nr_ctrlrs) {
			d_errbuf_set(eb,
				     "PCI address %s in the allow list is not an NVMe controller "
				     "on this host (%d found); check the address with `daos_server "
				     "nvme scan`",
				     allow.v[i], sel->scan->nr_ctrlrs);
			rc = -DER_NONEXIST;
			goto out;
		}
	}
	if (sel->scan->nr_ctrlrs > 0) {
		D_ALLOC_ARRAY(sel->selected, sel->scan->nr_ctrlrs);
		if (sel->selected == NULL) {
			d_errbuf_set(eb, "out of memory");
			rc = -DER_NOMEM;
			goto out;
		}
	}
	for (j = 0; j < sel->scan->nr_ctrlrs; j++) {
		const char *a = sel->scan->ctrlrs[j].pci_addr;

		sel->selected[j] =
			(allow.n == 0 || addr_list_has(&allow, a)) && !addr_list_has(&block, a);
		sel->nr_selected += sel->selected[j];
	}
out:
	D_FREE(allow.v);
	D_FREE(block.v);
	if (rc != 0) {
		nvme_sel_fini(sel);
		memset(sel, 0, sizeof(*sel));
	}
	return rc;
}

/* Every block device of the selected controllers must exist before we touch any. */
static int
nvme_check_devices(const struct nvme_sel *sel, struct d_errbuf *eb)
{
	char	    path[PATH_LEN];
	struct stat st;
	int	    i, j;

	for (i = 0; i < sel->scan->nr_ctrlrs; i++) {
		const struct ctl_nvme_ctrlr *c = &sel->scan->ctrlrs[i];

		if (!sel->selected[i])
			continue;
		for (j = 0; j < c->nr_ns; j++) {
			dev_path(path, sizeof(path), c->ns[j].blockdev);
			if (stat(path, &st) != 0) {
				d_errbuf_set(eb, "%s: block device %s of namespace %u: %s",
					     c->pci_addr, path, c->ns[j].id, strerror(errno));
				return d_errno2der(errno);
			}
		}
	}
	return 0;
}

static int
nvme_chown(const struct nvme_sel *sel, uid_t uid, gid_t gid, const char *who, FILE *out,
	   struct d_errbuf *eb)
{
	char path[PATH_LEN];
	int  i, j;

	for (i = 0; i < sel->scan->nr_ctrlrs; i++) {
		const struct ctl_nvme_ctrlr *c = &sel->scan->ctrlrs[i];

		if (!sel->selected[i])
			continue;
		for (j = 0; j < c->nr_ns; j++) {
			dev_path(path, sizeof(path), c->ns[j].blockdev);
			if (chown(path, uid, gid) != 0) {
				d_errbuf_set(eb, "%s: cannot change the owner of %s: %s",
					     c->pci_addr, path, strerror(errno));
				return d_errno2der(errno);
			}
			say(out, "%s: /dev/%s owned by %s", c->pci_addr, c->ns[j].blockdev, who);
		}
		if (c->nr_ns == 0)
			say(out, "%s: no namespaces, nothing to hand over", c->pci_addr);
	}
	return 0;
}

/* "<key> = <decimal>" on a line of the state file, blanks optional around '='. */
static bool
state_value(const char *line, const char *key, uint64_t *v)
{
	size_t n = strlen(key);

	if (strncmp(line, key, n) != 0)
		return false;
	line += n + strspn(line + n, " \t");
	if (*line++ != '=')
		return false;
	line += strspn(line, " \t");
	n = strspn(line, "0123456789");
	if (line[n + strspn(line + n, " \t\r\n")] != '\0')
		return false;
	return d_parse_u64n(line, n, v) == 0;
}

/* The state file: "hugepages_before = N" and "hugepages_reserved = M". */
static int
state_read(const char *path, uint64_t *before, uint64_t *reserved, struct d_errbuf *eb)
{
	char  line[256];
	FILE *f;
	int   seen = 0;
	int   rc;

	f = fopen(path, "re");
	if (f == NULL) {
		rc = d_errno2der(errno);
		d_errbuf_set(eb, "cannot read %s: %s", path, strerror(errno));
		return rc;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		uint64_t v;

		if (state_value(line, "hugepages_before", &v)) {
			*before = v;
			seen |= 1;
		} else if (state_value(line, "hugepages_reserved", &v)) {
			*reserved = v;
			seen |= 2;
		}
	}
	rc = ferror(f) ? d_errno2der(errno) : 0;
	if (rc != 0)
		d_errbuf_set(eb, "cannot read %s: %s", path, strerror(errno));
	fclose(f);
	if (rc != 0)
		return rc;
	if (seen != 3) {
		d_errbuf_set(eb,
			     "%s: malformed (expected hugepages_before and hugepages_reserved); "
			     "remove it and check /proc/sys/vm/nr_hugepages by hand",
			     path);
		return -DER_INVAL;
	}
	return 0;
}

static int
state_write(uint64_t before, uint64_t reserved, const char *user, struct d_errbuf *eb)
{
	const struct ctl_hw_ops *hw = ctl_hw();
	char			 dir[PATH_LEN], path[PATH_LEN];
	char			*text;
	int			 rc;

	hw->path(CTL_HW_RUN, NULL, dir, sizeof(dir));
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		d_errbuf_set(eb, "cannot create %s: %s", dir, strerror(errno));
		return d_errno2der(errno);
	}
	hw->path(CTL_HW_RUN, NVME_STATE_NAME, path, sizeof(path));
	text = d_asprintf("# written by daos_server nvme prepare, read by nvme reset\n"
			  "hugepages_before = %" PRIu64 "\nhugepages_reserved = %" PRIu64
			  "\ntarget_user = %s\n",
			  before, reserved, user);
	if (text == NULL) {
		d_errbuf_set(eb, "out of memory writing %s", path);
		return -DER_NOMEM;
	}
	rc = d_file_write_atomic(path, text, strlen(text), 0644, eb);
	D_FREE(text);
	return rc;
}

/* Ask the backend for nr hugepages; *got is what the kernel (or fixture) granted. */
static int
hugepages_set(uint64_t nr, uint64_t *got, struct d_errbuf *eb)
{
	const struct ctl_hw_ops *hw = ctl_hw();
	struct ctl_meminfo	 mi;
	int			 rc;

	rc = hw->hugepages_set(nr, eb);
	/* The kernel may grant fewer pages than asked (fragmented memory). */
	if (rc == 0)
		rc = hw->meminfo(&mi, eb);
	if (rc == 0)
		*got = mi.hugepages_total;
	return rc;
}

static int
nvme_common(const struct ctl_nvme_prepare_req *req, const char *what, struct nvme_sel *sel,
	    struct passwd *pw_out, char *user, size_t ulen, struct d_errbuf *eb)
{
	struct passwd *pw;
	int	       rc;

	rc = require_root(what, eb);
	if (rc != 0)
		return rc;
	if (req->target_user != NULL && req->target_user[0] != '\0') {
		pw = getpwnam(req->target_user);
		if (pw == NULL) {
			d_errbuf_set(eb,
				     "target user \"%s\" does not exist on this host; check "
				     "-u/--target-user",
				     req->target_user);
			return -DER_NONEXIST;
		}
	} else {
		pw = getpwuid(geteuid());
		if (pw == NULL) {
			d_errbuf_set(eb, "cannot look up the running user (uid %u)",
				     (unsigned)geteuid());
			return -DER_NONEXIST;
		}
	}
	snprintf(user, ulen, "%s", pw->pw_name);
	pw_out->pw_uid = pw->pw_uid;
	pw_out->pw_gid = pw->pw_gid;
	if (req->disable_vfio && pw->pw_uid != 0) {
		d_errbuf_set(eb, "VFIO can not be disabled if running as non-root user; either use "
				 "root as target user or do not disable VFIO");
		return -DER_INVAL;
	}
	return nvme_select(req, sel, eb);
}

int
ctl_nvme_prepare(const struct ctl_nvme_prepare_req *req, FILE *out, struct d_errbuf *eb)
{
	struct nvme_sel	   sel = {0};
	struct passwd	   pw = {0};
	struct ctl_meminfo mi;
	char		   user[64];
	char		   path[PATH_LEN];
	uint64_t	   want, before, got, old_before, old_reserved;
	bool		   had_state;
	int		   rc;

	rc = nvme_common(req, "preparing NVMe", &sel, &pw, user, sizeof(user), eb);
	if (rc != 0)
		return rc;
	if (sel.scan->nr_ctrlrs == 0) {
		say(out, "No NVMe devices found; nothing to prepare (hugepages unchanged)");
		goto out;
	}
	if (sel.nr_selected == 0) {
		say(out, "No NVMe devices selected (every controller is in the block list); "
			 "nothing to prepare");
		goto out;
	}
	rc = nvme_check_devices(&sel, eb);
	if (rc != 0)
		goto out;

	want = req->nr_hugepages < CTL_NVME_MIN_HUGEPAGES ? CTL_NVME_MIN_HUGEPAGES
							  : (uint64_t)req->nr_hugepages;
	rc = ctl_hw()->meminfo(&mi, eb);
	if (rc != 0)
		goto out;
	before = mi.hugepages_total;
	if (before >= want) {
		say(out,
		    "%" PRIu64 " hugepages of %" PRIu64 " KB already reserved (%" PRIu64 " wanted)",
		    before, mi.hugepage_size_kb, want);
	} else {
		rc = hugepages_set(want, &got, eb);
		if (rc != 0)
			goto out;
		if (got < want) {
			struct d_errbuf ignore;

			hugepages_set(before, &got, &ignore);
			d_errbuf_set(eb,
				     "only %" PRIu64 " of %" PRIu64 " hugepages could be "
				     "reserved (memory too fragmented or too small); free memory, "
				     "ask for fewer with -p/--hugepages or reserve them at boot "
				     "(hugepages= kernel parameter)",
				     got, want);
			rc = -DER_NOSPACE;
			goto out;
		}
		/* Keep the oldest "before" across repeated prepares so reset restores it. */
		ctl_hw()->path(CTL_HW_RUN, NVME_STATE_NAME, path, sizeof(path));
		had_state = state_read(path, &old_before, &old_reserved, NULL) == 0;
		rc = state_write(had_state ? old_before : before, got, user, eb);
		if (rc != 0)
			goto out;
		say(out, "Reserved %" PRIu64 " hugepages of %" PRIu64 " KB (was %" PRIu64 ")", got,
		    mi.hugepage_size_kb, before);
	}
	rc = nvme_chown(&sel, pw.pw_uid, pw.pw_gid, user, out, eb);
out:
	nvme_sel_fini(&sel);
	return rc;
}

int
ctl_nvme_reset(const struct ctl_nvme_prepare_req *req, FILE *out, struct d_errbuf *eb)
{
	struct nvme_sel	   sel = {0};
	struct passwd	   pw = {0};
	struct ctl_meminfo mi;
	struct group	  *gr;
	char		   user[64];
	char		   path[PATH_LEN];
	uint64_t	   before = 0, reserved = 0, got;
	gid_t		   disk;
	int		   rc;

	rc = nvme_common(req, "resetting NVMe", &sel, &pw, user, sizeof(user), eb);
	if (rc != 0)
		return rc;
	if (sel.scan->nr_ctrlrs == 0) {
		say(out, "No NVMe devices found; no device to give back");
	} else {
		rc = nvme_check_devices(&sel, eb);
		if (rc != 0)
			goto out;
		/* udev's default owner of block devices. */
		gr = getgrnam("disk");
		disk = gr != NULL ? gr->gr_gid : 0;
		rc = nvme_chown(&sel, 0, disk, "root", out, eb);
		if (rc != 0)
			goto out;
	}

	ctl_hw()->path(CTL_HW_RUN, NVME_STATE_NAME, path, sizeof(path));
	if (access(path, F_OK) != 0) {
		say(out, "No hugepages reserved by nvme prepare to release");
		goto out;
	}
	rc = state_read(path, &before, &reserved, eb);
	if (rc != 0)
		goto out;
	rc = ctl_hw()->meminfo(&mi, eb);
	if (rc != 0)
		goto out;
	if (mi.hugepages_total != reserved) {
		/* Someone changed the reservation since: do not undo their change. */
		say(out,
		    "Hugepages left at %" PRIu64 " (changed since nvme prepare reserved %" PRIu64
		    ")",
		    mi.hugepages_total, reserved);
	} else {
		rc = hugepages_set(before, &got, eb);
		if (rc != 0)
			goto out;
		say(out, "Released hugepages: %" PRIu64 " reserved now (was %" PRIu64 ")", got,
		    reserved);
	}
	if (unlink(path) != 0) {
		d_errbuf_set(eb, "cannot remove %s: %s", path, strerror(errno));
		rc = d_errno2der(errno);
	}
out:
	nvme_sel_fini(&sel);
	return rc;
}
