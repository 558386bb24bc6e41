// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Output pager of tlobctl, see pager.h.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

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

static _Noreturn void pager_exec(const char *cmd)
{
	char buf[4096];
	ssize_t n;

	if (cmd && strpbrk(cmd, " \t\n'\"|&;<>()$`\\*?[#~=%"))
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	else if (cmd)
		execlp(cmd, cmd, (char *)NULL);	/* may fail: try the others */
	execlp("less", "less", (char *)NULL);
	execlp("more", "more", (char *)NULL);

	/* No pager to run: copy through, the output must not be lost. */
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
		if (write(STDOUT_FILENO, buf, n) != n)
			break;
	_exit(n < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}

void pager_open(void)
{
	const char *cmd = pager_command();
	int fd[2];
	pid_t pid;

	if (pager_pid > 0 || !isatty(STDOUT_FILENO))
		return;
	if (cmd && (isempty(cmd) || streq(cmd, "cat")))
		return;

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
		setenv("LESS", "FRSXMK", 0);
		setenv("LESSCHARSET", "utf-8", 0);
		pager_exec(cmd);
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
