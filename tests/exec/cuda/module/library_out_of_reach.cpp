// A shared library built where the dynamic loader does not look, standing for a CUDA
// library that is not installed.
extern "C" __attribute__((visibility("default"))) int pipewise_library_out_of_reach() { return 2; }
