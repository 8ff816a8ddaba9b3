/*
 * Logging for the daemons and tools.
 *
 * Levels follow the engine's `log_mask` names (DEBUG, INFO, NOTE, WARN,
 * ERROR, CRIT, ...) and the control plane's `control_log_mask` names
 * (TRACE, DEBUG, INFO, NOTICE, ERROR, DISABLED); both map onto one ordered
 * scale.  Output goes to stderr until d_log_open() names a file.  The
 * libraries under src/common never log on their own; callers do.
 */
#ifndef DAOS_COMMON_LOG_H
#define DAOS_COMMON_LOG_H

#include <stdbool.h>
#include <stdio.h>

#include "common/common.h"

enum d_log_level {
	D_LL_TRACE = 0,
	D_LL_DEBUG,
	D_LL_INFO,
	D_LL_NOTE,
	D_LL_WARN,
	D_LL_ERROR,
	D_LL_CRIT,
	D_LL_ALERT,
	D_LL_EMERG,
	D_LL_DISABLED,
};

/*
 * Parse an engine `log_mask`: a level name optionally followed by
 * comma-separated `SUBSYS=LEVEL` assignments (at most 1023 characters).
 * Names: DEBUG DBUG INFO NOTE WARN ERROR ERR CRIT ALRT FATAL EMRG EMIT
 * (case-insensitive).  *out gets the default level.
 */
int d_log_mask_parse(const char *mask, enum d_log_level *out, struct d_errbuf *eb);

/* Parse a `control_log_mask`: DISABLED TRACE DEBUG INFO NOTICE WARN ERROR. */
int d_log_control_mask_parse(const char *mask, enum d_log_level *out, struct d_errbuf *eb);

/* Canonical name of a level ("DEBUG", "INFO", ...). */
const char *d_log_level_name(enum d_log_level lvl);

/*
 * Send log output to `path` (appended, created 0644); NULL or "" means
 * stderr.  `ident` prefixes every line (e.g. "daos_server").
 */
int d_log_open(const char *ident, const char *path, enum d_log_level lvl);
/* Same on an open descriptor (taken over; fd 2: stderr). */
void		 d_log_open_fd(const char *ident, int fd, enum d_log_level lvl);
void		 d_log_close(void);
void		 d_log_set_level(enum d_log_level lvl);
enum d_log_level d_log_get_level(void);
bool		 d_log_enabled(enum d_log_level lvl);
/* True when log lines go to the process's stderr (no log file, no syslog). */
bool d_log_to_stderr(void);

/*
 * Output format switches of the control-plane `-J/--json-logging` and
 * `--syslog` options.  JSON: one object per line, as upstream's
 * {"level","time","extra","message"} (extra = ident).  Syslog: records go
 * to syslog(3) (facility daemon, ident and pid) instead of the file.
 */
void d_log_set_json(bool on);
void d_log_set_syslog(bool on);

/*
 * Write one line at `lvl` if the mask lets it through, from source location
 * file:line.  Prefer the macros below: they test the mask first, so their
 * arguments cost nothing (and are not evaluated) when the level is masked.
 * TRACE and DEBUG lines carry the location ("<base name of file>:<line>: "
 * before the message); lines of INFO and above do not, so that their text
 * stays the one operators, upstream's tools and the system tests know.
 */
void d_log_write_at(enum d_log_level lvl, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * As d_log_write_at(), followed by ": " DF_RC for `rc` (either sign), e.g.
 * "open /x: DER_NONEXIST(-1005): 'The specified entity does not exist'".
 */
void d_log_write_rc_at(enum d_log_level lvl, const char *file, int line, int rc, const char *fmt,
		       ...) __attribute__((format(printf, 5, 6)));

/* Paired format for an error code: printf(DF_RC, DP_RC(rc)) gives NAME(rc): 'description'. */
#define DF_RC	  "%s(%d): '%s'"
#define DP_RC(rc) d_errname(rc), (rc), d_errstr(rc)

/*
 * The log macros.  Each is one statement (do { } while (0)); the level
 * mask is tested before any argument is evaluated, so arguments must not
 * carry side effects the program relies on.
 */
#define D_LOG_AT(lvl, ...)                                                                         \
	do {                                                                                       \
		if (d_log_enabled(lvl))                                                            \
			d_log_write_at(lvl, __FILE__, __LINE__, __VA_ARGS__);                      \
	} while (0)

#define D_TRACE(...) D_LOG_AT(D_LL_TRACE, __VA_ARGS__)
#define D_DEBUG(...) D_LOG_AT(D_LL_DEBUG, __VA_ARGS__)
#define D_INFO(...)  D_LOG_AT(D_LL_INFO, __VA_ARGS__)
#define D_NOTE(...)  D_LOG_AT(D_LL_NOTE, __VA_ARGS__)
#define D_WARN(...)  D_LOG_AT(D_LL_WARN, __VA_ARGS__)
#define D_ERROR(...) D_LOG_AT(D_LL_ERROR, __VA_ARGS__)
#define D_CRIT(...)  D_LOG_AT(D_LL_CRIT, __VA_ARGS__)

/*
 * Log a message followed by the name, number and description of error
 * code `rc`: DL_ERROR(rc, "cannot open %s", path) writes
 * "cannot open /x: DER_NONEXIST(-1005): 'The specified entity does not exist'".
 * `rc` is evaluated once, and only when the level is enabled.
 */
#define DL_LOG_AT(lvl, rc, ...)                                                                    \
	do {                                                                                       \
		if (d_log_enabled(lvl))                                                            \
			d_log_write_rc_at(lvl, __FILE__, __LINE__, rc, __VA_ARGS__);               \
	} while (0)

#define DL_DEBUG(rc, ...) DL_LOG_AT(D_LL_DEBUG, rc, __VA_ARGS__)
#define DL_INFO(rc, ...)  DL_LOG_AT(D_LL_INFO, rc, __VA_ARGS__)
#define DL_WARN(rc, ...)  DL_LOG_AT(D_LL_WARN, rc, __VA_ARGS__)
#define DL_ERROR(rc, ...) DL_LOG_AT(D_LL_ERROR, rc, __VA_ARGS__)

#endif /* DAOS_COMMON_LOG_H */
