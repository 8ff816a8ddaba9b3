/*
 * Unit tests for the error table, the allocation fault injection and the
 * two log-mask parsers.
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
	struct d_errbuf  eb;

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
	struct d_errbuf  eb;

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
	int  fd     = mkstemp(path);

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

static void
test_sbuf(void **state)
{
	struct d_sbuf sb;
	char         *s;

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
	    cmocka_unit_test(test_errstr),      cmocka_unit_test(test_errno2der),
	    cmocka_unit_test(test_log_mask),    cmocka_unit_test(test_control_mask),
	    cmocka_unit_test(test_sbuf),        cmocka_unit_test(test_log_destination),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
