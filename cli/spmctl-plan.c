/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* spmctl plan [PATH...]: what the policy would change on this host, read
 * directly from the kernel, without a daemon. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cgroup-tree.h"
#include "json-writer.h"
#include "kernel-view.h"
#include "macro.h"
#include "paths.h"
#include "planner.h"
#include "spmctl.h"

static void json_plan(const spm_plan *plan, bool have_cgroups) {
        json_writer w;

        json_begin(&w, stdout);
        json_object_open(&w);
        json_kv_string(&w, "source", "kernel");
        json_kv_bool(&w, "cgroups", have_cgroups);
        json_kv_u64(&w, "changes", plan->n_actions);
        json_key(&w, "actions");
        json_array_open(&w);
        for (size_t i = 0; i < plan->n_actions; i++) {
                const spm_action *a = &plan->actions[i];

                json_object_open(&w);
                json_kv_u64(&w, "step", i + 1);
                json_kv_string(&w, "action", spm_action_type_to_string(a->type));
                json_kv_string(&w, "object", a->object);
                json_kv_string(&w, "attribute", a->attribute);
                json_kv_string(&w, "value", a->value);
                json_kv_string(&w, "rule", a->rule);
                json_kv_string(&w, "reason", a->reason);
                json_object_close(&w);
        }
        json_array_close(&w);
        json_key(&w, "blocked");
        json_array_open(&w);
        for (size_t i = 0; i < plan->n_blocked; i++) {
                json_object_open(&w);
                json_kv_string(&w, "object", plan->blocked[i].object);
                json_kv_string(&w, "rule", plan->blocked[i].rule);
                json_kv_string(&w, "reason", plan->blocked[i].reason);
                json_object_close(&w);
        }
        json_array_close(&w);
        json_object_close(&w);
        json_end(&w);
}

int verb_plan(int argc, char *argv[], spmctl_context *ctx) {
        _cleanup_(spm_policy_freep) spm_policy *p = NULL;
        _cleanup_(spm_cgroup_tree_freep) spm_cgroup_tree *tree = NULL;
        _cleanup_(spm_plan_freep) spm_plan *plan = NULL;
        spm_diags d = {};
        kernel_view v;
        int r;

        r = spmctl_load_policy(argv + 1, &p, &d);
        spmctl_print_diags(&d);
        spm_diags_clear(&d);
        if (r < 0) {
                if (r == -EINVAL)
                        spmctl_error("The policy has errors; nothing planned.");
                return SPMCTL_EXIT_FAILURE;
        }

        if (kernel_view_load(&v) < 0)
                return SPMCTL_EXIT_FAILURE;

        r = spm_cgroup_tree_load(&tree);
        if (r < 0 && r != -ENOENT) {
                kernel_view_done(&v);
                return spmctl_error("Could not read the cgroup tree at '%s': %s",
                                    spm_path(SPM_PATH_CGROUPFS), strerror(-r));
        }

        r = spm_plan_build(p, v.topo, &v.features, tree, &plan);
        kernel_view_done(&v);
        if (r < 0)
                return spmctl_error("Could not plan: %s", strerror(-r));

        if (ctx->json)
                json_plan(plan, tree != NULL);
        else {
                r = spm_plan_format_table(plan, stdout);
                if (r < 0)
                        return spmctl_error("Could not write the plan: %s", strerror(-r));
                if (ctx->legend) {
                        if (!tree)
                                printf("\nNo cgroup tree at '%s': devices only.\n", spm_path(SPM_PATH_CGROUPFS));
                        printf("\n%s.\n", KERNEL_VIEW_SOURCE_NOTE);
                }
        }

        return spm_plan_has_changes(plan) ? SPMCTL_EXIT_CHANGES : SPMCTL_EXIT_OK;
}
