/*
 * Error code names and descriptions, generated from the X-macro table in
 * daos/daos_errno.h, plus the one place where errno(3) values become -DER_*.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <daos/daos_errno.h>

struct err_entry {
	int	    code;
	const char *name;
	const char *desc;
};

#define D_ERR_ENTRY(name, value, desc) {value, #name, desc},

static const struct err_entry err_table[] = {{0, "DER_SUCCESS", "Success"},
					     D_FOREACH_GURT_ERR(D_ERR_ENTRY)
						     D_FOREACH_DAOS_ERR(D_ERR_ENTRY)};

static const struct err_entry *
err_lookup(int rc)
{
	size_t i;

	if (rc < 0)
		rc = -rc;
	for (i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].code == rc)
			return &err_table[i];
	return NULL;
}

const char *
d_errstr(int rc)
{
	const struct err_entry *e = err_lookup(rc);

	return e ? e->desc : "Unknown error code";
}

const char *
d_errname(int rc)
{
	const struct err_entry *e = err_lookup(rc);

	return e ? e->name : "DER_UNKNOWN";
}

int
d_errno2der(int err)
{
	switch (err) {
	case 0:
		return 0;
	case EPERM:
	case EACCES:
		return -DER_NO_PERM;
	case ENOMEM:
		return -DER_NOMEM;
	case EDQUOT:
	case ENOSPC:
		return -DER_NOSPACE;
	case EEXIST:
		return -DER_EXIST;
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return -DER_NONEXIST;
	case ETIMEDOUT:
		return -DER_TIMEDOUT;
	case EBUSY:
	case EADDRINUSE:
		return -DER_BUSY;
	case EAGAIN:
		return -DER_AGAIN;
	case ENOTDIR:
		return -DER_NOTDIR;
	case ENAMETOOLONG:
		return -DER_BADPATH;
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case ENETUNREACH:
		return -DER_UNREACH;
	case ENOSYS:
	case EOPNOTSUPP:
		return -DER_NOSYS;
	case EINVAL:
	case ERANGE:
		return -DER_INVAL;
	case EIO:
		return -DER_IO;
	default:
		return -DER_MISC;
	}
}
