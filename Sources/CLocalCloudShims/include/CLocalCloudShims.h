#ifndef CLOCALCLOUDSHIMS_H
#define CLOCALCLOUDSHIMS_H

#include <spawn.h>

/// POSIX_SPAWN_SETSID, which glibc declares only under _GNU_SOURCE.
int asgard_spawn_setsid_flag(void);

/// posix_spawn_file_actions_addchdir_np, which glibc declares only under _GNU_SOURCE.
int asgard_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// posix_spawn_file_actions_addclosefrom_np: closes every descriptor from `from` on in the child,
/// so an instance never holds the server's sockets or database files.
int asgard_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);

#endif
