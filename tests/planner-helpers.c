/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "macro.h"
#include "planner.h"
#include "planner-helpers.h"
#include "strutil.h"
#include "tap.h"

#define BLOCK_SIZE (UINT64_C(128) << 20)

static void *grow(void *p, size_t n, size_t size) {
        void *q = reallocarray(p, n + 1, size);
        if (!q)
                abort();
        memset((char *) q + n * size, 0, size);
        return q;
}

static char *xstrdup(const char *s) {
        char *d;
        if (!s)
                return NULL;
        d = strdup(s);
        if (!d)
                abort();
        return d;
}

spm_features tt_features(tt_gen g) {
        spm_features f = {
                .cgroup = SPM_CGROUP_V2,
                .cpuset = true,
                .isolation = SPM_ISOLATION_SOFT,
        };

        switch (g) {
        case TT_STOCK:
                break;
        case TT_SPM_V2_STATE_V7:
                f.marking = SPM_MARKING_SPM_V2;
                f.hotplug = SPM_HOTPLUG_V7;
                f.sysram_view = SPM_SYSRAM_VIEW_MEMS_SYSRAM;
                f.isolation = SPM_ISOLATION_HARD;
                break;
        case TT_SPM_V1_HOTPLUG_V2:
                f.marking = SPM_MARKING_SPM_V1;
                f.hotplug = SPM_HOTPLUG_V2;
                f.sysram_view = SPM_SYSRAM_VIEW_MEMS_DEFAULT;
                f.isolation = SPM_ISOLATION_HARD;
                break;
        case TT_PRIVATE_V4:
                f.marking = SPM_MARKING_PRIVATE_V4;
                f.private_nodes = SPM_PRIVATE_V4;
                f.isolation = SPM_ISOLATION_HARD;
                break;
        default:
                break;
        }
        return f;
}

spm_topology *tt_new(const char *has_memory) {
        spm_topology *t = calloc(1, sizeof *t);

        if (!t || spm_nodemask_parse(has_memory, &t->has_memory, NULL) < 0)
                abort();
        t->online = t->has_memory;
        t->possible = t->has_memory;
        t->block_size = BLOCK_SIZE;
        t->auto_online = SPM_ONLINE_OFFLINE;
        return t;
}

size_t tt_dax(spm_topology *t, const char *name, spm_provider p, int node, uint64_t start, uint64_t size,
              const char *driver, int mark, int protected_memory) {
        spm_dax_device *d;

        t->dax = grow(t->dax, t->n_dax, sizeof *t->dax);
        d = &t->dax[t->n_dax];
        d->name = xstrdup(name);
        d->provider = p;
        d->region_id = -1;
        d->target_node = node;
        d->numa_node = 0;
        d->size = size;
        d->resource_present = true;
        d->resource = start;
        d->ranges = calloc(1, sizeof *d->ranges);
        if (!d->ranges)
                abort();
        d->ranges[0] = (spm_dax_range) { .start = start, .end = start + size - 1 };
        d->n_ranges = 1;
        d->memmap_on_memory = 0;
        d->driver = xstrdup(driver);
        d->spm_node = mark;
        d->protected_memory = protected_memory;
        return t->n_dax++;
}

void tt_hotplug(spm_topology *t, size_t dax, spm_dax_hotplug_attr attr, spm_dax_state state) {
        t->dax[dax].hotplug_attr = attr;
        t->dax[dax].hotplug_state = state;
        free(t->dax[dax].hotplug_raw);
        t->dax[dax].hotplug_raw = xstrdup(spm_dax_state_to_string(state));
}

void tt_blocks(spm_topology *t, size_t dax, size_t n, spm_block_state st, const char *zones) {
        spm_dax_device *d = &t->dax[dax];

        for (size_t i = 0; i < n; i++) {
                spm_memblock *b;

                t->blocks = grow(t->blocks, t->n_blocks, sizeof *t->blocks);
                b = &t->blocks[t->n_blocks];
                b->phys_index = d->ranges[0].start / BLOCK_SIZE + i;
                b->id = (unsigned) b->phys_index;
                b->state = st;
                b->valid_zones = xstrdup(zones);
                b->node = d->target_node;
                b->removable = 1;
                b->dax_index = (int) dax;
                d->blocks = grow(d->blocks, d->n_blocks, sizeof *d->blocks);
                d->blocks[d->n_blocks++] = t->n_blocks++;
                if (st == SPM_BLOCK_ONLINE)
                        d->n_blocks_online++;
        }
}

size_t tt_region(spm_topology *t, const char *name, const char *uuid, const char *serial, const char *dax, int mark) {
        spm_cxl_region *g;

        t->regions = grow(t->regions, t->n_regions, sizeof *t->regions);
        g = &t->regions[t->n_regions];
        g->name = xstrdup(name);
        g->uuid = xstrdup(uuid ?: "");
        g->mode = xstrdup("ram");
        g->spm_node = mark;
        g->protected_memory = -1;
        g->targets = calloc(1, sizeof(char *));
        g->memdev_serials = calloc(2, sizeof(char *));
        if (!g->targets || !g->memdev_serials)
                abort();
        g->memdev_serials[0] = xstrdup(serial);
        g->dax_device = xstrdup(dax);
        if (dax) {
                g->driver = xstrdup("cxl_region");
                for (size_t i = 0; i < t->n_dax; i++)
                        if (streq(t->dax[i].name, dax)) {
                                free(t->dax[i].cxl_region);
                                t->dax[i].cxl_region = xstrdup(name);
                                g->size = t->dax[i].size;
                                g->resource = t->dax[i].resource;
                                g->resource_present = true;
                        }
        }
        return t->n_regions++;
}

spm_cgroup_tree *ct_new(const char *root_effective, bool systemd) {
        spm_cgroup_tree *t;
        spm_cpuset cs = { .effective_present = true };

        if (spm_nodemask_parse(root_effective, &cs.effective, NULL) < 0 || spm_cgroup_tree_new(&cs, &t) < 0)
                abort();
        if (systemd && ct_add(t, 0, "init.scope", "") < 0)
                abort();
        return t;
}

int ct_add(spm_cgroup_tree *t, int parent, const char *name, const char *mems) {
        spm_cpuset cs = { .mems_present = true, .effective_present = true };
        int r;

        if (spm_nodemask_parse(mems, &cs.mems, NULL) < 0)
                abort();
        cs.effective = spm_cgroup_effective(&cs.mems, &t->cgroups[parent].cpuset->effective);
        r = spm_cgroup_tree_add(t, parent, name, &cs);
        if (r < 0)
                abort();
        return r;
}

spm_policy *tp_policy(const char *text) {
        spm_policy *p = spm_policy_new();
        spm_diags d = {};

        if (!p || spm_policy_parse_buffer(p, "t.conf", text, strlen(text), &d) < 0 || spm_policy_finish(p, &d) < 0) {
                for (size_t i = 0; i < d.n; i++) {
                        _cleanup_free_ char *s = NULL;
                        if (spm_diag_format(&d.items[i], &s) >= 0)
                                printf("# policy fixture: %s\n", s);
                }
                abort();
        }
        spm_diags_clear(&d);
        return p;
}

char *tp_plan_text(const spm_plan *p) {
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        if (!f)
                abort();
        for (size_t i = 0; i < p->n_actions; i++) {
                const spm_action *a = &p->actions[i];
                fprintf(f, "%s %s %s", spm_action_type_to_string(a->type), *a->object ? a->object : "/",
                        strempty(a->attribute));
                if (a->value)
                        fprintf(f, "=%s", a->value);
                fputc('\n', f);
        }
        for (size_t i = 0; i < p->n_blocked; i++)
                fprintf(f, "! %s: %s\n", p->blocked[i].object, p->blocked[i].reason);
        fclose(f);
        return out;
}

char *tp_plan(const spm_policy *pol, const spm_topology *t, const spm_features *f, const spm_cgroup_tree *tree) {
        _cleanup_(spm_plan_freep) spm_plan *p = NULL;

        if (spm_plan_build(pol, t, f, tree, &p) < 0)
                abort();
        return tp_plan_text(p);
}
