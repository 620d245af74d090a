/* console-relay.h - cell-monitor's side of an instance's console: the pty master the runtime
 * handed over, logged to the console log and relayed to clients of RUNDIR/console.sock. */
#pragma once

#include <sys/types.h>

/* The most clients attached at once (celld's console websockets); later ones are turned away. */
#define CONSOLE_CLIENTS_MAX 8

/* Output kept in memory and replayed to each client as it attaches (its scrollback). */
#define CONSOLE_RING_SIZE (64 * 1024)
/* console.log is rotated when it reaches this: it becomes console.log.1 (replacing the older one)
 * and a new console.log starts, so a chatty instance holds at most twice this on disk. */
#define CONSOLE_LOG_MAX (1024 * 1024)

struct console_relay {
	int master;	      /* pty master, or -1 (no console: only init's end is waited for) */
	int log;	      /* console.log, appended to */
	const char *log_path; /* its path, for rotation (NULL: never rotated) */
	int listen;	      /* console.sock, or -1 */
	int sigfd;	      /* signalfd for SIGCHLD (blocked), or -1: then polled each second */
};

/* A listening unix socket at path (replaced if present, 0600); -1 on failure. */
int console_listen(const char *path);
/* Accept the runtime's --console-socket connection (5 s at most) and take its pty master. */
int console_recv_master(int listen_fd);
/*
 * Relay until init (a child: the monitor is its subreaper) ends, reaping every other child on the
 * way. Each client first receives one byte carrying the master as SCM_RIGHTS (so it can set the
 * window size), then the last CONSOLE_RING_SIZE bytes of output, then its bytes go to the
 * console and the console's output comes to it. Returns
 * init's wait status, or -1 if it was lost (no children left).
 */
int console_relay_run(struct console_relay *r, pid_t init);
