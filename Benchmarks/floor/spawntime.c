/* The clock of scripts/bench cli: runs one command as its own process (posix_spawn, standard
 * output to /dev/null, standard error kept) and prints how long it took, from just before the
 * spawn to the end of the wait, in nanoseconds.
 *
 * Why not bash's clock around the command: bash forks itself to run a command, and the fork of a
 * shell running a long script cost ~1 ms here, inside every figure and the same for every tool
 * (`ovsvirt --version` timed 2.46 ms by bash and ~1.3 ms by this). posix_spawn starts the child
 * without copying the parent's page tables, so what is timed is the command's own process: exec,
 * its work, its exit.
 *
 *   spawntime COMMAND [ARG...]   prints the nanoseconds; exits with the command's status
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: spawntime COMMAND [ARG...]\n");
    return 2;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  pid_t pid;
  int error = posix_spawnp(&pid, argv[1], &actions, NULL, argv + 1, environ);
  if (error != 0) {
    fprintf(stderr, "spawntime: %s: %s\n", argv[1], strerror(error));
    return 127;
  }
  int status;
  if (waitpid(pid, &status, 0) < 0) {
    perror("spawntime: waitpid");
    return 2;
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  printf("%lld\n", (long long)(end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec));
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  fprintf(stderr, "spawntime: %s ended by signal %d\n", argv[1], WTERMSIG(status));
  return 2;
}
