/* console-relay.c - cell-monitor's console: takes the container's pty master from the runtime,
 * keeps a peer open (so the master never hangs up while init reopens /dev/console), appends all
 * output to the console log (rotated at CONSOLE_LOG_MAX), keeps the last CONSOLE_RING_SIZE bytes
 * for clients that attach later and relays it to attached clients. libc-only and allocation-free:
 * it is linked into the static monitor. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "console-relay.h"
#include "fdpass.h"

int console_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	/* Only root (celld) may attach: the umask covers the window before chmod. */
	mode_t old = umask(077);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 8) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int console_recv_master(int listen_fd)
{
	struct pollfd p = { .fd = listen_fd, .events = POLLIN };
	if (poll(&p, 1, 5000) <= 0)
		return -1;
	int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return -1;
	char name[256]; /* the pty's name (informational) */
	int fd = -1;
	size_t nfds = 1;
	ssize_t n;
	do
		n = fdpass_recv(c, name, sizeof(name), &fd, &nfds);
	while (n == -EINTR);
	close(c);
	return n > 0 && nfds == 1 ? fd : -1;
}

static int send_master(int sock, int master)
{
	return fdpass_send(sock, "c", 1, &master, 1) == 1 ? 0 : -1;
}

/* The scrollback: a ring of the last output, static so that the monitor allocates nothing (its
 * pages are touched only as the instance writes). */
static char ring[CONSOLE_RING_SIZE];
static size_t ring_end, ring_len;

static void ring_put(const char *b, size_t n)
{
	if (n > sizeof(ring)) {
		b += n - sizeof(ring);
		n = sizeof(ring);
	}
	size_t first = n < sizeof(ring) - ring_end ? n : sizeof(ring) - ring_end;
	memcpy(ring + ring_end, b, first);
	memcpy(ring, b + first, n - first);
	ring_end = (ring_end + n) % sizeof(ring);
	ring_len = ring_len + n < sizeof(ring) ? ring_len + n : sizeof(ring);
}

/* Oldest first. A unix socket's send buffer (~200 KiB by default) takes it all at once; a client
 * whose buffer is smaller loses the rest, as it would lose live output it does not read. */
static void ring_send(int c)
{
	size_t start = (ring_end + sizeof(ring) - ring_len) % sizeof(ring);
	size_t first = ring_len < sizeof(ring) - start ? ring_len : sizeof(ring) - start;
	if (first && send(c, ring + start, first, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)first)
		return;
	if (ring_len > first)
		send(c, ring, ring_len - first, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* console.log -> console.log.1, and a new console.log on the same descriptor number. */
static void log_rotate(struct console_relay *r)
{
	char old[4096];
	if (!r->log_path || snprintf(old, sizeof(old), "%s.1", r->log_path) >= (int)sizeof(old))
		return;
	if (rename(r->log_path, old) < 0)
		return;
	int fd = open(r->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	dup3(fd, r->log, O_CLOEXEC);
	close(fd);
}

/* Console output: to the log, and to every client that keeps up (a stalled client loses bytes
 * rather than stalling the instance's console). */
static void fan_out(struct console_relay *r, int *clients)
{
	char buf[8192];
	ssize_t n = read(r->master, buf, sizeof(buf));
	if (n <= 0)
		return;
	if (write(r->log, buf, (size_t)n) < 0) {
		/* A full disk must not stop the console. */
	}
	/* O_APPEND: the offset after a write is the file's size. */
	if (lseek(r->log, 0, SEEK_CUR) >= CONSOLE_LOG_MAX)
		log_rotate(r);
	ring_put(buf, (size_t)n);
	for (int i = 0; i < CONSOLE_CLIENTS_MAX; i++)
		if (clients[i] >= 0)
			send(clients[i], buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void accept_client(struct console_relay *r, int *clients)
{
	int c = accept4(r->listen, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	for (int i = 0; i < CONSOLE_CLIENTS_MAX; i++)
		if (clients[i] < 0 && send_master(c, r->master) == 0) {
			ring_send(c);
			clients[i] = c;
			return;
		}
	close(c);
}

static void client_input(struct console_relay *r, int *clients, int i)
{
	char buf[4096];
	ssize_t n = read(clients[i], buf, sizeof(buf));
	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		close(clients[i]);
		clients[i] = -1;
		return;
	}
	/* Non-blocking: input the instance does not read is dropped, not waited for. */
	if (write(r->master, buf, (size_t)n) < 0) {
	}
}

/* Reap children; returns 1 with *st set once init is among them, -1 when none are left. */
static int reap(pid_t init, int *st)
{
	for (;;) {
		int s;
		pid_t p = waitpid(-1, &s, WNOHANG);
		if (p == init) {
			*st = s;
			return 1;
		}
		if (p < 0 && errno == ECHILD)
			return -1;
		if (p <= 0)
			return 0;
	}
}

int console_relay_run(struct console_relay *r, pid_t init)
{
	int clients[CONSOLE_CLIENTS_MAX], st = -1, peer = -1;
	for (int i = 0; i < CONSOLE_CLIENTS_MAX; i++)
		clients[i] = -1;
	if (r->master >= 0) {
		fcntl(r->master, F_SETFL, O_NONBLOCK);
		peer = ioctl(r->master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	} else if (r->listen >= 0) {
		close(r->listen);
		r->listen = -1;
	}
	for (;;) {
		struct pollfd p[3 + CONSOLE_CLIENTS_MAX] = {
			{ .fd = r->sigfd, .events = POLLIN },
			{ .fd = r->master, .events = POLLIN },
			{ .fd = r->listen, .events = POLLIN },
		};
		for (int i = 0; i < CONSOLE_CLIENTS_MAX; i++)
			p[3 + i] = (struct pollfd){ .fd = clients[i], .events = POLLIN };
		int n = poll(p, 3 + CONSOLE_CLIENTS_MAX, r->sigfd >= 0 ? -1 : 1000);
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0 && r->sigfd >= 0)
			continue;
		if (p[0].revents) {
			struct signalfd_siginfo si;
			while (read(r->sigfd, &si, sizeof(si)) > 0)
				;
		}
		int done = reap(init, &st);
		if (p[1].revents)
			fan_out(r, clients);
		if (done)
			break;
		if (p[2].revents)
			accept_client(r, clients);
		for (int i = 0; i < CONSOLE_CLIENTS_MAX; i++)
			if (p[3 + i].revents && clients[i] >= 0)
				client_input(r, clients, i);
	}
	/* init is gone: what it wrote last still goes to the log. */
	if (r->master >= 0)
		for (int i = 0; i < 64 && poll(&(struct pollfd){ r->master, POLLIN, 0 }, 1, 0) > 0;
		     i++)
			fan_out(r, clients);
	for (int i = 0; i < CONSOLE_CLIENTS_MAX; i++)
		if (clients[i] >= 0)
			close(clients[i]);
	if (peer >= 0)
		close(peer);
	return st;
}
