#define _GNU_SOURCE
#include <spawn.h>
#include "CLocalCloudShims.h"

int asgard_spawn_setsid_flag(void) {
    return POSIX_SPAWN_SETSID;
}

int asgard_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

int asgard_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}
