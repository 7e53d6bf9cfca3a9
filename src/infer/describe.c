/* A readable dump of a model: the GGUF metadata (one "key = value" line each,
 * long arrays shortened) or the llama2.c header. */
#include "infer/infer_int.h"

#include <inttypes.h>
#include <string.h>

#define SHOW_ELEMS 8
#define SHOW_CHARS 120

static const char *value_type_name(uint32_t t)
{
    static const char *n[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool",
                              "string", "array", "u64", "i64", "f64"};
    return t < FG_ARRAY_LEN(n) ? n[t] : "?";
}

static int put_string(fg_buf *out, const char *s, size_t n)
{
    size_t show = n > SHOW_CHARS ? SHOW_CHARS : n;
    fg_buf_putc(out, '"');
    for (size_t i = 0; i < show; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            fg_buf_puts(out, "\\n");
        else if (c < 0x20 || c == 0x7f)
            fg_buf_printf(out, "\\x%02x", c);
        else
            fg_buf_putc(out, (char)c);
    }
    fg_buf_putc(out, '"');
    return show < n ? fg_buf_printf(out, "... (%zu bytes)", n) : FG_OK;
}

/* Prints element at p (a scalar of type t); returns its size. */
static size_t put_scalar(fg_buf *out, uint32_t t, const uint8_t *p)
{
    union { uint8_t b[8]; uint16_t u16; uint32_t u32; uint64_t u64; int8_t i8; int16_t i16;
            int32_t i32; int64_t i64; float f; double d; } v;
    memset(&v, 0, sizeof v);
    static const uint8_t size[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    memcpy(v.b, p, size[t]);
    switch (t) {
    case FG__GV_U8: fg_buf_printf(out, "%u", v.b[0]); break;
    case FG__GV_I8: fg_buf_printf(out, "%d", v.i8); break;
    case FG__GV_U16: fg_buf_printf(out, "%u", v.u16); break;
    case FG__GV_I16: fg_buf_printf(out, "%d", v.i16); break;
    case FG__GV_U32: fg_buf_printf(out, "%" PRIu32, v.u32); break;
    case FG__GV_I32: fg_buf_printf(out, "%" PRId32, v.i32); break;
    case FG__GV_F32: fg_buf_printf(out, "%g", (double)v.f); break;
    case FG__GV_BOOL: fg_buf_puts(out, v.b[0] ? "true" : "false"); break;
    case FG__GV_U64: fg_buf_printf(out, "%" PRIu64, v.u64); break;
    case FG__GV_I64: fg_buf_printf(out, "%" PRId64, v.i64); break;
    case FG__GV_F64: fg_buf_printf(out, "%g", v.d); break;
    default: break;
    }
    return size[t];
}

static void put_value(fg_buf *out, const fg__gguf_kv *kv)
{
    const uint8_t *p = kv->val;
    if (kv->type == FG__GV_ARRAY)
        fg_buf_printf(out, "[%s x %" PRIu64 "] ", value_type_name(kv->elem_type), kv->count);
    for (uint64_t i = 0; i < kv->count && i < SHOW_ELEMS; i++) {
        if (i)
            fg_buf_puts(out, ", ");
        if (kv->elem_type == FG__GV_STRING) {
            uint64_t n;
            memcpy(&n, p, 8);
            put_string(out, (const char *)p + 8, (size_t)n);
            p += 8 + n;
        } else {
            p += put_scalar(out, kv->elem_type, p);
        }
    }
    if (kv->count > SHOW_ELEMS)
        fg_buf_puts(out, ", ...");
}

/* "tensors = 12 (F32: 3, F16: 9)" */
static void tensor_summary(const fg__gguf *g, fg_buf *out)
{
    uint64_t count[32] = {0};
    for (uint64_t i = 0; i < g->n_tensors; i++)
        count[g->tensors[i].type < 32 ? g->tensors[i].type : 31]++;
    fg_buf_printf(out, "tensors = %" PRIu64 " (", g->n_tensors);
    const char *sep = "";
    for (uint32_t t = 0; t < 32; t++)
        if (count[t]) {
            const char *name = fg__gguf_type_name(t);
            fg_buf_printf(out, "%s%s: %" PRIu64, sep, name ? name : "?", count[t]);
            sep = ", ";
        }
    fg_buf_puts(out, ")\n");
}

static void describe_gguf(const fg_infer_model *m, fg_buf *out)
{
    const fg__gguf *g = &m->gguf;
    fg_buf_printf(out, "format = GGUF v%u (%" PRIu64 " metadata keys, %" PRIu64 " tensors)\n",
                  g->version, g->n_kv, g->n_tensors);
    for (uint64_t i = 0; i < g->n_kv; i++) {
        fg_buf_printf(out, "%.*s = ", (int)g->kv[i].key_len, g->kv[i].key);
        put_value(out, &g->kv[i]);
        fg_buf_putc(out, '\n');
    }
    tensor_summary(g, out);
}

int fg_infer_model_describe(const fg_infer_model *m, fg_buf *out)
{
    const fg_infer_info *in = &m->info;
    if (in->format == FG_INFER_GGUF)
        describe_gguf(m, out);
    else
        fg_buf_puts(out, "format = llama2.c checkpoint\n");
    fg_buf_printf(out,
                  "-- as loaded --\nname = %s\narchitecture = %s\nweights = %s\n"
                  "parameters = %" PRIu64 "\nweight bytes = %" PRIu64 "\n"
                  "embedding = %u\nfeed forward = %u\nlayers = %u\nheads = %u\nkv heads = %u\n"
                  "head size = %u\nrope dims = %u\nrope base = %g\nrms epsilon = %g\n"
                  "vocabulary = %u (%s)\ncontext = %u\nbos = %d\neos = %d\nchat template = %s\n",
                  in->name, in->arch, in->weight_type, in->n_params, in->weight_bytes, in->dim,
                  in->hidden_dim, in->n_layers, in->n_heads, in->n_kv_heads, in->head_size,
                  in->rope_dim, (double)in->rope_base, (double)in->rms_eps, in->vocab_size,
                  in->tokenizer, in->context, in->bos, in->eos, fg_infer_chat_name(in->chat));
    return out->data ? FG_OK : FG_ENOMEM;
}
