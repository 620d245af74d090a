/* client.c - libcurl over a unix socket (CURLOPT_UNIX_SOCKET_PATH) to celld's REST API. */
#include "client.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"

struct client {
	CURL *curl;
	char *socket;
};

struct buf {
	char *data;
	size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	size_t add = size * n;
	char *d = realloc(b->data, b->len + add + 1);
	if (!d)
		return 0;
	memcpy(d + b->len, ptr, add);
	b->data = d;
	b->len += add;
	d[b->len] = '\0';
	return add;
}

int client_new(const char *socket_path, struct client **ret, struct cell_error **err)
{
	struct client *c = calloc(1, sizeof(*c));
	if (!c)
		return cell_error_set(err, ENOMEM, "out of memory");
	const char *dir = getenv("CELL_DIR");
	if (socket_path)
		c->socket = strdup(socket_path);
	else if (getenv("CELL_SOCKET"))
		c->socket = strdup(getenv("CELL_SOCKET"));
	else if (asprintf(&c->socket, "%s/unix.socket", dir ? dir : "/var/lib/cell") < 0)
		c->socket = NULL;
	curl_global_init(CURL_GLOBAL_NOTHING);
	c->curl = curl_easy_init();
	if (!c->socket || !c->curl) {
		client_free(c);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	*ret = c;
	return 0;
}

void client_free(struct client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->socket);
	free(c);
}

char *client_escape(struct client *c, const char *s)
{
	char *e = curl_easy_escape(c->curl, s, 0);
	char *r = e ? strdup(e) : NULL;
	curl_free(e);
	return r;
}

/*
 * Bounds on every exchange, so that a celld that died or hangs gives an error in seconds rather
 * than a client that waits forever: connecting, and a whole request ($CELL_TIMEOUT seconds,
 * default 120; 0 = none). Waiting for an operation is done in slices (WAIT_SLICE_S) that celld
 * answers even while the operation runs on, so long operations still have no limit.
 */
#define CONNECT_TIMEOUT_MS 5000L
#define WAIT_SLICE_S 30

static long request_timeout_s(void)
{
	const char *t = getenv("CELL_TIMEOUT");
	char *end;
	long v = t && *t ? strtol(t, &end, 10) : 120;
	return t && *t && (*end || v < 0) ? 120 : v;
}

/* One HTTP exchange; *ret_body is the raw response, *ret_status the HTTP status. */
static int http(struct client *c, const char *method, const char *path, const char *body,
		FILE *upload, curl_off_t upload_len, struct buf *out, long *ret_status,
		struct cell_error **err)
{
	CURL *h = c->curl;
	char url[4096];
	snprintf(url, sizeof(url), "http://cell%s", path);
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->socket);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	long limit = request_timeout_s();
	if (limit > 0 && !upload) {
		curl_easy_setopt(h, CURLOPT_TIMEOUT, limit);
	} else if (limit > 0) {
		/* Uploads may be long: only a stalled one is given up. */
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, limit);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	struct curl_slist *hdr = NULL;
	if (upload) {
		hdr = curl_slist_append(hdr, "Content-Type: application/octet-stream");
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_READDATA, upload);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, upload_len);
	} else if (body) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	}
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	CURLcode rc = curl_easy_perform(h);
	curl_slist_free_all(hdr);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return cell_error_set(
			err, ETIMEDOUT,
			"celld at %s did not answer %s %s within %ld s (CELL_TIMEOUT)", c->socket,
			method, path, limit);
	if (rc != CURLE_OK)
		return cell_error_set(err, ECONNREFUSED, "cannot reach celld at %s: %s", c->socket,
				      curl_easy_strerror(rc));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, ret_status);
	return 0;
}

static int parse_envelope(struct buf *b, long status, json_t **ret, struct cell_error **err)
{
	json_error_t jerr;
	json_t *j = b->data ? json_loads(b->data, 0, &jerr) : NULL;
	if (!j)
		return cell_error_set(err, EIO, "celld answered HTTP %ld with no JSON", status);
	const char *type = json_string_value(json_object_get(j, "type"));
	if (type && strcmp(type, "error") == 0) {
		int r = cell_error_set(err, status == 404 ? ENOENT : EINVAL, "%s",
				       json_string_value(json_object_get(j, "error")) ?: "error");
		json_decref(j);
		return r;
	}
	*ret = j;
	return 0;
}

const char *client_socket(struct client *c)
{
	return c->socket;
}

static int wait_operation(struct client *c, json_t *doc, json_t **ret, struct cell_error **err)
{
	const char *opurl = json_string_value(json_object_get(doc, "operation"));
	if (!opurl)
		return cell_error_set(err, EIO, "celld started an operation without saying which");
	return client_wait(c, opurl, ret, err);
}

int client_wait(struct client *c, const char *opurl, json_t **ret, struct cell_error **err)
{
	char path[512];
	long limit = request_timeout_s();
	long slice = limit > 0 && limit / 2 < WAIT_SLICE_S ? limit / 2 : WAIT_SLICE_S;
	snprintf(path, sizeof(path), "%s/wait?timeout=%ld", opurl, slice > 0 ? slice : 1);
	_cleanup_json_ json_t *res = NULL;
	const char *st = NULL;
	json_t *op = NULL;
	/* celld blocks each wait until the operation ends or the slice is over. */
	do {
		struct buf b = { 0 };
		long status = 0;
		json_decref(res);
		res = NULL;
		int r = http(c, "GET", path, NULL, NULL, 0, &b, &status, err);
		if (r == 0)
			r = parse_envelope(&b, status, &res, err);
		free(b.data);
		if (r < 0)
			return r;
		op = json_object_get(res, "metadata");
		st = json_string_value(json_object_get(op, "status"));
	} while (st && strcmp(st, "Running") == 0);
	if (!st || strcmp(st, "Success") != 0)
		return cell_error_set(err, EIO, "%s",
				      json_string_value(json_object_get(op, "err")) ?:
					      "operation failed");
	if (ret)
		*ret = json_incref(json_object_get(op, "metadata"));
	return 0;
}

static int call(struct client *c, const char *method, const char *path, const char *body,
		FILE *upload, curl_off_t len, json_t **ret, struct cell_error **err)
{
	struct buf b = { 0 };
	long status = 0;
	_cleanup_json_ json_t *doc = NULL;
	int r = http(c, method, path, body, upload, len, &b, &status, err);
	if (r == 0)
		r = parse_envelope(&b, status, &doc, err);
	free(b.data);
	if (r < 0)
		return r;
	const char *type = json_string_value(json_object_get(doc, "type"));
	if (type && strcmp(type, "async") == 0)
		return wait_operation(c, doc, ret, err);
	if (ret)
		*ret = json_incref(json_object_get(doc, "metadata"));
	return 0;
}

int client_start(struct client *c, const char *method, const char *path, json_t *body, json_t **ret,
		 struct cell_error **err)
{
	_cleanup_free_ char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct buf b = { 0 };
	long status = 0;
	_cleanup_json_ json_t *doc = NULL;
	int r = http(c, method, path, text, NULL, 0, &b, &status, err);
	if (r == 0)
		r = parse_envelope(&b, status, &doc, err);
	free(b.data);
	if (r < 0)
		return r;
	if (!json_is_object(json_object_get(doc, "metadata")))
		return cell_error_set(err, EIO, "celld did not start an operation for %s", path);
	*ret = json_incref(json_object_get(doc, "metadata"));
	return 0;
}

int client_call(struct client *c, const char *method, const char *path, json_t *body, json_t **ret,
		struct cell_error **err)
{
	_cleanup_free_ char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	return call(c, method, path, text, NULL, 0, ret, err);
}

int client_callf(struct client *c, const char *method, json_t *body, json_t **ret,
		 struct cell_error **err, const char *fmt, ...)
{
	char path[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return client_call(c, method, path, body, ret, err);
}

int client_get_raw(struct client *c, const char *path, char **ret, size_t *ret_len,
		   struct cell_error **err)
{
	struct buf b = { 0 };
	long status = 0;
	int r = http(c, "GET", path, NULL, NULL, 0, &b, &status, err);
	if (r == 0 && status != 200) {
		r = cell_error_set(err, EIO, "GET %s: HTTP %ld", path, status);
		free(b.data);
		return r;
	}
	*ret = b.data ? b.data : strdup("");
	*ret_len = b.len;
	return r;
}

int client_upload(struct client *c, const char *path, const char *file, json_t **ret,
		  struct cell_error **err)
{
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	struct stat st;
	if (!f || fstat(fileno(f), &st) < 0)
		return cell_error_errno(err, errno, "%s", file);
	if (!S_ISREG(st.st_mode))
		return cell_error_set(err, EINVAL, "%s: not a regular file", file);
	return call(c, "POST", path, NULL, f, (curl_off_t)st.st_size, ret, err);
}
