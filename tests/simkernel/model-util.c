/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Parsers and formatters that copy the kernel's own rules (kstrtobool,
 * sysfs_streq, bitmap_parselist, %*pbl), written independently of lib/ so
 * that a bug in spmd's parsers cannot hide behind the same bug here. */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "model.h"

int sk_kstrtobool(const char *s, bool *ret) {
        if (!s)
                return -EINVAL;

        /* Only the first character counts (two for on/off), as measured. */
        switch (s[0]) {
        case 'y': case 'Y': case 't': case 'T': case '1':
                *ret = true;
                return 0;
        case 'n': case 'N': case 'f': case 'F': case '0':
                *ret = false;
                return 0;
        case 'o': case 'O':
                switch (s[1]) {
                case 'n': case 'N':
                        *ret = true;
                        return 0;
                case 'f': case 'F':
                        *ret = false;
                        return 0;
                }
                break;
        }
        return -EINVAL;
}

int sk_kstrtobool_buf(const char *buf, size_t len, bool *ret) {
        _cleanup_free_ char *s = strndup(buf, len);

        if (!s)
                return -ENOMEM;
        return sk_kstrtobool(s, ret);
}

bool sk_sysfs_streq(const char *buf, size_t len, const char *word) {
        size_t n = strlen(word);

        /* sysfs hands the store a NUL-terminated copy: stop at a NUL. */
        len = strnlen(buf, len);
        if (len == n)
                return memcmp(buf, word, n) == 0;
        if (len == n + 1 && buf[n] == '\n')
                return memcmp(buf, word, n) == 0;
        return false;
}

static bool end_of_str(char c) {
        return c == '\0' || c == '\n';
}

static bool end_of_region(char c) {
        return isspace((unsigned char) c) || c == ',';
}

static int getnum(const char **p, unsigned *ret) {
        unsigned long long v = 0;
        const char *s = *p;

        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        for (; isdigit((unsigned char) *s); s++) {
                v = v * 10 + (unsigned) (*s - '0');
                if (v > UINT32_MAX)
                        return -EOVERFLOW;
        }
        *p = s;
        *ret = (unsigned) v;
        return 0;
}

int sk_parse_nodelist(const char *s, unsigned limit, spm_nodemask *ret) {
        spm_nodemask m = SPM_NODEMASK_EMPTY;
        int r;

        for (;;) {
                unsigned start, end, off = 0, group = 0;

                /* skip separators: commas and blanks, so "0,,1" and " 0" pass */
                while (end_of_region(*s) && !end_of_str(*s))
                        s++;
                if (end_of_str(*s))
                        break;

                r = getnum(&s, &start);
                if (r < 0)
                        return r;
                end = start;
                if (*s == '-') {
                        s++;
                        if (*s == 'N') {
                                end = limit - 1;
                                s++;
                        } else if ((r = getnum(&s, &end)) < 0)
                                return r;
                        if (*s == ':') {
                                s++;
                                if ((r = getnum(&s, &off)) < 0)
                                        return r;
                                if (*s != '/')
                                        return -EINVAL;
                                s++;
                                if ((r = getnum(&s, &group)) < 0)
                                        return r;
                        }
                }
                if (!end_of_region(*s) && !end_of_str(*s))
                        return -EINVAL;

                if (start > end || (group > 0 && off > group) || (off > 0 && group == 0))
                        return -EINVAL;
                if (end >= limit)
                        return -ERANGE;

                for (unsigned i = start; i <= end; i++) {
                        if (group > 0 && (i - start) % group >= (off ? off : group))
                                continue;
                        if (i < SPM_MAX_NODES)
                                spm_nodemask_set(&m, i);
                }
        }

        *ret = m;
        return 0;
}

void sk_format_nodelist(const spm_nodemask *m, char *buf, size_t size) {
        size_t k = 0;

        buf[0] = 0;
        for (unsigned i = 0; i < SPM_MAX_NODES; i++) {
                unsigned j = i;
                int n;

                if (!spm_nodemask_test(m, i))
                        continue;
                while (j + 1 < SPM_MAX_NODES && spm_nodemask_test(m, j + 1))
                        j++;
                if (j == i)
                        n = snprintf(buf + k, size - k, "%s%u", k ? "," : "", i);
                else
                        n = snprintf(buf + k, size - k, "%s%u-%u", k ? "," : "", i, j);
                if (n < 0 || (size_t) n >= size - k)
                        return;
                k += (size_t) n;
                i = j;
        }
}

static const char *const marking_names[_SK_MARKING_MAX] = {
        [SK_MARKING_STOCK] = "stock",
        [SK_MARKING_SPM_V2] = "spm-v2",
        [SK_MARKING_PRIVATE_V3] = "private-v3",
        [SK_MARKING_PRIVATE_V4] = "private-v4",
        [SK_MARKING_SPM_V1] = "spm-v1",
};

static const char *const hotplug_names[_SK_HOTPLUG_MAX] = {
        [SK_HOTPLUG_NONE] = "none",
        [SK_HOTPLUG_V2] = "v2",
        [SK_HOTPLUG_V4] = "v4",
        [SK_HOTPLUG_V7] = "v7",
};

static const char *const online_names[_SK_ONLINE_MAX] = {
        [SK_ONLINE_OFFLINE] = "offline",
        [SK_ONLINE_ONLINE] = "online",
        [SK_ONLINE_KERNEL] = "online_kernel",
        [SK_ONLINE_MOVABLE] = "online_movable",
};

static const char *const driver_names[_SK_DRV_MAX] = {
        [SK_DRV_NONE] = "none",
        [SK_DRV_DEVICE_DAX] = "device_dax",
        [SK_DRV_KMEM] = "kmem",
};

static const char *const provider_names[_SK_PROV_MAX] = {
        [SK_PROV_PMEM] = "pmem",
        [SK_PROV_HMEM] = "hmem",
        [SK_PROV_CXL] = "cxl",
};

static int lookup(const char *const *t, size_t n, const char *s) {
        for (size_t i = 0; i < n; i++)
                if (t[i] && s && streq(t[i], s))
                        return (int) i;
        return -EINVAL;
}

const char *sk_marking_to_string(sk_marking v) { return v < _SK_MARKING_MAX ? marking_names[v] : NULL; }
int sk_marking_from_string(const char *s) { return lookup(marking_names, _SK_MARKING_MAX, s); }
const char *sk_hotplug_to_string(sk_hotplug v) { return v < _SK_HOTPLUG_MAX ? hotplug_names[v] : NULL; }
int sk_hotplug_from_string(const char *s) { return lookup(hotplug_names, _SK_HOTPLUG_MAX, s); }
const char *sk_online_to_string(sk_online v) { return v >= 0 && v < _SK_ONLINE_MAX ? online_names[v] : NULL; }
int sk_online_from_string(const char *s) { return lookup(online_names, _SK_ONLINE_MAX, s); }
const char *sk_driver_to_string(sk_driver d) { return d < _SK_DRV_MAX ? driver_names[d] : NULL; }
const char *sk_provider_to_string(sk_provider p) { return p < _SK_PROV_MAX ? provider_names[p] : NULL; }
int sk_provider_from_string(const char *s) { return lookup(provider_names, _SK_PROV_MAX, s); }
