// Optimiser kernels (optim.cc), added to the addon's exports by Init in conv3d.cc.
#pragma once

#include <node_api.h>

namespace vk {

/** Adds adamwUpdate to `exports`. */
void defineOptimKernels(napi_env env, napi_value exports);

}  // namespace vk
