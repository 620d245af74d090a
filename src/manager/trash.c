/* trash.c - one background thread that empties the instances' trash (storage_instance_trash), so
 * that `delete` answers once the instance is stopped and moved aside, not after its unmount and
 * the removal of its layers. It starts by emptying what a crash left, and celld's shutdown waits
 * for it to finish (trash_stop), so nothing is left behind when celld stops. */
#include "trash.h"

#include <pthread.h>
#include <stdbool.h>

#include "cleanup.h"
#include "log.h"
#include "storage.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static bool pending, stopping, busy, started;
static pthread_t thread;

static void *worker(void *p)
{
	struct celld *d = p;
	pthread_mutex_lock(&lock);
	for (;;) {
		while (!pending && !stopping)
			pthread_cond_wait(&cond, &lock);
		if (!pending)
			break;
		pending = false;
		busy = true;
		pthread_mutex_unlock(&lock);
		_cleanup_error_ struct cell_error *e = NULL;
		if (storage_trash_empty(d, &e) < 0)
			log_warn("trash: %s", e->msg);
		pthread_mutex_lock(&lock);
		busy = false;
		pthread_cond_broadcast(&cond);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

int trash_start(struct celld *d, struct cell_error **err)
{
	pthread_mutex_lock(&lock);
	pending = true; /* whatever a crash left */
	stopping = false;
	int r = pthread_create(&thread, NULL, worker, d);
	started = r == 0;
	pthread_mutex_unlock(&lock);
	return r ? cell_error_errno(err, r, "start the trash thread") : 0;
}

void trash_kick(void)
{
	pthread_mutex_lock(&lock);
	pending = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

void trash_wait(void)
{
	pthread_mutex_lock(&lock);
	while (started && (pending || busy))
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
}

void trash_stop(void)
{
	pthread_mutex_lock(&lock);
	if (!started) {
		pthread_mutex_unlock(&lock);
		return;
	}
	stopping = true;
	started = false;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	pthread_join(thread, NULL);
}
