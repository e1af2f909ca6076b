/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Delivers the simulated kernel's uevents the way udevd would re-broadcast
 * them: a libudev monitor datagram (the "libudev" header, then the
 * properties), written to every listening socket umockdev's preload library
 * created for a netlink monitor (UMOCKDEV_DIR/event<N>). So a program
 * running under the preload receives them through udev_monitor_receive_device()
 * exactly as on a real host. A thread sends them in order, blocking while a
 * listener's queue is full, so the server never waits on a slow receiver.
 */

#include "model.h"

typedef struct sk_sender sk_sender;

/* dir: the umockdev testbed (NULL: do not deliver); log: a file that gets
 * one line per event (NULL: none). */
int sk_sender_new(const char *dir, const char *log, sk_sender **ret);
void sk_sender_free(sk_sender *s);
/* Copy an event into the queue. */
void sk_sender_queue(sk_sender *s, const sk_uevent *e);
/* Wait until the queue is empty. */
void sk_sender_flush(sk_sender *s);
void sk_sender_stats(sk_sender *s, unsigned long long *ret_sent, unsigned long long *ret_failed);

/* The datagram for one event (exposed for tests). Returns its length. */
size_t sk_uevent_datagram(const sk_uevent *e, char *buf, size_t size);
