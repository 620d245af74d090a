/* ws.c - minimal RFC 6455 framing over a blocking stream socket. */
#include "ws.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "fs.h"

void ws_accept_key(const char *key, char out[64])
{
	char buf[256];
	unsigned char sha[SHA_DIGEST_LENGTH];
	snprintf(buf, sizeof(buf), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
	SHA1((const unsigned char *)buf, strlen(buf), sha);
	EVP_EncodeBlock((unsigned char *)out, sha, SHA_DIGEST_LENGTH);
}

int ws_send(int fd, enum ws_opcode op, const void *data, size_t len, bool mask)
{
	unsigned char hdr[14];
	size_t n = 0;
	hdr[n++] = 0x80 | (unsigned char)op;
	unsigned char m = mask ? 0x80 : 0;
	if (len < 126) {
		hdr[n++] = m | (unsigned char)len;
	} else if (len < 65536) {
		hdr[n++] = m | 126;
		hdr[n++] = (unsigned char)(len >> 8);
		hdr[n++] = (unsigned char)len;
	} else {
		hdr[n++] = m | 127;
		for (int i = 7; i >= 0; i--)
			hdr[n++] = (unsigned char)((uint64_t)len >> (8 * i));
	}
	unsigned char key[4] = { 0 };
	if (mask) {
		if (getrandom(key, 4, 0) != 4)
			memset(key, 0x5a, 4);
		memcpy(hdr + n, key, 4);
		n += 4;
	}
	unsigned char *frame = malloc(n + len);
	if (!frame)
		return -ENOMEM;
	memcpy(frame, hdr, n);
	for (size_t i = 0; i < len; i++)
		frame[n + i] = ((const unsigned char *)data)[i] ^ (mask ? key[i % 4] : 0);
	ssize_t w = fs_write_all(fd, frame, n + len);
	free(frame);
	return w < 0 ? -EPIPE : 0;
}

static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t r = read(fd, (char *)buf + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EPIPE;
		got += (size_t)r;
	}
	return 0;
}

/* One frame; payload unmasked into *ret. */
static int ws_frame(int fd, bool *fin, int *op, char **ret, size_t *ret_len)
{
	unsigned char h[2];
	if (read_full(fd, h, 2) < 0)
		return -EPIPE;
	*fin = h[0] & 0x80;
	*op = h[0] & 0x0f;
	uint64_t len = h[1] & 0x7f;
	unsigned char ext[8];
	if (len == 126) {
		if (read_full(fd, ext, 2) < 0)
			return -EPIPE;
		len = (uint64_t)ext[0] << 8 | ext[1];
	} else if (len == 127) {
		if (read_full(fd, ext, 8) < 0)
			return -EPIPE;
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | ext[i];
	}
	if (len > (64u << 20))
		return -E2BIG;
	unsigned char key[4] = { 0 };
	bool masked = h[1] & 0x80;
	if (masked && read_full(fd, key, 4) < 0)
		return -EPIPE;
	char *p = malloc(len + 1);
	if (!p)
		return -ENOMEM;
	if (read_full(fd, p, len) < 0) {
		free(p);
		return -EPIPE;
	}
	for (uint64_t i = 0; masked && i < len; i++)
		p[i] ^= (char)key[i % 4];
	p[len] = '\0';
	*ret = p;
	*ret_len = len;
	return 0;
}

int ws_recv(int fd, enum ws_opcode *ret_op, char **ret, size_t *ret_len, bool mask_replies)
{
	char *msg = NULL;
	size_t msg_len = 0;
	int msg_op = -1;
	for (;;) {
		bool fin;
		int op;
		char *p;
		size_t len;
		int r = ws_frame(fd, &fin, &op, &p, &len);
		if (r < 0) {
			free(msg);
			return r;
		}
		if (op == WS_CLOSE) {
			ws_send(fd, WS_CLOSE, p, len < 2 ? len : 2, mask_replies);
			free(p);
			free(msg);
			return -EPIPE;
		}
		if (op == WS_PING || op == WS_PONG) {
			if (op == WS_PING)
				ws_send(fd, WS_PONG, p, len, mask_replies);
			free(p);
			continue;
		}
		if (op != WS_CONT)
			msg_op = op;
		char *m = realloc(msg, msg_len + len + 1);
		if (!m) {
			free(p);
			free(msg);
			return -ENOMEM;
		}
		msg = m;
		memcpy(msg + msg_len, p, len);
		msg_len += len;
		msg[msg_len] = '\0';
		free(p);
		if (fin)
			break;
	}
	*ret_op = (enum ws_opcode)msg_op;
	*ret = msg;
	*ret_len = msg_len;
	return 0;
}
