/*
 * Byte sizes for people: formatting as go-humanize's Bytes (SI) and IBytes
 * (IEC) do, so our tables match upstream's character for character, and
 * parsing of the sizes users type on command lines and in config files.
 * No other unit (time, counts) lives here.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "common/units.h"

static const char *const si_suffix[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
static const char *const iec_suffix[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

/*
 * Same floating-point steps as go-humanize's humanateBytes(): the exponent
 * comes from logarithms (not from integer division) and the value is
 * rounded to one decimal before choosing between "%.0f" and "%.1f", which is
 * why 9.96 GB prints "10 GB" and not "10.0 GB".
 */
static const char *
humanate(uint64_t n, double base, const char *const *suffix, char *buf, size_t len)
{
	double e;
	double val;
	int    ie;

	if (n < 10) {
		snprintf(buf, len, "%" PRIu64 " B", n);
		return buf;
	}
	e = floor(log((double)n) / log(base));
	ie = (int)e;
	if (ie > 6) /* unreachable for 64-bit values; keeps the index safe */
		ie = 6;
	val = floor((double)n / pow(base, e) * 10 + 0.5) / 10;
	snprintf(buf, len, val < 10 ? "%.1f %s" : "%.0f %s", val, suffix[ie]);
	return buf;
}

const char *
d_size_si(uint64_t bytes, char *buf, size_t len)
{
	return humanate(bytes, 1000, si_suffix, buf, len);
}

const char *
d_size_iec(uint64_t bytes, char *buf, size_t len)
{
	return humanate(bytes, 1024, iec_suffix, buf, len);
}

/* Power for unit letter c (case-insensitive), 0 when not a unit letter. */
static int
unit_power(char c)
{
	static const char letters[] = "KMGTP";
	const char	 *p = strchr(letters, toupper((unsigned char)c));

	if (c == '\0' || p == NULL)
		return 0;
	return (int)(p - letters) + 1;
}

/*
 * Parse "<number>[ ]<unit>".  The number is kept as an exact integer
 * mantissa and a count of decimals so "1.5T" needs no floating point; the
 * product is computed in 128 bits to detect overflow.
 */
int
d_size_parse(const char *s, uint64_t *out, struct d_errbuf *eb)
{
	const char	 *p = s;
	unsigned __int128 mant = 0;
	unsigned __int128 mult = 1;
	unsigned __int128 div = 1;
	unsigned __int128 val;
	int		  ndigits = 0;
	int		  ndec = 0;
	int		  power;
	const char	 *unit;
	int		  i;

	if (s == NULL || *s == '\0') {
		d_errbuf_set(eb, "invalid size \"\": empty value; use a number with an optional "
				 "unit, e.g. 10G or 512MiB");
		return -DER_INVAL;
	}
	while (isspace((unsigned char)*p))
		p++;
	for (; isdigit((unsigned char)*p); p++, ndigits++) {
		mant = mant * 10 + (unsigned)(*p - '0');
		if (mant > UINT64_MAX)
			goto overflow;
	}
	if (*p == '.') {
		p++;
		for (; isdigit((unsigned char)*p); p++, ndigits++) {
			/* More than 18 decimals are ignored: beyond that the mantissa
			 * would not fit the 128-bit arithmetic. */
			if (ndec >= 18)
				continue;
			mant = mant * 10 + (unsigned)(*p - '0');
			div *= 10;
			ndec++;
		}
	}
	if (ndigits == 0) {
		d_errbuf_set(eb,
			     "invalid size \"%s\": expected a number followed by an optional unit, "
			     "e.g. 10G, 1.5TB or 512MiB",
			     s);
		return -DER_INVAL;
	}
	while (isspace((unsigned char)*p))
		p++;
	unit = p;
	power = unit_power(*p);
	if (*p == '\0' || ((*p == 'b' || *p == 'B') && p[1] == '\0')) {
		power = 0;
	} else if (power > 0 && p[1] == '\0') {
		mult = 1024; /* bare letter: binary, as upstream's size flags */
	} else if (power > 0 && (p[1] == 'b' || p[1] == 'B') && p[2] == '\0') {
		mult = 1000;
	} else if (power > 0 && (p[1] == 'i' || p[1] == 'I') && (p[2] == 'b' || p[2] == 'B') &&
		   p[3] == '\0') {
		mult = 1024;
	} else {
		d_errbuf_set(eb,
			     "invalid size \"%s\": unknown unit \"%s\"; use B, K, M, G, T, P, "
			     "KB..PB or KiB..PiB",
			     s, unit);
		return -DER_INVAL;
	}
	val = mant;
	for (i = 0; i < power; i++) {
		/* val <= 2^64 * 10^18 here, so only this multiplication can wrap */
		if (val > ~(unsigned __int128)0 / mult)
			goto overflow;
		val *= mult;
		if (val / div > UINT64_MAX)
			goto overflow;
	}
	val /= div;
	if (val > UINT64_MAX)
		goto overflow;
	*out = (uint64_t)val;
	return 0;
overflow:
	d_errbuf_set(eb, "invalid size \"%s\": larger than %" PRIu64 " bytes", s, UINT64_MAX);
	return -DER_INVAL;
}
