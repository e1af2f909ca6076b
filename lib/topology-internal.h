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

/* One object each, for a scoped re-read (topology-patch.c) as for the full
 * one: 1 when read, 0 when it is gone, -ENOMEM. The caller owns *d / *g /
 * *b (freed by topology_free_dax / topology_free_region / free of
 * valid_zones). */
int topology_read_one_dax(int sysfd, const char *sysfs_root, const char *name, spm_topology *t, spm_dax_device *d);
int topology_read_one_region(int sysfd, const char *sysfs_root, const char *name, spm_topology *t, spm_cxl_region *g);
int topology_read_one_block(int memfd, const char *name, unsigned id, spm_topology *t, spm_memblock *b);

/* A block the snapshot has already, read again: only what changes while it
 * exists (state, valid_zones, and its node from t's nodeN/memoryM links);
 * memoryN's phys_index is N's for its whole life. 1 read, 0 gone. */
int topology_reread_block(int memfd, spm_topology *t, spm_memblock *b);

/* Sort orders of t->dax and t->regions. */
int topology_cmp_dax(const void *a, const void *b);
int topology_cmp_region(const void *a, const void *b);

/* Free what one entry owns (not the entry itself). */
void topology_free_dax(spm_dax_device *d);
void topology_free_region(spm_cxl_region *g);
void topology_free_node(spm_node *n);
