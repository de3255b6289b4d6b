#ifndef HOOKGATE_BUILD_INFO_H
#define HOOKGATE_BUILD_INFO_H

/// The git commit the binary was built from (Package.swift passes it as HOOKGATE_COMMIT:
/// the environment variable HOOKGATE_COMMIT, else the checkout's HEAD, else "unknown").
const char *hookgate_build_commit(void);

#endif
