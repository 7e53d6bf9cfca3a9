/* Private: reading one profile's keys from an AWS shared credentials or
 * config file (INI). */
#ifndef FG_WIRE_AWS_INI_H
#define FG_WIRE_AWS_INI_H

#include "core/error.h"

#include <stddef.h>

typedef struct fg__aws_profile {
    char *access_key_id;
    char *secret_access_key;
    char *session_token;
    char *region;
} fg__aws_profile;

/* Reads profile's section from path into out (fields it sets are replaced
 * only when still NULL). config selects the config file's "[profile NAME]"
 * naming. Returns 1 when the section exists, 0 when it or the file does not,
 * or a negative fg_err with file:line in eb. */
int fg__aws_ini_read(const char *path, const char *profile, int config, size_t max_size,
                     fg__aws_profile *out, fg_errbuf *eb);
void fg__aws_profile_free(fg__aws_profile *p);

#endif
