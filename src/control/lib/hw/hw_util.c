/*
 * Small helpers the files of the hw library share: path formatting, reading
 * and writing one-value files, growable arrays, sorting a storage scan and
 * reading PCI link attributes.  A leaf: it calls nothing else of the
 * library but the pure parsers of hw_model.c, so any hw file may use it.
 */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fs.h"
#include "control/lib/hw/hw.h"
#include "control/lib/hw/hw_internal.h"

void
stg_pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

void
stg_strlcpy(char *dst, const char *src, size_t len)
{
	if (len == 0)
		return;
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

int
stg_read_line(const char *path, char *buf, size_t len, struct d_errbuf *eb)
{
	char *text = NULL;
	char *nl;
	int   rc;

	rc = d_file_read(path, SIZE_MAX, &text, NULL, eb);
	if (rc != 0)
		return rc;
	nl = strchr(text, '\n');
	if (nl != NULL)
		*nl = '\0';
	stg_strlcpy(buf, stg_trim(text), len);
	D_FREE(text);
	return 0;
}

int
stg_read_u64(const char *path, uint64_t *out, struct d_errbuf *eb)
{
	char line[128];
	int  rc;

	rc = stg_read_line(path, line, sizeof(line), eb);
	if (rc != 0)
		return rc;
	if (d_parse_u64(line, out) != 0) {
		d_errbuf_set(eb, "%s:1: expected a non-negative integer, got \"%s\"", path, line);
		return -DER_INVAL;
	}
	return 0;
}

int
stg_read_i64(const char *path, int64_t *out, struct d_errbuf *eb)
{
	char	  line[128];
	char	 *end;
	long long v;
	int	  rc;

	rc = stg_read_line(path, line, sizeof(line), eb);
	if (rc != 0)
		return rc;
	errno = 0;
	v = strtoll(line, &end, 10);
	if (line[0] == '\0' || errno != 0 || *end != '\0') {
		d_errbuf_set(eb, "%s:1: expected an integer, got \"%s\"", path, line);
		return -DER_INVAL;
	}
	*out = v;
	return 0;
}

int
stg_write_file(const char *path, const char *text, struct d_errbuf *eb)
{
	size_t	len = strlen(text);
	ssize_t n;
	int	fd;
	int	rc = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = d_errno2der(errno);
		d_errbuf_set(eb, "cannot write %s: %s", path, strerror(errno));
		return rc;
	}
	while (len > 0) {
		n = write(fd, text, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = d_errno2der(errno);
			d_errbuf_set(eb, "cannot write %s: %s", path, strerror(errno));
			break;
		}
		text += n;
		len -= (size_t)n;
	}
	if (close(fd) != 0 && rc == 0) {
		rc = d_errno2der(errno);
		d_errbuf_set(eb, "cannot write %s: %s", path, strerror(errno));
	}
	return rc;
}

int
stg_array_add(void **arr, int *nr, size_t sz, const void *elem)
{
	void *p;

	p = d_realloc(*arr, (size_t)(*nr + 1) * sz);
	if (p == NULL)
		return -DER_NOMEM;
	memcpy((char *)p + (size_t)*nr * sz, elem, sz);
	*arr = p;
	(*nr)++;
	return 0;
}

static int
cmp_module(const void *a, const void *b)
{
	const struct ctl_scm_module *x = a, *y = b;

	return (x->physical_id > y->physical_id) - (x->physical_id < y->physical_id);
}

static int
cmp_region(const void *a, const void *b)
{
	const struct ctl_scm_region *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static int
cmp_namespace(const void *a, const void *b)
{
	const struct ctl_scm_namespace *x = a, *y = b;

	return strcmp(x->blockdev, y->blockdev);
}

static int
cmp_ctrlr(const void *a, const void *b)
{
	const struct ctl_nvme_ctrlr *x = a, *y = b;

	return strcmp(x->pci_addr, y->pci_addr);
}

void
stg_scan_sort(struct ctl_storage_scan *s)
{
	if (s->nr_modules > 1)
		qsort(s->modules, s->nr_modules, sizeof(*s->modules), cmp_module);
	if (s->nr_regions > 1)
		qsort(s->regions, s->nr_regions, sizeof(*s->regions), cmp_region);
	if (s->nr_namespaces > 1)
		qsort(s->namespaces, s->nr_namespaces, sizeof(*s->namespaces), cmp_namespace);
	if (s->nr_ctrlrs > 1)
		qsort(s->ctrlrs, s->nr_ctrlrs, sizeof(*s->ctrlrs), cmp_ctrlr);
}

void
stg_pci_link_read(const char *pcidir, struct ctl_nvme_health *h)
{
	static const char *files[] = {"max_link_speed", "current_link_speed", "max_link_width",
				      "current_link_width"};
	char		   path[4096];
	char		   line[64];
	size_t		   i;

	for (i = 0; i < D_ARRAY_SIZE(files); i++) {
		uint64_t w;

		snprintf(path, sizeof(path), "%s/%s", pcidir, files[i]);
		if (stg_read_line(path, line, sizeof(line), NULL) != 0)
			continue;
		switch (i) {
		case 0:
			h->link_max_speed = ctl_pci_link_speed_parse(line);
			break;
		case 1:
			h->link_neg_speed = ctl_pci_link_speed_parse(line);
			break;
		case 2:
			if (d_parse_u64(line, &w) == 0)
				h->link_max_width = (uint32_t)w;
			break;
		default:
			if (d_parse_u64(line, &w) == 0)
				h->link_neg_width = (uint32_t)w;
			break;
		}
	}
}
