/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading a{sv} dictionaries (D-Bus properties, method options) with
 * sd-bus, in one place: the caller handles one entry at a time.
 */
#ifndef TLOB_BUS_DICT_H
#define TLOB_BUS_DICT_H

#include <systemd/sd-bus.h>

/*
 * Called for each entry with its @key and @m positioned at the entry's
 * variant. Returns > 0 when it read the variant, 0 to have it skipped,
 * or a negative errno to stop reading (bus_read_dict() returns it).
 */
typedef int (*bus_dict_entry_fn)(sd_bus_message *m, const char *key,
				 void *userdata);

/*
 * Read the a{sv} at the current position of @m, entry by entry through
 * @fn, and leave @m after it. Returns 0 or a negative errno.
 */
int bus_read_dict(sd_bus_message *m, bus_dict_entry_fn fn, void *userdata);

#endif /* TLOB_BUS_DICT_H */
