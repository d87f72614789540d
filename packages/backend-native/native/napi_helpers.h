// Helpers shared by the addon's source files: argument checks, views of JS typed arrays as
// ATen tensors, and outputs allocated in V8-owned memory. Everything is inline (header only).
#pragma once

#include <node_api.h>

#include <ATen/ATen.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace vk {

// ---- N-API helpers ---------------------------------------------------------------------------

struct JsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline void check(napi_env env, napi_status status, const char* what) {
  if (status != napi_ok) throw JsError(std::string("N-API call failed: ") + what);
}

inline std::vector<napi_value> getArgs(napi_env env, napi_callback_info info, size_t expected) {
  size_t argc = expected;
  std::vector<napi_value> argv(expected);
  check(env, napi_get_cb_info(env, info, &argc, argv.data(), nullptr, nullptr), "get_cb_info");
  if (argc < expected) {
    throw JsError("expected " + std::to_string(expected) + " arguments, got " + std::to_string(argc));
  }
  return argv;
}

// A Float32Array argument: pointer into the JS-owned buffer plus its element count.
struct F32View {
  float* data;
  size_t length;
};

inline F32View getF32(napi_env env, napi_value value, const char* name) {
  bool isTyped = false;
  check(env, napi_is_typedarray(env, value, &isTyped), "is_typedarray");
  if (!isTyped) throw JsError(std::string(name) + ": expected a Float32Array");
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  check(env, napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr),
        "get_typedarray_info");
  if (type != napi_float32_array) throw JsError(std::string(name) + ": expected a Float32Array");
  return {static_cast<float*>(data), length};
}

inline std::vector<int64_t> getInts(napi_env env, napi_value value, size_t expected, const char* name) {
  uint32_t length = 0;
  if (napi_get_array_length(env, value, &length) != napi_ok || length != expected) {
    throw JsError(std::string(name) + ": expected an array of " + std::to_string(expected) +
                  " integers");
  }
  std::vector<int64_t> out(expected);
  for (uint32_t i = 0; i < length; ++i) {
    napi_value item;
    check(env, napi_get_element(env, value, i, &item), "get_element");
    int64_t v = 0;
    check(env, napi_get_value_int64(env, item, &v), "get_value_int64");
    out[i] = v;
  }
  return out;
}

inline int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

// Results live in V8-owned ArrayBuffers that ATen writes into (via *_out ops or copy_). Handing
// ATen's own storage to JS as external buffers was tried first: V8 does not see that memory, so
// it rarely collected the wrappers and a UNet training loop grew by hundreds of MB per step.
struct Output {
  napi_value array;
  at::Tensor tensor;  // view of the ArrayBuffer's memory, contiguous, shape as requested
};

inline Output makeOutput(napi_env env, const std::vector<int64_t>& shape) {
  const int64_t n = numel(shape);
  void* data = nullptr;
  napi_value buffer;
  check(env, napi_create_arraybuffer(env, static_cast<size_t>(n) * sizeof(float), &data, &buffer),
        "create_arraybuffer");
  napi_value array;
  check(env, napi_create_typedarray(env, napi_float32_array, static_cast<size_t>(n), buffer, 0, &array),
        "create_typedarray");
  // A zero-length ArrayBuffer may have no backing store; ATen needs a valid pointer anyway.
  static float dummy = 0.0f;
  return {array, at::from_blob(data ? data : &dummy, shape, at::TensorOptions().dtype(at::kFloat))};
}

inline std::vector<int64_t> sizesOf(const at::Tensor& t) { return t.sizes().vec(); }


template <typename Fn>
inline napi_value guarded(napi_env env, Fn fn) {
  try {
    return fn();
  } catch (const JsError& e) {
    napi_throw_type_error(env, "ERR_VOXELKIT_NATIVE_ARGS", e.what());
  } catch (const c10::Error& e) {
    napi_throw_error(env, "ERR_VOXELKIT_NATIVE_ATEN", e.what_without_backtrace());
  } catch (const std::exception& e) {
    napi_throw_error(env, "ERR_VOXELKIT_NATIVE", e.what());
  }
  return nullptr;
}

inline at::Tensor wrapDense(const F32View& v, const std::vector<int64_t>& shape, const char* name) {
  if (static_cast<int64_t>(v.length) != numel(shape)) {
    throw JsError(std::string(name) + ": buffer has " + std::to_string(v.length) +
                  " elements, shape needs " + std::to_string(numel(shape)));
  }
  return at::from_blob(v.data, shape, at::TensorOptions().dtype(at::kFloat));
}

inline std::vector<int64_t> getShape(napi_env env, napi_value value, const char* name) {
  uint32_t length = 0;
  check(env, napi_get_array_length(env, value, &length), name);
  return getInts(env, value, length, name);
}

}  // namespace vk
