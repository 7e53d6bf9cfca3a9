#include "kb/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *fg_kb_read_file(const char *path, size_t max, size_t *len, fg_errbuf *eb)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fg_failf(eb, FG_EIO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        fg_failf(eb, FG_EIO, "%s: not a regular file", path);
        return NULL;
    }
    if ((unsigned long long)st.st_size > max) {
        fclose(f);
        fg_failf(eb, FG_ELIMIT, "%s: %lld bytes is over the %zu-byte limit", path,
                 (long long)st.st_size, max);
        return NULL;
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf || fread(buf, 1, n, f) != n) {
        free(buf);
        fclose(f);
        fg_failf(eb, FG_EIO, "%s: read failed", path);
        return NULL;
    }
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}
