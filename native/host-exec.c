/*
 * racker-host-exec CMD [ARG...]: run CMD on the host, from inside a racker shell container, as
 * the shell's owner (doc/host-exec.md). Built static (cc -static) so one file runs in any image.
 *
 * It hands its own stdin, stdout and stderr to the host side (SCM_RIGHTS): the host program
 * reads and writes the container's terminal or pipes directly, nothing is copied. The signals
 * it gets (Ctrl-C on the terminal reaches it, not the host program) are passed on to the host
 * program's process group. Exit status: the host program's (128+N when signal N ended it);
 * 125 racker-host-exec's own failure, 126 the command cannot be run, 127 not found on the host.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "host-exec.h"

extern char **environ;

static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig) {
  int saved = errno;
  unsigned char b = (unsigned char)sig;
  (void)!write(signal_pipe[1], &b, 1);
  errno = saved;
}

static int usage(void) {
  fputs("Usage: racker-host-exec COMMAND [ARG...]   (run COMMAND on the host, as you)\n", stderr);
  return 2;
}

static int write_all(int fd, const char *buf, size_t len) {
  while (len) {
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Append `s` and its NUL to the payload. */
static int add(char **buf, size_t *len, size_t *cap, const char *s) {
  size_t n = strlen(s) + 1;
  if (*len + n > HX_MAX_PAYLOAD) return -1;
  if (*len + n > *cap) {
    size_t want = (*cap ? *cap * 2 : 4096);
    while (want < *len + n) want *= 2;
    char *p = realloc(*buf, want);
    if (!p) return -1;
    *buf = p;
    *cap = want;
  }
  memcpy(*buf + *len, s, n);
  *len += n;
  return 0;
}

int main(int argc, char **argv) {
  int first = 1;
  if (argc > 1 && strcmp(argv[1], "--") == 0) first = 2;
  else if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) return usage();
  if (first >= argc) return usage();

  /* A closed stdin/stdout/stderr cannot be passed: the host program gets /dev/null there. */
  for (int fd = 0; fd < 3; fd++) {
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd) {
      fprintf(stderr, "racker-host-exec: /dev/null: %s\n", strerror(errno));
      return 125;
    }
  }

  const char *path = getenv("RACKER_HOST_EXEC_SOCKET"); /* tests only; inside a shell the fixed path */
  if (!path || !*path) path = HX_SOCKET;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) {
    fprintf(stderr, "racker-host-exec: socket path too long: %s\n", path);
    return 125;
  }
  strcpy(addr.sun_path, path);
  int conn = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (conn < 0 || connect(conn, (struct sockaddr *)&addr, sizeof addr) != 0) {
    /* Refused: the socket is there but its server ended with an earlier boot of the container. */
    int err = errno;
    fprintf(stderr, "racker-host-exec: cannot reach the host (%s: %s): %s\n", path, strerror(err),
            err == ECONNREFUSED ? "its server starts when you enter the shell with racker shell" : "is this a racker shell?");
    return 125;
  }

  char *payload = NULL;
  size_t len = 0, cap = 0;
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) strcpy(cwd, "/");
  int bad = add(&payload, &len, &cap, cwd);
  for (int i = first; i < argc && !bad; i++) bad = add(&payload, &len, &cap, argv[i]);
  uint32_t envc = 0;
  for (char **e = environ; *e && !bad; e++) {
    if (!hx_env_allowed(*e)) continue;
    bad = add(&payload, &len, &cap, *e);
    envc++;
  }
  if (bad) {
    fputs("racker-host-exec: the command line is too long\n", stderr);
    return 125;
  }

  /* Signals are caught before anything is sent: one that comes early is passed on, not lost. */
  if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    perror("racker-host-exec: pipe");
    return 125;
  }
  static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGTSTP, SIGCONT};
  struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaction(forwarded[i], &sa, NULL);

  struct hx_header h = {.version = HX_VERSION, .argc = (uint32_t)(argc - first), .envc = envc, .len = (uint32_t)len};
  memcpy(h.magic, HX_MAGIC, 4);
  int fds[3] = {0, 1, 2};
  union {
    char buf[CMSG_SPACE(sizeof fds)];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {.iov_base = &h, .iov_len = sizeof h};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof fds);
  memcpy(CMSG_DATA(c), fds, sizeof fds);
  ssize_t sent;
  do sent = sendmsg(conn, &msg, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  if (sent != (ssize_t)sizeof h || write_all(conn, payload, len) != 0) {
    fprintf(stderr, "racker-host-exec: cannot send the command to the host: %s\n", strerror(errno));
    return 125;
  }
  free(payload);

  unsigned char status[4];
  size_t got = 0;
  for (;;) {
    struct pollfd p[2] = {{.fd = conn, .events = POLLIN}, {.fd = signal_pipe[0], .events = POLLIN}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      perror("racker-host-exec: poll");
      return 125;
    }
    if (p[1].revents & POLLIN) {
      unsigned char sigs[64];
      ssize_t n = read(signal_pipe[0], sigs, sizeof sigs);
      for (ssize_t i = 0; i < n; i++) {
        /* Ctrl-Z: the host program stops (it has no terminal of its own to stop it), then we do. */
        unsigned char s = sigs[i] == SIGTSTP ? SIGSTOP : sigs[i];
        (void)write_all(conn, (const char *)&s, 1);
        if (sigs[i] == SIGTSTP) raise(SIGSTOP);
      }
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = recv(conn, status + got, sizeof status - got, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fputs("racker-host-exec: the host side ended without an exit status\n", stderr);
        return 125;
      }
      got += (size_t)n;
      if (got == sizeof status) {
        uint32_t code;
        memcpy(&code, status, 4);
        return (int)(ntohl(code) & 0xff);
      }
    }
  }
}
