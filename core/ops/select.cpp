// Selection: argmax and top_k. Order: larger value first, on equal values the lower index first.
// NaN inputs give an unspecified (but in-range) answer.
#include <utility>

#include "core/ops/ops.hpp"
#include "core/ops/simd.hpp"

namespace atnat::ops {

using detail::batch;
using detail::lanes;

size_t argmax(const float* x, size_t n) {
    // Pass 1: the maximum, with SIMD. Pass 2: the first index holding it (stops early).
    const float m = detail::max_of(x, n);
    const batch vm(m);
    size_t i = 0;
    for (; i + lanes <= n; i += lanes)
        if (xsimd::any(batch::load_unaligned(x + i) == vm)) break;
    for (; i < n; ++i)
        if (x[i] == m) return i;
    return 0;  // only reachable with NaNs
}

namespace {

// The k best so far as a binary heap in (idx, val) whose root is the *worst* entry.
struct heap {
    int32_t* idx;
    float* val;
    size_t size;

    // a is worse than b: smaller value, or the same value and a later index.
    bool worse(size_t a, size_t b) const { return val[a] < val[b] || (val[a] == val[b] && idx[a] > idx[b]); }
    void swap(size_t a, size_t b) {
        std::swap(idx[a], idx[b]);
        std::swap(val[a], val[b]);
    }
    void sift_up(size_t i) {
        while (i > 0 && worse(i, (i - 1) / 2)) {
            swap(i, (i - 1) / 2);
            i = (i - 1) / 2;
        }
    }
    void sift_down(size_t i, size_t end) {
        for (;;) {
            size_t w = i;
            const size_t l = 2 * i + 1, r = l + 1;
            if (l < end && worse(l, w)) w = l;
            if (r < end && worse(r, w)) w = r;
            if (w == i) return;
            swap(i, w);
            i = w;
        }
    }
    // x[j] arrives after every index in the heap, so it beats the root only with a strictly larger value.
    void offer(const float* x, size_t j) {
        if (x[j] > val[0]) {
            idx[0] = static_cast<int32_t>(j);
            val[0] = x[j];
            sift_down(0, size);
        }
    }
};

}  // namespace

// O(n log k) with a size-k heap living in the output arrays; batches that cannot beat the current
// k-th best are skipped with one SIMD compare.
void top_k(const float* x, size_t n, size_t k, int32_t* idx, float* val) {
    if (k == 0) return;
    heap h{idx, val, k};
    for (size_t j = 0; j < k; ++j) {
        idx[j] = static_cast<int32_t>(j);
        val[j] = x[j];
        h.sift_up(j);
    }
    size_t j = k;
    for (; j + lanes <= n; j += lanes) {
        if (!xsimd::any(batch::load_unaligned(x + j) > batch(val[0]))) continue;
        for (size_t l = 0; l < lanes; ++l) h.offer(x, j + l);
    }
    for (; j < n; ++j) h.offer(x, j);
    // Heap sort: each pass moves the worst remaining entry to the end, leaving best-first order.
    for (size_t end = k - 1; end > 0; --end) {
        h.swap(0, end);
        h.sift_down(0, end);
    }
}

}  // namespace atnat::ops
