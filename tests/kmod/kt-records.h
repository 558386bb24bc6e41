/* SPDX-License-Identifier: GPL-2.0 */
/* The records of <linux/tlob.h> printed as the selftests read them. */
#ifndef TLOB_KT_RECORDS_H
#define TLOB_KT_RECORDS_H

#include <stddef.h>

#include <linux/tlob.h>

/* "event type=... now_ns=... comm=..." */
void kt_print_event(const struct tlob_event *e);
/* "cause tid=... kstack=ADDR,ADDR,... curr=PID/TGID/COMM ..." */
void kt_print_cause(const struct tlob_cause_event *ce);
/*
 * The records of @n bytes at @buf, stepping by their size (a malformed
 * one ends the walk, said on stderr); returns how many there were.
 */
size_t kt_print_records(const void *buf, size_t n);

#endif
