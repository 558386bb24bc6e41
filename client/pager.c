// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Output pager of tlobctl, see pager.h.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <systemd/sd-login.h>

#include "log.h"
#include "macro.h"
#include "pager.h"

static pid_t pager_pid;

static const char *pager_command(void)
{
	const char *cmd;

	cmd = getenv("SYSTEMD_PAGER");
	if (!cmd)
		cmd = getenv("PAGER");
	return cmd;
}

/* systemd's boolean words; -EINVAL for anything else. */
static int parse_boolean(const char *v)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
	static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}

/*
 * Secure mode (see pager.h). @ret_trust_env: whether a pager named by the
 * environment may run, i.e. the user decided explicitly or nothing calls
 * for secure mode.
 */
static bool pager_secure_mode(bool *ret_trust_env)
{
	const char *v = getenv("SYSTEMD_PAGERSECURE");
	uid_t owner;
	int r;

	if (v) {
		r = parse_boolean(v);
		if (r < 0)
			log_warning("Failed to parse $SYSTEMD_PAGERSECURE='%s', assuming true.", v);
		*ret_trust_env = true;
		return r != 0;
	}

	/* sd_pid_get_owner_uid() fails outside a login session: secure. */
	r = sd_pid_get_owner_uid(0, &owner);
	if (r < 0)
		log_debug_errno(r, "No owner of the login session, pager in secure mode: %m");
	if (r < 0 || getenv("SUDO_UID") || geteuid() != getuid() || geteuid() != owner) {
		*ret_trust_env = false;
		return true;
	}
	*ret_trust_env = true;
	return false;
}

static _Noreturn void pager_exec(const char *cmd, bool secure)
{
	char buf[4096];
	ssize_t n;

	if (cmd && strpbrk(cmd, " \t\n'\"|&;<>()$`\\*?[#~=%"))
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	else if (cmd)
		execlp(cmd, cmd, (char *)NULL);	/* may fail: try the others */
	execlp("less", "less", (char *)NULL);
	/* more(1) has no secure mode: rather no pager. */
	if (!secure)
		execlp("more", "more", (char *)NULL);

	/* No pager to run: copy through, the output must not be lost. */
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
		if (write(STDOUT_FILENO, buf, n) != n)
			break;
	_exit(n < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}

void pager_open(void)
{
	const char *cmd = pager_command(), *less;
	bool secure, trust_env;
	int fd[2];
	pid_t pid;

	if (pager_pid > 0 || !isatty(STDOUT_FILENO))
		return;
	if (cmd && (isempty(cmd) || streq(cmd, "cat")))
		return;
	secure = pager_secure_mode(&trust_env);
	if (!trust_env)
		cmd = NULL;

	fflush(stdout);
	if (pipe2(fd, O_CLOEXEC) < 0) {
		log_debug_errno(negative_errno(), "Failed to create pager pipe, ignoring: %m");
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_debug_errno(negative_errno(), "Failed to fork pager, ignoring: %m");
		safe_close(fd[0]);
		safe_close(fd[1]);
		return;
	}
	if (pid == 0) {
		/* the write end must go even if no pager can be exec'ed */
		safe_close(fd[1]);
		if (dup2(fd[0], STDIN_FILENO) < 0)
			_exit(EXIT_FAILURE);
		safe_close(fd[0]);
		less = getenv("SYSTEMD_LESS");
		if (less)
			setenv("LESS", less, 1);
		else
			setenv("LESS", "FRSXMK", 0);
		setenv("LESSCHARSET", "utf-8", 0);
		if (secure)
			setenv("LESSSECURE", "1", 1);
		pager_exec(cmd, secure);
	}

	if (dup2(fd[1], STDOUT_FILENO) < 0)
		log_debug_errno(negative_errno(), "Failed to redirect stdout to the pager, ignoring: %m");
	safe_close(fd[0]);
	safe_close(fd[1]);
	/* The user quitting the pager early is not an error of ours. */
	signal(SIGPIPE, SIG_IGN);
	pager_pid = pid;
}

void pager_close(void)
{
	if (pager_pid <= 0)
		return;
	fflush(stdout);
	fclose(stdout);
	while (waitpid(pager_pid, NULL, 0) < 0 && errno == EINTR)
		;
	pager_pid = 0;
}
