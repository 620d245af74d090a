/* rlimits.c - process.rlimits, set before the user switch so that hard limits can be raised. */
#include "rlimits.h"

#include <errno.h>
#include <sys/resource.h>

int rlimits_apply(const struct spec_process *p, struct cell_error **err)
{
	for (size_t i = 0; i < p->nrlimits; i++) {
		struct rlimit rl = { .rlim_cur = p->rlimits[i].soft,
				     .rlim_max = p->rlimits[i].hard };
		if (setrlimit(p->rlimits[i].resource, &rl) < 0)
			return cell_error_errno(err, errno, "process.rlimits[%zu]: setrlimit", i);
	}
	return 0;
}
