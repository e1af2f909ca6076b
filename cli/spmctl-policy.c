/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* spmctl policy check [PATH...]: validate spm.d(5) files without a daemon. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json-writer.h"
#include "macro.h"
#include "policy-load.h"
#include "spmctl.h"
#include "strutil.h"

static void json_diags(json_writer *w, const spm_diags *d) {
        json_key(w, "diagnostics");
        json_array_open(w);
        for (size_t i = 0; i < d->n; i++) {
                const spm_diag *x = &d->items[i];

                json_object_open(w);
                json_kv_string(w, "level", x->level == SPM_DIAG_ERROR ? "error" : "warning");
                json_kv_string(w, "file", x->file);
                json_kv_u64(w, "line", x->line);
                json_kv_string(w, "message", x->message);
                json_object_close(w);
        }
        json_array_close(w);
}

/* Print every diagnostic to stderr, "file:line: message". */
void spmctl_print_diags(const spm_diags *d) {
        for (size_t i = 0; i < d->n; i++) {
                _cleanup_free_ char *s = NULL;

                if (spm_diag_format(&d->items[i], &s) >= 0)
                        fprintf(stderr, "%s\n", s);
        }
}

int spmctl_load_policy(char **paths, spm_policy **ret, spm_diags *d) {
        int r;

        r = spm_policy_load(paths && *paths ? paths : NULL, ret, d);
        if (r < 0 && r != -EINVAL)
                return spmctl_error("Could not load the policy: %s", strerror(-r)), r;
        return r;
}

int verb_policy(int argc, char *argv[], spmctl_context *ctx) {
        _cleanup_(spm_policy_freep) spm_policy *p = NULL;
        spm_diags d = {};
        int r;

        if (!streq(argv[1], "check")) {
                spmctl_error("Unknown policy command '%s'. Usage: spmctl policy check [PATH...]", argv[1]);
                return SPMCTL_EXIT_USAGE;
        }

        r = spmctl_load_policy(argv + 2, &p, &d);
        if (r < 0 && r != -EINVAL)
                return SPMCTL_EXIT_FAILURE;

        if (ctx->json) {
                json_writer w;

                json_begin(&w, stdout);
                json_object_open(&w);
                json_kv_bool(&w, "valid", p != NULL);
                json_kv_u64(&w, "errors", d.n_errors);
                json_kv_u64(&w, "warnings", d.n_warnings);
                json_key(&w, "files");
                json_array_open(&w);
                for (char **f = p ? p->files : NULL; f && *f; f++)
                        json_string(&w, *f);
                json_array_close(&w);
                if (p) {
                        json_kv_u64(&w, "pools", p->n_pools);
                        json_kv_u64(&w, "device_rules", p->n_devices);
                        json_kv_u64(&w, "cgroup_rules", p->n_cgroups);
                }
                json_diags(&w, &d);
                json_object_close(&w);
                json_end(&w);
        } else {
                spmctl_print_diags(&d);
                if (p && ctx->legend)
                        printf("Policy is valid: %zu file%s, %zu pool%s, %zu device rule%s, %zu cgroup rule%s, %zu warning%s.\n",
                               strv_length(p->files), strv_length(p->files) == 1 ? "" : "s",
                               p->n_pools, p->n_pools == 1 ? "" : "s",
                               p->n_devices, p->n_devices == 1 ? "" : "s",
                               p->n_cgroups, p->n_cgroups == 1 ? "" : "s",
                               d.n_warnings, d.n_warnings == 1 ? "" : "s");
                else if (!p)
                        fprintf(stderr, "Policy has %zu error%s.\n", d.n_errors, d.n_errors == 1 ? "" : "s");
        }

        r = p ? SPMCTL_EXIT_OK : SPMCTL_EXIT_FAILURE;
        spm_diags_clear(&d);
        return r;
}
