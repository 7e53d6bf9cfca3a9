/* The knowledge service without a server: store round trips and reloads,
 * ingestion with per-document errors, filters, the Retrieve shapes, the
 * workflow task, PDF text and the address policy. */
#include "fg_test.h"

#include "config/config.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/json.h"
#include "flow/flow.h"
#include "kb/pdf.h"
#include "knowledge/kn_int.h"
#include "knowledge/knowledge.h"
#include "store/store.h"

#include <openssl/evp.h>
#include <stdlib.h>

typedef struct fixture {
    char dir[64];
    fg_config *cfg;
    fg_store *store;
    fg_knowledge *kn;
} fixture;

static int open_kn(fixture *f)
{
    char url[128];
    snprintf(url, sizeof url, "sqlite:%s/flowgate.db", f->dir);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (!f->cfg) {
        fg_buf problems;
        fg_buf_init(&problems, 0);
        static const char yaml[] = "knowledge:\n  max_document_bytes: 4096\n";
        int rc = fg_config_load_text("test.yaml", yaml, sizeof yaml - 1, &f->cfg, &problems);
        fg_buf_free(&problems);
        if (rc)
            return rc;
    }
    int rc = fg_store_open(url, &f->store, &eb);
    if (!rc)
        rc = fg_knowledge_create(f->cfg, f->store, NULL, NULL, &f->kn, &eb);
    if (rc)
        fprintf(stderr, "  open: %s\n", eb.msg);
    return rc;
}

static void close_kn(fixture *f)
{
    fg_knowledge_free(f->kn);
    fg_store_close(f->store);
    f->kn = NULL;
    f->store = NULL;
}

static int setup(fixture *f)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/fg-kn-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    return open_kn(f);
}

static void teardown(fixture *f)
{
    close_kn(f);
    fg_config_free(f->cfg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "  could not remove %s\n", f->dir);
}

static json_t *b64_doc(const char *name, const void *data, size_t len, json_t *meta)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_base64_encode(&b, data, len);
    json_t *d = json_pack("{s:s,s:s%}", "name", name, "contentBase64", b.data ? b.data : "", b.len);
    fg_buf_free(&b);
    if (meta)
        json_object_set_new(d, "metadata", meta);
    return d;
}

static json_t *ingest(fixture *f, const char *base, json_t *docs)
{
    json_t *sources = json_pack("{s:o}", "documents", docs), *job = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    int rc = fg_knowledge_job_start(f->kn, "acct1", base, sources, false, &job, &eb);
    json_decref(sources);
    if (rc) {
        fprintf(stderr, "  job_start: %s\n", eb.msg);
        return NULL;
    }
    fg_knowledge_run_jobs(f->kn, NULL, NULL);
    json_t *done = NULL;
    fg_knowledge_job_get(f->kn, "acct1", base, fg_json_str(job, "jobId", ""), &done, &eb);
    json_decref(job);
    return done;
}

static const char cats_md[] = "# Pets\n\n## Cats\n\nCats purr when they are content and sleep a lot.\n\n"
                              "## Dogs\n\nDogs bark at the mailman and fetch sticks.\n";
static const char fish_html[] = "<html><head><title>Fish</title></head><body><article><h1>Fish</h1>"
                                "<p>Goldfish swim in small bowls and remember things for months, "
                                "contrary to the popular myth about their memory span.</p></article>"
                                "</body></html>";

static int create_base(fixture *f, const char *name)
{
    json_t *spec = json_pack("{s:s}", "name", name), *out = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    int rc = fg_knowledge_base_create(f->kn, "acct1", spec, &out, &eb);
    json_decref(spec);
    json_decref(out);
    return rc;
}

static json_t *populate(fixture *f)
{
    json_t *docs = json_array();
    json_array_append_new(docs, b64_doc("pets.md", cats_md, sizeof cats_md - 1,
                                        json_pack("{s:s,s:i}", "team", "mammals", "year", 2021)));
    json_array_append_new(docs, b64_doc("fish.html", fish_html, sizeof fish_html - 1,
                                        json_pack("{s:s,s:i,s:[s,s]}", "team", "water", "year", 2023,
                                                  "tags", "pets", "aquatic")));
    return ingest(f, "animals", docs);
}

FG_TEST(bases_are_created_listed_scoped_and_named_uniquely)
{
    fixture f;
    FG_REQUIRE(setup(&f) == 0);
    FG_CHECK_INT(create_base(&f, "animals"), 0);
    FG_CHECK_INT(create_base(&f, "animals"), FG_EEXIST);
    FG_CHECK_INT(create_base(&f, "bad/name"), FG_EINVAL);
    json_t *out = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg_knowledge_base_get(f.kn, "acct1", "animals", &out, &eb), 0);
    FG_CHECK_STR(fg_json_str(out, "name", ""), "animals");
    json_decref(out);
    /* another account does not see it */
    FG_CHECK_INT(fg_knowledge_base_get(f.kn, "acct2", "animals", &out, &eb), FG_ENOTFOUND);
    FG_CHECK_INT(fg_knowledge_base_list(f.kn, "acct2", &out, &eb), 0);
    FG_CHECK_INT(json_array_size(json_object_get(out, "knowledgeBases")), 0);
    json_decref(out);
    teardown(&f);
}

FG_TEST(ingestion_keeps_good_documents_and_reports_each_bad_one)
{
    fixture f;
    FG_REQUIRE(setup(&f) == 0);
    FG_REQUIRE(create_base(&f, "animals") == 0);
    json_t *docs = json_array();
    json_array_append_new(docs, b64_doc("pets.md", cats_md, sizeof cats_md - 1, NULL));
    json_array_append_new(docs, b64_doc("blob.bin", "\x01\x00\x02\x03", 4, NULL));
    json_array_append_new(docs, b64_doc("latin1.txt", "caf\xe9 au lait", 12, NULL));
    char *huge = malloc(5000);
    memset(huge, 'a', 5000);
    json_array_append_new(docs, b64_doc("huge.txt", huge, 5000, NULL));
    free(huge);
    json_array_append_new(docs, b64_doc("broken.pdf", "%PDF-1.4 garbage", 16, NULL));
    json_array_append_new(docs, b64_doc("empty.txt", "   \n", 4, NULL));
    json_t *job = ingest(&f, "animals", docs);
    FG_REQUIRE(job != NULL);
    FG_CHECK_STR(fg_json_str(job, "status", ""), "complete");
    FG_CHECK_INT(json_integer_value(json_object_get(job, "done")), 6);
    FG_CHECK_INT(json_integer_value(json_object_get(job, "failed")), 5);
    json_t *errors = json_object_get(job, "errors");
    FG_CHECK_INT(json_array_size(errors), 5);
    char *all = json_dumps(errors, 0);
    FG_CHECK(strstr(all, "binary") != NULL);
    FG_CHECK(strstr(all, "UTF-8") != NULL);
    FG_CHECK(strstr(all, "limit") != NULL);
    FG_CHECK(strstr(all, "PDF") != NULL);
    FG_CHECK(strstr(all, "no text") != NULL);
    free(all);
    json_decref(job);
    json_t *list = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_REQUIRE(fg_knowledge_documents(f.kn, "acct1", "animals", &list, &eb) == 0);
    json_t *docsout = json_object_get(list, "documents");
    FG_CHECK_INT(json_array_size(docsout), 6);
    int ready = 0;
    for (size_t i = 0; i < json_array_size(docsout); i++)
        ready += strcmp(fg_json_str(json_array_get(docsout, i), "status", ""), "ready") == 0;
    FG_CHECK_INT(ready, 1);
    json_decref(list);
    teardown(&f);
}

static json_t *search(fixture *f, const char *account, const char *q, json_t *filter)
{
    json_t *req = json_pack("{s:s}", "query", q), *out = NULL;
    if (filter)
        json_object_set_new(req, "filter", filter);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    int rc = fg_knowledge_search(f->kn, account, "animals", req, &out, &eb);
    json_decref(req);
    if (rc)
        return NULL;
    json_t *res = json_incref(json_object_get(out, "results"));
    json_decref(out);
    return res;
}

FG_TEST(search_ranks_chunks_and_survives_a_restart)
{
    fixture f;
    FG_REQUIRE(setup(&f) == 0);
    FG_REQUIRE(create_base(&f, "animals") == 0);
    json_t *job = populate(&f);
    FG_REQUIRE(job != NULL);
    FG_CHECK_INT(json_integer_value(json_object_get(job, "failed")), 0);
    json_decref(job);
    json_t *r = search(&f, "acct1", "purring cats", NULL);
    FG_REQUIRE(r && json_array_size(r) >= 1);
    json_t *top = json_array_get(r, 0);
    FG_CHECK(strstr(fg_json_str(top, "text", ""), "Cats purr") != NULL);
    FG_CHECK_STR(fg_json_str(top, "headingPath", ""), "Pets > Cats");
    FG_CHECK_STR(fg_json_str(top, "source", ""), "pets.md");
    json_decref(r);
    /* reopen: the index is rebuilt from the store */
    close_kn(&f);
    FG_REQUIRE(open_kn(&f) == 0);
    r = search(&f, "acct1", "goldfish memory", NULL);
    FG_REQUIRE(r && json_array_size(r) >= 1);
    FG_CHECK_STR(fg_json_str(json_array_get(r, 0), "title", ""), "Fish");
    json_decref(r);
    /* another account's search does not find the base */
    FG_CHECK(search(&f, "acct2", "goldfish", NULL) == NULL);
    teardown(&f);
}

FG_TEST(reingesting_unchanged_content_is_skipped_and_changed_content_replaced)
{
    fixture f;
    FG_REQUIRE(setup(&f) == 0);
    FG_REQUIRE(create_base(&f, "animals") == 0);
    json_decref(populate(&f));
    json_decref(populate(&f));
    json_t *list = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_REQUIRE(fg_knowledge_documents(f.kn, "acct1", "animals", &list, &eb) == 0);
    FG_CHECK_INT(json_array_size(json_object_get(list, "documents")), 2);
    json_decref(list);
    static const char v2[] = "# Pets\n\nHamsters run on wheels all night.\n";
    json_t *docs = json_array();
    json_array_append_new(docs, b64_doc("pets.md", v2, sizeof v2 - 1, NULL));
    json_decref(ingest(&f, "animals", docs));
    json_t *r = search(&f, "acct1", "cats purr", NULL);
    FG_CHECK(r && json_array_size(r) == 0);
    json_decref(r);
    r = search(&f, "acct1", "hamsters", NULL);
    FG_CHECK(r && json_array_size(r) == 1);
    json_decref(r);
    /* deleting a document removes it from search */
    FG_CHECK_INT(fg_knowledge_document_delete(f.kn, "acct1", "animals", "pets.md", &eb), 0);
    r = search(&f, "acct1", "hamsters", NULL);
    FG_CHECK(r && json_array_size(r) == 0);
    json_decref(r);
    teardown(&f);
}

FG_TEST(filters_select_by_metadata)
{
    fixture f;
    FG_REQUIRE(setup(&f) == 0);
    FG_REQUIRE(create_base(&f, "animals") == 0);
    json_decref(populate(&f));
    const char *q = "cats dogs goldfish";
    json_t *r = search(&f, "acct1", q, json_pack("{s:{s:s,s:s}}", "equals", "key", "team", "value", "water"));
    FG_CHECK(r && json_array_size(r) == 1);
    json_decref(r);
    r = search(&f, "acct1", q, json_pack("{s:{s:s,s:i}}", "greaterThan", "key", "year", "value", 2022));
    FG_CHECK(r && json_array_size(r) == 1);
    json_decref(r);
    r = search(&f, "acct1", q, json_pack("{s:{s:s,s:s}}", "listContains", "key", "tags", "value", "aquatic"));
    FG_CHECK(r && json_array_size(r) == 1);
    json_decref(r);
    r = search(&f, "acct1", q, json_pack("{s:{s:s,s:[s]}}", "notIn", "key", "team", "value", "water"));
    FG_CHECK(r && json_array_size(r) >= 1);
    for (size_t i = 0; r && i < json_array_size(r); i++)
        FG_CHECK_STR(fg_json_str(json_object_get(json_array_get(r, i), "metadata"), "team", ""), "mammals");
    json_decref(r);
    r = search(&f, "acct1", q,
               json_pack("{s:[{s:{s:s,s:s}},{s:{s:s,s:i}}]}", "andAll", "equals", "key", "team",
                         "value", "mammals", "lessThanOrEquals", "key", "year", "value", 2020));
    FG_CHECK(r && json_array_size(r) == 0);
    json_decref(r);
    r = search(&f, "acct1", q,
               json_pack("{s:[{s:{s:s,s:s}},{s:{s:s,s:s}}]}", "orAll", "startsWith", "key",
                         "x-amz-bedrock-kb-source-uri", "value", "fish", "stringContains", "key",
                         "team", "value", "amma"));
    FG_CHECK(r && json_array_size(r) >= 2);
    json_decref(r);
    /* malformed filters are refused */
    FG_CHECK(search(&f, "acct1", q, json_pack("{s:{s:s}}", "near", "key", "x")) == NULL);
    FG_CHECK(search(&f, "acct1", q, json_pack("{s:{s:s,s:s}}", "in", "key", "team", "value", "x")) == NULL);
    teardown(&f);
}

FG_TEST(filter_check_bounds_depth)
{
    json_t *f = json_pack("{s:{s:s,s:s}}", "equals", "key", "a", "value", "b");
    for (int i = 0; i < 10; i++)
        f = json_pack("{s:[o]}", "andAll", f);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg__kn_filter_check(f, &eb), FG_EINVAL);
    FG_CHECK(strstr(eb.msg, "deeper") != NULL);
    json_decref(f);
}

FG_TEST(retrieve_answers_in_bedrock_shapes)
{
    fixture f;
    FG_REQUIRE(setup(&f) == 0);
    FG_REQUIRE(create_base(&f, "animals") == 0);
    json_decref(populate(&f));
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    json_t *req = json_pack("{s:{s:s},s:{s:{s:i}}}", "retrievalQuery", "text", "goldfish bowls",
                            "retrievalConfiguration", "vectorSearchConfiguration",
                            "numberOfResults", 1), *out = NULL;
    FG_REQUIRE(fg_knowledge_retrieve(f.kn, "acct1", "animals", req, false, &out, &eb) == 0);
    json_t *rr = json_object_get(out, "retrievalResults");
    FG_CHECK_INT(json_array_size(rr), 1);
    json_t *first = json_array_get(rr, 0);
    FG_CHECK_STR(fg_json_str(json_object_get(first, "content"), "type", ""), "TEXT");
    FG_CHECK(strstr(fg_json_str(json_object_get(first, "content"), "text", ""), "Goldfish") != NULL);
    FG_CHECK_STR(fg_json_str(json_object_get(first, "location"), "type", ""), "CUSTOM");
    FG_CHECK(json_is_number(json_object_get(first, "score")));
    FG_CHECK_STR(fg_json_str(json_object_get(first, "metadata"), "x-amz-bedrock-kb-source-uri", ""), "fish.html");
    json_decref(out);
    json_decref(req);
    /* the task's PascalCase */
    req = json_pack("{s:s,s:{s:s},s:{s:{s:i,s:{s:{s:s,s:s}}}}}", "KnowledgeBaseId", "animals",
                    "RetrievalQuery", "Text", "cats dogs goldfish", "RetrievalConfiguration",
                    "VectorSearchConfiguration", "NumberOfResults", 5, "Filter", "Equals", "Key",
                    "team", "Value", "water");
    FG_REQUIRE(fg_knowledge_retrieve(f.kn, "acct1", "animals", req, true, &out, &eb) == 0);
    rr = json_object_get(out, "RetrievalResults");
    FG_CHECK_INT(json_array_size(rr), 1);
    first = json_array_get(rr, 0);
    FG_CHECK_STR(fg_json_str(json_object_get(first, "Content"), "Type", ""), "TEXT");
    FG_CHECK_STR(fg_json_str(json_object_get(json_object_get(first, "Location"), "CustomDocumentLocation"), "Id", ""),
                 "fish.html");
    json_decref(out);
    json_decref(req);
    /* validation */
    req = json_pack("{s:{s:s},s:{s:{s:i}}}", "retrievalQuery", "text", "x", "retrievalConfiguration",
                    "vectorSearchConfiguration", "numberOfResults", 0);
    FG_CHECK_INT(fg_knowledge_retrieve(f.kn, "acct1", "animals", req, false, &out, &eb), FG_EINVAL);
    json_decref(req);
    req = json_pack("{s:{}}", "retrievalQuery");
    FG_CHECK_INT(fg_knowledge_retrieve(f.kn, "acct1", "animals", req, false, &out, &eb), FG_EINVAL);
    json_decref(req);
    teardown(&f);
}

FG_TEST(workflow_task_retrieves_for_the_executions_account)
{
    fixture f;
    FG_REQUIRE(setup(&f) == 0);
    FG_REQUIRE(create_base(&f, "animals") == 0);
    json_decref(populate(&f));
    fg_flow_registry *reg = fg_flow_registry_create();
    FG_REQUIRE(fg_knowledge_register_tasks(reg, f.kn) == 0);
    json_t *def = json_loads(
        "{\"StartAt\":\"Retrieve\",\"States\":{\"Retrieve\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:aws:states:::aws-sdk:bedrockagentruntime:retrieve\","
        "\"Parameters\":{\"KnowledgeBaseId\":\"animals\",\"RetrievalQuery\":{\"Text.$\":\"$.q\"}},"
        "\"ResultSelector\":{\"RetrievalResults.$\":\"$.RetrievalResults\"},\"End\":true}}}",
        0, NULL);
    json_t *problems = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_flow_machine *m = fg_flow_machine_create(def, reg, &problems, &eb);
    FG_REQUIRE(m != NULL);
    json_t *input = json_pack("{s:s}", "q", "goldfish");
    fg_flow_exec_opts o = {.account_id = "acct1"};
    fg_flow_exec *e = fg_flow_exec_create(m, input, &o);
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_SUCCEEDED);
    const json_t *res = json_object_get(fg_flow_exec_output(e), "RetrievalResults");
    FG_CHECK(json_array_size(res) >= 1);
    FG_CHECK(strstr(fg_json_str(json_object_get(json_array_get(res, 0), "Content"), "Text", ""), "Goldfish") != NULL);
    fg_flow_exec_free(e);
    /* another account's execution does not see the base */
    o.account_id = "acct2";
    e = fg_flow_exec_create(m, input, &o);
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_FAILED);
    FG_CHECK_STR(fg_flow_exec_error(e), "BedrockAgentRuntime.ResourceNotFoundException");
    fg_flow_exec_free(e);
    json_decref(input);
    fg_flow_machine_free(m);
    json_decref(def);
    json_decref(problems);
    fg_flow_registry_free(reg);
    teardown(&f);
}

/* A one-page PDF with the given page text (offsets computed, so it is valid). */
static char *make_pdf(const char *text, const char *extra_trailer, size_t *len)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    size_t off[6];
    char stream[256];
    snprintf(stream, sizeof stream, "BT /F1 12 Tf 72 720 Td (%s) Tj ET", text);
    fg_buf_puts(&b, "%PDF-1.4\n");
    off[1] = b.len;
    fg_buf_puts(&b, "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n");
    off[2] = b.len;
    fg_buf_puts(&b, "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n");
    off[3] = b.len;
    fg_buf_puts(&b, "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                    "/Resources << /Font << /F1 5 0 R >> >> >> endobj\n");
    off[4] = b.len;
    fg_buf_printf(&b, "4 0 obj << /Length %zu >> stream\n%s\nendstream endobj\n", strlen(stream), stream);
    off[5] = b.len;
    fg_buf_puts(&b, "5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj\n");
    size_t xref = b.len;
    fg_buf_puts(&b, "xref\n0 6\n0000000000 65535 f \n");
    for (int i = 1; i < 6; i++)
        fg_buf_printf(&b, "%010zu 00000 n \n", off[i]);
    fg_buf_printf(&b, "trailer << /Size 6 /Root 1 0 R %s>>\nstartxref\n%zu\n%%%%EOF\n",
                  extra_trailer ? extra_trailer : "", xref);
    return fg_buf_detach(&b, len);
}

/* The standard security handler, revision 2 (RC4, 40-bit key), for a PDF
 * whose user password is not empty: readers cannot open it without one. */
static void rc4(const unsigned char *key, size_t klen, const unsigned char *in, unsigned char *out, size_t n)
{
    unsigned char S[256];
    for (int i = 0; i < 256; i++)
        S[i] = (unsigned char)i;
    for (int i = 0, j = 0; i < 256; i++) {
        j = (j + S[i] + key[i % klen]) & 255;
        unsigned char t = S[i]; S[i] = S[j]; S[j] = t;
    }
    for (size_t k = 0, i = 0, j = 0; k < n; k++) {
        i = (i + 1) & 255;
        j = (j + S[i]) & 255;
        unsigned char t = S[i]; S[i] = S[j]; S[j] = t;
        out[k] = in[k] ^ S[(S[i] + S[j]) & 255];
    }
}

static const unsigned char pdf_pad[32] = {
    0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
    0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A};

static void padded(const char *pw, unsigned char out[32])
{
    size_t n = strlen(pw) > 32 ? 32 : strlen(pw);
    memcpy(out, pw, n);
    memcpy(out + n, pdf_pad, 32 - n);
}

static void hexs(fg_buf *b, const unsigned char *p, size_t n)
{
    fg_buf_putc(b, '<');
    for (size_t i = 0; i < n; i++)
        fg_buf_printf(b, "%02x", p[i]);
    fg_buf_putc(b, '>');
}

static char *encrypt_dict(const char *user_pw)
{
    unsigned char upw[32], opw[32], md[16], O[32], U[32];
    unsigned int mdlen;
    unsigned char id[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    padded("owner-secret", opw);
    EVP_Digest(opw, 32, md, &mdlen, EVP_md5(), NULL);
    padded(user_pw, upw);
    rc4(md, 5, upw, O, 32);
    int32_t P = -4;
    unsigned char in[32 + 32 + 4 + 16];
    memcpy(in, upw, 32);
    memcpy(in + 32, O, 32);
    for (int i = 0; i < 4; i++)
        in[64 + i] = (unsigned char)((uint32_t)P >> (8 * i));
    memcpy(in + 68, id, 16);
    EVP_Digest(in, sizeof in, md, &mdlen, EVP_md5(), NULL);
    rc4(md, 5, pdf_pad, U, 32);
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_buf_puts(&b, "/Encrypt << /Filter /Standard /V 1 /R 2 /O ");
    hexs(&b, O, 32);
    fg_buf_puts(&b, " /U ");
    hexs(&b, U, 32);
    fg_buf_puts(&b, " /P -4 >> /ID [");
    hexs(&b, id, 16);
    hexs(&b, id, 16);
    fg_buf_puts(&b, "] ");
    return fg_buf_detach(&b, NULL);
}

FG_TEST(pdf_text_and_errors)
{
    size_t len;
    char *pdf = make_pdf("Quarterly revenue grew strongly", NULL, &len);
    char *text = NULL, *title = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg_kb_pdf_text(pdf, len, 1 << 20, &text, &title, &eb), 0);
    FG_CHECK(text && strstr(text, "Quarterly revenue grew strongly") != NULL);
    free(text);
    free(title);
    free(pdf);
    FG_CHECK_INT(fg_kb_pdf_text("%PDF-1.4 nothing", 16, 1 << 20, &text, &title, &eb), FG_EPARSE);
    FG_CHECK_INT(fg_kb_pdf_text("hello", 5, 1 << 20, &text, &title, &eb), FG_EPARSE);
    char *trailer = encrypt_dict("user-secret");
    pdf = make_pdf("secret", trailer, &len);
    free(trailer);
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg_kb_pdf_text(pdf, len, 1 << 20, &text, &title, &eb), FG_EDENIED);
    FG_CHECK(strstr(eb.msg, "encrypted") != NULL);
    free(pdf);
}

FG_TEST(url_sources_follow_the_fetch_address_policy)
{
    fixture f;
    FG_REQUIRE(setup(&f) == 0);
    kn_fetched out;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    /* loopback is refused before anything is sent (the default policy) */
    FG_CHECK_INT(fg__kn_fetch_url(&f.kn->limits, f.kn->policy, "http://127.0.0.1:9/x", &out, &eb),
                 FG_EDENIED);
    FG_CHECK(strstr(eb.msg, "refused by the fetch policy") != NULL);
    fg__kn_fetched_free(&out);
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg__kn_fetch_url(&f.kn->limits, f.kn->policy, "ftp://example.com/x", &out, &eb),
                 FG_EINVAL);
    fg__kn_fetched_free(&out);
    teardown(&f);
}

FG_TEST(pdf_documents_are_ingested)
{
    fixture f;
    FG_REQUIRE(setup(&f) == 0);
    FG_REQUIRE(create_base(&f, "animals") == 0);
    size_t len;
    char *pdf = make_pdf("Axolotls regrow their limbs", NULL, &len);
    json_t *docs = json_array();
    json_array_append_new(docs, b64_doc("axolotl.pdf", pdf, len, NULL));
    free(pdf);
    json_t *job = ingest(&f, "animals", docs);
    FG_CHECK_INT(json_integer_value(json_object_get(job, "failed")), 0);
    json_decref(job);
    json_t *r = search(&f, "acct1", "axolotl limbs", NULL);
    FG_CHECK(r && json_array_size(r) == 1);
    json_decref(r);
    teardown(&f);
}

FG_TEST(a_job_writes_batches_and_the_same_source_twice_keeps_the_last)
{
    fixture f;
    FG_REQUIRE(setup(&f) == 0);
    FG_REQUIRE(create_base(&f, "animals") == 0);
    json_t *docs = json_array();
    char text[128];
    for (int i = 0; i < 150; i++) { /* more than one batch */
        snprintf(text, sizeof text, "Document number %d mentions the word token%d.", i, i);
        json_array_append_new(docs, json_pack("{s:s,s:s}", "name", "same.txt", "content", "First version about walruses."));
        char name[32];
        snprintf(name, sizeof name, "doc%d.txt", i);
        json_array_append_new(docs, json_pack("{s:s,s:s}", "name", name, "content", text));
    }
    json_array_append_new(docs, json_pack("{s:s,s:s}", "name", "same.txt", "content", "Last version about narwhals."));
    json_t *job = ingest(&f, "animals", docs);
    FG_REQUIRE(job != NULL);
    FG_CHECK_INT(json_integer_value(json_object_get(job, "failed")), 0);
    FG_CHECK_INT(json_integer_value(json_object_get(job, "done")), 301);
    json_decref(job);
    json_t *r = search(&f, "acct1", "token149", NULL);
    FG_CHECK(r && json_array_size(r) == 1);
    json_decref(r);
    r = search(&f, "acct1", "narwhals", NULL);
    FG_CHECK(r && json_array_size(r) == 1);
    json_decref(r);
    r = search(&f, "acct1", "walruses", NULL);
    FG_CHECK(r && json_array_size(r) == 0);
    json_decref(r);
    json_t *list = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_REQUIRE(fg_knowledge_documents(f.kn, "acct1", "animals", &list, &eb) == 0);
    FG_CHECK_INT(json_array_size(json_object_get(list, "documents")), 151);
    json_decref(list);
    /* and after a restart */
    close_kn(&f);
    FG_REQUIRE(open_kn(&f) == 0);
    r = search(&f, "acct1", "walruses narwhals", NULL);
    FG_CHECK(r && json_array_size(r) == 1);
    json_decref(r);
    teardown(&f);
}
