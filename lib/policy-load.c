/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
#include "paths.h"
#include "policy-load.h"
#include "strutil.h"

typedef struct entry {
        char *name;
        char *path;                 /* NULL: masked */
} entry;

static int entry_cmp(const void *a, const void *b) {
        return strcmp(((const entry *) a)->name, ((const entry *) b)->name);
}

static bool is_masked(const char *path) {
        char target[PATH_MAX];
        ssize_t n = readlink(path, target, sizeof target - 1);

        if (n < 0)
                return false;
        target[n] = 0;
        return streq(target, "/dev/null");
}

static void entries_free(entry *e, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(e[i].name);
                free(e[i].path);
        }
        free(e);
}

/* Add the *.conf entries of one directory unless an earlier directory had
 * the name already. */
static int scan_dir(const char *dir, entry **entries, size_t *n) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = dir_list_at(AT_FDCWD, dir, NULL, &names);
        if (r == -ENOENT || r == -ENOTDIR)
                return 0;
        if (r < 0)
                return r;

        for (char **name = names; name && *name; name++) {
                _cleanup_free_ char *path = NULL, *copy = NULL;
                bool seen = false;
                struct stat st;
                entry *e;

                if (!endswith(*name, ".conf") || (*name)[0] == '.')
                        continue;
                for (size_t i = 0; i < *n && !seen; i++)
                        seen = streq((*entries)[i].name, *name);
                if (seen)
                        continue;

                if (asprintf(&path, "%s/%s", dir, *name) < 0)
                        return -ENOMEM;
                copy = strdup(*name);
                if (!copy)
                        return -ENOMEM;
                if (is_masked(path))
                        path = mfree(path);
                else if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;   /* dangling link or a directory: not a policy file */

                e = reallocarray(*entries, *n + 1, sizeof *e);
                if (!e)
                        return -ENOMEM;
                *entries = e;
                e[(*n)++] = (entry) { .name = TAKE_PTR(copy), .path = TAKE_PTR(path) };
        }
        return 0;
}

int spm_policy_list_files(char *const *dirs, char ***ret) {
        const char *defaults[] = {
                spm_path(SPM_PATH_POLICY_ETC),
                spm_path(SPM_PATH_POLICY_RUN),
                spm_path(SPM_PATH_POLICY_LIB),
                NULL,
        };
        _cleanup_strv_free_ char **files = NULL;
        entry *entries = NULL;
        size_t n = 0;
        int r = 0;

        if (!dirs)
                dirs = (char *const *) defaults;

        for (size_t i = 0; dirs[i] && r >= 0; i++)
                r = scan_dir(dirs[i], &entries, &n);
        if (r >= 0) {
                if (n > 1)
                        qsort(entries, n, sizeof *entries, entry_cmp);
                for (size_t i = 0; i < n && r >= 0; i++)
                        if (entries[i].path)
                                r = strv_extend(&files, entries[i].path);
        }
        entries_free(entries, n);
        if (r < 0)
                return r;
        if (!files && !(files = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(files);
        return 0;
}

/* A file given by name: follow a symlink we were pointed at explicitly,
 * the parser itself refuses to follow links. */
static int parse_one(spm_policy *p, const char *path, spm_diags *d) {
        _cleanup_free_ char *real = NULL;
        struct stat st;

        if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && !is_masked(path)) {
                real = realpath(path, NULL);
                if (real) {
                        /* messages still name the path the user gave */
                        spm_diags tmp = {};
                        int r = spm_policy_parse_file(p, real, &tmp);
                        for (size_t i = 0; i < tmp.n && r != -ENOMEM; i++)
                                if (spm_diags_add(d, tmp.items[i].level, path, tmp.items[i].line, "%s",
                                                  tmp.items[i].message) < 0)
                                        r = -ENOMEM;
                        spm_diags_clear(&tmp);
                        return r == -ENOMEM ? r : 0;
                }
        }
        return spm_policy_parse_file(p, path, d) == -ENOMEM ? -ENOMEM : 0;
}

int spm_policy_load(char *const *paths, spm_policy **ret, spm_diags *d) {
        _cleanup_(spm_policy_freep) spm_policy *p = NULL;
        _cleanup_strv_free_ char **files = NULL;
        spm_diags local = {};
        spm_diags *diags = d ?: &local;
        int r;

        p = spm_policy_new();
        if (!p)
                return -ENOMEM;

        if (!paths) {
                r = spm_policy_list_files(NULL, &files);
                if (r < 0)
                        return r;
                for (char **f = files; *f; f++)
                        if ((r = parse_one(p, *f, diags)) < 0)
                                goto finish;
        } else
                for (char *const *i = paths; *i; i++) {
                        struct stat st;

                        if (stat(*i, &st) == 0 && S_ISDIR(st.st_mode)) {
                                char *const one[] = { *i, NULL };
                                _cleanup_strv_free_ char **l = NULL;

                                r = spm_policy_list_files(one, &l);
                                if (r < 0)
                                        goto finish;
                                for (char **f = l; *f; f++)
                                        if ((r = parse_one(p, *f, diags)) < 0)
                                                goto finish;
                        } else if ((r = parse_one(p, *i, diags)) < 0)
                                goto finish;
                }

        r = spm_policy_finish(p, diags);
        if (r >= 0)
                *ret = TAKE_PTR(p);
finish:
        spm_diags_clear(&local);
        return r;
}
