/*
 * The engine instances of daos_server (srv_engine.h): state per `engines:`
 * entry, the daos_engine processes and their supervision, and the dRPC
 * server on <socket_dir>/daos_server.sock that receives NotifyReady.
 *
 * One supervisor thread forks every engine, relays its stdout/stderr (one
 * pipe) line by line to the log as "daos_engine:<idx> <line>" (the banner
 * also on our stdout) and reaps it when it exits, seen on a pidfd, not when
 * the pipe closes: a grandchild that inherited the pipe may outlive the
 * engine.  At the exit, what the pipe still holds is relayed and the pipe
 * is closed (a grandchild writing later gets EPIPE).  Forking from that
 * long-lived thread matters: PR_SET_PDEATHSIG fires when the *thread* that
 * forked ends, so an engine forked from an RPC connection thread would be
 * killed with it.  The supervisor ends only in srv_engines_destroy(), after
 * every engine has exited; if daos_server dies any other way the kernel
 * kills the engines (SIGKILL).
 *
 * A ready engine and an unasked exit go to the hooks given to
 * srv_engines_create() (srv_join.c: Join, SetRank/SetUp, ClusterEvent);
 * nothing here calls that layer by name.  The rank actions are in
 * srv_engine_rpc.c, the calls on an engine's own dRPC socket in
 * srv_engine_drpc.c.  Nothing here formats storage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "control/lib/config/config.h"
#include "control/lib/hw/hw.h"
#include "control/lib/storage/storage.h"
#include "control/server/srv_engine_internal.h"
#include "control/server/srv_storage.h"
#include "proto/srv.pb-c.h"

extern char **environ;

#define BANNER_PREFIX "DAOS I/O Engine (v"

const char *
srv_inst_state_name(enum srv_inst_state s)
{
	switch (s) {
	case SRV_INST_AWAIT_FORMAT:
		return "AwaitFormat";
	case SRV_INST_STOPPED:
		return "Stopped";
	case SRV_INST_STARTING:
		return "Starting";
	case SRV_INST_JOINED:
		return "Joined";
	case SRV_INST_ERRORED:
		return "Errored";
	}
	return "Unknown";
}

void
srv_engines_wake(struct srv_engines *en)
{
	char c = 1;

	if (write(en->wake[1], &c, 1) < 0) {
		/* pipe full: the supervisor is awake anyway */
	}
}

void
srv_engines_thread_done(struct srv_engines *en)
{
	pthread_mutex_lock(&en->lock);
	en->nr_threads--;
	pthread_cond_broadcast(&en->cond);
	pthread_mutex_unlock(&en->lock);
}

void
srv_engines_ctl_addr(const struct srv_engines *en, char *buf, size_t len)
{
	const char *h = en->st->listen_host[0] ? en->st->listen_host : "0.0.0.0";

	snprintf(buf, len, "%s:%lld", h, (long long)en->st->cfg->port);
}

struct srv_inst *
srv_inst_by_rank(struct srv_engines *en, uint32_t rank)
{
	for (uint32_t i = 0; i < en->n; i++)
		if (en->insts[i].has_rank && en->insts[i].rank == rank)
			return &en->insts[i];
	return NULL;
}

uint32_t
srv_engines_count(const struct srv_engines *en)
{
	return en == NULL ? 0 : en->n;
}

enum srv_inst_state
srv_engine_state(struct srv_engines *en, uint32_t idx)
{
	enum srv_inst_state s;

	if (en == NULL || idx >= en->n)
		return SRV_INST_ERRORED;
	pthread_mutex_lock(&en->lock);
	s = en->insts[idx].state;
	pthread_mutex_unlock(&en->lock);
	return s;
}

bool
srv_engine_running(struct srv_engines *en, uint32_t idx)
{
	bool r;

	if (en == NULL || idx >= en->n)
		return false;
	pthread_mutex_lock(&en->lock);
	r = en->insts[idx].pid != 0;
	pthread_mutex_unlock(&en->lock);
	return r;
}

/* The instance idx, or NULL with "instance N does not exist" in eb. */
static struct srv_inst *
inst_get(struct srv_engines *en, uint32_t idx, struct d_errbuf *eb)
{
	if (en == NULL || idx >= en->n) {
		d_errbuf_set(eb, "instance %u does not exist", idx);
		return NULL;
	}
	return &en->insts[idx];
}

/* Wait on en->cond until deadline (CLOCK_MONOTONIC ms); false once it passed. */
static bool
cond_wait_until(struct srv_engines *en, int64_t deadline_ms)
{
	struct timespec ts = {.tv_sec = deadline_ms / 1000,
			      .tv_nsec = (deadline_ms % 1000) * 1000000};

	return pthread_cond_timedwait(&en->cond, &en->lock, &ts) != ETIMEDOUT;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- exit status and the supervisor ---------------------------------------------- */

/* Not a wait status waitpid() can return: the process was lost. */
#define STATUS_UNKNOWN (-1)

/* As upstream prints a process's end: "exit status 1", "signal: killed". */
static void
status_str(int status, char *buf, size_t len)
{
	if (status == STATUS_UNKNOWN) {
		snprintf(buf, len, "unknown (the process could not be waited for)");
	} else if (WIFEXITED(status)) {
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		const char *s = strsignal(WTERMSIG(status));
		char	    name[64];

		snprintf(name, sizeof(name), "%s", s ? s : "unknown");
		if (name[0] >= 'A' && name[0] <= 'Z')
			name[0] = (char)(name[0] - 'A' + 'a');
		snprintf(buf, len, "signal: %s", name);
	} else {
		snprintf(buf, len, "status 0x%x", status);
	}
}

static void
rank_str(const struct srv_inst *in, char *buf, size_t len)
{
	if (in->has_rank)
		snprintf(buf, len, "%u", in->rank);
	else
		snprintf(buf, len, "NilRank");
}

/* The engine's process is gone: settle the instance (supervisor, lock not held). */
static void
reaped(struct srv_engines *en, struct srv_inst *in, int status)
{
	char	 st[64], rk[32];
	bool	 died, event = false;
	pid_t	 pid;
	uint32_t rank = 0;
	uint64_t inc = 0;
	char	 msg[600];

	status_str(status, st, sizeof(st));
	pthread_mutex_lock(&en->lock);
	pid = in->pid;
	rank_str(in, rk, sizeof(rk));
	died = !in->stopping;
	snprintf(msg, sizeof(msg), "instance %u, pid %d, rank %s exited with status: %s", in->idx,
		 (int)pid, rk, st);
	if (died) {
		/*
		 * An engine that exits on its own before joining says why in its last
		 * line; one killed by a signal does not, whatever it printed last.
		 */
		bool said = in->state == SRV_INST_STARTING && status != STATUS_UNKNOWN &&
			    WIFEXITED(status) && in->last_line[0] != '\0';

		D_ERROR("%s", msg);
		if (said)
			D_ERROR("instance %u: daos_engine failed before joining the system: %s",
				in->idx, in->last_line);
		if (in->err[0] == '\0' || in->state != SRV_INST_ERRORED)
			snprintf(in->err, sizeof(in->err), "%.600s%s%s%.400s", msg,
				 in->state == SRV_INST_STARTING ? " before joining the system" : "",
				 said ? ": " : "", said ? in->last_line : "");
		/* The MS knows only engines that joined. */
		if (in->has_rank && in->ready && !en->shutdown) {
			event = true;
			rank = in->rank;
			inc = in->incarnation;
		}
		in->state = SRV_INST_ERRORED;
	} else {
		D_INFO("%s", msg);
		in->state = in->stop_after;
	}
	in->pid = 0;
	in->stopping = false;
	in->ready = false;
	in->drpc_sock[0] = '\0';
	if (event && en->hooks.on_exit != NULL)
		en->hooks.on_exit(en, rank, inc, msg);
	pthread_cond_broadcast(&en->cond);
	pthread_mutex_unlock(&en->lock);
}

/* Log complete lines of the engine's output (supervisor). */
static void
relay_lines(struct srv_inst *in, bool flush)
{
	char  *p = in->out, *nl;
	size_t left = in->outlen;

	while ((nl = memchr(p, '\n', left)) != NULL || (flush && left > 0) ||
	       left == sizeof(in->out)) {
		size_t n = nl ? (size_t)(nl - p) : left;

		p[n] = '\0';
		D_INFO("daos_engine:%u %s", in->idx, p);
		if (strncmp(p, BANNER_PREFIX, strlen(BANNER_PREFIX)) == 0) {
			printf("%s\n", p);
			fflush(stdout);
		}
		if (n > 0)
			snprintf(in->last_line, sizeof(in->last_line), "%s", p);
		n = nl ? n + 1 : n;
		p += n;
		left -= n;
	}
	memmove(in->out, p, left);
	in->outlen = left;
}

/* One read of the engine's output: the bytes read, 0 when none now or at EOF (pipe closed). */
static size_t
read_output(struct srv_inst *in)
{
	ssize_t n;

	do
		n = read(in->out_fd, in->out + in->outlen, sizeof(in->out) - in->outlen);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n <= 0) {
		relay_lines(in, true);
		close(in->out_fd);
		in->out_fd = -1;
		return 0;
	}
	in->outlen += (size_t)n;
	relay_lines(in, false);
	return (size_t)n;
}

/* Bound on what is relayed after the exit, against a grandchild that keeps writing. */
#define DRAIN_MAX (1024 * 1024)

/*
 * The engine exited (supervisor): relay what its pipe still holds, close
 * the pipe even if a grandchild keeps it open, and settle the instance.
 */
static void
exited(struct srv_engines *en, struct srv_inst *in, int status)
{
	size_t drained = 0;

	while (in->out_fd >= 0 && drained < DRAIN_MAX) {
		size_t n = read_output(in);

		if (n == 0)
			break;
		drained += n;
	}
	if (in->out_fd >= 0) {
		relay_lines(in, true);
		close(in->out_fd);
		in->out_fd = -1;
	}
	if (in->pidfd >= 0) {
		close(in->pidfd);
		in->pidfd = -1;
	}
	reaped(en, in, status);
}

/*
 * fork + exec of one engine (supervisor, lock held).  The child only makes
 * async-signal-safe calls: everything was prepared before.  An exec failure
 * comes back through a close-on-exec pipe.
 */
static void
launch(struct srv_engines *en, struct srv_inst *in)
{
	int   out[2] = {-1, -1}, errp[2] = {-1, -1}, cerr = 0;
	pid_t parent = getpid(), pid;

	in->launch_rc = 0;
	in->launch_msg[0] = '\0';
	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
		in->launch_rc = d_errno2der(errno);
		snprintf(in->launch_msg, sizeof(in->launch_msg),
			 "instance %u: cannot create a pipe: %s", in->idx, strerror(errno));
		goto fail;
	}
	D_INFO("Starting I/O Engine instance %u: %s", in->idx, in->exe);
	pid = fork();
	if (pid < 0) {
		in->launch_rc = d_errno2der(errno);
		snprintf(in->launch_msg, sizeof(in->launch_msg), "instance %u: cannot fork: %s",
			 in->idx, strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		struct sigaction dfl = {.sa_handler = SIG_DFL};
		sigset_t	 none;
		int		 devnull, e;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1); /* daos_server already gone */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* ignored dispositions survive exec */
		sigaction(SIGHUP, &dfl, NULL);
		sigaction(SIGPIPE, &dfl, NULL);
		devnull = open("/dev/null", O_RDONLY | O_CLOEXEC); /* dup2 clears it on 0 */
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		execve(in->exe, in->argv, in->envp);
		e = errno;
		if (write(errp[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(out[1]);
	out[1] = -1;
	close(errp[1]);
	errp[1] = -1;
	while (read(errp[0], &cerr, sizeof(cerr)) < 0 && errno == EINTR)
		;
	close(errp[0]);
	errp[0] = -1;
	if (cerr != 0) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		in->launch_rc = d_errno2der(cerr);
		snprintf(in->launch_msg, sizeof(in->launch_msg),
			 "instance %u: cannot execute %s: %s", in->idx, in->exe, strerror(cerr));
		goto fail;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	/* Only this thread waits for the engine, so the pid cannot be reused yet. */
	in->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (in->pidfd < 0)
		D_WARN("instance %u: pidfd_open: %s; polling for the engine's exit", in->idx,
		       strerror(errno));
	in->pid = pid;
	in->gen++;
	in->out_fd = out[0];
	in->outlen = 0;
	in->last_line[0] = '\0';
	in->err[0] = '\0';
	in->ready = false;
	in->stopping = false;
	in->state = SRV_INST_STARTING;
	goto done;
fail:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	in->state = SRV_INST_ERRORED;
	snprintf(in->err, sizeof(in->err), "%s", in->launch_msg);
	D_ERROR("%s", in->launch_msg);
done:
	in->launch_req = false;
	in->launch_done = true;
	pthread_cond_broadcast(&en->cond);
}

/* Poll period for the exit of an engine without a pidfd (kernels before 5.3). */
#define EXIT_POLL_MS 100

static void *
supervisor_main(void *arg)
{
	struct srv_engines *en = arg;
	struct pollfd	   *pfd;
	uint32_t	   *who;

	/* wake pipe, then per instance its output pipe and its pidfd */
	D_ALLOC_ARRAY(pfd, 2 * en->n + 1);
	D_ALLOC_ARRAY(who, 2 * en->n + 1);
	if (pfd == NULL || who == NULL) {
		D_CRIT("engine supervisor: out of memory");
		abort();
	}
	for (;;) {
		int  nfds = 1, timeout = -1;
		bool quit, busy = false;

		pthread_mutex_lock(&en->lock);
		for (uint32_t i = 0; i < en->n; i++)
			if (en->insts[i].launch_req)
				launch(en, &en->insts[i]);
		quit = en->quit;
		pthread_mutex_unlock(&en->lock);

		pfd[0] = (struct pollfd){.fd = en->wake[0], .events = POLLIN};
		/* in->pid is written only by this thread: no lock to read it here */
		for (uint32_t i = 0; i < en->n; i++) {
			struct srv_inst *in = &en->insts[i];

			if (in->out_fd >= 0) {
				pfd[nfds] = (struct pollfd){.fd = in->out_fd, .events = POLLIN};
				who[nfds++] = i;
			}
			if (in->pid == 0)
				continue;
			busy = true;
			if (in->pidfd >= 0) {
				pfd[nfds] = (struct pollfd){.fd = in->pidfd, .events = POLLIN};
				who[nfds++] = i;
			} else {
				timeout = EXIT_POLL_MS;
			}
		}
		if (quit && !busy)
			break;
		if (poll(pfd, (nfds_t)nfds, timeout) < 0 && errno != EINTR) {
			D_ERROR("engine supervisor: poll failed: %s", strerror(errno));
			usleep(EXIT_POLL_MS * 1000); /* not a busy loop */
		}
		if (pfd[0].revents & POLLIN) {
			char buf[64];

			while (read(en->wake[0], buf, sizeof(buf)) > 0)
				;
		}
		for (int k = 1; k < nfds; k++) {
			struct srv_inst *in = &en->insts[who[k]];

			if (pfd[k].revents != 0 && pfd[k].fd == in->out_fd)
				read_output(in);
		}
		for (uint32_t i = 0; i < en->n; i++) {
			struct srv_inst *in = &en->insts[i];
			int		 status;
			pid_t		 r;

			if (in->pid == 0)
				continue;
			r = waitpid(in->pid, &status, WNOHANG);
			if (r == 0 || (r < 0 && errno == EINTR))
				continue;
			if (r < 0) {
				D_CRIT("instance %u: cannot wait for daos_engine pid %d: %s", i,
				       (int)in->pid, strerror(errno));
				status = STATUS_UNKNOWN;
			}
			exited(en, in, status);
		}
	}
	D_FREE(pfd);
	D_FREE(who);
	return NULL;
}

/* ---- preparing a start ------------------------------------------------------------ */

/* daos_engine in PATH, else (build tree) the one of our build, else next to our own binary. */
static bool
has_bdevs(const struct ctl_engine *e)
{
	return e->nstorage > 1;
}

/* Everything the child needs, built in this thread (lock not held). */
static int
prepare(struct srv_engines *en, uint32_t idx, char **exe, char ***argv, char ***envp,
	struct d_errbuf *eb)
{
	const struct ctl_server_config *cfg = en->st->cfg;
	const struct ctl_engine	       *e = &cfg->engines[idx];
	struct ctl_engine_runtime	rt = {0};
	struct ctl_superblock		sb;
	struct d_errbuf			e2 = {{0}};
	char			       *nvme = NULL;
	int				rc;

	*exe = NULL;
	*argv = NULL;
	*envp = NULL;
	if (e->nstorage == 0 || e->storage[0].scm_mount == NULL) {
		d_errbuf_set(eb, "instance %u: the engine has no SCM tier (scm_mount)", idx);
		return -DER_INVAL;
	}
	rc = ctl_superblock_read(e->storage[0].scm_mount, &sb, &e2);
	if (rc != 0) {
		d_errbuf_set(eb, "instance %u: %s", idx, e2.msg);
		return rc;
	}
	/* Storage of another system would join this one with that system's rank. */
	const char *name = cfg->name != NULL ? cfg->name : "daos_server";

	if (sb.system[0] != '\0' && strcmp(sb.system, name) != 0) {
		d_errbuf_set(eb,
			     "instance %u: the superblock in %s belongs to system \"%s\", not to "
			     "this server's system \"%s\"; the engine is not started: set name: %s "
			     "in daos_server.yml to serve that system, or dmg storage format "
			     "--force to erase the instance for this one",
			     idx, e->storage[0].scm_mount, sb.system, name, sb.system);
		return -DER_INVAL;
	}
	if (has_bdevs(e)) {
		rc = srv_nvme_conf_install(cfg, idx, en->st->hostname, &nvme, &e2);
		if (rc != 0) {
			d_errbuf_set(eb, "instance %u: %s", idx, e2.msg);
			return rc;
		}
	}
	rc = srv_engine_mem_sizes(cfg, idx, &rt.mem_size_mib, &rt.hugepage_mib, &e2);
	if (rc == 0)
		rc = srv_find_binary(CTL_ENGINE_BIN, "src/engine", exe, &e2);
	if (rc != 0) {
		d_errbuf_set(eb, "instance %u: %s", idx, e2.msg);
		goto out;
	}
	rt.argv0 = *exe;
	rt.system_name = cfg->name;
	rt.socket_dir = cfg->socket_dir;
	rt.index = idx;
	rt.nvme_conf = nvme;
	rt.environ = environ;
	rc = ctl_engine_argv(e, &rt, argv, &e2);
	if (rc == 0)
		rc = ctl_engine_envp(e, &rt, envp, &e2);
	if (rc != 0)
		d_errbuf_set(eb, "instance %u: %s", idx, e2.msg);
out:
	if (rc != 0) {
		D_FREE(*exe);
		ctl_strv_free(*argv);
		ctl_strv_free(*envp);
		*exe = NULL;
		*argv = NULL;
		*envp = NULL;
	}
	D_FREE(nvme);
	return rc;
}

/* ---- start / stop ------------------------------------------------------------------ */

int
srv_engine_start(struct srv_engines *en, uint32_t idx, struct d_errbuf *eb)
{
	struct srv_inst *in;
	char		*exe, **argv, **envp;
	int		 rc;

	in = inst_get(en, idx, eb);
	if (in == NULL)
		return -DER_NONEXIST;
	pthread_mutex_lock(&en->lock);
	if (in->pid != 0 || in->launch_req) {
		pthread_mutex_unlock(&en->lock);
		return 0;
	}
	if (en->shutdown) {
		pthread_mutex_unlock(&en->lock);
		d_errbuf_set(eb, "instance %u: daos_server is shutting down", idx);
		return -DER_SHUTDOWN;
	}
	if (in->state == SRV_INST_AWAIT_FORMAT) {
		pthread_mutex_unlock(&en->lock);
		d_errbuf_set(eb, "instance %u: storage is not formatted; run dmg storage format",
			     idx);
		return -DER_UNINIT;
	}
	pthread_mutex_unlock(&en->lock);

	rc = prepare(en, idx, &exe, &argv, &envp, eb);
	pthread_mutex_lock(&en->lock);
	if (in->state == SRV_INST_AWAIT_FORMAT) {
		/* a reformat or reset format fenced the instance while we prepared */
		pthread_mutex_unlock(&en->lock);
		D_FREE(exe);
		ctl_strv_free(argv);
		ctl_strv_free(envp);
		d_errbuf_set(eb, "instance %u: storage is not formatted; run dmg storage format",
			     idx);
		return -DER_UNINIT;
	}
	if (rc != 0) {
		in->state = SRV_INST_ERRORED;
		snprintf(in->err, sizeof(in->err), "%s", eb->msg);
		D_ERROR("%s", eb->msg);
		pthread_cond_broadcast(&en->cond);
		pthread_mutex_unlock(&en->lock);
		return rc;
	}
	if (in->pid != 0 || in->launch_req || en->shutdown) { /* raced with another start */
		pthread_mutex_unlock(&en->lock);
		D_FREE(exe);
		ctl_strv_free(argv);
		ctl_strv_free(envp);
		return 0;
	}
	in->exe = exe;
	in->argv = argv;
	in->envp = envp;
	in->launch_done = false;
	in->launch_req = true;
	srv_engines_wake(en);
	while (!in->launch_done)
		pthread_cond_wait(&en->cond, &en->lock);
	rc = in->launch_rc;
	if (rc != 0)
		d_errbuf_set(eb, "%s", in->launch_msg);
	in->exe = NULL;
	in->argv = NULL;
	in->envp = NULL;
	pthread_mutex_unlock(&en->lock);
	D_FREE(exe);
	ctl_strv_free(argv);
	ctl_strv_free(envp);
	return rc;
}

int
srv_engine_stop(struct srv_engines *en, uint32_t idx, bool force, enum srv_inst_state after,
		struct d_errbuf *eb)
{
	struct srv_inst *in;
	int64_t		 deadline;
	pid_t		 pid;
	int		 rc = 0;

	in = inst_get(en, idx, eb);
	if (in == NULL)
		return -DER_NONEXIST;
	pthread_mutex_lock(&en->lock);
	/* a start handed to the supervisor would otherwise launch after this stop */
	while (in->launch_req)
		pthread_cond_wait(&en->cond, &en->lock);
	pid = in->pid;
	if (pid == 0) {
		/* nothing runs; unformatted storage stays AwaitFormat unless asked otherwise */
		if (in->state != SRV_INST_AWAIT_FORMAT || after == SRV_INST_AWAIT_FORMAT)
			in->state = after;
		pthread_cond_broadcast(&en->cond);
		pthread_mutex_unlock(&en->lock);
		return 0;
	}
	in->stopping = true;
	in->stop_after = after;
	D_INFO("instance %u: stopping daos_engine pid %d (%s)", idx, (int)pid,
	       force ? "SIGKILL" : "SIGTERM");
	kill(pid, force ? SIGKILL : SIGTERM);
	deadline = now_ms() + SRV_STOP_GRACE_MS;
	while (in->pid == pid && now_ms() < deadline)
		cond_wait_until(en, deadline);
	if (in->pid == pid) {
		D_WARN("instance %u: daos_engine pid %d did not exit within %d s of SIGTERM; "
		       "sending SIGKILL",
		       idx, (int)pid, SRV_STOP_GRACE_MS / 1000);
		kill(pid, SIGKILL);
		deadline = now_ms() + SRV_STOP_GRACE_MS;
		while (in->pid == pid && now_ms() < deadline)
			cond_wait_until(en, deadline);
	}
	if (in->pid == pid) {
		d_errbuf_set(eb, "instance %u: daos_engine pid %d did not exit after SIGKILL", idx,
			     (int)pid);
		rc = -DER_TIMEDOUT;
	}
	pthread_mutex_unlock(&en->lock);
	return rc;
}

int
srv_engine_wait_joined(struct srv_engines *en, uint32_t idx, int timeout_ms, struct d_errbuf *eb)
{
	struct srv_inst *in;
	int64_t		 deadline = now_ms() + timeout_ms;
	int		 rc;

	in = inst_get(en, idx, eb);
	if (in == NULL)
		return -DER_NONEXIST;
	pthread_mutex_lock(&en->lock);
	for (;;) {
		if (in->state == SRV_INST_JOINED) {
			rc = 0;
			break;
		}
		if (in->state == SRV_INST_ERRORED) {
			d_errbuf_set(eb, "%s", in->err[0] ? in->err : "instance errored");
			rc = -DER_MISC;
			break;
		}
		if (in->pid == 0 && !in->launch_req) {
			d_errbuf_set(eb, "instance %u is %s, not running", idx,
				     srv_inst_state_name(in->state));
			rc = -DER_MISC;
			break;
		}
		if (now_ms() >= deadline) {
			d_errbuf_set(eb, "instance %u did not join the system within %d s", idx,
				     timeout_ms / 1000);
			rc = -DER_TIMEDOUT;
			break;
		}
		cond_wait_until(en, deadline);
	}
	pthread_mutex_unlock(&en->lock);
	return rc;
}

int
srv_engine_storage_ready(struct srv_engines *en, uint32_t idx, bool replace, struct d_errbuf *eb)
{
	struct ctl_superblock sb;
	struct d_errbuf	      e2 = {{0}};
	struct srv_inst	     *in;

	in = inst_get(en, idx, eb);
	if (in == NULL)
		return -DER_NONEXIST;
	pthread_mutex_lock(&en->lock);
	if (in->pid != 0) {
		pthread_mutex_unlock(&en->lock);
		d_errbuf_set(eb, "instance %u: can't format storage of running instance", idx);
		return -DER_BUSY;
	}
	in->replace = replace;
	in->has_rank = false;
	if (in->cfg->nstorage > 0 &&
	    ctl_superblock_read(in->cfg->storage[0].scm_mount, &sb, &e2) == 0 && sb.has_rank &&
	    sb.validrank) {
		in->has_rank = true;
		in->rank = sb.rank;
	}
	in->state = SRV_INST_STOPPED;
	pthread_mutex_unlock(&en->lock);
	D_INFO("instance %u: storage ready%s", idx, replace ? " (replace)" : "");
	return srv_engine_start(en, idx, eb);
}

/* ---- dRPC: NotifyReady ------------------------------------------------------------- */

static int32_t
h_notify_ready(const struct d_drpc_req *req, void *arg, uint8_t **body, size_t *len)
{
	struct srv_engines  *en = arg;
	Srv__NotifyReadyReq *in;
	struct srv_inst	    *inst;
	const char	    *base;
	int32_t		     status = D_DRPC_SUCCESS;
	long		     spid = 0;

	(void)body;
	(void)len;
	in = srv__notify_ready_req__unpack(NULL, req->body_len, req->body);
	if (in == NULL) {
		D_ERROR("NotifyReady: cannot decode the request (%zu bytes)", req->body_len);
		return D_DRPC_FAILED_UNMARSHAL_PAYLOAD;
	}
	if (in->instanceidx >= en->n) {
		D_ERROR("NotifyReady from an engine with index %u: this daos_server has %u "
			"engine(s)",
			in->instanceidx, en->n);
		status = D_DRPC_FAILURE;
		goto out;
	}
	inst = &en->insts[in->instanceidx];
	base = in->drpclistenersock ? strrchr(in->drpclistenersock, '/') : NULL;
	if (base != NULL)
		sscanf(base, "/daos_engine_%ld.sock", &spid);
	pthread_mutex_lock(&en->lock);
	if (inst->pid == 0 || inst->state != SRV_INST_STARTING ||
	    (spid != 0 && spid != inst->pid)) {
		D_ERROR("NotifyReady for instance %u (listener %s) refused: instance is %s with "
			"pid %d; was this engine started by another daos_server?",
			in->instanceidx, in->drpclistenersock ? in->drpclistenersock : "",
			srv_inst_state_name(inst->state), (int)inst->pid);
		status = D_DRPC_FAILURE;
	} else {
		inst->ready = true;
		inst->incarnation = in->incarnation;
		inst->nctxs = in->nctxs;
		inst->check_mode = in->check_mode;
		snprintf(inst->uri, sizeof(inst->uri), "%s", in->uri ? in->uri : "");
		snprintf(inst->drpc_sock, sizeof(inst->drpc_sock), "%s",
			 in->drpclistenersock ? in->drpclistenersock : "");
		D_INFO("instance %u: engine ready (NotifyReady): uri %s, %u contexts, "
		       "incarnation %llu, dRPC %s",
		       inst->idx, inst->uri, inst->nctxs, (unsigned long long)inst->incarnation,
		       inst->drpc_sock);
		if (en->hooks.on_ready != NULL && en->hooks.on_ready(en, inst->idx, inst->gen) != 0)
			status = D_DRPC_FAILURE;
	}
	pthread_mutex_unlock(&en->lock);
out:
	srv__notify_ready_req__free_unpacked(in, NULL);
	return status;
}

static void
drpc_event(void *arg, int rc, const char *msg)
{
	(void)arg;
	D_WARN("dRPC server: %s (%s)", msg, d_errstr(rc));
}

/* Upstream removes leftover engine sockets before listening. */
static void
remove_stale_sockets(const char *dir)
{
	DIR	      *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "daos_engine", 11) != 0 || strlen(de->d_name) < 5 ||
		    strcmp(de->d_name + strlen(de->d_name) - 5, ".sock") != 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			D_DEBUG("removed stale socket %s/%s", dir, de->d_name);
	}
	closedir(d);
}

/* ---- lifecycle ---------------------------------------------------------------------- */

int
srv_engines_create(struct srv_state *st, const struct srv_engine_hooks *hooks,
		   struct srv_engines **out, struct d_errbuf *eb)
{
	const struct ctl_server_config *cfg = st->cfg;
	struct srv_engines	       *en;
	int				rc;

	D_ALLOC_PTR(en);
	if (en == NULL)
		return -DER_NOMEM;
	en->st = st;
	if (hooks != NULL)
		en->hooks = *hooks;
	en->wake[0] = en->wake[1] = -1;
	pthread_mutex_init(&en->lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&en->cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	en->n = (uint32_t)cfg->nengines;
	D_ALLOC_ARRAY(en->insts, en->n ? en->n : 1);
	en->sock_path = d_asprintf("%s/daos_server.sock", cfg->socket_dir);
	if (en->insts == NULL || en->sock_path == NULL) {
		rc = -DER_NOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < en->n; i++) {
		struct srv_inst	     *in = &en->insts[i];
		struct ctl_superblock sb;
		struct d_errbuf	      e2 = {{0}};

		in->idx = i;
		in->cfg = &cfg->engines[i];
		in->out_fd = -1;
		in->pidfd = -1;
		in->state = SRV_INST_AWAIT_FORMAT;
		if (in->cfg->nstorage > 0 && in->cfg->storage[0].scm_mount != NULL &&
		    ctl_superblock_read(in->cfg->storage[0].scm_mount, &sb, &e2) == 0 &&
		    sb.has_rank && sb.validrank) {
			in->has_rank = true;
			in->rank = sb.rank;
		}
	}
	if (pipe2(en->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		rc = d_errno2der(errno);
		d_errbuf_set(eb, "cannot create a pipe: %s", strerror(errno));
		goto fail;
	}
	remove_stale_sockets(cfg->socket_dir);
	rc = d_drpc_server_create(en->sock_path, 0600, &en->drpc, eb);
	if (rc != 0)
		goto fail;
	d_drpc_server_set_notify(en->drpc, drpc_event, en);
	rc = d_drpc_server_register(en->drpc, D_DRPC_MODULE_SRV, D_DRPC_METHOD_SRV_NOTIFY_READY,
				    h_notify_ready, en);
	if (rc == 0)
		rc = d_drpc_server_start(en->drpc);
	if (rc != 0) {
		d_errbuf_set(eb, "cannot start the dRPC server on %s: %s", en->sock_path,
			     d_errstr(rc));
		goto fail;
	}
	rc = pthread_create(&en->sup_tid, NULL, supervisor_main, en);
	if (rc != 0) {
		d_errbuf_set(eb, "cannot start the engine supervisor thread: %s", strerror(rc));
		rc = d_errno2der(rc);
		goto fail;
	}
	en->sup_running = true;
	D_INFO("dRPC server listening on %s", en->sock_path);
	*out = en;
	return 0;
fail:
	srv_engines_destroy(en);
	return rc;
}

void
srv_engines_start_all(struct srv_engines *en)
{
	if (en == NULL)
		return;
	for (uint32_t i = 0; i < en->n; i++) {
		const struct ctl_engine *e = en->insts[i].cfg;
		const char		*need = "SCM";
		char			 why[D_ERRBUF_LEN] = "the engine has no SCM tier";
		struct d_errbuf		 eb = {{0}};

		D_INFO("Checking DAOS I/O Engine instance %u storage ...", i);
		if (e->nstorage > 0 && (e->storage[0].class == CTL_CLASS_RAM ||
					e->storage[0].class == CTL_CLASS_DCPM)) {
			/* A formatted dcpm file system after a reboot: mount it, as upstream. */
			if (srv_scm_mount(en->st->cfg, &e->storage[0], &eb) != 0)
				snprintf(why, sizeof(why), "%s", eb.msg);
			else
				need = srv_scm_format_needed(&e->storage[0], why, sizeof(why));
		}
		if (need == SRV_SB_DAMAGED) {
			D_ERROR("instance %u: %s; the engine is not started: dmg storage format "
				"--force reformats the instance, erasing its storage",
				i, why);
			continue;
		}
		if (need != NULL) {
			D_DEBUG("instance %u: %s", i, why);
			D_INFO("%s format required on instance %u", need, i);
			continue;
		}
		pthread_mutex_lock(&en->lock);
		if (en->insts[i].state == SRV_INST_AWAIT_FORMAT)
			en->insts[i].state = SRV_INST_STOPPED;
		pthread_mutex_unlock(&en->lock);
		srv_engine_start(en, i, &eb); /* a failure is logged and leaves it Errored */
	}
}

void
srv_engines_destroy(struct srv_engines *en)
{
	if (en == NULL)
		return;
	pthread_mutex_lock(&en->lock);
	en->shutdown = true;
	pthread_cond_broadcast(&en->cond);
	pthread_mutex_unlock(&en->lock);
	if (en->sup_running) {
		for (uint32_t i = 0; i < en->n; i++) {
			struct d_errbuf eb = {{0}};

			if (srv_engine_stop(en, i, false, SRV_INST_STOPPED, &eb) != 0)
				D_ERROR("%s", eb.msg);
		}
	}
	/* join and event threads give up once they see shutdown */
	pthread_mutex_lock(&en->lock);
	while (en->nr_threads > 0)
		pthread_cond_wait(&en->cond, &en->lock);
	en->quit = true;
	pthread_mutex_unlock(&en->lock);
	if (en->sup_running) {
		srv_engines_wake(en);
		pthread_join(en->sup_tid, NULL);
	}
	d_drpc_server_destroy(en->drpc);
	for (int i = 0; i < 2; i++)
		if (en->wake[i] >= 0)
			close(en->wake[i]);
	D_FREE(en->sock_path);
	D_FREE(en->insts);
	pthread_cond_destroy(&en->cond);
	pthread_mutex_destroy(&en->lock);
	D_FREE(en);
}
