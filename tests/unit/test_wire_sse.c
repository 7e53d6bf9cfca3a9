/* The server-sent-events parser (WHATWG rules) and writer. */
#include "core/buf.h"
#include "wire/sse.h"
#include "fg_test.h"

/* Every event as "type|id|data\n", for comparing whole streams at once. */
static int record(void *user, const fg_sse_event *ev)
{
    fg_buf *b = user;
    fg_buf_printf(b, "%.*s|%.*s|", (int)ev->event_len, ev->event, (int)ev->id_len, ev->id);
    fg_buf_append(b, ev->data, ev->data_len);
    fg_buf_putc(b, '\n');
    FG_CHECK(ev->data[ev->data_len] == '\0');
    return 0;
}

static int parse_in_pieces(const char *s, size_t n, size_t piece, fg_buf *out)
{
    fg_sse_parser *p = fg_sse_parser_new(0, record, out);
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i += piece)
        rc = fg_sse_parser_feed(p, s + i, n - i < piece ? n - i : piece, NULL);
    if (!rc)
        rc = fg_sse_parser_finish(p, NULL);
    fg_sse_parser_free(p);
    return rc;
}

static const char openai_stream[] =
    "data: {\"id\":\"c1\",\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n"
    "data: {\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n"
    "data: [DONE]\n\n";

FG_TEST(sse_parses_an_openai_stream)
{
    fg_buf out;
    fg_buf_init(&out, 0);
    FG_CHECK_INT(parse_in_pieces(openai_stream, strlen(openai_stream), 4096, &out), 0);
    FG_CHECK_STR(out.data, "message||{\"id\":\"c1\",\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n"
                           "message||{\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n"
                           "message||[DONE]\n");
    fg_buf_free(&out);
}

FG_TEST(sse_fields_multiline_data_comments_and_ids)
{
    static const char s[] = ": keep-alive\n"
                            "event: content_block_delta\n"
                            "id: 7\n"
                            "data: line one\n"
                            "data:line two\n"
                            "data\n"
                            "unknown: ignored\n"
                            "\n"
                            "event: ping\n"
                            "data:  two spaces keep one\n"
                            "\n"
                            "id\n"
                            "event: only-type\n"
                            "\n"
                            "data: after\n\n";
    fg_buf out;
    fg_buf_init(&out, 0);
    FG_CHECK_INT(parse_in_pieces(s, strlen(s), 1000, &out), 0);
    /* The event with no data is not dispatched; an empty id resets the last ID. */
    FG_CHECK_STR(out.data, "content_block_delta|7|line one\nline two\n\n"
                           "ping|7| two spaces keep one\n"
                           "message||after\n");
    fg_buf_free(&out);
}

FG_TEST(sse_line_endings_and_bom)
{
    static const char crlf[] = "\xEF\xBB\xBF" "data: a\r\ndata: b\r\n\r\ndata: c\rdata: d\r\rdata: e\n\n";
    fg_buf whole, piece;
    fg_buf_init(&whole, 0);
    FG_CHECK_INT(parse_in_pieces(crlf, strlen(crlf), 4096, &whole), 0);
    FG_CHECK_STR(whole.data, "message||a\nb\nmessage||c\nd\nmessage||e\n");
    /* Every split of the input gives the same events (a CR at the end of one
     * piece and its LF at the start of the next, a BOM split in two). */
    for (size_t cut = 1; cut < strlen(crlf); cut++) {
        fg_buf_init(&piece, 0);
        fg_sse_parser *p = fg_sse_parser_new(0, record, &piece);
        FG_CHECK_INT(fg_sse_parser_feed(p, crlf, cut, NULL), 0);
        FG_CHECK_INT(fg_sse_parser_feed(p, crlf + cut, strlen(crlf) - cut, NULL), 0);
        FG_CHECK_INT(fg_sse_parser_finish(p, NULL), 0);
        FG_CHECK_STR(piece.data, whole.data);
        fg_sse_parser_free(p);
        fg_buf_free(&piece);
    }
    fg_buf_reset(&whole);
    FG_CHECK_INT(parse_in_pieces(crlf, strlen(crlf), 1, &whole), 0);
    FG_CHECK_STR(whole.data, "message||a\nb\nmessage||c\nd\nmessage||e\n");
    fg_buf_free(&whole);
}

FG_TEST(sse_only_a_leading_bom_is_removed)
{
    static const char s[] = "\xEF\xBB" "data: x\n\n";
    fg_buf out;
    fg_buf_init(&out, 0);
    /* A partial BOM is not a BOM: its bytes start the first field name. */
    FG_CHECK_INT(parse_in_pieces(s, strlen(s), 1, &out), 0);
    FG_CHECK_INT(out.len, 0);
    fg_buf_free(&out);
}

FG_TEST(sse_retry_field)
{
    fg_sse_parser *p = fg_sse_parser_new(0, NULL, NULL);
    FG_CHECK_INT(fg_sse_parser_retry(p), -1);
    fg_sse_parser_feed(p, "retry: 1500\n\nretry: 12x\n\n", 25, NULL);
    FG_CHECK_INT(fg_sse_parser_retry(p), 1500);
    fg_sse_parser_free(p);
}

FG_TEST(sse_truncated_stream_is_reported)
{
    fg_buf out;
    fg_buf_init(&out, 0);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_sse_parser *p = fg_sse_parser_new(0, record, &out);
    FG_CHECK_INT(fg_sse_parser_feed(p, "data: a\n\ndata: b\n", 17, NULL), 0);
    FG_CHECK_INT(fg_sse_parser_finish(p, &eb), FG_EPARSE);
    FG_CHECK(strstr(eb.msg, "truncated") != NULL);
    FG_CHECK_STR(out.data, "message||a\n");
    fg_sse_parser_free(p);
    fg_buf_free(&out);
}

FG_TEST(sse_event_size_limit)
{
    fg_buf out;
    fg_buf_init(&out, 0);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_sse_parser *p = fg_sse_parser_new(64, record, &out);
    char big[100];
    memset(big, 'x', sizeof big);
    FG_CHECK_INT(fg_sse_parser_feed(p, "data: ok\n\n", 10, NULL), 0);
    FG_CHECK_INT(fg_sse_parser_feed(p, "data: ", 6, NULL), 0);
    FG_CHECK_INT(fg_sse_parser_feed(p, big, sizeof big, &eb), FG_ELIMIT); /* one long line */
    FG_CHECK(strstr(eb.msg, "64 bytes") != NULL);
    FG_CHECK_INT(fg_sse_parser_feed(p, "\n\n", 2, NULL), FG_ELIMIT);    /* sticky */
    fg_sse_parser_free(p);
    /* many short data lines add up to the limit too */
    p = fg_sse_parser_new(64, record, &out);
    int rc = 0;
    for (int i = 0; i < 20 && !rc; i++)
        rc = fg_sse_parser_feed(p, "data: 0123456789\n", 17, NULL);
    FG_CHECK_INT(rc, FG_ELIMIT);
    fg_sse_parser_free(p);
    /* comments do not count: a long run of keep-alives is fine */
    p = fg_sse_parser_new(64, record, &out);
    rc = 0;
    for (int i = 0; i < 100; i++)
        FG_CHECK_INT(fg_sse_parser_feed(p, ": ping ping ping\n", 17, NULL), 0);
    fg_sse_parser_free(p);
    FG_CHECK_STR(out.data, "message||ok\n");
    fg_buf_free(&out);
}

static int stop(void *user, const fg_sse_event *ev)
{
    (void)ev;
    ++*(int *)user;
    return 7;
}

FG_TEST(sse_callback_can_stop_parsing)
{
    int n = 0;
    fg_sse_parser *p = fg_sse_parser_new(0, stop, &n);
    FG_CHECK_INT(fg_sse_parser_feed(p, openai_stream, strlen(openai_stream), NULL), 7);
    FG_CHECK_INT(n, 1);
    fg_sse_parser_free(p);
}

FG_TEST(sse_writer_splits_data_lines_and_round_trips)
{
    fg_buf w;
    fg_buf_init(&w, 0);
    FG_CHECK_INT(fg_sse_write_event(&w, "message_delta", NULL, "a\nb\r\nc\rd", 8), 0);
    FG_CHECK_STR(w.data, "event: message_delta\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
    fg_buf_reset(&w);
    FG_CHECK_INT(fg_sse_write_event(&w, NULL, "42", "x\n", 2), 0);
    FG_CHECK_STR(w.data, "id: 42\ndata: x\ndata: \n\n");
    FG_CHECK_INT(fg_sse_write_comment(&w, "ping"), 0);
    fg_buf out;
    fg_buf_init(&out, 0);
    FG_CHECK_INT(parse_in_pieces(w.data, w.len, 3, &out), 0);
    FG_CHECK_STR(out.data, "message|42|x\n\n");
    FG_CHECK_INT(fg_sse_write_event(&w, "bad\nname", NULL, "x", 1), FG_EINVAL);
    FG_CHECK_INT(fg_sse_write_comment(&w, "two\nlines"), FG_EINVAL);
    fg_buf_free(&out);
    fg_buf_free(&w);
}
