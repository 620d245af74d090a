/* proc-loadavg.c - a load average per container, sampled every 5 s with the kernel's formula. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "viewfs.h"

#define FSHIFT 11
#define FIXED_1 (1UL << FSHIFT)
#define EXP_1 1884  /* 1/exp(5sec/1min) in fixed point */
#define EXP_5 2014  /* 1/exp(5sec/5min) */
#define EXP_15 2037 /* 1/exp(5sec/15min) */
/* A cgroup nobody asked about for this long is no longer sampled. */
#define LOAD_IDLE_SECONDS 600

struct load_tracker {
	struct load_entry *e;
	uint32_t *n;
	size_t cap;
	uint32_t own_n;
	bool own; /* e is ours to grow and free; else it lives in the state memfd, fixed in size */
};

unsigned long load_calc(unsigned long load, unsigned long exp, unsigned long active)
{
	unsigned long newload = load * exp + active * (FIXED_1 - exp);
	if (active >= load)
		newload += FIXED_1 - 1;
	return newload / FIXED_1;
}

struct load_tracker *load_tracker_new(void)
{
	struct load_tracker *t = calloc(1, sizeof(struct load_tracker));
	if (t) {
		t->own = true;
		t->n = &t->own_n;
	}
	return t;
}

struct load_tracker *load_tracker_new_in(struct load_entry *mem, uint32_t *n, size_t cap)
{
	struct load_tracker *t = calloc(1, sizeof(struct load_tracker));
	if (!t)
		return NULL;
	t->e = mem;
	t->n = n;
	t->cap = cap;
	if (*t->n > cap) /* a damaged state: start over rather than read past the end */
		*t->n = 0;
	return t;
}

void load_tracker_free(struct load_tracker *t)
{
	if (!t)
		return;
	if (t->own)
		free(t->e);
	free(t);
}

void load_tracker_get(struct load_tracker *t, const struct reader_cgroup *cg,
		      struct load_facts *ret)
{
	struct load_entry *e = NULL;
	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < *t->n && !e; i++)
		if (!strcmp(t->e[i].dir, cg->cpu))
			e = &t->e[i];
	if (!e && *t->n == t->cap && t->own) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct load_entry *ne = realloc(t->e, cap * sizeof(*ne));
		if (ne) {
			t->e = ne;
			t->cap = cap;
		}
	}
	if (!e && *t->n < t->cap) {
		e = &t->e[*t->n];
		memset(e, 0, sizeof(*e));
		snprintf(e->dir, sizeof(e->dir), "%s", cg->cpu);
		e->v2 = cg->v2;
		++*t->n; /* counted once filled: a crash in between leaves no half entry */
	}
	if (!e)
		return; /* out of memory: report zeros rather than fail the read */
	e->last_read = mono_s();
	for (int i = 0; i < 3; i++)
		ret->avenrun[i] = (unsigned long)e->avenrun[i];
	ret->running = e->running;
	ret->total = e->total;
}

/* A reader blocked on a FUSE request (ours, most often: a view being read) sleeps
 * uninterruptibly but is no load: it waits for a server, not for a CPU or a disk. */
static bool waits_on_fuse(const char *pid)
{
	char path[64], wchan[64];
	snprintf(path, sizeof(path), "/proc/%.20s/wchan", pid);
	if (read_text(NULL, path, wchan, sizeof(wchan)) <= 0)
		return false;
	return strncmp(wchan, "request_wait_answer", 19) == 0 || strncmp(wchan, "fuse_", 5) == 0;
}

/* Count the cgroup's threads and those running or in uninterruptible sleep (but not on a FUSE
 * request); false once the cgroup is gone. */
static bool count_tasks(struct load_entry *e)
{
	static char list[1 << 18];
	char path[64], st[512];
	unsigned running = 0, total = 0;
	ssize_t r = read_text(e->dir, e->v2 ? "cgroup.threads" : "tasks", list, sizeof(list));
	if (r == -ENOENT || r == -ENODEV)
		return false;
	if (r < 0)
		return true;
	for (char *p = list, *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		snprintf(path, sizeof(path), "/proc/%.20s/stat", p);
		if (read_text(NULL, path, st, sizeof(st)) <= 0)
			continue;
		const char *rp = strrchr(st, ')'); /* comm may hold spaces and parens */
		total++;
		if (rp && rp[1] == ' ' && (rp[2] == 'R' || (rp[2] == 'D' && !waits_on_fuse(p))))
			running++;
	}
	e->running = running;
	e->total = total;
	return true;
}

void load_tracker_tick(struct load_tracker *t)
{
	int64_t now = mono_s();
	for (size_t i = 0; i < *t->n;) {
		struct load_entry *e = &t->e[i];
		/* Nobody asked for a while, or the cgroup was removed: stop tracking it. */
		if (now - e->last_read > LOAD_IDLE_SECONDS || !count_tasks(e)) {
			t->e[i] = t->e[*t->n - 1];
			--*t->n;
			continue;
		}
		unsigned long active = e->running * FIXED_1;
		e->avenrun[0] = load_calc(e->avenrun[0], EXP_1, active);
		e->avenrun[1] = load_calc(e->avenrun[1], EXP_5, active);
		e->avenrun[2] = load_calc(e->avenrun[2], EXP_15, active);
		i++;
	}
}

int render_loadavg(const struct load_facts *f, struct vbuf *out)
{
#define LOAD_INT(x) ((x) >> FSHIFT)
#define LOAD_FRAC(x) LOAD_INT(((x) & (FIXED_1 - 1)) * 100)
	unsigned long a = f->avenrun[0] + FIXED_1 / 200, b = f->avenrun[1] + FIXED_1 / 200,
		      c = f->avenrun[2] + FIXED_1 / 200;
	return vbuf_printf(out, "%lu.%02lu %lu.%02lu %lu.%02lu %u/%u %d\n", LOAD_INT(a),
			   LOAD_FRAC(a), LOAD_INT(b), LOAD_FRAC(b), LOAD_INT(c), LOAD_FRAC(c),
			   f->running, f->total, f->last_pid);
#undef LOAD_INT
#undef LOAD_FRAC
}
