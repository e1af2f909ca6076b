/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between the topology-*.c readers; not for other users. */

#include "topology.h"

/* Each reader fills its part of t from the sysfs directory fd. They fail
 * only on out-of-memory; unreadable files are counted in t->n_unreadable. */
int topology_read_nodes(int sysfd, spm_topology *t);
int topology_read_dax(int sysfd, const char *sysfs_root, spm_topology *t);
int topology_read_cxl(int sysfd, const char *sysfs_root, spm_topology *t);
int topology_read_memory(int sysfd, spm_topology *t);

/* Link blocks to the dax devices whose ranges hold them. */
int topology_link_blocks(spm_topology *t);

/* Record the outcome of an optional read: 0 → true, -ENOENT → false,
 * anything else → false and one more unreadable file. -ENOMEM is passed
 * up as a fatal error. */
int topology_optional(spm_topology *t, int r);

/* Read "0"/"1" style flags; -1 when absent or unreadable. */
int topology_read_flag(int dirfd, const char *name, spm_topology *t);

/* Read a string attribute; NULL when absent or unreadable. Returns
 * -ENOMEM only. */
int topology_read_string(int dirfd, const char *name, spm_topology *t, char **ret);
