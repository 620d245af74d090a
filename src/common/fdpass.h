/* Descriptors over unix sockets (SCM_RIGHTS): one message, its bytes and its descriptors. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#define FDPASS_MAX 16

/* Send len bytes with nfds (<= FDPASS_MAX) descriptors attached: the bytes sent or -errno. */
ssize_t fdpass_send(int sock, const void *buf, size_t len, const int *fds, size_t nfds);

/* Receive one message into buf and at most *nfds descriptors (close-on-exec) into fds; *nfds is
 * set to how many came, any beyond are closed. The bytes received (0 at EOF) or -errno. */
ssize_t fdpass_recv(int sock, void *buf, size_t len, int *fds, size_t *nfds);
