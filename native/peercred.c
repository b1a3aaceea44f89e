/*
 * peercred: the credentials the kernel recorded for the other end of a unix socket
 * (SO_PEERCRED: the peer's pid, uid and gid when it called connect()). Node has no
 * getsockopt; the Engine API service needs to know who is calling to decide what the
 * caller may do (doc/security.md). The credentials are the kernel's, fixed at connect():
 * a client cannot claim another identity, and handing the socket to another process
 * (a setuid program, SCM_RIGHTS) does not change them.
 *
 * peerCredentials(fd) -> { pid, uid, gid }; throws on a descriptor that is not a
 * connected unix socket.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <node_api.h>

static napi_value fail(napi_env env, const char *what) {
  napi_throw_error(env, NULL, what);
  return NULL;
}

static napi_value set_int(napi_env env, napi_value obj, const char *name, int value) {
  napi_value v;
  if (napi_create_int32(env, value, &v) != napi_ok) return NULL;
  if (napi_set_named_property(env, obj, name, v) != napi_ok) return NULL;
  return obj;
}

static napi_value peer_credentials(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return fail(env, "peerCredentials(fd): fd missing");
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return fail(env, "peerCredentials(fd): fd must be a descriptor number");
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return fail(env, strerror(errno));
  if (len != sizeof cred) return fail(env, "SO_PEERCRED: short answer");
  napi_value obj;
  if (napi_create_object(env, &obj) != napi_ok) return NULL;
  if (!set_int(env, obj, "pid", (int)cred.pid) || !set_int(env, obj, "uid", (int)cred.uid) || !set_int(env, obj, "gid", (int)cred.gid)) return NULL;
  return obj;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "peerCredentials", NAPI_AUTO_LENGTH, peer_credentials, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "peerCredentials", fn) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
