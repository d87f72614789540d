// Channel-first (NCDHW) kernels for @voxelkit/backend's fused ops: PyTorch-style convolution and
// transposed convolution (symmetric padding, output_padding, optional bias) with both gradients,
// and batch norm fused with PReLU, forward and backward.
//
// tfjs tensors are plain row-major Float32Arrays whatever their axis order, so a tensor that
// @voxelkit/nets keeps as [N, C, D, H, W] is already the contiguous NCDHW layout oneDNN prefers:
// at::from_blob wraps it without a copy and no transposes are needed on the way in or out.
//
// Filters keep tfjs' layout [kD, kH, kW, A, B] ([.., Cin, Cout] for a convolution, [.., Cout, Cin]
// for a transposed one); permuted to ATen's [B, A, kD, kH, kW] both are the weight of a regular
// convolution, and a transposed convolution is computed as that regular convolution's
// backward-data pass. libtorch 1.13 sends at::convolution(transposed=true) to a slow reference
// path, while the backward-data primitive runs in oneDNN.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "direct_conv.h"
#include "napi_helpers.h"
#include "ncdhw.h"

namespace vk {
namespace {

struct ConvGeometry {
  std::vector<int64_t> stride;
  std::vector<int64_t> padding;
  bool transposed = false;
  std::vector<int64_t> outputPadding;
};

const std::vector<int64_t> kDilation = {1, 1, 1};
const std::vector<int64_t> kNoOutputPadding = {0, 0, 0};
// Below this many output channels a transposed convolution runs ATen's own kernel instead of
// oneDNN's backward-data primitive (measured: 32 -> 2 channels, 48³ -> 96³, 19 vs 74 ms).
constexpr int64_t kMinOneDnnTransposedOutChannels = 8;

ConvGeometry getGeometry(napi_env env, napi_value stride, napi_value padding, napi_value transposed,
                         napi_value outputPadding) {
  ConvGeometry g;
  g.stride = getInts(env, stride, 3, "stride");
  g.padding = getInts(env, padding, 3, "padding");
  check(env, napi_get_value_bool(env, transposed, &g.transposed), "transposed");
  g.outputPadding = getInts(env, outputPadding, 3, "outputPadding");
  for (int i = 0; i < 3; ++i) {
    if (g.stride[i] < 1 || g.padding[i] < 0 || g.outputPadding[i] < 0 ||
        g.outputPadding[i] >= g.stride[i]) {
      throw JsError("conv geometry on axis " + std::to_string(i) +
                    ": expected stride >= 1, padding >= 0, 0 <= outputPadding < stride");
    }
  }
  return g;
}

// tfjs filter [kD, kH, kW, A, B] -> ATen weight [B, A, kD, kH, kW] (contiguous copy; small).
at::Tensor atenWeight(const F32View& v, const std::vector<int64_t>& shape) {
  return wrapDense(v, shape, "filter").permute({4, 3, 0, 1, 2}).contiguous();
}

// Spatial size of a regular convolution's output, and of a transposed one's.
int64_t convOut(int64_t in, int64_t k, const ConvGeometry& g, int i) {
  return (in + 2 * g.padding[i] - k) / g.stride[i] + 1;
}
int64_t convTransposeOut(int64_t in, int64_t k, const ConvGeometry& g, int i) {
  return (in - 1) * g.stride[i] - 2 * g.padding[i] + k + g.outputPadding[i];
}

napi_value copyOut(napi_env env, const at::Tensor& t) {
  Output out = makeOutput(env, sizesOf(t));
  out.tensor.copy_(t);
  return out.array;
}

DirectConvShape directShape(const std::vector<int64_t>& inShape, const at::Tensor& w,
                            const ConvGeometry& g) {
  DirectConvShape s{};
  s.n = inShape[0];
  s.cin = w.size(1);
  s.cout = w.size(0);
  for (int i = 0; i < 3; ++i) {
    s.in[i] = inShape[2 + i];
    s.kernel[i] = w.size(2 + i);
    s.padding[i] = g.padding[i];
  }
  return s;
}

// The regular convolution of x with weight w (no bias): direct loops for very few channels,
// else ATen (oneDNN).
at::Tensor regularConv(const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g) {
  if (!directConvApplies(w.size(1), w.size(0), g.stride.data())) {
    return at::convolution(x, w, c10::nullopt, g.stride, g.padding, kDilation, false,
                           kNoOutputPadding, 1);
  }
  auto s = directShape(x.sizes().vec(), w, g);
  auto y = at::empty({s.n, s.cout, s.out(0), s.out(1), s.out(2)},
                     at::TensorOptions().dtype(at::kFloat));
  directConvForward(s, x.contiguous().data_ptr<float>(), w.data_ptr<float>(), nullptr,
                    y.data_ptr<float>());
  return y;
}

// The input gradient of the regular convolution with weight w, for an input of shape inShape.
at::Tensor backwardData(const at::Tensor& dy, const at::Tensor& w,
                        const std::vector<int64_t>& inShape, const ConvGeometry& g) {
  auto dx = at::empty(inShape, at::TensorOptions().dtype(at::kFloat));
  if (directConvApplies(w.size(1), w.size(0), g.stride.data())) {
    directConvBackwardData(directShape(inShape, w, g), dy.contiguous().data_ptr<float>(),
                           w.data_ptr<float>(), dx.data_ptr<float>());
    return dx;
  }
  auto grads = at::convolution_backward(dy, dx, w, c10::nullopt, g.stride, g.padding, kDilation,
                                        false, kNoOutputPadding, 1, {true, false, false});
  return std::get<0>(grads);
}

// The weight gradient ([cout, cin, k…]) of the regular convolution of `input` giving `gradOutput`.
at::Tensor backwardWeight(const at::Tensor& input, const at::Tensor& gradOutput,
                          const std::vector<int64_t>& weightShape, const ConvGeometry& g) {
  auto dw = at::empty(weightShape, at::TensorOptions().dtype(at::kFloat));
  if (directConvApplies(weightShape[1], weightShape[0], g.stride.data())) {
    directConvBackwardWeight(directShape(input.sizes().vec(), dw, g),
                             input.contiguous().data_ptr<float>(),
                             gradOutput.contiguous().data_ptr<float>(), dw.data_ptr<float>());
    return dw;
  }
  auto grads = at::convolution_backward(gradOutput, input, dw, c10::nullopt, g.stride, g.padding,
                                        kDilation, false, kNoOutputPadding, 1,
                                        {false, true, false});
  return std::get<1>(grads);
}

// convNcdhw(x, xShape[5], filter, filterShape[5], bias | null, stride[3], padding[3],
//   transposed, outputPadding[3]) -> Float32Array y (NCDHW)
napi_value ConvNcdhw(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() {
    auto a = getArgs(env, info, 9);
    auto xShape = getInts(env, a[1], 5, "xShape");
    auto fShape = getInts(env, a[3], 5, "filterShape");
    auto g = getGeometry(env, a[5], a[6], a[7], a[8]);
    napi_valuetype biasType;
    check(env, napi_typeof(env, a[4], &biasType), "typeof bias");
    at::NoGradGuard noGrad;
    auto x = wrapDense(getF32(env, a[0], "x"), xShape, "x");
    auto w = atenWeight(getF32(env, a[2], "filter"), fShape);
    if (xShape[1] != (g.transposed ? w.size(0) : w.size(1))) {
      throw JsError("x has " + std::to_string(xShape[1]) + " channels, the filter expects " +
                    std::to_string(g.transposed ? w.size(0) : w.size(1)));
    }
    at::Tensor y;
    if (!g.transposed) {
      y = regularConv(x, w, g);
    } else if (w.size(1) < kMinOneDnnTransposedOutChannels) {
      // oneDNN's backward-data with 2 output channels took 2.5x ATen's own transposed kernel.
      y = at::convolution(x, w, c10::nullopt, g.stride, g.padding, kDilation, true,
                          g.outputPadding, 1);
    } else {
      std::vector<int64_t> outShape = {xShape[0], w.size(1), 0, 0, 0};
      for (int i = 0; i < 3; ++i) outShape[2 + i] = convTransposeOut(xShape[2 + i], fShape[i], g, i);
      y = backwardData(x, w, outShape, g);
    }
    Output out = makeOutput(env, sizesOf(y));
    if (biasType == napi_null || biasType == napi_undefined) {
      out.tensor.copy_(y);
    } else {
      auto bias = wrapDense(getF32(env, a[4], "bias"), {y.size(1)}, "bias");
      at::add_out(out.tensor, y, bias.view({1, y.size(1), 1, 1, 1}));
    }
    return out.array;
  });
}

// convNcdhwBackpropInput(dy, dyShape[5], filter, filterShape[5], stride[3], padding[3],
//   transposed, outputPadding[3], inShape[5]) -> Float32Array dx (NCDHW, shape inShape)
napi_value ConvNcdhwBackpropInput(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() {
    auto a = getArgs(env, info, 9);
    auto dyShape = getInts(env, a[1], 5, "dyShape");
    auto fShape = getInts(env, a[3], 5, "filterShape");
    auto g = getGeometry(env, a[4], a[5], a[6], a[7]);
    auto inShape = getInts(env, a[8], 5, "inShape");
    at::NoGradGuard noGrad;
    auto dy = wrapDense(getF32(env, a[0], "dy"), dyShape, "dy");
    auto w = atenWeight(getF32(env, a[2], "filter"), fShape);
    at::Tensor dx = g.transposed ? regularConv(dy, w, g) : backwardData(dy, w, inShape, g);
    if (dx.sizes().vec() != inShape) throw JsError("conv input gradient: inconsistent shapes");
    return copyOut(env, dx);
  });
}

// convNcdhwBackpropFilter(x, xShape[5], dy, dyShape[5], stride[3], padding[3], transposed,
//   outputPadding[3], filterShape[5]) -> Float32Array dFilter (tfjs layout, shape filterShape)
napi_value ConvNcdhwBackpropFilter(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() {
    auto a = getArgs(env, info, 9);
    auto xShape = getInts(env, a[1], 5, "xShape");
    auto dyShape = getInts(env, a[3], 5, "dyShape");
    auto g = getGeometry(env, a[4], a[5], a[6], a[7]);
    auto fShape = getInts(env, a[8], 5, "filterShape");
    at::NoGradGuard noGrad;
    auto x = wrapDense(getF32(env, a[0], "x"), xShape, "x");
    auto dy = wrapDense(getF32(env, a[2], "dy"), dyShape, "dy");
    // For the transposed convolution the roles swap: its output gradient is the regular
    // convolution's input and its input is the regular convolution's output gradient.
    const auto& input = g.transposed ? dy : x;
    const auto& gradOutput = g.transposed ? x : dy;
    auto dw = backwardWeight(input, gradOutput, {fShape[4], fShape[3], fShape[0], fShape[1], fShape[2]}, g);
    return copyOut(env, dw.permute({2, 3, 4, 1, 0}));
  });
}

// ---- batch norm + PReLU ------------------------------------------------------------------------
//
// The per-row loops below are where the time goes (a row is one sample's voxels of one channel,
// contiguous). They are plain loops the compiler vectorises; target_clones builds them for
// AVX-512, AVX2 and baseline x86-64 and picks one at load time, so the addon stays portable while
// using the machine's full vector width. Sums end in double: the backward pass relies on
// count·mean(dz) equalling Σdz (float sums over 4096-value chunks left the gradient of a conv
// bias feeding the norm, zero in theory, at 2.6e-7; 64-value blocks keep it below 1e-9).

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VK_MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VK_MULTIVERSION
#endif

// Σx over a row, in double (vectorised: 8 double lanes with AVX-512). Exact enough that a
// constant channel gets its value back as the mean and a variance of exactly 0.
VK_MULTIVERSION double rowSum(const float* x, int64_t n) {
  double sum = 0.0;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  return sum;
}

// Σ(x − centre)² over a row, in double.
VK_MULTIVERSION double rowSquaredDeviation(const float* x, int64_t n, double centre) {
  double sum = 0.0;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; ++i) {
    const double d = x[i] - centre;
    sum += d * d;
  }
  return sum;
}

// The backward's row reductions add float partial sums over blocks of kBlock values (the block
// loop is what vectorises: 16 float lanes, 4 values each) into double accumulators. Four double
// reductions inside one vector loop kept GCC from vectorising it and ran 7x slower.
constexpr int64_t kBlock = 64;

// y = act(x·scale + shift), act = PReLU(alpha) or identity.
VK_MULTIVERSION void rowNormalise(const float* x, float* y, int64_t n, float scale, float shift,
                                  bool hasAct, float alpha) {
  if (hasAct) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) {
      const float z = x[i] * scale + shift;
      y[i] = z > 0.0f ? z : alpha * z;
    }
  } else {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale + shift;
  }
}

struct GradSums {
  double dz = 0.0;     // Σdz, dz = dy·act'(z)
  double dzE = 0.0;    // Σdz·(x − m)
  double e = 0.0;      // Σ(x − m)
  double alpha = 0.0;  // Σ over z ≤ 0 of dy·z (PReLU weight gradient)
};

// Pass 1 of the backward over a row; z is recomputed exactly as rowNormalise computed it.
VK_MULTIVERSION void rowGradSums(const float* x, const float* dy, int64_t n, float m, float scale,
                                 float shift, bool hasAct, float alpha, GradSums& out) {
  // Without an activation the negative side has slope 1 (and the alpha sum is unused): no
  // branch on hasAct inside the loop.
  const float negativeSlope = hasAct ? alpha : 1.0f;
  double sumDz = 0.0, sumDzE = 0.0, sumE = 0.0, sumAlpha = 0.0;
  for (int64_t start = 0; start < n; start += kBlock) {
    const int64_t stop = std::min(n, start + kBlock);
    float blockDz = 0.0f, blockDzE = 0.0f, blockE = 0.0f, blockAlpha = 0.0f;
#pragma omp simd reduction(+ : blockDz, blockDzE, blockE, blockAlpha)
    for (int64_t i = start; i < stop; ++i) {
      const float d = dy[i];
      const float z = x[i] * scale + shift;
      const bool positive = z > 0.0f;
      const float dz = positive ? d : negativeSlope * d;
      const float e = x[i] - m;
      blockDz += dz;
      blockDzE += dz * e;
      blockE += e;
      blockAlpha += positive ? 0.0f : d * z;
    }
    sumDz += blockDz;
    sumDzE += blockDzE;
    sumE += blockE;
    sumAlpha += blockAlpha;
  }
  out.dz += sumDz;
  out.dzE += sumDzE;
  out.e += sumE;
  out.alpha += sumAlpha;
}

// Pass 2: dx = k·(dz − meanDz − (x − centre)·invStd·meanDzXhat), in double, rounded once. In
// evaluation mode the statistics are constants and dx = k·dz (the centring term would turn an
// infinite x into NaN through ∞·0).
VK_MULTIVERSION void rowGradInput(const float* x, const float* dy, float* dx, int64_t n,
                                  float scale, float shift, bool hasAct, float alpha, bool training,
                                  double k, double meanDz, double centre, double invStd,
                                  double meanDzXhat) {
  const float negativeSlope = hasAct ? alpha : 1.0f;
  if (!training) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) {
      const float d = dy[i];
      const float z = x[i] * scale + shift;
      const float dzNegative = negativeSlope * d;
      const float dz = z > 0.0f ? d : dzNegative;
      dx[i] = static_cast<float>(k * dz);
    }
    return;
  }
  const double slope = invStd * meanDzXhat;
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const float d = dy[i];
    const float z = x[i] * scale + shift;
    const float dzNegative = negativeSlope * d;
    const float dz = z > 0.0f ? d : dzNegative;
    dx[i] = static_cast<float>(k * (dz - meanDz - (x[i] - centre) * slope));
  }
}

struct BatchNormArgs {
  int64_t n = 0, c = 0, spatial = 0;
  const float* gamma = nullptr;
  const float* beta = nullptr;
  float alpha = 0.0f;
  bool hasAct = false;
  bool training = false;
  double eps = 1e-5;

  const float* row(const float* base, int64_t sample, int64_t channel) const {
    return base + (sample * c + channel) * spatial;
  }
  // The folded per-channel scale and shift of the forward pass (the backward repeats them).
  float scale(int64_t channel, float variance) const {
    return static_cast<float>(gamma[channel] * (1.0 / std::sqrt(variance + eps)));
  }
};

BatchNormArgs getBatchNormArgs(napi_env env, const std::vector<int64_t>& xShape, napi_value gamma,
                               napi_value beta, napi_value alpha, napi_value eps,
                               napi_value training, napi_value hasAct) {
  BatchNormArgs b;
  b.n = xShape[0];
  b.c = xShape[1];
  b.spatial = xShape[2] * xShape[3] * xShape[4];
  auto g = getF32(env, gamma, "gamma");
  auto be = getF32(env, beta, "beta");
  auto al = getF32(env, alpha, "alpha");
  if (static_cast<int64_t>(g.length) != b.c || static_cast<int64_t>(be.length) != b.c ||
      al.length != 1) {
    throw JsError("batch norm: expected gamma and beta of " + std::to_string(b.c) +
                  " channels and one PReLU weight");
  }
  b.gamma = g.data;
  b.beta = be.data;
  b.alpha = al.data[0];
  check(env, napi_get_value_double(env, eps, &b.eps), "eps");
  check(env, napi_get_value_bool(env, training, &b.training), "training");
  check(env, napi_get_value_bool(env, hasAct, &b.hasAct), "hasAct");
  return b;
}

napi_value makeArray(napi_env env, std::initializer_list<napi_value> items) {
  napi_value array;
  check(env, napi_create_array_with_length(env, items.size(), &array), "array");
  uint32_t i = 0;
  for (auto item : items) check(env, napi_set_element(env, array, i++, item), "set_element");
  return array;
}

// batchNormAct(x, xShape[5], gamma, beta, alpha, runningMean, runningVar, eps, training, hasAct)
//   -> [y, mean, variance]: y = act(gamma·(x − mean)/√(variance + eps) + beta) with act PReLU
//   (weight alpha) or identity. Training mode uses the batch mean and biased variance over
//   (N, D, H, W) and returns them; evaluation mode uses (and returns) the running statistics.
napi_value BatchNormAct(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() {
    auto a = getArgs(env, info, 10);
    auto xShape = getInts(env, a[1], 5, "xShape");
    auto b = getBatchNormArgs(env, xShape, a[2], a[3], a[4], a[7], a[8], a[9]);
    auto xv = getF32(env, a[0], "x");
    if (static_cast<int64_t>(xv.length) != numel(xShape)) throw JsError("x: size mismatch");
    const float* xp = xv.data;
    Output mean = makeOutput(env, {b.c});
    Output variance = makeOutput(env, {b.c});
    float* mp = mean.tensor.data_ptr<float>();
    float* vp = variance.tensor.data_ptr<float>();
    if (b.training) {
      // Two passes (mean, then squared deviations from it), both in double.
      const double count = static_cast<double>(b.n * b.spatial);
      at::parallel_for(0, b.c, 1, [&](int64_t begin, int64_t end) {
        for (int64_t c = begin; c < end; ++c) {
          double sum = 0.0;
          for (int64_t n = 0; n < b.n; ++n) sum += rowSum(b.row(xp, n, c), b.spatial);
          const double m = sum / count;
          double squares = 0.0;
          for (int64_t n = 0; n < b.n; ++n) {
            squares += rowSquaredDeviation(b.row(xp, n, c), b.spatial, m);
          }
          mp[c] = static_cast<float>(m);
          vp[c] = static_cast<float>(squares / count);
        }
      });
    } else {
      auto rm = getF32(env, a[5], "runningMean");
      auto rv = getF32(env, a[6], "runningVar");
      if (static_cast<int64_t>(rm.length) != b.c || static_cast<int64_t>(rv.length) != b.c) {
        throw JsError("batch norm: running statistics must have one value per channel");
      }
      std::copy(rm.data, rm.data + b.c, mp);
      std::copy(rv.data, rv.data + b.c, vp);
    }
    Output y = makeOutput(env, xShape);
    float* yp = y.tensor.data_ptr<float>();
    at::parallel_for(0, b.n * b.c, 1, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int64_t c = row % b.c;
        const float scale = b.scale(c, vp[c]);
        const float shift = b.beta[c] - mp[c] * scale;
        rowNormalise(xp + row * b.spatial, yp + row * b.spatial, b.spatial, scale, shift,
                     b.hasAct, b.alpha);
      }
    });
    return makeArray(env, {y.array, mean.array, variance.array});
  });
}

// batchNormActGrad(dy, x, xShape[5], gamma, beta, alpha, mean, variance, eps, training, hasAct)
//   -> [dx, dGamma, dBeta, dAlpha] for batchNormAct's y (mean and variance as it returned them).
napi_value BatchNormActGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() {
    auto a = getArgs(env, info, 11);
    auto xShape = getInts(env, a[2], 5, "xShape");
    auto b = getBatchNormArgs(env, xShape, a[3], a[4], a[5], a[8], a[9], a[10]);
    auto dyv = getF32(env, a[0], "dy");
    auto xv = getF32(env, a[1], "x");
    auto meanv = getF32(env, a[6], "mean");
    auto varv = getF32(env, a[7], "variance");
    const int64_t total = numel(xShape);
    if (static_cast<int64_t>(dyv.length) != total || static_cast<int64_t>(xv.length) != total ||
        static_cast<int64_t>(meanv.length) != b.c || static_cast<int64_t>(varv.length) != b.c) {
      throw JsError("batch norm gradient: dy, x, mean or variance has the wrong size");
    }
    Output dx = makeOutput(env, xShape);
    Output dGamma = makeOutput(env, {b.c});
    Output dBeta = makeOutput(env, {b.c});
    Output dAlpha = makeOutput(env, {1});
    float* dxp = dx.tensor.data_ptr<float>();
    std::vector<double> alphaPartial(static_cast<size_t>(b.c), 0.0);
    const double count = static_cast<double>(b.n * b.spatial);
    // One task per channel: pass 1 reduces over its N·D·H·W values, pass 2 writes dx.
    at::parallel_for(0, b.c, 1, [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c) {
        const float m = meanv.data[c];
        const double invStd = 1.0 / std::sqrt(varv.data[c] + b.eps);
        const float scale = b.scale(c, varv.data[c]);
        const float shift = b.beta[c] - m * scale;
        const float alpha = b.hasAct ? b.alpha : 1.0f;
        GradSums sums;
        for (int64_t n = 0; n < b.n; ++n) {
          rowGradSums(b.row(xv.data, n, c), b.row(dyv.data, n, c), b.spatial, m, scale, shift,
                      b.hasAct, alpha, sums);
        }
        dGamma.tensor.data_ptr<float>()[c] = static_cast<float>(sums.dzE * invStd);
        dBeta.tensor.data_ptr<float>()[c] = static_cast<float>(sums.dz);
        alphaPartial[static_cast<size_t>(c)] = sums.alpha;
        // x̂ is centred on the exact batch mean (the float32 mean plus Σe/count): with the
        // rounded mean Σx̂ ≠ 0, and Σdx picked up a spurious count·δ·invStd·mean(dz·x̂).
        const double delta = sums.e / count;
        const double meanDz = b.training ? sums.dz / count : 0.0;
        const double meanDzXhat =
            b.training ? (sums.dzE - delta * sums.dz) * invStd / count : 0.0;
        const double centre = static_cast<double>(m) + (b.training ? delta : 0.0);
        for (int64_t n = 0; n < b.n; ++n) {
          const int64_t offset = (n * b.c + c) * b.spatial;
          rowGradInput(xv.data + offset, dyv.data + offset, dxp + offset, b.spatial, scale, shift,
                       b.hasAct, alpha, b.training, b.gamma[c] * invStd, meanDz, centre, invStd,
                       meanDzXhat);
        }
      }
    });
    double totalAlpha = 0.0;
    for (double p : alphaPartial) totalAlpha += p;
    dAlpha.tensor.data_ptr<float>()[0] = b.hasAct ? static_cast<float>(totalAlpha) : 0.0f;
    return makeArray(env, {dx.array, dGamma.array, dBeta.array, dAlpha.array});
  });
}

}  // namespace

void defineNcdhwKernels(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"convNcdhw", nullptr, ConvNcdhw, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"convNcdhwBackpropInput", nullptr, ConvNcdhwBackpropInput, nullptr, nullptr, nullptr,
       napi_default, nullptr},
      {"convNcdhwBackpropFilter", nullptr, ConvNcdhwBackpropFilter, nullptr, nullptr, nullptr,
       napi_default, nullptr},
      {"batchNormAct", nullptr, BatchNormAct, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormActGrad", nullptr, BatchNormActGrad, nullptr, nullptr, nullptr, napi_default,
       nullptr},
  };
  check(env, napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props),
        "define_properties");
}

}  // namespace vk
