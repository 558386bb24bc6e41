/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Asynchronous polkit checks of method calls (see manager-polkit.c).
 */
#ifndef TLOB_MANAGER_POLKIT_H
#define TLOB_MANAGER_POLKIT_H

#include <systemd/sd-bus.h>

typedef struct Manager Manager;
typedef struct PolkitQuery PolkitQuery;

/*
 * Is the sender of @call allowed @action? 1 yes, 0 the answer is pending
 * (the method returns 1 without reply and is called again when polkit
 * answered), negative errno with @error set when refused.
 */
int manager_polkit_check(Manager *m, sd_bus_message *call, const char *action,
			 sd_bus_error *error);
void manager_polkit_free_all(Manager *m);

#endif /* TLOB_MANAGER_POLKIT_H */
