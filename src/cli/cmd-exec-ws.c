/* cmd-exec-ws.c - cell exec over WebSockets, as LXD's client does it: a pty when stdin is a
 * terminal (raw mode, window size, resizes forwarded), pipes otherwise (stdin streamed, EOF sent
 * as an empty message); the command's exit status becomes cell's. cell console attaches to the
 * instance's console the same way (one "0" stream, raw terminal), detaching on ctrl+a q. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "fs.h"
#include "json.h"
#include "ws.h"

static volatile sig_atomic_t winch;

static void on_winch(int sig)
{
	winch = 1;
}

/* Connect one stream and send its HTTP upgrade request on a fresh connection to celld's socket;
 * the answer is read by ws_upgraded, so that all streams' requests are in flight at once. */
static int ws_connect(const char *sock, const char *op, const char *secret, struct cell_error **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = cell_error_errno(err, errno, "cannot reach celld at %s", sock);
		if (fd >= 0)
			close(fd);
		return r;
	}
	char req[1024];
	int n = snprintf(
		req, sizeof(req),
		"GET %s/websocket?secret=%s HTTP/1.1\r\nHost: cell\r\nUpgrade: websocket\r\n"
		"Connection: Upgrade\r\nSec-WebSocket-Key: Y2VsbC1leGVjLWtleS0wMQ==\r\n"
		"Sec-WebSocket-Version: 13\r\n\r\n",
		op, secret);
	if (fs_write_all(fd, req, (size_t)n) < 0) {
		close(fd);
		return cell_error_set(err, EIO, "exec: celld refused the websocket of %s", op);
	}
	return fd;
}

/* Read the answer to ws_connect's request: 101, or the stream is refused (fd closed). */
static int ws_upgraded(int fd, const char *op, struct cell_error **err)
{
	char resp[2048];
	size_t got = 0;
	/* A celld that hangs must not hang the handshake; the streams themselves block freely. */
	struct timeval tv = { .tv_sec = 30 }, none = { 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* Frames may follow the response head at once: take exactly the head. It usually comes in
	 * one piece, seen whole by a peek; otherwise it is read byte by byte. */
	ssize_t n = recv(fd, resp, sizeof(resp) - 1, MSG_PEEK);
	if (n > 0) {
		resp[n] = '\0';
		char *end = strstr(resp, "\r\n\r\n");
		size_t head = end ? (size_t)(end - resp) + 4 : 0;
		ssize_t r = head ? read(fd, resp, head) : 0;
		if (r < 0)
			goto fail;
		got = (size_t)r;
	}
	while (got < 4 || memcmp(resp + got - 4, "\r\n\r\n", 4) != 0) {
		if (got >= sizeof(resp) - 1 || read(fd, resp + got, 1) != 1)
			goto fail;
		got++;
	}
	resp[got] = '\0';
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	if (strncmp(resp, "HTTP/1.1 101", 12) == 0)
		return fd;
fail:
	close(fd);
	return cell_error_set(err, EIO, "exec: celld refused the websocket of %s", op);
}

static void send_resize(int ctl)
{
	struct winsize w;
	if (ioctl(1, TIOCGWINSZ, &w) < 0)
		return;
	char msg[160];
	int n = snprintf(
		msg, sizeof(msg),
		"{\"command\":\"window-resize\",\"args\":{\"width\":\"%u\",\"height\":\"%u\"}}",
		w.ws_col, w.ws_row);
	ws_send(ctl, WS_TEXT, msg, (size_t)n, true);
}

/* Console input: ctrl+a q detaches (returns true), ctrl+a ctrl+a sends one ctrl+a; the rest
 * goes to the console. *esc carries a pending ctrl+a between reads. */
static bool console_input(int ws, const char *buf, size_t n, bool *esc)
{
	char out[2 * 16384];
	size_t o = 0;
	bool detach = false;
	for (size_t i = 0; i < n && !detach; i++) {
		char ch = buf[i];
		if (*esc) {
			*esc = false;
			if (ch == 'q' || ch == 'Q') {
				detach = true;
				continue;
			}
			out[o++] = '\x01';
			if (ch == '\x01')
				continue;
		} else if (ch == '\x01') {
			*esc = true;
			continue;
		}
		out[o++] = ch;
	}
	if (o > 0)
		ws_send(ws, WS_BINARY, out, o, true);
	return detach;
}

/* Relay until the output streams end (or the console detaches). fds: [0] stdin/pty, [1] stdout,
 * [2] stderr, [3] control. */
static void relay(int fds[4], bool tty, bool console)
{
	bool esc = false;
	struct pollfd p[4] = {
		{ .fd = 0, .events = POLLIN },
		{ .fd = tty ? fds[0] : fds[1], .events = POLLIN },
		{ .fd = tty ? -1 : fds[2], .events = POLLIN },
		{ .fd = fds[3], .events = POLLIN },
	};
	int outputs = tty ? 1 : 2;
	char buf[16384];
	while (outputs > 0) {
		if (winch && tty) {
			winch = 0;
			send_resize(fds[3]);
		}
		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].fd >= 0 && p[0].revents) {
			ssize_t n = read(0, buf, sizeof(buf));
			if (n > 0 && console) {
				if (console_input(fds[0], buf, (size_t)n, &esc)) {
					ws_send(fds[0], WS_CLOSE, "\x03\xe8", 2, true);
					ws_send(fds[3], WS_CLOSE, "\x03\xe8", 2, true);
					return;
				}
			} else if (n > 0) {
				ws_send(fds[0], WS_BINARY, buf, (size_t)n, true);
			} else if (n == 0 || errno != EINTR) {
				if (!tty)
					ws_send(fds[0], WS_TEXT, "", 0, true);
				p[0].fd = -1;
			}
		}
		for (int i = 1; i < 4; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			enum ws_opcode op;
			char *msg;
			size_t len;
			if (ws_recv(p[i].fd, &op, &msg, &len, true) < 0) {
				if (i < 3)
					outputs--;
				p[i].fd = -1;
				continue;
			}
			if (i < 3)
				fs_write_all(i == 2 ? 2 : 1, msg, len);
			free(msg);
		}
	}
}

static int session(struct client *c, const char *socket, const char *path, json_t *body, bool tty,
		   bool console, json_t **ret_md, struct cell_error **err);

int cli_exec_ws(struct client *c, const char *socket, const char *name, json_t *body,
		struct cell_error **err)
{
	bool tty = isatty(0) && isatty(1);
	struct winsize w = { 0 };
	/* celld closes the streams when the command ends; a late write must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (tty)
		ioctl(1, TIOCGWINSZ, &w);
	json_object_set_new(body, "interactive", json_boolean(tty));
	json_object_set_new(body, "wait-for-websocket", json_true());
	json_object_set_new(body, "record-output", json_false());
	json_object_set_new(body, "width", json_integer(w.ws_col));
	json_object_set_new(body, "height", json_integer(w.ws_row));
	if (tty && !json_object_get(json_object_get(body, "environment"), "TERM") && getenv("TERM"))
		json_object_set_new(json_object_get(body, "environment"), "TERM",
				    json_string(getenv("TERM")));
	char path[512];
	snprintf(path, sizeof(path), "/1.0/instances/%s/exec", name);
	_cleanup_json_ json_t *md = NULL;
	int r = session(c, socket, path, body, tty, false, &md, err);
	if (r < 0)
		return r;
	cli_exit_status = (int)json_integer_value(json_object_get(md, "return"));
	return 0;
}

int cli_console_ws(struct client *c, const char *socket, const char *name, struct cell_error **err)
{
	struct winsize w = { 0 };
	signal(SIGPIPE, SIG_IGN);
	ioctl(1, TIOCGWINSZ, &w);
	_cleanup_json_ json_t *body = json_pack("{ss si si}", "type", "console", "width",
						(int)w.ws_col, "height", (int)w.ws_row);
	char path[512];
	snprintf(path, sizeof(path), "/1.0/instances/%s/console", name);
	if (isatty(0))
		fprintf(stderr, "To detach from the console, press: <ctrl>+a q\r\n");
	_cleanup_json_ json_t *md = NULL;
	int r = session(c, socket, path, body, true, true, &md, err);
	/* The console's last line has no end of its own: the shell prompt. */
	if (isatty(0))
		fputs("\n", stderr);
	return r;
}

/* Start the operation, connect its streams, relay in raw mode (when stdin is a terminal), and
 * wait for the operation's end; *ret_md is its metadata. */
static int session(struct client *c, const char *socket, const char *path, json_t *body, bool tty,
		   bool console, json_t **ret_md, struct cell_error **err)
{
	_cleanup_json_ json_t *op = NULL;
	int r = client_start(c, "POST", path, body, &op, err);
	if (r < 0)
		return r;
	const char *id = json_string_value(json_object_get(op, "id"));
	json_t *secrets = json_object_get(json_object_get(op, "metadata"), "fds");
	char opurl[128];
	snprintf(opurl, sizeof(opurl), "/1.0/operations/%s", id ? id : "");
	int fds[4] = { -1, -1, -1, -1 };
	static const char *const keys[] = { "0", "1", "2", "control" };
	for (int i = 0; i < 4 && r >= 0; i++) {
		const char *s = json_string_value(json_object_get(secrets, keys[i]));
		if (s)
			r = fds[i] = ws_connect(socket, opurl, s, err);
	}
	for (int i = 0; i < 4 && r >= 0; i++)
		if (fds[i] >= 0)
			r = fds[i] = ws_upgraded(fds[i], opurl, err);
	struct termios saved;
	bool raw = false;
	if (r >= 0) {
		if (tty && isatty(0) && tcgetattr(0, &saved) == 0) {
			struct termios t = saved;
			cfmakeraw(&t);
			raw = tcsetattr(0, TCSANOW, &t) == 0;
			signal(SIGWINCH, on_winch);
		}
		relay(fds, tty, console);
		if (raw)
			tcsetattr(0, TCSANOW, &saved);
	}
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	int w2 = client_wait(c, opurl, ret_md, err);
	if (r < 0)
		return r;
	return w2;
}
