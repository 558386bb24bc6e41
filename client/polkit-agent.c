// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pkttyagent for tlobctl's privileged calls, see polkit-agent.h.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "log.h"
#include "macro.h"
#include "polkit-agent.h"

#define PKTTYAGENT		"/usr/bin/pkttyagent"
#define AGENT_READY_TIMEOUT_MS	5000

static pid_t agent_pid;

/* The agent closes its end of @fd once it is registered with polkit. */
static void wait_for_agent(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	for (;;) {
		int r = poll(&p, 1, AGENT_READY_TIMEOUT_MS);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			log_debug("pkttyagent did not register in time, ignoring.");
			return;
		}
		if (read(fd, &c, 1) <= 0)
			return;
	}
}

void polkit_agent_open(void)
{
	char notify[16];
	int fd[2];
	pid_t pid;

	if (agent_pid > 0 || geteuid() == 0)
		return;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return;
	if (access(PKTTYAGENT, X_OK) < 0)
		return;

	if (pipe2(fd, O_CLOEXEC) < 0) {
		log_debug_errno(negative_errno(), "Failed to create a pipe for pkttyagent, ignoring: %m");
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_debug_errno(negative_errno(), "Failed to fork pkttyagent, ignoring: %m");
		safe_close(fd[0]);
		safe_close(fd[1]);
		return;
	}
	if (pid == 0) {
		/* the notify fd must survive exec: move it off O_CLOEXEC */
		int nfd = dup(fd[1]);

		if (nfd < 0)
			_exit(EXIT_FAILURE);
		snprintf(notify, sizeof(notify), "%d", nfd);
		execl(PKTTYAGENT, PKTTYAGENT, "--notify-fd", notify, "--fallback",
		      (char *)NULL);
		_exit(EXIT_FAILURE);
	}

	safe_close(fd[1]);
	agent_pid = pid;
	wait_for_agent(fd[0]);
	safe_close(fd[0]);
}

void polkit_agent_close(void)
{
	if (agent_pid <= 0)
		return;
	kill(agent_pid, SIGTERM);
	kill(agent_pid, SIGCONT);
	while (waitpid(agent_pid, NULL, 0) < 0 && errno == EINTR)
		;
	agent_pid = 0;
}
