/* api.h - the REST API's plumbing: requests as parsed JSON, LXD-shaped responses, the route table,
 * and the unix-socket server around libmicrohttpd. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "celld.h"
#include "error.h"

struct MHD_Connection;
struct op;

struct request {
	struct celld *d;
	struct MHD_Connection *conn;
	const char *method;
	char **seg; /* path after "/1.0/", split on '/', percent-decoded */
	size_t nseg;
	json_t *body;		 /* parsed JSON body, or NULL when there was none */
	const char *upload_path; /* a non-JSON body (image upload) spooled to this file */
};

struct response {
	int status;
	json_t *json; /* the whole document */
	char *raw;    /* or raw bytes (log files) */
	size_t raw_len;
	char *location;
	/* A WebSocket upgrade: fn runs on its own thread with the connected socket; the socket is
	 * closed when it returns. */
	void (*ws_fn)(void *cls, int fd);
	void (*ws_drop)(
		void *cls); /* frees ws_cls when the upgrade does not happen (may be NULL) */
	void *ws_cls;
	char ws_accept[64];
};

/* Answer with a WebSocket upgrade (400 unless the request asks for one). */
int api_websocket(struct request *req, struct response *resp, void (*fn)(void *cls, int fd),
		  void *cls);

/* {"type":"sync","status":"Success","status_code":200,"metadata":md} (takes md). */
int api_sync(struct response *resp, json_t *md);
/* {"type":"error","error":msg,"error_code":code}, with the HTTP status from the errno. */
int api_error(struct response *resp, const struct cell_error *e);
int api_errorf(struct response *resp, int http, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* 202 with the operation and its Location (drops the caller's reference). */
int api_async(struct response *resp, struct op *op);
const char *api_query(struct request *req, const char *key);
bool api_recursion(struct request *req);

typedef int (*api_handler)(struct request *req, struct response *resp);
struct api_route {
	const char *method;
	const char *pattern; /* segments after /1.0/, '*' matches one ("instances/ * /state") */
	api_handler handler;
};

/* Handlers, by resource (api-*.c). */
extern const struct api_route api_instance_routes[];
extern const struct api_route api_image_routes[];
extern const struct api_route api_profile_routes[];
extern const struct api_route api_network_routes[];
extern const struct api_route api_operation_routes[];
extern const struct api_route api_event_routes[];
extern const struct api_route api_storage_routes[];

/* Dispatch one request to its route (also used by the fuzzers). */
int api_dispatch(struct request *req, struct response *resp);
/* Parse a request body; errors say that it is not JSON and where. */
int api_parse_body(const char *data, size_t len, json_t **ret, struct cell_error **err);

/* Bind the socket (mode 0660, group gid when != -1) and serve on it with libmicrohttpd. */
struct api_server;
int api_server_start(struct celld *d, gid_t gid, struct api_server **ret, struct cell_error **err);
void api_server_stop(struct api_server *s);
