// Direct 3D convolution loops for convolutions with very few channels (the UNet's last
// 2 → 2 channel convolution at full resolution). oneDNN pads channels to its vector block, so
// with 2 channels most lanes compute zeros: its backward-data pass took 470 ms on 2×2×96³ where
// these loops, vectorised along the contiguous W axis, take tens of milliseconds.
//
// Layouts: activations NCDHW contiguous, weight [cout, cin, k0, k1, k2] (ATen's). Stride 1,
// symmetric zero padding p per axis, output size in + 2p − k + 1.
#include "direct_conv.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

namespace vk {
namespace {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VK_MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VK_MULTIVERSION
#endif

// yRow[w] += Σ_kw taps[kw]·xRow[w + kw − pad], over the w where the input index is inside.
VK_MULTIVERSION void accumulateRow(float* yRow, const float* xRow, int64_t outW, int64_t inW,
                                   const float* taps, int64_t kernelW, int64_t pad) {
  for (int64_t kw = 0; kw < kernelW; ++kw) {
    const float tap = taps[kw];
    const int64_t shift = kw - pad;
    const int64_t lo = std::max<int64_t>(0, -shift);
    const int64_t hi = std::min<int64_t>(outW, inW - shift);
#pragma omp simd
    for (int64_t w = lo; w < hi; ++w) yRow[w] += tap * xRow[w + shift];
  }
}

// out[kw] += Σ_w dyRow[w]·xRow[w + kw − pad] (float sums per row; the caller adds in double).
VK_MULTIVERSION void correlateRow(const float* dyRow, const float* xRow, int64_t outW,
                                  int64_t inW, int64_t kernelW, int64_t pad, double* out) {
  for (int64_t kw = 0; kw < kernelW; ++kw) {
    const int64_t shift = kw - pad;
    const int64_t lo = std::max<int64_t>(0, -shift);
    const int64_t hi = std::min<int64_t>(outW, inW - shift);
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t w = lo; w < hi; ++w) sum += dyRow[w] * xRow[w + shift];
    out[kw] += sum;
  }
}

}  // namespace

bool directConvApplies(int64_t cin, int64_t cout, const int64_t* stride) {
  return stride[0] == 1 && stride[1] == 1 && stride[2] == 1 && cin * cout <= 8;
}

void directConvForward(const DirectConvShape& s, const float* x, const float* weight,
                       const float* bias, float* y) {
  const int64_t outD = s.out(0), outH = s.out(1), outW = s.out(2);
  const int64_t inH = s.in[1], inW = s.in[2];
  const int64_t k1 = s.kernel[1], k2 = s.kernel[2];
  // One task per output plane (sample, channel, depth).
  at::parallel_for(0, s.n * s.cout * outD, 1, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const int64_t d = plane % outD;
      const int64_t co = (plane / outD) % s.cout;
      const int64_t n = plane / (outD * s.cout);
      float* yPlane = y + plane * outH * outW;
      std::fill(yPlane, yPlane + outH * outW, bias ? bias[co] : 0.0f);
      for (int64_t ci = 0; ci < s.cin; ++ci) {
        const float* xVolume = x + (n * s.cin + ci) * s.in[0] * inH * inW;
        const float* wChannel = weight + (co * s.cin + ci) * s.kernel[0] * k1 * k2;
        for (int64_t kd = 0; kd < s.kernel[0]; ++kd) {
          const int64_t id = d + kd - s.padding[0];
          if (id < 0 || id >= s.in[0]) continue;
          for (int64_t h = 0; h < outH; ++h) {
            for (int64_t kh = 0; kh < k1; ++kh) {
              const int64_t ih = h + kh - s.padding[1];
              if (ih < 0 || ih >= inH) continue;
              accumulateRow(yPlane + h * outW, xVolume + (id * inH + ih) * inW, outW, inW,
                            wChannel + (kd * k1 + kh) * k2, k2, s.padding[2]);
            }
          }
        }
      }
    }
  });
}

void directConvBackwardData(const DirectConvShape& s, const float* dy, const float* weight,
                            float* dx) {
  // dx is the stride-1 convolution of dy with the kernel flipped in space and its channel axes
  // swapped, padded by k − 1 − p: its output has the input's size again.
  const int64_t taps = s.kernel[0] * s.kernel[1] * s.kernel[2];
  std::vector<float> flipped(static_cast<size_t>(s.cout * s.cin * taps));
  for (int64_t co = 0; co < s.cout; ++co) {
    for (int64_t ci = 0; ci < s.cin; ++ci) {
      const float* src = weight + (co * s.cin + ci) * taps;
      float* dst = flipped.data() + (ci * s.cout + co) * taps;
      for (int64_t t = 0; t < taps; ++t) dst[t] = src[taps - 1 - t];
    }
  }
  DirectConvShape back = s;
  back.cin = s.cout;
  back.cout = s.cin;
  for (int axis = 0; axis < 3; ++axis) {
    back.in[axis] = s.out(axis);
    back.padding[axis] = s.kernel[axis] - 1 - s.padding[axis];
  }
  directConvForward(back, dy, flipped.data(), nullptr, dx);
}

void directConvBackwardWeight(const DirectConvShape& s, const float* x, const float* dy,
                              float* dWeight) {
  const int64_t outD = s.out(0), outH = s.out(1), outW = s.out(2);
  const int64_t inH = s.in[1], inW = s.in[2];
  const int64_t k1 = s.kernel[1], k2 = s.kernel[2];
  // One task per (cout, cin, kd, kh): the k2 taps of that kernel row, summed over the batch.
  const int64_t rows = s.cout * s.cin * s.kernel[0] * k1;
  at::parallel_for(0, rows, 1, [&](int64_t begin, int64_t end) {
    std::vector<double> sums(static_cast<size_t>(k2));
    for (int64_t row = begin; row < end; ++row) {
      const int64_t kh = row % k1;
      const int64_t kd = (row / k1) % s.kernel[0];
      const int64_t ci = (row / (k1 * s.kernel[0])) % s.cin;
      const int64_t co = row / (k1 * s.kernel[0] * s.cin);
      std::fill(sums.begin(), sums.end(), 0.0);
      for (int64_t n = 0; n < s.n; ++n) {
        const float* dyVolume = dy + (n * s.cout + co) * outD * outH * outW;
        const float* xVolume = x + (n * s.cin + ci) * s.in[0] * inH * inW;
        for (int64_t d = 0; d < outD; ++d) {
          const int64_t id = d + kd - s.padding[0];
          if (id < 0 || id >= s.in[0]) continue;
          for (int64_t h = 0; h < outH; ++h) {
            const int64_t ih = h + kh - s.padding[1];
            if (ih < 0 || ih >= inH) continue;
            correlateRow(dyVolume + (d * outH + h) * outW, xVolume + (id * inH + ih) * inW,
                         outW, inW, k2, s.padding[2], sums.data());
          }
        }
      }
      float* out = dWeight + row * k2;
      for (int64_t kw = 0; kw < k2; ++kw) out[kw] = static_cast<float>(sums[kw]);
    }
  });
}

}  // namespace vk
