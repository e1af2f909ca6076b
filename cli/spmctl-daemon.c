/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Verbs that talk to spmd: reload, monitor; and the daemon section of
 * status. */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-client.h"
#include "json-writer.h"
#include "macro.h"
#include "spmctl.h"

/* The connection for verbs that need the daemon; prints why when there is
 * none. */
static int need_daemon(spmctl_context *ctx, sd_bus **ret) {
        sd_bus *bus = NULL;
        int r;

        r = spmctl_bus_open(ctx->user_bus, &bus);
        if (r < 0)
                return spmctl_error("Could not connect to the %s bus: %s", ctx->user_bus ? "user" : "system",
                                    strerror(-r));
        if (!spmctl_daemon_running(bus)) {
                sd_bus_flush_close_unref(bus);
                return spmctl_error("spmd is not running (no owner of '%s' on the %s bus).", SPMCTL_BUS_NAME,
                                    ctx->user_bus ? "user" : "system");
        }
        *ret = bus;
        return 0;
}

int verb_reload(int argc, char *argv[], spmctl_context *ctx) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        if (need_daemon(ctx, &bus) != 0)
                return SPMCTL_EXIT_FAILURE;

        r = sd_bus_message_new_method_call(bus, &m, SPMCTL_BUS_NAME, SPMCTL_BUS_PATH, SPMCTL_BUS_IFACE, "Reload");
        if (r >= 0)
                r = sd_bus_message_set_allow_interactive_authorization(m, ctx->ask_password);
        if (r < 0)
                return spmctl_error("Could not build the Reload call: %s", strerror(-r));

        r = sd_bus_call(bus, m, 0, &e, &reply);
        if (r < 0) {
                spmctl_error("Could not reload: %s", spmctl_bus_error_message(&e, r));
                sd_bus_error_free(&e);
                return SPMCTL_EXIT_FAILURE;
        }
        return SPMCTL_EXIT_OK;
}

/* Send a method call built by the caller, with interactive authorization
 * as the user asked; print the error the way every verb does. */
static int call(sd_bus *bus, sd_bus_message *m, spmctl_context *ctx, const char *what, sd_bus_message **ret) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_message_set_allow_interactive_authorization(m, ctx->ask_password);
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &e, ret);
        if (r < 0) {
                spmctl_error("Could not %s: %s", what, spmctl_bus_error_message(&e, r));
                sd_bus_error_free(&e);
                return SPMCTL_EXIT_FAILURE;
        }
        return SPMCTL_EXIT_OK;
}

/* classify DEVICE CLASS [POOL] */
int verb_classify(int argc, char *argv[], spmctl_context *ctx) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (need_daemon(ctx, &bus) != 0)
                return SPMCTL_EXIT_FAILURE;
        r = sd_bus_message_new_method_call(bus, &m, SPMCTL_BUS_NAME, SPMCTL_BUS_PATH, SPMCTL_BUS_IFACE, "Classify");
        if (r >= 0)
                r = sd_bus_message_append(m, "ssssb", argv[1], argv[2], argc > 3 ? argv[3] : "",
                                          strempty(ctx->online), ctx->runtime);
        if (r < 0)
                return spmctl_error("Could not build the call: %s", strerror(-r));
        return call(bus, m, ctx, "classify the device", NULL);
}

/* online DEVICE / offline DEVICE */
static int device_onoff(char *argv[], spmctl_context *ctx, bool online) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (need_daemon(ctx, &bus) != 0)
                return SPMCTL_EXIT_FAILURE;
        r = sd_bus_message_new_method_call(bus, &m, SPMCTL_BUS_NAME, SPMCTL_BUS_PATH, SPMCTL_BUS_IFACE,
                                           online ? "Online" : "Offline");
        if (r >= 0)
                r = online ? sd_bus_message_append(m, "s", argv[1]) : sd_bus_message_append(m, "sb", argv[1], ctx->runtime);
        if (r < 0)
                return spmctl_error("Could not build the call: %s", strerror(-r));
        return call(bus, m, ctx, online ? "bring the device online" : "take the device offline", NULL);
}

int verb_online(int argc, char *argv[], spmctl_context *ctx) {
        return device_onoff(argv, ctx, true);
}

int verb_offline(int argc, char *argv[], spmctl_context *ctx) {
        return device_onoff(argv, ctx, false);
}

static int change_pools(int argc, char *argv[], spmctl_context *ctx, const char *method) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (need_daemon(ctx, &bus) != 0)
                return SPMCTL_EXIT_FAILURE;
        r = sd_bus_message_new_method_call(bus, &m, SPMCTL_BUS_NAME, SPMCTL_BUS_PATH, SPMCTL_BUS_IFACE, method);
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", ctx->unit ? "unit" : "cgroup", argv[1]);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, argv + 2);
        if (r >= 0)
                r = sd_bus_message_append(m, "b", ctx->runtime);
        if (r < 0)
                return spmctl_error("Could not build the call: %s", strerror(-r));
        return call(bus, m, ctx, streq(method, "Grant") ? "grant the pools" : "revoke the pools", NULL);
}

int verb_grant(int argc, char *argv[], spmctl_context *ctx) {
        return change_pools(argc, argv, ctx, "Grant");
}

int verb_revoke(int argc, char *argv[], spmctl_context *ctx) {
        return change_pools(argc, argv, ctx, "Revoke");
}

/* verify: is the host what the policy says? Exit 0 yes, 2 no. */
int verb_verify(int argc, char *argv[], spmctl_context *ctx) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        const char *json;
        uint32_t n;
        int r;

        if (spmctl_bus_open(ctx->user_bus, &bus) < 0 || !spmctl_daemon_running(bus)) {
                /* Without the daemon, the installed policy against the
                 * kernel says the same thing. */
                char *plan_argv[] = { (char *) "plan", NULL };

                fprintf(stderr, "spmd is not running; planning the installed policy directly.\n");
                return verb_plan(1, plan_argv, ctx);
        }

        r = sd_bus_message_new_method_call(bus, &m, SPMCTL_BUS_NAME, SPMCTL_BUS_PATH, SPMCTL_BUS_IFACE, "Verify");
        if (r < 0)
                return spmctl_error("Could not build the call: %s", strerror(-r));
        r = call(bus, m, ctx, "verify", &reply);
        if (r != SPMCTL_EXIT_OK)
                return r;
        r = sd_bus_message_read(reply, "us", &n, &json);
        if (r < 0)
                return spmctl_error("Could not parse spmd's answer: %s", strerror(-r));

        if (ctx->json)
                puts(json);
        else if (n == 0)
                printf("The host is what the policy says.\n");
        else
                printf("%u change(s) pending; 'spmctl plan' shows them.\n", n);
        return n == 0 ? SPMCTL_EXIT_OK : SPMCTL_EXIT_CHANGES;
}

/* ---- status: the daemon's own view ---- */

typedef struct daemon_info {
        char *version, *policy_state, *policy_error;
        int settled;
        uint32_t pending;
        uint64_t reconciles, resyncs, uevents;
} daemon_info;

static void daemon_info_done(daemon_info *d) {
        free(d->version);
        free(d->policy_state);
        free(d->policy_error);
}

static int get_string(sd_bus *bus, const char *name, char **ret) {
        return sd_bus_get_property_string(bus, SPMCTL_BUS_NAME, SPMCTL_BUS_PATH, SPMCTL_BUS_IFACE, name, NULL, ret);
}

static int get_trivial(sd_bus *bus, const char *name, char type, void *ret) {
        return sd_bus_get_property_trivial(bus, SPMCTL_BUS_NAME, SPMCTL_BUS_PATH, SPMCTL_BUS_IFACE, name, NULL, type,
                                           ret);
}

static void print_info(const daemon_info *d, json_writer *w) {
        if (w) {
                json_object_open(w);
                json_kv_string(w, "version", d->version);
                json_kv_string(w, "policy_state", d->policy_state);
                json_kv_string(w, "policy_error", d->policy_error && *d->policy_error ? d->policy_error : NULL);
                json_kv_bool(w, "settled", d->settled);
                json_kv_u64(w, "pending_actions", d->pending);
                json_kv_u64(w, "reconciles", d->reconciles);
                json_kv_u64(w, "resyncs", d->resyncs);
                json_kv_u64(w, "uevents", d->uevents);
                json_object_close(w);
                return;
        }

        printf("Daemon:          spmd %s, %s, %u change(s) pending\n", d->version,
               d->settled ? "settled" : "working", d->pending);
        printf("Policy:          %s%s%s\n", d->policy_state, d->policy_error && *d->policy_error ? ": " : "",
               strempty(d->policy_error));
        printf("Passes:          %llu (%llu resyncs), %llu uevents\n", (unsigned long long) d->reconciles,
               (unsigned long long) d->resyncs, (unsigned long long) d->uevents);
}

int spmctl_daemon_status(spmctl_context *ctx, json_writer *w) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        daemon_info d = {};
        int r;

        if (spmctl_bus_open(ctx->user_bus, &bus) < 0 || !spmctl_daemon_running(bus))
                return 0;

        if ((r = get_string(bus, "Version", &d.version)) < 0 ||
            (r = get_string(bus, "PolicyState", &d.policy_state)) < 0 ||
            (r = get_string(bus, "PolicyError", &d.policy_error)) < 0 ||
            (r = get_trivial(bus, "Settled", 'b', &d.settled)) < 0 ||
            (r = get_trivial(bus, "PendingActions", 'u', &d.pending)) < 0 ||
            (r = get_trivial(bus, "ReconcileCount", 't', &d.reconciles)) < 0 ||
            (r = get_trivial(bus, "ResyncCount", 't', &d.resyncs)) < 0 ||
            (r = get_trivial(bus, "UeventCount", 't', &d.uevents)) < 0) {
                daemon_info_done(&d);
                spmctl_error("spmd is running but did not answer: %s", strerror(-r));
                return r;
        }

        print_info(&d, w);
        daemon_info_done(&d);
        return 1;
}

/* ---- monitor ---- */

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        spmctl_context *ctx = userdata;
        const char *member = sd_bus_message_get_member(m);
        const char *sig = sd_bus_message_get_signature(m, true);
        const char *s1 = NULL, *s2 = NULL;
        uint32_t u = 0;
        int32_t i = 0;
        int r = 0;

        if (streq_ptr(sig, "so") || streq_ptr(sig, "ss"))
                r = sd_bus_message_read(m, sig, &s1, &s2);
        else if (streq_ptr(sig, "us"))
                r = sd_bus_message_read(m, "us", &u, &s2);
        else if (streq_ptr(sig, "is"))
                r = sd_bus_message_read(m, "is", &i, &s2);
        else if (streq_ptr(sig, "s"))
                r = sd_bus_message_read(m, "s", &s2);
        if (r < 0)
                return 0;

        if (ctx->json) {
                json_writer w;

                json_begin(&w, stdout);
                json_object_open(&w);
                json_kv_string(&w, "signal", member);
                if (streq_ptr(sig, "so")) {
                        json_kv_string(&w, "device", s1);
                        json_kv_string(&w, "path", s2);
                } else if (streq_ptr(sig, "ss")) {
                        json_kv_string(&w, "device", s1);
                        json_kv_string(&w, "state", s2);
                } else if (streq_ptr(sig, "us")) {
                        json_kv_u64(&w, "node", u);
                        json_kv_string(&w, "class", s2);
                } else if (streq_ptr(sig, "is")) {
                        json_kv_int(&w, "errno", i);
                        json_kv_string(&w, "message", s2);
                } else if (streq_ptr(sig, "s"))
                        json_kv_string(&w, "error", s2);
                json_object_close(&w);
                json_end(&w);
        } else if (streq_ptr(sig, "us"))
                printf("%s node %u %s\n", member, u, s2);
        else if (streq_ptr(sig, "is"))
                printf("%s errno %d: %s\n", member, i, s2);
        else
                printf("%s%s%s%s%s\n", member, s1 ? " " : "", strempty(s1), s2 ? " " : "", strempty(s2));
        fflush(stdout);
        return 0;
}

int verb_monitor(int argc, char *argv[], spmctl_context *ctx) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        sigset_t mask;
        int r;

        if (need_daemon(ctx, &bus) != 0)
                return SPMCTL_EXIT_FAILURE;

        r = sd_bus_match_signal(bus, NULL, SPMCTL_BUS_NAME, SPMCTL_BUS_PATH, SPMCTL_BUS_IFACE, NULL, on_signal, ctx);
        if (r < 0)
                return spmctl_error("Could not subscribe to spmd's signals: %s", strerror(-r));

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
            (r = sd_event_default(&event)) < 0 ||
            (r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL)) < 0 ||
            (r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL)) < 0 ||
            (r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL)) < 0)
                return spmctl_error("Could not set up the event loop: %s", strerror(r < 0 ? -r : errno));

        if (!ctx->json)
                fprintf(stderr, "Following spmd's signals; Ctrl-C to stop.\n");
        r = sd_event_loop(event);
        if (r < 0)
                return spmctl_error("Event loop failed: %s", strerror(-r));
        return SPMCTL_EXIT_OK;
}
