/* api.c - HTTP plumbing for celld: a unix socket served by libmicrohttpd (a thread per connection,
 * so that an operation's /wait may block), request bodies as JSON, LXD's response envelope. */
#include "api.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"
#include "fs.h"
#include "log.h"
#include "operations.h"
#include "storage-btrfs.h"
#include "ws.h"

#define API_MAX_JSON_BODY (8u << 20)

struct api_server {
	struct MHD_Daemon *mhd;
	struct celld *d;
	int fd;
};

/* Per-connection request state between libmicrohttpd's calls. */
struct api_conn {
	char *buf;
	size_t len, cap;
	int spool_fd; /* image uploads go to a file, not memory */
	char *spool_path;
	bool too_big;
	struct ws_ctx *ws; /* an upgrade queued on this connection */
};

int api_sync(struct response *resp, json_t *md)
{
	resp->status = 200;
	resp->json = json_pack("{ss ss si so}", "type", "sync", "status", "Success", "status_code",
			       200, "metadata", md ? md : json_null());
	return 0;
}

static int http_status_of(int code)
{
	switch (code) {
	case ENOENT:
		return 404;
	case EEXIST:
	case EBUSY:
		return 409;
	case EPERM:
	case EACCES:
		return 403;
	case EINVAL:
	case E2BIG:
	case ERANGE:
		return 400;
	default:
		return 500;
	}
}

int api_errorf(struct response *resp, int http, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	resp->status = http;
	resp->json = json_pack("{ss ss si ss so}", "type", "error", "error", msg ? msg : "error",
			       "error_code", http, "status", "", "metadata", json_null());
	json_object_set_new(resp->json, "status_code", json_integer(0));
	free(msg);
	return 0;
}

int api_error(struct response *resp, const struct cell_error *e)
{
	int code = e ? e->code : EIO;
	return api_errorf(resp, http_status_of(code), "%s", e && e->msg ? e->msg : strerror(code));
}

int api_async(struct response *resp, struct op *op)
{
	resp->status = 202;
	if (asprintf(&resp->location, "/1.0/operations/%s", op_id(op)) < 0)
		resp->location = NULL;
	resp->json = json_pack("{ss ss si ss so}", "type", "async", "status", "Operation created",
			       "status_code", 100, "operation",
			       resp->location ? resp->location : "", "metadata", op_to_json(op));
	op_unref(op);
	return 0;
}

const char *api_query(struct request *req, const char *key)
{
	return req->conn ? MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key) :
			   NULL;
}

bool api_recursion(struct request *req)
{
	const char *r = api_query(req, "recursion");
	return r && atoi(r) > 0;
}

int api_parse_body(const char *data, size_t len, json_t **ret, struct cell_error **err)
{
	json_error_t jerr;
	json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return cell_error_set(err, EINVAL,
				      "request body is not JSON: line %d column %d: %s", jerr.line,
				      jerr.column, jerr.text);
	*ret = j;
	return 0;
}

int api_websocket(struct request *req, struct response *resp, void (*fn)(void *cls, int fd),
		  void *cls)
{
	const char *key = req->conn ? MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
								  "Sec-WebSocket-Key") :
				      NULL;
	if (!key || strlen(key) > 64)
		return api_errorf(resp, 400, "this endpoint needs a WebSocket upgrade");
	ws_accept_key(key, resp->ws_accept);
	resp->status = 101;
	resp->ws_fn = fn;
	resp->ws_cls = cls;
	return 0;
}

static int server_info(struct request *req, struct response *resp)
{
	static const char *const extensions[] = {
		"instances",	    "operations_wait", "container_exec_recording",
		"profiles",	    "snapshots",       "image_aliases",
		"container_copy",   "resources",       "api_os",
		"api_filtering",    "container_full",  "instance_all_projects",
		"container_backup", "events",	       "network",
		"network_leases",   "console",	       "storage",
	};
	json_t *ext = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(extensions); i++)
		json_array_append_new(ext, json_string(extensions[i]));
	json_t *env = json_pack("{ss ss ss ss s[s] ss ss ss}", "server", "celld", "server_name",
				"cell", "server_version", CELL_VERSION, "server_clustered", "",
				"architectures", "x86_64", "driver", "cellrt", "kernel", "Linux",
				"storage", btrfs_is(req->d->state_dir) ? "btrfs" : "dir");
	json_object_set_new(env, "server_clustered", json_false());
	return api_sync(resp,
			json_pack("{so ss ss ss sb so so s[]}", "api_extensions", ext, "api_status",
				  "stable", "api_version", "1.0", "auth", "trusted", "public", 0,
				  "environment", env, "config", json_object(), "auth_methods"));
}

static int server_root(struct request *req, struct response *resp)
{
	return api_sync(resp, json_pack("[s]", "/1.0"));
}

static const struct api_route api_server_routes[] = {
	{ "GET", "", server_info },
	{ NULL, NULL, NULL },
};

static bool route_match(const char *pattern, struct request *req)
{
	size_t i = 0;
	const char *p = pattern;
	if (!*p)
		return req->nseg == 0;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (i >= req->nseg)
			return false;
		if (!(n == 1 && *p == '*') &&
		    (strlen(req->seg[i]) != n || strncmp(p, req->seg[i], n)))
			return false;
		i++;
		p += n + (slash ? 1 : 0);
	}
	return i == req->nseg;
}

int api_dispatch(struct request *req, struct response *resp)
{
	static const struct api_route *const tables[] = {
		api_server_routes,    api_instance_routes, api_image_routes,   api_profile_routes,
		api_operation_routes, api_event_routes,	   api_network_routes, api_storage_routes,
	};
	bool path_known = false;
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
		for (const struct api_route *r = tables[t]; r->method; r++) {
			if (!route_match(r->pattern, req))
				continue;
			path_known = true;
			if (strcmp(r->method, req->method) == 0)
				return r->handler(req, resp);
		}
	}
	if (path_known)
		return api_errorf(resp, 405, "method not allowed: %s", req->method);
	return api_errorf(resp, 404, "not found");
}

/* Split "/1.0/a/b" into segments after "/1.0"; -1 when the path is not under /1.0. */
static int split_path(const char *url, char ***ret, size_t *ret_n)
{
	if (strncmp(url, "/1.0", 4) != 0 || (url[4] && url[4] != '/'))
		return -1;
	char **seg = calloc(32, sizeof(char *));
	size_t n = 0;
	const char *p = url + 4;
	while (seg && *p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t len = strcspn(p, "/");
		if (n == 31 || !(seg[n] = strndup(p, len))) {
			for (size_t i = 0; i < n; i++)
				free(seg[i]);
			free(seg);
			return -1;
		}
		n++;
		p += len;
	}
	if (!seg)
		return -1;
	*ret = seg;
	*ret_n = n;
	return 0;
}

/*
 * Upgraded connections (WebSockets). A stream works on its own dup of the connection's socket,
 * and the upgrade handle is given back (MHD_upgrade_action CLOSE) at once, inside on_upgrade, on
 * the connection's own thread: libmicrohttpd 0.9.75 marks the handle closed and only then resumes
 * the connection, so a CLOSE from another thread, once that connection thread had resumed it,
 * let the daemon free the connection in between (a write into freed memory: celld aborted on heap
 * corruption under concurrent execs). Done inside on_upgrade it completes before the thread goes
 * on. The handle is then never touched again, so MHD_stop_daemon cannot free one under us
 * (that crashed celld in MHD_upgrade_action at shutdown); the socket lives on in our dup, closed
 * when the stream ends. A stop shuts the streams' sockets down so that their readers end.
 */
struct ws_ctx {
	struct ws_ctx *next;
	void (*fn)(void *cls, int fd);
	void (*drop)(void *cls);
	void *cls;
	int fd; /* our dup of the connection's socket */
};

static pthread_mutex_t ws_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ws_ctx *ws_open; /* streams whose thread runs (under ws_lock) */
static bool ws_stopping;

static void ws_ctx_drop(struct ws_ctx *c)
{
	if (c->drop)
		c->drop(c->cls);
	free(c);
}

static void ws_unlink_locked(struct ws_ctx *c)
{
	for (struct ws_ctx **p = &ws_open; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
}

static void *ws_thread(void *p)
{
	struct ws_ctx *c = p;
	c->fn(c->cls, c->fd);
	pthread_mutex_lock(&ws_lock);
	ws_unlink_locked(c);
	pthread_mutex_unlock(&ws_lock);
	close(c->fd);
	free(c);
	return NULL;
}

static void on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra,
		       size_t extra_len, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct ws_ctx *c = cls;
	struct api_conn *ac = con_cls;
	if (ac)
		ac->ws = NULL; /* ours now: on_completed (later, on this thread) must not drop it */
	c->fd = fcntl(sock, F_DUPFD_CLOEXEC, 3);
	MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
	/* Blocking before the thread starts reading (the flag is the socket's, shared with the dup). */
	if (c->fd >= 0)
		fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) & ~O_NONBLOCK);
	pthread_mutex_lock(&ws_lock);
	c->next = ws_open;
	ws_open = c;
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (c->fd < 0 || ws_stopping || pthread_create(&t, &attr, ws_thread, c) != 0) {
		ws_unlink_locked(c);
		pthread_mutex_unlock(&ws_lock);
		if (c->fd >= 0)
			close(c->fd);
		ws_ctx_drop(c);
	} else {
		pthread_mutex_unlock(&ws_lock);
	}
	pthread_attr_destroy(&attr);
}

/* Before the server stops: the streams' peers are cut off so that their readers end. */
static void ws_stop_all(void)
{
	pthread_mutex_lock(&ws_lock);
	ws_stopping = true;
	for (struct ws_ctx *c = ws_open; c; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&ws_lock);
}

static enum MHD_Result send_upgrade(struct MHD_Connection *conn, struct api_conn *ac,
				    struct response *resp)
{
	struct ws_ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		if (resp->ws_drop)
			resp->ws_drop(resp->ws_cls);
		return MHD_NO;
	}
	c->fn = resp->ws_fn;
	c->drop = resp->ws_drop;
	c->cls = resp->ws_cls;
	c->fd = -1;
	struct MHD_Response *r = MHD_create_response_for_upgrade(on_upgrade, c);
	if (!r) {
		ws_ctx_drop(c);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Upgrade", "websocket");
	MHD_add_response_header(r, "Sec-WebSocket-Accept", resp->ws_accept);
	enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_SWITCHING_PROTOCOLS, r);
	MHD_destroy_response(r);
	if (ret != MHD_YES)
		ws_ctx_drop(c);
	else
		ac->ws = c; /* on_completed drops it if the client goes before the upgrade */
	return ret;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct api_conn *c,
				     struct response *resp)
{
	if (resp->ws_fn)
		return send_upgrade(conn, c, resp);
	char *text = resp->raw;
	size_t len = resp->raw_len;
	if (!text) {
		text = json_dumps(resp->json ? resp->json : json_null(), JSON_COMPACT);
		len = text ? strlen(text) : 0;
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(len, text ? text : (char *)"",
								 text ? MHD_RESPMEM_MUST_FREE :
									MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type",
				resp->raw ? "application/octet-stream" : "application/json");
	if (resp->location)
		MHD_add_response_header(r, "Location", resp->location);
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	json_decref(resp->json);
	free(resp->location);
	return ret;
}

static int conn_spool_open(struct api_server *s, struct api_conn *c)
{
	if (asprintf(&c->spool_path, "%s/tmp/upload.XXXXXX", s->d->state_dir) < 0) {
		c->spool_path = NULL;
		return -ENOMEM;
	}
	c->spool_fd = mkostemp(c->spool_path, O_CLOEXEC);
	return c->spool_fd < 0 ? -errno : 0;
}

static void conn_append(struct api_conn *c, const char *data, size_t n)
{
	if (c->spool_fd >= 0) {
		if (fs_write_all(c->spool_fd, data, n) < 0)
			c->too_big = true;
		return;
	}
	if (c->len + n > API_MAX_JSON_BODY) {
		c->too_big = true;
		return;
	}
	if (c->len + n + 1 > c->cap) {
		size_t cap = (c->len + n + 1) * 2;
		char *b = realloc(c->buf, cap);
		if (!b) {
			c->too_big = true;
			return;
		}
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, data, n);
	c->len += n;
}

static void request_run(struct api_server *s, struct MHD_Connection *conn, const char *url,
			const char *method, struct api_conn *c, struct response *resp)
{
	struct request req = { .d = s->d, .conn = conn, .method = method };
	if (strcmp(url, "/") == 0) {
		server_root(&req, resp);
		return;
	}
	if (split_path(url, &req.seg, &req.nseg) < 0) {
		api_errorf(resp, 404, "not found");
		return;
	}
	_cleanup_error_ struct cell_error *e = NULL;
	if (c->too_big) {
		api_errorf(resp, 413, "request body too large or not stored");
	} else if (c->spool_fd >= 0) {
		req.upload_path = c->spool_path;
		api_dispatch(&req, resp);
	} else if (c->len && api_parse_body(c->buf, c->len, &req.body, &e) < 0) {
		api_error(resp, e);
	} else {
		api_dispatch(&req, resp);
	}
	json_decref(req.body);
	for (size_t i = 0; i < req.nseg; i++)
		free(req.seg[i]);
	free(req.seg);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct api_server *s = cls;
	struct api_conn *c = *con_cls;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return MHD_NO;
		c->spool_fd = -1;
		const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
		if (strcmp(method, "POST") == 0 && ct &&
		    strncmp(ct, "application/octet-stream", 24) == 0 && conn_spool_open(s, c) < 0)
			c->too_big = true;
		*con_cls = c;
		return MHD_YES;
	}
	if (*data_size) {
		conn_append(c, data, *data_size);
		*data_size = 0;
		return MHD_YES;
	}
	struct response resp = { .status = 500 };
	request_run(s, conn, url, method, c, &resp);
	log_debug("%s %s -> %d", method, url, resp.status);
	return send_response(conn, c, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct api_conn *c = *con_cls;
	if (!c)
		return;
	/* An upgrade that was queued but never happened (the client went away first): the stream's
	 * owner gets its reference back. */
	if (c->ws)
		ws_ctx_drop(c->ws);
	if (c->spool_fd >= 0)
		close(c->spool_fd);
	if (c->spool_path)
		unlink(c->spool_path);
	free(c->spool_path);
	free(c->buf);
	free(c);
	*con_cls = NULL;
}

static int socket_bind(const char *path, gid_t gid, struct cell_error **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return cell_error_set(err, ENAMETOOLONG, "socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cell_error_errno(err, errno, "socket");
	/* A stale socket from a crashed celld would make bind fail; nobody listens on it. */
	unlink(path);
	/* Bind with a umask that leaves no window in which others could connect. */
	mode_t old = umask(0117);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || chown(path, 0, gid) < 0 || chmod(path, gid == (gid_t)-1 ? 0600 : 0660) < 0 ||
	    listen(fd, 128) < 0) {
		r = cell_error_errno(err, errno, "socket %s", path);
		close(fd);
		return r;
	}
	return fd;
}

int api_server_start(struct celld *d, gid_t gid, struct api_server **ret, struct cell_error **err)
{
	struct api_server *s = calloc(1, sizeof(*s));
	if (!s)
		return cell_error_set(err, ENOMEM, "out of memory");
	s->d = d;
	s->fd = socket_bind(d->socket_path, gid, err);
	if (s->fd < 0) {
		int r = s->fd;
		free(s);
		return r;
	}
	s->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
					  MHD_USE_POLL | MHD_ALLOW_UPGRADE,
				  0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, s->fd,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				  /* An idle connection (a client that connected and stalls) gives
				   * its thread back after 2 minutes; a request that blocks in our
				   * handler (/wait) and upgraded streams are not idle. */
				  MHD_OPTION_CONNECTION_TIMEOUT, 120u, MHD_OPTION_THREAD_STACK_SIZE,
				  (size_t)(256 * 1024), MHD_OPTION_END);
	if (!s->mhd) {
		close(s->fd);
		unlink(d->socket_path);
		free(s);
		return cell_error_set(err, EIO, "cannot start the HTTP server on %s",
				      d->socket_path);
	}
	*ret = s;
	return 0;
}

void api_server_stop(struct api_server *s)
{
	if (!s)
		return;
	ws_stop_all();
	MHD_stop_daemon(s->mhd);
	close(s->fd);
	unlink(s->d->socket_path);
	free(s);
}
