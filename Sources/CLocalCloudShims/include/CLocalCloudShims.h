#ifndef CLOCALCLOUDSHIMS_H
#define CLOCALCLOUDSHIMS_H

#include <spawn.h>

/// POSIX_SPAWN_SETSID, which glibc declares only under _GNU_SOURCE.
int asgard_spawn_setsid_flag(void);

/// posix_spawn_file_actions_addchdir_np, which glibc declares only under _GNU_SOURCE.
int asgard_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);

#endif
