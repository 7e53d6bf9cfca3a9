/* ARNs and task tokens: building and parsing. */
#include "sfn/arn.h"

#include "core/base64.h"
#include "core/buf.h"
#include "core/rand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_MAGIC "FGT1"

bool fg_sfn_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > FG_SFN_NAME_MAX)
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p <= 0x20 || *p == 0x7f)
            return false;
        if (strchr("<>{}[]?*\"#%\\^|~`$&,;:/", *p))
            return false;
    }
    return true;
}

/* Copies the next ':'-separated field of *p into out; false when too long. */
static bool next_field(const char **p, char *out, size_t n, bool last)
{
    const char *end = last ? *p + strlen(*p) : strchr(*p, ':');
    if (!end)
        return false;
    size_t len = (size_t)(end - *p);
    if (len >= n)
        return false;
    memcpy(out, *p, len);
    out[len] = 0;
    *p = *end ? end + 1 : end;
    return true;
}

static bool kind_of(const char *word, fg_sfn_arn_kind *k)
{
    static const struct { const char *w; fg_sfn_arn_kind k; } kinds[] = {
        {"stateMachine", FG_SFN_ARN_MACHINE}, {"execution", FG_SFN_ARN_EXECUTION},
        {"express", FG_SFN_ARN_EXPRESS}, {"activity", FG_SFN_ARN_ACTIVITY},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(word, kinds[i].w)) {
            *k = kinds[i].k;
            return true;
        }
    return false;
}

bool fg_sfn_arn_parse(const char *arn, fg_sfn_arn *out)
{
    static const char head[] = "arn:aws:states:";
    memset(out, 0, sizeof *out);
    if (!arn || strncmp(arn, head, sizeof head - 1) != 0 || strlen(arn) > 512)
        return false;
    const char *p = arn + sizeof head - 1;
    char word[32];
    if (!next_field(&p, out->region, sizeof out->region, false) ||
        !next_field(&p, out->account, sizeof out->account, false) ||
        !next_field(&p, word, sizeof word, false) || !kind_of(word, &out->kind) || !out->region[0] ||
        !out->account[0])
        return false;
    if (out->kind == FG_SFN_ARN_MACHINE) { /* NAME, NAME:VERSION or NAME:ALIAS */
        bool qualified = strchr(p, ':') != NULL;
        if (!next_field(&p, out->machine, sizeof out->machine, !qualified) ||
            !fg_sfn_name_valid(out->machine))
            return false;
        return !qualified || (next_field(&p, out->qualifier, sizeof out->qualifier, true) &&
                              fg_sfn_name_valid(out->qualifier));
    }
    bool one_name = out->kind == FG_SFN_ARN_ACTIVITY;
    if (!next_field(&p, out->machine, sizeof out->machine, one_name) ||
        !fg_sfn_name_valid(out->machine))
        return false;
    if (one_name)
        return true;
    bool express = out->kind == FG_SFN_ARN_EXPRESS;
    if (!next_field(&p, out->execution, sizeof out->execution, !express) ||
        !fg_sfn_name_valid(out->execution))
        return false;
    return !express || (*p && !strchr(p, ':'));
}

/* a:b:c joined with ':' after head (malloc'd). */
static char *join(const char *head, const char *a, const char *b, const char *c)
{
    size_t n = strlen(head) + strlen(a) + strlen(b) + (c ? strlen(c) + 1 : 0) + 4;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s:%s%s%s", head, a, b, c ? ":" : "", c ? c : "");
    return s;
}

char *fg_sfn_machine_arn(const char *region, const char *account, const char *name)
{
    char tail[200];
    snprintf(tail, sizeof tail, "stateMachine:%s", name);
    return join("arn:aws:states:", region, account, tail);
}

char *fg_sfn_qualified_arn(const char *machine_arn, const char *qualifier)
{
    fg_sfn_arn a;
    if (!fg_sfn_arn_parse(machine_arn, &a) || a.kind != FG_SFN_ARN_MACHINE)
        return NULL;
    char tail[200];
    snprintf(tail, sizeof tail, "stateMachine:%s:%s", a.machine, qualifier);
    return join("arn:aws:states:", a.region, a.account, tail);
}

char *fg_sfn_unqualified_arn(const char *machine_arn)
{
    fg_sfn_arn a;
    if (!fg_sfn_arn_parse(machine_arn, &a) || a.kind != FG_SFN_ARN_MACHINE)
        return NULL;
    return fg_sfn_machine_arn(a.region, a.account, a.machine);
}

bool fg_sfn_qualifier_version(const char *qualifier, int64_t *version)
{
    if (!qualifier || !*qualifier || strlen(qualifier) > 9)
        return false;
    for (const char *p = qualifier; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    *version = strtoll(qualifier, NULL, 10);
    return *version > 0;
}

char *fg_sfn_activity_arn(const char *region, const char *account, const char *name)
{
    char tail[200];
    snprintf(tail, sizeof tail, "activity:%s", name);
    return join("arn:aws:states:", region, account, tail);
}

char *fg_sfn_execution_arn(const char *machine_arn, const char *name, bool express)
{
    fg_sfn_arn a;
    if (!fg_sfn_arn_parse(machine_arn, &a) || a.kind != FG_SFN_ARN_MACHINE)
        return NULL;
    char head[128];
    snprintf(head, sizeof head, "arn:aws:states:%s:%s:%s:", a.region, a.account,
             express ? "express" : "execution");
    if (!express)
        return join(head, a.machine, name, NULL);
    char u[37];
    fg_rand_uuid(u);
    return join(head, a.machine, name, u);
}

char *fg_sfn_machine_of_execution(const char *execution_arn)
{
    fg_sfn_arn a;
    if (!fg_sfn_arn_parse(execution_arn, &a) || a.kind == FG_SFN_ARN_MACHINE ||
        a.kind == FG_SFN_ARN_ACTIVITY)
        return NULL;
    return fg_sfn_machine_arn(a.region, a.account, a.machine);
}

char *fg_sfn_token_prefix(const char *account_id, const char *execution_arn)
{
    fg_buf raw, out;
    fg_buf_init(&raw, 4096);
    fg_buf_init(&out, 8192);
    fg_buf_printf(&raw, "%s\n%s", account_id, execution_arn);
    fg_buf_puts(&out, TOKEN_MAGIC);
    fg_base64_encode(&out, raw.data, raw.len);
    fg_buf_putc(&out, '.');
    fg_buf_free(&raw);
    return fg_buf_detach(&out, NULL);
}

bool fg_sfn_token_owner(const char *token, char *account_id, size_t account_n,
                        char **execution_arn)
{
    *execution_arn = NULL;
    size_t magic = strlen(TOKEN_MAGIC);
    if (!token || strncmp(token, TOKEN_MAGIC, magic) != 0)
        return false;
    const char *dot = strchr(token + magic, '.');
    if (!dot || dot - token > 2048)
        return false;
    fg_buf raw;
    fg_buf_init(&raw, 4096);
    bool ok = fg_base64_decode(&raw, token + magic, (size_t)(dot - token - (ptrdiff_t)magic)) == 0;
    fg_buf_putc(&raw, 0);
    const char *nl = ok && raw.data ? strchr(raw.data, '\n') : NULL;
    ok = nl && (size_t)(nl - raw.data) < account_n && strlen(raw.data) == raw.len - 1;
    if (ok) {
        snprintf(account_id, account_n, "%.*s", (int)(nl - raw.data), raw.data);
        *execution_arn = strdup(nl + 1);
    }
    fg_buf_free(&raw);
    return ok && *execution_arn;
}
