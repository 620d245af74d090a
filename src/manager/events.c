/* events.c - the /1.0/events WebSocket: listeners are kept in a list; each has a thread that
 * reads (and discards) what the client sends until it goes away. Sends time out, so that a client
 * that stops reading cannot stall the operations that publish events. */
#include "events.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "api.h"
#include "ws.h"

struct listener {
	struct listener *next;
	int fd;
	bool operations; /* wants type "operation" */
	bool failed;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct listener *listeners;

void events_publish(const char *type, json_t *md)
{
	char ts[40];
	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *ev = json_pack("{ss ss so ss ss}", "type", type, "timestamp", ts, "metadata",
			       md ? md : json_null(), "location", "none", "project", "default");
	char *text = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	if (!text)
		return;
	pthread_mutex_lock(&lock);
	for (struct listener *l = listeners; l; l = l->next) {
		/* A listener whose send failed or timed out gets no more: its socket is shut down,
		 * which also ends its reader thread. */
		if (l->operations && !l->failed &&
		    ws_send(l->fd, WS_TEXT, text, strlen(text), false) < 0) {
			l->failed = true;
			shutdown(l->fd, SHUT_RDWR);
		}
	}
	pthread_mutex_unlock(&lock);
	free(text);
}

static void listen_ws(void *cls, int fd)
{
	struct listener *l = cls;
	l->fd = fd;
	struct timeval tv = { .tv_sec = 2 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	pthread_mutex_lock(&lock);
	l->next = listeners;
	listeners = l;
	pthread_mutex_unlock(&lock);
	enum ws_opcode op;
	char *msg;
	size_t len;
	while (ws_recv(fd, &op, &msg, &len, false) == 0)
		free(msg);
	pthread_mutex_lock(&lock);
	for (struct listener **p = &listeners; *p; p = &(*p)->next) {
		if (*p == l) {
			*p = l->next;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
	free(l);
}

static int events_get(struct request *req, struct response *resp)
{
	const char *type = api_query(req, "type");
	struct listener *l = calloc(1, sizeof(*l));
	if (!l)
		return api_errorf(resp, 500, "out of memory");
	l->operations = !type || !*type || strstr(type, "operation");
	int r = api_websocket(req, resp, listen_ws, l);
	if (!resp->ws_fn)
		free(l);
	else
		resp->ws_drop = free;
	return r;
}

const struct api_route api_event_routes[] = {
	{ "GET", "events", events_get },
	{ NULL, NULL, NULL },
};
