/*
 * racker-enter-host-pid: run a command in a running container's mount, UTS, IPC, network and
 * cgroup namespaces but in the host's PID namespace, with a /proc of its own that shows the
 * host's processes (racker shell --host-pid: strace, gdb, bpftrace on host processes from a
 * shell's tools). nsenter cannot do this: the container's /proc shows only its own processes,
 * and a procfs of the host's PID namespace must be mounted in a mount namespace of the
 * command's own, made after entering the container's, so that nothing else in the container
 * sees it.
 *
 *   racker-enter-host-pid LEADER WORKDIR UID GID -- COMMAND [ARG...]
 *
 * WORKDIR is opened before entering (racker passes a descriptor of a directory it found inside
 * the container, /proc/RACKERPID/fd/N, never a path the host would resolve); UID and GID are
 * the user the command runs as (-1: stay root); supplementary groups are dropped, as nsenter's
 * --setuid does. The environment is passed on as it is. Exit codes: the command's own (exec
 * replaces this program), 125 for a failure before it, 126 when it cannot be executed, 127 when
 * it is not found.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "racker-enter-host-pid: %s: %s\n", what, strerror(errno));
  exit(125);
}

static long number(const char *s, const char *what) {
  char *end;
  errno = 0;
  long n = strtol(s, &end, 10);
  if (errno || *s == '\0' || *end != '\0') {
    fprintf(stderr, "racker-enter-host-pid: invalid %s: %s\n", what, s);
    exit(125);
  }
  return n;
}

int main(int argc, char **argv) {
  if (argc < 7 || strcmp(argv[5], "--") != 0) {
    fprintf(stderr, "usage: racker-enter-host-pid LEADER WORKDIR UID GID -- COMMAND [ARG...]\n");
    return 2;
  }
  long leader = number(argv[1], "leader");
  long uid = number(argv[3], "uid");
  long gid = number(argv[4], "gid");
  if (leader <= 0) {
    fprintf(stderr, "racker-enter-host-pid: invalid leader: %s\n", argv[1]);
    return 125;
  }

  int wd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (wd < 0) die("working directory");

  /* Opened before any is entered: /proc/LEADER is the host's /proc until the mount namespace changes. */
  static const struct { const char *name; int type; } kinds[] = {
      {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET}, {"mnt", CLONE_NEWNS},
  };
  int fds[5];
  for (int i = 0; i < 5; i++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/ns/%s", leader, kinds[i].name);
    fds[i] = open(path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) die(path);
  }
  /* The mount namespace last: entering it also sets the root and cwd to the container's. */
  for (int i = 0; i < 5; i++) {
    if (setns(fds[i], kinds[i].type) < 0) die(kinds[i].name);
    close(fds[i]);
  }

  /* A mount namespace of this command's own, receiving the container's mounts, giving none back. */
  if (unshare(CLONE_NEWNS) < 0) die("unshare");
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) die("make / a slave");
  /* A procfs of the PID namespace this process is in: the host's. */
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) die("mount /proc");

  if (fchdir(wd) < 0) die("working directory");
  close(wd);
  if (gid >= 0) {
    if (setgroups(0, NULL) < 0) die("setgroups");
    if (setgid((gid_t)gid) < 0) die("setgid");
  }
  if (uid >= 0 && setuid((uid_t)uid) < 0) die("setuid");

  execvp(argv[6], argv + 6);
  int e = errno;
  fprintf(stderr, "racker-enter-host-pid: %s: %s\n", argv[6], strerror(e));
  return e == ENOENT ? 127 : 126;
}
