/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The Manager methods that change the policy at run time: Classify, Grant,
 * Revoke. Each writes one drop-in file (lib/policy-dropin.h) under
 * /etc/spm.d (persistent) or /run/spm.d (runtime) and reloads the policy;
 * the next pass applies it. Steps, in order: read the arguments, normalise
 * them, validate them, reply at once when nothing would change, authorize,
 * write, reload (taking the file back out if the reload refuses it), reply.
 * Verify is here too: it plans against a fresh snapshot and changes nothing.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "planner.h"
#include "policy-dropin.h"
#include "spmd-bus.h"
#include "spmd-change-bus.h"
#include "spmd-device-ops.h"
#include "spmd-manager.h"
#include "spmd-polkit.h"
#include "strutil.h"

#define ERROR_NO_SUCH_DEVICE  "org.spmd.spm1.Error.NoSuchDevice"
#define ERROR_NO_SUCH_POOL    "org.spmd.spm1.Error.NoSuchPool"
#define ERROR_INVALID_POLICY  "org.spmd.spm1.Error.InvalidPolicy"
#define ERROR_NOT_READY       "org.spmd.spm1.Error.NotReady"
#define ERROR_BUSY            "org.spmd.spm1.Error.Busy"

static const char *dropin_dir(bool runtime) {
        return spm_path(runtime ? SPM_PATH_POLICY_RUN : SPM_PATH_POLICY_ETC);
}

/* Put back what a drop-in file held before (previous NULL: no file), and
 * reload. */
static void restore_dropin(manager *m, const char *dir, const char *file_name, const char *previous) {
        int k;

        if (previous) {
                _cleanup_free_ char *with_nl = NULL;
                spm_dropin old = { .file_name = (char *) file_name };

                /* spm_attr_read() dropped the final newline */
                if (asprintf(&with_nl, "%s\n", previous) < 0)
                        k = -ENOMEM;
                else {
                        old.text = with_nl;
                        k = spm_dropin_write(dir, &old);
                }
        } else
                k = spm_dropin_remove(dir, file_name);
        if (k < 0 && k != -ENOENT)
                log_error_errno(k, "Failed to take back '%s/%s': %m", dir, file_name);
        (void) spmd_policy_reload(m);
}

/* Write the drop-in and reload. If the reload refuses the result, put the
 * previous file (or nothing) back, so a failed call leaves no trace. What
 * the file held before is returned in *ret_previous (NULL: no file) for
 * callers that may still have to undo it. */
static int install_dropin(manager *m, const spm_dropin *d, bool runtime, char **ret_previous, sd_bus_error *error) {
        _cleanup_free_ char *path = NULL, *previous = NULL;
        const char *dir = dropin_dir(runtime);
        int r;

        if (asprintf(&path, "%s/%s", dir, d->file_name) < 0)
                return -ENOMEM;
        r = spm_attr_read(path, &previous);
        if (r < 0 && r != -ENOENT)
                return sd_bus_error_set_errnof(error, -r, "Could not read '%s': %m", path);

        r = spm_dropin_write(dir, d);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Could not write '%s': %m", path);

        r = spmd_policy_reload(m);
        if (r < 0) {
                restore_dropin(m, dir, d->file_name, previous);
                if (r == -EINVAL)
                        return sd_bus_error_setf(error, ERROR_INVALID_POLICY, "%s", strna(m->policy_error));
                return sd_bus_error_set_errnof(error, -r, "Could not reload the policy: %m");
        }

        log_info("Wrote policy drop-in '%s'.", path);
        manager_policy_reloaded(m, false, "policy drop-in");
        if (ret_previous)
                *ret_previous = TAKE_PTR(previous);
        return 0;
}

/* The device a method names, from the last pass's snapshot. */
static int find_device(manager *m, const char *name, const spm_dax_device **ret, sd_bus_error *error) {
        if (!m->topo)
                return sd_bus_error_set(error, ERROR_NOT_READY, "No reconcile pass has run yet.");
        *ret = spm_topology_find_dax(m->topo, name);
        if (!*ret)
                return sd_bus_error_setf(error, ERROR_NO_SUCH_DEVICE, "No dax device '%s'.", name);
        return 0;
}

static bool valid_pool(manager *m, const char *pool) {
        return m->policy && spm_policy_find_pool(m->policy, pool);
}

/* Classify(s device, s class, s pool, s online, b runtime) */
static int method_classify(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        manager *m = userdata;
        const char *name, *class_s, *pool, *online_s;
        const spm_policy_device *rule = NULL, *conflict = NULL;
        const spm_dax_device *d;
        spm_device_class cls;
        spm_online_type online = SPM_ONLINE_INVALID;
        spm_dropin dropin = {};
        int runtime, r;

        r = sd_bus_message_read(msg, "ssssb", &name, &class_s, &pool, &online_s, &runtime);
        if (r < 0)
                return r;

        /* normalise */
        if (!*pool)
                pool = NULL;

        /* validate */
        r = find_device(m, name, &d, error);
        if (r < 0)
                return r;
        cls = spm_device_class_from_string(class_s);
        if (cls < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid class '%s' (spm, sysram or ignore).", class_s);
        if (cls == SPM_CLASS_SPM && !pool)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Class 'spm' needs a pool.");
        if (cls != SPM_CLASS_SPM && pool)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Only class 'spm' takes a pool, not '%s'.",
                                         class_s);
        if (pool && !valid_pool(m, pool))
                return sd_bus_error_setf(error, ERROR_NO_SUCH_POOL, "No pool '%s' in the policy.", pool);
        if (*online_s) {
                online = spm_online_type_from_string(online_s);
                if (online == SPM_ONLINE_INVALID || online == SPM_ONLINE_OFFLINE)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Invalid online type '%s' (online_movable, online_kernel, online).",
                                                 online_s);
        }

        /* nothing would change: the deciding rule already says so */
        if (m->policy)
                rule = spm_plan_device_rule(m->policy, d, d->cxl_region ? spm_topology_find_region(m->topo, d->cxl_region)
                                                                        : NULL, &conflict);
        if (rule && !conflict && rule->class == cls && streq_ptr(rule->pool, pool) &&
            (online == SPM_ONLINE_INVALID || spm_policy_device_online(m->policy, rule) == online))
                return sd_bus_reply_method_return(msg, NULL);

        r = spmd_authorize(m, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        r = spm_dropin_for_device(m->topo, d, cls, pool, online, "Classify()", &dropin);
        if (r == -ENODATA)
                return sd_bus_error_setf(error, SD_BUS_ERROR_NOT_SUPPORTED,
                                         "Device '%s' has no stable identity (no physical range, no region UUID).", name);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Could not describe '%s' as a policy rule: %m", name);

        r = install_dropin(m, &dropin, runtime, NULL, error);
        spm_dropin_done(&dropin);
        if (r < 0)
                return r;

        log_struct(LOG_INFO, LOG_FIELDS(SPM_MESSAGE_POLICY_APPLIED), "Device '%s' classified %s%s%s%s by '%s'.", name,
                   class_s, pool ? " in pool '" : "", strempty(pool), pool ? "'" : "",
                   strna(sd_bus_message_get_sender(msg)));
        return sd_bus_reply_method_return(msg, NULL);
}

static const spm_policy_device *rule_of(manager *m, const spm_dax_device *d) {
        const spm_policy_device *conflict = NULL;

        if (!m->policy)
                return NULL;
        return spm_plan_device_rule(m->policy, d, d->cxl_region ? spm_topology_find_region(m->topo, d->cxl_region)
                                                                : NULL, &conflict);
}

/* Offline(s device, b runtime): take the device's memory away and keep it
 * away. A Class=ignore drop-in keeps the next passes from onlining it
 * again; a pass runs first so cgroup masks let go of the device's node
 * before its memory goes (narrow before offline); then the memory is
 * unplugged all or nothing and kmem unbound. If the memory is busy nothing
 * stays changed: the drop-in is taken back and the busy blocks named. */
static int method_offline(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *previous = NULL, *reason = NULL, *name_copy = NULL;
        manager *m = userdata;
        const spm_policy_device *rule;
        const spm_dax_device *d;
        spm_dropin dropin = {};
        const char *name;
        int runtime, r;

        r = sd_bus_message_read(msg, "sb", &name, &runtime);
        if (r < 0)
                return r;

        r = find_device(m, name, &d, error);
        if (r < 0)
                return r;

        rule = rule_of(m, d);
        if (!streq_ptr(d->driver, "kmem") && rule && rule->class == SPM_CLASS_IGNORE)
                return sd_bus_reply_method_return(msg, NULL);

        r = spmd_authorize(m, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        name_copy = strdup(name); /* the snapshot (and name's owner) change below */
        if (!name_copy)
                return -ENOMEM;
        r = spm_dropin_for_device(m->topo, d, SPM_CLASS_IGNORE, NULL, SPM_ONLINE_INVALID, "Offline()", &dropin);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Could not describe '%s' as a policy rule: %m", name);
        r = install_dropin(m, &dropin, runtime, &previous, error);
        if (r < 0) {
                spm_dropin_done(&dropin);
                return r;
        }

        /* narrow first: a pass under the new policy drops the node from
         * the masks that had it through the device's pool */
        (void) manager_reconcile(m);

        r = spmd_device_remove(m, name_copy, &reason);
        if (r < 0) {
                restore_dropin(m, dropin_dir(runtime), dropin.file_name, previous);
                spm_dropin_done(&dropin);
                manager_mark_dirty(m, false, "Offline() failed");
                if (r == -EBUSY)
                        return sd_bus_error_setf(error, ERROR_BUSY, "Device '%s' could not be taken offline: %s",
                                                 name_copy, strna(reason));
                return sd_bus_error_set_errnof(error, -r, "Device '%s' could not be taken offline: %s", name_copy,
                                               strna(reason));
        }
        spm_dropin_done(&dropin);
        manager_mark_dirty(m, false, "Offline()");
        log_info("Device '%s' taken offline by '%s'.", name_copy, strna(sd_bus_message_get_sender(msg)));
        return sd_bus_reply_method_return(msg, NULL);
}

/* Does text hold this exact line? */
static bool has_line(const char *text, const char *line) {
        size_t n = strlen(line);

        for (const char *p = text; (p = strstr(p, line)); p += n)
                if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == 0))
                        return true;
        return false;
}

/* Online(s device): undo Offline(): remove the device's Class=ignore
 * drop-in (persistent and runtime); the next pass brings the device back
 * as the remaining policy says. */
static int method_online(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        manager *m = userdata;
        const spm_policy_device *rule;
        const spm_dax_device *d;
        spm_dropin probe = {};
        const char *name, *dirs[2];
        bool found[2] = {};
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;

        r = find_device(m, name, &d, error);
        if (r < 0)
                return r;

        /* the file name depends only on the device's identity */
        r = spm_dropin_for_device(m->topo, d, SPM_CLASS_IGNORE, NULL, SPM_ONLINE_INVALID, NULL, &probe);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Could not name '%s''s policy rule: %m", name);

        dirs[0] = dropin_dir(false);
        dirs[1] = dropin_dir(true);
        for (size_t i = 0; i < 2; i++) {
                _cleanup_free_ char *path = NULL, *text = NULL;

                if (asprintf(&path, "%s/%s", dirs[i], probe.file_name) < 0) {
                        spm_dropin_done(&probe);
                        return -ENOMEM;
                }
                found[i] = spm_attr_read(path, &text) >= 0 && has_line(text, "Class=ignore");
        }

        if (!found[0] && !found[1]) {
                spm_dropin_done(&probe);
                rule = rule_of(m, d);
                if (rule && rule->class == SPM_CLASS_IGNORE)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_NOT_SUPPORTED,
                                                 "The policy leaves '%s' alone (%s:%u [Device %s]); use Classify().",
                                                 name, rule->where.file, rule->where.line, rule->name);
                return sd_bus_reply_method_return(msg, NULL);
        }

        r = spmd_authorize(m, msg, error);
        if (r <= 0) {
                spm_dropin_done(&probe);
                return r < 0 ? r : 1;
        }

        for (size_t i = 0; i < 2; i++)
                if (found[i] && (r = spm_dropin_remove(dirs[i], probe.file_name)) < 0 && r != -ENOENT) {
                        spm_dropin_done(&probe);
                        return sd_bus_error_set_errnof(error, -r, "Could not remove '%s/%s': %m", dirs[i],
                                                       probe.file_name);
                }
        spm_dropin_done(&probe);

        r = spmd_policy_reload(m);
        manager_mark_dirty(m, true, "Online()");
        if (r == -EINVAL)
                return sd_bus_error_setf(error, ERROR_INVALID_POLICY, "%s", strna(m->policy_error));
        log_info("Device '%s' handed back to the policy by '%s'.", name, strna(sd_bus_message_get_sender(msg)));
        return sd_bus_reply_method_return(msg, NULL);
}

/* Grant/Revoke(s kind, s target, as pools, b runtime) */
static int change_pools(sd_bus_message *msg, manager *m, bool grant, sd_bus_error *error) {
        _cleanup_strv_free_ char **pools = NULL, **result = NULL;
        const char *kind, *target;
        const spm_policy_cgroup *rule = NULL, *conflict = NULL;
        spm_dropin dropin = {};
        bool unit, changed = false;
        int runtime, r;

        r = sd_bus_message_read(msg, "ss", &kind, &target);
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(msg, &pools);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "b", &runtime);
        if (r < 0)
                return r;

        /* normalise: cgroup paths are relative to the cgroup root */
        while (*target == '/')
                target++;

        /* validate */
        if (streq(kind, "unit"))
                unit = true;
        else if (streq(kind, "cgroup"))
                unit = false;
        else
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid kind '%s' (cgroup or unit).", kind);
        if (!*target || strstr(target, "..") || (unit && strchr(target, '/')))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid %s '%s'.", kind, target);
        if (strv_length(pools) == 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "No pools given.");
        for (char **p = pools; *p; p++)
                if (!valid_pool(m, *p))
                        return sd_bus_error_setf(error, ERROR_NO_SUCH_POOL, "No pool '%s' in the policy.", *p);

        /* what the target gets now, and what it would get */
        if (m->policy)
                rule = spm_plan_cgroup_rule(m->policy, unit ? "" : target, unit ? target : NULL, &conflict);
        result = calloc(1, sizeof(char *));
        if (!result)
                return -ENOMEM;
        for (char **p = rule ? rule->pools : NULL; p && *p; p++)
                if (grant || !strv_contains(pools, *p)) {
                        r = strv_extend(&result, *p);
                        if (r < 0)
                                return r;
                } else
                        changed = true;
        if (grant)
                for (char **p = pools; *p; p++)
                        if (!strv_contains(result, *p)) {
                                r = strv_extend(&result, *p);
                                if (r < 0)
                                        return r;
                                changed = true;
                        }
        if (!changed)
                return sd_bus_reply_method_return(msg, NULL);

        r = spmd_authorize(m, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        r = spm_dropin_for_cgroup(target, unit, result, rule ? rule->sysram_all : true, rule ? &rule->sysram : NULL,
                                  grant ? "Grant()" : "Revoke()", &dropin);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Could not describe '%s' as a policy rule: %m", target);

        r = install_dropin(m, &dropin, runtime, NULL, error);
        spm_dropin_done(&dropin);
        if (r < 0)
                return r;

        log_info("%s '%s' %s pool(s) by '%s'.", unit ? "Unit" : "Cgroup", target, grant ? "granted" : "revoked",
                 strna(sd_bus_message_get_sender(msg)));
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_grant(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return change_pools(msg, userdata, true, error);
}

static int method_revoke(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return change_pools(msg, userdata, false, error);
}

/* Verify() → (u changes, s json): plan against the kernel as it is now. */
static int method_verify(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(spm_topology_freep) spm_topology *t = NULL;
        _cleanup_(spm_plan_freep) spm_plan *plan = NULL;
        _cleanup_free_ char *json = NULL;
        manager *m = userdata;
        spm_features f;
        size_t size = 0;
        FILE *out;
        int r;

        r = spmd_authorize(m, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        r = spm_topology_load(&t);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Could not read the memory topology: %m");
        r = spm_features_probe(t, &f);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Could not probe kernel features: %m");
        r = manager_build_plan(m, t, &f, &plan);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Could not plan: %m");

        out = open_memstream(&json, &size);
        if (!out)
                return -ENOMEM;
        r = spm_plan_format_json(plan, out);
        if (fclose(out) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "us", (uint32_t) plan->n_actions, json);
}

const sd_bus_vtable spmd_change_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Classify",
                                SD_BUS_ARGS("s", device, "s", class_, "s", pool, "s", online, "b", runtime),
                                SD_BUS_NO_RESULT,
                                method_classify, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Offline",
                                SD_BUS_ARGS("s", device, "b", runtime),
                                SD_BUS_NO_RESULT,
                                method_offline, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Online",
                                SD_BUS_ARGS("s", device),
                                SD_BUS_NO_RESULT,
                                method_online, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Grant",
                                SD_BUS_ARGS("s", kind, "s", target, "as", pools, "b", runtime),
                                SD_BUS_NO_RESULT,
                                method_grant, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Revoke",
                                SD_BUS_ARGS("s", kind, "s", target, "as", pools, "b", runtime),
                                SD_BUS_NO_RESULT,
                                method_revoke, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Verify",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("u", changes, "s", json),
                                method_verify, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};
