#pragma once
#include <string>

#include "common/ir/problem.hpp"
#include "exec/core/execution_profile.hpp"
#include "exec/model/mlp_model.hpp"
#include "sim/cost_model.hpp"

// Profile once, predict every configuration: the cost file a profiled run writes
// (`pipewise profile`, `pipewise run --profile-only`), and the costs of any other split of the
// same model read back from it (`pipewise run --costs`).

namespace pipewise::tools {

// What one profiled run of `model` split for `problem` measured, as a cost file's fields:
//  - stages: every stage's F, I, W and optimizer step inside the running pipeline (`pipeline`,
//    profile_from_steps), as cost_config_from_profile makes them: what simulate and sweep read,
//    valid for this split;
//  - layers: every layer's ops timed alone (`layers`: a profile of the model split into one
//    stage per layer);
//  - contention: per kind of op, the time the stages' ops took inside the pipeline over the
//    time their layers take alone (Σ over stages, so long ops weigh more); a schedule that runs
//    B whole gives I and W the factor of B;
//  - communication: the hand-over latency inside the pipeline and the transfer fit's
//    bandwidth, with the stage boundary's bytes; the data-parallel all-reduce when timed.
// Throws pipewise::Error when `layers` does not have one stage per layer of the model, or
// `pipeline` not one per stage of the split.
sim::CostConfig measured_costs(const exec::ExecutionProfile& pipeline,
                               const exec::ExecutionProfile& layers, const exec::MlpModel& model,
                               const Problem& problem, bool split_backward);

// The cost file of `costs`, as measured_costs fills it (schema pipewise.costs, version 1):
// stages, layers, contention, communication, and data_parallel when it has replicas.
std::string cost_file_json(const sim::CostConfig& costs);

// The timing costs of `model` split for `problem` from a cost file read with
// sim::parse_cost_config:
//  - with layers (one entry per layer of the model): every stage's F, I and W is the sum of
//    its layers' times alone times the contention of its kind, and so is its optimizer step;
//    a stage whose steps keep the previous weight version (`keeps_weight_versions[s]`: weight
//    stashing, PipeDream) also pays for copying its parameters, at the memory bandwidth the
//    file's optimizer steps imply (see the implementation);
//  - without layers: the file's stages as they are, which must name stages of this split.
// Communication and data parallelism are the file's. Throws pipewise::Error when the layers do
// not cover the model, or a stage of the file is outside the split.
sim::CostConfig costs_for_split(const sim::CostConfig& file, const exec::MlpModel& model,
                                const Problem& problem, bool split_backward,
                                const std::vector<bool>& keeps_weight_versions);

}  // namespace pipewise::tools
