/* ws.h - the WebSocket framing (RFC 6455) celld and cell need: the handshake key, and whole
 * messages sent and received on a blocking socket. Server frames are unmasked, client frames
 * masked. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ws_opcode {
	WS_CONT = 0,
	WS_TEXT = 1,
	WS_BINARY = 2,
	WS_CLOSE = 8,
	WS_PING = 9,
	WS_PONG = 10,
};

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key (base64 of sha1(key + GUID)); out: 29+ bytes. */
void ws_accept_key(const char *key, char out[64]);
/* Send one frame; masked when mask (clients). Returns 0 or -errno. */
int ws_send(int fd, enum ws_opcode op, const void *data, size_t len, bool mask);
/*
 * Receive one message (control frames handled: ping answered with pong, unless answer_pings is
 * false). *ret is malloc'd (NUL-terminated), *ret_op its opcode; returns 0, or -EPIPE on close/EOF.
 */
int ws_recv(int fd, enum ws_opcode *ret_op, char **ret, size_t *ret_len, bool mask_replies);
