// AdamW updates of all parameters in one call, a single pass over each parameter's four buffers.
// Composed from tfjs ops the same update takes about twelve kernel calls per parameter, each a
// pass over memory plus an allocation; for the 4.8 M-parameter UNet that was about a tenth of a
// training step.
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "napi_helpers.h"
#include "optim.h"

namespace vk {
namespace {

struct Constants {
  float stepSize, beta1, beta2, oneMinusBeta1, oneMinusBeta2, biasCorrection2Sqrt, eps, decay;
};

// The update of elements [begin, end) of one parameter.
void updateRange(const Constants& c, const float* p, const float* g, const float* m,
                 const float* v, float* pOut, float* mOut, float* vOut, int64_t begin,
                 int64_t end) {
  for (int64_t i = begin; i < end; ++i) {
    const float grad = g[i];
    const float mNew = m[i] * c.beta1 + grad * c.oneMinusBeta1;
    const float vNew = v[i] * c.beta2 + grad * grad * c.oneMinusBeta2;
    const float denom = std::sqrt(vNew) / c.biasCorrection2Sqrt + c.eps;
    pOut[i] = p[i] * c.decay - (mNew / denom) * c.stepSize;
    mOut[i] = mNew;
    vOut[i] = vNew;
  }
}

double getDouble(napi_env env, napi_value value, const char* name) {
  double out = 0;
  check(env, napi_get_value_double(env, value, &out), name);
  return out;
}

// The per-step constants, arguments 4..9. Rounded to float32 once, from double, as tfjs rounds
// the scalars of the composite update (1 − β computed in float32 would differ by up to 1e-5
// relative).
Constants getConstants(napi_env env, const std::vector<napi_value>& a) {
  const double beta1 = getDouble(env, a[5], "beta1");
  const double beta2 = getDouble(env, a[6], "beta2");
  return {static_cast<float>(getDouble(env, a[4], "stepSize")),
          static_cast<float>(beta1),
          static_cast<float>(beta2),
          static_cast<float>(1.0 - beta1),
          static_cast<float>(1.0 - beta2),
          static_cast<float>(getDouble(env, a[7], "biasCorrection2Sqrt")),
          static_cast<float>(getDouble(env, a[8], "eps")),
          static_cast<float>(getDouble(env, a[9], "decay"))};
}

std::vector<F32View> getF32List(napi_env env, napi_value list, const char* name) {
  uint32_t count = 0;
  check(env, napi_get_array_length(env, list, &count), name);
  std::vector<F32View> out;
  for (uint32_t i = 0; i < count; ++i) {
    napi_value item;
    check(env, napi_get_element(env, list, i, &item), name);
    out.push_back(getF32(env, item, name));
  }
  return out;
}

// adamwUpdateMany(params[], grads[], expAvgs[], expAvgSqs[], stepSize, beta1, beta2,
//   biasCorrection2Sqrt, eps, decay) -> [param'0, expAvg'0, expAvgSq'0, param'1, …] with, for each
//   parameter, elementwise in float32, m' = β1·m + (1 − β1)·g, v' = β2·v + (1 − β2)·g²,
//   p' = decay·p − stepSize·m'/(√v'/bc2 + eps); one call whose work is split across threads in
// 32 Ki-value pieces regardless of which parameter they belong to (a UNet has ~100 parameters,
// most of them a few values; one call per parameter cost more than the arithmetic).
napi_value AdamwUpdateMany(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() {
    auto a = getArgs(env, info, 10);
    auto params = getF32List(env, a[0], "params");
    auto grads = getF32List(env, a[1], "grads");
    auto ms = getF32List(env, a[2], "expAvgs");
    auto vs = getF32List(env, a[3], "expAvgSqs");
    const size_t count = params.size();
    if (grads.size() != count || ms.size() != count || vs.size() != count) {
      throw JsError("adamwUpdateMany: as many grads and moments as params are needed");
    }
    const Constants c = getConstants(env, a);
    struct Piece {
      size_t tensor;
      int64_t begin, end;
    };
    constexpr int64_t kPiece = 1 << 15;
    std::vector<Piece> pieces;
    std::vector<Output> outputs;
    napi_value result;
    check(env, napi_create_array_with_length(env, 3 * count, &result), "array");
    for (size_t t = 0; t < count; ++t) {
      const size_t n = params[t].length;
      if (grads[t].length != n || ms[t].length != n || vs[t].length != n) {
        throw JsError("adamwUpdateMany: parameter " + std::to_string(t) +
                      ": grad and moments must have its length");
      }
      for (int k = 0; k < 3; ++k) {
        outputs.push_back(makeOutput(env, {static_cast<int64_t>(n)}));
        check(env, napi_set_element(env, result, static_cast<uint32_t>(3 * t + k),
                                    outputs.back().array),
              "set_element");
      }
      for (int64_t begin = 0; begin < static_cast<int64_t>(n); begin += kPiece) {
        pieces.push_back({t, begin, std::min<int64_t>(static_cast<int64_t>(n), begin + kPiece)});
      }
    }
    at::parallel_for(0, static_cast<int64_t>(pieces.size()), 1, [&](int64_t first, int64_t last) {
      for (int64_t i = first; i < last; ++i) {
        const Piece& p = pieces[static_cast<size_t>(i)];
        const size_t t = p.tensor;
        updateRange(c, params[t].data, grads[t].data, ms[t].data, vs[t].data,
                    outputs[3 * t].tensor.data_ptr<float>(),
                    outputs[3 * t + 1].tensor.data_ptr<float>(),
                    outputs[3 * t + 2].tensor.data_ptr<float>(), p.begin, p.end);
      }
    });
    return result;
  });
}

}  // namespace

void defineOptimKernels(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"adamwUpdateMany", nullptr, AdamwUpdateMany, nullptr, nullptr, nullptr, napi_default,
       nullptr},
  };
  check(env, napi_define_properties(env, exports, 1, props), "define_properties");
}

}  // namespace vk
