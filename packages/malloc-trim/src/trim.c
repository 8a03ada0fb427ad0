/*
 * malloc_trim(0) for Node.js (Node-API, so one build serves every Node.js version of an ABI-stable
 * Node-API level). glibc keeps memory freed by the C heap (by V8's and libuv's threads, SQLite,
 * nanomsg) inside its arenas; malloc_trim hands the free whole pages of every arena back to the
 * kernel. Without glibc (musl, other C libraries) trim() does nothing and available() is false.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <node_api.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

/* trim(): 1 when memory was released, 0 when none could be, -1 without glibc. */
static napi_value trim(napi_env env, napi_callback_info info) {
  (void)info;
  int released = -1;
#if defined(__GLIBC__)
  released = malloc_trim(0);
#endif
  napi_value out;
  napi_create_int32(env, released, &out);
  return out;
}

static napi_value available(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
#if defined(__GLIBC__)
  napi_get_boolean(env, true, &out);
#else
  napi_get_boolean(env, false, &out);
#endif
  return out;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
    { "trim", NULL, trim, NULL, NULL, NULL, napi_default, NULL },
    { "available", NULL, available, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
