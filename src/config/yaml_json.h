/* Reads a YAML document into a jansson tree, remembering the line of every node
 * (keyed by JSON pointer) so that errors can say file:line. */
#ifndef FG_CONFIG_YAML_JSON_H
#define FG_CONFIG_YAML_JSON_H

#include "core/error.h"

#include <jansson.h>
#include <stddef.h>

/* Parses text (n bytes). On success *out is the document (an empty object for an
 * empty document) and *lines maps JSON pointers to 1-based line numbers. Plain
 * scalars follow the YAML 1.2 core schema (null, true/false, integers, floats);
 * quoted scalars are strings. Anchors and aliases are refused. */
int fg_yaml_to_json(const char *text, size_t n, json_t **out, json_t **lines, fg_errbuf *eb);

/* The line recorded for pointer, or 0. */
int fg_yaml_line(const json_t *lines, const char *pointer);

#endif
