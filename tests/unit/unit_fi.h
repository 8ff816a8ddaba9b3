/*
 * Running a piece of a unit test under allocation fault injection.
 * D_FI_ALLOC_FAIL is read once per process, so the case runs in a fresh
 * copy of the test executable: unit_fi_run("name", n) re-executes
 * /proc/self/exe with D_FI_ALLOC_FAIL=n and UNIT_FI_CASE=name and returns
 * the child's exit status; main() calls unit_fi_dispatch() first, which
 * runs the named case in the child and exits with its return value.
 */
#ifndef DAOS_TESTS_UNIT_FI_H
#define DAOS_TESTS_UNIT_FI_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct unit_fi_case {
	const char *name;
	int (*fn)(void);
};

static inline int
unit_fi_run(const char *name, int nth)
{
	char  n[16];
	pid_t pid;
	int   status;

	snprintf(n, sizeof(n), "%d", nth);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char *argv[] = {"unit_fi", NULL};

		int null = open("/dev/null", O_WRONLY);

		/* the case's own messages are not part of the test's output */
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		setenv("D_FI_ALLOC_FAIL", n, 1);
		setenv("UNIT_FI_CASE", name, 1);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static inline void
unit_fi_dispatch(const struct unit_fi_case *cases)
{
	const char *name = getenv("UNIT_FI_CASE");

	if (name == NULL)
		return;
	for (; cases->name != NULL; cases++)
		if (strcmp(cases->name, name) == 0)
			exit(cases->fn());
	exit(126);
}

#endif /* DAOS_TESTS_UNIT_FI_H */
