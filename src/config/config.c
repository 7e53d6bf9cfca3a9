#include "config/config.h"

#include "config/yaml_json.h"
#include "core/json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_MAX_BYTES (4u << 20)

struct fg_config {
    char *source;
    json_t *root;
};

typedef struct checker {
    const char *name;
    const json_t *lines;
    fg_buf *problems;
    int count;
} checker;

__attribute__((format(printf, 3, 4))) static void problem(checker *ck, const char *ptr,
                                                          const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line = fg_yaml_line(ck->lines, ptr);
    if (line)
        fg_buf_printf(ck->problems, "%s:%d: %s\n", ck->name, line, msg);
    else
        fg_buf_printf(ck->problems, "%s: %s\n", ck->name, msg);
    ck->count++;
}

static const fg_conf_key *find_key(const char *path)
{
    for (const fg_conf_key *k = fg_config_table; k->path; k++)
        if (strcmp(k->path, path) == 0)
            return k;
    return NULL;
}

/* --- ${ENV} interpolation ------------------------------------------------ */

static int expand_string(checker *ck, const char *ptr, const char *s, fg_buf *out)
{
    for (const char *p = s; *p;) {
        if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
            fg_buf_puts(out, "${");
            p += 3;
            continue;
        }
        if (p[0] != '$' || p[1] != '{') {
            fg_buf_putc(out, *p++);
            continue;
        }
        const char *close = strchr(p, '}');
        if (!close) {
            problem(ck, ptr, "unterminated ${ in \"%s\"", s);
            return -1;
        }
        char name[256];
        size_t len = (size_t)(close - p - 2);
        if (len == 0 || len >= sizeof name) {
            problem(ck, ptr, "bad variable reference in \"%s\"", s);
            return -1;
        }
        memcpy(name, p + 2, len);
        name[len] = '\0';
        char *dflt = strstr(name, ":-");
        if (dflt) {
            *dflt = '\0';
            dflt += 2;
        }
        const char *val = getenv(name);
        if (!val || (!*val && dflt))
            val = dflt;
        if (!val) {
            problem(ck, ptr, "environment variable %s is not set (write ${%s:-default} for a "
                             "default)", name, name);
            return -1;
        }
        fg_buf_puts(out, val);
        p = close + 1;
    }
    return 0;
}

static void interpolate(checker *ck, json_t *node, fg_buf *ptr)
{
    size_t base = ptr->len;
    if (json_is_object(node)) {
        const char *key;
        json_t *v;
        json_object_foreach(node, key, v) {
            fg_json_pointer_append(ptr, key);
            if (json_is_string(v)) {
                fg_buf out;
                fg_buf_init(&out, CONFIG_MAX_BYTES);
                if (expand_string(ck, ptr->data, json_string_value(v), &out) == 0)
                    json_object_set_new(node, key, json_string(out.data ? out.data : ""));
                fg_buf_free(&out);
            } else {
                interpolate(ck, v, ptr);
            }
            ptr->len = base;
            ptr->data[base] = '\0';
        }
    } else if (json_is_array(node)) {
        size_t i;
        json_t *v;
        json_array_foreach(node, i, v) {
            fg_buf_printf(ptr, "/%zu", i);
            if (json_is_string(v)) {
                fg_buf out;
                fg_buf_init(&out, CONFIG_MAX_BYTES);
                if (expand_string(ck, ptr->data, json_string_value(v), &out) == 0)
                    json_array_set_new(node, i, json_string(out.data ? out.data : ""));
                fg_buf_free(&out);
            } else {
                interpolate(ck, v, ptr);
            }
            ptr->len = base;
            ptr->data[base] = '\0';
        }
    }
}

/* --- validation against the table ---------------------------------------- */

static const char *type_name(fg_conf_type t)
{
    static const char *const names[] = {"a string", "an integer", "a number", "true or false",
                                        "one of the choices", "a section", "a list",
                                        "a list of strings", "a map of strings"};
    return names[t];
}

static bool in_choices(const char *choices, const char *s)
{
    size_t n = strlen(s);
    for (const char *p = choices; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, s, n) == 0)
            return true;
        p = bar ? bar + 1 : NULL;
    }
    return false;
}

static void check_scalar(checker *ck, const fg_conf_key *k, const json_t *v, const char *ptr)
{
    switch (k->type) {
    case FG_CT_STR:
        if (!json_is_string(v))
            problem(ck, ptr, "%s must be a string", k->path);
        return;
    case FG_CT_BOOL:
        if (!json_is_boolean(v))
            problem(ck, ptr, "%s must be true or false", k->path);
        return;
    case FG_CT_ENUM:
        if (!json_is_string(v) || !in_choices(k->choices, json_string_value(v)))
            problem(ck, ptr, "%s must be one of: %s", k->path, k->choices);
        return;
    case FG_CT_INT:
    case FG_CT_NUM: {
        if ((k->type == FG_CT_INT && !json_is_integer(v)) || !json_is_number(v)) {
            problem(ck, ptr, "%s must be %s", k->path, type_name(k->type));
            return;
        }
        double d = json_number_value(v);
        if ((k->min || k->max) && (d < k->min || d > k->max))
            problem(ck, ptr, "%s must be between %g and %g (got %g)", k->path, k->min, k->max, d);
        return;
    }
    case FG_CT_STRLIST: {
        size_t i;
        json_t *e;
        if (!json_is_array(v)) {
            problem(ck, ptr, "%s must be a list of strings", k->path);
            return;
        }
        json_array_foreach(v, i, e) if (!json_is_string(e))
            problem(ck, ptr, "%s[%zu] must be a string", k->path, i);
        return;
    }
    case FG_CT_MAP: {
        const char *key;
        json_t *e;
        if (!json_is_object(v)) {
            problem(ck, ptr, "%s must be a map of strings", k->path);
            return;
        }
        json_object_foreach((json_t *)v, key, e) if (!json_is_string(e))
            problem(ck, ptr, "%s.%s must be a string", k->path, key);
        return;
    }
    default:
        return;
    }
}

static void check_object(checker *ck, json_t *obj, const char *tpath, fg_buf *ptr);

static void apply_defaults_and_required(checker *ck, json_t *obj, const char *tpath,
                                        const char *ptr)
{
    size_t plen = strlen(tpath);
    for (const fg_conf_key *k = fg_config_table; k->path; k++) {
        const char *rest = k->path;
        if (plen) {
            if (strncmp(k->path, tpath, plen) != 0 || k->path[plen] != '.')
                continue;
            rest = k->path + plen + 1;
        }
        if (strpbrk(rest, ".["))
            continue; /* deeper level */
        if (json_object_get(obj, rest))
            continue;
        if (k->flags & FG_CK_REQUIRED) {
            problem(ck, ptr, "%s is required", k->path);
        } else if (k->dflt) {
            json_t *lines = NULL;
            json_t *v = NULL;
            fg_yaml_to_json(k->dflt, strlen(k->dflt), &v, &lines, NULL);
            json_decref(lines);
            if (v)
                json_object_set_new(obj, rest, v);
        } else if (k->type == FG_CT_SECTION) {
            json_t *sec = json_object();
            json_object_set_new(obj, rest, sec);
            apply_defaults_and_required(ck, sec, k->path, ptr);
        }
    }
}

static void check_value(checker *ck, const fg_conf_key *k, json_t *v, fg_buf *ptr)
{
    if (k->type == FG_CT_SECTION) {
        if (!json_is_object(v))
            problem(ck, ptr->data, "%s must be a section (key: value lines)", k->path);
        else
            check_object(ck, v, k->path, ptr);
        return;
    }
    if (k->type == FG_CT_LIST) {
        if (!json_is_array(v)) {
            problem(ck, ptr->data, "%s must be a list", k->path);
            return;
        }
        char item_path[256];
        snprintf(item_path, sizeof item_path, "%s[]", k->path);
        size_t base = ptr->len, i;
        json_t *item;
        json_array_foreach(v, i, item) {
            fg_buf_printf(ptr, "/%zu", i);
            if (!json_is_object(item))
                problem(ck, ptr->data, "each item of %s must be a section", k->path);
            else
                check_object(ck, item, item_path, ptr);
            ptr->len = base;
            ptr->data[base] = '\0';
        }
        return;
    }
    check_scalar(ck, k, v, ptr->data);
}

static void check_object(checker *ck, json_t *obj, const char *tpath, fg_buf *ptr)
{
    size_t base = ptr->len;
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        char path[256];
        snprintf(path, sizeof path, "%s%s%s", tpath, *tpath ? "." : "", key);
        fg_json_pointer_append(ptr, key);
        const fg_conf_key *k = find_key(path);
        if (!k)
            problem(ck, ptr->data, "unknown key '%s'%s%s", path, *tpath ? " in " : "", tpath);
        else
            check_value(ck, k, v, ptr);
        ptr->len = base;
        ptr->data[base] = '\0';
    }
    apply_defaults_and_required(ck, obj, tpath, base ? ptr->data : "");
}

static void check_references(checker *ck, json_t *root)
{
    const json_t *providers = json_object_get(root, "providers");
    size_t i, j;
    json_t *m, *d;
    json_array_foreach(json_object_get(root, "models"), i, m) {
        json_array_foreach(json_object_get(m, "deployments"), j, d) {
            const char *pname = fg_json_str(d, "provider", NULL);
            if (!pname)
                continue;
            bool found = false;
            size_t k;
            json_t *p;
            json_array_foreach(providers, k, p) if (strcmp(fg_json_str(p, "name", ""), pname) == 0)
                found = true;
            if (!found) {
                char ptr[128];
                snprintf(ptr, sizeof ptr, "/models/%zu/deployments/%zu/provider", i, j);
                problem(ck, ptr, "deployment of model '%s' names unknown provider '%s'",
                        fg_json_str(m, "name", "?"), pname);
            }
        }
    }
}

int fg_config_load_text(const char *name, const char *text, size_t n, fg_config **out,
                        fg_buf *problems)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    json_t *root = NULL, *lines = NULL;
    *out = NULL;
    if (fg_yaml_to_json(text, n, &root, &lines, &eb) != FG_OK) {
        fg_buf_printf(problems, "%s:%s\n", name, eb.msg + (strncmp(eb.msg, "line ", 5) ? 0 : 5));
        return FG_EINVAL;
    }
    checker ck = {.name = name, .lines = lines, .problems = problems};
    if (!json_is_object(root)) {
        problem(&ck, "", "the configuration must be a mapping of keys to values");
    } else {
        fg_buf ptr;
        fg_buf_init(&ptr, 4096);
        fg_buf_reserve(&ptr, 0);
        interpolate(&ck, root, &ptr);
        fg_buf_reset(&ptr);
        check_object(&ck, root, "", &ptr);
        check_references(&ck, root);
        fg_buf_free(&ptr);
    }
    json_decref(lines);
    if (ck.count) {
        json_decref(root);
        return FG_EINVAL;
    }
    fg_config *c = calloc(1, sizeof *c);
    c->source = strdup(name);
    c->root = root;
    *out = c;
    return FG_OK;
}

int fg_config_load(const char *path, fg_config **out, fg_buf *problems)
{
    if (!path) {
        int rc = fg_config_load_text("(defaults)", "", 0, out, problems);
        return rc;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        fg_buf_printf(problems, "%s: cannot open: %s\n", path, strerror(errno));
        return FG_EIO;
    }
    fg_buf text;
    fg_buf_init(&text, CONFIG_MAX_BYTES);
    char chunk[8192];
    size_t got;
    int rc = FG_OK;
    while (!rc && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = fg_buf_append(&text, chunk, got);
    fclose(f);
    if (rc) {
        fg_buf_printf(problems, "%s: larger than %u bytes\n", path, CONFIG_MAX_BYTES);
        fg_buf_free(&text);
        return FG_ELIMIT;
    }
    rc = fg_config_load_text(path, text.data ? text.data : "", text.len, out, problems);
    fg_buf_free(&text);
    return rc;
}

void fg_config_free(fg_config *c)
{
    if (!c)
        return;
    json_decref(c->root);
    free(c->source);
    free(c);
}

const json_t *fg_config_get(const fg_config *c, const char *path)
{
    const json_t *node = c->root;
    char part[128];
    for (const char *p = path; node && *p;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len >= sizeof part)
            return NULL;
        memcpy(part, p, len);
        part[len] = '\0';
        node = json_object_get(node, part);
        p = dot ? dot + 1 : p + len;
    }
    return node;
}

const char *fg_config_str(const fg_config *c, const char *path)
{
    const json_t *v = fg_config_get(c, path);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

long long fg_config_int(const fg_config *c, const char *path)
{
    const json_t *v = fg_config_get(c, path);
    return json_is_number(v) ? (long long)json_number_value(v) : 0;
}

double fg_config_num(const fg_config *c, const char *path)
{
    return json_number_value(fg_config_get(c, path));
}

bool fg_config_bool(const fg_config *c, const char *path)
{
    return json_is_true(fg_config_get(c, path));
}

int fg_config_set(fg_config *c, const char *path, json_t *value)
{
    const char *dot = strrchr(path, '.');
    json_t *parent = c->root;
    if (dot) {
        char sec[128];
        size_t len = (size_t)(dot - path);
        if (len >= sizeof sec) {
            json_decref(value);
            return FG_EINVAL;
        }
        memcpy(sec, path, len);
        sec[len] = '\0';
        parent = (json_t *)fg_config_get(c, sec);
    }
    if (!json_is_object(parent)) {
        json_decref(value);
        return FG_ENOTFOUND;
    }
    return json_object_set_new(parent, dot ? dot + 1 : path, value) ? FG_ENOMEM : FG_OK;
}

const char *fg_config_source(const fg_config *c)
{
    return c->source;
}

static void redact(json_t *node, const char *tpath)
{
    const char *key;
    json_t *v;
    json_object_foreach(node, key, v) {
        char path[256];
        snprintf(path, sizeof path, "%s%s%s", tpath, *tpath ? "." : "", key);
        const fg_conf_key *k = find_key(path);
        if (k && (k->flags & FG_CK_SECRET) && json_is_string(v)) {
            json_object_set_new(node, key, json_string("***"));
        } else if (json_is_object(v) && k && k->type == FG_CT_SECTION) {
            redact(v, path);
        } else if (json_is_array(v) && k && k->type == FG_CT_LIST) {
            char item[300];
            snprintf(item, sizeof item, "%s[]", path);
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) if (json_is_object(e)) redact(e, item);
        }
    }
}

json_t *fg_config_redacted(const fg_config *c)
{
    json_t *copy = json_deep_copy(c->root);
    redact(copy, "");
    return copy;
}

static const char *doc_type(const fg_conf_key *k)
{
    static const char *const names[] = {"string", "integer", "number", "boolean", "enum",
                                        "section", "list", "list of strings", "map"};
    return names[k->type];
}

int fg_config_docs(fg_buf *out)
{
    fg_buf_puts(out,
                "# Configuration\n\n"
                "<!-- Generated by `flowgate config docs` from src/config/config_table.c; "
                "a test fails when this file is stale. -->\n\n"
                "flowgate reads one YAML file: `flowgate serve --config FILE`. With no file "
                "it starts on the defaults below. Any string may use `${NAME}` (an "
                "environment variable; an error if unset) or `${NAME:-default}`; write "
                "`$${` for a literal `${`. Check a file with `flowgate config check FILE`: "
                "it reports every problem as `FILE:LINE: message`. `flowgate config show "
                "[FILE]` prints the effective configuration with secrets hidden.\n\n"
                "Keys written `a[].b` are keys of each item of the list `a`.\n\n"
                "| key | type | default | description |\n|---|---|---|---|\n");
    for (const fg_conf_key *k = fg_config_table; k->path; k++) {
        fg_buf_printf(out, "| `%s` | %s", k->path, doc_type(k));
        if (k->type == FG_CT_ENUM)
            fg_buf_printf(out, " (`%s`)", k->choices);
        if ((k->type == FG_CT_INT || k->type == FG_CT_NUM) && (k->min || k->max))
            fg_buf_printf(out, ", %g–%g", k->min, k->max);
        fg_buf_printf(out, " | %s%s%s | %s%s%s |\n", k->dflt ? "`" : "", k->dflt ? k->dflt : "",
                      k->dflt ? "`" : "", k->flags & FG_CK_REQUIRED ? "Required. " : "",
                      k->help, k->flags & FG_CK_SECRET ? " Secret: hidden in `config show`." : "");
    }
    fg_buf_puts(out, "\n## Example\n\n```yaml\n"
                     "server:\n  port: 8080\n"
                     "providers:\n"
                     "  - name: openai\n    type: openai\n    base_url: https://api.openai.com/v1\n"
                     "    api_key: ${OPENAI_API_KEY}\n"
                     "  - name: ollama\n    type: openai\n    base_url: http://127.0.0.1:11434/v1\n"
                     "models:\n"
                     "  - name: gpt-4o-mini\n    deployments:\n"
                     "      - provider: openai\n      - provider: ollama\n        model: llama3.2\n"
                     "prices:\n"
                     "  - model: gpt-4o-mini\n    input_per_mtok: 0.15\n    output_per_mtok: 0.6\n"
                     "```\n");
    return FG_OK;
}
