/* viewfs.h - cellfs internals: cgroup facts of a reader, the render functions, the view table. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* A growable text buffer the renderers write into. */
struct vbuf {
	char *p;
	size_t len, cap;
};
int vbuf_printf(struct vbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vbuf_put(struct vbuf *b, const char *s, size_t n);
void vbuf_reset(struct vbuf *b);
void vbuf_free(struct vbuf *b);

/* "no limit" for every limit below */
#define VIEW_UNLIMITED UINT64_MAX
/* Bitmap size of a cpu list: cpusets name cpus up to 8191 (Linux's NR_CPUS maximum). */
#define VIEW_MAX_CPUS 8192

struct cpumask {
	uint64_t bits[VIEW_MAX_CPUS / 64];
};
static inline bool cpumask_test(const struct cpumask *m, unsigned cpu)
{
	return cpu < VIEW_MAX_CPUS && (m->bits[cpu / 64] >> (cpu % 64)) & 1;
}
unsigned cpumask_count(const struct cpumask *m);

/* The coarse monotonic clock, a tick's resolution read without the tsc (5 ns here, 23 precise):
 * every age cellfs keeps is 100 ms or more, and an open reads it several times. The same clock
 * in every process (the holder's state keeps stamps across server restarts). */
static inline int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
static inline uint32_t mono_s(void)
{
	return (uint32_t)(mono_ns() / 1000000000LL);
}

/* --- parsers of cgroup and /proc files (pure, fuzzed) --- */
/* One number, or "max"/"-1"/a v1 "unlimited" page-rounded value -> VIEW_UNLIMITED. */
int cg_parse_limit(const char *s, uint64_t *ret);
/* "0-3,8,10-11" -> bitmap; -EINVAL on anything else or a cpu >= VIEW_MAX_CPUS. */
int cg_parse_cpulist(const char *s, struct cpumask *ret);
/* v2 cpu.max "max 100000" / "50000 100000" -> quota (VIEW_UNLIMITED for max) and period. */
int cg_parse_cpu_max(const char *s, uint64_t *ret_quota, uint64_t *ret_period);
/* Value of `key` in "key value" lines (memory.stat, cpu.stat, cpuacct.stat); -ENOENT if absent. */
int cg_parse_keyed(const char *s, const char *key, uint64_t *ret);
/* Path of controller `ctrl` ("" = the v2 line "0::") in /proc/PID/cgroup text; -ENOENT if absent. */
int cg_parse_proc_cgroup(const char *s, const char *ctrl, char *ret, size_t size);

struct io_dev {
	unsigned major, minor;
	uint64_t rios, wios, rbytes, wbytes;
};
/* v1 blkio.throttle.io_serviced + io_service_bytes, or v2 io.stat -> up to max devices. */
int cg_parse_blkio_v1(const char *serviced, const char *bytes, struct io_dev *devs, size_t max,
		      size_t *ret_n);
int cg_parse_io_stat_v2(const char *s, struct io_dev *devs, size_t max, size_t *ret_n);

/* --- facts about a reader, gathered from its cgroup --- */
struct mem_facts {
	uint64_t limit, usage;		 /* bytes */
	uint64_t swap_limit, swap_usage; /* bytes; swap_limit VIEW_UNLIMITED = as the host */
	uint64_t cache, anon, shmem, mapped, unevictable;
	uint64_t active_anon, inactive_anon, active_file, inactive_file;
	uint64_t slab_reclaimable, slab_unreclaimable;
	bool have_slab, have_swap;
};

struct cpu_facts {
	struct cpumask cpuset;	/* effective cpus, host numbering */
	uint64_t quota, period; /* quota VIEW_UNLIMITED = none */
	uint64_t user_ns, system_ns;
};

/* The cgroup directories of one reader (absolute paths). */
struct reader_cgroup {
	bool v2;
	bool root; /* v2 root cgroup: not in a container, and without memory.current or cpu.max */
	char memory[512], cpu[512], cpuacct[512], cpuset[512], blkio[512];
};

/* Where the cgroup hierarchies are mounted; overridable for tests. */
void cgroup_read_set_root(const char *root);
int reader_cgroup_resolve(pid_t pid, struct reader_cgroup *ret);
/* swap: also read the swap limit and usage (pointless when the host has no swap). */
int reader_mem_facts(const struct reader_cgroup *cg, bool swap, struct mem_facts *ret);
/* usage: also read the cpu time used (stat, uptime); cpuinfo and online need only the cpus. */
int reader_cpu_facts(const struct reader_cgroup *cg, bool usage, struct cpu_facts *ret);
/* The cpu time the cgroup used, user + system, in ns (uptime's idle needs only the sum). */
int reader_cpu_used(const struct reader_cgroup *cg, uint64_t *ret_ns);
int reader_io_facts(const struct reader_cgroup *cg, struct io_dev *devs, size_t max, size_t *ret_n);
/* Read a whole small file (dir may be NULL) into buf, NUL-terminated; returns length or -errno. */
ssize_t read_text(const char *dir, const char *name, char *buf, size_t size);
/* Close the fds read_text() keeps (kernfs files of a removed cgroup fail on their own; files on
 * other filesystems, as in tests, do not). */
void read_text_forget(void);
/* Close the kept fds not read for idle_seconds (the daemon's sampler calls it). */
void read_text_sweep(unsigned idle_seconds);

/* The cpus a reader sees: its cpuset (within the host's online cpus), cut to ceil(quota/period).
 * Returns their host numbers in ret (at least one), count in the return value. */
unsigned view_visible_cpus(const struct cpu_facts *f, const struct cpumask *host_online,
			   unsigned *ret, unsigned max);

/* --- pure renderers: facts (+ the host's own file) -> content; unit tested --- */
int render_meminfo(const char *host, const struct mem_facts *f, struct vbuf *out);
/* The host's meminfo cut once into kept runs and replaced lines (the host text is kept for
 * 100 ms and read at every open): rendering is then copies and a few numbers. */
#define MEMINFO_MAX_SEGS 128
struct meminfo_seg {
	uint32_t off, len;
	int16_t key; /* -1: the host's lines, kept */
	uint16_t keylen;
};
struct meminfo_tmpl {
	const char *host; /* the text the segments point into; must outlive the template */
	uint64_t host_total_kb, host_swap_kb;
	unsigned n;
	struct meminfo_seg seg[MEMINFO_MAX_SEGS];
};
int meminfo_tmpl_build(const char *host, struct meminfo_tmpl *t);
int render_meminfo_tmpl(const struct meminfo_tmpl *t, const struct mem_facts *f, struct vbuf *out);
int render_cpuinfo(const char *host, const unsigned *cpus, unsigned n, struct vbuf *out);
struct stat_facts {
	unsigned ncpus;
	uint64_t user_ticks, system_ticks; /* the container's, in USER_HZ */
	uint64_t uptime_ticks;		   /* the container's age, in USER_HZ */
};
int render_stat(const char *host, const struct stat_facts *f, struct vbuf *out);
int render_uptime(double uptime, double idle, struct vbuf *out);
struct load_facts {
	unsigned long avenrun[3]; /* FIXED_1 = 2048 fixed point, as the kernel's */
	unsigned running, total;
	int last_pid;
};
int render_loadavg(const struct load_facts *f, struct vbuf *out);
int render_diskstats(const char *host, const struct io_dev *devs, size_t n, struct vbuf *out);
/* The host's block devices, major:minor -> name, in /proc/diskstats order: parsed once and
 * again only when a cgroup counts I/O on a device it does not name (views.c), so that an open
 * reads the cgroup's I/O files only. render_diskstats() is parse + render_diskstats_table(). */
struct disk_name {
	unsigned major, minor;
	char name[64];
};
struct disk_table {
	struct disk_name *d;
	size_t n, cap;
};
int disk_table_parse(const char *host, struct disk_table *t);
void disk_table_free(struct disk_table *t);
/* Every device of devs that would be shown (it has I/O) has a name in t. */
bool disk_table_covers(const struct disk_table *t, const struct io_dev *devs, size_t n);
int render_diskstats_table(const struct disk_table *t, const struct io_dev *devs, size_t n,
			   struct vbuf *out);
int render_swaps(const char *host_swaps, const struct mem_facts *f, uint64_t host_swap_kb,
		 struct vbuf *out);
int render_cpu_online(unsigned n, struct vbuf *out);
/* node0/cpumap for n cpus, in the shape of the host's cpumap text; -EINVAL if that is no mask. */
int render_cpumap(const char *host, unsigned n, struct vbuf *out);
/* Host's "Key: N kB" value from /proc/meminfo text; 0 when absent. */
uint64_t meminfo_value_kb(const char *text, const char *key);

/* --- per-container load average, sampled every 5 s like the kernel's --- */
struct load_tracker;
/* One tracked cgroup. Plain data: the server keeps these in the holder's state memfd, so that
 * load averages survive a server restart. */
struct load_entry {
	char dir[512];
	uint8_t v2;
	uint8_t pad[7];
	uint64_t avenrun[3];
	uint32_t running, total;
	int64_t last_read; /* mono_s(): the same clock in every process */
};
struct load_tracker *load_tracker_new(void);
/* A tracker over cap entries at mem, *n of them in use (both kept by the caller). */
struct load_tracker *load_tracker_new_in(struct load_entry *mem, uint32_t *n, size_t cap);
void load_tracker_free(struct load_tracker *t);
/* Current figures for the cgroup dir (starts tracking it); last_pid is left 0 for the caller. */
void load_tracker_get(struct load_tracker *t, const struct reader_cgroup *cg,
		      struct load_facts *ret);
/* One 5-second tick: count runnable tasks of every tracked cgroup, decay the averages. */
void load_tracker_tick(struct load_tracker *t);
/* The kernel's calc_load step (exposed for tests). */
unsigned long load_calc(unsigned long load, unsigned long exp, unsigned long active);

/* --- the view table --- */
struct view_ctx {
	pid_t pid;
	struct load_tracker *load;
};
/* proc/loadavg for a cgroup (the sampled connection has no reader at hand, cache.c). */
int view_render_loadavg(const struct reader_cgroup *cg, struct load_tracker *t, struct vbuf *out);
/* Upkeep off the open path, every 5 s from the sampler (under its lock): re-read the host's
 * device names, so that a reused major:minor shows its new name within 5 s. */
void view_tick(void);
/* Render view `index` for ctx->pid into out: 0 or -errno (-EIO for a vanished reader/cgroup). */
int view_render(unsigned index, struct view_ctx *ctx, struct vbuf *out);

enum view_kind { VIEW_DIR, VIEW_FILE };
struct view_node {
	const char *name;
	int parent; /* index of the parent; -1 for a container's top directory */
	enum view_kind kind;
	const char *host_path; /* what it stands for, for --check and docs */
};
extern const struct view_node view_nodes[];
extern const unsigned view_nodes_count;
/* Child of `parent` called name, or -1. */
int view_lookup(int parent, const char *name);
