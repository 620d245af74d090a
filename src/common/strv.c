/* strv.c - string vector helpers. */
#include "strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

void strv_freep(char ***v)
{
	strv_free(*v);
	*v = NULL;
}

size_t strv_length(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

bool strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

int strv_append(char ***v, const char *s)
{
	size_t n = strv_length(*v);
	char *copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	char **bigger = realloc(*v, (n + 2) * sizeof(char *));
	if (!bigger) {
		free(copy);
		return -ENOMEM;
	}
	bigger[n] = copy;
	bigger[n + 1] = NULL;
	*v = bigger;
	return 0;
}

static size_t env_name_len(const char *entry)
{
	const char *eq = strchr(entry, '=');
	return eq ? (size_t)(eq - entry) : strlen(entry);
}

const char *strv_env_get(char *const *env, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
			return env[i] + len + 1;
	return NULL;
}

int strv_env_set(char ***env, const char *entry)
{
	size_t len = env_name_len(entry);
	for (size_t i = 0; *env && (*env)[i]; i++) {
		if (env_name_len((*env)[i]) == len && strncmp((*env)[i], entry, len) == 0) {
			char *copy = strdup(entry);
			if (!copy)
				return -ENOMEM;
			free((*env)[i]);
			(*env)[i] = copy;
			return 0;
		}
	}
	return strv_append(env, entry);
}
