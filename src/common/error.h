/* error.h - the one error convention: return 0 or -errno, describe the failure in a cell_error. */
#pragma once

#include <stdarg.h>
#include <stdio.h>

struct cell_error {
	int code; /* positive errno */
	char *msg;
};

/*
 * Every fallible function takes `struct cell_error **err` last and returns 0 or a negative errno.
 * These helpers fill *err (when err is not NULL) and return -code, so a caller writes
 *	return cell_error_set(err, EINVAL, "process.args: must be a non-empty array");
 */
int cell_error_set(struct cell_error **err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like cell_error_set(), with ": strerror(code)" appended. */
int cell_error_errno(struct cell_error **err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix an existing error with context ("create container c1: ..."); returns -code. */
int cell_error_wrap(struct cell_error **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int cell_error_vset(struct cell_error **err, int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

void cell_error_free(struct cell_error *e);
void cell_error_freep(struct cell_error **e);
#define _cleanup_error_ __attribute__((cleanup(cell_error_freep)))

/* Print "PROG: message" on one line to stream. */
void cell_error_print(const struct cell_error *e, const char *prog, FILE *stream);
