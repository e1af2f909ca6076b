/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The read-only verbs that show the kernel's view: status, nodes, devices. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-writer.h"
#include "kernel-view.h"
#include "macro.h"
#include "spmctl.h"
#include "table.h"

static void format_bytes(uint64_t v, char *buf, size_t size) {
        static const char suffix[] = "KMGTPE";
        unsigned i = 0;
        uint64_t div = 1;

        if (v < 1024) {
                snprintf(buf, size, "%" PRIu64 "B", v);
                return;
        }
        while (i + 1 < sizeof suffix - 1 && v / div >= 1024 * 1024) {
                div *= 1024;
                i++;
        }
        div *= 1024;
        if (v % div == 0)
                snprintf(buf, size, "%" PRIu64 "%c", v / div, suffix[i]);
        else
                snprintf(buf, size, "%.1f%c", (double) v / (double) div, suffix[i]);
}

static const char *mask_or_dash(const spm_nodemask *m, char *buf, size_t size) {
        if (spm_nodemask_is_empty(m))
                return "-";
        spm_nodemask_format_buf(m, buf, size);
        return buf;
}

static const char *yes_no(bool b) {
        return b ? "yes" : "no";
}

static const char *isolation_explained(spm_isolation i) {
        switch (i) {
        case SPM_ISOLATION_HARD:
                return "hard (the kernel keeps default allocations off SPM nodes)";
        case SPM_ISOLATION_SOFT:
                return "soft (cpuset masks only)";
        default:
                return "none (no cpuset controller to gate SPM nodes with)";
        }
}

/* ---- JSON ---- */

static void json_features(json_writer *w, const spm_features *f) {
        json_key(w, "features");
        json_object_open(w);
        json_kv_string(w, "marking", spm_marking_gen_to_string(f->marking));
        json_kv_string(w, "private_nodes", spm_private_gen_to_string(f->private_nodes));
        json_kv_string(w, "hotplug", spm_hotplug_gen_to_string(f->hotplug));
        json_kv_string(w, "sysram_view", spm_sysram_view_to_string(f->sysram_view));
        json_kv_string(w, "cgroup", spm_cgroup_version_to_string(f->cgroup));
        json_kv_bool(w, "cpuset", f->cpuset);
        json_kv_bool(w, "cxl_sysram_online_type", f->cxl_sysram_online_type);
        json_kv_bool(w, "memmap_on_memory", f->memmap_on_memory);
        json_kv_string(w, "isolation", spm_isolation_to_string(f->isolation));
        json_object_close(w);
}

static void json_nodes(json_writer *w, const kernel_view *v) {
        const spm_topology *t = v->topo;
        spm_nodemask all = spm_nodemask_or(&t->possible, &t->online);

        json_key(w, "nodes");
        json_array_open(w);
        SPM_NODEMASK_FOREACH(id, &all) {
                const spm_node *n = spm_topology_find_node(t, (unsigned) id);

                json_object_open(w);
                json_kv_int(w, "node", id);
                json_kv_string(w, "class", spm_node_class_to_string(spm_node_classes_get(&v->classes, (unsigned) id)));
                json_kv_bool(w, "online", spm_nodemask_test(&t->online, (unsigned) id));
                json_kv_bool(w, "has_memory", spm_nodemask_test(&t->has_memory, (unsigned) id));
                json_kv_bool(w, "has_normal_memory", spm_nodemask_test(&t->has_normal_memory, (unsigned) id));
                json_kv_bool(w, "has_cpu", spm_nodemask_test(&t->has_cpu, (unsigned) id));
                json_key(w, "has_private_memory");
                if (t->has_private_memory_present)
                        json_bool(w, spm_nodemask_test(&t->has_private_memory, (unsigned) id));
                else
                        json_null(w);
                json_kv_u64(w, "mem_total_kb", n ? n->mem_total_kb : 0);
                json_kv_u64(w, "mem_free_kb", n ? n->mem_free_kb : 0);
                json_kv_string(w, "cpulist", n ? n->cpulist : NULL);
                json_key(w, "distance");
                json_array_open(w);
                for (size_t i = 0; n && i < n->n_distance; i++)
                        json_u64(w, n->distance[i]);
                json_array_close(w);
                json_kv_u64(w, "memory_blocks", n ? n->n_blocks : 0);
                json_object_close(w);
        }
        json_array_close(w);
}

static void json_devices(json_writer *w, const spm_topology *t) {
        json_key(w, "devices");
        json_array_open(w);
        for (size_t i = 0; i < t->n_dax; i++) {
                const spm_dax_device *d = &t->dax[i];

                json_object_open(w);
                json_kv_string(w, "name", d->name);
                json_kv_string(w, "provider", spm_provider_to_string(d->provider));
                json_kv_string(w, "cxl_region", d->cxl_region);
                json_kv_string(w, "driver", d->driver);
                json_kv_int_or_null(w, "target_node", d->target_node);
                json_kv_int_or_null(w, "numa_node", d->numa_node);
                json_kv_u64(w, "size", d->size);
                json_key(w, "ranges");
                json_array_open(w);
                for (size_t k = 0; k < d->n_ranges; k++) {
                        json_object_open(w);
                        json_kv_u64(w, "start", d->ranges[k].start);
                        json_kv_u64(w, "end", d->ranges[k].end);
                        json_object_close(w);
                }
                json_array_close(w);
                json_kv_bool(w, "ranges_readable", !d->ranges_restricted);
                json_kv_tristate(w, "spm_node", d->spm_node);
                json_kv_tristate(w, "protected_memory", d->protected_memory);
                json_kv_tristate(w, "memmap_on_memory", d->memmap_on_memory);
                json_kv_string(w, "hotplug_attr", spm_dax_hotplug_attr_to_string(d->hotplug_attr));
                json_kv_string(w, "hotplug_state", d->hotplug_raw);
                /* unknown, not zero, when only root may see the ranges */
                json_kv_int_or_null(w, "memory_blocks", d->ranges_restricted ? -1 : (int64_t) d->n_blocks);
                json_kv_int_or_null(w, "memory_blocks_online",
                                    d->ranges_restricted ? -1 : (int64_t) d->n_blocks_online);
                json_object_close(w);
        }
        json_array_close(w);
}

static void json_regions(json_writer *w, const spm_topology *t) {
        json_key(w, "cxl_regions");
        json_array_open(w);
        for (size_t i = 0; i < t->n_regions; i++) {
                const spm_cxl_region *g = &t->regions[i];

                json_object_open(w);
                json_kv_string(w, "name", g->name);
                json_kv_string(w, "uuid", g->uuid);
                json_kv_string(w, "mode", g->mode);
                json_kv_u64(w, "size", g->size);
                json_kv_tristate(w, "spm_node", g->spm_node);
                json_kv_string(w, "driver", g->driver);
                json_kv_string(w, "dax_device", g->dax_device);
                json_key(w, "memdev_serials");
                json_array_open(w);
                for (char **s = g->memdev_serials; s && *s; s++)
                        json_string(w, *s);
                json_array_close(w);
                json_object_close(w);
        }
        json_array_close(w);
}

static void json_header(json_writer *w) {
        json_kv_string(w, "source", "kernel");
}

/* ---- tables ---- */

static int print_nodes_table(const kernel_view *v, bool legend) {
        static const char *const hdr[] = { "NODE", "CLASS", "MEMORY", "CPUS", "BLOCKS", "DISTANCES" };
        _cleanup_(table_freep) table *tb = table_new(ELEMENTSOF(hdr), hdr);
        const spm_topology *t = v->topo;
        spm_nodemask all = spm_nodemask_or(&t->possible, &t->online);

        if (!tb)
                return spmctl_error("Out of memory");

        SPM_NODEMASK_FOREACH(id, &all) {
                const spm_node *n = spm_topology_find_node(t, (unsigned) id);
                char idb[16], mem[32] = "-", blocks[32] = "-", dist[256] = "-";
                const char *cells[ELEMENTSOF(hdr)];

                snprintf(idb, sizeof idb, "%d", id);
                if (n && n->mem_total_kb)
                        format_bytes(n->mem_total_kb * 1024, mem, sizeof mem);
                if (n)
                        snprintf(blocks, sizeof blocks, "%zu", n->n_blocks);
                if (n && n->n_distance) {
                        size_t o = 0;
                        for (size_t i = 0; i < n->n_distance && o < sizeof dist; i++)
                                o += (size_t) snprintf(dist + o, sizeof dist - o, "%s%u", i ? " " : "", n->distance[i]);
                }

                cells[0] = idb;
                cells[1] = spm_node_class_to_string(spm_node_classes_get(&v->classes, (unsigned) id));
                cells[2] = mem;
                cells[3] = n && n->cpulist && *n->cpulist ? n->cpulist : "-";
                cells[4] = blocks;
                cells[5] = dist;
                if (table_add_row(tb, cells) < 0)
                        return spmctl_error("Out of memory");
        }

        table_print(tb, stdout, legend);
        return 0;
}

static int print_devices_table(const spm_topology *t, bool legend) {
        static const char *const hdr[] = { "DEVICE", "PROVIDER", "DRIVER", "NODE", "SIZE", "SPM", "STATE", "BLOCKS", "REGION" };
        _cleanup_(table_freep) table *tb = table_new(ELEMENTSOF(hdr), hdr);

        if (!tb)
                return spmctl_error("Out of memory");

        for (size_t i = 0; i < t->n_dax; i++) {
                const spm_dax_device *d = &t->dax[i];
                char node[16] = "-", size[32], blocks[48];
                const char *spm = "-", *state;
                const char *cells[ELEMENTSOF(hdr)];

                if (d->target_node >= 0)
                        snprintf(node, sizeof node, "%d", d->target_node);
                format_bytes(d->size, size, sizeof size);
                if (d->ranges_restricted)
                        snprintf(blocks, sizeof blocks, "? (root only)");
                else
                        snprintf(blocks, sizeof blocks, "%zu/%zu online", d->n_blocks_online, d->n_blocks);
                if (d->spm_node >= 0)
                        spm = d->spm_node ? "yes" : "no";
                else if (d->protected_memory >= 0)
                        spm = d->protected_memory ? "yes (v1)" : "no (v1)";

                state = spm_dax_device_observed_state(d);

                cells[0] = d->name;
                cells[1] = spm_provider_to_string(d->provider);
                cells[2] = d->driver;
                cells[3] = node;
                cells[4] = size;
                cells[5] = spm;
                cells[6] = state;
                cells[7] = blocks;
                cells[8] = d->cxl_region;
                if (table_add_row(tb, cells) < 0)
                        return spmctl_error("Out of memory");
        }

        if (table_rows(tb) == 0) {
                printf("No dax devices.\n");
                return 0;
        }
        table_print(tb, stdout, legend);
        return 0;
}

static void print_status(const kernel_view *v, bool daemon) {
        const spm_features *f = &v->features;
        const spm_topology *t = v->topo;
        char a[SPM_NODEMASK_STRLEN_MAX], b[SPM_NODEMASK_STRLEN_MAX], c[SPM_NODEMASK_STRLEN_MAX],
             d[SPM_NODEMASK_STRLEN_MAX], e[SPM_NODEMASK_STRLEN_MAX], bs[32];
        size_t kmem = 0, devdax = 0, unbound = 0, online = 0;

        for (size_t i = 0; i < t->n_dax; i++) {
                if (!t->dax[i].driver)
                        unbound++;
                else if (streq(t->dax[i].driver, "kmem"))
                        kmem++;
                else
                        devdax++;
        }
        for (size_t i = 0; i < t->n_blocks; i++)
                if (t->blocks[i].state == SPM_BLOCK_ONLINE)
                        online++;

        printf("Source:          %s\n", daemon ? "nodes and devices read directly from the kernel; daemon state from spmd"
                                                : KERNEL_VIEW_SOURCE_NOTE);
        printf("Isolation:       %s\n", isolation_explained(f->isolation));
        printf("SPM marking:     %s\n", spm_marking_gen_to_string(f->marking));
        printf("Private nodes:   %s\n", spm_private_gen_to_string(f->private_nodes));
        printf("Device hotplug:  %s\n", spm_hotplug_gen_to_string(f->hotplug));
        printf("Sysram view:     %s\n", spm_sysram_view_to_string(f->sysram_view));
        printf("cgroup:          %s, cpuset %s\n", spm_cgroup_version_to_string(f->cgroup),
               f->cpuset ? "available" : "not available");
        printf("memmap_on_memory: %s\n", yes_no(f->memmap_on_memory));
        printf("Nodes:           sysram %s, spm %s, private %s, memoryless %s, offline %s\n",
               mask_or_dash(&v->classes.sysram, a, sizeof a), mask_or_dash(&v->classes.spm, b, sizeof b),
               mask_or_dash(&v->classes.private_nodes, c, sizeof c),
               mask_or_dash(&v->classes.memoryless, d, sizeof d), mask_or_dash(&v->classes.offline, e, sizeof e));
        printf("Dax devices:     %zu (%zu kmem, %zu device_dax, %zu unbound)\n", t->n_dax, kmem, devdax, unbound);
        printf("CXL regions:     %zu\n", t->n_regions);
        if (t->block_size)
                format_bytes(t->block_size, bs, sizeof bs);
        else
                snprintf(bs, sizeof bs, "unknown size");
        printf("Memory blocks:   %zu of %s, %zu online; auto_online_blocks=%s\n", t->n_blocks, bs, online,
               strna(spm_online_type_to_string(t->auto_online)));
        if (t->n_unreadable > 0)
                printf("Warning:         %u attribute(s) could not be parsed and are shown as absent\n",
                       t->n_unreadable);
        if (t->n_restricted > 0)
                printf("Note:            %u attribute(s) are readable by root only; where device memory lies\n"
                       "                 (ranges, blocks) needs root\n", t->n_restricted);
}

int verb_status(int argc, char *argv[], spmctl_context *ctx) {
        kernel_view v;
        int r;

        if (kernel_view_load(&v) < 0)
                return SPMCTL_EXIT_FAILURE;

        if (ctx->json) {
                json_writer w;

                json_begin(&w, stdout);
                json_object_open(&w);
                json_header(&w);
                json_key(&w, "daemon");
                if (spmctl_daemon_status(ctx, &w) <= 0)
                        json_null(&w);
                json_features(&w, &v.features);
                json_key(&w, "memory");
                json_object_open(&w);
                json_kv_u64(&w, "block_size", v.topo->block_size);
                json_kv_string(&w, "auto_online_blocks", spm_online_type_to_string(v.topo->auto_online));
                json_kv_u64(&w, "blocks", v.topo->n_blocks);
                json_object_close(&w);
                json_nodes(&w, &v);
                json_devices(&w, v.topo);
                json_regions(&w, v.topo);
                json_kv_u64(&w, "unreadable_attributes", v.topo->n_unreadable);
                json_kv_u64(&w, "restricted_attributes", v.topo->n_restricted);
                json_object_close(&w);
                json_end(&w);
                kernel_view_done(&v);
                return 0;
        }

        r = spmctl_daemon_status(ctx, NULL);
        if (r == 0)
                printf("Daemon:          not running\n");
        print_status(&v, r > 0);
        printf("\n");
        r = print_nodes_table(&v, ctx->legend);
        if (r == 0) {
                printf("\n");
                r = print_devices_table(v.topo, ctx->legend);
        }
        kernel_view_done(&v);
        return r;
}

typedef enum listing {
        LISTING_NODES,
        LISTING_DEVICES,
} listing;

/* "nodes" and "devices": one listing of the kernel view, as a table or
 * JSON. */
static int show_listing(listing what, spmctl_context *ctx) {
        kernel_view v;
        int r = 0;

        if (kernel_view_load(&v) < 0)
                return SPMCTL_EXIT_FAILURE;

        if (ctx->json) {
                json_writer w;

                json_begin(&w, stdout);
                json_object_open(&w);
                json_header(&w);
                if (what == LISTING_NODES)
                        json_nodes(&w, &v);
                else {
                        json_devices(&w, v.topo);
                        json_regions(&w, v.topo);
                }
                json_object_close(&w);
                json_end(&w);
        } else {
                r = what == LISTING_NODES ? print_nodes_table(&v, ctx->legend)
                                          : print_devices_table(v.topo, ctx->legend);
                if (r == 0 && ctx->legend)
                        printf("\n(%s)\n", KERNEL_VIEW_SOURCE_NOTE);
        }
        kernel_view_done(&v);
        return r;
}

int verb_nodes(int argc, char *argv[], spmctl_context *ctx) {
        return show_listing(LISTING_NODES, ctx);
}

int verb_devices(int argc, char *argv[], spmctl_context *ctx) {
        return show_listing(LISTING_DEVICES, ctx);
}
