/*
 * racker-host-exec's protocol, shared by the client (native/host-exec.c, inside a racker shell
 * container) and the server (native/host-execd.c, on the host, running as the shell's owner).
 *
 * One unix stream connection per command:
 *   client -> server  a header (struct hx_header) carrying the client's stdin, stdout and
 *                     stderr as SCM_RIGHTS, then `len` bytes: the cwd, the argv and the
 *                     environment, each string NUL-terminated (1 + argc + envc strings);
 *                     afterwards, one byte per signal the client received (its number)
 *   server -> client  4 bytes, big-endian: the exit status (0-255; 128+N for signal N), then EOF
 *
 * The client's end closing early means it is gone: the server sends SIGHUP to the program's
 * process group.
 */
#ifndef RACKER_HOST_EXEC_H
#define RACKER_HOST_EXEC_H

#include <stdint.h>
#include <string.h>

#define HX_MAGIC "RKHX"
#define HX_VERSION 1
/* Where the socket is inside the container (lib/shell/host-exec.ts binds its directory here). */
#define HX_SOCKET "/run/racker-host/socket"
/* The payload's upper bound: argv and environment of a command line (ARG_MAX is 2 MiB). */
#define HX_MAX_PAYLOAD (4u << 20)

struct hx_header {
  char magic[4];
  uint32_t version;
  uint32_t argc;
  uint32_t envc;
  uint32_t len;
};

/*
 * The client's environment variables that reach the host program: how to talk to the user's
 * terminal and display (terminal type, colours, size, language). Nothing that decides what runs
 * or where (PATH, LD_*, HOME, SHELL, XDG_*): those are the host account's own.
 */
static inline int hx_env_allowed(const char *entry) {
  static const char *const names[] = {"TERM", "COLORTERM", "LANG", "LANGUAGE", "COLUMNS", "LINES", "DISPLAY", "WAYLAND_DISPLAY", "NO_COLOR"};
  const char *eq = strchr(entry, '=');
  if (!eq || eq == entry) return 0;
  size_t n = (size_t)(eq - entry);
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (strlen(names[i]) == n && memcmp(names[i], entry, n) == 0) return 1;
  }
  /* LC_ALL, LC_CTYPE, LC_MESSAGES, ...: LC_ and capitals or underscores. */
  if (n > 3 && memcmp(entry, "LC_", 3) == 0) {
    for (size_t i = 3; i < n; i++) {
      if (!((entry[i] >= 'A' && entry[i] <= 'Z') || entry[i] == '_')) return 0;
    }
    return 1;
  }
  return 0;
}

#endif
