/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A text polkit agent for the duration of a call, as systemctl has: when
 * a method needs authorization and the user sits at a terminal, polkit
 * asks through pkttyagent(1) (unless a desktop agent already runs: the
 * agent is started with --fallback).
 */
#ifndef TLOBCTL_POLKIT_AGENT_H
#define TLOBCTL_POLKIT_AGENT_H

/*
 * Starts pkttyagent if stdin and stdout are terminals and we are not
 * root (root needs no authorization), and waits until it is registered.
 * Failures are logged at debug level and ignored: the call then fails
 * with polkit's own error.
 */
void polkit_agent_open(void);
void polkit_agent_close(void);

#endif /* TLOBCTL_POLKIT_AGENT_H */
