/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* spmctl cgroups [PATH]: each cgroup's memory masks and the policy rule
 * that decides it, from spmd when it runs, else read directly. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-client.h"
#include "cgroup-report.h"
#include "json-writer.h"
#include "macro.h"
#include "planner.h"
#include "policy.h"
#include "spmctl.h"
#include "strutil.h"
#include "table.h"

typedef struct row {
        char *path, *mems, *effective, *sysram, *rule;
        bool unit, delegated;
} row;

typedef struct rows {
        row *items;
        size_t n;
} rows;

static void rows_done(rows *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].path);
                free(l->items[i].mems);
                free(l->items[i].effective);
                free(l->items[i].sysram);
                free(l->items[i].rule);
        }
        free(l->items);
}

static int rows_add(rows *l, const char *path, const char *mems, const char *eff, const char *sys, const char *rule,
                    bool unit, bool delegated) {
        row *n = reallocarray(l->items, l->n + 1, sizeof(row));
        row *x;

        if (!n)
                return -ENOMEM;
        l->items = n;
        x = &l->items[l->n];
        *x = (row) {
                .path = strdup(path), .mems = strdup(mems), .effective = strdup(eff), .sysram = strdup(sys),
                .rule = strdup(rule), .unit = unit, .delegated = delegated,
        };
        l->n++;
        if (!x->path || !x->mems || !x->effective || !x->sysram || !x->rule)
                return -ENOMEM;
        return 0;
}

static int from_daemon(sd_bus *bus, const char *prefix, rows *ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        const char *path, *mems, *eff, *sys, *rule;
        int unit, delegated, r;

        r = sd_bus_call_method(bus, SPMCTL_BUS_NAME, SPMCTL_BUS_PATH, SPMCTL_BUS_IFACE, "ListCgroups", &e, &reply, "s",
                               prefix);
        if (r < 0) {
                spmctl_error("Could not list cgroups: %s", spmctl_bus_error_message(&e, r));
                sd_bus_error_free(&e);
                return r;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(sssssbb)");
        while (r >= 0 &&
               (r = sd_bus_message_read(reply, "(sssssbb)", &path, &mems, &eff, &sys, &rule, &unit, &delegated)) > 0)
                r = rows_add(ret, path, mems, eff, sys, rule, unit, delegated);
        if (r < 0)
                return spmctl_error("Could not parse spmd's answer: %s", strerror(-r)), r;
        return 0;
}

static int from_kernel(const char *prefix, rows *ret) {
        _cleanup_(spm_cgroup_tree_freep) spm_cgroup_tree *tree = NULL;
        _cleanup_(spm_policy_freep) spm_policy *policy = NULL;
        spm_diags d = {};
        int r;

        r = spm_cgroup_tree_load(&tree);
        if (r < 0)
                return spmctl_error("Could not read the cgroup tree: %s", strerror(-r)), r;

        /* The installed policy names the rules; without one (or with a
         * broken one) the rule column stays empty. */
        if (spmctl_load_policy(NULL, &policy, &d) < 0) {
                policy = NULL;
                if (d.n_errors > 0)
                        fprintf(stderr, "The installed policy has errors ('spmctl policy check' lists them); "
                                        "no rules are shown.\n");
        }
        spm_diags_clear(&d);

        for (size_t i = 0; i < tree->n; i++) {
                const spm_cgroup *g = &tree->cgroups[i];
                spm_cgroup_report rep;

                if (!spm_cgroup_path_in(g->path, prefix))
                        continue;
                r = spm_cgroup_report_make(tree, i, policy, &rep);
                if (r >= 0)
                        r = rows_add(ret, rep.path, rep.mems, rep.effective, rep.sysram, strempty(rep.rule),
                                     g->is_unit, spm_cgroup_in_delegated_subtree(tree, (int) i));
                spm_cgroup_report_done(&rep);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void json_mask(json_writer *w, const char *key, const char *text) {
        json_kv_string(w, key, streq(text, "-") ? NULL : text);
}

int verb_cgroups(int argc, char *argv[], spmctl_context *ctx) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const char *prefix = argc > 1 ? argv[1] : "";
        bool daemon;
        rows l = {};
        int r;

        while (*prefix == '/')
                prefix++;

        daemon = spmctl_bus_open(ctx->user_bus, &bus) >= 0 && spmctl_daemon_running(bus);
        r = daemon ? from_daemon(bus, prefix, &l) : from_kernel(prefix, &l);
        if (r < 0) {
                rows_done(&l);
                return SPMCTL_EXIT_FAILURE;
        }

        if (ctx->json) {
                json_writer w;

                json_begin(&w, stdout);
                json_object_open(&w);
                json_kv_string(&w, "source", daemon ? "daemon" : "kernel");
                json_key(&w, "cgroups");
                json_array_open(&w);
                for (size_t i = 0; i < l.n; i++) {
                        json_object_open(&w);
                        json_kv_string(&w, "path", l.items[i].path);
                        json_mask(&w, "mems", l.items[i].mems);
                        json_mask(&w, "effective", l.items[i].effective);
                        json_mask(&w, "sysram", l.items[i].sysram);
                        json_kv_string(&w, "rule", *l.items[i].rule ? l.items[i].rule : NULL);
                        json_kv_bool(&w, "unit", l.items[i].unit);
                        json_kv_bool(&w, "delegated", l.items[i].delegated);
                        json_object_close(&w);
                }
                json_array_close(&w);
                json_object_close(&w);
                json_end(&w);
        } else {
                static const char *const hdr[] = { "CGROUP", "MEMS", "EFFECTIVE", "SYSRAM", "RULE" };
                _cleanup_(table_freep) table *tb = table_new(ELEMENTSOF(hdr), hdr);

                if (!tb) {
                        rows_done(&l);
                        return spmctl_error("Out of memory");
                }
                for (size_t i = 0; i < l.n; i++) {
                        const char *cells[] = { l.items[i].path, *l.items[i].mems ? l.items[i].mems : "(inherit)",
                                                *l.items[i].effective ? l.items[i].effective : "(empty)",
                                                *l.items[i].sysram ? l.items[i].sysram : "(empty)",
                                                *l.items[i].rule ? l.items[i].rule : "-" };
                        if (table_add_row(tb, cells) < 0) {
                                rows_done(&l);
                                return spmctl_error("Out of memory");
                        }
                }
                if (table_rows(tb) == 0)
                        printf("No cgroups%s%s.\n", *prefix ? " below /" : "", prefix);
                else
                        table_print(tb, stdout, ctx->legend);
                if (ctx->legend && !daemon)
                        printf("\n(read directly from the kernel; spmd is not running)\n");
        }

        rows_done(&l);
        return SPMCTL_EXIT_OK;
}
