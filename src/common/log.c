/*
 * Log sink: one process-wide destination (stderr or an append-only file),
 * a level threshold, and the parsers for the two mask syntaxes used in the
 * configuration files.  Lines are written with a single write(2) so that
 * concurrent writers do not interleave within a line.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"

static struct {
	pthread_mutex_t	 lock;
	int		 fd;
	char		 ident[64];
	enum d_log_level level;
	bool		 json;
	bool		 syslog;
} dlog = {PTHREAD_MUTEX_INITIALIZER, 2, "", D_LL_INFO, false, false};

static const char *const level_names[] = {
	[D_LL_TRACE] = "TRACE",	      [D_LL_DEBUG] = "DEBUG", [D_LL_INFO] = "INFO",
	[D_LL_NOTE] = "NOTE",	      [D_LL_WARN] = "WARN",   [D_LL_ERROR] = "ERROR",
	[D_LL_CRIT] = "CRIT",	      [D_LL_ALERT] = "ALRT",  [D_LL_EMERG] = "EMRG",
	[D_LL_DISABLED] = "DISABLED",
};

const char *
d_log_level_name(enum d_log_level lvl)
{
	if ((unsigned)lvl >= D_ARRAY_SIZE(level_names))
		return "UNKNOWN";
	return level_names[lvl];
}

struct level_alias {
	const char	*name;
	enum d_log_level lvl;
};

static const struct level_alias engine_levels[] = {
	{"DEBUG", D_LL_DEBUG}, {"DBUG", D_LL_DEBUG},  {"INFO", D_LL_INFO},  {"NOTE", D_LL_NOTE},
	{"WARN", D_LL_WARN},   {"ERROR", D_LL_ERROR}, {"ERR", D_LL_ERROR},  {"CRIT", D_LL_CRIT},
	{"ALRT", D_LL_ALERT},  {"FATAL", D_LL_EMERG}, {"EMRG", D_LL_EMERG}, {"EMIT", D_LL_EMERG},
};

static const struct level_alias control_levels[] = {
	{"DISABLED", D_LL_DISABLED}, {"TRACE", D_LL_TRACE}, {"DEBUG", D_LL_DEBUG},
	{"INFO", D_LL_INFO},	     {"NOTICE", D_LL_NOTE}, {"WARN", D_LL_WARN},
	{"ERROR", D_LL_ERROR},
};

static int
level_lookup(const struct level_alias *tbl, size_t n, const char *s, size_t len,
	     enum d_log_level *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strlen(tbl[i].name) == len && strncasecmp(tbl[i].name, s, len) == 0) {
			*out = tbl[i].lvl;
			return 0;
		}
	}
	return -DER_INVAL;
}

#define LOG_MASK_MAX 1023

int
d_log_mask_parse(const char *mask, enum d_log_level *out, struct d_errbuf *eb)
{
	enum d_log_level deflt = D_LL_ERROR, lvl;
	bool		 have_default = false;
	const char	*p, *end, *eq;
	size_t		 len;

	if (mask == NULL || *mask == '\0') {
		d_errbuf_set(eb, "empty log_mask; use a level such as ERR, INFO or DEBUG");
		return -DER_INVAL;
	}
	if (strlen(mask) > LOG_MASK_MAX) {
		d_errbuf_set(eb, "log_mask is %zu characters long, the limit is %d", strlen(mask),
			     LOG_MASK_MAX);
		return -DER_INVAL;
	}
	for (p = mask; *p != '\0'; p = (*end == ',') ? end + 1 : end) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		eq = memchr(p, '=', len);
		if (len == 0) {
			d_errbuf_set(
				eb,
				"log_mask \"%s\" has an empty item; separate items with one ','",
				mask);
			return -DER_INVAL;
		}
		if (eq == NULL) {
			if (level_lookup(engine_levels, D_ARRAY_SIZE(engine_levels), p, len,
					 &lvl)) {
				d_errbuf_set(
					eb,
					"unknown log level \"%.*s\" in log_mask \"%s\"; use one of "
					"DEBUG, DBUG, INFO, NOTE, WARN, ERROR, ERR, CRIT, ALRT, "
					"FATAL, EMRG, EMIT",
					(int)len, p, mask);
				return -DER_INVAL;
			}
			deflt = lvl;
			have_default = true;
			continue;
		}
		if (eq == p) {
			d_errbuf_set(eb, "log_mask \"%s\": missing subsystem name before '='",
				     mask);
			return -DER_INVAL;
		}
		for (const char *c = p; c < eq; c++) {
			if (!isalnum((unsigned char)*c) && *c != '_') {
				d_errbuf_set(eb, "log_mask \"%s\": bad subsystem name \"%.*s\"",
					     mask, (int)(eq - p), p);
				return -DER_INVAL;
			}
		}
		if (level_lookup(engine_levels, D_ARRAY_SIZE(engine_levels), eq + 1,
				 (size_t)(end - eq - 1), &lvl)) {
			d_errbuf_set(
				eb,
				"unknown log level \"%.*s\" for subsystem \"%.*s\" in log_mask \"%s\"",
				(int)(end - eq - 1), eq + 1, (int)(eq - p), p, mask);
			return -DER_INVAL;
		}
	}
	(void)have_default;
	*out = deflt;
	return 0;
}

int
d_log_control_mask_parse(const char *mask, enum d_log_level *out, struct d_errbuf *eb)
{
	enum d_log_level lvl;

	if (mask == NULL ||
	    level_lookup(control_levels, D_ARRAY_SIZE(control_levels), mask, strlen(mask), &lvl)) {
		d_errbuf_set(eb,
			     "unknown control log level \"%s\"; use one of DISABLED, TRACE, DEBUG, "
			     "INFO, NOTICE, WARN, ERROR",
			     mask ? mask : "");
		return -DER_INVAL;
	}
	*out = lvl;
	return 0;
}

int
d_log_open(const char *ident, const char *path, enum d_log_level lvl)
{
	int fd = 2;

	if (path != NULL && *path != '\0') {
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0)
			return d_errno2der(errno);
	}
	d_log_open_fd(ident, fd, lvl);
	return 0;
}

void
d_log_open_fd(const char *ident, int fd, enum d_log_level lvl)
{
	pthread_mutex_lock(&dlog.lock);
	if (dlog.fd > 2)
		close(dlog.fd);
	dlog.fd = fd;
	dlog.level = lvl;
	snprintf(dlog.ident, sizeof(dlog.ident), "%s", ident ? ident : "");
	pthread_mutex_unlock(&dlog.lock);
}

void
d_log_close(void)
{
	pthread_mutex_lock(&dlog.lock);
	if (dlog.fd > 2)
		close(dlog.fd);
	dlog.fd = 2;
	pthread_mutex_unlock(&dlog.lock);
}

void
d_log_set_level(enum d_log_level lvl)
{
	dlog.level = lvl;
}

enum d_log_level
d_log_get_level(void)
{
	return dlog.level;
}

bool
d_log_to_stderr(void)
{
	return dlog.fd == 2 && !dlog.syslog;
}

bool
d_log_enabled(enum d_log_level lvl)
{
	return dlog.level != D_LL_DISABLED && lvl >= dlog.level;
}

void
d_log_set_json(bool on)
{
	dlog.json = on;
}

void
d_log_set_syslog(bool on)
{
	pthread_mutex_lock(&dlog.lock);
	if (on && !dlog.syslog)
		openlog(dlog.ident[0] ? dlog.ident : NULL, LOG_PID, LOG_DAEMON);
	else if (!on && dlog.syslog)
		closelog();
	dlog.syslog = on;
	pthread_mutex_unlock(&dlog.lock);
}

/* Upstream's JSON logger only knows the control-plane levels. */
static const char *
json_level(enum d_log_level lvl)
{
	if (lvl <= D_LL_DEBUG)
		return "DEBUG";
	if (lvl == D_LL_INFO)
		return "INFO";
	if (lvl == D_LL_NOTE)
		return "NOTICE";
	if (lvl == D_LL_WARN)
		return "WARN";
	return "ERROR";
}

static int
syslog_prio(enum d_log_level lvl)
{
	static const int prio[] = {
		[D_LL_TRACE] = LOG_DEBUG, [D_LL_DEBUG] = LOG_DEBUG,  [D_LL_INFO] = LOG_INFO,
		[D_LL_NOTE] = LOG_NOTICE, [D_LL_WARN] = LOG_WARNING, [D_LL_ERROR] = LOG_ERR,
		[D_LL_CRIT] = LOG_CRIT,	  [D_LL_ALERT] = LOG_ALERT,  [D_LL_EMERG] = LOG_EMERG,
	};

	return (unsigned)lvl < D_ARRAY_SIZE(prio) ? prio[lvl] : LOG_ERR;
}

/*
 * Format and write one line.  `file` is NULL when the caller has no
 * location; `with_rc` appends ": " DF_RC after the message (after any
 * trailing newlines of the message are dropped).
 */
static void __attribute__((format(printf, 6, 0)))
log_vwrite(enum d_log_level lvl, const char *file, int line, bool with_rc, int rc, const char *fmt,
	   va_list ap)
{
	struct d_sbuf  sb;
	struct d_sbuf  msg;
	struct timeval tv;
	struct tm      tm;
	ssize_t	       n;
	char	       zone[8];
	const char    *base;

	if (!d_log_enabled(lvl))
		return;
	d_sbuf_init(&msg);
	if (file != NULL && lvl <= D_LL_DEBUG) {
		base = strrchr(file, '/');
		d_sbuf_printf(&msg, "%s:%d: ", base != NULL ? base + 1 : file, line);
	}
	d_sbuf_vprintf(&msg, fmt, ap);
	while (msg.len > 0 && msg.buf[msg.len - 1] == '\n')
		msg.buf[--msg.len] = '\0';
	if (with_rc)
		d_sbuf_printf(&msg, ": " DF_RC, DP_RC(rc));
	if (dlog.syslog) {
		/* syslog supplies the time, ident and pid */
		syslog(syslog_prio(lvl), "%s", msg.buf != NULL ? msg.buf : "");
		d_sbuf_fini(&msg);
		return;
	}
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	d_sbuf_init(&sb);
	if (dlog.json) {
		strftime(zone, sizeof(zone), "%z", &tm);
		d_sbuf_printf(
			&sb, "{\"level\":\"%s\",\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%06ld%s\"",
			json_level(lvl), tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			tm.tm_min, tm.tm_sec, (long)tv.tv_usec, zone);
		if (dlog.ident[0] != '\0') {
			d_sbuf_printf(&sb, ",\"extra\":");
			d_json_quote(&sb, dlog.ident);
		}
		d_sbuf_printf(&sb, ",\"message\":");
		d_json_quote(&sb, msg.buf);
		d_sbuf_printf(&sb, "}");
	} else {
		d_sbuf_printf(&sb, "%s %04d/%02d/%02d %02d:%02d:%02d.%06ld %s%s",
			      d_log_level_name(lvl), tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			      tm.tm_hour, tm.tm_min, tm.tm_sec, (long)tv.tv_usec, dlog.ident,
			      dlog.ident[0] ? ": " : "");
		if (msg.buf != NULL)
			d_sbuf_putn(&sb, msg.buf, msg.len);
	}
	d_sbuf_putn(&sb, "\n", 1);
	if (sb.buf != NULL && !sb.failed) {
		pthread_mutex_lock(&dlog.lock);
		n = write(dlog.fd, sb.buf, sb.len);
		pthread_mutex_unlock(&dlog.lock);
		(void)n;
	}
	d_sbuf_fini(&sb);
	d_sbuf_fini(&msg);
}

void
d_log_write_at(enum d_log_level lvl, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(lvl, file, line, false, 0, fmt, ap);
	va_end(ap);
}

void
d_log_write_rc_at(enum d_log_level lvl, const char *file, int line, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(lvl, file, line, true, rc, fmt, ap);
	va_end(ap);
}
