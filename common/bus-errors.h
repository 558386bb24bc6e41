/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The D-Bus errors of org.tlob.Manager (INTERFACES.md §3.2), shared by
 * tlob-manager and its clients.
 */
#ifndef TLOB_BUS_ERRORS_H
#define TLOB_BUS_ERRORS_H

#define TLOB_ERROR_INVALID_PROBE	"org.tlob.Error.InvalidProbe"
#define TLOB_ERROR_NO_SUCH_SYMBOL	"org.tlob.Error.NoSuchSymbol"
#define TLOB_ERROR_NO_SUCH_FILE		"org.tlob.Error.NoSuchFile"
#define TLOB_ERROR_INVALID_BUDGET	"org.tlob.Error.InvalidBudget"
#define TLOB_ERROR_NO_SUCH_UNIT		"org.tlob.Error.NoSuchUnit"
#define TLOB_ERROR_NO_SUCH_BUDGET	"org.tlob.Error.NoSuchBudget"
#define TLOB_ERROR_EXISTS		"org.tlob.Error.Exists"
#define TLOB_ERROR_TOO_MANY		"org.tlob.Error.TooMany"
#define TLOB_ERROR_KERNEL_UNAVAILABLE	"org.tlob.Error.KernelUnavailable"

#endif /* TLOB_BUS_ERRORS_H */
