/* loop.c - a small epoll dispatcher: one callback per fd, run on the thread that calls loop_run. */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"

int loop_init(struct loop *loop, struct cell_error **err)
{
	*loop = (struct loop){ .epfd = epoll_create1(EPOLL_CLOEXEC) };
	pthread_mutex_init(&loop->lock, NULL);
	if (loop->epfd < 0)
		return cell_error_errno(err, errno, "epoll_create1");
	return 0;
}

int loop_add(struct loop *loop, int fd, uint32_t events, loop_fn fn, void *opaque,
	     struct cell_error **err)
{
	struct loop_watch *w = calloc(1, sizeof(*w));
	if (!w)
		return cell_error_set(err, ENOMEM, "epoll watch: out of memory");
	pthread_mutex_lock(&loop->lock);
	*w = (struct loop_watch){ fd, fn, opaque, loop->watches };
	struct epoll_event ev = { .events = events, .data.ptr = w };
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;
		pthread_mutex_unlock(&loop->lock);
		free(w);
		return cell_error_errno(err, e, "epoll_ctl add fd %d", fd);
	}
	loop->watches = w;
	pthread_mutex_unlock(&loop->lock);
	return 0;
}

static struct loop_watch *loop_find(struct loop *loop, int fd)
{
	for (struct loop_watch *w = loop->watches; w; w = w->next)
		if (w->fd == fd)
			return w;
	return NULL;
}

int loop_modify(struct loop *loop, int fd, uint32_t events)
{
	int r = -ENOENT;
	pthread_mutex_lock(&loop->lock);
	struct loop_watch *w = loop_find(loop, fd);
	if (w) {
		struct epoll_event ev = { .events = events, .data.ptr = w };
		r = epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
	}
	pthread_mutex_unlock(&loop->lock);
	return r;
}

int loop_remove(struct loop *loop, int fd)
{
	int r = -ENOENT;
	pthread_mutex_lock(&loop->lock);
	struct loop_watch *w = loop_find(loop, fd);
	if (w) {
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
		w->fd = -1;
		w->fn = NULL;
		r = 0;
	}
	pthread_mutex_unlock(&loop->lock);
	return r;
}

int loop_run(struct loop *loop, struct cell_error **err)
{
	struct epoll_event evs[16];

	while (!loop->stop) {
		int n = epoll_wait(loop->epfd, evs, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cell_error_errno(err, errno, "epoll_wait");
		}
		for (int i = 0; i < n && !loop->stop; i++) {
			struct loop_watch *w = evs[i].data.ptr;
			pthread_mutex_lock(&loop->lock);
			loop_fn fn = w->fn;
			int fd = w->fd;
			void *opaque = w->opaque;
			pthread_mutex_unlock(&loop->lock);
			if (fn)
				fn(opaque, fd, evs[i].events);
		}
	}
	return 0;
}

void loop_free(struct loop *loop)
{
	while (loop->watches) {
		struct loop_watch *w = loop->watches;
		loop->watches = w->next;
		free(w);
	}
	if (loop->epfd >= 0)
		close(loop->epfd);
	loop->epfd = -1;
}
