/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pipe stdout through a pager, as systemctl does: only when stdout is a
 * terminal; $SYSTEMD_PAGER, then $PAGER, then less, then more. An empty
 * value or "cat" disables it. less gets LESS=FRSXMK unless set (or
 * $SYSTEMD_LESS), so short output is printed without waiting for a key.
 *
 * Secure mode, systemd's $SYSTEMD_PAGERSECURE: a pager runs with the
 * privileges of tlobctl, and less can open files and start shells. When
 * $SYSTEMD_PAGERSECURE is true, LESSSECURE=1 is set for the pager; when
 * false, nothing is limited. When it is not set, secure mode is on if
 * tlobctl runs under sudo ($SUDO_UID), with an effective uid other than
 * its real uid or the owner of its login session, or outside of a login
 * session; then $SYSTEMD_PAGER and $PAGER can only disable the pager, and
 * only less (with LESSSECURE=1) is run, or no pager at all.
 */
#ifndef TLOBCTL_PAGER_H
#define TLOBCTL_PAGER_H

/* Starts the pager if it applies; failures just leave stdout as is. */
void pager_open(void);
/* Flushes and closes stdout into the pager, waits for it to exit. */
void pager_close(void);

#endif /* TLOBCTL_PAGER_H */
