/*
 * racker-host-execd: the host side of racker-host-exec (native/host-exec.c, native/host-exec.h),
 * one per running racker shell container (lib/shell/host-exec.ts starts it).
 *
 *   racker-host-execd listen SOCKET UID GID -- COMMAND...
 *     Run by racker (root). Makes the listening socket SOCKET (in a directory of root's: nothing
 *     there is anyone else's to plant), owned by UID:GID, mode 0700, and execs COMMAND with it
 *     on descriptor 3. COMMAND is `setpriv ... racker-host-execd serve ...` as the shell's owner:
 *     the server never runs as root for anyone else.
 *
 *   racker-host-execd serve LEADER_PID LEADER_START
 *     Serves the socket on descriptor 3 until the container's leader (PID 1 of its namespace,
 *     started at LEADER_START, /proc/PID/stat's field 22) ends: a stop, kill, rm, crash or
 *     reboot leaves no server behind. Per connection, a forked session receives the request,
 *     starts the program (a new session, the client's descriptors as 0/1/2, the owner's
 *     login-like environment plus the client's terminal variables), passes on the client's
 *     signals to its process group and sends back its exit status. Children are reaped by the
 *     kernel (SIGCHLD ignored) in the server, by waitpid in a session.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "host-exec.h"

extern char **environ;

/* How long a connection may take to send its request before its session gives up. */
#define REQUEST_TIMEOUT_MS 10000

static int pidfd_open_(pid_t pid) {
  return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int fail(const char *what) {
  fprintf(stderr, "racker-host-execd: %s: %s\n", what, strerror(errno));
  return 125;
}

/* ---- listen (root) ---- */

static int listen_main(int argc, char **argv) {
  if (argc < 7 || strcmp(argv[5], "--") != 0) {
    fputs("usage: racker-host-execd listen SOCKET UID GID -- COMMAND...\n", stderr);
    return 2;
  }
  char *sock = argv[2];
  uid_t uid = (uid_t)strtoul(argv[3], NULL, 10);
  gid_t gid = (gid_t)strtoul(argv[4], NULL, 10);
  char *slash = strrchr(sock, '/');
  if (!slash || !slash[1]) {
    errno = EINVAL;
    return fail(sock);
  }
  *slash = '\0';
  const char *dir = *sock ? sock : "/";
  const char *base = slash + 1;
  /* Bound by its name in the directory (as cwd): no length limit, no race on the path's parents. */
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || fchdir(dfd) != 0) return fail(dir);
  if (unlinkat(dfd, base, 0) != 0 && errno != ENOENT) return fail("unlink the old socket");
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return fail("socket");
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(base) >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    return fail(base);
  }
  strcpy(addr.sun_path, base);
  mode_t old = umask(077);
  int bound = bind(fd, (struct sockaddr *)&addr, sizeof addr);
  umask(old);
  if (bound != 0) return fail("bind");
  if (fchownat(dfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) != 0) return fail("chown the socket");
  if (listen(fd, 64) != 0) return fail("listen");
  close(dfd);
  if (fd != 3 && (dup2(fd, 3) != 3 || close(fd) != 0)) return fail("dup2");
  if (chdir("/") != 0) return fail("chdir /");
  execvp(argv[6], argv + 6);
  return fail(argv[6]);
}

/* ---- serve (the owner) ---- */

/* Field 22 of /proc/PID/stat (after the command's closing parenthesis: field 3 onwards). */
static unsigned long long start_time(pid_t pid) {
  char file[64], buf[1024];
  snprintf(file, sizeof file, "/proc/%d/stat", (int)pid);
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  if (!p) return 0;
  p += 2;
  for (int field = 3; field < 22 && p; field++) {
    p = strchr(p, ' ');
    if (p) p++;
  }
  return p ? strtoull(p, NULL, 10) : 0;
}

static long elapsed_ms(const struct timespec *since) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

/* Read exactly `len` bytes within the request's time; 0 on success. */
static int read_exactly(int fd, char *buf, size_t len, const struct timespec *since) {
  while (len) {
    long left = REQUEST_TIMEOUT_MS - elapsed_ms(since);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (left <= 0 || poll(&p, 1, (int)left) <= 0) return -1;
    ssize_t n = read(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* The header and the client's three descriptors. */
static int receive_header(int conn, struct hx_header *h, int fds[3], const struct timespec *since) {
  union {
    char buf[CMSG_SPACE(3 * sizeof(int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = {.iov_base = h, .iov_len = sizeof *h};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  struct pollfd p = {.fd = conn, .events = POLLIN};
  if (poll(&p, 1, REQUEST_TIMEOUT_MS) <= 0) return -1;
  ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  if (n <= 0) return -1;
  int got = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int *in = (int *)CMSG_DATA(c);
    for (size_t i = 0; i < count; i++) {
      if (got < 3) fds[got++] = in[i];
      else close(in[i]);
    }
  }
  if (got != 3 || (msg.msg_flags & MSG_CTRUNC)) return -1;
  if ((size_t)n < sizeof *h && read_exactly(conn, (char *)h + n, sizeof *h - (size_t)n, since) != 0) return -1;
  return memcmp(h->magic, HX_MAGIC, 4) == 0 && h->version == HX_VERSION && h->argc >= 1 && h->len <= HX_MAX_PAYLOAD ? 0 : -1;
}

/* envp: the owner's login-like base, then the client's allowed variables. */
static char **environment(char **client, uint32_t envc, const struct passwd *pw) {
  char **env = calloc(envc + 8, sizeof *env);
  if (!env) return NULL;
  size_t n = 0;
  uid_t uid = getuid();
  char run[64], bus[96];
  snprintf(run, sizeof run, "/run/user/%u", (unsigned)uid);
  snprintf(bus, sizeof bus, "%s/bus", run);
  struct stat st;
  if (asprintf(&env[n++], "HOME=%s", pw ? pw->pw_dir : "/") < 0) return NULL;
  if (asprintf(&env[n++], "USER=%s", pw ? pw->pw_name : "") < 0) return NULL;
  if (asprintf(&env[n++], "LOGNAME=%s", pw ? pw->pw_name : "") < 0) return NULL;
  if (asprintf(&env[n++], "SHELL=%s", pw && *pw->pw_shell ? pw->pw_shell : "/bin/sh") < 0) return NULL;
  env[n++] = "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
  if (stat(run, &st) == 0 && S_ISDIR(st.st_mode) && asprintf(&env[n++], "XDG_RUNTIME_DIR=%s", run) < 0) return NULL;
  if (stat(bus, &st) == 0 && S_ISSOCK(st.st_mode) && asprintf(&env[n++], "DBUS_SESSION_BUS_ADDRESS=unix:path=%s", bus) < 0) return NULL;
  /* The server checks too: the client is inside the container, whose root may send anything. */
  for (uint32_t i = 0; i < envc; i++) {
    if (hx_env_allowed(client[i])) env[n++] = client[i];
  }
  env[n] = NULL;
  return env;
}

/* The program: runs in the forked child, never returns. */
static void start_program(const int fds[3], const char *cwd, char **argv, char **env, const struct passwd *pw) {
  if (setsid() < 0) _exit(125);
  for (int i = 0; i < 3; i++) {
    if (dup2(fds[i], i) != i) _exit(125);
  }
  /* Nothing of the server's beyond 0-2 (all its other descriptors are close-on-exec too). */
  for (int fd = 3; fd < 1024; fd++) close(fd);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
  umask(022);
  /* The home is the same path inside and out; elsewhere, a directory of that name if the host has one. */
  if (cwd[0] != '/' || chdir(cwd) != 0) {
    if (!pw || chdir(pw->pw_dir) != 0) (void)!chdir("/");
  }
  environ = env;
  execvp(argv[0], argv);
  int err = errno;
  if (err == ENOENT && !strchr(argv[0], '/')) {
    dprintf(2, "racker-host-exec: %s: command not found on the host\n", argv[0]);
    _exit(127);
  }
  dprintf(2, "racker-host-exec: %s: %s\n", argv[0], strerror(err));
  _exit(err == ENOENT ? 127 : 126);
}

static void signal_group(pid_t pid, int sig) {
  if (kill(-pid, sig) != 0 && errno == ESRCH) kill(pid, sig);
}

/* One connection: its request, its program, its signals, its exit status. */
static int session(int conn) {
  signal(SIGCHLD, SIG_DFL);
  struct timespec since;
  clock_gettime(CLOCK_MONOTONIC, &since);
  struct hx_header h;
  int fds[3] = {-1, -1, -1};
  if (receive_header(conn, &h, fds, &since) != 0) return 125;
  char *payload = malloc(h.len + 1);
  if (!payload || read_exactly(conn, payload, h.len, &since) != 0) return 125;
  payload[h.len] = '\0';
  size_t want = 1 + (size_t)h.argc + h.envc;
  /* Each string is at least its NUL: counts the payload cannot hold are a lie, not an allocation. */
  if (want > h.len) return 125;
  char **strings = calloc(want + 1, sizeof *strings);
  if (!strings) return 125;
  size_t found = 0;
  char *p = payload;
  for (; p < payload + h.len && found < want; p += strlen(p) + 1) strings[found++] = p;
  /* Exactly the strings announced, the last one ending where the payload does. */
  if (found != want || p != payload + h.len || payload[h.len - 1] != '\0') return 125;
  char *cwd = strings[0];
  char **argv = calloc((size_t)h.argc + 1, sizeof *argv);
  if (!argv) return 125;
  memcpy(argv, strings + 1, h.argc * sizeof *argv);
  char **envs = strings + 1 + h.argc;
  struct passwd *pw = getpwuid(getuid());
  char **env = environment(envs, h.envc, pw);
  if (!env) return 125;

  pid_t pid = fork();
  if (pid < 0) return 125;
  if (pid == 0) start_program(fds, cwd, argv, env, pw);
  for (int i = 0; i < 3; i++) close(fds[i]);
  int child = pidfd_open_(pid);
  for (;;) {
    struct pollfd p[2] = {{.fd = conn, .events = POLLIN}, {.fd = child, .events = POLLIN}};
    int ready = poll(p, child >= 0 ? 2 : 1, child >= 0 ? -1 : 50);
    if (ready < 0 && errno != EINTR) break;
    if (child >= 0 && (p[1].revents & POLLIN)) break;
    if (child < 0) {
      int st;
      if (waitpid(pid, &st, WNOHANG) == pid) {
        uint32_t code = htonl(WIFEXITED(st) ? (uint32_t)WEXITSTATUS(st) : 128u + (uint32_t)WTERMSIG(st));
        (void)!send(conn, &code, sizeof code, MSG_NOSIGNAL);
        return 0;
      }
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      unsigned char sigs[64];
      ssize_t n = read(conn, sigs, sizeof sigs);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        /* The client is gone (killed, or its container ended): the program loses its caller. */
        signal_group(pid, SIGHUP);
        signal_group(pid, SIGCONT);
        waitpid(pid, NULL, 0);
        return 0;
      }
      for (ssize_t i = 0; i < n; i++) {
        if (sigs[i] >= 1 && sigs[i] < NSIG) signal_group(pid, sigs[i]);
      }
    }
  }
  int st;
  if (waitpid(pid, &st, 0) != pid) return 125;
  uint32_t code = htonl(WIFEXITED(st) ? (uint32_t)WEXITSTATUS(st) : 128u + (uint32_t)WTERMSIG(st));
  (void)!send(conn, &code, sizeof code, MSG_NOSIGNAL);
  return 0;
}

static int serve_main(int argc, char **argv) {
  if (argc != 4) {
    fputs("usage: racker-host-execd serve LEADER_PID LEADER_START (the socket on descriptor 3)\n", stderr);
    return 2;
  }
  pid_t leader = (pid_t)strtol(argv[2], NULL, 10);
  unsigned long long started = strtoull(argv[3], NULL, 10);
  int accepting = 0;
  socklen_t alen = sizeof accepting;
  if (getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &alen) != 0 || !accepting) {
    errno = ENOTSOCK;
    return fail("descriptor 3 is not a listening socket");
  }
  fcntl(3, F_SETFD, FD_CLOEXEC);
  /* The leader named, not a later process with its number: same start time, checked after the pidfd exists. */
  int leader_fd = pidfd_open_(leader);
  if (leader_fd < 0) return errno == ESRCH ? 0 : fail("pidfd_open");
  if (start_time(leader) != started) return 0;
  signal(SIGCHLD, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  for (;;) {
    struct pollfd p[2] = {{.fd = 3, .events = POLLIN}, {.fd = leader_fd, .events = POLLIN}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return fail("poll");
    }
    if (p[1].revents) return 0;
    if (!(p[0].revents & POLLIN)) continue;
    int conn = accept4(3, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) continue;
    pid_t pid = fork();
    if (pid == 0) {
      close(3);
      close(leader_fd);
      _exit(session(conn));
    }
    close(conn);
  }
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "listen") == 0) return listen_main(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "serve") == 0) return serve_main(argc, argv);
  fputs("usage: racker-host-execd listen SOCKET UID GID -- COMMAND... | serve LEADER_PID LEADER_START\n", stderr);
  return 2;
}
