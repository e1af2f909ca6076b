/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "glob-util.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "planner.h"
#include "spmd-inotify.h"
#include "spmd-manager.h"
#include "strutil.h"

#define WATCH_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR)

typedef struct watch {
        int wd;
        char *path;                 /* relative to the cgroup root */
} watch;

struct spmd_inotify {
        manager *manager;
        int fd;
        sd_event_source *source;
        watch *watches;
        size_t n;
};

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        spmd_inotify *w = userdata;
        bool lost = false, overflow = false;

        for (;;) {
                union {
                        struct inotify_event ev;
                        char raw[4096];
                } buf;
                ssize_t k = read(fd, &buf, sizeof buf);

                if (k < 0) {
                        if (errno != EAGAIN && errno != EINTR)
                                log_debug_errno(-errno, "inotify read failed: %m");
                        break;
                }
                for (char *p = buf.raw; p < buf.raw + k;) {
                        struct inotify_event *e = (struct inotify_event *) p;

                        if (e->mask & IN_Q_OVERFLOW)
                                overflow = true;
                        if (e->mask & IN_IGNORED)
                                for (size_t i = 0; i < w->n; i++)
                                        if (w->watches[i].wd == e->wd)
                                                w->watches[i].wd = -1;
                        if ((e->mask & IN_ISDIR) && (e->mask & (IN_CREATE | IN_MOVED_TO)) && e->len) {
                                const char *dir = NULL;
                                _cleanup_free_ char *path = NULL;

                                for (size_t i = 0; i < w->n; i++)
                                        if (w->watches[i].wd == e->wd)
                                                dir = w->watches[i].path;
                                log_debug("cgroup created: %s", e->name);
                                if (dir && asprintf(&path, "%s%s%s", dir, dir[0] ? "/" : "", e->name) >= 0)
                                        manager_cgroup_created(w->manager, path);
                                else
                                        lost = true;    /* cannot tell where: read it all */
                        } else if ((e->mask & IN_ISDIR) && (e->mask & (IN_DELETE | IN_MOVED_FROM))) {
                                const char *dir = NULL;
                                _cleanup_free_ char *path = NULL;

                                for (size_t i = 0; i < w->n; i++)
                                        if (w->watches[i].wd == e->wd)
                                                dir = w->watches[i].path;
                                log_debug("cgroup removed: %s", e->len ? e->name : "?");
                                if (dir && e->len && asprintf(&path, "%s%s%s", dir, dir[0] ? "/" : "", e->name) >= 0)
                                        manager_cgroup_removed(w->manager, path);
                                else
                                        lost = true;
                        }
                        p += sizeof *e + e->len;
                }
        }

        if (overflow) {
                /* events were lost: nothing short of the whole tree will do */
                manager_cgroups_resync(w->manager, "inotify queue overflow");
                manager_mark_dirty(w->manager, true, "inotify queue overflow");
        } else if (lost)
                manager_cgroups_resync(w->manager, "cgroup event without a known directory");
        return 0;
}

int spmd_inotify_new(manager *m, spmd_inotify **ret) {
        spmd_inotify *w;
        int r;

        w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->manager = m;
        w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (w->fd < 0) {
                r = -errno;
                free(w);
                return log_error_errno(r, "Failed to create an inotify instance: %m");
        }
        r = sd_event_add_io(m->event, &w->source, w->fd, EPOLLIN, on_inotify, w);
        if (r < 0) {
                spmd_inotify_free(w);
                return log_error_errno(r, "Failed to watch the inotify instance: %m");
        }
        (void) sd_event_source_set_description(w->source, "cgroup-inotify");
        *ret = w;
        return 0;
}

spmd_inotify *spmd_inotify_free(spmd_inotify *w) {
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->source);
        for (size_t i = 0; i < w->n; i++)
                free(w->watches[i].path);
        free(w->watches);
        if (w->fd >= 0)
                close(w->fd);
        return mfree(w);
}

bool spmd_pattern_prefix_matches(const char *pattern, const char *path, unsigned depth) {
        const char *end = pattern;
        char buf[4096];

        if (depth >= spm_glob_components(pattern))
                return false;
        if (depth == 0)
                return true;
        for (unsigned i = 0; i < depth; i++) {
                end = strchr(end, '/');
                if (!end)
                        return false;
                if (i + 1 < depth)
                        end++;
        }
        if ((size_t) (end - pattern) >= sizeof buf)
                return false;
        memcpy(buf, pattern, (size_t) (end - pattern));
        buf[end - pattern] = 0;
        return spm_glob_match_path(buf, path);
}

static bool wanted(const spm_policy *policy, const spm_cgroup_depths *depths, const spm_cgroup *g) {
        /* the root: every new top-level cgroup inherits the SPM nodes the
         * kernel puts in the root's effective mask */
        if (g->depth == 0)
                return true;
        /* no pattern reaches below it (Unit= patterns have no path) */
        if (!depths->deep && (g->depth >= 63 || (depths->paths >> (g->depth + 1)) == 0))
                return false;
        for (size_t r = 0; r < policy->n_cgroups; r++)
                for (char **p = policy->cgroups[r].paths; p && *p; p++)
                        if (spmd_pattern_prefix_matches(*p, g->path, g->depth))
                                return true;
        return false;
}

static ssize_t find(const spmd_inotify *w, const char *path) {
        for (size_t i = 0; i < w->n; i++)
                if (streq(w->watches[i].path, path))
                        return (ssize_t) i;
        return -1;
}

int spmd_inotify_update(spmd_inotify *w, const spm_policy *policy, const spm_cgroup_tree *t, char ***ret_added) {
        _cleanup_free_ bool *keep = NULL, *above = NULL;
        _cleanup_free_ size_t *watch_list = NULL;
        _cleanup_strv_free_ char **added = NULL;
        size_t n_old = w->n, n_watch = 0, n_watch_allocated = 0;
        spm_cgroup_depths depths;

        /* a policy change walks the whole tree here: skip by depth first */
        spm_cgroup_depths_of_policy(&depths, policy);
        keep = calloc(n_old + 1, sizeof *keep);
        if (!keep)
                return -ENOMEM;

        /* Ancestors of a cgroup a rule grants something to are widened
         * for it, and a new child of theirs would inherit that: watch
         * them too (this covers Unit= rules, which have no path). One
         * walk from the end: a cgroup's descendants come after it, so
         * when it is reached, whether it lies above a match is known. */
        if (policy && t && policy->n_cgroups > 0) {
                above = calloc(t->n, sizeof *above);
                if (!above)
                        return -ENOMEM;
        }
        for (size_t i = policy && t ? t->n : 0; i-- > 0;) {
                const spm_cgroup *g = &t->cgroups[i];

                if (above && i > 0 && !above[g->parent] && spm_cgroup_depths_match(&depths, g->depth, g->is_unit) &&
                    spm_plan_cgroup_rule(policy, g->path, g->is_unit ? g->name : NULL, NULL))
                        for (int p = g->parent; p >= 0 && !above[p]; p = t->cgroups[p].parent)
                                above[p] = true;
                if (!(above && above[i]) && !wanted(policy, &depths, g))
                        continue;
                if (n_watch == n_watch_allocated) {
                        size_t *grown = reallocarray(watch_list, MAX(n_watch_allocated * 2, (size_t) 16), sizeof *grown);

                        if (!grown)
                                return -ENOMEM;
                        watch_list = grown;
                        n_watch_allocated = MAX(n_watch_allocated * 2, (size_t) 16);
                }
                watch_list[n_watch++] = i;
        }

        /* parents first */
        for (size_t k = n_watch; k-- > 0;) {
                const spm_cgroup *g = &t->cgroups[watch_list[k]];
                _cleanup_free_ char *full = NULL;
                ssize_t j;
                watch *a;
                int wd;

                j = find(w, g->path);
                if (j >= 0 && w->watches[j].wd >= 0) {
                        if ((size_t) j < n_old)
                                keep[j] = true;
                        continue;
                }
                full = spm_path_join(SPM_PATH_CGROUPFS, "%s", g->path);
                if (!full)
                        return -ENOMEM;
                wd = inotify_add_watch(w->fd, full, WATCH_MASK);
                if (wd < 0) {
                        /* gone since the snapshot: its removal
                         * already marked us dirty, or will */
                        log_debug_errno(-errno, "Failed to watch '%s', ignoring: %m", full);
                        continue;
                }
                if (strv_extend(&added, g->path) < 0) {
                        (void) inotify_rm_watch(w->fd, wd);
                        return -ENOMEM;
                }
                if (j >= 0) {
                        w->watches[j].wd = wd;
                        if ((size_t) j < n_old)
                                keep[j] = true;
                        continue;
                }
                a = reallocarray(w->watches, w->n + 1, sizeof *a);
                if (!a)
                        return -ENOMEM;
                w->watches = a;
                a[w->n].wd = wd;
                a[w->n].path = strdup(g->path);
                if (!a[w->n].path) {
                        (void) inotify_rm_watch(w->fd, wd);
                        return -ENOMEM;
                }
                w->n++;
                log_debug("Watching cgroup '%s' for new children.", g->path[0] ? g->path : "/");
        }

        /* drop what the policy or the tree no longer asks for */
        for (size_t i = n_old; i-- > 0;) {
                if (keep[i])
                        continue;
                if (w->watches[i].wd >= 0)
                        (void) inotify_rm_watch(w->fd, w->watches[i].wd);
                free(w->watches[i].path);
                memmove(&w->watches[i], &w->watches[i + 1], (w->n - i - 1) * sizeof(watch));
                w->n--;
        }
        if (ret_added)
                *ret_added = TAKE_PTR(added);
        return (int) w->n;
}
