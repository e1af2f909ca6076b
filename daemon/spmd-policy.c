/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "policy-load.h"
#include "spmd-bus.h"
#include "spmd-manager.h"
#include "spmd-policy.h"
#include "string-table.h"
#include "strutil.h"

static void emit_policy_change(manager *m, bool applied) {
        if (!m->bus)
                return;
        (void) sd_bus_emit_properties_changed(m->bus, SPM_BUS_PATH, SPM_BUS_IFACE_MANAGER, "PolicyState",
                                              "PolicyError", NULL);
        if (applied)
                (void) sd_bus_emit_signal(m->bus, SPM_BUS_PATH, SPM_BUS_IFACE_MANAGER, "PolicyApplied", "");
        else
                (void) sd_bus_emit_signal(m->bus, SPM_BUS_PATH, SPM_BUS_IFACE_MANAGER, "PolicyReloadFailed", "s",
                                          strempty(m->policy_error));
}

int spmd_policy_reload(manager *m) {
        _cleanup_(spm_policy_freep) spm_policy *p = NULL;
        _cleanup_free_ char *first_error = NULL;
        spm_diags d = {};
        unsigned long long start;
        int r;

        start = manager_now_usec();
        r = spm_policy_load(NULL, &p, &d);

        /* Every diagnostic goes to the journal, errors first-class. */
        for (size_t i = 0; i < d.n; i++) {
                _cleanup_free_ char *line = NULL;

                if (spm_diag_format(&d.items[i], &line) < 0)
                        continue;
                if (d.items[i].level == SPM_DIAG_ERROR) {
                        log_error("%s", line);
                        if (!first_error)
                                first_error = TAKE_PTR(line);
                } else
                        log_warning("%s", line);
        }
        spm_diags_clear(&d);

        if (r == -EINVAL) {
                free(m->policy_error);
                m->policy_error = TAKE_PTR(first_error);
                m->policy_state = SPMD_POLICY_REJECTED;
                log_struct(LOG_ERR, LOG_FIELDS(SPM_MESSAGE_POLICY_REJECTED),
                           "Policy has errors, %s.",
                           m->policy ? "keeping the previous policy" : "running without a policy");
                emit_policy_change(m, false);
                return r;
        }
        if (r < 0)
                return log_error_errno(r, "Failed to load the policy: %m");

        log_debug("Policy read in %llu us.", manager_now_usec() - start);
        spmd_cgroup_sync_policy_changed(m, m->policy, p);
        spm_policy_free(m->policy);
        m->policy = TAKE_PTR(p);
        m->policy_error = mfree(m->policy_error);
        m->policy_state = strv_length(m->policy->files) > 0 ? SPMD_POLICY_LOADED : SPMD_POLICY_NONE;
        log_struct(LOG_INFO, LOG_FIELDS(SPM_MESSAGE_POLICY_APPLIED), "Policy loaded from %zu file(s).",
                   strv_length(m->policy->files));
        log_debug("Policy in force %llu us after the reload began.", manager_now_usec() - start);
        emit_policy_change(m, true);
        return 0;
}

DEFINE_STRING_TABLE(spmd_policy_state, spmd_policy_state, _SPMD_POLICY_STATE_MAX,
        [SPMD_POLICY_NONE] = "none",
        [SPMD_POLICY_LOADED] = "loaded",
        [SPMD_POLICY_REJECTED] = "rejected");
