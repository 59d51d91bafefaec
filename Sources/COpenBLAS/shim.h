#include <cblas.h>

/// Hints the CPU to start loading the cache line at `address` (a no-op where
/// the target has no prefetch instruction). Swift has no prefetch of its
/// own, and clang's `_mm_prefetch` is a macro Swift cannot import; the HNSW
/// walk uses this to overlap the memory reads of a node's neighbours.
static inline void memos_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}
