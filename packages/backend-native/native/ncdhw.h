// Channel-first kernels (ncdhw.cc), added to the addon's exports by Init in conv3d.cc.
#pragma once

#include <node_api.h>

namespace vk {

/** Adds convNcdhw*, batchNormAct and batchNormActGrad to `exports`. */
void defineNcdhwKernels(napi_env env, napi_value exports);

}  // namespace vk
