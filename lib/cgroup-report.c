/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-report.h"
#include "macro.h"
#include "planner.h"

bool spm_cgroup_path_in(const char *path, const char *prefix) {
        size_t n = strlen(prefix);

        return n == 0 || (strncmp(path, prefix, n) == 0 && (path[n] == 0 || path[n] == '/'));
}

static void mask_text(bool present, const spm_nodemask *m, char *buf, size_t size) {
        if (present)
                spm_nodemask_format_buf(m, buf, size);
        else
                snprintf(buf, size, "-");
}

int spm_cgroup_report_make(const spm_cgroup_tree *tree, size_t i, const spm_policy *policy, spm_cgroup_report *r) {
        const spm_cgroup *g = &tree->cgroups[i], *from = g;
        const spm_policy_cgroup *rule = NULL, *conflict = NULL;

        r->rule = NULL;
        snprintf(r->path, sizeof r->path, "/%s", g->path);
        mask_text(g->cpuset->mems_present, &g->cpuset->mems, r->mems, sizeof r->mems);
        mask_text(g->cpuset->effective_present, &g->cpuset->effective, r->effective, sizeof r->effective);
        mask_text(g->cpuset->sysram_present, &g->cpuset->sysram, r->sysram, sizeof r->sysram);

        for (int j = (int) i; policy && j >= 0 && !rule; j = tree->cgroups[j].parent) {
                from = &tree->cgroups[j];
                rule = spm_plan_cgroup_rule(policy, from->path, from->is_unit ? from->name : NULL, &conflict);
        }
        if (rule && asprintf(&r->rule, "%s:%u [Cgroup %s]%s%s", rule->where.file, rule->where.line, rule->name,
                             from != g ? " via /" : "", from != g ? from->path : "") < 0) {
                r->rule = NULL;
                return -ENOMEM;
        }
        return 0;
}

void spm_cgroup_report_done(spm_cgroup_report *r) {
        r->rule = mfree(r->rule);
}
