#include "hookgate_build_info.h"

#ifndef HOOKGATE_COMMIT
#define HOOKGATE_COMMIT "unknown"
#endif

const char *hookgate_build_commit(void) { return HOOKGATE_COMMIT; }
