#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

#include "vanity_process.h"

int vanity_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int vanity_spawn_chdir(posix_spawn_file_actions_t *actions, const char *dir) {
  return posix_spawn_file_actions_addchdir_np(actions, dir);
}
