/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Scenario file parser and the fault rules it sets up. */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "scenario.h"

int sk_parse_size(const char *s, uint64_t *ret) {
        unsigned long long v;
        char *end;

        errno = 0;
        v = strtoull(s, &end, 0);
        if (errno || end == s)
                return -EINVAL;
        switch (toupper((unsigned char) *end)) {
        case 'K': v <<= 10; end++; break;
        case 'M': v <<= 20; end++; break;
        case 'G': v <<= 30; end++; break;
        case 'T': v <<= 40; end++; break;
        }
        if (*end == 'i' || *end == 'B')
                end++;
        if (*end == 'B')
                end++;
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

static const struct {
        const char *name;
        int e;
} errnos[] = {
        { "EPERM", EPERM }, { "ENOENT", ENOENT }, { "EIO", EIO }, { "ENXIO", ENXIO },
        { "EAGAIN", EAGAIN }, { "ENOMEM", ENOMEM }, { "EACCES", EACCES }, { "EBUSY", EBUSY },
        { "EEXIST", EEXIST }, { "ENODEV", ENODEV }, { "EINVAL", EINVAL }, { "ENOSPC", ENOSPC },
        { "ERANGE", ERANGE }, { "EINTR", EINTR }, { "EOPNOTSUPP", EOPNOTSUPP },
        { "ETIMEDOUT", ETIMEDOUT }, { "EHWPOISON", EHWPOISON },
};

int sk_parse_errno(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(errnos); i++)
                if (strcasecmp(s, errnos[i].name) == 0)
                        return errnos[i].e;
        if (isdigit((unsigned char) *s)) {
                int v = atoi(s);
                return v > 0 && v < 4096 ? v : -EINVAL;
        }
        return -EINVAL;
}

static char *rel(const char *p) {
        while (*p == '/')
                p++;
        return strdup(p);
}

int sk_faults_add_fail(sk_faults *f, const char *path, unsigned nth, int error, unsigned count) {
        sk_fail_rule *p = realloc(f->fail, (f->n_fail + 1) * sizeof(*p));

        if (!p)
                return -ENOMEM;
        f->fail = p;
        p[f->n_fail] = (sk_fail_rule) { .path = rel(path), .nth = nth ? nth : 1, .count = count, .error = error };
        if (!p[f->n_fail].path)
                return -ENOMEM;
        f->n_fail++;
        return 0;
}

int sk_faults_add_delay(sk_faults *f, const char *path, unsigned ms) {
        sk_delay_rule *p = realloc(f->delay, (f->n_delay + 1) * sizeof(*p));

        if (!p)
                return -ENOMEM;
        f->delay = p;
        p[f->n_delay] = (sk_delay_rule) { .path = rel(path), .ms = ms };
        if (!p[f->n_delay].path)
                return -ENOMEM;
        f->n_delay++;
        return 0;
}

int sk_faults_check(sk_faults *f, const char *path, unsigned *ret_delay_ms) {
        int r = 0;

        while (*path == '/')
                path++;
        *ret_delay_ms = 0;
        for (size_t i = 0; i < f->n_delay; i++)
                if (streq(f->delay[i].path, path))
                        *ret_delay_ms += f->delay[i].ms;
        for (size_t i = 0; i < f->n_fail; i++) {
                sk_fail_rule *x = &f->fail[i];

                if (!streq(x->path, path))
                        continue;
                x->seen++;
                if (r == 0 && x->seen >= x->nth && (x->count == 0 || x->seen < x->nth + x->count))
                        r = -x->error;
        }
        return r;
}

void sk_faults_done(sk_faults *f) {
        for (size_t i = 0; i < f->n_fail; i++)
                free(f->fail[i].path);
        for (size_t i = 0; i < f->n_delay; i++)
                free(f->delay[i].path);
        free(f->fail);
        free(f->delay);
        *f = (sk_faults) {};
}

static int parse_bool(const char *s, bool *ret) {
        if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0 || streq(s, "1") || strcasecmp(s, "on") == 0)
                *ret = true;
        else if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0 || streq(s, "0") || strcasecmp(s, "off") == 0)
                *ret = false;
        else
                return -EINVAL;
        return 0;
}

int sk_dax_spec_set(sk_dax_spec *spec, const char *key, const char *value) {
        int r;

        if (streq(key, "name")) {
                spec->name = value;
                return 0;
        }
        if (streq(key, "node")) {
                spec->node = atoi(value);
                return 0;
        }
        if (streq(key, "size"))
                return sk_parse_size(value, &spec->size);
        if (streq(key, "provider")) {
                r = sk_provider_from_string(value);
                if (r < 0)
                        return r;
                /* CXL dax devices come from a region ([region], add-region) */
                if (r == SK_PROV_CXL)
                        return -EINVAL;
                spec->provider = (sk_provider) r;
                return 0;
        }
        /* the mark, under either generation's name */
        if (streq(key, "spm_node") || streq(key, "protected_memory"))
                return parse_bool(value, &spec->spm_node);
        if (streq(key, "private"))
                return parse_bool(value, &spec->private_mem);
        if (streq(key, "busy"))
                return parse_bool(value, &spec->busy);
        if (streq(key, "driver")) {
                spec->no_probe = false;
                if (streq(value, "auto"))
                        spec->driver = SK_DRV_NONE;
                else if (streq(value, "kmem"))
                        spec->driver = SK_DRV_KMEM;
                else if (streq(value, "device_dax"))
                        spec->driver = SK_DRV_DEVICE_DAX;
                else if (streq(value, "none"))
                        spec->no_probe = true;
                else
                        return -EINVAL;
                return 0;
        }
        return -ENOENT;
}

typedef struct pending_cgroup {
        char *path, *subtree, *mems;
} pending_cgroup;

static char *strip(char *s) {
        char *e;

        while (isspace((unsigned char) *s))
                s++;
        e = s + strlen(s);
        while (e > s && isspace((unsigned char) e[-1]))
                *--e = 0;
        return s;
}

#define SECTION_MAX 16

/* The default scenario: the vm-e2e layout on a stock kernel. */
static const char default_scenario[] =
        "[kernel]\nmarking=stock\nhotplug=none\nauto_online_blocks=offline\n"
        "[node 0]\ncpus=0\nmemory=512M\n[node 1]\ncpus=1\nmemory=512M\n[node 2]\n"
        "[dax dax0.0]\nnode=2\nsize=1G\nprovider=pmem\n";

int sk_scenario_load(const char *path, sk_model **ret_model, sk_faults *ret_faults, char **ret_error) {
        _cleanup_(sk_model_freep_) sk_model *m = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        sk_faults faults = {};
        sk_config cfg;
        const char *possible = NULL;
        char *line = NULL;
        size_t cap = 0;
        unsigned lineno = 0;
        int r = 0;

        /* two passes: [kernel] first (the model needs it), then the rest */
        struct {
                char kind[SECTION_MAX];
                char arg[256];
                char **kv;          /* key, value, key, value, ..., NULL */
                size_t n_kv;
                unsigned line;
        } *sec = NULL;
        size_t n_sec = 0;

        *ret_error = NULL;
        f = path ? fopen(path, "re") : fmemopen((void *) default_scenario, sizeof default_scenario - 1, "r");
        if (!f)
                return -errno;

        while (getline(&line, &cap, f) > 0) {
                char *l = strip(line), *eq;

                lineno++;
                if (!*l || *l == '#' || *l == ';')
                        continue;
                if (*l == '[') {
                        char *close = strchr(l, ']'), *sp;
                        void *p;

                        if (!close) {
                                r = -EINVAL;
                                break;
                        }
                        *close = 0;
                        l = strip(l + 1);
                        p = realloc(sec, (n_sec + 1) * sizeof(*sec));
                        if (!p) {
                                r = -ENOMEM;
                                break;
                        }
                        sec = p;
                        memset(&sec[n_sec], 0, sizeof(*sec));
                        sp = strchr(l, ' ');
                        if (sp) {
                                *sp = 0;
                                snprintf(sec[n_sec].arg, sizeof sec[n_sec].arg, "%s", strip(sp + 1));
                        }
                        snprintf(sec[n_sec].kind, SECTION_MAX, "%s", l);
                        sec[n_sec].line = lineno;
                        n_sec++;
                        continue;
                }
                eq = strchr(l, '=');
                if (!eq || n_sec == 0) {
                        r = -EINVAL;
                        break;
                }
                *eq = 0;
                {
                        char **p = realloc(sec[n_sec - 1].kv, (sec[n_sec - 1].n_kv + 3) * sizeof(char *));
                        if (!p) {
                                r = -ENOMEM;
                                break;
                        }
                        sec[n_sec - 1].kv = p;
                        p[sec[n_sec - 1].n_kv++] = strdup(strip(l));
                        p[sec[n_sec - 1].n_kv++] = strdup(strip(eq + 1));
                        p[sec[n_sec - 1].n_kv] = NULL;
                }
        }
        free(line);
        if (r < 0) {
                (void) asprintf(ret_error, "line %u: malformed", lineno);
                goto done;
        }

        sk_config_default(&cfg);
        for (size_t s = 0; s < n_sec && r >= 0; s++) {
                if (!streq(sec[s].kind, "kernel"))
                        continue;
                for (size_t k = 0; k + 1 < sec[s].n_kv && r >= 0; k += 2) {
                        const char *key = sec[s].kv[k], *v = sec[s].kv[k + 1];
                        uint64_t sz;

                        if (streq(key, "marking")) {
                                r = sk_marking_from_string(v);
                                if (r >= 0)
                                        cfg.marking = (sk_marking) r;
                        } else if (streq(key, "hotplug")) {
                                r = sk_hotplug_from_string(v);
                                if (r >= 0)
                                        cfg.hotplug = (sk_hotplug) r;
                        } else if (streq(key, "auto_online_blocks")) {
                                r = sk_online_from_string(v);
                                if (r >= 0)
                                        cfg.auto_online = (sk_online) r;
                        } else if (streq(key, "block_size")) {
                                r = sk_parse_size(v, &sz);
                                if (r >= 0 && (sz == 0 || (sz & (sz - 1))))
                                        r = -EINVAL;
                                cfg.block_size = sz;
                        } else if (streq(key, "node_limit")) {
                                cfg.node_limit = (unsigned) atoi(v);
                                if (cfg.node_limit == 0 || cfg.node_limit > SPM_MAX_NODES)
                                        r = -EINVAL;
                        } else if (streq(key, "possible")) {
                                possible = v;
                        } else if (streq(key, "kmem")) {
                                if (streq(v, "loaded"))
                                        cfg.kmem_absent = false;
                                else if (streq(v, "absent"))
                                        cfg.kmem_absent = true;
                                else
                                        r = -EINVAL;
                        } else if (streq(key, "memmap_on_memory")) {
                                if (streq(v, "supported"))
                                        cfg.memmap = SK_MEMMAP_SUPPORTED;
                                else if (streq(v, "unsupported"))
                                        cfg.memmap = SK_MEMMAP_UNSUPPORTED;
                                else if (streq(v, "absent"))
                                        cfg.memmap = SK_MEMMAP_ABSENT;
                                else
                                        r = -EINVAL;
                        } else
                                r = -EINVAL;
                        if (r < 0)
                                (void) asprintf(ret_error, "[kernel] %s=%s: invalid", key, v);
                }
        }
        if (r < 0)
                goto done;

        m = sk_model_new(&cfg);
        if (!m) {
                r = -ENOMEM;
                goto done;
        }
        if (possible) {
                spm_nodemask pm;

                r = sk_parse_nodelist(possible, m->cfg.node_limit, &pm);
                SPM_NODEMASK_FOREACH(n, &pm)
                        if (r >= 0)
                                r = sk_model_set_possible(m, (unsigned) n);
                if (r < 0) {
                        (void) asprintf(ret_error, "[kernel] possible=%s: invalid", possible);
                        goto done;
                }
        }

        for (size_t s = 0; s < n_sec && r >= 0; s++) {
                const char *kind = sec[s].kind, *arg = sec[s].arg;

                if (streq(kind, "kernel"))
                        continue;
                if (streq(kind, "node")) {
                        const char *cpus = "";
                        uint64_t mem = 0;
                        for (size_t k = 0; k + 1 < sec[s].n_kv && r >= 0; k += 2) {
                                if (streq(sec[s].kv[k], "cpus"))
                                        cpus = sec[s].kv[k + 1];
                                else if (streq(sec[s].kv[k], "memory"))
                                        r = sk_parse_size(sec[s].kv[k + 1], &mem);
                                else
                                        r = -EINVAL;
                        }
                        if (r >= 0)
                                r = sk_model_add_node(m, (unsigned) atoi(arg), cpus, mem);
                } else if (streq(kind, "dax")) {
                        sk_dax_spec spec = { .name = *arg ? arg : NULL, .provider = SK_PROV_PMEM, .node = -1 };
                        for (size_t k = 0; k + 1 < sec[s].n_kv && r >= 0; k += 2)
                                r = sk_dax_spec_set(&spec, sec[s].kv[k], sec[s].kv[k + 1]);
                        if (r >= 0)
                                r = sk_model_add_dax(m, &spec);
                } else if (streq(kind, "region")) {
                        sk_region_spec spec = { .node = -1, .size = UINT64_C(1) << 30, .auto_region = true };
                        bool commit = true;
                        for (size_t k = 0; k + 1 < sec[s].n_kv && r >= 0; k += 2) {
                                const char *key = sec[s].kv[k], *v = sec[s].kv[k + 1];
                                if (streq(key, "node"))
                                        spec.node = atoi(v);
                                else if (streq(key, "size"))
                                        r = sk_parse_size(v, &spec.size);
                                else if (streq(key, "spm_node") || streq(key, "protected_memory"))
                                        r = parse_bool(v, &spec.spm_node);
                                else if (streq(key, "auto"))
                                        r = parse_bool(v, &spec.auto_region);
                                else if (streq(key, "private"))
                                        r = parse_bool(v, &spec.private_mem);
                                else if (streq(key, "private_type"))
                                        spec.private_type = v;
                                else if (streq(key, "commit"))
                                        r = parse_bool(v, &commit);
                                else
                                        r = -EINVAL;
                        }
                        spec.uncommitted = !commit;
                        if (r >= 0)
                                r = sk_model_add_region_spec(m, &spec);
                } else if (streq(kind, "cgroup")) {
                        int cg = sk_cgroup_find(m, arg);
                        if (cg < 0)
                                cg = r = sk_cgroup_mkdir(m, arg);
                        for (size_t k = 0; k + 1 < sec[s].n_kv && r >= 0; k += 2) {
                                const char *key = sec[s].kv[k], *v = sec[s].kv[k + 1];
                                if (streq(key, "subtree_control"))
                                        r = sk_store_subtree_control(m, (size_t) cg, v, strlen(v));
                                else if (streq(key, "mems"))
                                        r = sk_store_cpuset_mems(m, (size_t) cg, v, strlen(v));
                                else if (streq(key, "delegate")) {
                                        bool b;
                                        r = parse_bool(v, &b);
                                        if (r >= 0)
                                                m->cgroups[cg].delegated = b;
                                } else
                                        r = -EINVAL;
                        }
                } else if (streq(kind, "faults")) {
                        for (size_t k = 0; k + 1 < sec[s].n_kv && r >= 0; k += 2) {
                                const char *key = sec[s].kv[k], *v = sec[s].kv[k + 1];
                                char p[512], e[32];
                                unsigned a = 0, c = 0;

                                if (streq(key, "fail")) {
                                        int n = sscanf(v, "%511s %u %31s %u", p, &a, e, &c);
                                        r = n >= 3 ? sk_parse_errno(e) : -EINVAL;
                                        if (r > 0)
                                                r = sk_faults_add_fail(&faults, p, a, r, n == 4 ? c : 1);
                                } else if (streq(key, "delay")) {
                                        r = sscanf(v, "%511s %u", p, &a) == 2 ? sk_faults_add_delay(&faults, p, a) : -EINVAL;
                                } else if (streq(key, "drop_uevents"))
                                        faults.drop_uevents = (unsigned) atoi(v);
                                else
                                        r = -EINVAL;
                        }
                } else
                        r = -EINVAL;
                if (r < 0 && !*ret_error)
                        (void) asprintf(ret_error, "section [%s%s%s] at line %u: %s", kind, *arg ? " " : "", arg,
                                        sec[s].line, strerror(-r));
        }

done:
        for (size_t s = 0; s < n_sec; s++)
                strv_free(sec[s].kv);
        free(sec);
        if (r < 0) {
                sk_faults_done(&faults);
                return r;
        }
        /* boot-time events happened before anyone listened */
        {
                size_t n;
                sk_uevent *e = sk_model_take_events(m, &n);
                sk_uevents_free(e, n);
        }
        *ret_model = TAKE_PTR(m);
        *ret_faults = faults;
        return 0;
}
