/* The GNU parts of process spawning that Swift's Glibc module leaves out. */
#ifndef VANITY_PROCESS_SHIM_H
#define VANITY_PROCESS_SHIM_H

#include <spawn.h>

/* pipe2(fds, O_CLOEXEC): neither end leaks into a child started meanwhile. */
int vanity_pipe_cloexec(int fds[2]);
/* posix_spawn_file_actions_addchdir_np: the child starts in `dir`. */
int vanity_spawn_chdir(posix_spawn_file_actions_t *actions, const char *dir);

#endif
