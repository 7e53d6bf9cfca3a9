/* flowgate kb eval: ranking quality on a BEIR-format dataset. */
#include "cli/args.h"
#include "kb/commands.h"
#include "kb/eval.h"

#include <stdio.h>
#include <string.h>

int fg_kb_cmd_eval(int argc, char **argv)
{
    const char *corpus = NULL, *queries = NULL, *qrels = NULL, *mode = "bm25";
    double k1 = 1.2, b = 0.75;
    bool exact = false;
    const fg_opt opts[] = {
        {"corpus", FG_OPT_STR, &corpus, "FILE", "corpus.jsonl ({\"_id\",\"title\",\"text\"} a line)"},
        {"queries", FG_OPT_STR, &queries, "FILE", "queries.jsonl ({\"_id\",\"text\"} a line)"},
        {"qrels", FG_OPT_STR, &qrels, "FILE", "judgments TSV: query-id, corpus-id, score"},
        {"mode", FG_OPT_STR, &mode, "MODE", "bm25 (default), vector or hybrid"},
        {"k1", FG_OPT_DOUBLE, &k1, "K", "BM25 k1 (default 1.2, Lucene's; Anserini uses 0.9)"},
        {"b", FG_OPT_DOUBLE, &b, "B", "BM25 b (default 0.75, Lucene's; Anserini uses 0.4)"},
        {"exact-lengths", FG_OPT_FLAG, &exact, NULL, "use exact document lengths, not Lucene's one-byte norms"},
        {0},
    };
    const fg_cli cli = {
        .usage = "flowgate kb eval --corpus FILE --queries FILE --qrels FILE [--mode bm25|vector|hybrid] [--k1 K --b B]",
        .summary = "Indexes a BEIR-format dataset, runs every judged query and prints nDCG@10 and\n"
                   "Recall@100 (trec_eval conventions). The last line is ndcg@10=<value>.",
        .opts = opts,
        .max_positional = 0,
    };
    int rc = fg_cli_parse(&cli, argc, argv, NULL);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    if (!corpus || !queries || !qrels) {
        fprintf(stderr, "kb eval: --corpus, --queries and --qrels are required\n");
        return 2;
    }
    if (strcmp(mode, "vector") == 0 || strcmp(mode, "hybrid") == 0) {
        fprintf(stderr, "kb eval: --mode %s needs an embedding provider; none is configured "
                        "(use --mode bm25)\n", mode);
        return 1;
    }
    if (strcmp(mode, "bm25") != 0 || k1 < 0 || b < 0 || b > 1) {
        fprintf(stderr, "kb eval: bad --mode, --k1 (>= 0) or --b (0..1)\n");
        return 2;
    }
    fg_kb_eval_opts o = {corpus, queries, qrels, {(float)k1, (float)b, exact}, 0, 0};
    fg_kb_eval_result r;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_kb_eval_bm25(&o, &r, &eb) != 0) {
        fprintf(stderr, "kb eval: %s\n", eb.msg);
        return 1;
    }
    printf("documents=%zu terms=%llu queries=%zu\n", r.docs, (unsigned long long)r.total_terms,
           r.queries);
    printf("index_ms=%.1f search_ms=%.1f query_p50_us=%.1f query_p99_us=%.1f\n", r.index_ms,
           r.search_ms, r.query_p50_us, r.query_p99_us);
    printf("bm25 k1=%.3g b=%.3g lengths=%s\n", k1, b, exact ? "exact" : "lucene-quantised");
    printf("recall@100=%.4f\n", r.recall100);
    printf("ndcg@10=%.4f\n", r.ndcg10);
    return 0;
}
