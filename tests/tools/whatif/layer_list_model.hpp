#pragma once
// A model given as a list of equal layers, for the what-if tests: F = 1, B = 2 ms per
// sample (B split I = W = 1), 100 bytes of activations and 10 of output per sample (the
// next layer's input, what full recomputation keeps), 1000 bytes of weights (500 parameters
// of 2 bytes); 4 devices, 2 + 4 + 6 bytes per parameter.
#include <cstdint>

#include "tools/model/model_description.hpp"

namespace pipewise::tools::testing {

inline ModelDescription layer_list_model(std::uint32_t layers) {
  ModelDescription model;
  LayerGroup group;
  group.count = layers;
  group.forward = {1, false};
  group.backward = {2, false};
  group.activation_bytes = 100;
  group.output_bytes = 10;
  group.parameter_bytes = 1000;
  model.layers = {group};
  model.device.count = 4;
  model.training.optimizer_state_bytes_per_parameter = 6;
  return model;
}

}  // namespace pipewise::tools::testing
