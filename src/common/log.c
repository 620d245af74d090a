/* log.c - the process-wide log sink. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static int log_fd = STDERR_FILENO;
static enum log_format log_format = LOG_FORMAT_TEXT;
static enum log_level log_level = LOG_LEVEL_WARN;
static const char *log_ident = "cell";

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

int log_open(const char *path, struct cell_error **err)
{
	log_close();
	if (!path)
		return 0;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return cell_error_errno(err, errno, "open log file %s", path);
	log_fd = fd;
	return 0;
}

void log_close(void)
{
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = STDERR_FILENO;
}

void log_set_format(enum log_format format)
{
	log_format = format;
}

void log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level log_get_level(void)
{
	return log_level;
}

void log_set_ident(const char *ident)
{
	log_ident = ident;
}

int log_parse_format(const char *name, enum log_format *ret, struct cell_error **err)
{
	if (strcmp(name, "text") == 0)
		*ret = LOG_FORMAT_TEXT;
	else if (strcmp(name, "json") == 0)
		*ret = LOG_FORMAT_JSON;
	else
		return cell_error_set(err, EINVAL,
				      "--log-format: unknown format '%s' (text or json)", name);
	return 0;
}

/* Escape for a JSON string; truncates rather than fails. */
static size_t json_escape(char *out, size_t size, const char *in)
{
	size_t n = 0;
	for (; *in && n + 7 < size; in++) {
		unsigned char c = (unsigned char)*in;
		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20) {
			n += (size_t)snprintf(out + n, size - n, "\\u%04x", c);
		} else {
			out[n++] = (char)c;
		}
	}
	out[n] = '\0';
	return n;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level > log_level)
		return;
	int saved = errno;
	char msg[2048], line[4608];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	int n;
	if (log_format == LOG_FORMAT_JSON) {
		char escaped[4096], stamp[64];
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		size_t s = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(stamp + s, sizeof(stamp) - s, ".%09ldZ", ts.tv_nsec);
		json_escape(escaped, sizeof(escaped), msg);
		n = snprintf(line, sizeof(line),
			     "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s\"}\n",
			     level_names[level], escaped, stamp);
	} else if (log_fd == STDERR_FILENO) {
		n = snprintf(line, sizeof(line), "%s: %s%s%s\n", log_ident,
			     level == LOG_LEVEL_ERROR ? "" : level_names[level],
			     level == LOG_LEVEL_ERROR ? "" : ": ", msg);
	} else {
		n = snprintf(line, sizeof(line), "%s[%d] %s: %s\n", log_ident, getpid(),
			     level_names[level], msg);
	}
	if (n > (int)sizeof(line) - 1)
		n = sizeof(line) - 1;
	/* One write per line so that concurrent writers never interleave within a line. */
	if (n > 0 && write(log_fd, line, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
	errno = saved;
}
