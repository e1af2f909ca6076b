/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "spmd-cgroup-readback.h"
#include "spmd-cgroups.h"
#include "spmd-manager.h"

spmd_readback spmd_cgroup_readback = SPMD_READBACK_DERIVED;

/* Effective masks read in this pass, by model index. Few: one per
 * distinct unwritten ancestor of the written cgroups. */
#define CACHE_MAX 256

static struct {
        uint8_t *written;           /* bit per model index */
        size_t n;
        struct {
                int index;
                spm_nodemask eff;
        } cache[CACHE_MAX];
        size_t n_cache;
        int root_sysram_r;          /* 1: root_sysram read; 0: not yet; <0: failed */
        spm_nodemask root_sysram;
} rb;

static const char *display(const char *path) {
        return path[0] ? path : "/";
}

void spmd_readback_begin(manager *m) {
        size_t n = m->cgroups ? m->cgroups->tree->n : 0, bytes = (n + 7) / 8;
        uint8_t *w = NULL;

        rb.n_cache = 0;
        rb.root_sysram_r = 0;
        if (bytes > 0)
                w = calloc(bytes, 1);
        free(rb.written);
        rb.written = w;
        rb.n = w ? n : 0;
}

/* i is index or lies below it in the model */
static bool at_or_below(manager *m, int i, int index) {
        for (unsigned depth = 0; i >= 0 && depth < 256; depth++, i = i > 0 ? m->cgroups->tree->cgroups[i].parent : -1)
                if (i == index)
                        return true;
        return false;
}

void spmd_readback_written(manager *m, int index) {
        size_t k = 0;

        if (index < 0 || (size_t) index >= rb.n || !m->cgroups) {
                /* somewhere the model does not know: nothing read so far
                 * can be trusted */
                rb.n_cache = 0;
                return;
        }
        rb.written[index / 8] |= (uint8_t) (1u << (index % 8));
        /* A write changes the effective masks of the cgroup and of what
         * lies below it, nothing else: the cached masks of other cgroups
         * (the unwritten ancestors the checks derive from) stay true, and
         * so does the root's sysram (the root is never written). Dropping
         * them all here would read an ancestor again after every write. */
        while (k < rb.n_cache)
                if (at_or_below(m, rb.cache[k].index, index))
                        rb.cache[k] = rb.cache[--rb.n_cache];
                else
                        k++;
}

static bool was_written(int index) {
        return index >= 0 && (size_t) index < rb.n && (rb.written[index / 8] & (1u << (index % 8)));
}

static int read_first_mask(int dirfd, const char *v2, const char *v1, spm_nodemask *ret) {
        int r;

        spmd_cgroup_stats_global.readbacks++;
        r = spm_attr_read_nodemask_at(dirfd, v2, ret);
        if (r != -ENOENT)
                return r;
        spmd_cgroup_stats_global.readbacks++;
        return spm_attr_read_nodemask_at(dirfd, v1, ret);
}

/* The kernel's derived default-allocation view: cpuset.mems.sysram, or
 * SPM v1's cpuset.mems.default (each under its cgroup v1 name too). */
static int read_sysram_view(int dirfd, spm_nodemask *ret) {
        int r = read_first_mask(dirfd, "cpuset.mems.sysram", "cpuset.mems_sysram", ret);

        if (r != -ENOENT)
                return r;
        return read_first_mask(dirfd, "cpuset.mems.default", "cpuset.mems_default", ret);
}

static int open_cgroup(manager *m, const char *cgroup) {
        _cleanup_free_ char *dir = m->cgroups ? spm_cgroup_tree_dir(m->cgroups->tree, cgroup)
                                              : spm_path_join(SPM_PATH_CGROUPFS, "%s", cgroup);
        int fd;

        if (!dir)
                return -ENOMEM;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

static int actual_effective(manager *m, int i, unsigned depth, spm_nodemask *ret);

void spmd_readback_check_effective(manager *m, const char *cgroup, int index, const spm_nodemask *mask) {
        _cleanup_close_ int fd = -EBADF;
        spm_nodemask eff, parent;
        int r;

        if (spmd_cgroup_readback == SPMD_READBACK_OFF)
                return;
        /* The kernel computes effective = mask ∩ the parent's effective
         * (the parent's effective when that is empty) inside the write,
         * on every cgroup v2 kernel, patched or not (cgroup v1 refuses a
         * mask outside the parent's instead). So when the mask lies
         * inside what the parent has now, effective is the mask: nothing
         * to read. The parent's effective is derived the same way up to
         * the nearest ancestor this pass did not write, read once for all
         * its written descendants. A node hotplug updates effective masks
         * later, asynchronously on kernels before 6.10 (a work item), but
         * it changes the ancestor and its descendants alike, raises
         * uevents and so a new pass; it cannot make a mask that lay inside
         * its parent's wider than itself. */
        if (spmd_cgroup_readback == SPMD_READBACK_DERIVED && index > 0 && m->cgroups && !spm_nodemask_is_empty(mask) &&
            actual_effective(m, m->cgroups->tree->cgroups[index].parent, 0, &parent) >= 0 &&
            spm_nodemask_subset(mask, &parent)) {
                spmd_cgroup_stats_global.derived++;
                return;
        }
        /* The kernel intersected or fell back (or the model cannot say):
         * see what it did. */
        fd = open_cgroup(m, cgroup);
        if (fd < 0)
                return;
        r = read_first_mask(fd, "cpuset.mems.effective", "cpuset.effective_mems", &eff);
        if (r < 0) {
                if (r != -ENOENT)
                        log_debug_errno(r, "Failed to read back the effective mask of '%s': %m", display(cgroup));
                return;
        }
        /* narrower is fine: a parent may have yet to widen in this plan */
        if (!spm_nodemask_subset(&eff, mask)) {
                char want[SPM_NODEMASK_STRLEN_MAX], got[SPM_NODEMASK_STRLEN_MAX];

                spm_nodemask_format_buf(mask, want, sizeof want);
                spm_nodemask_format_buf(&eff, got, sizeof got);
                spmd_cgroup_stats_global.mismatches++;
                log_warning("Cgroup '%s' was given nodes '%s' but the kernel lets it use '%s'.",
                            display(cgroup), want, got);
        }
}

/* Read the cgroup's own files and report what disagrees. */
static int verify_read(manager *m, const spm_action *a, bool both) {
        _cleanup_close_ int fd = -EBADF;
        spm_nodemask eff, sysram;
        int r;

        fd = open_cgroup(m, a->object);
        if (fd < 0)
                return fd == -ENOENT ? 1 : fd;

        if (both) {
                /* (implied by the sysram check below when that file is
                 * there: sysram lies inside effective) */
                r = read_first_mask(fd, "cpuset.mems.effective", "cpuset.effective_mems", &eff);
                if (r >= 0 && !spm_nodemask_subset(a->mask, &eff)) {
                        char want[SPM_NODEMASK_STRLEN_MAX], got[SPM_NODEMASK_STRLEN_MAX];

                        spm_nodemask_format_buf(a->mask, want, sizeof want);
                        spm_nodemask_format_buf(&eff, got, sizeof got);
                        spmd_cgroup_stats_global.mismatches++;
                        log_warning("Cgroup '%s' may use nodes '%s', which misses System RAM nodes '%s' the policy gives it (%s).",
                                    display(a->object), got, want, strna(a->rule));
                }
        }

        r = read_sysram_view(fd, &sysram);
        if (r == -ENOENT)
                return 1;       /* gone, or no such file on this kernel */
        if (r < 0)
                return r;
        if (!spm_nodemask_equal(&sysram, a->mask)) {
                char want[SPM_NODEMASK_STRLEN_MAX], got[SPM_NODEMASK_STRLEN_MAX];

                spm_nodemask_format_buf(a->mask, want, sizeof want);
                spm_nodemask_format_buf(&sysram, got, sizeof got);
                spmd_cgroup_stats_global.mismatches++;
                log_warning("Cgroup '%s' allocates from nodes '%s' by default, the policy means '%s' (%s).",
                            display(a->object), got, want, strna(a->rule));
                return -EREMCHG;
        }
        return 1;
}

static int read_effective(manager *m, int i, spm_nodemask *ret) {
        _cleanup_close_ int fd = -EBADF;
        spm_nodemask eff;
        int r;

        for (size_t k = 0; k < rb.n_cache; k++)
                if (rb.cache[k].index == i) {
                        *ret = rb.cache[k].eff;
                        return 0;
                }
        fd = open_cgroup(m, m->cgroups->tree->cgroups[i].path);
        if (fd < 0)
                return fd;
        r = read_first_mask(fd, "cpuset.mems.effective", "cpuset.effective_mems", &eff);
        if (r < 0)
                return r;
        if (rb.n_cache < CACHE_MAX)
                rb.cache[rb.n_cache++] = (typeof(rb.cache[0])) { .index = i, .eff = eff };
        *ret = eff;
        return 0;
}

/* The effective mask cgroup i has now: derived through the cgroups this
 * pass wrote, read at the first one it did not. */
static int actual_effective(manager *m, int i, unsigned depth, spm_nodemask *ret) {
        const spm_cgroup *g = &m->cgroups->tree->cgroups[i];

        if (i > 0 && was_written(i) && depth < 64 && !spm_nodemask_is_empty(&g->cpuset->mems)) {
                spm_nodemask parent;
                int r = actual_effective(m, g->parent, depth + 1, &parent);

                if (r < 0)
                        return r;
                if (spm_nodemask_subset(&g->cpuset->mems, &parent)) {
                        *ret = g->cpuset->mems;
                        return 0;
                }
                /* the kernel intersects or falls back here: look */
        }
        return read_effective(m, i, ret);
}

static int root_sysram(manager *m, spm_nodemask *ret) {
        if (rb.root_sysram_r == 0) {
                _cleanup_close_ int fd = open_cgroup(m, "");

                rb.root_sysram_r = fd < 0 ? fd : read_sysram_view(fd, &rb.root_sysram);
                if (rb.root_sysram_r >= 0)
                        rb.root_sysram_r = 1;
        }
        if (rb.root_sysram_r < 0)
                return rb.root_sysram_r;
        *ret = rb.root_sysram;
        return 0;
}

int spmd_readback_verify(manager *m, const spm_action *a) {
        spm_nodemask eff, rs, sysram;
        int i;

        switch (spmd_cgroup_readback) {
        case SPMD_READBACK_OFF:
                return 1;
        case SPMD_READBACK_BOTH:
                return verify_read(m, a, true);
        case SPMD_READBACK_ONE:
                return verify_read(m, a, false);
        default:
                break;
        }

        i = m->cgroups ? spm_cgroup_model_find(m->cgroups, a->object) : -ENOENT;
        if (m->features.sysram_view == SPM_SYSRAM_VIEW_NONE) {
                /* no view of the default nodes on this kernel: the System
                 * RAM nodes the policy gives must be in effective */
                if (i > 0 && actual_effective(m, i, 0, &eff) >= 0 && spm_nodemask_subset(a->mask, &eff)) {
                        spmd_cgroup_stats_global.derived++;
                        return 1;
                }
                return verify_read(m, a, true);
        }
        if (i <= 0 || actual_effective(m, i, 0, &eff) < 0 || root_sysram(m, &rs) < 0)
                return verify_read(m, a, false);
        sysram = spm_nodemask_and(&eff, &rs);
        if (spm_nodemask_equal(&sysram, a->mask)) {
                spmd_cgroup_stats_global.derived++;
                return 1;
        }
        /* not what the policy means by the kernel's rule: see what it has */
        return verify_read(m, a, false);
}
