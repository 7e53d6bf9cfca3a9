/* flowgate's configuration: one YAML file, checked against one typed table
 * (config_table.c) that also gives every default and generates
 * docs/configuration.md. Values are read through typed getters by dotted path. */
#ifndef FG_CONFIG_CONFIG_H
#define FG_CONFIG_CONFIG_H

#include "core/buf.h"
#include "core/error.h"

#include <jansson.h>
#include <stdbool.h>

typedef enum fg_conf_type {
    FG_CT_STR,     /* a string */
    FG_CT_INT,     /* an integer within [min, max] */
    FG_CT_NUM,     /* a number within [min, max] */
    FG_CT_BOOL,
    FG_CT_ENUM,    /* one of choices ("a|b|c") */
    FG_CT_SECTION, /* an object whose keys are in the table */
    FG_CT_LIST,    /* a list of objects whose keys are in the table (path "x[].key") */
    FG_CT_STRLIST, /* a list of strings */
    FG_CT_MAP      /* an object of free-form keys with string values */
} fg_conf_type;

typedef struct fg_conf_key {
    const char *path;    /* "server.port", "providers[].type" */
    fg_conf_type type;
    const char *dflt;    /* default as YAML text, NULL for none */
    double min, max;     /* bounds for INT/NUM (both 0: none) */
    const char *choices; /* ENUM choices, '|'-separated */
    unsigned flags;      /* FG_CK_* */
    const char *help;
} fg_conf_key;

enum { FG_CK_SECRET = 1, FG_CK_REQUIRED = 2 };

/* The table, terminated by an entry with path NULL. */
extern const fg_conf_key fg_config_table[];

typedef struct fg_config fg_config;

/* Loads path (NULL: defaults only). Problems are appended to problems as
 * "FILE:LINE: message" lines, all of them; returns FG_EINVAL if any. */
int fg_config_load(const char *path, fg_config **out, fg_buf *problems);
/* The same from text, for tests; name is used in messages. */
int fg_config_load_text(const char *name, const char *text, size_t n, fg_config **out,
                        fg_buf *problems);
void fg_config_free(fg_config *c);

/* Typed getters by dotted path of a key in the table (defaults applied). */
const char *fg_config_str(const fg_config *c, const char *path);
long long fg_config_int(const fg_config *c, const char *path);
double fg_config_num(const fg_config *c, const char *path);
bool fg_config_bool(const fg_config *c, const char *path);
/* Any node (lists, maps, sections); borrowed reference or NULL. */
const json_t *fg_config_get(const fg_config *c, const char *path);
/* Overrides a scalar from the command line (e.g. --port). */
int fg_config_set(fg_config *c, const char *path, json_t *value);
/* The file the configuration came from, or "(defaults)". */
const char *fg_config_source(const fg_config *c);

/* The effective configuration as YAML-ish JSON with secrets replaced by "***". */
json_t *fg_config_redacted(const fg_config *c);
/* docs/configuration.md, generated from the table. */
int fg_config_docs(fg_buf *out);

#endif
