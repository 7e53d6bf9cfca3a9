/* The model file, memory-mapped read-only, and a reader that never reads past
 * the end: a short read sets `bad` and returns zeros. */
#include "infer/infer_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int fg__map_open(fg__map *m, const char *path, uint64_t max_bytes, fg_errbuf *eb)
{
    memset(m, 0, sizeof *m);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fg_failf(eb, errno == ENOENT ? FG_ENOTFOUND : FG_EIO, "%s: cannot open: %s", path,
                        strerror(errno));
    struct stat st;
    int rc = FG_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = fg_failf(eb, FG_EIO, "%s: not a regular file", path);
    } else if ((uint64_t)st.st_size > max_bytes) {
        rc = fg_failf(eb, FG_ELIMIT, "%s: %lld bytes is over the limit of %llu bytes", path,
                      (long long)st.st_size, (unsigned long long)max_bytes);
    } else if (st.st_size == 0) {
        rc = fg_failf(eb, FG_EPARSE, "%s: the file is empty", path);
    } else {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            rc = fg_failf(eb, FG_EIO, "%s: cannot map: %s", path, strerror(errno));
        } else {
            m->data = p;
            m->len = (size_t)st.st_size;
            m->mapped = true;
        }
    }
    close(fd);
    return rc;
}

void fg__map_close(fg__map *m)
{
    if (m->mapped && m->data)
        munmap((void *)m->data, m->len);
    memset(m, 0, sizeof *m);
}

bool fg__rd_need(fg__rd *r, size_t n)
{
    if (r->bad || n > r->len - r->off) {
        r->bad = true;
        return false;
    }
    return true;
}

uint8_t fg__rd_u8(fg__rd *r)
{
    if (!fg__rd_need(r, 1))
        return 0;
    return r->p[r->off++];
}

uint32_t fg__rd_u32(fg__rd *r)
{
    uint32_t v = 0;
    if (!fg__rd_need(r, 4))
        return 0;
    memcpy(&v, r->p + r->off, 4);
    r->off += 4;
    return v;
}

uint64_t fg__rd_u64(fg__rd *r)
{
    uint64_t v = 0;
    if (!fg__rd_need(r, 8))
        return 0;
    memcpy(&v, r->p + r->off, 8);
    r->off += 8;
    return v;
}
