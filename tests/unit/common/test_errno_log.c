/*
 * Unit tests for the error table, the two log-mask parsers and the log
 * macros (mask tested before arguments, file:line on debug lines, the
 * DL_* forms that print an error code).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "common/log.h"

static void
test_errstr(void **state)
{
	(void)state;
	assert_int_equal(DER_INVAL, 1003);
	assert_int_equal(DER_NOTLEADER, 2008);
	assert_int_equal(DER_BAD_CERT, 2044);
	assert_string_equal(d_errstr(-DER_INVAL), "Invalid parameters");
	assert_string_equal(d_errstr(DER_INVAL), "Invalid parameters");
	assert_string_equal(d_errname(-DER_NOMEM), "DER_NOMEM");
	assert_string_equal(d_errstr(0), "Success");
	assert_string_equal(d_errstr(-99999), "Unknown error code");
	assert_string_equal(d_errname(-99999), "DER_UNKNOWN");
}

static void
test_errno2der(void **state)
{
	(void)state;
	assert_int_equal(d_errno2der(ENOENT), -DER_NONEXIST);
	assert_int_equal(d_errno2der(EACCES), -DER_NO_PERM);
	assert_int_equal(d_errno2der(ENOMEM), -DER_NOMEM);
	assert_int_equal(d_errno2der(0), 0);
	assert_int_equal(d_errno2der(EXDEV), -DER_MISC);
}

static void
test_log_mask(void **state)
{
	enum d_log_level lvl;
	struct d_errbuf	 eb;

	(void)state;
	assert_int_equal(d_log_mask_parse("ERR", &lvl, &eb), 0);
	assert_int_equal(lvl, D_LL_ERROR);
	assert_int_equal(d_log_mask_parse("dbug", &lvl, &eb), 0);
	assert_int_equal(lvl, D_LL_DEBUG);
	assert_int_equal(d_log_mask_parse("INFO,MEM=ERR,rpc=DEBUG", &lvl, &eb), 0);
	assert_int_equal(lvl, D_LL_INFO);
	assert_int_equal(d_log_mask_parse("VERBOSE", &lvl, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "unknown log level \"VERBOSE\""));
	assert_int_equal(d_log_mask_parse("INFO,MEM=LOUD", &lvl, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "subsystem \"MEM\""));
	assert_int_equal(d_log_mask_parse("INFO,,ERR", &lvl, &eb), -DER_INVAL);
	assert_int_equal(d_log_mask_parse("", &lvl, &eb), -DER_INVAL);
	{
		char big[1100];

		memset(big, 'A', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(d_log_mask_parse(big, &lvl, &eb), -DER_INVAL);
		assert_non_null(strstr(eb.msg, "limit is 1023"));
	}
}

static void
test_control_mask(void **state)
{
	enum d_log_level lvl;
	struct d_errbuf	 eb;

	(void)state;
	assert_int_equal(d_log_control_mask_parse("NOTICE", &lvl, &eb), 0);
	assert_int_equal(lvl, D_LL_NOTE);
	assert_int_equal(d_log_control_mask_parse("disabled", &lvl, &eb), 0);
	assert_int_equal(lvl, D_LL_DISABLED);
	assert_int_equal(d_log_control_mask_parse("ERR", &lvl, &eb), -DER_INVAL);
	assert_non_null(strstr(eb.msg, "unknown control log level \"ERR\""));
}

static void
test_log_destination(void **state)
{
	char path[] = "/tmp/test_log_dest_XXXXXX";
	int  fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(d_log_open("t", NULL, D_LL_INFO), 0);
	assert_true(d_log_to_stderr());
	assert_int_equal(d_log_open("t", path, D_LL_INFO), 0);
	assert_false(d_log_to_stderr());
	D_INFO("to the file");
	d_log_close();
	assert_true(d_log_to_stderr());
	unlink(path);
}

/* Log to a fresh temporary file at `lvl`; the path is written to `path`. */
static void
log_to_tmp(char *path, enum d_log_level lvl)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(d_log_open("t", path, lvl), 0);
}

/* Close the log, return the contents of `path` (caller frees) and remove it. */
static char *
log_slurp(const char *path)
{
	char  *buf = calloc(1, 8192);
	FILE  *f;
	size_t n;

	d_log_close();
	assert_non_null(buf);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, 8191, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	return buf;
}

static int log_arg_evals;

static int
count_eval(void)
{
	return ++log_arg_evals;
}

static void
test_log_masked_args_not_evaluated(void **state)
{
	char  path[] = "/tmp/test_log_mask_XXXXXX";
	char *text;

	(void)state;
	log_to_tmp(path, D_LL_INFO);
	log_arg_evals = 0;
	D_TRACE("trace %d", count_eval());
	D_DEBUG("debug %d", count_eval());
	DL_DEBUG(-DER_INVAL, "debug rc %d", count_eval());
	assert_int_equal(log_arg_evals, 0);
	/* the rc argument itself is not evaluated either */
	DL_DEBUG(count_eval(), "debug rc");
	assert_int_equal(log_arg_evals, 0);
	D_INFO("info %d", count_eval());
	assert_int_equal(log_arg_evals, 1);
	d_log_set_level(D_LL_DISABLED);
	D_ERROR("error %d", count_eval());
	DL_ERROR(count_eval(), "error rc %d", count_eval());
	assert_int_equal(log_arg_evals, 1);
	/* usable as the body of an if/else without braces */
	if (log_arg_evals == 1)
		D_CRIT("crit %d", count_eval());
	else
		D_WARN("warn %d", count_eval());
	assert_int_equal(log_arg_evals, 1);
	text = log_slurp(path);
	assert_non_null(strstr(text, "info 1"));
	assert_null(strstr(text, "debug"));
	assert_null(strstr(text, "error"));
	free(text);
	d_log_set_level(D_LL_INFO);
}

static void
test_log_debug_location(void **state)
{
	char  path[] = "/tmp/test_log_loc_XXXXXX";
	char  want[64];
	char *text;
	int   line;

	(void)state;
	log_to_tmp(path, D_LL_DEBUG);
	D_DEBUG("where am I");
	line = __LINE__ - 1;
	D_INFO("plain info");
	text = log_slurp(path);
	snprintf(want, sizeof(want), "test_errno_log.c:%d: where am I\n", line);
	assert_non_null(strstr(text, want));
	/* no directory part: the base name follows the ident directly */
	assert_non_null(strstr(text, "t: test_errno_log.c:"));
	/* lines of INFO and above keep their format: no location */
	assert_non_null(strstr(text, " t: plain info\n"));
	free(text);
}

static void
test_log_rc(void **state)
{
	char  path[] = "/tmp/test_log_rc_XXXXXX";
	char *text;

	(void)state;
	log_to_tmp(path, D_LL_INFO);
	DL_ERROR(-DER_NONEXIST, "open %s", "/x");
	DL_WARN(DER_NOMEM, "alloc\n");
	DL_INFO(-99999, "odd");
	text = log_slurp(path);
	assert_non_null(strstr(text, "ERROR "));
	assert_non_null(strstr(
		text, " t: open /x: DER_NONEXIST(-1005): 'The specified entity does not exist'\n"));
	assert_non_null(strstr(text, " t: alloc: DER_NOMEM(1009): 'Out of memory'\n"));
	assert_non_null(strstr(text, " t: odd: DER_UNKNOWN(-99999): 'Unknown error code'\n"));
	free(text);
}

static void
test_sbuf(void **state)
{
	struct d_sbuf sb;
	char	     *s;

	(void)state;
	d_sbuf_init(&sb);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(d_sbuf_printf(&sb, "%d,", i), 0);
	s = d_sbuf_take(&sb);
	assert_int_equal(strncmp(s, "0,1,2,", 6), 0);
	assert_int_equal(strlen(s), 3890);
	free(s);
	s = d_asprintf("%s-%d", "wolf", 71);
	assert_string_equal(s, "wolf-71");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errstr),
		cmocka_unit_test(test_errno2der),
		cmocka_unit_test(test_log_mask),
		cmocka_unit_test(test_control_mask),
		cmocka_unit_test(test_sbuf),
		cmocka_unit_test(test_log_destination),
		cmocka_unit_test(test_log_masked_args_not_evaluated),
		cmocka_unit_test(test_log_debug_location),
		cmocka_unit_test(test_log_rc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
