/* Process-wide allocator settings, chosen once by main() before a clan is loaded. */
#ifndef CLAN_TUI_HEAP_H
#define CLAN_TUI_HEAP_H

#include <stddef.h>

/* Loading a clan allocates tens of megabytes in small pieces; on a virtual machine each
 * 4 KiB page's first touch costs ~14 us (7,200 faults: about 100 ms of a 1000-machine
 * clan's first frame). This grows the heap by `reserve` bytes at once, asks the kernel for
 * transparent huge pages there (MADV_HUGEPAGE: one fault per 2 MiB) and keeps glibc's
 * malloc from returning the top of the heap or moving large blocks to their own mappings.
 * Memory is still only resident once touched. Harmless where THP is off or malloc is not
 * glibc's (the sanitizers'): then nothing changes. */
void heap_prefer_huge_pages(size_t reserve);

#endif
