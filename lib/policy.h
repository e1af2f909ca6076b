/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The policy model: what spm.d(5) files say, after parsing and validation.
 *
 *   [Daemon]          LogLevel=, AutoOnline=, CgroupBackend=
 *   [Pool NAME]       Description=, Online=, MemmapOnMemory=
 *   [Device NAME]     Match*= keys, Class=, Pool=, Online=, MemmapOnMemory=
 *   [Cgroup NAME]     Path=, Unit=, Pools=, SysRAM=
 *
 * A policy is built by parsing one or more files into a fresh object and
 * validating it as a whole (spm_policy_finish()); whoever holds the last
 * good policy swaps it only when the new one has no errors. Problems are
 * collected as diagnostics ("file:line: message"), never printed here.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nodemask.h"
#include "topology.h"

/* ---- diagnostics ---- */

typedef enum spm_diag_level {
        SPM_DIAG_ERROR,
        SPM_DIAG_WARNING,
} spm_diag_level;

typedef struct spm_diag {
        spm_diag_level level;
        char *file;                 /* NULL for problems without a place */
        unsigned line;              /* 0: the whole file */
        char *message;
} spm_diag;

typedef struct spm_diags {
        spm_diag *items;
        size_t n, n_errors, n_warnings;
} spm_diags;

int spm_diags_add(spm_diags *d, spm_diag_level level, const char *file, unsigned line,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void spm_diags_clear(spm_diags *d);
/* "file:line: message" or "file:line: warning: message" */
int spm_diag_format(const spm_diag *x, char **ret);

/* ---- model ---- */

typedef enum spm_device_class {
        SPM_CLASS_INVALID = -1,
        SPM_CLASS_SPM,
        SPM_CLASS_SYSRAM,
        SPM_CLASS_IGNORE,
        _SPM_CLASS_MAX,
} spm_device_class;

typedef enum spm_auto_online_mode {
        SPM_AUTO_ONLINE_INVALID = -1,
        SPM_AUTO_ONLINE_TAKEOVER,   /* correct what others onlined */
        SPM_AUTO_ONLINE_STEPASIDE,  /* report it and leave it */
        _SPM_AUTO_ONLINE_MAX,
} spm_auto_online_mode;

typedef enum spm_cgroup_backend {
        SPM_CGROUP_BACKEND_INVALID = -1,
        SPM_CGROUP_BACKEND_AUTO,
        SPM_CGROUP_BACKEND_SYSTEMD,
        SPM_CGROUP_BACKEND_CGROUPFS,
        _SPM_CGROUP_BACKEND_MAX,
} spm_cgroup_backend;

/* Where a section or key was written. file points into spm_policy.files. */
typedef struct spm_source {
        const char *file;
        unsigned line;
        unsigned file_index;        /* position of the file in load order */
        unsigned order;             /* position of the section in the policy */
} spm_source;

typedef struct spm_policy_pool {
        char *name;
        spm_source where;
        char *description;
        spm_online_type online;     /* SPM_ONLINE_INVALID: not set */
        int memmap_on_memory;       /* -1: not set */
        bool used;                  /* some [Device] feeds it */
} spm_policy_pool;

#define SPM_PROVIDER_BIT(p) (1u << (p))

typedef struct spm_policy_device {
        char *name;
        spm_source where;

        char **match_uuid;          /* any of; lower case */
        char **match_serial;        /* any of; as written */
        unsigned match_provider;    /* SPM_PROVIDER_BIT() set, 0: any */
        bool match_resource;
        uint64_t resource_start, resource_end; /* inclusive */
        bool match_size;
        uint64_t size;
        bool match_target_node;
        spm_nodemask target_nodes;

        spm_device_class class;
        char *pool;
        unsigned pool_line;
        spm_online_type online;     /* INVALID: from the pool, else movable */
        int memmap_on_memory;       /* -1: from the pool, else leave */
} spm_policy_device;

typedef struct spm_policy_cgroup {
        char *name;
        spm_source where;
        char **paths;               /* globs relative to the cgroup root */
        char **units;               /* globs on unit names */
        char **pools;
        unsigned pools_line;
        bool sysram_all;            /* SysRAM=all (default) */
        spm_nodemask sysram;        /* when !sysram_all */
} spm_policy_cgroup;

typedef struct spm_policy {
        int log_level;              /* syslog priority, -1: not set */
        spm_auto_online_mode auto_online;
        spm_cgroup_backend cgroup_backend;

        char **files;               /* every file read, in load order */

        spm_policy_pool *pools;
        size_t n_pools;
        spm_policy_device *devices;
        size_t n_devices;
        spm_policy_cgroup *cgroups;
        size_t n_cgroups;

        unsigned n_sections;
} spm_policy;

spm_policy *spm_policy_new(void);
spm_policy *spm_policy_free(spm_policy *p);
static inline void spm_policy_freep(spm_policy **p) {
        if (*p)
                spm_policy_free(*p);
}

/*
 * Add one file's sections. name is what messages call the file. Problems
 * go to diags; the return value is 0, or -errno when the file could not be
 * read at all (which is also recorded as an error in diags).
 */
int spm_policy_parse_file(spm_policy *p, const char *path, spm_diags *diags);
int spm_policy_parse_buffer(spm_policy *p, const char *name, const void *data, size_t size, spm_diags *diags);

/* Checks that need the whole policy: references to pools, contradictory
 * rules, suspicious combinations. Returns -EINVAL when diags holds errors
 * (from parsing or from here), 0 otherwise. */
int spm_policy_finish(spm_policy *p, spm_diags *diags);

const spm_policy_pool *spm_policy_find_pool(const spm_policy *p, const char *name);

/* Effective online type and memmap setting of a device rule (rule, then
 * its pool, then the default). memmap -1 means "leave as it is". */
spm_online_type spm_policy_device_online(const spm_policy *p, const spm_policy_device *d);
int spm_policy_device_memmap(const spm_policy *p, const spm_policy_device *d);

/* How specific a device rule is, for precedence (higher wins):
 * identity class * 16 + number of Match keys. Identity classes: 4 region
 * UUID or memdev serial, 3 resource range, 2 provider or size, 1 target
 * node only, 0 no Match keys. */
unsigned spm_policy_device_specificity(const spm_policy_device *d);

/* Does a device rule match this device (dev may be NULL for a CXL region
 * that has no dax device yet; region may be NULL)? */
bool spm_policy_device_matches(const spm_policy_device *rule,
                               const spm_dax_device *dev, const spm_cxl_region *region);

/* Does a cgroup rule match the cgroup at path (relative, "" = root), whose
 * unit name is unit (NULL when it is not a unit)? Returns the specificity
 * of the best matching pattern + 1 (literal patterns beat globs, longer
 * literal parts beat shorter ones), or 0 when nothing matches. */
unsigned spm_policy_cgroup_match(const spm_policy_cgroup *rule, const char *path, const char *unit);

/* The depths (path components: "a/b" is 2, the depth of its cgroup in the
 * tree) at which some rules' Path= patterns can match, and whether their
 * Unit= patterns can match a unit cgroup anywhere. A loop over a large
 * tree skips with it the cgroups no pattern could match, before matching:
 * with FNM_PATHNAME a path matches only patterns of its own depth. */
typedef struct spm_cgroup_depths {
        uint64_t paths;             /* bit d: a Path= pattern of d components */
        bool deep;                  /* one of 64 components or more */
        bool units;                 /* a Unit= pattern */
} spm_cgroup_depths;

void spm_cgroup_depths_add_rule(spm_cgroup_depths *d, const spm_policy_cgroup *rule);
void spm_cgroup_depths_of_policy(spm_cgroup_depths *d, const spm_policy *p);

/* Could one of the rules match a cgroup at depth? */
static inline bool spm_cgroup_depths_match(const spm_cgroup_depths *d, unsigned depth, bool is_unit) {
        return (is_unit && d->units) || d->deep || (depth < 64 && (d->paths >> depth & 1));
}

/* Could one of them match a cgroup below one at depth? */
static inline bool spm_cgroup_depths_below(const spm_cgroup_depths *d, unsigned depth) {
        return d->units || d->deep || (depth < 63 && (d->paths >> (depth + 1)) != 0);
}

/* Do two rules decide the same thing (class, pool, online type, memmap;
 * or pools and SysRAM)? */
bool spm_policy_device_same_outcome(const spm_policy *p, const spm_policy_device *a, const spm_policy_device *b);
bool spm_policy_cgroup_same_outcome(const spm_policy_cgroup *a, const spm_policy_cgroup *b);

const char *spm_device_class_to_string(spm_device_class c);
spm_device_class spm_device_class_from_string(const char *s);
const char *spm_auto_online_mode_to_string(spm_auto_online_mode m);
spm_auto_online_mode spm_auto_online_mode_from_string(const char *s);
const char *spm_cgroup_backend_to_string(spm_cgroup_backend b);
spm_cgroup_backend spm_cgroup_backend_from_string(const char *s);
