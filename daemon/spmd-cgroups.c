/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attr.h"
#include "cpuset.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "planner.h"
#include "spmd-cgroup-readback.h"
#include "spmd-cgroup-sync.h"
#include "spmd-cgroups.h"
#include "spmd-manager.h"
#include "spmd-systemd.h"
#include "strutil.h"

spmd_cgroup_stats spmd_cgroup_stats_global;

static const char *display(const char *path) {
        return path[0] ? path : "/";
}

/* The log of one run of a plan. A policy change may write thousands of
 * cgroups: one info line each would cost more than the writes (a write(2)
 * to the journal or the console per cgroup) and bury the rest of the log.
 * So the first PASS_LINES_MAX changes of a run are logged at info, one
 * line each, the others at debug, and the run ends with one info line
 * counting them all by rule and value. */
#define PASS_LINES_MAX 10
#define PASS_GROUPS_MAX 8

static struct {
        unsigned long n;                /* changes in this run */
        unsigned long other;            /* not in by[] (more than PASS_GROUPS_MAX pairs) */
        size_t n_by;
        struct {
                const char *rule, *value;       /* owned by the plan, alive during the run */
                unsigned long n;
        } by[PASS_GROUPS_MAX];
} pass;

/* The level of the next change's line; counts it. */
static int pass_count(const spm_action *a) {
        size_t k;

        for (k = 0; k < pass.n_by; k++)
                if (streq(strna(pass.by[k].rule), strna(a->rule)) && streq(strempty(pass.by[k].value), strempty(a->value)))
                        break;
        if (k < pass.n_by)
                pass.by[k].n++;
        else if (pass.n_by < PASS_GROUPS_MAX)
                pass.by[pass.n_by++] = (typeof(pass.by[0])) { .rule = a->rule, .value = a->value, .n = 1 };
        else
                pass.other++;
        return ++pass.n <= PASS_LINES_MAX ? LOG_INFO : LOG_DEBUG;
}

void spmd_cgroups_run_done(void) {
        char text[1024];
        size_t len = 0;

        if (pass.n > PASS_LINES_MAX) {
                text[0] = 0;
                for (size_t k = 0; k < pass.n_by; k++)
                        len += (size_t) snprintf(text + MIN(len, sizeof text), sizeof text - MIN(len, sizeof text),
                                                 "%s%lu to '%s' (%s)", k > 0 ? ", " : "", pass.by[k].n,
                                                 strempty(pass.by[k].value), strna(pass.by[k].rule));
                if (pass.other > 0)
                        (void) snprintf(text + MIN(len, sizeof text), sizeof text - MIN(len, sizeof text),
                                        ", %lu other", pass.other);
                log_struct(LOG_INFO, LOG_FIELDS("SPM_CGROUPS_CHANGED=1"),
                           "Set the memory nodes of %lu cgroup(s), the first %lu listed above: %s", pass.n,
                           (unsigned long) PASS_LINES_MAX, text);
        }
        pass.n = pass.other = 0;
        pass.n_by = 0;
}

/* Write <cgroup>/cpuset.mems. The cgroup may have gone away since the
 * snapshot (ENOENT): that is normal churn, not a failure. */
static int write_mems_path(manager *m, const char *cgroup, const spm_nodemask *mask, const char *value) {
        char buf[SPM_NODEMASK_STRLEN_MAX], path[PATH_MAX];
        const char *text = value;
        int index, r;

        if (!text) {
                spm_nodemask_format_buf(mask, buf, sizeof buf);
                text = buf;
        }
        /* on the stack: this is the one hot path of a large change */
        if (snprintf(path, sizeof path, "%s/%s%scpuset.mems", spm_path(SPM_PATH_CGROUPFS), cgroup,
                     cgroup[0] ? "/" : "") >= (int) sizeof path)
                return -ENAMETOOLONG;

        spmd_cgroup_stats_global.mems_writes++;
        r = spm_attr_write_verify(path, text, spm_attr_equal_nodemask);
        if (r == -ENOENT) {
                spmd_cgroup_stats_global.gone++;
                log_debug("Cgroup '%s' went away before its mask was written, ignoring.", display(cgroup));
                /* (or lost its cpuset files): the model is wrong there */
                spmd_cgroup_sync_suspect(m, cgroup);
                manager_mark_cgroups_dirty(m, "a cgroup went away");
                return 1;
        }
        if (r < 0) {
                spmd_cgroup_sync_suspect(m, cgroup);
                return r;
        }
        /* the kernel holds what was written (or already held it) */
        index = spmd_cgroup_sync_written(m, cgroup, mask);
        spmd_readback_written(m, index);
        /* With cpuset.mems.sysram (or v1's mems.default) the plan ends
         * in a verify step for this cgroup, which checks effective too. */
        if (!IN_SET(m->features.sysram_view, SPM_SYSRAM_VIEW_MEMS_SYSRAM, SPM_SYSRAM_VIEW_MEMS_DEFAULT))
                spmd_readback_check_effective(m, cgroup, index, mask);
        return r;
}

/* The cgroup of a unit in the last snapshot: units have unique names, and
 * the planner only names units outside delegated subtrees. */
static const char *unit_cgroup(manager *m, const char *unit) {
        const spm_cgroup_tree *t = m->cgroups ? m->cgroups->tree : NULL;

        if (!t)
                return NULL;
        for (size_t i = 1; i < t->n; i++)
                if (t->cgroups[i].is_unit && streq(t->cgroups[i].name, unit) &&
                    !spm_cgroup_in_delegated_subtree(t, (int) i))
                        return t->cgroups[i].path;
        return NULL;
}

/* systemd realizes a unit's cgroup from its own loop, possibly after the
 * reply. Later steps of the plan may rely on this mask (memory goes
 * offline only after the masks that reach it are narrowed), so wait a
 * little for the kernel to show it, and write the same value directly if
 * it does not: systemd holds that value now, its next re-apply agrees. */
#define UNIT_APPLY_WAIT_USEC (200 * 1000)

static void wait_unit_applied(manager *m, const char *cgroup, const spm_action *a) {
        _cleanup_free_ char *path = spm_path_join(SPM_PATH_CGROUPFS, "%s/cpuset.mems", cgroup);
        struct timespec pause = { .tv_nsec = 1000 * 1000 };

        if (!path)
                return;
        for (unsigned waited = 0; waited <= UNIT_APPLY_WAIT_USEC; waited += 1000) {
                spm_nodemask cur;
                int r = spm_attr_read_nodemask_at(AT_FDCWD, path, &cur);

                if (r == -ENOENT) {
                        spmd_cgroup_sync_suspect(m, cgroup);
                        manager_mark_cgroups_dirty(m, "a unit's cgroup went away");
                        return;
                }
                if (r >= 0 && spm_nodemask_equal(&cur, a->mask)) {
                        spmd_readback_written(m, spmd_cgroup_sync_written(m, cgroup, a->mask));
                        return;
                }
                (void) nanosleep(&pause, NULL);
        }
        log_debug("systemd has not applied AllowedMemoryNodes of '%s' yet; writing '%s' directly.", a->object, cgroup);
        /* (keeps the model right either way) */
        (void) write_mems_path(m, cgroup, a->mask, a->value);
}

static spm_cgroup_backend backend(manager *m) {
        return m->policy ? m->policy->cgroup_backend : SPM_CGROUP_BACKEND_AUTO;
}

/* A unit: through systemd, so that its next re-apply keeps the mask. With
 * CgroupBackend=auto and no systemd answering, the cgroup is written
 * directly. */
static int unit_mems(manager *m, const spm_action *a, bool *ret_logged) {
        const char *cgroup = unit_cgroup(m, a->object);
        int r;

        spmd_cgroup_stats_global.unit_calls++;
        r = spmd_systemd_set_allowed_memory_nodes(m->systemd, a->object, a->mask);
        if (r == -ENOENT) {
                spmd_cgroup_stats_global.gone++;
                log_debug("Unit '%s' went away before its mask was set, ignoring.", a->object);
                return 1;
        }
        /* No systemd, or it refused or did not answer in time: with
         * CgroupBackend=auto the cgroup is written directly, so the plan
         * (whose later steps rely on this mask) goes on. */
        if (r < 0 && backend(m) != SPM_CGROUP_BACKEND_SYSTEMD) {
                if (r == -EHOSTDOWN) {
                        spmd_cgroup_stats_global.unit_calls--;
                        log_debug("systemd is not on the bus; writing the cgroup of '%s' directly.", a->object);
                } else
                        log_warning_errno(r, "systemd did not set AllowedMemoryNodes of '%s' (%m); writing its cgroup directly.",
                                          a->object);
                if (!cgroup) {
                        log_debug("Unit '%s' has no cgroup in the snapshot, ignoring.", a->object);
                        return 1;
                }
                r = write_mems_path(m, cgroup, a->mask, a->value);
                if (r == 0) {
                        log_full(pass_count(a), 0, NULL, "Set cpuset.mems of '%s' (unit %s) to '%s' (%s)", cgroup,
                                 a->object, strempty(a->value), strna(a->rule));
                        *ret_logged = true;
                }
                return r;
        }
        if (r < 0)
                return r;
        if (cgroup)
                wait_unit_applied(m, cgroup, a);
        return 0;
}

int spmd_cgroup_action_apply(manager *m, const spm_action *a) {
        bool logged = false;
        char field[512];
        int r;

        snprintf(field, sizeof field, "%s=%s%s", a->type == SPM_ACTION_UNIT_MEMS ? "SPM_UNIT" : "SPM_CGROUP",
                 a->type == SPM_ACTION_UNIT_MEMS ? "" : "/", a->object);

        switch (a->type) {
        case SPM_ACTION_CGROUP_MEMS:
                r = write_mems_path(m, a->object, a->mask, a->value);
                break;
        case SPM_ACTION_UNIT_MEMS:
                r = unit_mems(m, a, &logged);
                break;
        case SPM_ACTION_VERIFY_SYSRAM:
                /* a mismatch is reported; later steps still run */
                r = spmd_readback_verify(m, a);
                return r == -EREMCHG ? 1 : r;
        default:
                r = -EOPNOTSUPP;
        }

        if (r < 0)
                return log_struct_errno(LOG_ERR, r, LOG_FIELDS(field), "Failed to %s '%s' to '%s': %m (%s)",
                                        spm_action_type_to_string(a->type), a->object, strempty(a->value),
                                        strna(a->rule));
        if (r == 0 && !logged)
                log_struct(pass_count(a), LOG_FIELDS(field), "Set %s of '%s' to '%s' (%s)",
                           a->type == SPM_ACTION_UNIT_MEMS ? "AllowedMemoryNodes" : "cpuset.mems",
                           a->type == SPM_ACTION_UNIT_MEMS ? a->object : display(a->object),
                           strempty(a->value), strna(a->rule));
        return r;
}

/* ---- enabling the controller ---- */

static bool has_word(const char *list, const char *word) {
        size_t n = strlen(word);

        for (const char *p = list; (p = strstr(p, word)); p += n)
                if ((p == list || p[-1] == ' ' || p[-1] == '\n') && (p[n] == 0 || p[n] == ' ' || p[n] == '\n'))
                        return true;
        return false;
}

static int enable_in(const char *cgroup) {
        _cleanup_free_ char *path = NULL, *cur = NULL;
        int r;

        path = spm_path_join(SPM_PATH_CGROUPFS, "%s/cgroup.subtree_control", cgroup);
        if (!path)
                return -ENOMEM;
        /* The snapshot said it is missing; make sure before paying for
         * the write. */
        r = spm_attr_read_at(AT_FDCWD, path, &cur);
        if (r == -ENOENT)
                return 0;
        if (r >= 0 && has_word(cur, "cpuset"))
                return 0;
        spmd_cgroup_stats_global.subtree_writes++;
        r = spm_attr_write(path, "+cpuset");
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_warning_errno(r, "Failed to enable cpuset below cgroup '%s': %m", display(cgroup));
        log_info("Enabled the cpuset controller below cgroup '%s'.", display(cgroup));
        return 1;
}

int spmd_cgroups_enable_cpuset(const spm_policy *policy, const spm_cgroup_tree *t, bool **ret_enabled) {
        _cleanup_free_ bool *need = NULL;
        int n = 0, r;

        if (!policy || !t || t->v1 || t->n < 2 || policy->n_cgroups == 0)
                return 0;
        /* Without cpuset on the root there is nothing to build on (no
         * controller, or not cgroup v2). */
        if (!t->cgroups[0].has_cpuset)
                return 0;

        need = calloc(t->n, sizeof *need);
        if (!need)
                return -ENOMEM;

        for (size_t i = 1; i < t->n; i++) {
                const spm_cgroup *g = &t->cgroups[i];

                if (g->has_cpuset)
                        continue;
                if (!spm_plan_cgroup_rule(policy, g->path, g->is_unit ? g->name : NULL, NULL))
                        continue;
                /* every cgroup from here up to the first one with cpuset
                 * files needs it in its parent */
                for (int j = (int) i; j > 0 && !t->cgroups[j].has_cpuset; j = t->cgroups[j].parent)
                        need[t->cgroups[j].parent] = true;
        }

        /* pre-order: a parent's controller before its children's */
        for (size_t i = 0; i < t->n; i++)
                if (need[i]) {
                        /* a failure is logged; the planner then reports
                         * the cgroups below as without the controller */
                        r = enable_in(t->cgroups[i].path);
                        if (r == -ENOMEM)
                                return r;
                        if (r > 0)
                                n += r;
                        else
                                need[i] = false;
                }
        if (n > 0 && ret_enabled)
                *ret_enabled = TAKE_PTR(need);
        return n;
}
