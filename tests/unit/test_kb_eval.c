#include "kb/eval.h"
#include "fg_test.h"

#include <math.h>

static char dir[64];

static void write_file(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static fg_kb_eval_opts dataset(const char *qrels)
{
    snprintf(dir, sizeof dir, "/tmp/fg-kb-eval-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    write_file("corpus.jsonl",
               "{\"_id\":\"d1\",\"title\":\"Aspirin\",\"text\":\"Aspirin reduces fever and pain.\"}\n"
               "{\"_id\":\"d2\",\"title\":\"Insulin\",\"text\":\"Insulin controls blood sugar.\"}\n"
               "{\"_id\":\"d3\",\"title\":\"Statins\",\"text\":\"Statins lower cholesterol in blood.\"}\n");
    write_file("queries.jsonl", "{\"_id\":\"q1\",\"text\":\"does aspirin reduce fever\"}\n"
                                "{\"_id\":\"q2\",\"text\":\"blood sugar control\"}\n");
    write_file("test.tsv", qrels);
    static char c[128], q[128], r[128];
    snprintf(c, sizeof c, "%s/corpus.jsonl", dir);
    snprintf(q, sizeof q, "%s/queries.jsonl", dir);
    snprintf(r, sizeof r, "%s/test.tsv", dir);
    return (fg_kb_eval_opts){c, q, r, FG_KB_BM25_DEFAULTS, 0, 0};
}

static void cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup failed\n");
}

FG_TEST(ndcg_follows_trec_eval)
{
    int ideal[] = {1, 1};
    int perfect[] = {1, 1, 0};
    FG_CHECK(fabs(fg_kb_ndcg(perfect, 3, ideal, 2, 10) - 1.0) < 1e-9);
    int second[] = {0, 1, 0};
    /* DCG 1/log2(3); IDCG 1 + 1/log2(3) */
    double want = (1 / log2(3)) / (1 + 1 / log2(3));
    FG_CHECK(fabs(fg_kb_ndcg(second, 3, ideal, 2, 10) - want) < 1e-9);
    int late[12] = {0};
    late[10] = 1;
    FG_CHECK(fg_kb_ndcg(late, 12, ideal, 2, 10) == 0);
}

FG_TEST(eval_scores_a_small_dataset)
{
    fg_kb_eval_opts o = dataset("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n");
    fg_kb_eval_result r;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg_kb_eval_bm25(&o, &r, &eb), 0);
    FG_CHECK_INT(r.docs, 3);
    FG_CHECK_INT(r.queries, 2);
    FG_CHECK(fabs(r.ndcg10 - 1.0) < 1e-9);
    FG_CHECK(fabs(r.recall100 - 1.0) < 1e-9);
    cleanup();
}

FG_TEST(eval_reports_bad_files_with_their_line)
{
    fg_kb_eval_opts o = dataset("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2 d2 1\n");
    fg_kb_eval_result r;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg_kb_eval_bm25(&o, &r, &eb), FG_EPARSE);
    FG_CHECK(strstr(eb.msg, "test.tsv:3") != NULL);
    cleanup();
    o = dataset("q9\td1\t1\n");
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg_kb_eval_bm25(&o, &r, &eb), FG_EPARSE);
    FG_CHECK(strstr(eb.msg, "'q9' is not in") != NULL);
    cleanup();
}

FG_TEST(eval_refuses_lines_over_the_ceiling)
{
    fg_kb_eval_opts o = dataset("q1\td1\t1\n");
    o.max_line = 40; /* the query lines are longer */
    fg_kb_eval_result r;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg_kb_eval_bm25(&o, &r, &eb), FG_ELIMIT);
    FG_CHECK(strstr(eb.msg, "queries.jsonl:1: line longer than 40 bytes") != NULL);
    cleanup();
}
