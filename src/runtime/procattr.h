/* procattr.h - the process attributes set by one syscall each: personality (linux.personality),
 * I/O priority (process.ioPriority) and scheduling (process.scheduler). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct spec_sched {
	bool set;
	uint32_t policy;
	int32_t nice;
	uint32_t priority;
	uint64_t flags, runtime, deadline, period;
};

struct spec_ioprio {
	bool set;
	int class, priority;
};

/* Parse the objects as config.json has them; where names the field in errors. */
int procattr_parse_scheduler(json_t *obj, const char *where, struct spec_sched *ret,
			     struct cell_error **err);
int procattr_parse_ioprio(json_t *obj, const char *where, struct spec_ioprio *ret,
			  struct cell_error **err);
/* ret: the personality(2) value, or -1 when obj is NULL or null. */
int procattr_parse_personality(json_t *obj, long *ret, struct cell_error **err);

/* Apply to the calling process (while it still has its capabilities: RT policies need them). */
int procattr_apply(const struct spec_sched *sched, const struct spec_ioprio *io, long persona,
		   struct cell_error **err);
