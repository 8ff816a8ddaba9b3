/*
 * Human-readable sizes as upstream prints them (go-humanize):
 *   SI  (d_size_si):  base 1000, "B kB MB GB TB PB EB", e.g. "750 GB", "3.2 TB";
 *   IEC (d_size_iec): base 1024, "B KiB MiB GiB TiB PiB EiB", e.g. "3.0 TiB".
 * Below 10 bytes the value prints as "N B"; otherwise one decimal is shown
 * when the scaled value is below 10 ("3.2 TB"), none above ("750 GB"),
 * after rounding to one decimal.
 * d_size_parse() reads "10G", "10GB", "10GiB", "512 MiB", "4096", "1.5T"
 * (SI letters are powers of 1000, "i" forms powers of 1024; a bare K/M/G/T/P
 * without B means powers of 1024 as in upstream's size flags).
 */
#ifndef DAOS_COMMON_UNITS_H
#define DAOS_COMMON_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

#define D_SIZE_BUFLEN 32

const char *d_size_si(uint64_t bytes, char *buf, size_t len);
const char *d_size_iec(uint64_t bytes, char *buf, size_t len);
int	    d_size_parse(const char *s, uint64_t *out, struct d_errbuf *eb);

#endif /* DAOS_COMMON_UNITS_H */
