/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where systemd puts a unit's processes in the cgroup2 tree, computed as
 * systemd computes it, without asking it: a budget is bound to its unit's
 * cgroup path before the unit runs (TLOB_BIND_CGROUP_PATH). Paths here
 * are relative to the cgroup2 root, without a leading '/' ("" is the
 * root), as the kernel takes them. Strings only: no file system, no bus.
 */
#ifndef TLOB_UNIT_CGROUP_H
#define TLOB_UNIT_CGROUP_H

/*
 * A unit name as a cgroup directory name: systemd prefixes names that
 * could clash with the kernel's files ("cpu.service", "_x", ".x",
 * "tasks"...) with '_'.
 */
int unit_cgroup_escape(const char *name, char **ret);

/*
 * The cgroup path of slice @slice: "a-b.slice" is "a.slice/a-b.slice",
 * "-.slice" the root (""). -EINVAL for a name that is no slice.
 */
int unit_cgroup_slice_path(const char *slice, char **ret);

/*
 * The slice systemd's system manager puts @unit in when it has no
 * Slice=: "system-PREFIX.slice" for an instance or a template
 * ("system-getty.slice" for getty@tty1.service), the parent slice for a
 * slice, "system.slice" for the rest.
 */
int unit_cgroup_default_slice(const char *unit, char **ret);

/*
 * The cgroup path of @unit: its @control_group (systemd's ControlGroup
 * property, absolute) when that is known (not NULL or ""), else the path
 * of @slice (its Slice= property; NULL or "": the default one) with the
 * unit's own directory below. For a template ("foo@.service") the path
 * of the slice its instances run in, which holds them all.
 */
int unit_cgroup_path(const char *unit, const char *control_group,
		     const char *slice, char **ret);

/*
 * The unit whose directory is right below @base (a template's slice) on
 * the way to cgroup @path (absolute or not), in a new string; -ENXIO if
 * @path is not below @base.
 */
int unit_cgroup_child(const char *base, const char *path, char **ret);

#endif /* TLOB_UNIT_CGROUP_H */
