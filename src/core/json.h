/* JSON helpers over jansson, the project's one JSON library. */
#ifndef FG_CORE_JSON_H
#define FG_CORE_JSON_H

#include "core/buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Appends s as a quoted JSON string; invalid UTF-8 becomes U+FFFD. */
int fg_json_escape(fg_buf *b, const char *s, size_t n);
/* Appends the compact serialisation of v. */
int fg_json_dump(fg_buf *b, const json_t *v, size_t flags);
/* Serialises to a malloc'd string (compact, keys in insertion order). */
char *fg_json_dumps(const json_t *v);

/* Typed getters that return a default when the key is missing or of another type. */
const char *fg_json_str(const json_t *obj, const char *key, const char *dflt);
json_int_t fg_json_int(const json_t *obj, const char *key, json_int_t dflt);
double fg_json_num(const json_t *obj, const char *key, double dflt);
bool fg_json_bool(const json_t *obj, const char *key, bool dflt);

/* Parses n bytes; on failure fills *err with jansson's error (line, column, text). */
json_t *fg_json_parse(const char *s, size_t n, json_error_t *err);

/* Reads and parses a whole file; NULL with a message in err->text on failure. */
json_t *fg_json_load_file(const char *path, json_error_t *err);

/* Appends text to the string member key of obj (created when missing). */
int fg_json_append_member(json_t *obj, const char *key, const char *text, size_t len);
/* Parses text as a JSON object; anything else (empty, malformed, another type)
 * gives a new empty object. Always a new reference. */
json_t *fg_json_object_or_empty(const char *text, size_t len);

/* Checks that s[0..n) is valid UTF-8. */
bool fg_utf8_valid(const char *s, size_t n);

/* A JSON pointer token escape (~0, ~1) appended to b. */
int fg_json_pointer_append(fg_buf *b, const char *token);

#endif
