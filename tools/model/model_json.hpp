#pragma once
// The JSON form of a model description (schema "pipewise.model", version 1), documented
// field by field in README.md, "Reference: model descriptions".
#include <string>

#include "tools/model/model_description.hpp"

namespace pipewise::tools {

// Reads a model description from JSON text. Fields absent from the text keep their value
// in `base` (so a file may change only the device of a preset). `source` names the text
// in messages. Throws pipewise::Error with one line naming the JSON path of the first
// problem: malformed or truncated JSON, a wrong schema or version, a mistyped or unknown
// field, both or neither of "transformer" and "layers", a bad value (model.check()).
ModelDescription model_from_json(const std::string& text, const std::string& source,
                                 const ModelDescription& base = {});

// The JSON form of `model`; model_from_json reads it back to an equal description (layer
// groups are written per sample, "measured_micro_batch_size": 1).
std::string model_to_json(const ModelDescription& model);

}  // namespace pipewise::tools
