// Direct (loop) 3D convolution for very few channels, stride 1 (direct_conv.cc).
#pragma once

#include <cstdint>

namespace vk {

/** Sizes of a stride-1 convolution: x [n, cin, d, h, w], weight [cout, cin, k0, k1, k2]. */
struct DirectConvShape {
  int64_t n, cin, cout;
  int64_t in[3];
  int64_t kernel[3];
  int64_t padding[3];

  int64_t out(int axis) const { return in[axis] + 2 * padding[axis] - kernel[axis] + 1; }
};

/**
 * Whether the direct loops beat oneDNN for this convolution: stride 1, and so few channels
 * (cin·cout ≤ 8) that oneDNN's blocked kernels waste most of their vector lanes. Measured on the
 * UNet's last 2 → 2 channel convolution at 96³: 4-10x faster than oneDNN.
 */
// Limitation: the cut-off (cin·cout ≤ 8, stride 1) was measured on one CPU (2-core Zen 4,
// AVX-512); other machines may prefer another.
bool directConvApplies(int64_t cin, int64_t cout, const int64_t* stride);

/** y = conv(x, weight) (+ bias when not null); y is overwritten. ATen weight layout. */
void directConvForward(const DirectConvShape& s, const float* x, const float* weight,
                       const float* bias, float* y);

/** dx for y = conv(x, weight), from dy; dx is overwritten. */
void directConvBackwardData(const DirectConvShape& s, const float* dy, const float* weight,
                            float* dx);

/** dWeight for y = conv(x, weight), from dy; dWeight ([cout, cin, k0, k1, k2]) is overwritten. */
void directConvBackwardWeight(const DirectConvShape& s, const float* x, const float* dy,
                              float* dWeight);

}  // namespace vk
