/* operations.c - LXD-style background operations: each runs on a detached thread, clients poll
 * or wait on it, and finished ones are kept for a minute so late waiters still see the result.
 * No JSON object is shared between threads: jansson's objects are not safe to use from two
 * threads at once (only their reference counts are atomic), so the operation keeps its own copies
 * and every reader gets a deep copy made under ops_lock. */
#include "operations.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "cleanup.h"
#include "events.h"

enum op_status { OP_RUNNING = 103, OP_SUCCESS = 200, OP_FAILURE = 400 };

struct op {
	struct op *next;
	unsigned refs;
	char id[37];
	char *description;
	json_t *resources, *metadata;
	enum op_status status;
	char *err;
	time_t created, updated;
	op_fn fn;
	void *arg;
	void (*free_arg)(void *);
	pthread_cond_t done;
};

static pthread_mutex_t ops_lock = PTHREAD_MUTEX_INITIALIZER;
static struct op *ops;
static unsigned ops_running;

#define OP_KEEP_SECONDS 60

static void uuid4(char out[37])
{
	unsigned char b[16];
	if (getrandom(b, sizeof(b), 0) != sizeof(b)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)(ts.tv_nsec >> (i % 8) ^ i * 131);
	}
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

static void op_free(struct op *op)
{
	free(op->description);
	free(op->err);
	json_decref(op->resources);
	json_decref(op->metadata);
	pthread_cond_destroy(&op->done);
	free(op);
}

void op_unref(struct op *op)
{
	if (!op)
		return;
	pthread_mutex_lock(&ops_lock);
	bool last = --op->refs == 0;
	pthread_mutex_unlock(&ops_lock);
	if (last)
		op_free(op);
}

/* Drop finished operations older than OP_KEEP_SECONDS (ops_lock held). */
static void ops_prune(void)
{
	time_t now = time(NULL);
	for (struct op **p = &ops; *p;) {
		struct op *op = *p;
		if (op->status != OP_RUNNING && now - op->updated > OP_KEEP_SECONDS) {
			*p = op->next;
			if (--op->refs == 0)
				op_free(op);
		} else {
			p = &op->next;
		}
	}
}

static json_t *op_to_json_locked(struct op *op);

static void *op_thread(void *data)
{
	struct op *op = data;
	struct cell_error *e = NULL;
	int r = op->fn(op, op->arg, &e);
	if (op->free_arg)
		op->free_arg(op->arg);
	pthread_mutex_lock(&ops_lock);
	op->status = r < 0 ? OP_FAILURE : OP_SUCCESS;
	if (r < 0)
		op->err = strdup(e && e->msg ? e->msg : strerror(-r));
	op->updated = time(NULL);
	ops_running--;
	pthread_cond_broadcast(&op->done);
	json_t *ev = op_to_json_locked(op);
	pthread_mutex_unlock(&ops_lock);
	events_publish("operation", ev);
	cell_error_free(e);
	op_unref(op);
	return NULL;
}

int op_start(const char *description, json_t *resources, op_fn fn, void *arg,
	     void (*free_arg)(void *), struct op **ret, struct cell_error **err)
{
	struct op *op = calloc(1, sizeof(*op));
	if (!op || !(op->description = strdup(description))) {
		free(op);
		if (free_arg)
			free_arg(arg);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	uuid4(op->id);
	op->resources = resources ? json_deep_copy(resources) : json_object();
	op->metadata = json_null();
	op->status = OP_RUNNING;
	op->created = op->updated = time(NULL);
	op->fn = fn;
	op->arg = arg;
	op->free_arg = free_arg;
	op->refs = 3; /* the list, the thread, the caller */
	pthread_cond_init(&op->done, NULL);

	pthread_mutex_lock(&ops_lock);
	ops_prune();
	op->next = ops;
	ops = op;
	ops_running++;
	pthread_mutex_unlock(&ops_lock);

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Operation threads fork and wait; a small stack keeps 100 concurrent launches cheap. */
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pthread_t t;
	int r = pthread_create(&t, &attr, op_thread, op);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		pthread_mutex_lock(&ops_lock);
		op->status = OP_FAILURE;
		op->err = strdup("cannot start a thread");
		ops_running--;
		op->refs--; /* the thread's */
		pthread_mutex_unlock(&ops_lock);
		if (free_arg)
			free_arg(arg);
	}
	*ret = op;
	return 0;
}

struct op *op_find(const char *id)
{
	pthread_mutex_lock(&ops_lock);
	struct op *op;
	for (op = ops; op; op = op->next)
		if (strcmp(op->id, id) == 0)
			break;
	if (op)
		op->refs++;
	pthread_mutex_unlock(&ops_lock);
	return op;
}

const char *op_id(const struct op *op)
{
	return op->id;
}

void op_set_metadata(struct op *op, json_t *metadata)
{
	pthread_mutex_lock(&ops_lock);
	json_decref(op->metadata);
	op->metadata = metadata ? metadata : json_null();
	op->updated = time(NULL);
	pthread_mutex_unlock(&ops_lock);
}

bool op_wait(struct op *op, int timeout_s)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_s;
	pthread_mutex_lock(&ops_lock);
	while (op->status == OP_RUNNING) {
		if (timeout_s < 0)
			pthread_cond_wait(&op->done, &ops_lock);
		else if (pthread_cond_timedwait(&op->done, &ops_lock, &until) == ETIMEDOUT)
			break;
	}
	bool done = op->status != OP_RUNNING;
	pthread_mutex_unlock(&ops_lock);
	return done;
}

static const char *status_name(enum op_status s)
{
	return s == OP_RUNNING ? "Running" : s == OP_SUCCESS ? "Success" : "Failure";
}

static json_t *time_json(time_t t)
{
	char buf[32];
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

/* A document of its own: resources and metadata are deep copies, not shared references. */
static json_t *op_to_json_locked(struct op *op)
{
	return json_pack("{ss ss ss so so ss si so so sb ss ss}", "id", op->id, "class", "task",
			 "description", op->description, "created_at", time_json(op->created),
			 "updated_at", time_json(op->updated), "status", status_name(op->status),
			 "status_code", (int)op->status, "resources", json_deep_copy(op->resources),
			 "metadata", json_deep_copy(op->metadata), "may_cancel", 0, "err",
			 op->err ? op->err : "", "location", "none");
}

json_t *op_to_json(struct op *op)
{
	pthread_mutex_lock(&ops_lock);
	json_t *j = op_to_json_locked(op);
	pthread_mutex_unlock(&ops_lock);
	return j;
}

json_t *op_list_json(bool recursion)
{
	json_t *out = json_object();
	pthread_mutex_lock(&ops_lock);
	ops_prune();
	for (struct op *op = ops; op; op = op->next) {
		const char *key = op->status == OP_RUNNING ? "running" :
				  op->status == OP_SUCCESS ? "success" :
							     "failure";
		json_t *list = json_object_get(out, key);
		if (!list) {
			list = json_array();
			json_object_set_new(out, key, list);
		}
		if (recursion) {
			json_array_append_new(list, op_to_json_locked(op));
		} else {
			char url[64];
			snprintf(url, sizeof(url), "/1.0/operations/%s", op->id);
			json_array_append_new(list, json_string(url));
		}
	}
	pthread_mutex_unlock(&ops_lock);
	return out;
}

unsigned op_running_count(void)
{
	pthread_mutex_lock(&ops_lock);
	unsigned n = ops_running;
	pthread_mutex_unlock(&ops_lock);
	return n;
}
