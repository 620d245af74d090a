/* cleanup.h - scope-bound release of memory, fds, streams, directories and child processes. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
	*(void **)p = NULL;
}

static inline void cleanup_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
	*fd = -1;
}

static inline void cleanup_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
	*f = NULL;
}

static inline void cleanup_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
	*d = NULL;
}

/* A child that goes out of scope unclaimed is killed and reaped, never left behind. */
static inline void cleanup_pidp(pid_t *pid)
{
	if (*pid > 0) {
		int saved = errno;
		kill(*pid, SIGKILL);
		while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = saved;
	}
	*pid = -1;
}

#define _cleanup_free_ _cleanup_(cleanup_freep)
#define _cleanup_close_ _cleanup_(cleanup_closep)
#define _cleanup_fclose_ _cleanup_(cleanup_fclosep)
#define _cleanup_closedir_ _cleanup_(cleanup_closedirp)
#define _cleanup_pid_ _cleanup_(cleanup_pidp)

/* Take ownership out of a cleanup-managed variable. */
#define steal_ptr(p)                         \
	({                                   \
		__typeof__(p) _stolen = (p); \
		(p) = NULL;                  \
		_stolen;                     \
	})

#define steal_fd(fd)                \
	({                          \
		int _stolen = (fd); \
		(fd) = -1;          \
		_stolen;            \
	})

#define steal_pid(pid) steal_fd(pid)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
