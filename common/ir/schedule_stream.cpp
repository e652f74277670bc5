#include "common/ir/schedule_stream.hpp"

namespace pipewise {

Schedule materialize(ScheduleStream& stream) {
  stream.rewind();
  Schedule schedule{stream.name(), stream.problem(), {}};
  schedule.programs.resize(stream.problem().devices);
  for (std::uint32_t device = 0; device < stream.problem().devices; ++device) {
    std::vector<Op>& program = schedule.programs[device];
    program.resize(stream.program_size(device));
    std::size_t filled = 0;
    while (filled < program.size()) {
      const std::size_t read = stream.read(device, program.data() + filled, program.size() - filled);
      if (read == 0) break;
      filled += read;
    }
    program.resize(filled);
  }
  return schedule;
}

}  // namespace pipewise
