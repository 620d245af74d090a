/* cgroup-read.c - read a reader's cgroup (v1 or v2) into facts; the parsers are pure and fuzzed. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "viewfs.h"

unsigned cpumask_count(const struct cpumask *m)
{
	unsigned n = 0;
	for (size_t i = 0; i < VIEW_MAX_CPUS / 64; i++)
		n += (unsigned)__builtin_popcountll(m->bits[i]);
	return n;
}

/* Parse a decimal u64 at *s, advancing it; no sign, no overflow. */
static int parse_u64(const char **s, uint64_t *ret)
{
	const char *p = *s;
	uint64_t v = 0;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*s = p;
	*ret = v;
	return 0;
}

static const char *skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static bool at_end(const char *p)
{
	p = skip_blank(p);
	return *p == '\0' || (*p == '\n' && p[1] == '\0');
}

int cg_parse_limit(const char *s, uint64_t *ret)
{
	const char *p = skip_blank(s);
	uint64_t v;
	if (strncmp(p, "max", 3) == 0 && at_end(p + 3)) {
		*ret = VIEW_UNLIMITED;
		return 0;
	}
	if (strncmp(p, "-1", 2) == 0 && at_end(p + 2)) {
		*ret = VIEW_UNLIMITED;
		return 0;
	}
	if (parse_u64(&p, &v) < 0 || !at_end(p))
		return -EINVAL;
	/* v1 writes "unlimited" as PAGE_COUNTER_MAX pages in bytes (9223372036854771712). */
	*ret = v >= (UINT64_C(1) << 62) ? VIEW_UNLIMITED : v;
	return 0;
}

int cg_parse_cpulist(const char *s, struct cpumask *ret)
{
	const char *p = skip_blank(s);
	memset(ret, 0, sizeof(*ret));
	if (at_end(p))
		return 0; /* an empty cpuset: no cpus */
	for (;;) {
		uint64_t a, b;
		if (parse_u64(&p, &a) < 0)
			return -EINVAL;
		b = a;
		if (*p == '-') {
			p++;
			if (parse_u64(&p, &b) < 0 || b < a)
				return -EINVAL;
		}
		if (b >= VIEW_MAX_CPUS)
			return -EINVAL;
		for (uint64_t c = a; c <= b; c++)
			ret->bits[c / 64] |= UINT64_C(1) << (c % 64);
		if (*p == ',') {
			p++;
			continue;
		}
		return at_end(p) ? 0 : -EINVAL;
	}
}

int cg_parse_cpu_max(const char *s, uint64_t *ret_quota, uint64_t *ret_period)
{
	const char *p = skip_blank(s);
	uint64_t quota, period = 100000;
	if (strncmp(p, "max", 3) == 0) {
		quota = VIEW_UNLIMITED;
		p += 3;
	} else if (parse_u64(&p, &quota) < 0) {
		return -EINVAL;
	}
	p = skip_blank(p);
	if (!at_end(p) && (parse_u64(&p, &period) < 0 || !at_end(p)))
		return -EINVAL;
	if (period == 0)
		return -EINVAL;
	*ret_quota = quota;
	*ret_period = period;
	return 0;
}

int cg_parse_keyed(const char *s, const char *key, uint64_t *ret)
{
	size_t klen = strlen(key);
	for (const char *line = s; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, key, klen) != 0 || (line[klen] != ' ' && line[klen] != '\t'))
			continue;
		const char *p = skip_blank(line + klen);
		return parse_u64(&p, ret);
	}
	return -ENOENT;
}

int cg_parse_proc_cgroup(const char *s, const char *ctrl, char *ret, size_t size)
{
	size_t clen = strlen(ctrl);
	for (const char *line = s; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *c1 = strchr(line, ':');
		const char *nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line);
		if (!c1 || c1 > nl)
			continue;
		const char *list = c1 + 1;
		const char *c2 = memchr(list, ':', (size_t)(nl - list));
		if (!c2)
			continue;
		bool match = false;
		if (clen == 0) {
			match = c2 == list && strncmp(line, "0:", 2) == 0;
		} else {
			/* "cpu,cpuacct" names several controllers; "name=systemd" is not one. */
			for (const char *t = list; t < c2;) {
				const char *comma = memchr(t, ',', (size_t)(c2 - t));
				const char *end = comma ? comma : c2;
				if ((size_t)(end - t) == clen && strncmp(t, ctrl, clen) == 0)
					match = true;
				t = end + 1;
			}
		}
		if (!match)
			continue;
		size_t plen = (size_t)(nl - (c2 + 1));
		if (plen == 0 || c2[1] != '/' || plen >= size)
			return -EINVAL;
		memcpy(ret, c2 + 1, plen);
		ret[plen] = '\0';
		return 0;
	}
	return -ENOENT;
}

static struct io_dev *io_find(struct io_dev *devs, size_t max, size_t *n, unsigned ma, unsigned mi)
{
	for (size_t i = 0; i < *n; i++)
		if (devs[i].major == ma && devs[i].minor == mi)
			return &devs[i];
	if (*n >= max)
		return NULL;
	devs[*n] = (struct io_dev){ .major = ma, .minor = mi };
	return &devs[(*n)++];
}

/* "MAJ:MIN" at *p, advancing it. */
static int parse_devnum(const char **p, unsigned *ma, unsigned *mi)
{
	uint64_t a, b;
	if (parse_u64(p, &a) < 0 || **p != ':')
		return -EINVAL;
	(*p)++;
	if (parse_u64(p, &b) < 0 || a > UINT32_MAX || b > UINT32_MAX)
		return -EINVAL;
	*ma = (unsigned)a;
	*mi = (unsigned)b;
	return 0;
}

/* v1 "8:0 Read 123" lines; `bytes` selects which counters to fill. */
static int parse_blkio_lines(const char *s, bool bytes, struct io_dev *devs, size_t max, size_t *n)
{
	for (const char *line = s; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *p = line;
		unsigned ma, mi;
		uint64_t v;
		if (strncmp(p, "Total", 5) == 0 || *p == '\n')
			continue;
		if (parse_devnum(&p, &ma, &mi) < 0 || *p != ' ')
			return -EINVAL;
		p++;
		bool rd = strncmp(p, "Read ", 5) == 0, wr = strncmp(p, "Write ", 6) == 0;
		if (!rd && !wr)
			continue; /* Sync, Async, Discard, Total */
		p += rd ? 5 : 6;
		if (parse_u64(&p, &v) < 0)
			return -EINVAL;
		struct io_dev *d = io_find(devs, max, n, ma, mi);
		if (!d)
			continue;
		if (bytes)
			*(rd ? &d->rbytes : &d->wbytes) = v;
		else
			*(rd ? &d->rios : &d->wios) = v;
	}
	return 0;
}

int cg_parse_blkio_v1(const char *serviced, const char *bytes, struct io_dev *devs, size_t max,
		      size_t *ret_n)
{
	size_t n = 0;
	int r = parse_blkio_lines(serviced, false, devs, max, &n);
	if (r == 0)
		r = parse_blkio_lines(bytes, true, devs, max, &n);
	*ret_n = n;
	return r;
}

int cg_parse_io_stat_v2(const char *s, struct io_dev *devs, size_t max, size_t *ret_n)
{
	size_t n = 0;
	*ret_n = 0;
	for (const char *line = s; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *p = line;
		unsigned ma, mi;
		if (*p == '\n')
			continue;
		if (parse_devnum(&p, &ma, &mi) < 0)
			return -EINVAL;
		struct io_dev *d = io_find(devs, max, &n, ma, mi);
		while (*p == ' ') {
			p++;
			const char *eq = strchr(p, '=');
			const char *nl = strchr(p, '\n');
			uint64_t v;
			if (!eq || (nl && eq > nl))
				return -EINVAL;
			const char *key = p;
			size_t klen = (size_t)(eq - p);
			p = eq + 1;
			if (parse_u64(&p, &v) < 0)
				return -EINVAL;
			if (!d)
				continue;
			if (klen == 4 && !strncmp(key, "rios", 4))
				d->rios = v;
			else if (klen == 4 && !strncmp(key, "wios", 4))
				d->wios = v;
			else if (klen == 6 && !strncmp(key, "rbytes", 6))
				d->rbytes = v;
			else if (klen == 6 && !strncmp(key, "wbytes", 6))
				d->wbytes = v;
		}
		if (*p != '\n' && *p != '\0')
			return -EINVAL;
	}
	*ret_n = n;
	return 0;
}

/* --- reading the files --- */

static char cgroup_root[256] = "/sys/fs/cgroup";

void cgroup_read_set_root(const char *root)
{
	snprintf(cgroup_root, sizeof(cgroup_root), "%s", root);
}

/*
 * Kept fds of the files read again and again (host /proc files, cgroup files): a seq file re-reads
 * fresh content on pread at offset 0, and skipping open's path walk and close halves the cost of
 * a view. A cgroup that was removed answers ENODEV on its old fds: the entry is dropped and the
 * file reopened (and then not found: the reader gets EIO).
 */
#define FD_CACHE_SIZE 4096
struct fd_entry {
	char *path;
	int fd;
	uint32_t last_used; /* monotonic seconds */
};
static struct fd_entry fd_cache[FD_CACHE_SIZE];

/*
 * A cgroup's cpu limits (effective cpuset, quota, period), parsed, kept for 100 ms: every cpu
 * view needs them (cpuinfo, stat, uptime, online/possible/present) and a tool reads several of
 * them at once (lscpu, top, a runtime sizing its thread pools), which then cost one kernfs read
 * (stat, uptime) or none instead of three or four. A limit changed on a live container shows
 * up to 100 ms late; the cpu time used is read at every open. Keyed by both directories.
 */
#define LIMITS_CACHE 64
#define LIMITS_TTL_NS 100000000LL
static struct limits_entry {
	long long stamp; /* 0: empty */
	bool v2;
	char cpuset[512], cpu[512];
	struct cpumask mask;
	uint64_t quota, period;
} limits_cache[LIMITS_CACHE];

static uint32_t path_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* one_record: the file is a cgroup file (kernfs, one seq record) or a plain file, so a short
 * read is the whole of it and the pread that would return 0 can be skipped: a syscall per file.
 * Multi-record seq files (/proc/cpuinfo, /proc/diskstats) return a page at a time. */
static ssize_t read_fd(int fd, char *buf, size_t size, bool one_record)
{
	size_t len = 0;
	while (len + 1 < size) {
		ssize_t n = pread(fd, buf + len, size - 1 - len, (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		if (one_record && (size_t)n < size - 1 - (len - (size_t)n))
			break;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

/* /proc/PID files are kept too: an fd pins the process it was opened for, so once that process
 * is gone a reused pid cannot be misread - pread answers ESRCH and the file is reopened. */
static bool cacheable(const char *path)
{
	return true;
}

/* Removed cgroups and exited readers leave entries that nothing reads again: close those. */
void read_text_sweep(unsigned idle_seconds)
{
	uint32_t now = mono_s();
	for (size_t i = 0; i < FD_CACHE_SIZE; i++) {
		if (fd_cache[i].path && now - fd_cache[i].last_used > idle_seconds) {
			close(fd_cache[i].fd);
			free(fd_cache[i].path);
			fd_cache[i].path = NULL;
		}
	}
}

void read_text_forget(void)
{
	memset(limits_cache, 0, sizeof(limits_cache));
	for (size_t i = 0; i < FD_CACHE_SIZE; i++) {
		if (fd_cache[i].path) {
			close(fd_cache[i].fd);
			free(fd_cache[i].path);
			fd_cache[i].path = NULL;
		}
	}
}

ssize_t read_text(const char *dir, const char *name, char *buf, size_t size)
{
	char path[1024];
	/* A file in a cgroup directory, except the task lists (iterated a page at a time). */
	bool one_record = dir && strcmp(name, "tasks") != 0 && strncmp(name, "cgroup.", 7) != 0;
	if (dir) { /* not snprintf: this is on every open's path */
		size_t dl = strlen(dir), nl = strlen(name);
		if (dl + 1 + nl >= sizeof(path))
			return -ENAMETOOLONG;
		memcpy(path, dir, dl);
		path[dl] = '/';
		memcpy(path + dl + 1, name, nl + 1);
		name = path;
	}
	struct fd_entry *e = NULL;
	if (cacheable(name)) {
		e = &fd_cache[path_hash(name) % FD_CACHE_SIZE];
		if (e->path && strcmp(e->path, name) == 0) {
			ssize_t n = read_fd(e->fd, buf, size, one_record);
			if (n >= 0) {
				e->last_used = mono_s();
				return n;
			}
		}
		if (e->path) { /* a collision or a dead fd: replace */
			close(e->fd);
			free(e->path);
			e->path = NULL;
		}
	}
	int fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read_fd(fd, buf, size, one_record);
	if (e && n >= 0 && (e->path = strdup(name))) {
		e->fd = fd;
		e->last_used = mono_s();
		return n;
	}
	close(fd);
	return n;
}

static int read_u64_file(const char *dir, const char *name, uint64_t *ret)
{
	char buf[64];
	ssize_t n = read_text(dir, name, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return cg_parse_limit(buf, ret);
}

static bool cgroup_is_v2(void)
{
	static int cached = -1;
	if (cached < 0) {
		char p[300];
		snprintf(p, sizeof(p), "%s/cgroup.controllers", cgroup_root);
		cached = access(p, F_OK) == 0;
	}
	return cached;
}

static int ctrl_dir(const char *proc, const char *ctrl, char *ret, size_t size)
{
	char rel[400];
	int r = cg_parse_proc_cgroup(proc, ctrl, rel, sizeof(rel));
	if (r < 0)
		return r;
	if ((size_t)snprintf(ret, size, "%s/%s%s", cgroup_root, ctrl,
			     strcmp(rel, "/") ? rel : "") >= size)
		return -ENAMETOOLONG;
	return 0;
}

int reader_cgroup_resolve(pid_t pid, struct reader_cgroup *ret)
{
	char path[64], proc[4096];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	ssize_t n = read_text(NULL, path, proc, sizeof(proc));
	if (n < 0)
		return n == -ENOENT ? -ESRCH : (int)n;
	memset(ret, 0, sizeof(*ret));
	if (cgroup_is_v2()) {
		char rel[400];
		int r = cg_parse_proc_cgroup(proc, "", rel, sizeof(rel));
		if (r < 0)
			return r;
		ret->v2 = true;
		ret->root = strcmp(rel, "/") == 0;
		if ((size_t)snprintf(ret->memory, sizeof(ret->memory), "%s%s", cgroup_root,
				     strcmp(rel, "/") ? rel : "") >= sizeof(ret->memory))
			return -ENAMETOOLONG;
		memcpy(ret->cpu, ret->memory, sizeof(ret->cpu));
		memcpy(ret->cpuacct, ret->memory, sizeof(ret->cpu));
		memcpy(ret->cpuset, ret->memory, sizeof(ret->cpu));
		memcpy(ret->blkio, ret->memory, sizeof(ret->cpu));
		return 0;
	}
	static const struct {
		const char *ctrl;
		size_t off;
	} map[] = {
		{ "memory", offsetof(struct reader_cgroup, memory) },
		{ "cpu", offsetof(struct reader_cgroup, cpu) },
		{ "cpuacct", offsetof(struct reader_cgroup, cpuacct) },
		{ "cpuset", offsetof(struct reader_cgroup, cpuset) },
		{ "blkio", offsetof(struct reader_cgroup, blkio) },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		char *dst = (char *)ret + map[i].off;
		if (ctrl_dir(proc, map[i].ctrl, dst, sizeof(ret->memory)) < 0)
			snprintf(dst, sizeof(ret->memory), "%s/%s", cgroup_root, map[i].ctrl);
	}
	return 0;
}

/* The smallest value of `name` from dir up to the root (v2 limits are hierarchical). */
static uint64_t min_up(const char *dir, const char *name)
{
	char d[512];
	uint64_t best = VIEW_UNLIMITED, v;
	snprintf(d, sizeof(d), "%s", dir);
	size_t rootlen = strlen(cgroup_root);
	while (strlen(d) > rootlen) {
		if (read_u64_file(d, name, &v) == 0 && v < best)
			best = v;
		char *slash = strrchr(d, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	return best;
}

static void stat_get(const char *text, const char *key, uint64_t *ret)
{
	if (cg_parse_keyed(text, key, ret) < 0)
		*ret = 0;
}

/*
 * Several keys in one pass over "key value" lines (memory.stat has ~70 lines and a view needs
 * ~11 of them). A key that is absent leaves its value as it was.
 */
static void stat_get_many(const char *text, const char *const *keys, uint64_t *const *vals,
			  size_t n)
{
	size_t lens[16];
	if (n > 16)
		n = 16;
	for (size_t i = 0; i < n; i++)
		lens[i] = strlen(keys[i]);
	for (const char *line = text; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		size_t klen = 0;
		while (line[klen] && line[klen] != ' ' && line[klen] != '\t' && line[klen] != '\n')
			klen++;
		if (line[klen] != ' ' && line[klen] != '\t')
			continue;
		for (size_t i = 0; i < n; i++) {
			if (lens[i] != klen || memcmp(keys[i], line, klen) != 0)
				continue;
			const char *p = skip_blank(line + klen);
			uint64_t v;
			if (parse_u64(&p, &v) == 0)
				*vals[i] = v;
			break;
		}
	}
}

int reader_mem_facts(const struct reader_cgroup *cg, bool swap, struct mem_facts *f)
{
	char st[8192];
	memset(f, 0, sizeof(*f));
	ssize_t n = read_text(cg->memory, "memory.stat", st, sizeof(st));
	if (n < 0)
		return -EIO; /* the cgroup vanished under the reader */
	if (cg->v2) {
		f->limit = min_up(cg->memory, "memory.max");
		if (read_u64_file(cg->memory, "memory.current", &f->usage) < 0)
			return -EIO;
		static const char *const keys[] = {
			"file",
			"anon",
			"shmem",
			"file_mapped",
			"unevictable",
			"active_anon",
			"inactive_anon",
			"active_file",
			"inactive_file",
			"slab_reclaimable",
			"slab_unreclaimable",
		};
		uint64_t *const vals[] = {
			&f->cache,
			&f->anon,
			&f->shmem,
			&f->mapped,
			&f->unevictable,
			&f->active_anon,
			&f->inactive_anon,
			&f->active_file,
			&f->inactive_file,
			&f->slab_reclaimable,
			&f->slab_unreclaimable,
		};
		stat_get_many(st, keys, vals, sizeof(keys) / sizeof(keys[0]));
		f->have_slab = true;
		f->swap_limit = min_up(cg->memory, "memory.swap.max");
		f->have_swap =
			read_u64_file(cg->memory, "memory.swap.current", &f->swap_usage) == 0;
		return 0;
	}
	uint64_t memsw_limit = UINT64_MAX - 1, memsw_usage = 0;
	static const char *const keys[] = {
		"hierarchical_memory_limit",
		"hierarchical_memsw_limit",
		"total_cache",
		"total_rss",
		"total_shmem",
		"total_mapped_file",
		"total_unevictable",
		"total_active_anon",
		"total_inactive_anon",
		"total_active_file",
		"total_inactive_file",
	};
	uint64_t *const vals[] = {
		&f->limit,	   &memsw_limit,    &f->cache,	       &f->anon,
		&f->shmem,	   &f->mapped,	    &f->unevictable,   &f->active_anon,
		&f->inactive_anon, &f->active_file, &f->inactive_file,
	};
	f->limit = UINT64_MAX - 1; /* a sentinel: a memory.stat without the key */
	stat_get_many(st, keys, vals, sizeof(keys) / sizeof(keys[0]));
	if (f->limit == UINT64_MAX - 1 ||
	    read_u64_file(cg->memory, "memory.usage_in_bytes", &f->usage) < 0)
		return -EIO;
	if (f->limit >= (UINT64_C(1) << 62))
		f->limit = VIEW_UNLIMITED;
	/* memsw counts memory + swap; without swap accounting the files are absent. */
	if (swap && memsw_limit != UINT64_MAX - 1 &&
	    read_u64_file(cg->memory, "memory.memsw.usage_in_bytes", &memsw_usage) == 0) {
		f->have_swap = true;
		if (memsw_limit >= (UINT64_C(1) << 62) || f->limit == VIEW_UNLIMITED)
			f->swap_limit = VIEW_UNLIMITED;
		else
			f->swap_limit = memsw_limit > f->limit ? memsw_limit - f->limit : 0;
		f->swap_usage = memsw_usage > f->usage ? memsw_usage - f->usage : 0;
	} else {
		f->swap_limit = VIEW_UNLIMITED;
	}
	return 0;
}

static int cpu_limits_read(const struct reader_cgroup *cg, struct cpu_facts *f)
{
	char buf[8192];
	f->quota = VIEW_UNLIMITED;
	f->period = 100000;
	ssize_t n =
		read_text(cg->cpuset, cg->v2 ? "cpuset.cpus.effective" : "cpuset.effective_cpus",
			  buf, sizeof(buf));
	if (n < 0 && cg->v2) /* no cpuset controller enabled there: the host's cpus */
		n = read_text(NULL, "/sys/devices/system/cpu/online", buf, sizeof(buf));
	if (n < 0 || cg_parse_cpulist(buf, &f->cpuset) < 0)
		return -EIO;
	if (cg->v2) {
		if (read_text(cg->cpu, "cpu.max", buf, sizeof(buf)) >= 0)
			(void)cg_parse_cpu_max(buf, &f->quota, &f->period);
		return 0;
	}
	uint64_t q, p;
	if (read_u64_file(cg->cpu, "cpu.cfs_quota_us", &q) == 0 &&
	    read_u64_file(cg->cpu, "cpu.cfs_period_us", &p) == 0 && p > 0 && p != VIEW_UNLIMITED) {
		f->quota = q;
		f->period = p;
	}
	return 0;
}

static int cpu_limits(const struct reader_cgroup *cg, struct cpu_facts *f)
{
	uint32_t h = path_hash(cg->cpuset) ^ (path_hash(cg->cpu) * 31u);
	struct limits_entry *e = &limits_cache[h % LIMITS_CACHE];
	long long now = mono_ns();
	if (e->stamp && now - e->stamp < LIMITS_TTL_NS && e->v2 == cg->v2 &&
	    !strcmp(e->cpuset, cg->cpuset) && !strcmp(e->cpu, cg->cpu)) {
		f->cpuset = e->mask;
		f->quota = e->quota;
		f->period = e->period;
		return 0;
	}
	int r = cpu_limits_read(cg, f);
	if (r < 0 || strlen(cg->cpuset) >= sizeof(e->cpuset) || strlen(cg->cpu) >= sizeof(e->cpu))
		return r;
	e->stamp = now;
	e->v2 = cg->v2;
	strcpy(e->cpuset, cg->cpuset);
	strcpy(e->cpu, cg->cpu);
	e->mask = f->cpuset;
	e->quota = f->quota;
	e->period = f->period;
	return 0;
}

int reader_cpu_facts(const struct reader_cgroup *cg, bool usage, struct cpu_facts *f)
{
	char buf[8192];
	/* Not the 1 KB cpu mask: cpu_limits fills it. */
	f->quota = f->period = f->user_ns = f->system_ns = 0;
	if (cpu_limits(cg, f) < 0)
		return -EIO;
	if (!usage)
		return 0;
	if (cg->v2) {
		if (read_text(cg->cpu, "cpu.stat", buf, sizeof(buf)) < 0)
			return -EIO;
		uint64_t u = 0, s = 0;
		stat_get(buf, "user_usec", &u);
		stat_get(buf, "system_usec", &s);
		f->user_ns = u * 1000;
		f->system_ns = s * 1000;
		return 0;
	}
	if (read_text(cg->cpuacct, "cpuacct.stat", buf, sizeof(buf)) < 0)
		return -EIO;
	/* cpuacct.stat counts USER_HZ ticks. */
	uint64_t u = 0, s = 0;
	long hz = sysconf(_SC_CLK_TCK);
	stat_get(buf, "user", &u);
	stat_get(buf, "system", &s);
	f->user_ns = u * (1000000000 / (uint64_t)(hz > 0 ? hz : 100));
	f->system_ns = s * (1000000000 / (uint64_t)(hz > 0 ? hz : 100));
	return 0;
}

/* v1: cpuacct.usage is the sum_exec_runtime that cpuacct.stat's user and system are scaled to
 * add up to (cputime_adjust), in ns: a pread of it costs 0.8-0.9 us here, of cpuacct.stat
 * 1.3-1.5. Without it (a test's fake tree), the sum of cpuacct.stat. */
int reader_cpu_used(const struct reader_cgroup *cg, uint64_t *ret_ns)
{
	struct cpu_facts f;
	if (!cg->v2 && read_u64_file(cg->cpuacct, "cpuacct.usage", ret_ns) == 0 &&
	    *ret_ns != VIEW_UNLIMITED)
		return 0;
	if (reader_cpu_facts(cg, true, &f) < 0)
		return -EIO;
	*ret_ns = f.user_ns + f.system_ns;
	return 0;
}

int reader_io_facts(const struct reader_cgroup *cg, struct io_dev *devs, size_t max, size_t *ret_n)
{
	static char a[65536], b[65536]; /* single-threaded daemon */
	*ret_n = 0;
	if (cg->v2) {
		if (read_text(cg->blkio, "io.stat", a, sizeof(a)) < 0)
			return -EIO;
		return cg_parse_io_stat_v2(a, devs, max, ret_n) < 0 ? -EIO : 0;
	}
	if (read_text(cg->blkio, "blkio.throttle.io_serviced", a, sizeof(a)) < 0 ||
	    cg_parse_blkio_v1(a, "", devs, max, ret_n) < 0)
		return -EIO;
	/* A device is shown only with I/O done: without any, the bytes cannot matter. */
	bool any = false;
	for (size_t i = 0; i < *ret_n && !any; i++)
		any = devs[i].rios + devs[i].wios > 0;
	if (!any)
		return 0;
	if (read_text(cg->blkio, "blkio.throttle.io_service_bytes", b, sizeof(b)) < 0)
		return -EIO;
	return cg_parse_blkio_v1(a, b, devs, max, ret_n) < 0 ? -EIO : 0;
}

unsigned view_visible_cpus(const struct cpu_facts *f, const struct cpumask *host_online,
			   unsigned *ret, unsigned max)
{
	uint64_t limit = UINT64_MAX;
	unsigned n = 0;
	/* Round the quota up, as LXCFS's --enable-cfs does: 0.5 cpu shows one cpu. */
	if (f->quota != VIEW_UNLIMITED && f->period > 0)
		limit = f->quota / f->period + (f->quota % f->period ? 1 : 0);
	if (limit == 0)
		limit = 1;
	/* A word at a time: the cpus of a cpuset are few among the 8192 a mask can name. */
	for (unsigned w = 0; w < VIEW_MAX_CPUS / 64 && n < max && n < limit; w++) {
		uint64_t bits = f->cpuset.bits[w] & (host_online ? host_online->bits[w] : ~0ULL);
		for (; bits && n < max && n < limit; bits &= bits - 1)
			ret[n++] = w * 64 + (unsigned)__builtin_ctzll(bits);
	}
	if (n == 0 && max > 0) /* an empty or offline cpuset: say one cpu rather than none */
		ret[n++] = 0;
	return n;
}
