/* A small reader for the AWS shared files: [section] lines, key = value
 * lines, '#' and ';' comments; indented lines (nested settings such as
 * "s3 =" blocks) are skipped. */
#include "wire/aws_ini.h"

#include "core/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fg__aws_profile_free(fg__aws_profile *p)
{
    free(p->access_key_id);
    free(p->secret_access_key);
    free(p->session_token);
    free(p->region);
    memset(p, 0, sizeof *p);
}

static int read_all(const char *path, size_t max, fg_buf *b, fg_errbuf *eb)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? FG_ENOTFOUND
                               : fg_failf(eb, FG_EIO, "%s: cannot open: %s", path, strerror(errno));
    char chunk[4096];
    size_t n;
    int rc = 0;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = fg_buf_append(b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (rc == FG_ELIMIT)
        return fg_failf(eb, FG_ELIMIT, "%s: larger than %zu bytes; is it the right file?", path,
                        max);
    if (bad)
        return fg_failf(eb, FG_EIO, "%s: read error", path);
    return rc;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

/* Whether the section header text (between the brackets) names profile. */
static int section_matches(char *name, const char *profile, int config)
{
    name = trim(name);
    if (!config)
        return strcmp(name, profile) == 0;
    if (strcmp(profile, "default") == 0 && strcmp(name, "default") == 0)
        return 1;
    if (strncmp(name, "profile", 7) != 0 || (name[7] != ' ' && name[7] != '\t'))
        return 0;
    return strcmp(trim(name + 8), profile) == 0;
}

static int set_key(fg__aws_profile *out, const char *key, const char *value)
{
    char **slot = NULL;
    if (strcmp(key, "aws_access_key_id") == 0)
        slot = &out->access_key_id;
    else if (strcmp(key, "aws_secret_access_key") == 0)
        slot = &out->secret_access_key;
    else if (strcmp(key, "aws_session_token") == 0)
        slot = &out->session_token;
    else if (strcmp(key, "region") == 0)
        slot = &out->region;
    if (!slot || *slot || !*value)
        return 0;
    *slot = strdup(value);
    return *slot ? 0 : FG_ENOMEM;
}

typedef struct ini_state {
    const char *path, *profile;
    int config, in_section, found;
    fg__aws_profile *out;
} ini_state;

static int parse_line(ini_state *st, char *line, int lineno, fg_errbuf *eb)
{
    int indented = line[0] == ' ' || line[0] == '\t';
    char *s = trim(line);
    if (*s == '\0' || *s == '#' || *s == ';')
        return 0;
    if (*s == '[') {
        char *close = strchr(s, ']');
        if (!close)
            return fg_failf(eb, FG_EPARSE, "%s:%d: section header without ']'", st->path, lineno);
        *close = '\0';
        st->in_section = section_matches(s + 1, st->profile, st->config);
        st->found |= st->in_section;
        return 0;
    }
    char *eq = strchr(s, '=');
    if (!eq)
        return fg_failf(eb, FG_EPARSE, "%s:%d: expected 'key = value' or '[section]'", st->path,
                        lineno);
    if (!st->in_section || indented)
        return 0;
    *eq = '\0';
    return set_key(st->out, trim(s), trim(eq + 1));
}

int fg__aws_ini_read(const char *path, const char *profile, int config, size_t max_size,
                     fg__aws_profile *out, fg_errbuf *eb)
{
    fg_buf b;
    fg_buf_init(&b, max_size ? max_size : 1024 * 1024);
    int rc = read_all(path, b.max, &b, eb);
    if (rc == FG_ENOTFOUND) {
        fg_buf_free(&b);
        return 0;
    }
    ini_state st = {path, profile, config, 0, 0, out};
    int lineno = 0;
    for (char *line = b.data; !rc && line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        rc = parse_line(&st, line, ++lineno, eb);
        line = nl ? nl + 1 : NULL;
    }
    fg_buf_free(&b);
    return rc ? rc : st.found;
}
