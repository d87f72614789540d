// N-API addon: 3D convolution kernels for tfjs-backend-cpu buffers, computed by ATen (libtorch).
//
// tfjs keeps 5D activations as NDHWC Float32Arrays and filters as [kD, kH, kW, Cin, Cout]. The
// kernels wrap those buffers with at::from_blob (no copy) and hand ATen either a channels-last
// strided view or a contiguous NCDHW copy (the "layout" setting; NCDHW measured faster with the
// oneDNN 2.6 inside Debian's libtorch 1.13, see docs/backend-native.md). Results are written into
// new V8-owned Float32Arrays (the NCDHW -> NDHWC transpose doubles as that write).
//
// Padding arrives as tfjs computes it (front/back per axis, possibly asymmetric for 'same' with
// stride 2 on even sizes). ATen convolutions take one symmetric padding per axis, so the common
// part goes to ATen and the asymmetric remainder is an explicit zero pad (a copy, only then).
#include <node_api.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/api/include/torch/version.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "napi_helpers.h"
#include "ncdhw.h"
#include "optim.h"

namespace {

using namespace vk;

// ---- layout helpers --------------------------------------------------------------------------

// 0: channels-last strided view of the tfjs buffer (no copy); 1: contiguous NCDHW copy.
int gLayout = 1;

at::Tensor wrapNdhwc(const F32View& v, const std::vector<int64_t>& shape, const char* name) {
  if (static_cast<int64_t>(v.length) != numel(shape)) {
    throw JsError(std::string(name) + ": buffer has " + std::to_string(v.length) +
                  " elements, shape needs " + std::to_string(numel(shape)));
  }
  auto t = at::from_blob(v.data, shape, at::TensorOptions().dtype(at::kFloat));
  auto ncdhw = t.permute({0, 4, 1, 2, 3});  // view; strides are channels-last
  return gLayout == 1 ? ncdhw.contiguous() : ncdhw;
}

// tfjs filter [kD, kH, kW, Cin, Cout] -> ATen weight [Cout, Cin, kD, kH, kW].
at::Tensor wrapFilter(const F32View& v, const std::vector<int64_t>& shape) {
  if (static_cast<int64_t>(v.length) != numel(shape)) throw JsError("filter: size mismatch");
  auto t = at::from_blob(v.data, shape, at::TensorOptions().dtype(at::kFloat));
  auto w = t.permute({4, 3, 0, 1, 2});
  return gLayout == 1 ? w.contiguous() : w.contiguous(at::MemoryFormat::ChannelsLast3d);
}

// Writes an NCDHW tensor (any strides) into a new NDHWC Float32Array.
napi_value ndhwcOutput(napi_env env, const at::Tensor& t) {
  auto view = t.permute({0, 2, 3, 4, 1});
  Output out = makeOutput(env, sizesOf(view));
  out.tensor.copy_(view);
  return out.array;
}

struct Padding {
  std::vector<int64_t> symmetric;  // passed to ATen (>= 0)
  std::vector<int64_t> extra;      // constant_pad_nd order: W lo, W hi, H lo, H hi, D lo, D hi
  bool asymmetric = false;
};

// tfjs 4.22 does not clamp 3D 'same' padding at zero (TensorFlow does), so with kernel < stride
// a side can be negative: it then crops the input. constant_pad_nd crops for negative pads, so
// everything that is not a common non-negative padding goes there.
Padding splitPadding(const std::vector<int64_t>& front, const std::vector<int64_t>& back) {
  Padding p;
  p.symmetric.resize(3);
  p.extra.assign(6, 0);
  for (int i = 0; i < 3; ++i) {
    const int64_t common = std::max<int64_t>(std::min(front[i], back[i]), 0);
    p.symmetric[i] = common;
    p.extra[2 * (2 - i)] = front[i] - common;
    p.extra[2 * (2 - i) + 1] = back[i] - common;
    if (front[i] != common || back[i] != common) p.asymmetric = true;
  }
  return p;
}

at::Tensor padIfNeeded(const at::Tensor& x, const Padding& p) {
  if (!p.asymmetric) return x;
  auto padded = at::constant_pad_nd(x, p.extra, 0.0);
  return gLayout == 1 ? padded.contiguous()
                      : padded.contiguous(at::MemoryFormat::ChannelsLast3d);
}

// Inverse of padIfNeeded for gradients: drops padded rows, zero-fills cropped ones.
at::Tensor unpadIfNeeded(const at::Tensor& dx, const Padding& p) {
  if (!p.asymmetric) return dx;
  std::vector<int64_t> inverse(p.extra.size());
  for (size_t i = 0; i < p.extra.size(); ++i) inverse[i] = -p.extra[i];
  return at::constant_pad_nd(dx, inverse, 0.0);
}

// ---- kernels ---------------------------------------------------------------------------------

// conv3dForward(x, xShape[5], filter, filterShape[5], strides[3], padFront[3], padBack[3])
//   -> Float32Array y (NDHWC)
napi_value Conv3dForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() {
    auto a = getArgs(env, info, 7);
    auto xShape = getInts(env, a[1], 5, "xShape");
    auto wShape = getInts(env, a[3], 5, "filterShape");
    auto strides = getInts(env, a[4], 3, "strides");
    auto pad = splitPadding(getInts(env, a[5], 3, "padFront"), getInts(env, a[6], 3, "padBack"));
    at::NoGradGuard noGrad;
    auto x = padIfNeeded(wrapNdhwc(getF32(env, a[0], "x"), xShape, "x"), pad);
    auto w = wrapFilter(getF32(env, a[2], "filter"), wShape);
    auto y = at::convolution(x, w, c10::nullopt, strides, pad.symmetric, {1, 1, 1}, false,
                             {0, 0, 0}, 1);
    return ndhwcOutput(env, y);
  });
}

// conv3dBackpropInput(dy, dyShape[5], filter, filterShape[5], strides[3], padFront[3],
//   padBack[3], inShape[5]) -> Float32Array dx (NDHWC, shape inShape)
napi_value Conv3dBackpropInput(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() {
    auto a = getArgs(env, info, 8);
    auto dyShape = getInts(env, a[1], 5, "dyShape");
    auto wShape = getInts(env, a[3], 5, "filterShape");
    auto strides = getInts(env, a[4], 3, "strides");
    auto padFront = getInts(env, a[5], 3, "padFront");
    auto padBack = getInts(env, a[6], 3, "padBack");
    auto inShape = getInts(env, a[7], 5, "inShape");
    auto pad = splitPadding(padFront, padBack);
    at::NoGradGuard noGrad;
    auto dy = wrapNdhwc(getF32(env, a[0], "dy"), dyShape, "dy");
    auto w = wrapFilter(getF32(env, a[2], "filter"), wShape);
    // The gradient w.r.t. the (explicitly padded) input. As a transposed convolution
    // (at::convolution(..., transposed=true)) libtorch 1.13 takes a slow non-oneDNN path; the
    // convolution's own backward with output_mask {1,0,0} runs oneDNN's backward-data primitive.
    // Only the input's sizes and memory format matter there, so it is an uninitialised at::empty.
    std::vector<int64_t> paddedShape = {inShape[0], inShape[4], 0, 0, 0};
    for (int i = 0; i < 3; ++i) {
      paddedShape[2 + i] = inShape[1 + i] + pad.extra[2 * (2 - i)] + pad.extra[2 * (2 - i) + 1];
      const int64_t reached = (dyShape[1 + i] - 1) * strides[i] - 2 * pad.symmetric[i] + wShape[i];
      if (paddedShape[2 + i] < reached || paddedShape[2 + i] - reached >= std::max<int64_t>(strides[i], 1)) {
        throw JsError("inconsistent shapes for conv3dBackpropInput on axis " + std::to_string(i));
      }
    }
    auto inputLike = at::empty(paddedShape, at::TensorOptions().dtype(at::kFloat),
                               gLayout == 1 ? at::MemoryFormat::Contiguous
                                            : at::MemoryFormat::ChannelsLast3d);
    auto grads = at::convolution_backward(dy, inputLike, w, c10::nullopt, strides, pad.symmetric,
                                          {1, 1, 1}, false, {0, 0, 0}, 1, {true, false, false});
    auto dxPadded = std::get<0>(grads);
    return ndhwcOutput(env, unpadIfNeeded(dxPadded, pad));
  });
}

// conv3dBackpropFilter(x, xShape[5], dy, dyShape[5], strides[3], padFront[3], padBack[3],
//   filterShape[5]) -> Float32Array dw ([kD, kH, kW, Cin, Cout])
napi_value Conv3dBackpropFilter(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() {
    auto a = getArgs(env, info, 8);
    auto xShape = getInts(env, a[1], 5, "xShape");
    auto dyShape = getInts(env, a[3], 5, "dyShape");
    auto strides = getInts(env, a[4], 3, "strides");
    auto pad = splitPadding(getInts(env, a[5], 3, "padFront"), getInts(env, a[6], 3, "padBack"));
    auto fShape = getInts(env, a[7], 5, "filterShape");
    at::NoGradGuard noGrad;
    auto x = padIfNeeded(wrapNdhwc(getF32(env, a[0], "x"), xShape, "x"), pad);
    auto dy = wrapNdhwc(getF32(env, a[2], "dy"), dyShape, "dy");
    // Only the weight's sizes (and memory format) matter for output_mask {0,1,0}; at::empty
    // allocates without touching the memory.
    auto wLike = at::empty({fShape[4], fShape[3], fShape[0], fShape[1], fShape[2]},
                           at::TensorOptions().dtype(at::kFloat),
                           gLayout == 1 ? at::MemoryFormat::Contiguous
                                        : at::MemoryFormat::ChannelsLast3d);
    auto grads = at::convolution_backward(dy, x, wLike, c10::nullopt, strides, pad.symmetric,
                                          {1, 1, 1}, false, {0, 0, 0}, 1, {false, true, false});
    auto dw = std::get<1>(grads).permute({2, 3, 4, 1, 0});
    Output out = makeOutput(env, sizesOf(dw));
    out.tensor.copy_(dw);
    return out.array;
  });
}


// ---- memory-bound ops (elementwise, reductions, channel split) ------------------------------
// tfjs-backend-cpu runs these single-threaded and, for broadcasting or non-trailing axes,
// through per-element index arithmetic; ATen's TensorIterator vectorises and uses both cores.

// binary(op, a, aShape, b, bShape) with numpy broadcasting; op: 0 add, 1 sub, 2 mul, 3 div,
// 4 squared difference, 5 maximum, 6 minimum.
napi_value Binary(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() {
    auto a = getArgs(env, info, 5);
    int32_t op = 0;
    check(env, napi_get_value_int32(env, a[0], &op), "op");
    at::NoGradGuard noGrad;
    auto x = wrapDense(getF32(env, a[1], "a"), getShape(env, a[2], "aShape"), "a");
    auto y = wrapDense(getF32(env, a[3], "b"), getShape(env, a[4], "bShape"), "b");
    Output out = makeOutput(env, at::infer_size(x.sizes(), y.sizes()));
    auto& r = out.tensor;
    switch (op) {
      case 0: at::add_out(r, x, y); break;
      case 1: at::sub_out(r, x, y); break;
      case 2: at::mul_out(r, x, y); break;
      case 3: at::div_out(r, x, y); break;
      case 4: at::sub_out(r, x, y); r.mul_(r); break;
      case 5: at::maximum_out(r, x, y); break;
      case 6: at::minimum_out(r, x, y); break;
      default: throw JsError("unknown binary op " + std::to_string(op));
    }
    return out.array;
  });
}

// reduce(op, x, xShape, axes) -> reduced values (keepDims shape handled in JS); op: 0 sum, 1 mean,
// 2 max.
napi_value Reduce(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() {
    auto a = getArgs(env, info, 4);
    int32_t op = 0;
    check(env, napi_get_value_int32(env, a[0], &op), "op");
    auto shape = getShape(env, a[2], "xShape");
    auto axes = getShape(env, a[3], "axes");
    at::NoGradGuard noGrad;
    auto x = wrapDense(getF32(env, a[1], "x"), shape, "x");
    std::vector<int64_t> outShape;
    std::vector<bool> reduced(shape.size(), false);
    for (auto a : axes) reduced.at(static_cast<size_t>(a < 0 ? a + static_cast<int64_t>(shape.size()) : a)) = true;
    for (size_t i = 0; i < shape.size(); ++i) if (!reduced[i]) outShape.push_back(shape[i]);
    Output out = makeOutput(env, outShape);
    if (op == 0) at::sum_out(out.tensor, x, axes);
    else if (op == 1) at::mean_out(out.tensor, x, axes);
    else if (op == 2) at::amax_out(out.tensor, x, axes);
    else throw JsError("unknown reduction " + std::to_string(op));
    return out.array;
  });
}

// narrow(x, xShape, axis, begin, size) -> contiguous slice along one axis (SplitV pieces).
napi_value Narrow(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() {
    auto a = getArgs(env, info, 5);
    auto shape = getShape(env, a[1], "xShape");
    int64_t axis = 0, begin = 0, size = 0;
    check(env, napi_get_value_int64(env, a[2], &axis), "axis");
    check(env, napi_get_value_int64(env, a[3], &begin), "begin");
    check(env, napi_get_value_int64(env, a[4], &size), "size");
    at::NoGradGuard noGrad;
    auto x = wrapDense(getF32(env, a[0], "x"), shape, "x");
    auto piece = x.narrow(axis, begin, size);
    Output out = makeOutput(env, sizesOf(piece));
    out.tensor.copy_(piece);
    return out.array;
  });
}

// prelu(x, xShape, alpha, alphaShape): x < 0 ? alpha * x : x, alpha broadcast against x.
napi_value Prelu(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() {
    auto a = getArgs(env, info, 4);
    at::NoGradGuard noGrad;
    auto x = wrapDense(getF32(env, a[0], "x"), getShape(env, a[1], "xShape"), "x");
    auto alpha = wrapDense(getF32(env, a[2], "alpha"), getShape(env, a[3], "alphaShape"), "alpha");
    Output out = makeOutput(env, sizesOf(x));
    out.tensor.copy_(at::where(x < 0, x * alpha, x));
    return out.array;
  });
}

// A short last axis (the classes of channels-last logits, e.g. 2): ATen vectorises (log-)softmax
// along that axis, so with 2 values per row most lanes idle. The transposed [classes, voxels]
// copy vectorises over the voxels instead (about 3x faster). Returns the [classes, rows] view.
bool shortLastAxis(const at::Tensor& x, int64_t axis) {
  return axis == x.dim() - 1 && x.size(axis) < 16 && x.numel() >= (1 << 16);
}
at::Tensor classesFirst(const at::Tensor& x) {
  return x.reshape({-1, x.size(-1)}).t().contiguous();
}

// logSoftmaxGrad(dy, y, shape, axis) -> dy − exp(y)·Σ_axis dy, the gradient of y = logSoftmax(x).
napi_value LogSoftmaxGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() {
    auto a = getArgs(env, info, 4);
    auto shape = getShape(env, a[2], "shape");
    int64_t axis = 0;
    check(env, napi_get_value_int64(env, a[3], &axis), "axis");
    at::NoGradGuard noGrad;
    auto dy = wrapDense(getF32(env, a[0], "dy"), shape, "dy");
    auto y = wrapDense(getF32(env, a[1], "y"), shape, "y");
    Output out = makeOutput(env, shape);
    if (shortLastAxis(y, axis)) {
      auto dx = at::_log_softmax_backward_data(classesFirst(dy), classesFirst(y), 0, at::kFloat);
      out.tensor.view({-1, y.size(axis)}).copy_(dx.t());
    } else {
      out.tensor.copy_(at::_log_softmax_backward_data(dy, y, axis, at::kFloat));
    }
    return out.array;
  });
}

// Softmax and LogSoftmax: (x, xShape, axis) -> (log-)softmax along `axis` (negative counts from
// the end).
napi_value softmaxAlongAxis(napi_env env, napi_callback_info info, bool log) {
  return guarded(env, [&]() {
    auto a = getArgs(env, info, 3);
    auto shape = getShape(env, a[1], "xShape");
    int64_t axis = 0;
    check(env, napi_get_value_int64(env, a[2], &axis), "axis");
    if (axis < 0) axis += static_cast<int64_t>(shape.size());
    at::NoGradGuard noGrad;
    auto x = wrapDense(getF32(env, a[0], "x"), shape, "x");
    Output out = makeOutput(env, shape);
    if (shortLastAxis(x, axis)) {
      auto rows = classesFirst(x);
      auto y = log ? at::_log_softmax(rows, 0, false) : at::_softmax(rows, 0, false);
      out.tensor.view({-1, shape[axis]}).copy_(y.t());
    } else if (log) {
      at::_log_softmax_out(out.tensor, x, axis, false);
    } else {
      at::_softmax_out(out.tensor, x, axis, false);
    }
    return out.array;
  });
}

napi_value Softmax(napi_env env, napi_callback_info info) {
  return softmaxAlongAxis(env, info, false);
}

napi_value LogSoftmax(napi_env env, napi_callback_info info) {
  return softmaxAlongAxis(env, info, true);
}

// transpose(x, xShape, perm) -> contiguous copy of x permuted by perm (tfjs Transpose).
napi_value Transpose(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() {
    auto a = getArgs(env, info, 3);
    auto shape = getShape(env, a[1], "xShape");
    auto perm = getInts(env, a[2], shape.size(), "perm");
    at::NoGradGuard noGrad;
    auto x = wrapDense(getF32(env, a[0], "x"), shape, "x");
    auto permuted = x.permute(perm);
    Output out = makeOutput(env, sizesOf(permuted));
    out.tensor.copy_(permuted);
    return out.array;
  });
}

// unary(op, x) -> elementwise op over a flat buffer: 0 exp, 1 log, 2 neg, 3 sqrt, 4 rsqrt,
// 5 square.
napi_value Unary(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() {
    auto a = getArgs(env, info, 2);
    int32_t op = 0;
    check(env, napi_get_value_int32(env, a[0], &op), "op");
    auto v = getF32(env, a[1], "x");
    at::NoGradGuard noGrad;
    const std::vector<int64_t> shape = {static_cast<int64_t>(v.length)};
    auto x = wrapDense(v, shape, "x");
    Output out = makeOutput(env, shape);
    auto& r = out.tensor;
    switch (op) {
      case 0: at::exp_out(r, x); break;
      case 1: at::log_out(r, x); break;
      case 2: at::neg_out(r, x); break;
      case 3: at::sqrt_out(r, x); break;
      case 4: at::rsqrt_out(r, x); break;
      case 5: at::mul_out(r, x, x); break;
      default: throw JsError("unknown unary op " + std::to_string(op));
    }
    return out.array;
  });
}

// concat(arrays, shapes, axis) -> the arrays joined along `axis` (tfjs Concat).
napi_value Concat(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() {
    auto a = getArgs(env, info, 3);
    uint32_t count = 0;
    check(env, napi_get_array_length(env, a[0], &count), "arrays");
    int64_t axis = 0;
    check(env, napi_get_value_int64(env, a[2], &axis), "axis");
    at::NoGradGuard noGrad;
    std::vector<at::Tensor> parts;
    for (uint32_t i = 0; i < count; ++i) {
      napi_value array, shape;
      check(env, napi_get_element(env, a[0], i, &array), "get_element");
      check(env, napi_get_element(env, a[1], i, &shape), "get_element");
      parts.push_back(wrapDense(getF32(env, array, "part"), getShape(env, shape, "shape"), "part"));
    }
    if (parts.empty()) throw JsError("concat: no arrays");
    auto outShape = sizesOf(parts[0]);
    outShape.at(static_cast<size_t>(axis)) = 0;
    for (const auto& p : parts) outShape[static_cast<size_t>(axis)] += p.size(axis);
    Output out = makeOutput(env, outShape);
    at::cat_out(out.tensor, parts, axis);
    return out.array;
  });
}

// setOptions(threads, layout)
napi_value SetOptions(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() {
    auto a = getArgs(env, info, 2);
    int64_t threads = 0;
    check(env, napi_get_value_int64(env, a[0], &threads), "threads");
    int64_t layout = -1;
    check(env, napi_get_value_int64(env, a[1], &layout), "layout");
    if (threads > 0) at::set_num_threads(static_cast<int>(threads));
    if (layout == 0 || layout == 1) gLayout = static_cast<int>(layout);
    napi_value undefined;
    check(env, napi_get_undefined(env, &undefined), "undefined");
    return undefined;
  });
}

// info() -> { threads, layout, torchVersion, parallelInfo }
napi_value Info(napi_env env, napi_callback_info) {
  return guarded(env, [&]() {
    napi_value obj, v;
    check(env, napi_create_object(env, &obj), "object");
    check(env, napi_create_int32(env, at::get_num_threads(), &v), "int");
    check(env, napi_set_named_property(env, obj, "threads", v), "set");
    check(env, napi_create_int32(env, gLayout, &v), "int");
    check(env, napi_set_named_property(env, obj, "layout", v), "set");
    std::string version = std::to_string(TORCH_VERSION_MAJOR) + "." +
                          std::to_string(TORCH_VERSION_MINOR) + "." +
                          std::to_string(TORCH_VERSION_PATCH);
    check(env, napi_create_string_utf8(env, version.c_str(), version.size(), &v), "str");
    check(env, napi_set_named_property(env, obj, "torchVersion", v), "set");
    std::string parallel = at::get_parallel_info();
    check(env, napi_create_string_utf8(env, parallel.c_str(), parallel.size(), &v), "str");
    check(env, napi_set_named_property(env, obj, "parallelInfo", v), "set");
    return obj;
  });
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"conv3dForward", nullptr, Conv3dForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv3dBackpropInput", nullptr, Conv3dBackpropInput, nullptr, nullptr, nullptr,
       napi_default, nullptr},
      {"conv3dBackpropFilter", nullptr, Conv3dBackpropFilter, nullptr, nullptr, nullptr,
       napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduce", nullptr, Reduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"narrow", nullptr, Narrow, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmax", nullptr, Softmax, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"logSoftmax", nullptr, LogSoftmax, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"logSoftmaxGrad", nullptr, LogSoftmaxGrad, nullptr, nullptr, nullptr, napi_default,
       nullptr},
      {"prelu", nullptr, Prelu, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"transpose", nullptr, Transpose, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"concat", nullptr, Concat, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setOptions", nullptr, SetOptions, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  try {
    vk::defineNcdhwKernels(env, exports);
    vk::defineOptimKernels(env, exports);
  } catch (const std::exception& e) {
    napi_throw_error(env, "ERR_VOXELKIT_NATIVE", e.what());
  }
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
