/* error.c - building, wrapping and printing cell_error values. */
#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Returned when the message itself cannot be allocated; never freed. */
static struct cell_error oom_error = { .code = ENOMEM, .msg = (char *)"out of memory" };

void cell_error_free(struct cell_error *e)
{
	if (!e || e == &oom_error)
		return;
	free(e->msg);
	free(e);
}

void cell_error_freep(struct cell_error **e)
{
	cell_error_free(*e);
	*e = NULL;
}

static int error_store(struct cell_error **err, int code, char *msg)
{
	if (code < 0)
		code = -code;
	if (code == 0)
		code = EIO;
	if (!err) {
		free(msg);
		return -code;
	}
	cell_error_free(*err);
	*err = NULL;
	struct cell_error *e = msg ? malloc(sizeof(*e)) : NULL;
	if (!e) {
		free(msg);
		*err = &oom_error;
		return -code;
	}
	e->code = code;
	e->msg = msg;
	*err = e;
	return -code;
}

int cell_error_vset(struct cell_error **err, int code, const char *fmt, va_list ap)
{
	char *msg = NULL;
	if (err && vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	return error_store(err, code, msg);
}

int cell_error_set(struct cell_error **err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = cell_error_vset(err, code, fmt, ap);
	va_end(ap);
	return r;
}

int cell_error_errno(struct cell_error **err, int code, const char *fmt, ...)
{
	if (code < 0)
		code = -code;
	char *head = NULL, *msg = NULL;
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(&head, fmt, ap) < 0)
			head = NULL;
		va_end(ap);
		if (head && asprintf(&msg, "%s: %s", head, strerror(code)) < 0)
			msg = NULL;
		free(head);
	}
	return error_store(err, code, msg);
}

int cell_error_wrap(struct cell_error **err, const char *fmt, ...)
{
	if (!err || !*err)
		return -EIO;
	struct cell_error *e = *err;
	int code = e->code;
	char *head = NULL, *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&head, fmt, ap) < 0)
		head = NULL;
	va_end(ap);
	if (head && asprintf(&msg, "%s: %s", head, e->msg) < 0)
		msg = NULL;
	free(head);
	if (!msg)
		return -code; /* keep the inner message rather than lose it */
	if (e == &oom_error)
		return error_store(err, code, msg);
	free(e->msg);
	e->msg = msg;
	return -code;
}

void cell_error_print(const struct cell_error *e, const char *prog, FILE *stream)
{
	if (!e)
		return;
	fprintf(stream, "%s: %s\n", prog, e->msg ? e->msg : strerror(e->code));
}
