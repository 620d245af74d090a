/* locks.c - named mutexes, created on first use and freed when the last holder or waiter leaves. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "celld.h"

struct named_lock {
	struct named_lock *next;
	char *name;
	unsigned users; /* holders + waiters */
	pthread_mutex_t mutex;
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct named_lock *table;

static struct named_lock *lock_get(const char *name)
{
	struct named_lock *l;
	pthread_mutex_lock(&table_lock);
	for (l = table; l; l = l->next)
		if (strcmp(l->name, name) == 0)
			break;
	if (!l) {
		l = calloc(1, sizeof(*l));
		if (!l || !(l->name = strdup(name))) {
			free(l);
			pthread_mutex_unlock(&table_lock);
			return NULL;
		}
		pthread_mutex_init(&l->mutex, NULL);
		l->next = table;
		table = l;
	}
	l->users++;
	pthread_mutex_unlock(&table_lock);
	return l;
}

static void lock_put(struct named_lock *l)
{
	pthread_mutex_lock(&table_lock);
	if (--l->users == 0) {
		for (struct named_lock **p = &table; *p; p = &(*p)->next) {
			if (*p == l) {
				*p = l->next;
				break;
			}
		}
		pthread_mutex_destroy(&l->mutex);
		free(l->name);
		free(l);
	}
	pthread_mutex_unlock(&table_lock);
}

struct named_lock *named_lock_acquire(const char *name)
{
	struct named_lock *l = lock_get(name);
	if (l)
		pthread_mutex_lock(&l->mutex);
	return l;
}

struct named_lock *named_lock_try(const char *name)
{
	struct named_lock *l = lock_get(name);
	if (l && pthread_mutex_trylock(&l->mutex) != 0) {
		lock_put(l);
		return NULL;
	}
	return l;
}

void named_lock_release(struct named_lock *l)
{
	if (!l)
		return;
	pthread_mutex_unlock(&l->mutex);
	lock_put(l);
}
