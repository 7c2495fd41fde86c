// Kernel tests: every SIMD kernel in atnat::ops against its scalar reference in atnat::ops::ref,
// over sizes 1 .. 49 (= 3·16 + 1: every tail length for any xsimd width up to AVX-512's 16 lanes)
// plus a few larger ones, at start pointers offset 0..3 floats into their buffers (unaligned).
// Buffers carry guard zones on both sides that are checked after every call (overruns fail the test
// natively and in wasm, not only under ASan). The references themselves are pinned by hand-computed
// known values, run through both implementations.
#include "core/ops/ops.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "core/ops/simd.hpp"  // only for ExpTanhSigmoidAreXsimdBitForBit, the one test of an internal helper

namespace ops = atnat::ops;
namespace ref = atnat::ops::ref;

namespace {

// --- helpers -------------------------------------------------------------------------------------

// xorshift64*: the same sequence natively and in wasm (unlike std::uniform_real_distribution).
struct Rng {
    uint64_t s;
    explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
    uint32_t next() {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        return static_cast<uint32_t>((s * 0x2545F4914F6CDD1Dull) >> 32);
    }
    float uniform(float lo, float hi) {
        return lo + (hi - lo) * static_cast<float>(next() >> 8) / 16777216.f;
    }
    size_t below(size_t n) { return next() % n; }
};

constexpr size_t kGuard = 16;
template <class T>
constexpr T kGuardValue = T(-12345);
template <>
constexpr int8_t kGuardValue<int8_t> = 0x5A;

// n values of T starting `offset` elements into an allocation, with guard zones before and after.
template <class T>
class BasicBuf {
public:
    BasicBuf(size_t n, size_t offset)
        : n_(n), off_(kGuard + offset), mem_(off_ + n + kGuard, kGuardValue<T>) {}
    T* data() { return mem_.data() + off_; }
    const T* data() const { return mem_.data() + off_; }
    size_t size() const { return n_; }
    T& operator[](size_t i) { return data()[i]; }
    T operator[](size_t i) const { return data()[i]; }
    std::vector<T> values() const { return {data(), data() + n_}; }
    void fill(Rng& rng, float lo, float hi) {
        for (size_t i = 0; i < n_; ++i) data()[i] = T(rng.uniform(lo, hi));
    }
    void assign(const std::vector<T>& v) { std::copy(v.begin(), v.end(), data()); }
    // true when nothing outside [data, data + n) was written
    bool guards_intact() const {
        for (size_t i = 0; i < off_; ++i)
            if (mem_[i] != kGuardValue<T>) return false;
        for (size_t i = off_ + n_; i < mem_.size(); ++i)
            if (mem_[i] != kGuardValue<T>) return false;
        return true;
    }

private:
    size_t n_, off_;
    std::vector<T> mem_;
};
using Buf = BasicBuf<float>;
// Int8 weights; fill(rng, -127, 128) gives [-127, 127], the quantiser's range (KnownValues covers -128).
using I8Buf = BasicBuf<int8_t>;

// |got - want| ≤ rel·scale[i] + abs, element by element; scale defaults to |want|.
void expect_close(const float* got, const float* want, size_t n, float rel, float abs,
                  const float* scale = nullptr) {
    for (size_t i = 0; i < n; ++i) {
        const float s = scale ? scale[i] : std::fabs(want[i]);
        const float tol = rel * s + abs;
        ASSERT_TRUE(std::fabs(got[i] - want[i]) <= tol)
            << "at " << i << ": got " << got[i] << ", want " << want[i] << " (tolerance " << tol << ")";
    }
}

void expect_bitwise(const float* got, const float* want, size_t n) {
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(got[i], want[i]) << "at " << i;
}

// Test names. (An ostream instead of "literal" + std::string: GCC 12 warns falsely on the latter.)
template <class... A>
std::string str(const A&... parts) {
    std::ostringstream os;
    (os << ... << parts);
    return os.str();
}

template <class T>
std::vector<T> abs_of(const T* x, size_t n) {
    std::vector<T> r(n);
    for (size_t i = 0; i < n; ++i) r[i] = T(std::abs(x[i]));
    return r;
}

// Relative tolerance of sums (different summation order), measured against Σ|terms|.
constexpr float kSumRel = 1e-5f;
// Elementwise transcendental functions (xsimd vs libm): a few ulps, plus an absolute floor where
// the value is a difference of nearly equal numbers (gelu for x ≪ 0).
constexpr float kFnRel = 1e-5f, kFnAbs = 1e-6f;

// --- sized kernels: TEST_P over (n, offset) ------------------------------------------------------

std::vector<size_t> test_sizes() {
    std::vector<size_t> s;
    for (size_t n = 1; n <= 49; ++n) s.push_back(n);
    for (size_t n : {64, 100, 257}) s.push_back(n);
    return s;
}

class Sized : public ::testing::TestWithParam<std::tuple<size_t, size_t>> {
protected:
    size_t n() const { return std::get<0>(GetParam()); }
    size_t off() const { return std::get<1>(GetParam()); }
    Rng rng{n() * 131 + off() + 7};
    Buf make(float lo, float hi) {
        Buf b(n(), off());
        b.fill(rng, lo, hi);
        return b;
    }
};

TEST_P(Sized, Dot) {
    Buf a = make(-1, 1), b = make(-1, 1);
    const float got = ops::dot(a.data(), b.data(), n());
    const float want = ref::dot(a.data(), b.data(), n());
    std::vector<float> aa = abs_of(a.data(), n()), ab = abs_of(b.data(), n());
    const float mag = ref::dot(aa.data(), ab.data(), n());
    EXPECT_LE(std::fabs(got - want), kSumRel * mag) << got << " vs " << want;
    EXPECT_TRUE(a.guards_intact() && b.guards_intact());
}

TEST_P(Sized, Axpy) {
    Buf x = make(-1, 1), y = make(-1, 1);
    std::vector<float> want = y.values();
    ref::axpy(0.37f, x.data(), want.data(), n());
    ops::axpy(0.37f, x.data(), y.data(), n());
    expect_bitwise(y.data(), want.data(), n());  // one mul and one add per element: exact
    EXPECT_TRUE(x.guards_intact() && y.guards_intact());
}

TEST_P(Sized, AddMulExactAndInPlace) {
    Buf a = make(-2, 2), b = make(-2, 2), out(n(), off());
    std::vector<float> want(n());
    ref::add(a.data(), b.data(), want.data(), n());
    ops::add(a.data(), b.data(), out.data(), n());
    expect_bitwise(out.data(), want.data(), n());
    ref::mul(a.data(), b.data(), want.data(), n());
    ops::mul(a.data(), b.data(), out.data(), n());
    expect_bitwise(out.data(), want.data(), n());
    // out aliasing a
    std::vector<float> want_alias(n());
    ref::add(a.data(), b.data(), want_alias.data(), n());
    ops::add(a.data(), b.data(), a.data(), n());
    expect_bitwise(a.data(), want_alias.data(), n());
    EXPECT_TRUE(a.guards_intact() && b.guards_intact() && out.guards_intact());
}

TEST_P(Sized, Scale) {
    Buf x = make(-3, 3);
    std::vector<float> want = x.values();
    ref::scale(want.data(), -1.75f, n());
    ops::scale(x.data(), -1.75f, n());
    expect_bitwise(x.data(), want.data(), n());
    EXPECT_TRUE(x.guards_intact());
}

TEST_P(Sized, Softmax) {
    Buf x = make(-10, 10);
    std::vector<float> want = x.values();
    ref::softmax(want.data(), n(), nullptr);
    ops::softmax(x.data(), n(), nullptr);
    expect_close(x.data(), want.data(), n(), kFnRel, 1e-7f);
    float sum = 0;
    for (size_t i = 0; i < n(); ++i) sum += x[i];
    EXPECT_NEAR(sum, 1.f, 1e-5f);
    EXPECT_TRUE(x.guards_intact());
}

TEST_P(Sized, SoftmaxMasked) {
    Buf x = make(-10, 10);
    std::vector<uint8_t> mask(n());
    for (size_t i = 0; i < n(); ++i) mask[i] = rng.below(3) != 0;
    mask[rng.below(n())] = 1;  // at least one included
    std::vector<float> want = x.values();
    ref::softmax(want.data(), n(), mask.data());
    ops::softmax(x.data(), n(), mask.data());
    expect_close(x.data(), want.data(), n(), kFnRel, 1e-7f);
    for (size_t i = 0; i < n(); ++i) {
        if (!mask[i]) {
            EXPECT_EQ(x[i], 0.f) << "excluded entry " << i;
        }
    }
    EXPECT_TRUE(x.guards_intact());
}

TEST_P(Sized, SoftmaxAllExcludedIsZeros) {
    Buf x = make(-10, 10);
    std::vector<uint8_t> mask(n(), 0);
    std::vector<float> want = x.values();
    ref::softmax(want.data(), n(), mask.data());
    ops::softmax(x.data(), n(), mask.data());
    for (size_t i = 0; i < n(); ++i) {
        EXPECT_EQ(x[i], 0.f);
        EXPECT_EQ(want[i], 0.f);
    }
    EXPECT_TRUE(x.guards_intact());
}

TEST_P(Sized, LogSoftmax) {
    Buf x = make(-10, 10);
    std::vector<float> want = x.values();
    ref::log_softmax(want.data(), n());
    ops::log_softmax(x.data(), n());
    expect_close(x.data(), want.data(), n(), kFnRel, 2e-6f);
    EXPECT_TRUE(x.guards_intact());
}

TEST_P(Sized, LogNormaliser) {
    Buf x = make(-10, 10);
    std::vector<float> all = x.values();
    ops::log_softmax(all.data(), n());
    const ops::LogNormaliser z = ops::log_normaliser(x.data(), n());
    const ref::LogNormaliser want = ref::log_normaliser(x.data(), n());
    EXPECT_EQ(z.max, want.max);
    EXPECT_NEAR(z.log_sum, want.log_sum, 2e-6f + kFnRel * std::abs(want.log_sum));
    for (size_t i = 0; i < n(); ++i)
        EXPECT_EQ((x[i] - z.max) - z.log_sum, all[i]) << "i = " << i;  // bit for bit
    EXPECT_TRUE(x.guards_intact());
}

TEST_P(Sized, Rmsnorm) {
    Buf x = make(-2, 2), w = make(0.5f, 1.5f), out(n(), off());
    std::vector<float> want(n());
    ref::rmsnorm(x.data(), w.data(), want.data(), n(), 1e-5f);
    ops::rmsnorm(x.data(), w.data(), out.data(), n(), 1e-5f);
    expect_close(out.data(), want.data(), n(), kSumRel, 1e-6f);
    EXPECT_TRUE(x.guards_intact() && w.guards_intact() && out.guards_intact());
}

TEST_P(Sized, Layernorm) {
    Buf x = make(-2, 3), w = make(0.5f, 1.5f), b = make(-1, 1), out(n(), off());
    std::vector<float> want(n());
    ref::layernorm(x.data(), w.data(), b.data(), want.data(), n(), 1e-5f);
    ops::layernorm(x.data(), w.data(), b.data(), out.data(), n(), 1e-5f);
    expect_close(out.data(), want.data(), n(), kSumRel, 1e-5f);
    EXPECT_TRUE(x.guards_intact() && w.guards_intact() && b.guards_intact() && out.guards_intact());
}

// Activations see the usual range plus saturating extremes.
Buf activation_input(Rng& rng, size_t n, size_t off) {
    Buf x(n, off);
    x.fill(rng, -6, 6);
    const float extremes[] = {-100.f, 100.f, -30.f, 30.f, 0.f};
    for (size_t i = 0; i < n; i += 7) x[i] = extremes[(i / 7) % 5];
    return x;
}

TEST_P(Sized, Silu) {
    Buf x = activation_input(rng, n(), off());
    std::vector<float> want = x.values();
    ref::silu(want.data(), n());
    ops::silu(x.data(), n());
    expect_close(x.data(), want.data(), n(), kFnRel, kFnAbs);
    EXPECT_TRUE(x.guards_intact());
}

TEST_P(Sized, Gelu) {
    Buf x = activation_input(rng, n(), off());
    std::vector<float> want = x.values();
    ref::gelu(want.data(), n());
    ops::gelu(x.data(), n());
    expect_close(x.data(), want.data(), n(), kFnRel, kFnAbs);
    EXPECT_TRUE(x.guards_intact());
}

TEST_P(Sized, SwigluAndInPlace) {
    Buf g = activation_input(rng, n(), off()), u = make(-2, 2), out(n(), off());
    std::vector<float> want(n());
    ref::swiglu(g.data(), u.data(), want.data(), n());
    ops::swiglu(g.data(), u.data(), out.data(), n());
    expect_close(out.data(), want.data(), n(), kFnRel, kFnAbs);
    ops::swiglu(g.data(), u.data(), g.data(), n());  // out aliasing gate
    expect_bitwise(g.data(), out.data(), n());
    EXPECT_TRUE(g.guards_intact() && u.guards_intact() && out.guards_intact());
}

TEST_P(Sized, TanhSigmoidGateAndInPlace) {
    Buf a = activation_input(rng, n(), off()), b = activation_input(rng, n(), off()), out(n(), off());
    for (size_t i = 0; i < n(); ++i) b[i] = -b[i];
    std::vector<float> want(n());
    ref::tanh_sigmoid_gate(a.data(), b.data(), want.data(), n());
    ops::tanh_sigmoid_gate(a.data(), b.data(), out.data(), n());
    expect_close(out.data(), want.data(), n(), kFnRel, kFnAbs);
    ops::tanh_sigmoid_gate(a.data(), b.data(), b.data(), n());  // out aliasing b
    expect_bitwise(b.data(), out.data(), n());
    EXPECT_TRUE(a.guards_intact() && b.guards_intact() && out.guards_intact());
}

// An element's activation value must not depend on where it sits (SIMD body or tail).
TEST_P(Sized, ActivationIsPositionIndependent) {
    Buf x = activation_input(rng, n(), off());
    std::vector<float> whole = x.values();
    ops::gelu(whole.data(), n());
    for (size_t i = 0; i < n(); ++i) {
        float one = x[i];
        ops::gelu(&one, 1);
        ASSERT_EQ(one, whole[i]) << "at " << i;
    }
}

TEST_P(Sized, Rope) {
    // head_dim = 2n, 3 heads; angles as a real rotary table would give them.
    const size_t h = n(), head_dim = 2 * h, heads = 3;
    Buf x(heads * head_dim, off()), c(h, off()), s(h, off());
    x.fill(rng, -1, 1);
    for (size_t i = 0; i < h; ++i) {
        const float angle = 5.f * std::pow(10000.f, -float(i) / float(h));
        c[i] = std::cos(angle);
        s[i] = std::sin(angle);
    }
    std::vector<float> want = x.values();
    ref::rope(want.data(), c.data(), s.data(), heads, head_dim);
    ops::rope(x.data(), c.data(), s.data(), heads, head_dim);
    expect_bitwise(x.data(), want.data(), x.size());  // the same two products and one add/sub: exact
    EXPECT_TRUE(x.guards_intact() && c.guards_intact() && s.guards_intact());
}

TEST_P(Sized, Embedding) {
    const size_t rows = 7, dim = n();
    Buf table(rows * dim, off()), out(5 * dim, off());
    table.fill(rng, -1, 1);
    const int32_t ids[5] = {3, -1, 6, 7, 0};  // -1 and 7 (= rows) are outside the table
    std::vector<float> want(5 * dim, 99.f);
    ref::embedding(table.data(), rows, dim, ids, 5, want.data());
    ops::embedding(table.data(), rows, dim, ids, 5, out.data());
    expect_bitwise(out.data(), want.data(), out.size());
    for (size_t d = 0; d < dim; ++d) {
        EXPECT_EQ(out[0 * dim + d], table[3 * dim + d]);
        EXPECT_EQ(out[1 * dim + d], 0.f);
        EXPECT_EQ(out[3 * dim + d], 0.f);
        EXPECT_EQ(out[4 * dim + d], table[d]);
    }
    EXPECT_TRUE(table.guards_intact() && out.guards_intact());
}

TEST_P(Sized, EmbeddingI8) {
    const size_t rows = 7, dim = n();
    I8Buf table(rows * dim, off());
    Buf scale(rows, off()), out(5 * dim, off());
    table.fill(rng, -127, 128);
    scale.fill(rng, 0.001f, 0.02f);
    const int32_t ids[5] = {3, -1, 6, 7, 0};  // -1 and 7 (= rows) are outside the table
    std::vector<float> want(5 * dim, 99.f);
    ref::embedding_i8(table.data(), scale.data(), rows, dim, ids, 5, want.data());
    ops::embedding_i8(table.data(), scale.data(), rows, dim, ids, 5, out.data());
    expect_bitwise(out.data(), want.data(), out.size());  // one product each: exact
    for (size_t d = 0; d < dim; ++d) {
        EXPECT_EQ(out[0 * dim + d], scale[3] * float(table[3 * dim + d]));
        EXPECT_EQ(out[1 * dim + d], 0.f);
        EXPECT_EQ(out[3 * dim + d], 0.f);
    }
    EXPECT_TRUE(table.guards_intact() && scale.guards_intact() && out.guards_intact());
}

TEST_P(Sized, Argmax) {
    Buf x = make(-5, 5);
    EXPECT_EQ(ops::argmax(x.data(), n()), ref::argmax(x.data(), n()));
    // plant a tie for the maximum at two places: the first one wins
    const size_t first = rng.below(n()), second = first + rng.below(n() - first);
    x[first] = 7.f;
    x[second] = 7.f;
    EXPECT_EQ(ops::argmax(x.data(), n()), first);
    EXPECT_EQ(ref::argmax(x.data(), n()), first);
    // all equal: index 0
    for (size_t i = 0; i < n(); ++i) x[i] = -2.f;
    EXPECT_EQ(ops::argmax(x.data(), n()), 0u);
}

TEST_P(Sized, TopK) {
    // few distinct values, so ties are everywhere
    Buf x(n(), off());
    for (size_t i = 0; i < n(); ++i) x[i] = float(rng.below(6)) - 2.f;
    for (size_t k : {size_t(1), (n() + 1) / 2, n()}) {
        std::vector<int32_t> gi(k), wi(k);
        std::vector<float> gv(k), wv(k);
        ops::top_k(x.data(), n(), k, gi.data(), gv.data());
        ref::top_k(x.data(), n(), k, wi.data(), wv.data());
        EXPECT_EQ(gi, wi) << "k = " << k;
        EXPECT_EQ(gv, wv) << "k = " << k;
        for (size_t r = 0; r < k; ++r) EXPECT_EQ(gv[r], x[size_t(gi[r])]);
    }
    // continuous values too
    x.fill(rng, -1, 1);
    const size_t k = std::min<size_t>(n(), 5);
    std::vector<int32_t> gi(k), wi(k);
    std::vector<float> gv(k), wv(k);
    ops::top_k(x.data(), n(), k, gi.data(), gv.data());
    ref::top_k(x.data(), n(), k, wi.data(), wv.data());
    EXPECT_EQ(gi, wi);
    EXPECT_EQ(gv, wv);
}

std::string sized_name(const ::testing::TestParamInfo<Sized::ParamType>& info) {
    return str("n", std::get<0>(info.param), "_off", std::get<1>(info.param));
}
INSTANTIATE_TEST_SUITE_P(Ops, Sized,
                         ::testing::Combine(::testing::ValuesIn(test_sizes()), ::testing::Values(0, 1, 2, 3)),
                         sized_name);

// --- attention: (n_keys, head_dim) ---------------------------------------------------------------

class Attention : public ::testing::TestWithParam<std::tuple<size_t, size_t>> {};

TEST_P(Attention, MatchesReference) {
    const auto [n_keys, head_dim] = GetParam();
    const size_t heads = 3, stride = heads * head_dim, off = n_keys % 4;
    Rng rng(n_keys * 1000 + head_dim);
    Buf q(head_dim, off), K(n_keys * stride, off), V(n_keys * stride, off), out(head_dim, off);
    Buf scores(n_keys, off);
    q.fill(rng, -1, 1);
    K.fill(rng, -1, 1);
    V.fill(rng, -1, 1);
    const float scale = 1.f / std::sqrt(float(head_dim));
    // head 1 of a [T, heads, head_dim] cache
    const float* k1 = K.data() + head_dim;
    const float* v1 = V.data() + head_dim;
    std::vector<uint8_t> mask(n_keys);
    for (size_t j = 0; j < n_keys; ++j) mask[j] = rng.below(4) != 0;
    mask[0] = 1;
    for (const uint8_t* m :
         {static_cast<const uint8_t*>(nullptr), static_cast<const uint8_t*>(mask.data())}) {
        std::vector<float> want(head_dim), want_scores(n_keys);
        ref::attention(q.data(), k1, v1, want.data(), want_scores.data(), n_keys, head_dim, stride, scale, m);
        ops::attention(q.data(), k1, v1, out.data(), scores.data(), n_keys, head_dim, stride, scale, m);
        // Σ_j p[j] |V[j]| ≤ max |V| = 1 bounds the terms
        expect_close(out.data(), want.data(), head_dim, 0.f, 1e-5f);
        expect_close(scores.data(), want_scores.data(), n_keys, kFnRel, 1e-7f);
    }
    // all keys excluded: zero probabilities, zero output
    std::vector<uint8_t> none(n_keys, 0);
    ops::attention(q.data(), k1, v1, out.data(), scores.data(), n_keys, head_dim, stride, scale, none.data());
    for (size_t d = 0; d < head_dim; ++d) EXPECT_EQ(out[d], 0.f);
    EXPECT_TRUE(q.guards_intact() && K.guards_intact() && V.guards_intact() && out.guards_intact() &&
                scores.guards_intact());
}

INSTANTIATE_TEST_SUITE_P(Ops, Attention,
                         ::testing::Combine(::testing::Values(1, 2, 3, 5, 8, 13, 64, 100),
                                            ::testing::Values(1, 3, 4, 7, 16, 17, 32, 64, 65)),
                         [](const auto& info) {
                             return str("keys", std::get<0>(info.param), "_dim", std::get<1>(info.param));
                         });

// --- matmuls: (n, out, in) -----------------------------------------------------------------------

class Matmul : public ::testing::TestWithParam<std::tuple<size_t, size_t, size_t>> {
protected:
    size_t n() const { return std::get<0>(GetParam()); }
    size_t out() const { return std::get<1>(GetParam()); }
    size_t in() const { return std::get<2>(GetParam()); }
    size_t off() const { return (n() + out() + in()) % 4; }
    Rng rng{n() * 7919 + out() * 104729 + in()};
};

TEST_P(Matmul, Gemm) {
    Buf X(n() * in(), off()), W(out() * in(), off()), Y(n() * out(), off());
    X.fill(rng, -1, 1);
    W.fill(rng, -1, 1);
    std::vector<float> want(n() * out());
    ref::gemm(X.data(), W.data(), want.data(), n(), out(), in());
    ops::gemm(X.data(), W.data(), Y.data(), n(), out(), in());
    std::vector<float> aX = abs_of(X.data(), X.size()), aW = abs_of(W.data(), W.size()), mag(n() * out());
    ref::gemm(aX.data(), aW.data(), mag.data(), n(), out(), in());
    expect_close(Y.data(), want.data(), want.size(), kSumRel, 1e-30f, mag.data());
    EXPECT_TRUE(X.guards_intact() && W.guards_intact() && Y.guards_intact());
}

TEST_P(Matmul, Gemv) {
    // W [out, in] · x [in]; n picks which random stream
    Buf W(out() * in(), off()), x(in(), off()), y(out(), off());
    W.fill(rng, -1, 1);
    x.fill(rng, -1, 1);
    std::vector<float> want(out());
    ref::gemv(W.data(), x.data(), want.data(), out(), in());
    ops::gemv(W.data(), x.data(), y.data(), out(), in());
    std::vector<float> aW = abs_of(W.data(), W.size()), ax = abs_of(x.data(), x.size()), mag(out());
    ref::gemv(aW.data(), ax.data(), mag.data(), out(), in());
    expect_close(y.data(), want.data(), out(), kSumRel, 1e-30f, mag.data());
    EXPECT_TRUE(W.guards_intact() && x.guards_intact() && y.guards_intact());
}

// gemm, gemv and dot sum every output in the same order: row i of a gemm equals the gemv of X row i,
// which equals the dots, bit for bit (prefill and one-token decode give the same floats).
TEST_P(Matmul, GemmGemvDotAgreeExactly) {
    Buf X(n() * in(), off()), W(out() * in(), off()), Y(n() * out(), off());
    X.fill(rng, -1, 1);
    W.fill(rng, -1, 1);
    ops::gemm(X.data(), W.data(), Y.data(), n(), out(), in());
    std::vector<float> row(out());
    for (size_t i = 0; i < n(); ++i) {
        ops::gemv(W.data(), X.data() + i * in(), row.data(), out(), in());
        expect_bitwise(Y.data() + i * out(), row.data(), out());
        for (size_t o = 0; o < out(); ++o)
            ASSERT_EQ(ops::dot(X.data() + i * in(), W.data() + o * in(), in()), row[o]);
    }
}

// Int8 weights: W [out, in] int8 with scale [out], offsets in bytes as well as floats.
struct I8Problem {
    I8Buf W;
    Buf scale, X;
    I8Problem(size_t n, size_t out, size_t in, size_t off, Rng& rng)
        : W(out * in, off), scale(out, off), X(n * in, off) {
        W.fill(rng, -127, 128);
        scale.fill(rng, 0.001f, 0.02f);
        X.fill(rng, -1, 1);
    }
    bool guards_intact() const { return W.guards_intact() && scale.guards_intact() && X.guards_intact(); }
};

TEST_P(Matmul, GemmI8AndGemvI8) {
    I8Problem p(n(), out(), in(), off(), rng);
    Buf Y(n() * out(), off()), y(out(), off());
    std::vector<float> want(n() * out()), mag(n() * out());
    ref::gemm_i8(p.X.data(), p.W.data(), p.scale.data(), want.data(), n(), out(), in());
    ops::gemm_i8(p.X.data(), p.W.data(), p.scale.data(), Y.data(), n(), out(), in());
    std::vector<int8_t> aW = abs_of(p.W.data(), p.W.size());
    std::vector<float> aX = abs_of(p.X.data(), p.X.size());
    ref::gemm_i8(aX.data(), aW.data(), p.scale.data(), mag.data(), n(), out(), in());
    expect_close(Y.data(), want.data(), want.size(), kSumRel, 1e-30f, mag.data());
    // every gemm row is the gemv of its X row, bit for bit (prefill = one-token decode)
    for (size_t i = 0; i < n(); ++i) {
        ops::gemv_i8(p.W.data(), p.scale.data(), p.X.data() + i * in(), y.data(), out(), in());
        expect_bitwise(Y.data() + i * out(), y.data(), out());
    }
    EXPECT_TRUE(p.guards_intact() && Y.guards_intact() && y.guards_intact());
}

TEST_P(Matmul, Conv1x1IsGemmPlusBias) {
    const size_t P = n(), C_out = out(), C_in = in();
    Buf inp(P * C_in, off()), W(C_out * C_in, off()), bias(C_out, off()), got(P * C_out, off());
    inp.fill(rng, -1, 1);
    W.fill(rng, -1, 1);
    bias.fill(rng, -1, 1);
    ops::conv1x1(inp.data(), P, C_in, W.data(), bias.data(), C_out, got.data());
    std::vector<float> want(P * C_out);
    ops::gemm(inp.data(), W.data(), want.data(), P, C_out, C_in);
    for (size_t p = 0; p < P; ++p)
        for (size_t c = 0; c < C_out; ++c) want[p * C_out + c] += bias[c];
    expect_bitwise(got.data(), want.data(), want.size());
    // and against the reference, within summation tolerance
    std::vector<float> r(P * C_out), mag(P * C_out);
    ref::conv1x1(inp.data(), P, C_in, W.data(), bias.data(), C_out, r.data());
    std::vector<float> ai = abs_of(inp.data(), inp.size()), aw = abs_of(W.data(), W.size()),
                       ab = abs_of(bias.data(), C_out);
    ref::conv1x1(ai.data(), P, C_in, aw.data(), ab.data(), C_out, mag.data());
    expect_close(got.data(), r.data(), r.size(), kSumRel, 1e-30f, mag.data());
    // without bias it is the gemm itself
    ops::conv1x1(inp.data(), P, C_in, W.data(), nullptr, C_out, got.data());
    ops::gemm(inp.data(), W.data(), want.data(), P, C_out, C_in);
    expect_bitwise(got.data(), want.data(), want.size());
    EXPECT_TRUE(inp.guards_intact() && W.guards_intact() && bias.guards_intact() && got.guards_intact());
}

std::string matmul_name(const ::testing::TestParamInfo<Matmul::ParamType>& info) {
    const auto [n, out, in] = info.param;
    return str("n", n, "_out", out, "_in", in);
}
INSTANTIATE_TEST_SUITE_P(
    Small, Matmul,
    ::testing::Combine(::testing::Values(1, 2, 3, 4, 5, 6, 9), ::testing::Values(1, 2, 3, 4, 5, 7, 13),
                       ::testing::Values(1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 64, 100, 257)),
    matmul_name);
// Large enough to span several W panels (the cache blocking) and every tile edge.
// (20, 37, 688): gemm_i8's widened panels (n >= 8, in a multiple of 16), the last panel cut short
INSTANTIATE_TEST_SUITE_P(Large, Matmul,
                         ::testing::Values(std::make_tuple(9, 300, 1024), std::make_tuple(5, 70, 4096),
                                           std::make_tuple(64, 64, 64), std::make_tuple(33, 130, 257),
                                           std::make_tuple(1, 1000, 300), std::make_tuple(17, 3, 2000),
                                           std::make_tuple(20, 37, 688)),
                         matmul_name);

// --- conv2d --------------------------------------------------------------------------------------

enum class Taps { all, mask_a, mask_b, vertical };

// PixelCNN masks on a kh×kw kernel centred at (kh/2, kw/2), raster order:
// A = taps strictly before the centre, B = A plus the centre, vertical = every row up to the centre's.
std::vector<uint8_t> make_taps(Taps t, size_t kh, size_t kw) {
    std::vector<uint8_t> m(kh * kw, 1);
    const size_t cy = kh / 2, cx = kw / 2;
    for (size_t y = 0; y < kh; ++y)
        for (size_t x = 0; x < kw; ++x) {
            const bool before = y < cy || (y == cy && x < cx), centre = y == cy && x == cx;
            switch (t) {
                case Taps::all:
                    break;
                case Taps::mask_a:
                    m[y * kw + x] = before;
                    break;
                case Taps::mask_b:
                    m[y * kw + x] = before || centre;
                    break;
                case Taps::vertical:
                    m[y * kw + x] = y <= cy;
                    break;
            }
        }
    return m;
}

struct ConvCase {
    size_t H, W, C_in, C_out, kh, kw, pt, pb, pl, pr;
    Taps taps;
    bool bias;
};

class Conv2d : public ::testing::TestWithParam<ConvCase> {};

TEST_P(Conv2d, MatchesReferenceAndConv2dAt) {
    const ConvCase c = GetParam();
    const size_t H_out = c.H + c.pt + c.pb - c.kh + 1, W_out = c.W + c.pl + c.pr - c.kw + 1;
    Rng rng(c.H * 31 + c.W * 17 + c.C_in * 5 + c.C_out * 3 + c.kh + size_t(c.taps));
    const size_t off = (c.C_in + c.kw) % 4;
    Buf in(c.H * c.W * c.C_in, off), w(c.kh * c.kw * c.C_out * c.C_in, off), b(c.C_out, off);
    Buf out(H_out * W_out * c.C_out, off);
    in.fill(rng, -1, 1);
    w.fill(rng, -1, 1);
    b.fill(rng, -1, 1);
    const std::vector<uint8_t> taps = make_taps(c.taps, c.kh, c.kw);
    const uint8_t* tm = c.taps == Taps::all ? nullptr : taps.data();
    const float* bias = c.bias ? b.data() : nullptr;

    std::vector<float> want(out.size()), mag(out.size());
    ref::conv2d(in.data(), c.H, c.W, c.C_in, w.data(), bias, tm, c.C_out, c.kh, c.kw, c.pt, c.pb, c.pl, c.pr,
                want.data());
    ops::conv2d(in.data(), c.H, c.W, c.C_in, w.data(), bias, tm, c.C_out, c.kh, c.kw, c.pt, c.pb, c.pl, c.pr,
                out.data());
    std::vector<float> ai = abs_of(in.data(), in.size()), aw = abs_of(w.data(), w.size()),
                       ab = abs_of(b.data(), c.C_out);
    ref::conv2d(ai.data(), c.H, c.W, c.C_in, aw.data(), c.bias ? ab.data() : nullptr, tm, c.C_out, c.kh, c.kw,
                c.pt, c.pb, c.pl, c.pr, mag.data());
    expect_close(out.data(), want.data(), want.size(), kSumRel, 1e-30f, mag.data());

    // conv2d_at gives the matching conv2d pixel bit for bit, and the reference's value
    std::vector<float> px(c.C_out), rpx(c.C_out);
    for (size_t oy = 0; oy < H_out; ++oy)
        for (size_t ox = 0; ox < W_out; ++ox) {
            ops::conv2d_at(in.data(), c.H, c.W, c.C_in, w.data(), bias, tm, c.C_out, c.kh, c.kw, c.pt, c.pl,
                           oy, ox, px.data());
            const size_t at = (oy * W_out + ox) * c.C_out;
            expect_bitwise(px.data(), out.data() + at, c.C_out);
            ref::conv2d_at(in.data(), c.H, c.W, c.C_in, w.data(), bias, tm, c.C_out, c.kh, c.kw, c.pt, c.pl,
                           oy, ox, rpx.data());
            expect_bitwise(rpx.data(), want.data() + at, c.C_out);
        }
    EXPECT_TRUE(in.guards_intact() && w.guards_intact() && b.guards_intact() && out.guards_intact());
}

// Mask A with "same" padding is causal: output pixel p depends only on input pixels strictly before p
// in raster order. Changing input pixel q must leave outputs 0..q unchanged (and change a later one).
TEST(Conv2dCausality, MaskAIsStrictlyCausal) {
    const size_t H = 5, W = 6, C = 3, k = 5, p = 2;
    Rng rng(99);
    std::vector<float> in(H * W * C), w(k * k * C * C);
    for (float& v : in) v = rng.uniform(-1, 1);
    for (float& v : w) v = rng.uniform(-1, 1);
    const std::vector<uint8_t> taps = make_taps(Taps::mask_a, k, k);
    std::vector<float> base(H * W * C), moved(H * W * C);
    ops::conv2d(in.data(), H, W, C, w.data(), nullptr, taps.data(), C, k, k, p, p, p, p, base.data());
    for (size_t q : {size_t(0), size_t(7), size_t(H * W - 2)}) {
        std::vector<float> in2 = in;
        for (size_t c = 0; c < C; ++c) in2[q * C + c] += 1.f;
        ops::conv2d(in2.data(), H, W, C, w.data(), nullptr, taps.data(), C, k, k, p, p, p, p, moved.data());
        for (size_t i = 0; i < (q + 1) * C; ++i)
            ASSERT_EQ(moved[i], base[i]) << "pixel " << i / C << ", q " << q;
        bool later_changed = false;
        for (size_t i = (q + 1) * C; i < moved.size(); ++i) later_changed |= moved[i] != base[i];
        EXPECT_TRUE(later_changed) << "q " << q;
    }
}

std::vector<ConvCase> conv_cases() {
    using T = Taps;
    return {
        {5, 5, 1, 1, 3, 3, 1, 1, 1, 1, T::all, true},      {6, 7, 3, 5, 3, 3, 1, 1, 1, 1, T::all, true},
        {6, 7, 3, 5, 3, 3, 1, 1, 1, 1, T::mask_a, true},   {6, 7, 4, 6, 3, 3, 1, 1, 1, 1, T::mask_b, false},
        {8, 8, 1, 16, 7, 7, 3, 3, 3, 3, T::mask_a, true},  // PixelCNN first layer shape
        {8, 9, 16, 16, 5, 5, 2, 2, 2, 2, T::mask_b, true}, {7, 6, 5, 9, 3, 5, 1, 1, 2, 2, T::vertical, true},
        {7, 6, 5, 9, 2, 3, 1, 0, 1, 1, T::all, true},     // asymmetric: pad the top only (vertical stack)
        {5, 8, 2, 3, 1, 3, 0, 0, 2, 0, T::all, false},    // asymmetric: pad the left only (horizontal stack)
        {4, 4, 3, 2, 3, 3, 2, 0, 0, 2, T::all, true},     // asymmetric both ways
        {3, 3, 2, 3, 5, 5, 2, 2, 2, 2, T::mask_b, true},  // kernel larger than the image
        {4, 5, 6, 7, 1, 1, 0, 0, 0, 0, T::all, true},     // 1x1
        {5, 5, 2, 2, 3, 3, 0, 0, 0, 0, T::all, true},     // valid convolution, no padding
        {1, 1, 33, 17, 3, 3, 1, 1, 1, 1, T::mask_b, true},  // single pixel, odd channels
        {12, 12, 8, 8, 3, 3, 1, 1, 1, 1, T::mask_a, true},
    };
}

INSTANTIATE_TEST_SUITE_P(Ops, Conv2d, ::testing::ValuesIn(conv_cases()), [](const auto& info) {
    const ConvCase& c = info.param;
    return str("H", c.H, "W", c.W, "_c", c.C_in, "x", c.C_out, "_k", c.kh, "x", c.kw, "_pad", c.pt, c.pb,
               c.pl, c.pr, "_taps", int(c.taps), c.bias ? "_bias" : "", "_", info.index);
});

// --- known values: hand-computed, run through both the reference and the SIMD kernel -------------

TEST(KnownValues, Gemv2x2) {
    const float W[] = {1, 2, 3, 4}, x[] = {5, 6};
    for (auto* f : {&ref::gemv, &ops::gemv}) {
        float y[2];
        f(W, x, y, 2, 2);
        EXPECT_EQ(y[0], 17.f);
        EXPECT_EQ(y[1], 39.f);
    }
}

TEST(KnownValues, GemvI8SignExtendsAndScales) {
    // 17 columns: one 16-column SIMD step and a scalar tail; -128 and 127, the extremes of int8
    int8_t W[2 * 17];
    std::fill(W, W + 17, int8_t(-128));
    std::fill(W + 17, W + 34, int8_t(127));
    W[17 + 5] = -1;
    float x[17];
    std::fill(x, x + 17, 1.f);
    const float scale[] = {0.5f, 2.f};
    for (auto* f : {&ref::gemv_i8, &ops::gemv_i8}) {
        float y[2];
        f(W, scale, x, y, 2, 17);
        EXPECT_EQ(y[0], -128.f * 17 * 0.5f);
        EXPECT_EQ(y[1], (127.f * 16 - 1) * 2.f);
    }
}

TEST(KnownValues, GemmIsXTimesWTransposed) {
    const float X[] = {1, 2, 3, 4, 5, 6}, W[] = {1, 0, -1, 2, 1, 0};  // X [2, 3], W [2, 3]
    for (auto* f : {&ref::gemm, &ops::gemm}) {
        float Y[4];
        f(X, W, Y, 2, 2, 3);
        EXPECT_EQ(Y[0], -2.f);
        EXPECT_EQ(Y[1], 4.f);
        EXPECT_EQ(Y[2], -2.f);
        EXPECT_EQ(Y[3], 13.f);
    }
}

TEST(KnownValues, DotAxpy) {
    const float a[] = {1, 2, 3, 4, 5}, b[] = {5, 4, 3, 2, 1};
    EXPECT_EQ(ref::dot(a, b, 5), 35.f);
    EXPECT_EQ(ops::dot(a, b, 5), 35.f);
    for (auto* f : {&ref::axpy, &ops::axpy}) {
        float y[] = {1, 1, 1, 1, 1};
        f(2.f, a, y, 5);
        EXPECT_EQ(y[0], 3.f);
        EXPECT_EQ(y[4], 11.f);
    }
}

TEST(KnownValues, Softmax) {
    for (auto* f : {&ref::softmax, &ops::softmax}) {
        float x[] = {0.f, std::log(3.f)};
        f(x, 2, nullptr);
        EXPECT_NEAR(x[0], 0.25f, 1e-7f);
        EXPECT_NEAR(x[1], 0.75f, 1e-7f);
        float big[] = {1000.f, 1000.f, -1000.f};  // stable: no overflow to inf/nan
        f(big, 3, nullptr);
        EXPECT_NEAR(big[0], 0.5f, 1e-7f);
        EXPECT_NEAR(big[1], 0.5f, 1e-7f);
        EXPECT_EQ(big[2], 0.f);
        float m[] = {0.f, 5.f, std::log(3.f)};
        const uint8_t mask[] = {1, 0, 1};
        f(m, 3, mask);
        EXPECT_NEAR(m[0], 0.25f, 1e-7f);
        EXPECT_EQ(m[1], 0.f);
        EXPECT_NEAR(m[2], 0.75f, 1e-7f);
    }
}

TEST(KnownValues, LogSoftmax) {
    for (auto* f : {&ref::log_softmax, &ops::log_softmax}) {
        float x[] = {0.f, std::log(3.f)};
        f(x, 2);
        EXPECT_NEAR(x[0], std::log(0.25f), 1e-6f);
        EXPECT_NEAR(x[1], std::log(0.75f), 1e-6f);
    }
}

TEST(KnownValues, Norms) {
    const float x[] = {1, 2, 3, 4}, w[] = {1, 1, 2, 2}, b[] = {0, 0, 1, 1};
    // mean 2.5, biased variance 1.25
    const float sd = std::sqrt(1.25f);
    for (auto* f : {&ref::layernorm, &ops::layernorm}) {
        float out[4];
        f(x, w, b, out, 4, 0.f);
        EXPECT_NEAR(out[0], -1.5f / sd, 1e-6f);
        EXPECT_NEAR(out[1], -0.5f / sd, 1e-6f);
        EXPECT_NEAR(out[2], 2 * 0.5f / sd + 1, 1e-6f);
        EXPECT_NEAR(out[3], 2 * 1.5f / sd + 1, 1e-6f);
    }
    const float v[] = {3, 4}, ones[] = {1, 1};  // mean square 12.5
    for (auto* f : {&ref::rmsnorm, &ops::rmsnorm}) {
        float out[2];
        f(v, ones, out, 2, 0.f);
        EXPECT_NEAR(out[0], 3 / std::sqrt(12.5f), 1e-6f);
        EXPECT_NEAR(out[1], 4 / std::sqrt(12.5f), 1e-6f);
    }
}

TEST(KnownValues, Activations) {
    for (auto* f : {&ref::silu, &ops::silu}) {
        float x[] = {0.f, 1.f, -1.f};
        f(x, 3);
        EXPECT_EQ(x[0], 0.f);
        EXPECT_NEAR(x[1], 0.7310585786f, 1e-6f);
        EXPECT_NEAR(x[2], -0.2689414214f, 1e-6f);
    }
    for (auto* f : {&ref::gelu, &ops::gelu}) {
        float x[] = {0.f, 1.f, -1.f, 3.f};
        f(x, 4);
        EXPECT_EQ(x[0], 0.f);
        EXPECT_NEAR(x[1], 0.8413447461f, 1e-6f);
        EXPECT_NEAR(x[2], -0.1586552539f, 1e-6f);
        EXPECT_NEAR(x[3], 2.9959503f, 1e-6f);
    }
    for (auto* f : {&ref::swiglu, &ops::swiglu}) {
        const float g[] = {1.f, 0.f}, u[] = {2.f, 5.f};
        float out[2];
        f(g, u, out, 2);
        EXPECT_NEAR(out[0], 2 * 0.7310585786f, 1e-6f);
        EXPECT_EQ(out[1], 0.f);
    }
    for (auto* f : {&ref::tanh_sigmoid_gate, &ops::tanh_sigmoid_gate}) {
        const float a[] = {1.f, 0.f, 2.f}, b[] = {0.f, 3.f, 100.f};
        float out[3];
        f(a, b, out, 3);
        EXPECT_NEAR(out[0], 0.7615941560f * 0.5f, 1e-6f);
        EXPECT_EQ(out[1], 0.f);
        EXPECT_NEAR(out[2], 0.9640275801f, 1e-6f);
    }
}

TEST(KnownValues, RopeRotatesPairsIAndIPlusHalf) {
    // head_dim 4: pairs (x0, x2) and (x1, x3). Pair 0 turns by 90°, pair 1 by 0°.
    const float c[] = {0.f, 1.f}, s[] = {1.f, 0.f};
    for (auto* f : {&ref::rope, &ops::rope}) {
        float x[] = {1.f, 2.f, 0.f, 3.f, /* head 2 */ 0.f, 0.f, 1.f, 0.f};
        f(x, c, s, 2, 4);
        EXPECT_EQ(x[0], 0.f);  // 1·cos - 0·sin
        EXPECT_EQ(x[2], 1.f);  // 0·cos + 1·sin
        EXPECT_EQ(x[1], 2.f);
        EXPECT_EQ(x[3], 3.f);
        EXPECT_EQ(x[4], -1.f);  // 0·0 - 1·1
        EXPECT_EQ(x[6], 0.f);
    }
}

TEST(KnownValues, Attention) {
    // scores [0, ln 3] -> p [.25, .75]; out = .25·V0 + .75·V1
    const float q[] = {1.f, 0.f}, K[] = {0.f, 0.f, std::log(3.f), 0.f}, V[] = {1.f, 0.f, 0.f, 1.f};
    for (auto* f : {&ref::attention, &ops::attention}) {
        float out[2], scores[2];
        f(q, K, V, out, scores, 2, 2, 2, 1.f, nullptr);
        EXPECT_NEAR(out[0], 0.25f, 1e-7f);
        EXPECT_NEAR(out[1], 0.75f, 1e-7f);
        const uint8_t only_first[] = {1, 0};
        f(q, K, V, out, scores, 2, 2, 2, 1.f, only_first);
        EXPECT_EQ(out[0], 1.f);
        EXPECT_EQ(out[1], 0.f);
    }
}

TEST(KnownValues, Conv2dMasks) {
    // 3x3 image 1..9, 3x3 kernel of ones, padding 1
    const float in[] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1}, bias[] = {0.5f};
    const std::vector<uint8_t> a = make_taps(Taps::mask_a, 3, 3), b = make_taps(Taps::mask_b, 3, 3);
    for (auto* f : {&ref::conv2d, &ops::conv2d}) {
        float out[9];
        f(in, 3, 3, 1, w, nullptr, nullptr, 1, 3, 3, 1, 1, 1, 1, out);
        EXPECT_EQ(out[4], 45.f);
        EXPECT_EQ(out[0], 12.f);  // 1 + 2 + 4 + 5
        f(in, 3, 3, 1, w, bias, a.data(), 1, 3, 3, 1, 1, 1, 1, out);
        EXPECT_EQ(out[4], 10.5f);  // 1 + 2 + 3 + 4 (+ bias)
        EXPECT_EQ(out[0], 0.5f);   // nothing before the first pixel
        f(in, 3, 3, 1, w, nullptr, b.data(), 1, 3, 3, 1, 1, 1, 1, out);
        EXPECT_EQ(out[4], 15.f);  // ... + 5
        f(in, 3, 3, 1, w, nullptr, nullptr, 1, 2, 2, 1, 0, 1, 0,
          out);  // 2x2, pad top/left: H_out = W_out = 3
        EXPECT_EQ(out[0], 1.f);
        EXPECT_EQ(out[4], 1.f + 2 + 4 + 5);
        EXPECT_EQ(out[8], 5.f + 6 + 8 + 9);
    }
    for (auto* f : {&ref::conv2d_at, &ops::conv2d_at}) {
        float px;
        f(in, 3, 3, 1, w, nullptr, b.data(), 1, 3, 3, 1, 1, 1, 2, &px);
        EXPECT_EQ(px, 2.f + 3 + 5 + 6);
    }
}

TEST(KnownValues, Conv1x1) {
    const float in[] = {1, 2, 3, 4}, w[] = {1, 1, 1, -1}, bias[] = {10, 20};  // P=2, C_in=2, C_out=2
    for (auto* f : {&ref::conv1x1, &ops::conv1x1}) {
        float out[4];
        f(in, 2, 2, w, bias, 2, out);
        EXPECT_EQ(out[0], 13.f);
        EXPECT_EQ(out[1], 19.f);
        EXPECT_EQ(out[2], 17.f);
        EXPECT_EQ(out[3], 19.f);
    }
}

TEST(KnownValues, Selection) {
    const float x[] = {1, 3, 3, 2, 5, -1};
    for (auto* f : {&ref::argmax, &ops::argmax}) {
        EXPECT_EQ(f(x, 4), 1u);
        EXPECT_EQ(f(x, 6), 4u);
    }
    for (auto* f : {&ref::top_k, &ops::top_k}) {
        int32_t idx[4];
        float val[4];
        f(x, 6, 4, idx, val);
        EXPECT_EQ(idx[0], 4);
        EXPECT_EQ(idx[1], 1);
        EXPECT_EQ(idx[2], 2);
        EXPECT_EQ(idx[3], 3);
        EXPECT_EQ(val[0], 5.f);
        EXPECT_EQ(val[3], 2.f);
    }
}

TEST(KnownValues, Embedding) {
    const float table[] = {0, 1, 10, 11, 20, 21};  // 3 rows of dim 2
    const int32_t ids[] = {2, 0, 3};
    for (auto* f : {&ref::embedding, &ops::embedding}) {
        float out[6] = {7, 7, 7, 7, 7, 7};
        f(table, 3, 2, ids, 3, out);
        EXPECT_EQ(out[0], 20.f);
        EXPECT_EQ(out[1], 21.f);
        EXPECT_EQ(out[2], 0.f);
        EXPECT_EQ(out[3], 1.f);
        EXPECT_EQ(out[4], 0.f);  // id 3 is outside the table
        EXPECT_EQ(out[5], 0.f);
    }
}

// core/ops' own exp and tanh (simd.hpp: xsimd's algorithms without a conversion Emscripten scalarises) give
// xsimd::exp and xsimd::tanh bit for bit: over 2^22 float bit patterns spread over every exponent, both
// signs, and the special values.
TEST(XsimdEquality, ExpTanhSigmoidAreXsimdBitForBit) {
    namespace detail = atnat::ops::detail;
    using detail::batch, detail::lanes;
    std::vector<float> inputs = {0.f,
                                 -0.f,
                                 1.f,
                                 -1.f,
                                 88.7f,
                                 88.8f,
                                 -87.3f,
                                 -103.f,
                                 -104.f,
                                 0.625f,
                                 -0.625f,
                                 std::numeric_limits<float>::infinity(),
                                 -std::numeric_limits<float>::infinity(),
                                 std::numeric_limits<float>::quiet_NaN(),
                                 std::numeric_limits<float>::denorm_min()};
    for (uint64_t bits = 12345; bits < (uint64_t(1) << 32); bits += 1021) {
        float f;
        const uint32_t b = uint32_t(bits);
        std::memcpy(&f, &b, sizeof f);
        inputs.push_back(f);
    }
    while (inputs.size() % lanes) inputs.push_back(0.5f);
    auto same = [](batch a, batch b) {
        alignas(64) float x[lanes], y[lanes];
        a.store_aligned(x);
        b.store_aligned(y);
        return std::memcmp(x, y, sizeof x) == 0;
    };
    size_t exp_diff = 0, tanh_diff = 0, sigmoid_diff = 0;
    for (size_t i = 0; i < inputs.size(); i += lanes) {
        const batch v = batch::load_unaligned(inputs.data() + i);
        exp_diff += !same(detail::exp(v), xsimd::exp(v));
        tanh_diff += !same(detail::tanh(v), xsimd::tanh(v));
        sigmoid_diff += !same(detail::sigmoid(v), batch(1.f) / (batch(1.f) + xsimd::exp(-v)));
    }
    EXPECT_GT(inputs.size(), size_t(4'000'000));
    EXPECT_EQ(exp_diff, 0u);
    EXPECT_EQ(tanh_diff, 0u);
    EXPECT_EQ(sigmoid_diff, 0u);
}

}  // namespace
