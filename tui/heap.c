/* Process-wide allocator settings: see tui/heap.h. */
#include <dirent.h>
#include <malloc.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tui/heap.h"

#define HUGE_PAGE ((uintptr_t)2 << 20)

void heap_prefer_huge_pages(size_t reserve)
{
    /* blocks below this stay in the (huge-paged) heap instead of their own 4 KiB mappings */
    size_t mmap_min = reserve + (reserve >> 1);
    if (!mallopt(M_MMAP_THRESHOLD, (int)mmap_min) || !mallopt(M_TRIM_THRESHOLD, (int)mmap_min))
        return;
    void *p = malloc(reserve);
    if (!p)
        return;
    uintptr_t start = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    uintptr_t end = (uintptr_t)sbrk(0) & ~(HUGE_PAGE - 1);
    /* only when the block came from the brk heap, which it does under glibc's malloc */
    if ((uintptr_t)p < end && end > start && end - (uintptr_t)p <= reserve + HUGE_PAGE)
        madvise((void *)start, end - start, MADV_HUGEPAGE);
    free(p);
}

/* the bytes of a clan's text: a file's size; for a directory its clan.nix, flake.nix and
 * inventory.json, and an allowance per entry of machines/ (a configuration, a facts and vars
 * tree) -- an estimate, read with a few stats and one readdir */
static size_t clan_text_estimate(const char *arg)
{
    struct stat st;
    if (stat(arg ? arg : ".", &st) < 0)
        return 0;
    if (!S_ISDIR(st.st_mode))
        return S_ISREG(st.st_mode) ? (size_t)st.st_size : 0;
    static const char *const top[] = {"clan.nix", "flake.nix", "inventory.json"};
    char path[4096];
    size_t n = 0;
    for (size_t i = 0; i < sizeof top / sizeof *top; i++)
        if (snprintf(path, sizeof path, "%s/%s", arg ? arg : ".", top[i]) < (int)sizeof path &&
            stat(path, &st) == 0 && S_ISREG(st.st_mode))
            n += (size_t)st.st_size;
    if (snprintf(path, sizeof path, "%s/machines", arg ? arg : ".") >= (int)sizeof path)
        return n;
    DIR *d = opendir(path);
    if (!d)
        return n;
    while (readdir(d))
        n += (size_t)8 << 10;
    closedir(d);
    return n;
}

void heap_expect_clan(const char *arg)
{
    size_t text = clan_text_estimate(arg);
    size_t reserve = HEAP_BASE_RESERVE;
    if (text > (HEAP_MAX_RESERVE - reserve) / HEAP_PER_TEXT_BYTE)
        reserve = HEAP_MAX_RESERVE;
    else
        reserve += text * HEAP_PER_TEXT_BYTE;
    if (reserve > HEAP_BASE_RESERVE)
        heap_prefer_huge_pages(reserve);
}
