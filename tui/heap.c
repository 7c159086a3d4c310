/* Process-wide allocator settings: see tui/heap.h. */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
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
