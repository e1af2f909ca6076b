/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The parsers of single sysfs values (decimal, hex, signed, the words of
 * block and device states). Whatever the input, they either fail cleanly
 * or return a value that prints back to something they parse to the same
 * value.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s, buf[64];
        uint64_t u, u2;
        int i, i2;

        if (size > 4096)
                return 0;
        s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;

        if (spm_parse_u64(s, &u) >= 0) {
                snprintf(buf, sizeof buf, "%" PRIu64, u);
                if (spm_parse_u64(buf, &u2) < 0 || u2 != u)
                        abort();
        }
        if (spm_parse_hex(s, &u) >= 0) {
                snprintf(buf, sizeof buf, "%" PRIx64, u);
                if (spm_parse_hex(buf, &u2) < 0 || u2 != u)
                        abort();
                snprintf(buf, sizeof buf, "0x%" PRIx64, u);
                if (spm_parse_hex(buf, &u2) < 0 || u2 != u)
                        abort();
        }
        if (spm_parse_int(s, &i) >= 0) {
                snprintf(buf, sizeof buf, "%d", i);
                if (spm_parse_int(buf, &i2) < 0 || i2 != i)
                        abort();
        }

        /* word tables: a recognised word maps back to itself */
        {
                spm_online_type t = spm_online_type_from_string(s);
                spm_block_state b = spm_block_state_from_string(s);
                spm_dax_state d = spm_dax_state_from_string(s);

                if (t != SPM_ONLINE_INVALID && strcmp(spm_online_type_to_string(t), s) != 0)
                        abort();
                if (b != SPM_BLOCK_UNKNOWN && strcmp(spm_block_state_to_string(b), s) != 0)
                        abort();
                if (d != SPM_DAX_STATE_UNKNOWN && strcmp(spm_dax_state_to_string(d), s) != 0)
                        abort();
        }

        free(s);
        return 0;
}
