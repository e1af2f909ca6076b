/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The uevent sender: libudev monitor wire format over umockdev's
 * per-monitor unix sockets. */

#include <arpa/inet.h>
#include <errno.h>
#include <glob.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "macro.h"
#include "uevent-send.h"

/* The header libudev puts before the properties of a udevd message. */
struct monitor_header {
        char prefix[8];             /* "libudev" */
        uint32_t magic;             /* 0xfeedcafe, network order */
        uint32_t header_size;
        uint32_t properties_off;
        uint32_t properties_len;
        uint32_t filter_subsystem_hash;
        uint32_t filter_devtype_hash;
        uint32_t filter_tag_bloom_hi;
        uint32_t filter_tag_bloom_lo;
};

/* MurmurHash2, seed 0: what libudev's in-kernel socket filters compare. */
static uint32_t murmur2(const char *s) {
        const uint32_t m = 0x5bd1e995;
        size_t len = strlen(s);
        const unsigned char *p = (const unsigned char *) s;
        uint32_t h = (uint32_t) len;

        for (; len >= 4; len -= 4, p += 4) {
                uint32_t k;

                memcpy(&k, p, 4);
                k *= m;
                k ^= k >> 24;
                k *= m;
                h = h * m ^ k;
        }
        switch (len) {
        case 3:
                h ^= (uint32_t) p[2] << 16;
                __attribute__((fallthrough));
        case 2:
                h ^= (uint32_t) p[1] << 8;
                __attribute__((fallthrough));
        case 1:
                h ^= p[0];
                h *= m;
        }
        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return h;
}

size_t sk_uevent_datagram(const sk_uevent *e, char *buf, size_t size) {
        struct monitor_header h = {
                .prefix = "libudev",
                .magic = htonl(0xfeedcafe),
                .header_size = sizeof(struct monitor_header),
                .properties_off = sizeof(struct monitor_header),
        };
        const char *devtype = NULL;
        size_t k = sizeof h;
        int n;

#define PROP(...)                                                               \
        do {                                                                    \
                n = snprintf(buf + k, size - k, __VA_ARGS__);                   \
                if (n < 0 || (size_t) n + 1 >= size - k)                        \
                        return 0;                                               \
                k += (size_t) n + 1;                                            \
        } while (0)

        PROP("ACTION=%s", e->action);
        PROP("DEVPATH=%s", e->devpath);
        PROP("SUBSYSTEM=%s", e->subsystem);
        for (size_t i = 0; i < SK_EVENT_ENV_MAX; i++) {
                const char *v = e->env[i];

                if (!v)
                        continue;
                if (startswith(v, "DEVTYPE="))
                        devtype = v + strlen("DEVTYPE=");
                /* udevd turns the kernel's DEVNAME into a /dev path */
                if (startswith(v, "DEVNAME=") && v[strlen("DEVNAME=")] != '/')
                        PROP("DEVNAME=/dev/%s", v + strlen("DEVNAME="));
                else
                        PROP("%s", v);
        }
        PROP("SEQNUM=%llu", (unsigned long long) e->seqnum);
#undef PROP

        h.properties_len = (uint32_t) (k - sizeof h);
        h.filter_subsystem_hash = htonl(murmur2(e->subsystem));
        if (devtype)
                h.filter_devtype_hash = htonl(murmur2(devtype));
        memcpy(buf, &h, sizeof h);
        return k;
}

typedef struct qitem {
        struct qitem *next;
        size_t len;
        char *line;
        char data[];
} qitem;

struct sk_sender {
        char *glob;
        FILE *log;
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond, idle;
        qitem *head, *tail;
        bool busy, quit;
        unsigned long long sent, failed;
};

static void deliver(sk_sender *s, const qitem *q) {
        glob_t gl;

        if (s->log && q->line) {
                fputs(q->line, s->log);
                fflush(s->log);
        }
        if (!s->glob)
                return;
        if (glob(s->glob, GLOB_NOSORT, NULL, &gl) != 0)
                return;
        for (size_t i = 0; i < gl.gl_pathc; i++) {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                struct timeval tv = { .tv_sec = 5 };
                _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

                if (fd < 0 || strlen(gl.gl_pathv[i]) >= sizeof sa.sun_path)
                        continue;
                strcpy(sa.sun_path, gl.gl_pathv[i]);
                /* block while the listener's queue is full, but not forever */
                (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
                if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                        continue; /* monitor closed: nobody to tell */
                if (send(fd, q->data, q->len, 0) < 0)
                        s->failed++;
                else
                        s->sent++;
        }
        globfree(&gl);
}

static void *run(void *p) {
        sk_sender *s = p;

        pthread_mutex_lock(&s->lock);
        for (;;) {
                qitem *q;

                while (!s->head && !s->quit)
                        pthread_cond_wait(&s->cond, &s->lock);
                if (!s->head)
                        break;
                q = s->head;
                s->head = q->next;
                if (!s->head)
                        s->tail = NULL;
                s->busy = true;
                pthread_mutex_unlock(&s->lock);
                deliver(s, q);
                free(q->line);
                free(q);
                pthread_mutex_lock(&s->lock);
                s->busy = false;
                if (!s->head)
                        pthread_cond_broadcast(&s->idle);
        }
        pthread_mutex_unlock(&s->lock);
        return NULL;
}

int sk_sender_new(const char *dir, const char *log, sk_sender **ret) {
        sk_sender *s = calloc(1, sizeof(*s));

        if (!s)
                return -ENOMEM;
        pthread_mutex_init(&s->lock, NULL);
        pthread_cond_init(&s->cond, NULL);
        pthread_cond_init(&s->idle, NULL);
        if (dir && asprintf(&s->glob, "%s/event[0-9]*", dir) < 0) {
                free(s);
                return -ENOMEM;
        }
        if (log) {
                s->log = fopen(log, "ae");
                if (!s->log) {
                        int r = -errno;
                        free(s->glob);
                        free(s);
                        return r;
                }
        }
        if (pthread_create(&s->thread, NULL, run, s) != 0) {
                free(s->glob);
                free(s);
                return -EAGAIN;
        }
        *ret = s;
        return 0;
}

void sk_sender_queue(sk_sender *s, const sk_uevent *e) {
        char buf[4096];
        size_t len = sk_uevent_datagram(e, buf, sizeof buf);
        qitem *q;

        if (len == 0)
                return;
        q = malloc(sizeof(qitem) + len);
        if (!q)
                return;
        q->next = NULL;
        q->len = len;
        memcpy(q->data, buf, len);
        q->line = NULL;
        if (s->log) {
                char env[512] = "";
                size_t k = 0;
                for (size_t i = 0; i < SK_EVENT_ENV_MAX; i++)
                        if (e->env[i])
                                k += (size_t) snprintf(env + k, sizeof env - k, " %s", e->env[i]);
                (void) asprintf(&q->line, "%llu %s %s %s%s\n", (unsigned long long) e->seqnum,
                                e->action, e->subsystem, e->devpath, env);
        }

        pthread_mutex_lock(&s->lock);
        if (s->tail)
                s->tail->next = q;
        else
                s->head = q;
        s->tail = q;
        pthread_cond_signal(&s->cond);
        pthread_mutex_unlock(&s->lock);
}

void sk_sender_flush(sk_sender *s) {
        pthread_mutex_lock(&s->lock);
        while (s->head || s->busy)
                pthread_cond_wait(&s->idle, &s->lock);
        pthread_mutex_unlock(&s->lock);
}

void sk_sender_stats(sk_sender *s, unsigned long long *ret_sent, unsigned long long *ret_failed) {
        pthread_mutex_lock(&s->lock);
        *ret_sent = s->sent;
        *ret_failed = s->failed;
        pthread_mutex_unlock(&s->lock);
}

void sk_sender_free(sk_sender *s) {
        if (!s)
                return;
        pthread_mutex_lock(&s->lock);
        s->quit = true;
        pthread_cond_signal(&s->cond);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
        if (s->log)
                fclose(s->log);
        free(s->glob);
        free(s);
}
