/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * spm.d(5) files → spm_policy. Each key has one parser in a table; a bad
 * value is reported with its file and line and the key keeps its previous
 * value, so one mistake produces one message, not a cascade.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <syslog.h>

#include "glob-util.h"
#include "inih-util.h"
#include "macro.h"
#include "policy.h"
#include "strutil.h"

typedef enum section_kind {
        SECTION_NONE,
        SECTION_DAEMON,
        SECTION_POOL,
        SECTION_DEVICE,
        SECTION_CGROUP,
        SECTION_BAD,                /* reported; its keys are skipped */
} section_kind;

typedef struct parse_ctx {
        spm_policy *p;
        spm_diags *d;
        const char *file;
        unsigned file_index;
        section_kind kind;
        size_t index;
        char section[SPM_INI_SECTION_MAX + 1];
        uint64_t seen;              /* scalar keys set in this section */
} parse_ctx;

typedef int (*key_parser)(parse_ctx *c, const char *key, const char *value, unsigned line);

typedef struct key_entry {
        section_kind kind;
        const char *key;
        key_parser parse;
        bool list;                  /* may repeat; values accumulate */
} key_entry;

#define BAD(c, line, ...) spm_diags_add((c)->d, SPM_DIAG_ERROR, (c)->file, (line), __VA_ARGS__)
#define WARN(c, line, ...) spm_diags_add((c)->d, SPM_DIAG_WARNING, (c)->file, (line), __VA_ARGS__)

static spm_policy_pool *cur_pool(parse_ctx *c) { return &c->p->pools[c->index]; }
static spm_policy_device *cur_device(parse_ctx *c) { return &c->p->devices[c->index]; }
static spm_policy_cgroup *cur_cgroup(parse_ctx *c) { return &c->p->cgroups[c->index]; }

static bool name_valid(const char *s) {
        if (!*s || strlen(s) > SPM_INI_SECTION_MAX)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && !strchr("-_.@:", *s))
                        return false;
        return true;
}

/* ---- value parsers ---- */

static int parse_bool(const char *v) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(v, yes[i]) == 0)
                        return 1;
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(v, no[i]) == 0)
                        return 0;
        return -EINVAL;
}

static int parse_online(parse_ctx *c, const char *key, const char *v, unsigned line, spm_online_type *ret) {
        spm_online_type t = spm_online_type_from_string(v);

        if (t == SPM_ONLINE_INVALID || t == SPM_ONLINE_OFFLINE)
                return BAD(c, line, "invalid %s=%s: expected online_movable, online_kernel or online", key, v);
        *ret = t;
        return 0;
}

/* Decimal bytes with an optional K, M, G, T or P suffix (powers of 1024,
 * "KiB" style accepted too). */
static int parse_size(const char *v, uint64_t *ret) {
        static const char suffixes[] = "KMGTP";
        unsigned long long n;
        const char *s;
        char *end;
        uint64_t mult = 1;

        if (!isdigit((unsigned char) *v))
                return -EINVAL;
        errno = 0;
        n = strtoull(v, &end, 10);
        if (errno)
                return -ERANGE;
        if (*end) {
                s = strchr(suffixes, toupper((unsigned char) *end));
                if (!s)
                        return -EINVAL;
                for (const char *i = suffixes; i <= s; i++)
                        mult *= 1024;
                end++;
                if (*end == 'i')
                        end++;
                if (*end == 'B')
                        end++;
                if (*end)
                        return -EINVAL;
        }
        if (n > UINT64_MAX / mult)
                return -ERANGE;
        *ret = n * mult;
        return 0;
}

static int parse_hex(const char *v, const char *end, uint64_t *ret) {
        uint64_t n = 0;
        const char *p = v;

        if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
                p += 2;
        if (p == end)
                return -EINVAL;
        for (; p < end; p++) {
                int d;

                if (!isxdigit((unsigned char) *p))
                        return -EINVAL;
                d = isdigit((unsigned char) *p) ? *p - '0' : tolower((unsigned char) *p) - 'a' + 10;
                if (n >> 60)
                        return -ERANGE;
                n = n << 4 | (uint64_t) d;
        }
        *ret = n;
        return 0;
}

static bool uuid_valid(const char *s) {
        if (strlen(s) != 36)
                return false;
        for (int i = 0; i < 36; i++) {
                if (IN_SET(i, 8, 13, 18, 23)) {
                        if (s[i] != '-')
                                return false;
                } else if (!isxdigit((unsigned char) s[i]))
                        return false;
        }
        return true;
}

/* Append each word of v to *l after checking it; an empty value clears
 * the list (the systemd convention). */
static int parse_list(parse_ctx *c, const char *key, const char *v, unsigned line, char ***l,
                      bool (*check)(parse_ctx *c, const char *key, char *word, unsigned line)) {
        _cleanup_strv_free_ char **words = NULL;
        int r;

        if (!*v) {
                strv_free(*l);
                *l = NULL;
                return 0;
        }
        r = strv_split(v, " \t", &words);
        if (r < 0)
                return r;
        for (char **w = words; w && *w; w++) {
                if (check && !check(c, key, *w, line))
                        continue;
                if (strv_contains(*l, *w))
                        continue;
                r = strv_extend(l, *w);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- [Daemon] ---- */

static int parse_log_level(parse_ctx *c, const char *key, const char *v, unsigned line) {
        static const char *const names[] = {
                [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit", [LOG_ERR] = "err",
                [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
        };

        for (int i = 0; i < (int) ELEMENTSOF(names); i++)
                if (streq(v, names[i])) {
                        c->p->log_level = i;
                        return 0;
                }
        if (v[0] >= '0' && v[0] <= '7' && !v[1]) {
                c->p->log_level = v[0] - '0';
                return 0;
        }
        return BAD(c, line, "invalid %s=%s: expected a syslog level (err, warning, notice, info, debug) or 0-7", key, v);
}

static int parse_auto_online(parse_ctx *c, const char *key, const char *v, unsigned line) {
        spm_auto_online_mode m = spm_auto_online_mode_from_string(v);

        if (m == SPM_AUTO_ONLINE_INVALID)
                return BAD(c, line, "invalid %s=%s: expected takeover or stepaside", key, v);
        c->p->auto_online = m;
        return 0;
}

static int parse_cgroup_backend(parse_ctx *c, const char *key, const char *v, unsigned line) {
        spm_cgroup_backend b = spm_cgroup_backend_from_string(v);

        if (b == SPM_CGROUP_BACKEND_INVALID)
                return BAD(c, line, "invalid %s=%s: expected auto, systemd or cgroupfs", key, v);
        c->p->cgroup_backend = b;
        return 0;
}

/* ---- [Pool] ---- */

static int parse_pool_description(parse_ctx *c, const char *key, const char *v, unsigned line) {
        char *s = strdup(v);

        if (!s)
                return -ENOMEM;
        free(cur_pool(c)->description);
        cur_pool(c)->description = s;
        return 0;
}

static int parse_pool_online(parse_ctx *c, const char *key, const char *v, unsigned line) {
        return parse_online(c, key, v, line, &cur_pool(c)->online);
}

static int parse_memmap(parse_ctx *c, const char *key, const char *v, unsigned line, int *ret) {
        int b = parse_bool(v);

        if (b < 0)
                return BAD(c, line, "invalid %s=%s: expected a boolean", key, v);
        *ret = b;
        return 0;
}

static int parse_pool_memmap(parse_ctx *c, const char *key, const char *v, unsigned line) {
        return parse_memmap(c, key, v, line, &cur_pool(c)->memmap_on_memory);
}

/* ---- [Device] ---- */

static bool check_uuid(parse_ctx *c, const char *key, char *w, unsigned line) {
        if (!uuid_valid(w)) {
                BAD(c, line, "invalid %s=%s: expected a UUID like 01234567-89ab-cdef-0123-456789abcdef", key, w);
                return false;
        }
        for (char *p = w; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        return true;
}

static int parse_match_uuid(parse_ctx *c, const char *key, const char *v, unsigned line) {
        return parse_list(c, key, v, line, &cur_device(c)->match_uuid, check_uuid);
}

static bool check_serial(parse_ctx *c, const char *key, char *w, unsigned line) {
        char *end;

        errno = 0;
        (void) strtoull(w, &end, 0);
        if (errno || *end || *w == '-' || *w == '+') {
                BAD(c, line, "invalid %s=%s: expected a serial number (decimal, or hex with 0x)", key, w);
                return false;
        }
        return true;
}

static int parse_match_serial(parse_ctx *c, const char *key, const char *v, unsigned line) {
        return parse_list(c, key, v, line, &cur_device(c)->match_serial, check_serial);
}

static int parse_match_provider(parse_ctx *c, const char *key, const char *v, unsigned line) {
        _cleanup_strv_free_ char **words = NULL;
        unsigned bits = 0;
        int r;

        r = strv_split(v, " \t", &words);
        if (r < 0)
                return r;
        for (char **w = words; w && *w; w++) {
                spm_provider p = spm_provider_from_string(*w);

                if (p == SPM_PROVIDER_UNKNOWN)
                        return BAD(c, line, "invalid %s=%s: expected cxl, hmem or pmem", key, *w);
                bits |= SPM_PROVIDER_BIT(p);
        }
        cur_device(c)->match_provider = bits;
        return 0;
}

static int parse_match_resource(parse_ctx *c, const char *key, const char *v, unsigned line) {
        const char *dash = strchr(v, '-');
        uint64_t a, b;

        if (!dash || parse_hex(v, dash, &a) < 0 || parse_hex(dash + 1, dash + strlen(dash), &b) < 0)
                return BAD(c, line, "invalid %s=%s: expected START-END in hex, e.g. 0x1080000000-0x207fffffff", key, v);
        if (a > b)
                return BAD(c, line, "invalid %s=%s: the start lies above the end", key, v);
        cur_device(c)->match_resource = true;
        cur_device(c)->resource_start = a;
        cur_device(c)->resource_end = b;
        return 0;
}

static int parse_match_size(parse_ctx *c, const char *key, const char *v, unsigned line) {
        uint64_t n;

        if (parse_size(v, &n) < 0 || n == 0)
                return BAD(c, line, "invalid %s=%s: expected a size in bytes with an optional K, M, G or T suffix", key, v);
        cur_device(c)->match_size = true;
        cur_device(c)->size = n;
        return 0;
}

static int parse_match_target_node(parse_ctx *c, const char *key, const char *v, unsigned line) {
        spm_nodemask m;

        if (spm_nodemask_parse(v, &m, NULL) < 0 || spm_nodemask_is_empty(&m))
                return BAD(c, line, "invalid %s=%s: expected a node list such as 2 or 2-3", key, v);
        cur_device(c)->match_target_node = true;
        cur_device(c)->target_nodes = m;
        return 0;
}

static int parse_class(parse_ctx *c, const char *key, const char *v, unsigned line) {
        spm_device_class k = spm_device_class_from_string(v);

        if (k == SPM_CLASS_INVALID)
                return BAD(c, line, "invalid %s=%s: expected spm, sysram or ignore", key, v);
        cur_device(c)->class = k;
        return 0;
}

static int parse_device_pool(parse_ctx *c, const char *key, const char *v, unsigned line) {
        char *s;

        if (!name_valid(v))
                return BAD(c, line, "invalid %s=%s: expected a pool name", key, v);
        s = strdup(v);
        if (!s)
                return -ENOMEM;
        free(cur_device(c)->pool);
        cur_device(c)->pool = s;
        cur_device(c)->pool_line = line;
        return 0;
}

static int parse_device_online(parse_ctx *c, const char *key, const char *v, unsigned line) {
        return parse_online(c, key, v, line, &cur_device(c)->online);
}

static int parse_device_memmap(parse_ctx *c, const char *key, const char *v, unsigned line) {
        return parse_memmap(c, key, v, line, &cur_device(c)->memmap_on_memory);
}

/* ---- [Cgroup] ---- */

static bool check_path(parse_ctx *c, const char *key, char *w, unsigned line) {
        _cleanup_strv_free_ char **parts = NULL;

        if (w[0] == '/') {
                BAD(c, line, "invalid %s=%s: paths are relative to the cgroup root, drop the leading '/'", key, w);
                return false;
        }
        if (strstr(w, "//") || endswith(w, "/")) {
                BAD(c, line, "invalid %s=%s: empty path component", key, w);
                return false;
        }
        if (strv_split(w, "/", &parts) < 0)
                return false;
        for (char **i = parts; i && *i; i++)
                if (streq(*i, ".") || streq(*i, "..")) {
                        BAD(c, line, "invalid %s=%s: '.' and '..' are not allowed", key, w);
                        return false;
                }
        if (!spm_glob_valid(w)) {
                BAD(c, line, "invalid %s=%s: bad glob (unclosed '[', empty bracket, '/' in a bracket or trailing '\\')",
                    key, w);
                return false;
        }
        return true;
}

static int parse_cgroup_path(parse_ctx *c, const char *key, const char *v, unsigned line) {
        return parse_list(c, key, v, line, &cur_cgroup(c)->paths, check_path);
}

static bool check_unit(parse_ctx *c, const char *key, char *w, unsigned line) {
        if (strchr(w, '/')) {
                BAD(c, line, "invalid %s=%s: a unit name has no '/'", key, w);
                return false;
        }
        if (!spm_glob_valid(w)) {
                BAD(c, line, "invalid %s=%s: bad glob (unclosed '[', empty bracket or trailing '\\')", key, w);
                return false;
        }
        return true;
}

static int parse_cgroup_unit(parse_ctx *c, const char *key, const char *v, unsigned line) {
        return parse_list(c, key, v, line, &cur_cgroup(c)->units, check_unit);
}

static bool check_pool_name(parse_ctx *c, const char *key, char *w, unsigned line) {
        if (!name_valid(w)) {
                BAD(c, line, "invalid %s=%s: expected pool names", key, w);
                return false;
        }
        return true;
}

static int parse_cgroup_pools(parse_ctx *c, const char *key, const char *v, unsigned line) {
        cur_cgroup(c)->pools_line = line;
        return parse_list(c, key, v, line, &cur_cgroup(c)->pools, check_pool_name);
}

static int parse_cgroup_sysram(parse_ctx *c, const char *key, const char *v, unsigned line) {
        spm_nodemask m;

        if (streq(v, "all")) {
                cur_cgroup(c)->sysram_all = true;
                return 0;
        }
        if (spm_nodemask_parse(v, &m, NULL) < 0 || spm_nodemask_is_empty(&m))
                return BAD(c, line, "invalid %s=%s: expected 'all' or a non-empty node list", key, v);
        cur_cgroup(c)->sysram_all = false;
        cur_cgroup(c)->sysram = m;
        return 0;
}

static const key_entry keys[] = {
        { SECTION_DAEMON, "LogLevel",        parse_log_level },
        { SECTION_DAEMON, "AutoOnline",      parse_auto_online },
        { SECTION_DAEMON, "CgroupBackend",   parse_cgroup_backend },
        { SECTION_POOL,   "Description",     parse_pool_description },
        { SECTION_POOL,   "Online",          parse_pool_online },
        { SECTION_POOL,   "MemmapOnMemory",  parse_pool_memmap },
        { SECTION_DEVICE, "MatchRegionUUID", parse_match_uuid, true },
        { SECTION_DEVICE, "MatchSerial",     parse_match_serial, true },
        { SECTION_DEVICE, "MatchProvider",   parse_match_provider },
        { SECTION_DEVICE, "MatchResource",   parse_match_resource },
        { SECTION_DEVICE, "MatchSize",       parse_match_size },
        { SECTION_DEVICE, "MatchTargetNode", parse_match_target_node },
        { SECTION_DEVICE, "Class",           parse_class },
        { SECTION_DEVICE, "Pool",            parse_device_pool },
        { SECTION_DEVICE, "Online",          parse_device_online },
        { SECTION_DEVICE, "MemmapOnMemory",  parse_device_memmap },
        { SECTION_CGROUP, "Path",            parse_cgroup_path, true },
        { SECTION_CGROUP, "Unit",            parse_cgroup_unit, true },
        { SECTION_CGROUP, "Pools",           parse_cgroup_pools, true },
        { SECTION_CGROUP, "SysRAM",          parse_cgroup_sysram },
};

/* ---- inih callbacks ---- */

static spm_source make_source(parse_ctx *c, unsigned line) {
        return (spm_source) {
                .file = c->file,
                .line = line,
                .file_index = c->file_index,
                .order = c->p->n_sections++,
        };
}

/* Is there already a section of this kind and name? */
static const spm_source *find_section(spm_policy *p, section_kind kind, const char *name) {
        if (kind == SECTION_POOL) {
                for (size_t i = 0; i < p->n_pools; i++)
                        if (streq(p->pools[i].name, name))
                                return &p->pools[i].where;
        } else if (kind == SECTION_DEVICE) {
                for (size_t i = 0; i < p->n_devices; i++)
                        if (streq(p->devices[i].name, name))
                                return &p->devices[i].where;
        } else if (kind == SECTION_CGROUP) {
                for (size_t i = 0; i < p->n_cgroups; i++)
                        if (streq(p->cgroups[i].name, name))
                                return &p->cgroups[i].where;
        }
        return NULL;
}

#define GROW(array, n)                                                          \
        ({                                                                      \
                __typeof__(array) _a_ = reallocarray((array), (n) + 1, sizeof *(array)); \
                if (_a_) {                                                      \
                        (array) = _a_;                                          \
                        memset(&(array)[(n)], 0, sizeof *(array));              \
                }                                                               \
                _a_ ? 0 : -ENOMEM;                                              \
        })

static int on_section(void *userdata, const char *header, unsigned line) {
        static const struct {
                const char *word;
                section_kind kind;
        } kinds[] = {
                { "Daemon", SECTION_DAEMON },
                { "Pool", SECTION_POOL },
                { "Device", SECTION_DEVICE },
                { "Cgroup", SECTION_CGROUP },
        };
        parse_ctx *c = userdata;
        const char *sp = strchr(header, ' ');
        size_t wl = sp ? (size_t) (sp - header) : strlen(header);
        const char *name = sp ? sp + 1 : NULL;
        section_kind kind = SECTION_BAD;
        const spm_source *other;
        _cleanup_free_ char *copy = NULL;
        int r;

        snprintf(c->section, sizeof c->section, "%s", header);
        c->seen = 0;
        c->kind = SECTION_BAD;

        for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
                if (strlen(kinds[i].word) == wl && strncmp(header, kinds[i].word, wl) == 0)
                        kind = kinds[i].kind;
        if (kind == SECTION_BAD)
                return BAD(c, line, "unknown section [%s]: expected [Daemon], [Pool NAME], [Device NAME] or [Cgroup NAME]", header);

        if (kind == SECTION_DAEMON) {
                if (name)
                        return BAD(c, line, "[Daemon] takes no name");
                c->kind = kind;
                return 0;
        }
        if (!name || !*name)
                return BAD(c, line, "[%s] needs a name: [%s NAME]", header, header);
        if (!name_valid(name))
                return BAD(c, line, "invalid name '%s' in [%s]: use letters, digits and - _ . @ :", name, header);

        other = find_section(c->p, kind, name);
        if (other)
                return BAD(c, line, "duplicate section [%s], first defined at %s:%u", header, other->file, other->line);

        copy = strdup(name);
        if (!copy)
                return -ENOMEM;

        switch (kind) {
        case SECTION_POOL:
                if ((r = GROW(c->p->pools, c->p->n_pools)) < 0)
                        return r;
                c->index = c->p->n_pools++;
                *cur_pool(c) = (spm_policy_pool) {
                        .name = TAKE_PTR(copy),
                        .where = make_source(c, line),
                        .online = SPM_ONLINE_INVALID,
                        .memmap_on_memory = -1,
                };
                break;
        case SECTION_DEVICE:
                if ((r = GROW(c->p->devices, c->p->n_devices)) < 0)
                        return r;
                c->index = c->p->n_devices++;
                *cur_device(c) = (spm_policy_device) {
                        .name = TAKE_PTR(copy),
                        .where = make_source(c, line),
                        .class = SPM_CLASS_INVALID,
                        .online = SPM_ONLINE_INVALID,
                        .memmap_on_memory = -1,
                };
                break;
        case SECTION_CGROUP:
                if ((r = GROW(c->p->cgroups, c->p->n_cgroups)) < 0)
                        return r;
                c->index = c->p->n_cgroups++;
                *cur_cgroup(c) = (spm_policy_cgroup) {
                        .name = TAKE_PTR(copy),
                        .where = make_source(c, line),
                        .sysram_all = true,
                };
                break;
        default:
                break;
        }
        c->kind = kind;
        return 0;
}

static int on_key(void *userdata, const char *section, const char *key, const char *value, unsigned line) {
        parse_ctx *c = userdata;

        if (c->kind == SECTION_BAD)
                return 0;

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                if (keys[i].kind != c->kind || !streq(keys[i].key, key))
                        continue;
                if (!keys[i].list) {
                        if (c->seen & (UINT64_C(1) << i)) {
                                int r = WARN(c, line, "%s= is set twice in [%s]; the last value is used", key, c->section);
                                if (r < 0)
                                        return r;
                        }
                        c->seen |= UINT64_C(1) << i;
                }
                return keys[i].parse(c, key, value, line);
        }

        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (streq(keys[i].key, key))
                        return BAD(c, line, "key %s= does not belong in [%s]", key, c->section);
        return BAD(c, line, "unknown key %s= in [%s]", key, c->section);
}

static int on_error(void *userdata, unsigned line, const char *message) {
        parse_ctx *c = userdata;

        return BAD(c, line, "%s", message);
}

static const spm_ini_callbacks callbacks = {
        .section = on_section,
        .key = on_key,
        .error = on_error,
};

static int begin(spm_policy *p, const char *name, spm_diags *d, parse_ctx *ret) {
        int r;

        r = strv_extend(&p->files, name);
        if (r < 0)
                return r;
        *ret = (parse_ctx) {
                .p = p,
                .d = d,
                .file = p->files[strv_length(p->files) - 1],
                .file_index = (unsigned) strv_length(p->files) - 1,
                .kind = SECTION_NONE,
        };
        return 0;
}

int spm_policy_parse_file(spm_policy *p, const char *path, spm_diags *d) {
        parse_ctx c;
        int r;

        r = begin(p, path, d, &c);
        if (r < 0)
                return r;
        r = spm_ini_parse_file_at(AT_FDCWD, path, &callbacks, &c);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                int k = BAD(&c, 0, "cannot read file: %s", strerror(-r));
                return k < 0 ? k : r;
        }
        return 0;
}

int spm_policy_parse_buffer(spm_policy *p, const char *name, const void *data, size_t size, spm_diags *d) {
        parse_ctx c;
        int r;

        r = begin(p, name, d, &c);
        if (r < 0)
                return r;
        r = spm_ini_parse_buffer(data, size, &callbacks, &c);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                int k = BAD(&c, 0, "cannot read: %s", strerror(-r));
                return k < 0 ? k : r;
        }
        return 0;
}
