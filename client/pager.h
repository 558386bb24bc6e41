/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pipe stdout through a pager, as systemctl does: only when stdout is a
 * terminal; $SYSTEMD_PAGER, then $PAGER, then less, then more. An empty
 * value or "cat" disables it. less gets LESS=FRSXMK unless set, so short
 * output is printed without waiting for a key.
 */
#ifndef TLOBCTL_PAGER_H
#define TLOBCTL_PAGER_H

/* Starts the pager if it applies; failures just leave stdout as is. */
void pager_open(void);
/* Flushes and closes stdout into the pager, waits for it to exit. */
void pager_close(void);

#endif /* TLOBCTL_PAGER_H */
