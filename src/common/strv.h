/* strv.h - NULL-terminated string vectors, as execve() takes them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

void strv_free(char **v);
void strv_freep(char ***v);
#define _cleanup_strv_ __attribute__((cleanup(strv_freep)))
size_t strv_length(char *const *v);
bool strv_contains(char *const *v, const char *s);
/* Append a copy of s; returns 0 or -ENOMEM (v unchanged on failure). */
int strv_append(char ***v, const char *s);
/* Value of NAME in an environment vector ("NAME=value"), or NULL. */
const char *strv_env_get(char *const *env, const char *name);
/* Set NAME=value, replacing an existing NAME; returns 0 or -ENOMEM. */
int strv_env_set(char ***env, const char *entry);

#define strv_foreach(s, v) for (char *const *_p = (v), *s; _p && (s = *_p); _p++)
