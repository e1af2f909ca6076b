/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>

#include "log.h"
#include "macro.h"
#include "spmd-device-state.h"
#include "spmd-manager.h"
#include "spmd-snapshot.h"
#include "strutil.h"
#include "topology-patch.h"

void spmd_snapshot_note_uevent(manager *m, const char *subsystem, const char *sysname) {
        (void) spm_topology_scope_add_uevent(&m->scope, subsystem, sysname);
}

bool spmd_snapshot_is_echo(manager *m, const char *subsystem, const char *sysname, const char *action) {
        char **names;

        if (!m->look_again_pending || !subsystem || !sysname || !action ||
            !(streq(action, "bind") || streq(action, "unbind") || streq(action, "change")))
                return false;
        names = streq(subsystem, "dax") ? m->scope.dax : streq(subsystem, "cxl") ? m->scope.regions : NULL;
        return names && strv_contains(names, sysname);
}

void spmd_snapshot_want_full(manager *m) {
        m->scope.full = true;
}

void spmd_snapshot_note_plan(manager *m, const spm_plan *plan, size_t n) {
        for (size_t i = 0; i < n && i < plan->n_actions; i++) {
                const spm_action *a = &plan->actions[i];

                switch (a->type) {
                case SPM_ACTION_CGROUP_MEMS:
                case SPM_ACTION_UNIT_MEMS:
                case SPM_ACTION_VERIFY_SYSRAM:
                        break;  /* the cgroup side looks again itself */
                case SPM_ACTION_MARK_REGION:
                case SPM_ACTION_REGION_BIND:
                        (void) spm_topology_scope_add_region(&m->scope, a->object);
                        break;
                case SPM_ACTION_ONLINE_BLOCK: {
                        const char *dev = spmd_action_device(m->topo, a);

                        (void) spm_topology_scope_add_uevent(&m->scope, "memory", a->object);
                        if (dev)
                                (void) spm_topology_scope_add_dax(&m->scope, dev);
                        break;
                }
                default:
                        /* dax device actions name the device; anything
                         * else (auto_online_blocks) is host-wide */
                        (void) spm_topology_scope_add_dax(&m->scope, a->object);
                }
        }
}

int spmd_snapshot_take(manager *m, bool full, spm_topology **ret, bool *ret_scoped, bool *ret_nodes) {
        spm_topology_scope scope = m->scope;
        unsigned long long start = manager_now_usec();
        spm_topology *t = NULL;
        int r = -ESTALE;

        m->scope = (spm_topology_scope) {};
        if (!full && m->topo && !spm_topology_scope_is_empty(&scope)) {
                r = spm_topology_patch(m->topo, &scope, &t);
                if (r >= 0) {
                        log_debug("Read %zu dax device(s), %zu region(s), %zu named block(s)%s in %llu us.",
                                  strv_length(scope.dax), strv_length(scope.regions), scope.n_blocks,
                                  r > 0 ? " and the nodes" : "", manager_now_usec() - start);
                        *ret = t;
                        *ret_scoped = true;
                        *ret_nodes = r > 0;
                        spm_topology_scope_clear(&scope);
                        return 0;
                }
                if (r == -ENOMEM) {
                        spm_topology_scope_clear(&scope);
                        return r;
                }
                log_debug_errno(r, "A scoped read does not do here (%m), reading everything.");
        }
        spm_topology_scope_clear(&scope);

        r = spm_topology_load(&t);
        if (r < 0) {
                /* what was named is not lost: the retry reads it all */
                m->scope.full = true;
                return r;
        }
        *ret = t;
        *ret_scoped = false;
        *ret_nodes = true;
        return 0;
}
