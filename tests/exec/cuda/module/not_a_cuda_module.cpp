// A shared object that is no CUDA module: it lacks the entry symbol. With
// NEEDS_LIBRARY_OUT_OF_REACH it also needs a library the dynamic loader cannot find.
#ifdef NEEDS_LIBRARY_OUT_OF_REACH
extern "C" int pipewise_library_out_of_reach();
#endif

extern "C" __attribute__((visibility("default"))) int pipewise_not_a_cuda_module() {
#ifdef NEEDS_LIBRARY_OUT_OF_REACH
  return pipewise_library_out_of_reach();
#else
  return 1;
#endif
}
