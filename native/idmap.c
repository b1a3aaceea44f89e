/*
 * idmap: an ID-mapped bind mount (Linux 5.12+: open_tree, mount_setattr, move_mount), for a
 * host path that a member of the racker group gives a container (doc/security.md).
 *
 * A racker container has no user namespace: its root is the host's root. Through an
 * ID-mapped mount whose user namespace maps exactly one id (the member's host uid to the
 * container's user), the container's processes act on the files as that member and as no one
 * else: a file the member owns shows as the container user's and what that user writes is
 * the member's on the host; every other owner is unmapped, so the container's root loses its
 * capabilities over those files (the kernel grants CAP_DAC_OVERRIDE, CAP_FOWNER, … only on
 * inodes whose owner is mapped) and cannot create files there as root. Setuid bits and
 * device nodes on the mount are ignored (nosuid, nodev).
 *
 * idmappedBind(source, target, uidMap, gidMap, readOnly): clones the mount at `source` (not
 * its submounts), applies a user namespace whose uid_map / gid_map are the given lines
 * ("INSIDE OUTSIDE COUNT", as in /proc/PID/uid_map) and attaches the clone at `target`,
 * which must exist. Throws with the failing step and errno's text.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <node_api.h>

static napi_value fail(napi_env env, const char *step, int err) {
  char text[256];
  snprintf(text, sizeof text, "%s: %s", step, strerror(err));
  napi_throw_error(env, err ? strerror(err) : NULL, text);
  return NULL;
}

static int write_file(const char *file, const char *text) {
  int fd = open(file, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  int err = errno;
  close(fd);
  if (n != (ssize_t)strlen(text)) {
    errno = n < 0 ? err : EIO;
    return -1;
  }
  return 0;
}

/*
 * A user namespace with these maps: a child unshares one and waits, the parent (root, with
 * CAP_SETUID/CAP_SETGID outside) writes its maps and keeps a descriptor of it, the child is
 * killed. The child only makes raw system calls: it is forked from a threaded process.
 */
static int userns_with(const char *uid_map, const char *gid_map, const char **step) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return *step = "pipe", -1;
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(ready[0]);
    close(ready[1]);
    errno = err;
    return *step = "fork", -1;
  }
  if (pid == 0) {
    char ok = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
    if (write(ready[1], &ok, 1) != 1) _exit(1);
    for (;;) pause();
  }
  close(ready[1]);
  char ok = 0;
  int fd = -1;
  ssize_t got;
  do got = read(ready[0], &ok, 1);
  while (got < 0 && errno == EINTR);
  close(ready[0]);
  char file[64];
  if (got != 1 || ok != 'y') {
    errno = EPERM;
    *step = "unshare(CLONE_NEWUSER)";
  } else {
    snprintf(file, sizeof file, "/proc/%d/uid_map", (int)pid);
    if (write_file(file, uid_map) != 0) {
      *step = "uid_map";
    } else {
      snprintf(file, sizeof file, "/proc/%d/gid_map", (int)pid);
      if (write_file(file, gid_map) != 0) {
        *step = "gid_map";
      } else {
        snprintf(file, sizeof file, "/proc/%d/ns/user", (int)pid);
        fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) *step = "open the user namespace";
      }
    }
  }
  int err = errno;
  kill(pid, SIGKILL);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
  }
  errno = err;
  return fd;
}

static int get_string(napi_env env, napi_value v, char *buf, size_t size) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok) return -1;
  return len + 1 < size ? 0 : -1;
}

static napi_value idmapped_bind(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  char source[4096], target[4096], uid_map[128], gid_map[128];
  bool read_only = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5) return fail(env, "idmappedBind(source, target, uidMap, gidMap, readOnly)", EINVAL);
  if (get_string(env, argv[0], source, sizeof source) || get_string(env, argv[1], target, sizeof target) || get_string(env, argv[2], uid_map, sizeof uid_map) ||
      get_string(env, argv[3], gid_map, sizeof gid_map) || napi_get_value_bool(env, argv[4], &read_only) != napi_ok)
    return fail(env, "idmappedBind: arguments", EINVAL);

  const char *step = "";
  int userns = userns_with(uid_map, gid_map, &step);
  if (userns < 0) return fail(env, step, errno);
  int tree = (int)syscall(SYS_open_tree, AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0) {
    int err = errno;
    close(userns);
    return fail(env, "open_tree", err);
  }
  struct mount_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (read_only ? MOUNT_ATTR_RDONLY : 0);
  attr.userns_fd = (unsigned)userns;
  int rc = (int)syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr);
  int err = errno;
  close(userns);
  if (rc != 0) {
    close(tree);
    return fail(env, "mount_setattr (ID-mapped)", err);
  }
  rc = (int)syscall(SYS_move_mount, tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH);
  err = errno;
  close(tree);
  if (rc != 0) return fail(env, "move_mount", err);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "idmappedBind", NAPI_AUTO_LENGTH, idmapped_bind, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "idmappedBind", fn) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
