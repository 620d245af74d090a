/* loop.h - the one epoll loop that serves device I/O (tap, stdin, ioeventfds) off the vCPU threads. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

typedef void (*loop_fn)(void *opaque, int fd, uint32_t events);

struct loop_watch {
	int fd;
	loop_fn fn;
	void *opaque;
	struct loop_watch *next;
};

struct loop {
	int epfd;
	pthread_mutex_t
		lock; /* guards the watch list: devices add and pause fds from vCPU threads */
	struct loop_watch *watches;
	bool stop;
};

int loop_init(struct loop *loop, struct cell_error **err);
/* Watch fd for events (EPOLLIN...); fn runs on the loop thread. */
int loop_add(struct loop *loop, int fd, uint32_t events, loop_fn fn, void *opaque,
	     struct cell_error **err);
/* Change the events watched (0 pauses the fd). */
int loop_modify(struct loop *loop, int fd, uint32_t events);
/* Stop watching fd; its watch is freed only by loop_free(), as the loop may be dispatching it. */
int loop_remove(struct loop *loop, int fd);
/* Dispatch until loop->stop is set by a callback. */
int loop_run(struct loop *loop, struct cell_error **err);
void loop_free(struct loop *loop);
