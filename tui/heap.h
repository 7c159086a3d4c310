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

/* What main() reserves before it knows the clan: about what a 1000-machine clan directory's
 * model, plan and views take. */
#define HEAP_BASE_RESERVE ((size_t)48 << 20)
/* Once the clan's path is known (cli_open_clan, the TUI's open): the reserve grows to
 * HEAP_BASE_RESERVE + HEAP_PER_TEXT_BYTE x the clan's text (a model, its plan and their
 * output take about 35 bytes per byte of Nix), at most HEAP_MAX_RESERVE. Virtual address
 * space only: what is never touched is never resident. */
#define HEAP_PER_TEXT_BYTE 40
#define HEAP_MAX_RESERVE ((size_t)1 << 30)
void heap_expect_clan(const char *arg);

#endif
