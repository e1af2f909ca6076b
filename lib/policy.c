/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The policy model: diagnostics, lifetime, whole-policy checks and rule
 * matching. Parsing lives in policy-parse.c, file discovery in
 * policy-load.c. */

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "glob-util.h"
#include "macro.h"
#include "policy.h"
#include "string-table.h"
#include "strutil.h"

/* ---- diagnostics ---- */

int spm_diags_add(spm_diags *d, spm_diag_level level, const char *file, unsigned line, const char *fmt, ...) {
        _cleanup_free_ char *m = NULL, *f = NULL;
        spm_diag *items;
        va_list ap;
        int r;

        if (!d)
                return 0;
        va_start(ap, fmt);
        r = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if (file && !(f = strdup(file)))
                return -ENOMEM;
        items = reallocarray(d->items, d->n + 1, sizeof *items);
        if (!items)
                return -ENOMEM;
        d->items = items;
        d->items[d->n++] = (spm_diag) {
                .level = level,
                .file = TAKE_PTR(f),
                .line = line,
                .message = TAKE_PTR(m),
        };
        if (level == SPM_DIAG_ERROR)
                d->n_errors++;
        else
                d->n_warnings++;
        return 0;
}

void spm_diags_clear(spm_diags *d) {
        if (!d)
                return;
        for (size_t i = 0; i < d->n; i++) {
                free(d->items[i].file);
                free(d->items[i].message);
        }
        free(d->items);
        *d = (spm_diags) {};
}

int spm_diag_format(const spm_diag *x, char **ret) {
        const char *w = x->level == SPM_DIAG_WARNING ? "warning: " : "";
        char *s;
        int r;

        if (x->file && x->line > 0)
                r = asprintf(&s, "%s:%u: %s%s", x->file, x->line, w, x->message);
        else if (x->file)
                r = asprintf(&s, "%s: %s%s", x->file, w, x->message);
        else
                r = asprintf(&s, "%s%s", w, x->message);
        if (r < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* ---- lifetime ---- */

spm_policy *spm_policy_new(void) {
        spm_policy *p = calloc(1, sizeof *p);

        if (!p)
                return NULL;
        p->log_level = -1;
        p->auto_online = SPM_AUTO_ONLINE_TAKEOVER;
        p->cgroup_backend = SPM_CGROUP_BACKEND_AUTO;
        return p;
}

spm_policy *spm_policy_free(spm_policy *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_pools; i++) {
                free(p->pools[i].name);
                free(p->pools[i].description);
        }
        free(p->pools);
        for (size_t i = 0; i < p->n_devices; i++) {
                spm_policy_device *d = &p->devices[i];
                free(d->name);
                strv_free(d->match_uuid);
                strv_free(d->match_serial);
                free(d->pool);
        }
        free(p->devices);
        for (size_t i = 0; i < p->n_cgroups; i++) {
                spm_policy_cgroup *g = &p->cgroups[i];
                free(g->name);
                strv_free(g->paths);
                strv_free(g->units);
                strv_free(g->pools);
        }
        free(p->cgroups);
        strv_free(p->files);
        return mfree(p);
}

const spm_policy_pool *spm_policy_find_pool(const spm_policy *p, const char *name) {
        for (size_t i = 0; i < p->n_pools; i++)
                if (streq(p->pools[i].name, name))
                        return &p->pools[i];
        return NULL;
}

spm_online_type spm_policy_device_online(const spm_policy *p, const spm_policy_device *d) {
        const spm_policy_pool *pool;

        if (d->online != SPM_ONLINE_INVALID)
                return d->online;
        if (d->class == SPM_CLASS_SPM && d->pool && (pool = spm_policy_find_pool(p, d->pool)) &&
            pool->online != SPM_ONLINE_INVALID)
                return pool->online;
        return SPM_ONLINE_MOVABLE;
}

int spm_policy_device_memmap(const spm_policy *p, const spm_policy_device *d) {
        const spm_policy_pool *pool;

        if (d->memmap_on_memory >= 0)
                return d->memmap_on_memory;
        if (d->class == SPM_CLASS_SPM && d->pool && (pool = spm_policy_find_pool(p, d->pool)))
                return pool->memmap_on_memory;
        return -1;
}

/* ---- matching ---- */

unsigned spm_policy_device_specificity(const spm_policy_device *d) {
        unsigned identity = 0, n = 0;

        if (d->match_target_node) {
                identity = 1;
                n++;
        }
        if (d->match_provider) {
                identity = 2;
                n++;
        }
        if (d->match_size) {
                identity = 2;
                n++;
        }
        if (d->match_resource) {
                identity = 3;
                n++;
        }
        if (d->match_uuid) {
                identity = 4;
                n++;
        }
        if (d->match_serial) {
                identity = 4;
                n++;
        }
        return identity * 16 + n;
}

static bool serial_equal(const char *a, const char *b) {
        unsigned long long x, y;
        char *ea, *eb;

        errno = 0;
        x = strtoull(a, &ea, 0);
        y = strtoull(b, &eb, 0);
        if (errno == 0 && *a && *b && !*ea && !*eb)
                return x == y;
        return strcasecmp(a, b) == 0;
}

bool spm_policy_device_matches(const spm_policy_device *rule, const spm_dax_device *dev, const spm_cxl_region *region) {
        if (!dev && !region)
                return false;

        if (rule->match_uuid) {
                if (!region || !region->uuid || !region->uuid[0])
                        return false;
                bool any = false;
                for (char **u = rule->match_uuid; *u && !any; u++)
                        any = strcasecmp(*u, region->uuid) == 0;
                if (!any)
                        return false;
        }
        if (rule->match_serial) {
                bool any = false;
                if (!region || !region->memdev_serials)
                        return false;
                for (char **s = rule->match_serial; *s && !any; s++)
                        for (char **m = region->memdev_serials; *m && !any; m++)
                                any = serial_equal(*s, *m);
                if (!any)
                        return false;
        }
        if (rule->match_provider) {
                spm_provider p = dev ? dev->provider : SPM_PROVIDER_CXL;
                if (!(rule->match_provider & SPM_PROVIDER_BIT(p)))
                        return false;
        }
        if (rule->match_resource) {
                if (dev && dev->n_ranges > 0) {
                        for (size_t i = 0; i < dev->n_ranges; i++)
                                if (dev->ranges[i].start < rule->resource_start ||
                                    dev->ranges[i].end > rule->resource_end)
                                        return false;
                } else {
                        uint64_t start, size;
                        if (dev && dev->resource_present) {
                                start = dev->resource;
                                size = dev->size;
                        } else if (!dev && region->resource_present) {
                                start = region->resource;
                                size = region->size;
                        } else
                                return false;
                        if (size == 0 || start < rule->resource_start ||
                            start + (size - 1) > rule->resource_end)
                                return false;
                }
        }
        if (rule->match_size && (dev ? dev->size : region->size) != rule->size)
                return false;
        if (rule->match_target_node)
                if (!dev || dev->target_node < 0 || !spm_nodemask_test(&rule->target_nodes, (unsigned) dev->target_node))
                        return false;
        return true;
}

static unsigned pattern_rank(const char *pattern) {
        /* literal patterns above every glob, then by literal length */
        return (spm_glob_is_literal(pattern) ? 1u << 20 : 0) + (unsigned) MIN(spm_glob_literal_length(pattern), 4096u) + 1;
}

unsigned spm_policy_cgroup_match(const spm_policy_cgroup *rule, const char *path, const char *unit) {
        unsigned best = 0;

        for (char **p = rule->paths; p && *p; p++)
                if (spm_glob_match_path(*p, path))
                        best = MAX(best, pattern_rank(*p));
        if (unit)
                for (char **u = rule->units; u && *u; u++)
                        if (spm_glob_match_name(*u, unit))
                                best = MAX(best, pattern_rank(*u));
        return best;
}

void spm_cgroup_depths_add_rule(spm_cgroup_depths *d, const spm_policy_cgroup *rule) {
        for (char **p = rule->paths; p && *p; p++) {
                unsigned n = spm_glob_components(*p);

                if (n < 64)
                        d->paths |= UINT64_C(1) << n;
                else
                        d->deep = true;
        }
        if (rule->units && rule->units[0])
                d->units = true;
}

void spm_cgroup_depths_of_policy(spm_cgroup_depths *d, const spm_policy *p) {
        *d = (spm_cgroup_depths) {};
        for (size_t i = 0; p && i < p->n_cgroups; i++)
                spm_cgroup_depths_add_rule(d, &p->cgroups[i]);
}

/* ---- whole-policy checks ---- */

#define BAD(d, src, line, ...) spm_diags_add((d), SPM_DIAG_ERROR, (src).file, (line), __VA_ARGS__)
#define WARN(d, src, line, ...) spm_diags_add((d), SPM_DIAG_WARNING, (src).file, (line), __VA_ARGS__)

static bool strv_equal_sets(char **a, char **b) {
        if (strv_length(a) != strv_length(b))
                return false;
        for (char **i = a; i && *i; i++)
                if (!strv_contains(b, *i))
                        return false;
        return true;
}

static bool same_device_match(const spm_policy_device *a, const spm_policy_device *b) {
        return strv_equal_sets(a->match_uuid, b->match_uuid) &&
                strv_equal_sets(a->match_serial, b->match_serial) &&
                a->match_provider == b->match_provider &&
                a->match_resource == b->match_resource &&
                (!a->match_resource || (a->resource_start == b->resource_start && a->resource_end == b->resource_end)) &&
                a->match_size == b->match_size && (!a->match_size || a->size == b->size) &&
                a->match_target_node == b->match_target_node &&
                (!a->match_target_node || spm_nodemask_equal(&a->target_nodes, &b->target_nodes));
}

bool spm_policy_device_same_outcome(const spm_policy *p, const spm_policy_device *a, const spm_policy_device *b) {
        return a->class == b->class && streq_ptr(a->pool, b->pool) &&
                spm_policy_device_online(p, a) == spm_policy_device_online(p, b) &&
                spm_policy_device_memmap(p, a) == spm_policy_device_memmap(p, b);
}

bool spm_policy_cgroup_same_outcome(const spm_policy_cgroup *a, const spm_policy_cgroup *b) {
        return strv_equal_sets(a->pools, b->pools) && a->sysram_all == b->sysram_all &&
                (a->sysram_all || spm_nodemask_equal(&a->sysram, &b->sysram));
}

static const char *shared_pattern(const spm_policy_cgroup *a, const spm_policy_cgroup *b) {
        for (char **i = a->paths; i && *i; i++)
                if (strv_contains(b->paths, *i))
                        return *i;
        for (char **i = a->units; i && *i; i++)
                if (strv_contains(b->units, *i))
                        return *i;
        return NULL;
}

static int check_devices(spm_policy *p, spm_diags *d) {
        int r;

        for (size_t i = 0; i < p->n_devices; i++) {
                spm_policy_device *x = &p->devices[i];
                unsigned spec = spm_policy_device_specificity(x);

                if (x->class == SPM_CLASS_INVALID)
                        r = BAD(d, x->where, x->where.line, "[Device %s] lacks Class= (spm, sysram or ignore)", x->name);
                else if (x->class == SPM_CLASS_SPM && !x->pool)
                        r = BAD(d, x->where, x->where.line, "[Device %s] has Class=spm but no Pool=", x->name);
                else if (x->class != SPM_CLASS_SPM && x->pool)
                        r = BAD(d, x->where, x->pool_line, "Pool= is only allowed with Class=spm in [Device %s]", x->name);
                else if (x->pool && !spm_policy_find_pool(p, x->pool))
                        r = BAD(d, x->where, x->pool_line, "Pool=%s in [Device %s]: no [Pool %s] is defined",
                                x->pool, x->name, x->pool);
                else
                        r = 0;
                if (r < 0)
                        return r;

                if (spec == 0)
                        r = WARN(d, x->where, x->where.line, "[Device %s] has no Match keys and applies to every device", x->name);
                else if (spec / 16 == 1)
                        r = WARN(d, x->where, x->where.line,
                                 "[Device %s] matches on MatchTargetNode= only; node numbers can change between boots, "
                                 "prefer MatchRegionUUID=, MatchSerial= or MatchResource=", x->name);
                if (r < 0)
                        return r;
                if (x->class == SPM_CLASS_SPM && spm_policy_device_online(p, x) == SPM_ONLINE_KERNEL &&
                    (r = WARN(d, x->where, x->where.line,
                              "[Device %s] onlines SPM memory as online_kernel; it can then never be unplugged", x->name)) < 0)
                        return r;
                if (x->class == SPM_CLASS_IGNORE && (x->online != SPM_ONLINE_INVALID || x->memmap_on_memory >= 0) &&
                    (r = WARN(d, x->where, x->where.line, "[Device %s] has Class=ignore; Online= and MemmapOnMemory= have no effect", x->name)) < 0)
                        return r;

                if (x->class == SPM_CLASS_SPM && x->pool)
                        for (size_t k = 0; k < p->n_pools; k++)
                                if (streq(p->pools[k].name, x->pool))
                                        p->pools[k].used = true;

                /* Rules of one file that match exactly the same devices
                 * can never be told apart by precedence. */
                for (size_t j = 0; j < i; j++) {
                        spm_policy_device *y = &p->devices[j];

                        if (y->where.file_index != x->where.file_index || !same_device_match(x, y))
                                continue;
                        if (!spm_policy_device_same_outcome(p, x, y))
                                r = BAD(d, x->where, x->where.line,
                                        "[Device %s] matches the same devices as [Device %s] (line %u) with the same precedence but disagrees",
                                        x->name, y->name, y->where.line);
                        else
                                r = WARN(d, x->where, x->where.line, "[Device %s] repeats [Device %s] (line %u)",
                                         x->name, y->name, y->where.line);
                        if (r < 0)
                                return r;
                        break;
                }
        }
        return 0;
}

static int check_cgroups(spm_policy *p, spm_diags *d) {
        int r;

        for (size_t i = 0; i < p->n_cgroups; i++) {
                spm_policy_cgroup *x = &p->cgroups[i];

                if (!x->paths && !x->units &&
                    (r = BAD(d, x->where, x->where.line, "[Cgroup %s] needs Path= or Unit=", x->name)) < 0)
                        return r;
                for (char **n = x->pools; n && *n; n++)
                        if (!spm_policy_find_pool(p, *n) &&
                            (r = BAD(d, x->where, x->pools_line, "Pools=%s in [Cgroup %s]: no [Pool %s] is defined",
                                     *n, x->name, *n)) < 0)
                                return r;

                for (size_t j = 0; j < i; j++) {
                        spm_policy_cgroup *y = &p->cgroups[j];
                        const char *pat;

                        if (y->where.file_index != x->where.file_index || !(pat = shared_pattern(x, y)))
                                continue;
                        if (!spm_policy_cgroup_same_outcome(x, y))
                                r = BAD(d, x->where, x->where.line,
                                        "[Cgroup %s] and [Cgroup %s] (line %u) both match '%s' with the same precedence but disagree",
                                        x->name, y->name, y->where.line, pat);
                        else
                                r = WARN(d, x->where, x->where.line, "[Cgroup %s] repeats '%s' of [Cgroup %s] (line %u)",
                                         x->name, pat, y->name, y->where.line);
                        if (r < 0)
                                return r;
                        break;
                }
        }
        return 0;
}

int spm_policy_finish(spm_policy *p, spm_diags *d) {
        int r;

        r = check_devices(p, d);
        if (r < 0)
                return r;
        r = check_cgroups(p, d);
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n_pools; i++)
                if (!p->pools[i].used &&
                    (r = WARN(d, p->pools[i].where, p->pools[i].where.line,
                              "[Pool %s] is not fed by any [Device] rule", p->pools[i].name)) < 0)
                        return r;

        return d && d->n_errors > 0 ? -EINVAL : 0;
}

DEFINE_STRING_TABLE(spm_device_class, spm_device_class, _SPM_CLASS_MAX,
        [SPM_CLASS_SPM] = "spm",
        [SPM_CLASS_SYSRAM] = "sysram",
        [SPM_CLASS_IGNORE] = "ignore");
DEFINE_FROM_STRING(spm_device_class, spm_device_class, _SPM_CLASS_MAX, SPM_CLASS_INVALID)

DEFINE_STRING_TABLE(spm_auto_online_mode, spm_auto_online_mode, _SPM_AUTO_ONLINE_MAX,
        [SPM_AUTO_ONLINE_TAKEOVER] = "takeover",
        [SPM_AUTO_ONLINE_STEPASIDE] = "stepaside");
DEFINE_FROM_STRING(spm_auto_online_mode, spm_auto_online_mode, _SPM_AUTO_ONLINE_MAX, SPM_AUTO_ONLINE_INVALID)

DEFINE_STRING_TABLE(spm_cgroup_backend, spm_cgroup_backend, _SPM_CGROUP_BACKEND_MAX,
        [SPM_CGROUP_BACKEND_AUTO] = "auto",
        [SPM_CGROUP_BACKEND_SYSTEMD] = "systemd",
        [SPM_CGROUP_BACKEND_CGROUPFS] = "cgroupfs");
DEFINE_FROM_STRING(spm_cgroup_backend, spm_cgroup_backend, _SPM_CGROUP_BACKEND_MAX, SPM_CGROUP_BACKEND_INVALID)
