/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "policy-dropin.h"
#include "strutil.h"

void spm_dropin_done(spm_dropin *d) {
        d->file_name = mfree(d->file_name);
        d->text = mfree(d->text);
}

/* FNV-1a: a short, stable name for something long (section names are
 * limited to 48 bytes). */
static uint64_t hash64(const char *s) {
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        for (; *s; s++) {
                h ^= (unsigned char) *s;
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

char *spm_glob_escape(const char *s) {
        char *out = malloc(strlen(s) * 2 + 1), *o = out;

        if (!out)
                return NULL;
        for (; *s; s++) {
                if (strchr("*?[]\\", *s))
                        *o++ = '\\';
                *o++ = *s;
        }
        *o = 0;
        return out;
}

/* Values go into "Key=value" lines: refuse anything that could break the
 * line structure or the parser's limits. */
static bool safe_value(const char *s) {
        return s && strlen(s) < 150 && !strpbrk(s, "\n\r\\;#");
}

typedef struct buf {
        char *s;
        size_t n;
        FILE *f;
} buf;

static int finish(buf *b, char **ret) {
        if (fclose(b->f) != 0) {
                free(b->s);
                return -ENOMEM;
        }
        *ret = b->s;
        return 0;
}

int spm_dropin_for_device(const spm_topology *t, const spm_dax_device *d, spm_device_class cls, const char *pool,
                          spm_online_type online, const char *why, spm_dropin *ret) {
        _cleanup_free_ char *id = NULL, *text = NULL, *name = NULL;
        const spm_cxl_region *g = d->cxl_region ? spm_topology_find_region(t, d->cxl_region) : NULL;
        uint64_t start = UINT64_MAX, end = 0;
        buf b = {};
        int r;

        if ((cls == SPM_CLASS_SPM) != (pool != NULL) || cls < 0 || cls >= _SPM_CLASS_MAX)
                return -EINVAL;
        if (pool && !safe_value(pool))
                return -EINVAL;
        if (why && !safe_value(why))
                return -EINVAL;

        for (size_t i = 0; i < d->n_ranges; i++) {
                start = MIN(start, d->ranges[i].start);
                end = MAX(end, d->ranges[i].end);
        }
        /* Without a physical range and without a region UUID there is no
         * stable identity to write down. */
        if (d->n_ranges == 0 && !(g && g->uuid && *g->uuid))
                return -ENODATA;

        if (g && g->uuid && *g->uuid)
                r = asprintf(&id, "uuid-%s", g->uuid);
        else
                r = asprintf(&id, "range-%llx-%llx", (unsigned long long) start, (unsigned long long) end);
        if (r < 0)
                return -ENOMEM;

        b.f = open_memstream(&b.s, &b.n);
        if (!b.f)
                return -ENOMEM;

        fprintf(b.f, "# Written by spmd for '%s'%s%s. Delete this file to undo.\n", d->name, why ? ": " : "",
                strempty(why));
        fprintf(b.f, "[Device spmctl-dev-%016llx]\n", (unsigned long long) hash64(id));
        if (g && g->uuid && *g->uuid)
                fprintf(b.f, "MatchRegionUUID=%s\n", g->uuid);
        else if (g && g->memdev_serials && g->memdev_serials[0]) {
                fputs("MatchSerial=", b.f);
                for (char **s = g->memdev_serials; *s; s++)
                        fprintf(b.f, "%s%s", s == g->memdev_serials ? "" : " ", *s);
                fputc('\n', b.f);
        }
        if (d->n_ranges > 0)
                fprintf(b.f, "MatchResource=0x%llx-0x%llx\n", (unsigned long long) start, (unsigned long long) end);
        if (d->provider != SPM_PROVIDER_UNKNOWN)
                fprintf(b.f, "MatchProvider=%s\n", spm_provider_to_string(d->provider));
        fprintf(b.f, "Class=%s\n", spm_device_class_to_string(cls));
        if (pool)
                fprintf(b.f, "Pool=%s\n", pool);
        if (online != SPM_ONLINE_INVALID && online != SPM_ONLINE_OFFLINE)
                fprintf(b.f, "Online=%s\n", spm_online_type_to_string(online));

        r = finish(&b, &text);
        if (r < 0)
                return r;
        if (asprintf(&name, "90-spmctl-device-%016llx.conf", (unsigned long long) hash64(id)) < 0)
                return -ENOMEM;

        *ret = (spm_dropin) { .file_name = TAKE_PTR(name), .text = TAKE_PTR(text) };
        return 0;
}

int spm_dropin_for_cgroup(const char *target, bool unit, char *const *pools, bool sysram_all,
                          const spm_nodemask *sysram, const char *why, spm_dropin *ret) {
        _cleanup_free_ char *text = NULL, *name = NULL, *escaped = NULL, *key = NULL;
        buf b = {};
        int r;

        if (!safe_value(target) || !*target || (why && !safe_value(why)))
                return -EINVAL;
        if (!unit && (target[0] == '/' || strstr(target, "//")))
                return -EINVAL;
        for (char *const *p = pools; p && *p; p++)
                if (!safe_value(*p) || strchr(*p, ' '))
                        return -EINVAL;

        escaped = spm_glob_escape(target);
        if (!escaped || asprintf(&key, "%s:%s", unit ? "unit" : "path", target) < 0)
                return -ENOMEM;

        b.f = open_memstream(&b.s, &b.n);
        if (!b.f)
                return -ENOMEM;

        fprintf(b.f, "# Written by spmd for %s '%s'%s%s. Delete this file to undo.\n", unit ? "unit" : "cgroup",
                target, why ? ": " : "", strempty(why));
        fprintf(b.f, "[Cgroup spmctl-cg-%016llx]\n", (unsigned long long) hash64(key));
        fprintf(b.f, "%s=%s\n", unit ? "Unit" : "Path", escaped);
        fputs("Pools=", b.f);
        for (char *const *p = pools; p && *p; p++)
                fprintf(b.f, "%s%s", p == pools ? "" : " ", *p);
        fputc('\n', b.f);
        if (sysram_all || !sysram)
                fputs("SysRAM=all\n", b.f);
        else {
                char list[SPM_NODEMASK_STRLEN_MAX];
                spm_nodemask_format_buf(sysram, list, sizeof list);
                fprintf(b.f, "SysRAM=%s\n", list);
        }

        r = finish(&b, &text);
        if (r < 0)
                return r;
        if (asprintf(&name, "90-spmctl-cgroup-%016llx.conf", (unsigned long long) hash64(key)) < 0)
                return -ENOMEM;

        *ret = (spm_dropin) { .file_name = TAKE_PTR(name), .text = TAKE_PTR(text) };
        return 0;
}

static int mkdir_p(const char *dir) {
        _cleanup_free_ char *p = strdup(dir);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                                return negative_errno();
                        *s = '/';
                }
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}

int spm_dropin_write(const char *dir, const spm_dropin *d) {
        _cleanup_free_ char *tmp = NULL, *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(d->text);
        int r;

        if (!d->file_name || strchr(d->file_name, '/'))
                return -EINVAL;
        r = mkdir_p(dir);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/%s", dir, d->file_name) < 0 ||
            asprintf(&tmp, "%s/.#%s.XXXXXX", dir, d->file_name) < 0)
                return -ENOMEM;

        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (fchmod(fd, 0644) < 0 || write(fd, d->text, len) != (ssize_t) len || fsync(fd) < 0) {
                r = errno > 0 ? -errno : -EIO;
                (void) unlink(tmp);
                return r;
        }
        if (rename(tmp, path) < 0) {
                r = negative_errno();
                (void) unlink(tmp);
                return r;
        }
        return 0;
}

int spm_dropin_remove(const char *dir, const char *file_name) {
        _cleanup_free_ char *path = NULL;

        if (!file_name || strchr(file_name, '/'))
                return -EINVAL;
        if (asprintf(&path, "%s/%s", dir, file_name) < 0)
                return -ENOMEM;
        if (unlink(path) < 0)
                return negative_errno();
        return 0;
}
