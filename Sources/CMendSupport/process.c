/* GNU extensions Swift's Glibc module hides, for the process runner. */
#define _GNU_SOURCE
#include "mend_support.h"
#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

int mend_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int mend_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

short mend_spawn_setsid_flag(void) {
    return POSIX_SPAWN_SETSID;
}
