/* client.h - cell's side of the API: requests over celld's unix socket with libcurl, LXD's
 * envelope unwrapped, background operations waited for, errors as one line. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct client;

/* Socket: $CELL_SOCKET, else $CELL_DIR/unix.socket, else /var/lib/cell/unix.socket. */
int client_new(const char *socket_path, struct client **ret, struct cell_error **err);
void client_free(struct client *c);

/*
 * method path [body]: returns the response's metadata (sync), or, for an operation, waits for it
 * and returns the operation's own metadata. A server error or a failed operation becomes err.
 */
int client_call(struct client *c, const char *method, const char *path, json_t *body, json_t **ret,
		struct cell_error **err);
/* Like client_call, but printf-formatted path. */
int client_callf(struct client *c, const char *method, json_t *body, json_t **ret,
		 struct cell_error **err, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Send a request that starts an operation; *ret is the operation object (not waited for). */
int client_start(struct client *c, const char *method, const char *path, json_t *body, json_t **ret,
		 struct cell_error **err);
/* Wait for /1.0/operations/ID; *ret is its metadata; a failed operation becomes err. */
int client_wait(struct client *c, const char *opurl, json_t **ret, struct cell_error **err);
/* The socket path in use. */
const char *client_socket(struct client *c);
/* GET raw bytes (log files). */
int client_get_raw(struct client *c, const char *path, char **ret, size_t *ret_len,
		   struct cell_error **err);
/* POST a file as application/octet-stream, then wait for the operation. */
int client_upload(struct client *c, const char *path, const char *file, json_t **ret,
		  struct cell_error **err);
/* Percent-encode a path segment. */
char *client_escape(struct client *c, const char *s);
