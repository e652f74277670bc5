// Choosing GPUs for pipeline devices from --gpus and --emulate (exec/cuda/planning/device_selection.hpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/ir/error.hpp"
#include "exec/cuda/planning/device_selection.hpp"

namespace pipewise::exec::cuda {
namespace {

std::string error_of(const DeviceRequest& request, std::uint32_t devices, int visible) {
  try {
    select_devices(request, devices, visible);
  } catch (const Error& error) {
    return error.what();
  }
  return "no error";
}

TEST(GpuList, ParsesCommaSeparatedOrdinals) {
  EXPECT_EQ(parse_gpu_list("0,1,2,3"), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(parse_gpu_list("3"), (std::vector<int>{3}));
  EXPECT_EQ(parse_gpu_list("2,0"), (std::vector<int>{2, 0}));
}

TEST(GpuList, RejectsMalformedLists) {
  for (const char* bad : {"", "0,", ",1", "1,,2", "a", "-1", "1.5", " 1", "0,0"}) {
    EXPECT_THROW(parse_gpu_list(bad), Error) << "\"" << bad << "\"";
  }
  try {
    parse_gpu_list("0,1,1");
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("GPU 1 twice"), std::string::npos) << error.what();
  }
}

TEST(DeviceSelection, DefaultTakesOneGpuPerDeviceWhenEnoughAreVisible) {
  const DevicePlan four = select_devices({}, 4, 4);
  EXPECT_EQ(four.mode, DeviceMode::OnePerGpu);
  EXPECT_EQ(four.gpu_of_device, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(select_devices({}, 4, 8).gpu_of_device, (std::vector<int>{0, 1, 2, 3}));
}

TEST(DeviceSelection, DefaultEmulatesOnGpuZeroWhenTooFewAreVisible) {
  for (int visible : {1, 2, 3}) {
    const DevicePlan plan = select_devices({}, 4, visible);
    EXPECT_EQ(plan.mode, DeviceMode::Emulated) << visible;
    EXPECT_EQ(plan.gpu_of_device, (std::vector<int>{0, 0, 0, 0})) << visible;
  }
}

TEST(DeviceSelection, OneDeviceHasAWholeGpu) {
  const DevicePlan plan = select_devices({}, 1, 1);
  EXPECT_EQ(plan.mode, DeviceMode::OnePerGpu);
  EXPECT_EQ(plan.gpu_of_device, (std::vector<int>{0}));
  EXPECT_EQ(select_devices({{2}, 0}, 1, 4).gpu_of_device, (std::vector<int>{2}));
}

TEST(DeviceSelection, GpusListPlacesDevicesInTheOrderGiven) {
  const DevicePlan plan = select_devices({{3, 1}, 0}, 2, 4);
  EXPECT_EQ(plan.mode, DeviceMode::OnePerGpu);
  EXPECT_EQ(plan.gpu_of_device, (std::vector<int>{3, 1}));
}

TEST(DeviceSelection, ASingleListedGpuEmulatesEveryDevice) {
  const DevicePlan plan = select_devices({{2}, 0}, 4, 4);
  EXPECT_EQ(plan.mode, DeviceMode::Emulated);
  EXPECT_EQ(plan.gpu_of_device, (std::vector<int>{2, 2, 2, 2}));
}

TEST(DeviceSelection, EmulateRunsEveryDeviceOnOneGpu) {
  const DevicePlan plan = select_devices({{}, 4}, 4, 8);
  EXPECT_EQ(plan.mode, DeviceMode::Emulated);
  EXPECT_EQ(plan.gpu_of_device, (std::vector<int>{0, 0, 0, 0}));
  EXPECT_EQ(select_devices({{5}, 4}, 4, 8).gpu_of_device, (std::vector<int>{5, 5, 5, 5}));
}

TEST(DeviceSelection, ConflictsAreNamed) {
  EXPECT_NE(error_of({{0, 1, 2}, 0}, 4, 4).find("names 3 GPUs but the schedule has 4 devices"),
            std::string::npos);
  EXPECT_NE(error_of({{4}, 0}, 2, 4).find("GPU 4 but only 4 are visible"), std::string::npos);
  EXPECT_NE(error_of({{}, 2}, 4, 1).find("--emulate 2 but the schedule has 4 devices"),
            std::string::npos);
  EXPECT_NE(error_of({{0, 1}, 4}, 4, 2).find("--gpus names 2"), std::string::npos);
  EXPECT_NE(error_of({}, 4, 0).find("no CUDA device"), std::string::npos);
  EXPECT_NE(error_of({}, 0, 1).find("at least one pipeline device"), std::string::npos);
}

TEST(DeviceSelection, ModeNames) {
  EXPECT_EQ(device_mode_name(DeviceMode::OnePerGpu), "one-per-gpu");
  EXPECT_EQ(device_mode_name(DeviceMode::Emulated), "emulated");
}

}  // namespace
}  // namespace pipewise::exec::cuda
