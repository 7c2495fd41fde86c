// atnat kernels: f32, contiguous row-major buffers passed as pointers + sizes.
// Every kernel has an xsimd main loop with a scalar tail (in the .cpp files, the only place xsimd appears)
// and a plain scalar reference in namespace `ref` with the same signature, used by the tests.
// Kernels never allocate and never know what a token or a pixel is.
// Pointers need not be aligned. Output buffers must not alias inputs unless a comment says "in place".
#pragma once

#include <cstddef>
#include <cstdint>

namespace atnat::ops {

// SIMD implementations (xsimd main loop + scalar tail).
#include "ops_decl.inc"

// Scalar references: the definition of what each kernel computes.
namespace ref {
#include "ops_decl.inc"
}  // namespace ref

}  // namespace atnat::ops
