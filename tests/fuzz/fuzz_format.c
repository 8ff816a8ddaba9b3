/*
 * libFuzzer target for the storage-format file parsers: the engine
 * superblock (YAML, src/control/lib/format_sb.c) and daos_nvme.conf (SPDK
 * JSON, format_bdev.c).  Built only with clang (see meson.build); not part of
 * `make test`.
 *
 * The whole input is given to both parsers (with its length, so embedded
 * NULs are seen).  Beyond "no crash, no leak, no UB" it checks round trips:
 * whatever parses must format to text that parses back to the same value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/lib/storage/storage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_superblock(const char *text, size_t len)
{
	struct ctl_superblock sb, again;
	struct d_errbuf	      eb;
	char		     *out;

	if (ctl_superblock_parse("superblock", text, len, &sb, &eb) != 0)
		return;
	out = ctl_superblock_format(&sb);
	if (out == NULL)
		return;
	memset(&again, 0, sizeof(again));
	if (ctl_superblock_parse("superblock", out, strlen(out), &again, &eb) != 0)
		abort();
	if (again.version != sb.version || strcmp(again.uuid, sb.uuid) != 0 ||
	    strcmp(again.system, sb.system) != 0 || again.has_rank != sb.has_rank ||
	    (sb.has_rank && again.rank != sb.rank) || strcmp(again.uri, sb.uri) != 0 ||
	    again.validrank != sb.validrank ||
	    strcmp(again.hostfaultdomain, sb.hostfaultdomain) != 0 ||
	    again.incarnation != sb.incarnation)
		abort();
	free(out);
}

static void
fuzz_nvme_conf(const char *text, size_t len)
{
	struct ctl_nvme_conf conf, again;
	struct d_errbuf	     eb;
	char		    *out;

	memset(&conf, 0, sizeof(conf));
	if (ctl_nvme_conf_parse("daos_nvme.conf", text, len, &conf, &eb) != 0)
		return;
	out = ctl_nvme_conf_format(&conf);
	if (out != NULL) {
		memset(&again, 0, sizeof(again));
		if (ctl_nvme_conf_parse("daos_nvme.conf", out, strlen(out), &again, &eb) != 0)
			abort();
		if (again.ndevs != conf.ndevs || again.vmd != conf.vmd)
			abort();
		ctl_nvme_conf_fini(&again);
		free(out);
	}
	ctl_nvme_conf_fini(&conf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy, no NUL: the API takes (text, len), so any read
	 * past len is a bug the sanitizer should see */
	char *text = malloc(size > 0 ? size : 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	fuzz_superblock(text, size);
	fuzz_nvme_conf(text, size);
	free(text);
	return 0;
}
