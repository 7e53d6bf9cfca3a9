/* A small unit-test harness: each test file is one executable; each FG_TEST runs
 * in its own child process with a timeout, so a crash fails one case only.
 *   FG_TEST(name) { FG_CHECK(x == 1); FG_CHECK_STR(s, "a"); }
 * Run one case: ./test_x name. Debug without fork: FG_TEST_NOFORK=1.
 * The last line printed is "N passed, N failed, N skipped". */
#ifndef FG_TEST_H
#define FG_TEST_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef void (*fg_test_fn)(void);
typedef struct {
    const char *name;
    fg_test_fn fn;
} fg_test_case;

#define FG_TEST_MAX 512
static fg_test_case fg_test_cases[FG_TEST_MAX];
static int fg_test_count;
static int fg_test_failures;
static int fg_test_skipped;

static inline void fg_test_register(const char *name, fg_test_fn fn)
{
    if (fg_test_count < FG_TEST_MAX)
        fg_test_cases[fg_test_count++] = (fg_test_case){name, fn};
}

#define FG_TEST(name)                                                                          \
    static void name(void);                                                                    \
    __attribute__((constructor)) static void name##_register(void)                             \
    {                                                                                          \
        fg_test_register(#name, name);                                                         \
    }                                                                                          \
    static void name(void)

#define FG_CHECK(cond)                                                                         \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
            fg_test_failures++;                                                                \
        }                                                                                      \
    } while (0)

#define FG_REQUIRE(cond)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "  %s:%d: requirement failed: %s\n", __FILE__, __LINE__, #cond);   \
            fg_test_failures++;                                                                \
            return;                                                                            \
        }                                                                                      \
    } while (0)

#define FG_CHECK_INT(a, b)                                                                     \
    do {                                                                                       \
        long long fg_a_ = (long long)(a), fg_b_ = (long long)(b);                              \
        if (fg_a_ != fg_b_) {                                                                  \
            fprintf(stderr, "  %s:%d: %s == %s: %lld != %lld\n", __FILE__, __LINE__, #a, #b,   \
                    fg_a_, fg_b_);                                                             \
            fg_test_failures++;                                                                \
        }                                                                                      \
    } while (0)

#define FG_CHECK_STR(a, b)                                                                     \
    do {                                                                                       \
        const char *fg_a_ = (a), *fg_b_ = (b);                                                 \
        if (!fg_a_ || !fg_b_ || strcmp(fg_a_, fg_b_) != 0) {                                   \
            fprintf(stderr, "  %s:%d: %s == %s:\n    got:      %s\n    expected: %s\n",        \
                    __FILE__, __LINE__, #a, #b, fg_a_ ? fg_a_ : "(null)",                      \
                    fg_b_ ? fg_b_ : "(null)");                                                 \
            fg_test_failures++;                                                                \
        }                                                                                      \
    } while (0)

/* Ends the current case as skipped, printing why (data absent, etc.). */
#define FG_SKIP(...)                                                                           \
    do {                                                                                       \
        fprintf(stdout, "  skip: ");                                                           \
        fprintf(stdout, __VA_ARGS__);                                                          \
        fprintf(stdout, "\n");                                                                 \
        fflush(stdout);                                                                        \
        fg_test_skipped = 1;                                                                   \
        return;                                                                                \
    } while (0)

/* The shared test data folder: $FG_SHARED_DIR, else ../shared beside the source
 * tree. Returns a path to rel inside it in a static buffer, or NULL if absent. */
static inline const char *fg_test_shared(const char *rel)
{
    static char path[4096];
    const char *base = getenv("FG_SHARED_DIR");
    if (base && *base)
        snprintf(path, sizeof path, "%s/%s", base, rel);
    else
        snprintf(path, sizeof path, "%s/../shared/%s", FG_SOURCE_DIR, rel);
    struct stat st;
    return stat(path, &st) == 0 ? path : NULL;
}

/* LeakSanitizer's check, when the tests are built with it: a child process ends
 * with _exit, which skips the check that normally runs at exit. */
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

static inline int fg_test_run_one(const fg_test_case *tc, int use_fork, unsigned timeout)
{
    fflush(stdout);
    fflush(stderr);
    if (!use_fork) {
        fg_test_failures = 0;
        fg_test_skipped = 0;
        tc->fn();
        return fg_test_failures ? 1 : fg_test_skipped ? 2 : 0;
    }
    pid_t pid = fork();
    if (pid == 0) {
        alarm(timeout);
        fg_test_failures = 0;
        fg_test_skipped = 0;
        tc->fn();
        fflush(stdout);
        fflush(stderr);
        if (__lsan_do_recoverable_leak_check && __lsan_do_recoverable_leak_check()) {
            fprintf(stderr, "  %s: memory leaked (see the report above)\n", tc->name);
            fg_test_failures++;
        }
        _exit(fg_test_failures ? 1 : fg_test_skipped ? 2 : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "  %s: killed by signal %d%s\n", tc->name, WTERMSIG(status),
                WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
        return 1;
    }
    return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    int use_fork = getenv("FG_TEST_NOFORK") == NULL;
    unsigned timeout = getenv("FG_TEST_TIMEOUT") ? (unsigned)atoi(getenv("FG_TEST_TIMEOUT")) : 120;
    int passed = 0, failed = 0, skipped = 0;
    for (int i = 0; i < fg_test_count; i++) {
        const fg_test_case *tc = &fg_test_cases[i];
        if (only && strcmp(only, tc->name) != 0)
            continue;
        int r = fg_test_run_one(tc, use_fork, timeout);
        if (r == 0) {
            passed++;
            printf("ok %s\n", tc->name);
        } else if (r == 2) {
            skipped++;
            printf("skip %s\n", tc->name);
        } else {
            failed++;
            printf("FAIL %s\n", tc->name);
        }
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}

#endif
