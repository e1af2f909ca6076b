/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fnmatch.h>
#include <string.h>

#include "glob-util.h"

bool spm_glob_valid(const char *pattern) {
        for (const char *p = pattern; *p; p++) {
                if (*p == '\\') {
                        if (!p[1])
                                return false;
                        p++;
                } else if (*p == '[') {
                        const char *q = p + 1;

                        if (*q == '!' || *q == '^')
                                q++;
                        /* a ']' right after the opening is a member */
                        if (*q == ']')
                                q++;
                        while (*q && *q != ']') {
                                /* with FNM_PATHNAME no bracket matches a
                                 * '/', and the depth check of
                                 * spm_glob_match_path() relies on it */
                                if (*q == '/')
                                        return false;
                                q++;
                        }
                        if (!*q)
                                return false;
                        if (q == p + 1)
                                return false;
                        p = q;
                }
        }
        return true;
}

bool spm_glob_is_literal(const char *pattern) {
        return !strpbrk(pattern, "*?[\\");
}

size_t spm_glob_literal_length(const char *pattern) {
        size_t n = 0;

        for (const char *p = pattern; *p; p++) {
                if (*p == '*' || *p == '?')
                        continue;
                if (*p == '\\' && p[1]) {
                        p++;
                        n++;
                } else if (*p == '[') {
                        const char *q = p[1] ? strchr(p + 2, ']') : NULL;
                        if (!q)
                                break;
                        p = q;
                } else
                        n++;
        }
        return n;
}

static size_t count_slashes(const char *s) {
        size_t n = 0;

        for (; (s = strchr(s, '/')); s++)
                n++;
        return n;
}

unsigned spm_glob_components(const char *pattern) {
        return (unsigned) count_slashes(pattern) + 1;
}

bool spm_glob_match_path(const char *pattern, const char *path) {
        const char *p = pattern, *s = path;

        /* Cheap refusals first: a policy change matches every rule against
         * every cgroup, and fnmatch() costs far more than these. The part
         * before the first special character must be the path's start. */
        for (; *p && !strchr("*?[\\", *p); p++, s++)
                if (*p != *s)
                        return false;
        if (!*p)
                return !*s;
        /* With FNM_PATHNAME only a '/' of the pattern matches a '/' of the
         * path (never a wildcard or a bracket: spm_glob_valid() refuses a
         * '/' inside one), so the two have as many. */
        if (count_slashes(p) != count_slashes(s))
                return false;
        /* What was cut off matched character for character; FNM_PERIOD,
         * the only flag that cares where a string starts, is not used. */
        return fnmatch(p, s, FNM_PATHNAME) == 0;
}

bool spm_glob_match_name(const char *pattern, const char *name) {
        return fnmatch(pattern, name, 0) == 0;
}
