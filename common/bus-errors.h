/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The D-Bus errors of org.tlob.Manager (INTERFACES.md §3.2), shared by
 * tlob-manager and its clients, and the errno each stands for: with the
 * map registered (tlob_bus_errors_register()), sd-bus turns the names
 * into these errno values both ways, so a client's sd_bus_call() fails
 * with -ENOENT for NoSuchUnit instead of -EIO for all of them.
 *
 *   InvalidProbe       EINVAL    NoSuchBudget       ENOENT
 *   NoSuchSymbol       ENXIO     Exists             EEXIST
 *   NoSuchFile         ENOENT    TooMany            ENOSPC
 *   InvalidBudget      ERANGE    KernelUnavailable  ENODEV
 *   NoSuchUnit         ENOENT    InvalidAction      EINVAL
 */
#ifndef TLOB_BUS_ERRORS_H
#define TLOB_BUS_ERRORS_H

#include <systemd/sd-bus.h>

#define TLOB_ERROR_INVALID_PROBE	"org.tlob.Error.InvalidProbe"
#define TLOB_ERROR_NO_SUCH_SYMBOL	"org.tlob.Error.NoSuchSymbol"
#define TLOB_ERROR_NO_SUCH_FILE		"org.tlob.Error.NoSuchFile"
#define TLOB_ERROR_INVALID_BUDGET	"org.tlob.Error.InvalidBudget"
#define TLOB_ERROR_NO_SUCH_UNIT		"org.tlob.Error.NoSuchUnit"
#define TLOB_ERROR_NO_SUCH_BUDGET	"org.tlob.Error.NoSuchBudget"
#define TLOB_ERROR_EXISTS		"org.tlob.Error.Exists"
#define TLOB_ERROR_TOO_MANY		"org.tlob.Error.TooMany"
#define TLOB_ERROR_KERNEL_UNAVAILABLE	"org.tlob.Error.KernelUnavailable"
#define TLOB_ERROR_INVALID_ACTION	"org.tlob.Error.InvalidAction"

extern const sd_bus_error_map tlob_bus_error_map[];

/* Make sd-bus use tlob_bus_error_map in this process. 0 or -errno. */
int tlob_bus_errors_register(void);

#endif /* TLOB_BUS_ERRORS_H */
