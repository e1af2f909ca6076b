/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "macro.h"
#include "plan.h"
#include "string-table.h"
#include "strutil.h"

spm_plan *spm_plan_new(void) {
        return calloc(1, sizeof(spm_plan));
}

spm_plan *spm_plan_free(spm_plan *p) {
        if (!p)
                return NULL;
        free(p->actions);
        for (size_t i = 0; i < p->n_chunks; i++)
                free(p->chunks[i]);
        free(p->chunks);
        for (size_t i = 0; i < p->n_texts; i++)
                free(p->texts[i]);
        free(p->texts);
        for (size_t i = 0; i < p->n_masks; i++)
                free(p->masks[i]);
        free(p->masks);
        for (size_t i = 0; i < p->n_blocked; i++) {
                free(p->blocked[i].object);
                free(p->blocked[i].rule);
                free(p->blocked[i].reason);
        }
        free(p->blocked);
        return mfree(p);
}

static int dup_or_null(const char *s, char **ret) {
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

/* The plan's copy of s (NULL stays NULL): the rules and reasons of a
 * plan are mostly a handful of texts, each repeated over every cgroup a
 * rule covers. Only the newest few are looked at (the next action mostly
 * shares the last one's), so a policy of a thousand rules costs a few
 * duplicates, never a search of them all. */
#define TEXTS_LOOKED_AT 8

static int text(spm_plan *p, const char *s, char **ret) {
        char **grown;

        *ret = NULL;
        if (!s)
                return 0;
        for (size_t i = p->n_texts; i-- > 0 && i + TEXTS_LOOKED_AT >= p->n_texts;)
                if (p->texts[i] == s || streq(p->texts[i], s)) {
                        *ret = p->texts[i];
                        return 0;
                }
        grown = reallocarray(p->texts, p->n_texts + 1, sizeof *grown);
        if (!grown)
                return -ENOMEM;
        p->texts = grown;
        p->texts[p->n_texts] = strdup(s);
        if (!p->texts[p->n_texts])
                return -ENOMEM;
        *ret = p->texts[p->n_texts++];
        return 0;
}

/* The same for masks: a change writes a thousand cgroups with one or two
 * masks, and a mask is 128 bytes. */
static int shared_mask(spm_plan *p, const spm_nodemask *m, const spm_nodemask **ret) {
        static const spm_nodemask empty = {};
        spm_nodemask **grown;

        if (!m || spm_nodemask_is_empty(m)) {
                *ret = &empty;
                return 0;
        }
        for (size_t i = p->n_masks; i-- > 0 && i + TEXTS_LOOKED_AT >= p->n_masks;)
                if (spm_nodemask_equal(p->masks[i], m)) {
                        *ret = p->masks[i];
                        return 0;
                }
        grown = reallocarray(p->masks, p->n_masks + 1, sizeof *grown);
        if (!grown)
                return -ENOMEM;
        p->masks = grown;
        p->masks[p->n_masks] = malloc(sizeof(spm_nodemask));
        if (!p->masks[p->n_masks])
                return -ENOMEM;
        *p->masks[p->n_masks] = *m;
        *ret = p->masks[p->n_masks++];
        return 0;
}

/* A copy of s in the plan's arena: the objects of a plan of thousands of
 * actions take a few allocations, not one each. */
#define ARENA_CHUNK (16u * 1024u)

static char *arena_copy(spm_plan *p, const char *s) {
        size_t n = strlen(s) + 1;
        char *q;

        if (p->n_chunks == 0 || p->chunk_used + n > p->chunk_size) {
                size_t size = MAX((size_t) ARENA_CHUNK, n);
                char **grown = reallocarray(p->chunks, p->n_chunks + 1, sizeof *grown);

                if (!grown)
                        return NULL;
                p->chunks = grown;
                p->chunks[p->n_chunks] = malloc(size);
                if (!p->chunks[p->n_chunks])
                        return NULL;
                p->n_chunks++;
                p->chunk_used = 0;
                p->chunk_size = size;
        }
        q = p->chunks[p->n_chunks - 1] + p->chunk_used;
        p->chunk_used += n;
        return memcpy(q, s, n);
}

int spm_plan_add(spm_plan *p, spm_action_type type, const char *object, const char *attribute,
                 const char *value, const spm_nodemask *mask, const char *rule, const char *reason) {
        spm_action a = { .type = type };

        /* A large change adds thousands of actions: the array grows by
         * doubling, the attributes, values, rules, reasons and masks are
         * the plan's shared copies (a grant to a thousand cgroups has one
         * or two of each), and each object is copied into the arena. */
        if (p->n_actions == p->n_actions_allocated) {
                size_t n = MAX(p->n_actions_allocated * 2, (size_t) 16);
                spm_action *grown = reallocarray(p->actions, n, sizeof *grown);

                if (!grown)
                        return -ENOMEM;
                p->actions = grown;
                p->n_actions_allocated = n;
        }
        if (text(p, attribute, &a.attribute) < 0 || text(p, value, &a.value) < 0 || text(p, rule, &a.rule) < 0 ||
            text(p, reason, &a.reason) < 0 || shared_mask(p, mask, &a.mask) < 0)
                return -ENOMEM;
        if (object && !(a.object = arena_copy(p, object)))
                return -ENOMEM;
        p->actions[p->n_actions++] = a;
        return 0;
}

int spm_plan_add_blocked(spm_plan *p, const char *object, const char *rule, const char *fmt, ...) {
        spm_plan_blocked b = {};
        spm_plan_blocked *n;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&b.reason, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if (dup_or_null(object, &b.object) < 0 || dup_or_null(rule, &b.rule) < 0)
                goto oom;
        n = reallocarray(p->blocked, p->n_blocked + 1, sizeof *n);
        if (!n)
                goto oom;
        p->blocked = n;
        p->blocked[p->n_blocked++] = b;
        return 0;
oom:
        free(b.object);
        free(b.rule);
        free(b.reason);
        return -ENOMEM;
}

static const char *object_name(const char *o) {
        return o && *o ? o : "/";
}

int spm_plan_format_table(const spm_plan *p, FILE *f) {
        size_t wa = strlen("ACTION"), wo = strlen("OBJECT"), wc = strlen("CHANGE");

        for (size_t i = 0; i < p->n_actions; i++) {
                const spm_action *a = &p->actions[i];
                wa = MAX(wa, strlen(spm_action_type_to_string(a->type)));
                wo = MAX(wo, strlen(object_name(a->object)));
                wc = MAX(wc, strlen(strempty(a->attribute)) + 1 + strlen(strempty(a->value)));
        }

        if (p->n_actions == 0)
                fprintf(f, "Nothing to do.\n");
        else {
                fprintf(f, "%-4s  %-*s  %-*s  %-*s  %s\n", "STEP", (int) wa, "ACTION", (int) wo, "OBJECT",
                        (int) wc, "CHANGE", "WHY");
                for (size_t i = 0; i < p->n_actions; i++) {
                        const spm_action *a = &p->actions[i];
                        _cleanup_free_ char *change = NULL;

                        if (asprintf(&change, "%s=%s", strempty(a->attribute), strempty(a->value)) < 0)
                                return -ENOMEM;
                        fprintf(f, "%-4zu  %-*s  %-*s  %-*s  %s: %s\n", i + 1,
                                (int) wa, spm_action_type_to_string(a->type),
                                (int) wo, object_name(a->object), (int) wc, change,
                                strna(a->rule), strempty(a->reason));
                }
        }
        if (p->n_blocked > 0) {
                fprintf(f, "\nCannot do:\n");
                for (size_t i = 0; i < p->n_blocked; i++)
                        fprintf(f, "  %s: %s: %s\n", object_name(p->blocked[i].object),
                                strna(p->blocked[i].rule), p->blocked[i].reason);
        }
        return ferror(f) ? -EIO : 0;
}

static int json_field(FILE *f, const char *key, const char *value, bool comma) {
        _cleanup_free_ char *q = json_quote(strempty(value));

        if (!q)
                return -ENOMEM;
        fprintf(f, "%s\"%s\":%s", comma ? "," : "", key, q);
        return 0;
}

int spm_plan_format_json(const spm_plan *p, FILE *f) {
        int r = 0;

        fprintf(f, "{\"changes\":%zu,\"actions\":[", p->n_actions);
        for (size_t i = 0; i < p->n_actions && r >= 0; i++) {
                const spm_action *a = &p->actions[i];

                fprintf(f, "%s{\"step\":%zu", i ? "," : "", i + 1);
                if ((r = json_field(f, "action", spm_action_type_to_string(a->type), true)) < 0 ||
                    (r = json_field(f, "object", a->object, true)) < 0 ||
                    (r = json_field(f, "attribute", a->attribute, true)) < 0 ||
                    (r = json_field(f, "value", a->value, true)) < 0 ||
                    (r = json_field(f, "rule", a->rule, true)) < 0 ||
                    (r = json_field(f, "reason", a->reason, true)) < 0)
                        break;
                fprintf(f, "}");
        }
        if (r >= 0)
                fprintf(f, "],\"blocked\":[");
        for (size_t i = 0; i < p->n_blocked && r >= 0; i++) {
                fprintf(f, "%s{", i ? "," : "");
                if ((r = json_field(f, "object", p->blocked[i].object, false)) < 0 ||
                    (r = json_field(f, "rule", p->blocked[i].rule, true)) < 0 ||
                    (r = json_field(f, "reason", p->blocked[i].reason, true)) < 0)
                        break;
                fprintf(f, "}");
        }
        if (r < 0)
                return r;
        fprintf(f, "]}\n");
        return ferror(f) ? -EIO : 0;
}

DEFINE_STRING_TABLE(spm_action_type, spm_action_type, _SPM_ACTION_TYPE_MAX,
        [SPM_ACTION_CGROUP_MEMS] = "cgroup-mems",
        [SPM_ACTION_UNIT_MEMS] = "unit-mems",
        [SPM_ACTION_DRIVER_UNBIND] = "unbind",
        [SPM_ACTION_MARK_DEVICE] = "mark-device",
        [SPM_ACTION_MARK_REGION] = "mark-region",
        [SPM_ACTION_REGION_BIND] = "bind-region",
        [SPM_ACTION_SET_MEMMAP] = "memmap",
        [SPM_ACTION_AUTO_ONLINE] = "auto-online",
        [SPM_ACTION_DRIVER_BIND] = "bind",
        [SPM_ACTION_DEVICE_STATE] = "device-state",
        [SPM_ACTION_ONLINE_BLOCK] = "online-block",
        [SPM_ACTION_ONLINE_BLOCKS] = "online-blocks",
        [SPM_ACTION_VERIFY_SYSRAM] = "verify-sysram");
