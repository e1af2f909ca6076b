/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "spmd-bus.h"
#include "spmd-manager.h"
#include "spmd-polkit.h"

typedef struct auth_rule {
        const char *interface;
        const char *member;
        const char *action;         /* NULL: open to everybody */
} auth_rule;

/* The whole table. Anything not here is refused. */
static const auth_rule rules[] = {
        { SPM_BUS_IFACE_MANAGER, "ListNodes",   NULL },
        { SPM_BUS_IFACE_MANAGER, "ListDevices", NULL },
        { SPM_BUS_IFACE_MANAGER, "ListCgroups", NULL },
        { SPM_BUS_IFACE_MANAGER, "Plan",        NULL },
        { SPM_BUS_IFACE_MANAGER, "Verify",      NULL },
        { SPM_BUS_IFACE_MANAGER, "Reload",      "org.spmd.spm1.reload" },
        { SPM_BUS_IFACE_MANAGER, "Classify",    "org.spmd.spm1.classify" },
        { SPM_BUS_IFACE_MANAGER, "Offline",     "org.spmd.spm1.online" },
        { SPM_BUS_IFACE_MANAGER, "Online",      "org.spmd.spm1.online" },
        { SPM_BUS_IFACE_MANAGER, "Grant",       "org.spmd.spm1.grant" },
        { SPM_BUS_IFACE_MANAGER, "Revoke",      "org.spmd.spm1.grant" },
};

const char *spmd_polkit_action_for(const char *interface, const char *member) {
        for (size_t i = 0; i < ELEMENTSOF(rules); i++)
                if (streq_ptr(rules[i].interface, interface) && streq_ptr(rules[i].member, member))
                        return rules[i].action;
        return SPMD_POLKIT_UNLISTED;
}

/* One question to polkit, keyed by the method call it is about. */
typedef struct auth_query {
        struct auth_query *next;
        manager *manager;
        sd_bus_message *request;    /* the call being authorized (ref) */
        sd_bus_slot *slot;          /* the pending CheckAuthorization */
        char *action;
        int result;                 /* -1 pending, 0 denied, 1 allowed */
        sd_bus_error error;         /* why polkit failed, if it did */
} auth_query;

struct spmd_polkit {
        auth_query *queries;
};

static auth_query *auth_query_free(auth_query *q) {
        if (!q)
                return NULL;
        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->request);
        sd_bus_error_free(&q->error);
        free(q->action);
        free(q);
        return NULL;
}

static void unlink_query(spmd_polkit *p, auth_query *q) {
        for (auth_query **i = &p->queries; *i; i = &(*i)->next)
                if (*i == q) {
                        *i = q->next;
                        return;
                }
}

spmd_polkit *spmd_polkit_free(spmd_polkit *p) {
        if (!p)
                return NULL;
        while (p->queries) {
                auth_query *q = p->queries;
                p->queries = q->next;
                auth_query_free(q);
        }
        free(p);
        return NULL;
}

static int on_check_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        auth_query *q = userdata;
        const sd_bus_error *e;
        int authorized = 0, challenge = 0, r;

        q->slot = sd_bus_slot_unref(q->slot);

        e = sd_bus_message_get_error(reply);
        if (e) {
                /* polkit missing or broken: refuse, and say why */
                if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                        sd_bus_error_set(&q->error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Authorization through polkit is not available on this system.");
                else
                        sd_bus_error_copy(&q->error, e);
                q->result = 0;
        } else {
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                if (r < 0) {
                        sd_bus_error_set_errnof(&q->error, -r, "Could not parse the polkit answer: %m");
                        q->result = 0;
                } else {
                        q->result = authorized ? 1 : 0;
                        if (!authorized && challenge)
                                sd_bus_error_set(&q->error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                                 "Interactive authentication required.");
                }
        }

        /* Dispatch the original call again: the handler now finds the
         * answer and goes on (or refuses). */
        r = sd_bus_enqueue_for_read(sd_bus_message_get_bus(q->request), q->request);
        if (r < 0) {
                log_error_errno(r, "Failed to replay a method call after authorization: %m");
                unlink_query(q->manager->polkit, q);
                auth_query_free(q);
        }
        return 0;
}

static auth_query *find_query(spmd_polkit *p, sd_bus_message *msg) {
        for (auth_query *q = p ? p->queries : NULL; q; q = q->next)
                if (q->request == msg)
                        return q;
        return NULL;
}

int spmd_authorize(manager *m, sd_bus_message *msg, sd_bus_error *error) {
        const char *action = spmd_polkit_action_for(sd_bus_message_get_interface(msg),
                                                    sd_bus_message_get_member(msg));
        auth_query *q;
        int r;

        if (action == SPMD_POLKIT_UNLISTED)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "Method '%s' is not authorized for anybody.",
                                         strna(sd_bus_message_get_member(msg)));
        if (!action)
                return 1;

        /* A replayed call: polkit has answered. */
        q = find_query(m->polkit, msg);
        if (q) {
                if (q->result < 0)
                        return 0;   /* still waiting; should not be dispatched yet */
                r = q->result;
                log_debug("Authorization of '%s' for '%s' answered: %i (%s)", strna(sd_bus_message_get_sender(msg)),
                          q->action, r, strna(q->error.message));
                if (r == 0) {
                        if (sd_bus_error_is_set(&q->error))
                                r = sd_bus_error_copy(error, &q->error);
                        else
                                r = sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                                      "Not authorized for '%s'.", q->action);
                        if (r >= 0)
                                r = -EACCES;
                }
                unlink_query(m->polkit, q);
                auth_query_free(q);
                return r;
        }

        r = sd_bus_query_sender_privilege(msg, CAP_SYS_ADMIN);
        log_debug("Privilege of '%s' for '%s': %i", strna(sd_bus_message_get_sender(msg)), action, r);
        if (r < 0)
                return r;
        if (r > 0)
                return 1;

        if (!m->polkit) {
                m->polkit = calloc(1, sizeof(spmd_polkit));
                if (!m->polkit)
                        return -ENOMEM;
        }

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->manager = m;
        q->result = -1;
        q->request = sd_bus_message_ref(msg);
        q->action = strdup(action);
        if (!q->action) {
                auth_query_free(q);
                return -ENOMEM;
        }

        r = sd_bus_call_method_async(sd_bus_message_get_bus(msg), &q->slot, "org.freedesktop.PolicyKit1",
                                     "/org/freedesktop/PolicyKit1/Authority",
                                     "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization", on_check_reply, q,
                                     "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s",
                                     sd_bus_message_get_sender(msg), action, 0,
                                     (uint32_t) (sd_bus_message_get_allow_interactive_authorization(msg) > 0 ? 1 : 0),
                                     "");
        if (r < 0) {
                auth_query_free(q);
                return sd_bus_error_set_errnof(error, -r, "Could not ask polkit: %m");
        }

        q->next = m->polkit->queries;
        m->polkit->queries = q;
        return 0;
}
