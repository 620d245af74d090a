/* exec-ws.c - exec with its stdio on WebSockets, as LXD's clients drive it: the operation's
 * metadata names a secret per stream ("0","1","2","control", or "0" and "control" with a pty);
 * the client connects to /1.0/operations/ID/websocket?secret=S for each, then the command runs
 * and bytes are relayed both ways; the exit status ends up in the operation's metadata. The console
 * (POST /1.0/instances/NAME/console) is the same session with one "0" stream relayed to the
 * instance monitor's console.sock instead of a command. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fdpass.h"
#include "fs.h"
#include "instances.h"
#include "json.h"
#include "operations.h"
#include "storage.h"
#include "ws.h"

enum { WS_STDIN, WS_STDOUT, WS_STDERR, WS_CONTROL, WS_N };

/*
 * Lifetimes. The session has one reference for the operation (dropped when it ends) and one for
 * each attached stream and each reader thread; the list of sessions holds none (the operation
 * unlinks it). The streams' sockets are closed by libmicrohttpd when their handlers (ws_attach)
 * return, which they do only once `done` is set, and `done` is set only after the reader threads
 * have stopped using those sockets: a reader still in read() on a closed descriptor would read
 * whatever connection is given that number next.
 */
struct exec_ws {
	struct exec_ws *next;
	char op_id[40];
	char secret[WS_N][33];
	unsigned refs; /* under sessions_lock */
	pthread_mutex_t m;
	pthread_cond_t c;
	/* Under m: */
	int fd[WS_N];
	bool want[WS_N], claimed[WS_N];
	bool done;
	unsigned readers; /* stdin/control threads still running */
	/* Set before the streams start, then read-only: */
	bool interactive;
	bool console; /* the instance's console: "0" relays to sock */
	int sock;     /* connection to the monitor's console.sock */
	struct exec_arg *a;
	int master;   /* pty master (interactive) */
	pid_t pid;    /* the command, as the host sees it (for signals) */
	int in_write; /* stdin pipe (not interactive); closed by the stdin thread */
	int code;
};

static pthread_mutex_t sessions_lock = PTHREAD_MUTEX_INITIALIZER;
static struct exec_ws *sessions;

static void session_unref(struct exec_ws *s)
{
	pthread_mutex_lock(&sessions_lock);
	bool last = --s->refs == 0;
	pthread_mutex_unlock(&sessions_lock);
	if (!last)
		return;
	exec_arg_free(s->a);
	if (s->in_write >= 0)
		close(s->in_write);
	if (s->master >= 0)
		close(s->master);
	if (s->sock >= 0)
		close(s->sock);
	pthread_mutex_destroy(&s->m);
	pthread_cond_destroy(&s->c);
	free(s);
}

/* The operation is over: no new stream may attach, and its reference goes. */
static void session_end(void *p)
{
	struct exec_ws *s = p;
	pthread_mutex_lock(&sessions_lock);
	for (struct exec_ws **q = &sessions; *q; q = &(*q)->next)
		if (*q == s) {
			*q = s->next;
			break;
		}
	pthread_mutex_unlock(&sessions_lock);
	session_unref(s);
}

static void session_ref(struct exec_ws *s)
{
	pthread_mutex_lock(&sessions_lock);
	s->refs++;
	pthread_mutex_unlock(&sessions_lock);
}

static void random_hex(char out[33])
{
	unsigned char b[16];
	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		memset(b, 0x42, sizeof(b)); /* only reachable without entropy at boot */
	for (int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void set_winsize(int fd, json_int_t w, json_int_t h)
{
	if (fd < 0 || w <= 0 || h <= 0)
		return;
	struct winsize ws = { .ws_row = (unsigned short)h, .ws_col = (unsigned short)w };
	ioctl(fd, TIOCSWINSZ, &ws);
}

static void reader_exit(struct exec_ws *s)
{
	pthread_mutex_lock(&s->m);
	s->readers--;
	pthread_cond_broadcast(&s->c);
	pthread_mutex_unlock(&s->m);
	session_unref(s);
}

/* Client -> command: stdin (or the pty). */
static void *stdin_thread(void *p)
{
	struct exec_ws *s = p;
	enum ws_opcode op;
	char *msg;
	size_t len;
	int to = s->console ? s->sock : s->interactive ? s->master : s->in_write;
	while (ws_recv(s->fd[WS_STDIN], &op, &msg, &len, false) == 0) {
		/* An empty message is LXD's end-of-input. */
		if (len == 0 && !s->interactive) {
			free(msg);
			break;
		}
		if (fs_write_all(to, msg, len) < 0) {
			free(msg);
			break;
		}
		free(msg);
	}
	if (!s->interactive && s->in_write >= 0) {
		close(s->in_write);
		s->in_write = -1;
	}
	/* The client detached: the relay from the console stops reading. */
	if (s->console)
		shutdown(s->sock, SHUT_RDWR);
	reader_exit(s);
	return NULL;
}

/* {"command":"window-resize","args":{"width":"80","height":"24"}} and {"command":"signal",...} */
static void *control_thread(void *p)
{
	struct exec_ws *s = p;
	enum ws_opcode op;
	char *msg;
	size_t len;
	while (ws_recv(s->fd[WS_CONTROL], &op, &msg, &len, false) == 0) {
		json_t *j = json_loads(msg, 0, NULL);
		free(msg);
		const char *cmd = json_string_value(json_object_get(j, "command"));
		json_t *args = json_object_get(j, "args");
		if (cmd && strcmp(cmd, "window-resize") == 0 && s->interactive)
			set_winsize(
				s->master,
				atoi(json_string_value(json_object_get(args, "width")) ?: "0"),
				atoi(json_string_value(json_object_get(args, "height")) ?: "0"));
		else if (cmd && strcmp(cmd, "signal") == 0 && s->pid > 0)
			kill(s->pid, (int)json_integer_value(json_object_get(j, "signal")));
		json_decref(j);
	}
	/* LXD's clients detach from a console by closing its control stream. */
	if (s->console)
		shutdown(s->sock, SHUT_RDWR);
	reader_exit(s);
	return NULL;
}

static void start_reader(struct exec_ws *s, void *(*fn)(void *))
{
	pthread_t t;
	session_ref(s);
	pthread_mutex_lock(&s->m);
	s->readers++;
	pthread_mutex_unlock(&s->m);
	if (pthread_create(&t, NULL, fn, s) != 0)
		reader_exit(s);
	else
		pthread_detach(t);
}

/* The command is over: close frames out, then wait for the readers (the client answers the close
 * frame and they see it); one that does not answer within a second has its streams shut down. */
static void streams_finish(struct exec_ws *s)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 1;
	pthread_mutex_lock(&s->m);
	for (int i = 0; i < WS_N; i++)
		if (s->fd[i] >= 0)
			ws_send(s->fd[i], WS_CLOSE, "\x03\xe8", 2, false);
	while (s->readers > 0)
		if (pthread_cond_timedwait(&s->c, &s->m, &until) == ETIMEDOUT)
			break;
	if (s->readers > 0)
		for (int i = 0; i < WS_N; i++)
			if (s->fd[i] >= 0)
				shutdown(s->fd[i], SHUT_RDWR);
	while (s->readers > 0)
		pthread_cond_wait(&s->c, &s->m);
	s->done = true;
	pthread_cond_broadcast(&s->c);
	pthread_mutex_unlock(&s->m);
}

struct runner {
	struct exec_ws *s;
	const struct instance_driver_ops *drv;
	json_t *inst;
	int code;
	struct cell_error *err;
	int r;
};

static void *run_thread(void *p)
{
	struct runner *ru = p;
	struct exec_arg *a = ru->s->a;
	ru->r = ru->drv->exec(a->d, ru->inst, &a->x, &ru->code, &ru->err);
	/* Our copies of the child's ends: output readers see EOF once the command is gone. */
	if (a->x.in_fd >= 0)
		close(a->x.in_fd);
	if (a->x.out_fd >= 0 && a->x.out_fd != a->x.in_fd)
		close(a->x.out_fd);
	if (a->x.err_fd >= 0 && a->x.err_fd != a->x.in_fd)
		close(a->x.err_fd);
	a->x.in_fd = a->x.out_fd = a->x.err_fd = -1;
	return NULL;
}

static void relay_out(int from, int ws)
{
	char buf[16384];
	for (;;) {
		ssize_t n = read(from, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (ws_send(ws, WS_BINARY, buf, (size_t)n, false) < 0)
			break;
	}
}

/* The command's terminal is a host pty whose slave is the runtime's stdio (`exec -t` relays it
 * into the container's own pty); the master is relayed to the client's "0" stream. */
static int run_interactive(struct exec_ws *s, struct runner *ru, pthread_t *t,
			   struct cell_error **err)
{
	struct exec_arg *a = s->a;
	s->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s->master < 0 || grantpt(s->master) < 0 || unlockpt(s->master) < 0)
		return cell_error_errno(err, errno, "exec: cannot allocate a terminal");
	char pts[64];
	/* ptsname() returns a static buffer that another exec may be overwriting. */
	int slave = ptsname_r(s->master, pts, sizeof(pts)) == 0 ?
			    open(pts, O_RDWR | O_NOCTTY | O_CLOEXEC) :
			    -1;
	if (slave < 0)
		return cell_error_errno(err, errno, "exec: cannot open the terminal");
	json_t *b = a->body;
	set_winsize(s->master, json_integer_value(json_object_get(b, "width")),
		    json_integer_value(json_object_get(b, "height")));
	a->x.tty = true;
	a->x.in_fd = a->x.out_fd = a->x.err_fd = slave;
	if (pthread_create(t, NULL, run_thread, ru) != 0) {
		close(slave);
		a->x.in_fd = a->x.out_fd = a->x.err_fd = -1;
		return cell_error_set(err, EAGAIN, "exec: cannot start a thread");
	}
	start_reader(s, stdin_thread);
	start_reader(s, control_thread);
	relay_out(s->master, s->fd[WS_STDIN]);
	pthread_join(*t, NULL);
	return 0;
}

static int run_pipes(struct exec_ws *s, struct runner *ru, pthread_t *t, struct cell_error **err)
{
	struct exec_arg *a = s->a;
	int in[2], out[2], er[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return cell_error_errno(err, errno, "pipe");
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]), close(in[1]);
		return cell_error_errno(err, errno, "pipe");
	}
	if (pipe2(er, O_CLOEXEC) < 0) {
		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		return cell_error_errno(err, errno, "pipe");
	}
	a->x.in_fd = in[0];
	a->x.out_fd = out[1];
	a->x.err_fd = er[1];
	s->in_write = in[1];
	if (pthread_create(t, NULL, run_thread, ru) != 0) {
		close(in[0]), close(in[1]), close(out[0]), close(out[1]), close(er[0]),
			close(er[1]);
		a->x.in_fd = a->x.out_fd = a->x.err_fd = s->in_write = -1;
		return cell_error_set(err, EAGAIN, "exec: cannot start a thread");
	}
	start_reader(s, stdin_thread);
	start_reader(s, control_thread);
	struct pollfd p[2] = { { .fd = out[0], .events = POLLIN },
			       { .fd = er[0], .events = POLLIN } };
	int ws[2] = { s->fd[WS_STDOUT], s->fd[WS_STDERR] };
	int open_n = 2;
	char buf[16384];
	while (open_n > 0) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			ssize_t n = read(p[i].fd, buf, sizeof(buf));
			if (n > 0) {
				ws_send(ws[i], WS_BINARY, buf, (size_t)n, false);
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			close(p[i].fd);
			p[i].fd = -1;
			open_n--;
		}
	}
	pthread_join(*t, NULL);
	return 0;
}

/* Attach to the monitor's console.sock; its first byte carries the pty master (for resizes). */
static int console_attach(struct exec_ws *s, struct cell_error **err)
{
	_cleanup_free_ char *path = storage_path(s->a->d, s->a->name, "run/console.sock");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (!path || strlen(path) >= sizeof(sa.sun_path))
		return cell_error_set(err, ENAMETOOLONG, "console: socket path too long");
	strcpy(sa.sun_path, path);
	s->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->sock < 0 || connect(s->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return cell_error_errno(err, errno, "console of %s: the instance has no console",
					s->a->name);
	char tag;
	size_t nfds = 1;
	if (fdpass_recv(s->sock, &tag, 1, &s->master, &nfds) != 1 || nfds != 1)
		return cell_error_set(err, EIO, "console of %s: the monitor turned us away",
				      s->a->name);
	json_t *b = s->a->body;
	set_winsize(s->master, json_integer_value(json_object_get(b, "width")),
		    json_integer_value(json_object_get(b, "height")));
	return 0;
}

static int run_console(struct exec_ws *s, struct cell_error **err)
{
	int r = console_attach(s, err);
	if (r < 0)
		return r;
	start_reader(s, stdin_thread);
	start_reader(s, control_thread);
	relay_out(s->sock, s->fd[WS_STDIN]);
	return 0;
}

/* Wait (15 s at most) until the client has connected every stream it was given a secret for. */
static int streams_wait(struct exec_ws *s, struct cell_error **err)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 15;
	int r = 0;
	pthread_mutex_lock(&s->m);
	for (;;) {
		bool all = true;
		for (int i = 0; i < WS_N; i++)
			all = all && (!s->want[i] || s->fd[i] >= 0);
		if (all)
			break;
		if (pthread_cond_timedwait(&s->c, &s->m, &until) == ETIMEDOUT) {
			r = cell_error_set(err, ETIMEDOUT,
					   "exec: the client did not connect its websockets");
			break;
		}
	}
	pthread_mutex_unlock(&s->m);
	return r;
}

static int op_exec_ws(struct op *op, void *p, struct cell_error **err)
{
	struct exec_ws *s = p;
	struct exec_arg *a = s->a;
	_cleanup_json_ json_t *inst = NULL;
	struct runner ru = { .s = s };
	pthread_t t;
	int r = streams_wait(s, err);
	if (r == 0)
		r = instance_load(a->d, a->name, &inst, err);
	struct instance_state st = { 0 };
	if (r == 0) {
		ru.drv = instance_driver(inst);
		ru.inst = inst;
		ru.drv->state(a->d, inst, &st);
		if (!st.running)
			r = cell_error_set(err, EINVAL, "instance is not running: %s", a->name);
	}
	if (r == 0 && s->console)
		r = run_console(s, err);
	else if (r == 0)
		r = s->interactive ? run_interactive(s, &ru, &t, err) : run_pipes(s, &ru, &t, err);
	if (r == 0 && ru.r < 0)
		r = cell_error_set(err, EIO, "%s", ru.err ? ru.err->msg : "exec failed");
	cell_error_free(ru.err);
	if (r == 0 && !s->console)
		op_set_metadata(op, json_pack("{si}", "return", ru.code));
	/* On every path: the streams' handlers must return, or their connections stay forever. */
	streams_finish(s);
	if (s->master >= 0)
		close(s->master);
	s->master = -1;
	return r;
}

int exec_ws_start(struct request *req, struct response *resp, struct exec_arg *a)
{
	_cleanup_error_ struct cell_error *e = NULL;
	struct exec_ws *s = calloc(1, sizeof(*s));
	if (!s) {
		exec_arg_free(a);
		return api_errorf(resp, 500, "out of memory");
	}
	pthread_mutex_init(&s->m, NULL);
	pthread_cond_init(&s->c, NULL);
	s->a = a;
	s->master = s->in_write = s->sock = -1;
	s->console = !a->x.argv;
	s->interactive = s->console || json_is_true(json_object_get(a->body, "interactive"));
	json_t *fds = json_object();
	for (int i = 0; i < WS_N; i++) {
		static const char *const names[] = { "0", "1", "2", "control" };
		s->fd[i] = -1;
		s->want[i] = !s->interactive || i == WS_STDIN || i == WS_CONTROL;
		if (!s->want[i])
			continue;
		random_hex(s->secret[i]);
		json_object_set_new(fds, names[i], json_string(s->secret[i]));
	}
	s->refs = 1; /* the operation's (session_end) */
	char url[256];
	snprintf(url, sizeof(url), "/1.0/instances/%s", a->name);
	_cleanup_json_ json_t *res = json_pack("{s[s]}", "instances", url);
	struct op *op;
	pthread_mutex_lock(&sessions_lock);
	int r = op_start(s->console ? "Showing console" : "Executing command", res, op_exec_ws, s,
			 session_end, &op, &e);
	if (r == 0) {
		snprintf(s->op_id, sizeof(s->op_id), "%s", op_id(op));
		s->next = sessions;
		sessions = s;
		op_set_metadata(op, json_pack("{so}", "fds", fds));
	}
	pthread_mutex_unlock(&sessions_lock);
	if (r < 0) {
		json_decref(fds);
		return api_error(resp, e);
	}
	return api_async(resp, op);
}

/* POST /1.0/instances/NAME/console {"type":"console","width":W,"height":H}: LXD's console op. */
int api_instance_console(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *inst = NULL;
	json_t *b = req->body;
	if (b && !json_is_object(b))
		return api_errorf(resp, 400, "request body: expected a JSON object");
	const char *type = json_string_value(json_object_get(b, "type"));
	if (type && strcmp(type, "console") != 0)
		return api_errorf(resp, 400, "console type \"%s\": only \"console\" is supported",
				  type);
	if (instance_load(req->d, req->seg[1], &inst, &e) < 0)
		return api_error(resp, e);
	struct instance_state st = { 0 };
	instance_driver(inst)->state(req->d, inst, &st);
	if (!st.running)
		return api_errorf(resp, 400, "instance is not running: %s", req->seg[1]);
	struct exec_arg *a = calloc(1, sizeof(*a));
	if (!a || !(a->name = strdup(req->seg[1])))
		return free(a), api_errorf(resp, 500, "out of memory");
	a->d = req->d;
	a->x.in_fd = a->x.out_fd = a->x.err_fd = -1;
	a->body = b ? json_deep_copy(b) : json_object();
	if (!a->body) {
		exec_arg_free(a);
		return api_errorf(resp, 500, "out of memory");
	}
	return exec_ws_start(req, resp, a);
}

struct attach {
	struct exec_ws *s;
	int slot;
};

static void ws_attach(void *cls, int fd)
{
	struct attach *at = cls;
	struct exec_ws *s = at->s;
	pthread_mutex_lock(&s->m);
	s->fd[at->slot] = fd;
	pthread_cond_broadcast(&s->c);
	while (!s->done)
		pthread_cond_wait(&s->c, &s->m);
	pthread_mutex_unlock(&s->m);
	free(at);
	session_unref(s);
}

static void ws_attach_dropped(void *cls)
{
	struct attach *at = cls;
	session_unref(at->s);
	free(at);
}

int api_operation_websocket(struct request *req, struct response *resp)
{
	const char *secret = api_query(req, "secret");
	pthread_mutex_lock(&sessions_lock);
	struct exec_ws *s;
	for (s = sessions; s; s = s->next)
		if (strcmp(s->op_id, req->seg[1]) == 0)
			break;
	if (s)
		s->refs++;
	pthread_mutex_unlock(&sessions_lock);
	int slot = -1;
	if (s) {
		/* Claimed here, under the session's lock: two connections with one secret get one
		 * stream between them, and none attaches once the operation is over. */
		pthread_mutex_lock(&s->m);
		for (int i = 0; secret && !s->done && i < WS_N; i++)
			if (s->want[i] && !s->claimed[i] && strcmp(s->secret[i], secret) == 0)
				slot = i;
		if (slot >= 0)
			s->claimed[slot] = true;
		pthread_mutex_unlock(&s->m);
	}
	if (slot < 0) {
		if (s)
			session_unref(s);
		return api_errorf(resp, 403, "no websocket of operation %s has that secret",
				  req->seg[1]);
	}
	struct attach *at = calloc(1, sizeof(*at));
	if (!at) {
		session_unref(s);
		return api_errorf(resp, 500, "out of memory");
	}
	at->s = s;
	at->slot = slot;
	api_websocket(req, resp, ws_attach, at);
	if (!resp->ws_fn) {
		free(at);
		session_unref(s);
		return 0;
	}
	resp->ws_drop = ws_attach_dropped;
	return 0;
}
