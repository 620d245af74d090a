/* log.h - leveled logging to stderr or a file, as text or as runc-style JSON lines. */
#pragma once

#include "error.h"

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

enum log_format {
	LOG_FORMAT_TEXT,
	LOG_FORMAT_JSON,
};

/* Send messages to path (appended) instead of stderr; NULL restores stderr. */
int log_open(const char *path, struct cell_error **err);
void log_set_format(enum log_format format);
void log_set_level(enum log_level level);
void log_set_ident(const char *ident);
enum log_level log_get_level(void);
int log_parse_format(const char *name, enum log_format *ret, struct cell_error **err);
void log_close(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)                                         \
	do {                                                   \
		if (log_get_level() >= LOG_LEVEL_DEBUG)        \
			log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__); \
	} while (0)
