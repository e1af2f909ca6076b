/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * spm-simkernel: serves the simulated kernel as a FUSE file system (sysfs
 * with the cgroup2 mount at fs/cgroup), returns the model's errno from
 * write(2), sends the model's uevents to libudev monitors of processes
 * running under umockdev's preload, and takes hot-plug commands on a unix
 * control socket.
 *
 *   spm-simkernel --mount DIR [--scenario FILE] [--control SOCKET]
 *                 [--uevent-dir UMOCKDEV_DIR] [--uevent-log FILE]
 */

#define FUSE_USE_VERSION 35

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "macro.h"
#include "scenario.h"
#include "strutil.h"
#include "uevent-send.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static sk_model *model;
static sk_fs tree;
static sk_faults faults;
static sk_sender *sender;
static struct fuse *fuse_handle;
static unsigned long long n_dropped;
static const char *testbed;
static char **devnodes;             /* dax char devices made in <testbed>/dev */

/* umockdev shows <testbed>/dev/NAME as a character device whose number is
 * the target of the symlink <testbed>/dev/.node/NAME ("major:minor");
 * libdaxctl stats /dev/daxX.Y, so keep one per present dax device. */
static void sync_devnodes(void) {
        char path[4096], num[32];

        if (!testbed)
                return;
        for (char **i = devnodes; i && *i; i++)
                if (sk_model_find_dax(model, *i) < 0) {
                        snprintf(path, sizeof path, "%s/dev/%s", testbed, *i);
                        (void) unlink(path);
                        snprintf(path, sizeof path, "%s/dev/.node/%s", testbed, *i);
                        (void) unlink(path);
                        free(*i);
                        memmove(i, i + 1, (strv_length(i + 1) + 1) * sizeof(char *));
                        i--;
                }
        for (size_t d = 0; d < model->n_dax; d++) {
                const char *name = model->dax[d].name;
                size_t n = strv_length(devnodes);
                char **p;
                int fd;

                if (!model->dax[d].present || strv_contains(devnodes, name))
                        continue;
                snprintf(path, sizeof path, "%s/dev/.node", testbed);
                (void) mkdir(path, 0755);
                snprintf(path, sizeof path, "%s/dev/%s", testbed, name);
                fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
                if (fd >= 0)
                        close(fd);
                snprintf(path, sizeof path, "%s/dev/.node/%s", testbed, name);
                snprintf(num, sizeof num, "251:%zu", d);
                (void) unlink(path);
                (void) symlink(num, path);
                p = realloc(devnodes, (n + 2) * sizeof(char *));
                if (!p)
                        return;
                devnodes = p;
                p[n] = strdup(name);
                p[n + 1] = NULL;
        }
}

/* With the lock held: bring the path table up to date, pass queued events
 * to the sender (after the drop fault). */
static void sync_locked(void) {
        sk_uevent *e;
        size_t n;

        if (tree.generation != model->generation || tree.n == 0) {
                if (sk_fs_build(&tree, model) < 0)
                        fprintf(stderr, "spm-simkernel: out of memory rebuilding the tree\n");
                sync_devnodes();
        }

        e = sk_model_take_events(model, &n);
        for (size_t i = 0; i < n; i++) {
                if (faults.drop_uevents > 0) {
                        faults.drop_uevents--;
                        n_dropped++;
                        continue;
                }
                sk_sender_queue(sender, &e[i]);
        }
        sk_uevents_free(e, n);
}

/* ---------------------------------------------------------------- FUSE ops */

/* What show() produced for an open file: like sysfs (seq_file), a read at
 * offset 0 renders the value afresh, later offsets continue from that
 * rendering, so a reader in small chunks sees one consistent value. */
typedef struct rendered {
        char *buf;
        size_t len;
} rendered;


static void fill_stat(const sk_entry *e, struct stat *st) {
        memset(st, 0, sizeof(*st));
        switch (e->type) {
        case SK_E_DIR:
                st->st_mode = S_IFDIR | e->mode;
                st->st_nlink = 2;
                break;
        case SK_E_LINK:
                st->st_mode = S_IFLNK | 0777;
                st->st_nlink = 1;
                st->st_size = (off_t) strlen(e->target);
                break;
        default:
                st->st_mode = S_IFREG | e->mode;
                st->st_nlink = 1;
                /* sysfs files claim a page; cgroup files claim nothing */
                st->st_size = e->cgroup ? 0 : 4096;
                break;
        }
        st->st_blksize = 4096;
}

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
        const sk_entry *e;
        int r = -ENOENT;

        pthread_mutex_lock(&lock);
        sync_locked();
        e = sk_fs_lookup(&tree, path);
        if (e) {
                fill_stat(e, st);
                r = 0;
        }
        pthread_mutex_unlock(&lock);
        return r;
}

static int op_readlink(const char *path, char *buf, size_t size) {
        const sk_entry *e;
        int r = -ENOENT;

        pthread_mutex_lock(&lock);
        sync_locked();
        e = sk_fs_lookup(&tree, path);
        if (e && e->type != SK_E_LINK)
                r = -EINVAL;
        else if (e) {
                snprintf(buf, size, "%s", e->target);
                r = 0;
        }
        pthread_mutex_unlock(&lock);
        return r;
}

struct dir_ctx {
        void *buf;
        fuse_fill_dir_t filler;
};

static int dir_one(const sk_entry *e, const char *name, void *ud) {
        struct dir_ctx *c = ud;
        struct stat st;

        fill_stat(e, &st);
        return c->filler(c->buf, name, &st, 0, 0) != 0;
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
                      struct fuse_file_info *fi, enum fuse_readdir_flags flags) {
        struct dir_ctx c = { buf, filler };
        const sk_entry *e;
        int r = 0;

        pthread_mutex_lock(&lock);
        sync_locked();
        e = sk_fs_lookup(&tree, path);
        if (!e)
                r = -ENOENT;
        else if (e->type != SK_E_DIR)
                r = -ENOTDIR;
        else {
                filler(buf, ".", NULL, 0, 0);
                filler(buf, "..", NULL, 0, 0);
                sk_fs_children(&tree, path, dir_one, &c);
        }
        pthread_mutex_unlock(&lock);
        return r;
}

static int op_open(const char *path, struct fuse_file_info *fi) {
        const sk_entry *e;
        int acc = fi->flags & O_ACCMODE, r = 0;

        pthread_mutex_lock(&lock);
        sync_locked();
        e = sk_fs_lookup(&tree, path);
        if (!e)
                r = -ENOENT;
        else if (e->type == SK_E_DIR)
                r = -EISDIR;
        /* kernfs refuses to open for writing a file without a store, and
         * for reading one without a show; cgroupfs opens any file and
         * fails the write with EINVAL instead */
        else if (acc != O_RDONLY && !sk_fs_writable(e) && !e->cgroup)
                r = -EACCES;
        else if (acc != O_WRONLY && !sk_fs_readable(e))
                r = -EACCES;
        pthread_mutex_unlock(&lock);

        fi->direct_io = 1;   /* every read(2) comes here: values are live */
        fi->keep_cache = 0;
        if (r >= 0) {
                rendered *rd = calloc(1, sizeof(rendered));
                if (!rd)
                        return -ENOMEM;
                fi->fh = (uint64_t) (uintptr_t) rd;
        }
        return r;
}

static int op_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
        rendered *rd = (rendered *) (uintptr_t) fi->fh;
        const sk_entry *e;
        size_t len;

        if (!rd)
                return -EBADF;
        if (off == 0 || !rd->buf) {
                char *s = NULL;
                int r;

                pthread_mutex_lock(&lock);
                sync_locked();
                e = sk_fs_lookup(&tree, path);
                r = e ? sk_fs_read(model, e, &s, &len) : -ENOENT;
                pthread_mutex_unlock(&lock);
                if (r < 0)
                        return r;
                free(rd->buf);
                rd->buf = s;
                rd->len = len;
        }
        if ((size_t) off >= rd->len)
                return 0;
        len = MIN(rd->len - (size_t) off, size);
        memcpy(buf, rd->buf + off, len);
        return (int) len;
}

static int op_release(const char *path, struct fuse_file_info *fi) {
        rendered *rd = (rendered *) (uintptr_t) fi->fh;

        if (rd) {
                free(rd->buf);
                free(rd);
        }
        fi->fh = 0;
        return 0;
}

static int op_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
        unsigned delay_ms;
        const sk_entry *e;
        int r;

        pthread_mutex_lock(&lock);
        r = sk_faults_check(&faults, path, &delay_ms);
        pthread_mutex_unlock(&lock);
        if (delay_ms > 0)
                (void) nanosleep(&(struct timespec) { delay_ms / 1000, (long) (delay_ms % 1000) * 1000000L }, NULL);
        if (r < 0)
                return r;

        pthread_mutex_lock(&lock);
        sync_locked();
        e = sk_fs_lookup(&tree, path);
        if (!e)
                r = -ENOENT;
        else
                r = sk_fs_write(model, e, buf, size); /* one write(2), one store */
        sync_locked();
        pthread_mutex_unlock(&lock);
        return r < 0 ? r : (int) size;
}

static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi) {
        /* O_TRUNC on a sysfs file is ignored */
        return 0;
}

static const char *cgroup_rel(const char *path) {
        const char *p = startswith(path, "/fs/cgroup/");
        return p;
}

static int op_mkdir(const char *path, mode_t mode) {
        const char *cg = cgroup_rel(path);
        int r;

        if (!cg)
                return -EPERM;
        pthread_mutex_lock(&lock);
        r = sk_cgroup_mkdir(model, cg);
        sync_locked();
        pthread_mutex_unlock(&lock);
        return r < 0 ? r : 0;
}

static int op_rmdir(const char *path) {
        const char *cg = cgroup_rel(path);
        int r;

        if (!cg)
                return -EPERM;
        pthread_mutex_lock(&lock);
        r = sk_cgroup_rmdir(model, cg);
        sync_locked();
        pthread_mutex_unlock(&lock);
        return r;
}

/* Extended attributes: cgroupfs keeps trusted.* and user.* xattrs on
 * cgroup directories, and systemd marks the cgroups it delegates with
 * trusted.delegate (user.delegate since v251). The model keeps only that
 * mark, under either name; anything else is refused with EOPNOTSUPP, and
 * sysfs files have none (ENODATA), as kernfs answers for unset names. */
static bool delegate_name(const char *name) {
        return streq(name, "trusted.delegate") || streq(name, "user.delegate");
}

/* The model's cgroup at path, -ENOENT when nothing is there, -ENODATA for
 * an entry that is not a cgroup directory. Called with the lock held. */
static int xattr_cgroup_locked(const char *path) {
        const char *cg = cgroup_rel(path);
        int i;

        sync_locked();
        if (!sk_fs_lookup(&tree, path))
                return -ENOENT;
        if (!cg)
                return -ENODATA;
        i = sk_cgroup_find(model, cg);
        return i < 0 ? -ENODATA : i;
}

static int op_getxattr(const char *path, const char *name, char *value, size_t size) {
        int r;

        pthread_mutex_lock(&lock);
        r = xattr_cgroup_locked(path);
        if (r >= 0)
                r = delegate_name(name) && model->cgroups[r].delegated ? 1 : -ENODATA;
        pthread_mutex_unlock(&lock);
        if (r < 0)
                return r;
        if (size > 0)
                value[0] = '1';
        return 1;
}

static int op_listxattr(const char *path, char *list, size_t size) {
        static const char names[] = "trusted.delegate\0user.delegate\0";
        int r;

        pthread_mutex_lock(&lock);
        r = xattr_cgroup_locked(path);
        if (r >= 0)
                r = model->cgroups[r].delegated;
        pthread_mutex_unlock(&lock);
        if (r == -ENODATA || r == 0)
                return 0;
        if (r < 0)
                return r;
        if (size == 0)
                return (int) sizeof names;
        if (size < sizeof names)
                return -ERANGE;
        memcpy(list, names, sizeof names);
        return (int) sizeof names;
}

static int set_delegated(const char *path, const char *name, bool on) {
        int r;

        if (!delegate_name(name))
                return -EOPNOTSUPP;
        pthread_mutex_lock(&lock);
        r = xattr_cgroup_locked(path);
        if (r == -ENODATA)
                r = -EOPNOTSUPP;
        else if (r >= 0) {
                if (!on && !model->cgroups[r].delegated)
                        r = -ENODATA;
                else {
                        model->cgroups[r].delegated = on;
                        r = 0;
                }
        }
        pthread_mutex_unlock(&lock);
        return r;
}

static int op_setxattr(const char *path, const char *name, const char *value, size_t size, int flags) {
        return set_delegated(path, name, true);
}

static int op_removexattr(const char *path, const char *name) {
        return set_delegated(path, name, false);
}

static int op_create(const char *path, mode_t mode, struct fuse_file_info *fi) {
        return -EACCES;
}

static int op_unlink(const char *path) {
        return -EPERM;
}

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
        /* never cache: entries appear and vanish with the model */
        cfg->entry_timeout = 0;
        cfg->attr_timeout = 0;
        cfg->negative_timeout = 0;
        cfg->direct_io = 1;
        cfg->kernel_cache = 0;
        return NULL;
}

static const struct fuse_operations ops = {
        .init = op_init,
        .getattr = op_getattr,
        .readlink = op_readlink,
        .readdir = op_readdir,
        .open = op_open,
        .read = op_read,
        .release = op_release,
        .write = op_write,
        .truncate = op_truncate,
        .mkdir = op_mkdir,
        .rmdir = op_rmdir,
        .create = op_create,
        .unlink = op_unlink,
        .getxattr = op_getxattr,
        .listxattr = op_listxattr,
        .setxattr = op_setxattr,
        .removexattr = op_removexattr,
};

/* ---------------------------------------------------------------- control */

int sk_control_command(char *line, char **ret_reply);

static char *errno_reply(int r, const char *what) {
        char *s = NULL;
        (void) asprintf(&s, "err %d %s: %s\n", -r, what, strerror(-r));
        return s;
}

int sk_control_command(char *line, char **ret_reply) {
        char *argv[32], *save = NULL, *reply = NULL;
        int argc = 0, r = 0;

        for (char *t = strtok_r(line, " \t\r\n", &save); t && argc < 31; t = strtok_r(NULL, " \t\r\n", &save))
                argv[argc++] = t;
        argv[argc] = NULL;
        if (argc == 0) {
                *ret_reply = strdup("ok\n");
                return 0;
        }

        pthread_mutex_lock(&lock);
        if (streq(argv[0], "add-dax")) {
                sk_dax_spec spec = { .provider = SK_PROV_HMEM, .node = -1, .size = UINT64_C(1) << 30 };
                for (int i = 1; i < argc && r >= 0; i++) {
                        char *eq = strchr(argv[i], '=');
                        if (!eq)
                                r = -EINVAL;
                        else {
                                *eq = 0;
                                r = sk_dax_spec_set(&spec, argv[i], eq + 1);
                        }
                }
                if (r >= 0)
                        r = sk_model_add_dax(model, &spec);
                if (r >= 0)
                        (void) asprintf(&reply, "ok %s\n", model->dax[r].name);
        } else if (streq(argv[0], "remove-dax") && argc == 2) {
                r = sk_model_remove_dax(model, argv[1]);
        } else if (streq(argv[0], "add-region")) {
                sk_region_spec spec = { .node = -1, .size = UINT64_C(1) << 30 };
                for (int i = 1; i < argc && r >= 0; i++) {
                        if (startswith(argv[i], "node="))
                                spec.node = atoi(argv[i] + 5);
                        else if (startswith(argv[i], "size="))
                                r = sk_parse_size(argv[i] + 5, &spec.size);
                        else if (startswith(argv[i], "spm_node="))
                                spec.spm_node = streq(argv[i] + 9, "1");
                        else if (startswith(argv[i], "protected_memory="))
                                spec.spm_node = streq(argv[i] + 17, "1");
                        else if (startswith(argv[i], "auto="))
                                spec.auto_region = streq(argv[i] + 5, "1");
                        else if (startswith(argv[i], "private="))
                                spec.private_mem = streq(argv[i] + 8, "1");
                        else if (startswith(argv[i], "private_type="))
                                spec.private_type = argv[i] + 13;
                        else if (startswith(argv[i], "commit="))
                                spec.uncommitted = streq(argv[i] + 7, "0");
                        else
                                r = -EINVAL;
                }
                if (r >= 0)
                        r = sk_model_add_region_spec(model, &spec);
                if (r >= 0)
                        (void) asprintf(&reply, "ok region%u\n", model->regions[r].id);
        } else if (streq(argv[0], "remove-region") && argc == 2) {
                r = sk_model_remove_region(model, (unsigned) atoi(argv[1] + (startswith(argv[1], "region") ? 6 : 0)));
        } else if (streq(argv[0], "mkdir") && argc == 2) {
                r = sk_cgroup_mkdir(model, argv[1]);
        } else if (streq(argv[0], "rmdir") && argc == 2) {
                r = sk_cgroup_rmdir(model, argv[1]);
        } else if (streq(argv[0], "write") && argc >= 3) {
                char value[4096];
                const sk_entry *e;
                size_t k = 0;

                /* the rest of the line, single spaces between words */
                value[0] = 0;
                for (int i = 2; i < argc && k < sizeof value; i++)
                        k += (size_t) snprintf(value + k, sizeof value - k, "%s%s", i > 2 ? " " : "", argv[i]);
                sync_locked();
                e = sk_fs_lookup(&tree, argv[1]);
                r = e ? sk_fs_write(model, e, value, strlen(value)) : -ENOENT;
        } else if (streq(argv[0], "read") && argc == 2) {
                const sk_entry *e;
                char *s = NULL;
                size_t len;
                sync_locked();
                e = sk_fs_lookup(&tree, argv[1]);
                r = e ? sk_fs_read(model, e, &s, &len) : -ENOENT;
                if (r >= 0)
                        (void) asprintf(&reply, "ok %s", s);
                free(s);
        } else if (streq(argv[0], "busy") && argc == 3) {
                bool v = streq(argv[2], "1");
                unsigned b;
                int di;
                if (sscanf(argv[1], "memory%u", &b) == 1 && b < model->n_blocks && model->blocks[b].present)
                        model->blocks[b].busy = v;
                else if ((di = sk_model_find_dax(model, argv[1])) >= 0) {
                        model->dax[di].busy = v;
                        for (size_t k = 0; k < model->n_blocks; k++)
                                if (model->blocks[k].present && model->blocks[k].dax == di)
                                        model->blocks[k].busy = v;
                } else
                        r = -ENODEV;
        } else if (streq(argv[0], "fail") && argc >= 4) {
                r = sk_parse_errno(argv[3]);
                if (r > 0)
                        r = sk_faults_add_fail(&faults, argv[1], (unsigned) atoi(argv[2]), r,
                                               argc >= 5 ? (unsigned) atoi(argv[4]) : 1);
        } else if (streq(argv[0], "delay") && argc == 3) {
                r = sk_faults_add_delay(&faults, argv[1], (unsigned) atoi(argv[2]));
        } else if (streq(argv[0], "clear-faults")) {
                sk_faults_done(&faults);
        } else if (streq(argv[0], "drop-uevents") && argc == 2) {
                faults.drop_uevents = (unsigned) atoi(argv[1]);
        } else if (streq(argv[0], "burst") && argc == 2) {
                r = sk_model_burst(model, (unsigned) atoi(argv[1]));
        } else if (streq(argv[0], "load-kmem") && argc == 1) {
                r = sk_model_load_kmem(model);
        } else if (streq(argv[0], "auto-online") && argc == 2) {
                r = sk_store_auto_online(model, argv[1], strlen(argv[1]));
        } else if (streq(argv[0], "stats")) {
                unsigned long long sent, failed;
                sk_sender_stats(sender, &sent, &failed);
                (void) asprintf(&reply, "ok seqnum=%llu sent=%llu send_failed=%llu dropped=%llu\n",
                                (unsigned long long) model->seqnum, sent, failed, n_dropped);
        } else if (streq(argv[0], "sync")) {
                /* fall through: the reply goes after the queue drains */
        } else if (streq(argv[0], "quit")) {
                if (fuse_handle)
                        fuse_exit(fuse_handle);
        } else
                r = -EOPNOTSUPP;

        sync_locked();
        pthread_mutex_unlock(&lock);

        if (r >= 0 && streq(argv[0], "sync"))
                sk_sender_flush(sender);

        if (!reply)
                reply = r < 0 ? errno_reply(r, argv[0]) : strdup("ok\n");
        *ret_reply = reply;
        return r < 0 ? r : 0;
}

static void *control_conn(void *p) {
        int fd = (int) (intptr_t) p;
        _cleanup_fclose_ FILE *f = fdopen(fd, "r");
        char *line = NULL;
        size_t cap = 0;

        if (!f) {
                close(fd);
                return NULL;
        }
        while (getline(&line, &cap, f) > 0) {
                char *reply = NULL;

                (void) sk_control_command(line, &reply);
                if (reply) {
                        (void) !write(fd, reply, strlen(reply));
                        free(reply);
                }
        }
        free(line);
        return NULL;
}

/* One thread per connection, so a client that keeps its connection open
 * (a test's background process) does not lock the others out. */
static void *control_thread(void *p) {
        int lfd = (int) (intptr_t) p;

        for (;;) {
                pthread_t th;
                int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

                if (fd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        break;
                }
                if (pthread_create(&th, NULL, control_conn, (void *) (intptr_t) fd) != 0) {
                        close(fd);
                        continue;
                }
                pthread_detach(th);
        }
        return NULL;
}

static int control_listen(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        (void) unlink(path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0 || listen(fd, 16) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

/* ---------------------------------------------------------------- main */

static void help(void) {
        printf("spm-simkernel --mount DIR [--scenario FILE] [--control SOCKET]\n"
               "              [--uevent-dir UMOCKDEV_DIR] [--uevent-log FILE] [--die-with-parent] [--debug]\n");
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "mount",      required_argument, NULL, 'm' },
                { "scenario",   required_argument, NULL, 's' },
                { "control",    required_argument, NULL, 'c' },
                { "uevent-dir", required_argument, NULL, 'u' },
                { "uevent-log", required_argument, NULL, 'l' },
                { "debug",      no_argument,       NULL, 'd' },
                { "die-with-parent", no_argument,  NULL, 'P' },
                { "help",       no_argument,       NULL, 'h' },
                {}
        };
        const char *mnt = NULL, *scenario = NULL, *control = NULL, *udir = NULL, *ulog = NULL;
        struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
        char *err = NULL;
        bool debug = false;
        pthread_t th;
        int c, r, lfd = -1;

        while ((c = getopt_long(argc, argv, "m:s:c:u:l:dPh", options, NULL)) >= 0)
                switch (c) {
                case 'm': mnt = optarg; break;
                case 's': scenario = optarg; break;
                case 'c': control = optarg; break;
                case 'u': udir = optarg; break;
                case 'l': ulog = optarg; break;
                case 'd': debug = true; break;
                case 'P':
                        /* a test that dies still gets its mount removed:
                         * SIGTERM ends the loop, which unmounts */
                        if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() == 1)
                                return 1;
                        break;
                case 'h': help(); return 0;
                default: return 2;
                }
        if (!mnt) {
                help();
                return 2;
        }

        r = sk_scenario_load(scenario, &model, &faults, &err);
        if (r < 0) {
                fprintf(stderr, "spm-simkernel: scenario %s: %s\n", scenario ?: "(default)", err ?: strerror(-r));
                return 1;
        }
        testbed = udir;
        if (testbed) {
                char p[4096];
                snprintf(p, sizeof p, "%s/dev", testbed);
                (void) mkdir(p, 0755);
        }
        r = sk_fs_build(&tree, model);
        if (r < 0)
                return 1;
        sync_devnodes();

        r = sk_sender_new(udir, ulog, &sender);
        if (r < 0) {
                fprintf(stderr, "spm-simkernel: uevent sender: %s\n", strerror(-r));
                return 1;
        }

        if (fuse_opt_add_arg(&args, "spm-simkernel") < 0 ||
            fuse_opt_add_arg(&args, "-o") < 0 ||
            fuse_opt_add_arg(&args, getuid() == 0 ? "fsname=spm-simkernel,subtype=spmsim,allow_other" : "fsname=spm-simkernel,subtype=spmsim") < 0 ||
            (debug && fuse_opt_add_arg(&args, "-d") < 0))
                return 1;

        fuse_handle = fuse_new(&args, &ops, sizeof ops, NULL);
        if (!fuse_handle)
                return 1;
        if (fuse_mount(fuse_handle, mnt) < 0) {
                fprintf(stderr, "spm-simkernel: cannot mount on %s\n", mnt);
                return 1;
        }
        if (fuse_set_signal_handlers(fuse_get_session(fuse_handle)) < 0)
                return 1;

        if (control) {
                lfd = control_listen(control);
                if (lfd < 0) {
                        fprintf(stderr, "spm-simkernel: control socket %s: %s\n", control, strerror(-lfd));
                        fuse_unmount(fuse_handle);
                        return 1;
                }
                if (pthread_create(&th, NULL, control_thread, (void *) (intptr_t) lfd) != 0)
                        return 1;
                pthread_detach(th);
        }

        {
                struct fuse_loop_config *lc = fuse_loop_cfg_create();
                r = fuse_loop_mt(fuse_handle, lc);
                fuse_loop_cfg_destroy(lc);
        }

        fuse_remove_signal_handlers(fuse_get_session(fuse_handle));
        fuse_unmount(fuse_handle);
        fuse_destroy(fuse_handle);
        fuse_opt_free_args(&args);
        if (control)
                (void) unlink(control);
        sk_sender_flush(sender);
        sk_sender_free(sender);
        pthread_mutex_lock(&lock);
        sk_fs_clear(&tree);
        model = sk_model_free(model);
        sk_faults_done(&faults);
        strv_free(devnodes);
        pthread_mutex_unlock(&lock);
        return r < 0 ? 1 : 0;
}
