/* views.c - the tree each container gets (path -> handler table) and the per-reader gatherers. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "viewfs.h"

enum {
	V_TOP,
	V_PROC,
	V_MEMINFO,
	V_CPUINFO,
	V_STAT,
	V_UPTIME,
	V_LOADAVG,
	V_DISKSTATS,
	V_SWAPS,
	V_PRESSURE,
	V_PSI_CPU,
	V_PSI_MEMORY,
	V_PSI_IO,
	V_SYS,
	V_SYS_DEVICES,
	V_SYS_SYSTEM,
	V_SYS_CPU,
	V_CPU_ONLINE,
	V_FLOOR,
	V_CPU_POSSIBLE,
	V_CPU_PRESENT,
	V_SYS_NODE,
	V_NODE0,
	V_NODE0_CPULIST,
	V_NODE0_CPUMAP,
	V_COUNT,
};

/* Index order is the inode layout inside a container directory: keep it stable, since a new
 * server after a restart must give every node the number the kernel already knows. */
const struct view_node view_nodes[] = {
	[V_TOP] = { "", -1, VIEW_DIR, NULL },
	[V_PROC] = { "proc", V_TOP, VIEW_DIR, "/proc" },
	[V_MEMINFO] = { "meminfo", V_PROC, VIEW_FILE, "/proc/meminfo" },
	[V_CPUINFO] = { "cpuinfo", V_PROC, VIEW_FILE, "/proc/cpuinfo" },
	[V_STAT] = { "stat", V_PROC, VIEW_FILE, "/proc/stat" },
	[V_UPTIME] = { "uptime", V_PROC, VIEW_FILE, "/proc/uptime" },
	[V_LOADAVG] = { "loadavg", V_PROC, VIEW_FILE, "/proc/loadavg" },
	[V_DISKSTATS] = { "diskstats", V_PROC, VIEW_FILE, "/proc/diskstats" },
	[V_SWAPS] = { "swaps", V_PROC, VIEW_FILE, "/proc/swaps" },
	[V_PRESSURE] = { "pressure", V_PROC, VIEW_DIR, "/proc/pressure" },
	[V_PSI_CPU] = { "cpu", V_PRESSURE, VIEW_FILE, "/proc/pressure/cpu" },
	[V_PSI_MEMORY] = { "memory", V_PRESSURE, VIEW_FILE, "/proc/pressure/memory" },
	[V_PSI_IO] = { "io", V_PRESSURE, VIEW_FILE, "/proc/pressure/io" },
	[V_SYS] = { "sys", V_TOP, VIEW_DIR, "/sys" },
	[V_SYS_DEVICES] = { "devices", V_SYS, VIEW_DIR, "/sys/devices" },
	[V_SYS_SYSTEM] = { "system", V_SYS_DEVICES, VIEW_DIR, "/sys/devices/system" },
	[V_SYS_CPU] = { "cpu", V_SYS_SYSTEM, VIEW_DIR, "/sys/devices/system/cpu" },
	[V_CPU_ONLINE] = { "online", V_SYS_CPU, VIEW_FILE, "/sys/devices/system/cpu/online" },
	/* A constant file served by the same path: the benchmark's floor. */
	[V_FLOOR] = { ".floor", V_TOP, VIEW_FILE, NULL },
	/* lscpu counts the cpus of these masks and reads cpuN/ only for them. */
	[V_CPU_POSSIBLE] = { "possible", V_SYS_CPU, VIEW_FILE, "/sys/devices/system/cpu/possible" },
	[V_CPU_PRESENT] = { "present", V_SYS_CPU, VIEW_FILE, "/sys/devices/system/cpu/present" },
	/* One NUMA node holding the view's cpus (lscpu reads cpumap, numactl/hwloc cpulist). */
	[V_SYS_NODE] = { "node", V_SYS_SYSTEM, VIEW_DIR, "/sys/devices/system/node" },
	[V_NODE0] = { "node0", V_SYS_NODE, VIEW_DIR, "/sys/devices/system/node/node0" },
	[V_NODE0_CPULIST] = { "cpulist", V_NODE0, VIEW_FILE,
			      "/sys/devices/system/node/node0/cpulist" },
	[V_NODE0_CPUMAP] = { "cpumap", V_NODE0, VIEW_FILE,
			     "/sys/devices/system/node/node0/cpumap" },
};
const unsigned view_nodes_count = V_COUNT;

int view_lookup(int parent, const char *name)
{
	for (unsigned i = 1; i < V_COUNT; i++)
		if (view_nodes[i].parent == parent && !strcmp(view_nodes[i].name, name))
			return (int)i;
	return -1;
}

/* Big files are read into this once per request; the daemon serves one request at a time. */
static char host_buf[1 << 17];

/*
 * Host-wide files, kept for a moment: they give only the host's totals and its host-wide lines
 * (interrupts, context switches, the disks' names), never a container's own numbers, which are
 * read fresh at every open. cpuinfo is kept longer: reading it samples every cpu's clock.
 */
#define HOST_TTL_NS 100000000LL
struct host_file {
	const char *path;
	long long ttl_ns;
	long long stamp;
	ssize_t len;
	char *buf;
	size_t size;
};
#define HOST_ONLINE 3 /* the index of /sys/devices/system/cpu/online below */
static struct host_file host_files[] = {
	{ "/proc/meminfo", HOST_TTL_NS, 0, -1, NULL, 1 << 14 },
	{ "/proc/stat", HOST_TTL_NS, 0, -1, NULL, 1 << 17 },
	{ "/proc/swaps", HOST_TTL_NS, 0, -1, NULL, 1 << 14 },
	{ "/sys/devices/system/cpu/online", HOST_TTL_NS, 0, -1, NULL, 1 << 12 },
	{ "/proc/cpuinfo", 10 * HOST_TTL_NS, 0, -1, NULL, 1 << 20 },
	/* only its last field, the host's most recent pid, as LXCFS shows it */
	{ "/proc/loadavg", HOST_TTL_NS, 0, -1, NULL, 256 },
	{ "/sys/devices/system/node/node0/cpumap", 10 * HOST_TTL_NS, 0, -1, NULL, 4096 },
};

static const char *host_file(const char *path)
{
	for (size_t i = 0; i < sizeof(host_files) / sizeof(host_files[0]); i++) {
		struct host_file *h = &host_files[i];
		if (strcmp(h->path, path) != 0)
			continue;
		long long now = mono_ns();
		if (h->len >= 0 && now - h->stamp < h->ttl_ns)
			return h->buf;
		if (!h->buf && !(h->buf = malloc(h->size)))
			return NULL;
		ssize_t n = read_text(NULL, path, h->buf, h->size);
		if (n < 0)
			return h->len >= 0 ? h->buf : NULL;
		h->len = n;
		h->stamp = now;
		return h->buf;
	}
	return NULL;
}

/* The host's online cpus, parsed again only when the kept text was re-read. */
static const struct cpumask *host_online(void)
{
	static struct cpumask online;
	static long long parsed = -1;
	static bool ok;
	const char *t = host_file("/sys/devices/system/cpu/online");
	if (!t)
		return NULL;
	if (parsed != host_files[HOST_ONLINE].stamp) {
		ok = cg_parse_cpulist(t, &online) == 0;
		parsed = host_files[HOST_ONLINE].stamp;
	}
	return ok ? &online : NULL;
}

static unsigned visible_cpus(const struct cpu_facts *cf, unsigned *cpus, unsigned max)
{
	return view_visible_cpus(cf, host_online(), cpus, max);
}

/* Field 22 of /proc/PID/stat: start time in clock ticks after boot. */
static int proc_starttime(pid_t pid, unsigned long long *ret)
{
	char path[64], st[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_text(NULL, path, st, sizeof(st)) <= 0)
		return -ESRCH;
	const char *p = strrchr(st, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", ret) != 1)
		return -EIO;
	return 0;
}

/* The init of pid's pid namespace: walk up parents to the first whose innermost pid is 1. */
static pid_t ns_init(pid_t pid)
{
	for (int depth = 0; depth < 128 && pid > 0; depth++) {
		char path[64], st[4096];
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
		if (read_text(NULL, path, st, sizeof(st)) <= 0)
			return -ESRCH;
		char *ns = strstr(st, "\nNSpid:");
		char *pp = strstr(st, "\nPPid:");
		if (!ns || !pp)
			return -EIO;
		char *nl = strchr(ns + 1, '\n');
		if (nl)
			*nl = '\0';
		char *last = strrchr(ns, '\t');
		if (last && atoi(last + 1) == 1)
			return pid;
		pid = atoi(pp + 6);
	}
	return -ESRCH;
}

/*
 * Start time of each pid namespace's init, by namespace inode. The entry holds an fd on the
 * namespace, which keeps it alive, so its inode number cannot be reused under the entry.
 */
#define INIT_CACHE 1024
static struct init_entry {
	ino_t ino;
	dev_t dev;
	int nsfd;
	unsigned long long start;
} init_cache[INIT_CACHE];

static int ns_init_start_uncached(pid_t pid, unsigned long long *ret)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	static struct stat self;
	if (self.st_ino == 0 && stat("/proc/self/ns/pid", &self) < 0)
		return -ESRCH;
	if (stat(path, &st) < 0)
		return -ESRCH;
	if (st.st_ino == self.st_ino && st.st_dev == self.st_dev)
		return -EEXIST; /* our own namespace: the host's uptime */
	struct init_entry *e = &init_cache[st.st_ino % INIT_CACHE];
	if (e->nsfd > 0 && e->ino == st.st_ino && e->dev == st.st_dev) {
		*ret = e->start;
		return 0;
	}
	pid_t init = ns_init(pid);
	if (init <= 1 || proc_starttime(init, ret) < 0)
		return -ESRCH;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat again;
	if (fd < 0 || fstat(fd, &again) < 0 || again.st_ino != st.st_ino) {
		if (fd >= 0)
			close(fd);
		return 0; /* answer, but do not cache a namespace that changed under us */
	}
	if (e->nsfd > 0)
		close(e->nsfd);
	*e = (struct init_entry){ st.st_ino, st.st_dev, fd, *ret };
	return 0;
}

/*
 * What a reader's pid resolves to - its cgroup directories and its pid namespace's init start -
 * kept for a second. Reading /proc/PID/cgroup walks every hierarchy under the css_set lock: it
 * was the biggest single cost of an open for a reader that reads again and again (top, a JVM, a
 * monitoring agent). A pidfd taken before the resolution proves at each hit that the pid still
 * names the same thread (a dead one's pid could be reused); the second bounds how long a
 * process moved to another cgroup keeps its old view.
 */
#define PID_CACHE 256
#define PID_TTL_NS 1000000000LL
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
static struct pid_entry {
	pid_t pid;
	int pidfd; /* 0: empty */
	long long stamp;
	int start_rc; /* 1: not yet asked */
	unsigned long long start;
	struct reader_cgroup cg;
} pid_cache[PID_CACHE];

/* A pidfd polls readable once its thread (PIDFD_THREAD) or process has exited; a pid is reused
 * only after that. poll costs 0.45 us here, pidfd_send_signal(0) 0.75 us (its permission checks). */
static bool pidfd_alive(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	return poll(&p, 1, 0) == 0;
}

static void pid_entry_drop(struct pid_entry *e)
{
	if (e->pidfd > 0)
		close(e->pidfd);
	e->pidfd = 0;
	e->pid = 0;
}

/* The reader's cached entry, resolved now if absent or stale; NULL if it cannot be cached
 * (then ret holds the resolution). */
static struct pid_entry *reader_resolve(pid_t pid, struct reader_cgroup *ret, int *ret_rc)
{
	struct pid_entry *e = &pid_cache[(unsigned)pid % PID_CACHE];
	long long now = mono_ns();
	if (e->pidfd > 0 && e->pid == pid && now - e->stamp < PID_TTL_NS && pidfd_alive(e->pidfd)) {
		*ret_rc = 0;
		return e;
	}
	pid_entry_drop(e);
	/* The pidfd first: if the thread is still alive after the read, the read was its. */
	int pidfd = (int)syscall(SYS_pidfd_open, pid, PIDFD_THREAD);
	if (pidfd < 0)
		pidfd = (int)syscall(SYS_pidfd_open, pid, 0); /* before 6.9: leaders only */
	*ret_rc = reader_cgroup_resolve(pid, ret);
	if (*ret_rc < 0 || pidfd < 0 || !pidfd_alive(pidfd)) {
		if (pidfd >= 0)
			close(pidfd);
		return NULL;
	}
	if (pidfd == 0) { /* 0 marks an empty entry; never happens in a daemon with stdin open */
		close(pidfd);
		return NULL;
	}
	*e = (struct pid_entry){ .pid = pid, .pidfd = pidfd, .stamp = now, .start_rc = 1 };
	e->cg = *ret;
	return e;
}

static int ns_init_start(pid_t pid, struct pid_entry *e, unsigned long long *ret)
{
	if (!e)
		return ns_init_start_uncached(pid, ret);
	if (e->start_rc == 1)
		e->start_rc = ns_init_start_uncached(pid, &e->start);
	*ret = e->start;
	return e->start_rc;
}

static double container_uptime(pid_t pid, struct pid_entry *pe)
{
	struct timespec ts;
	unsigned long long start;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	double up = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (ns_init_start(pid, pe, &start) < 0)
		return up;
	double since = up - (double)start / (double)sysconf(_SC_CLK_TCK);
	return since > 0 ? since : 0;
}

static int render_pressure(const struct reader_cgroup *cg, const char *what, struct vbuf *out)
{
	char name[32];
	ssize_t n = -ENOENT;
	snprintf(name, sizeof(name), "%s.pressure", what);
	if (cg->v2)
		n = read_text(cg->cpu, name, host_buf, sizeof(host_buf));
	if (n < 0) { /* v1 keeps pressure only for the whole host */
		snprintf(name, sizeof(name), "/proc/pressure/%s", what);
		n = read_text(NULL, name, host_buf, sizeof(host_buf));
	}
	return n < 0 ? -EIO : vbuf_put(out, host_buf, (size_t)n);
}

#define HOST_MEMINFO 0 /* the index of /proc/meminfo in host_files */

static int view_mem(unsigned index, const struct reader_cgroup *cg, struct vbuf *out)
{
	static struct meminfo_tmpl tmpl;
	static long long built = -1;
	struct mem_facts mf;
	const char *meminfo = host_file("/proc/meminfo");
	if (!meminfo)
		return -EIO;
	if (built != host_files[HOST_MEMINFO].stamp || tmpl.host != meminfo) {
		if (meminfo_tmpl_build(meminfo, &tmpl) < 0)
			return -EIO;
		built = host_files[HOST_MEMINFO].stamp;
	}
	/* A host without swap: /proc/swaps is its header line for everyone, and the memory.stat
	 * the kernel would format for the swap figures (most of the cost) is not read. */
	bool need_facts = index == V_MEMINFO || tmpl.host_swap_kb > 0;
	memset(&mf, 0, sizeof(mf));
	int r = need_facts ? reader_mem_facts(cg, tmpl.host_swap_kb > 0, &mf) : 0;
	if (r < 0)
		return r;
	if (index == V_MEMINFO)
		return render_meminfo_tmpl(&tmpl, &mf, out);
	const char *swaps = host_file("/proc/swaps");
	if (!swaps)
		return -EIO;
	return render_swaps(swaps, &mf, tmpl.host_swap_kb, out);
}

static int view_cpu(unsigned index, pid_t pid, struct pid_entry *pe, const struct reader_cgroup *cg,
		    struct vbuf *out)
{
	static struct cpu_facts cf;
	static unsigned cpus[VIEW_MAX_CPUS];
	uint64_t used_ns = 0;
	int r = reader_cpu_facts(cg, index == V_STAT, &cf);
	if (r == 0 && index == V_UPTIME)
		r = reader_cpu_used(cg, &used_ns);
	if (r < 0)
		return r;
	unsigned n = visible_cpus(&cf, cpus, VIEW_MAX_CPUS);
	if (index == V_CPU_ONLINE || index == V_CPU_POSSIBLE || index == V_CPU_PRESENT ||
	    index == V_NODE0_CPULIST)
		return render_cpu_online(n, out);
	if (index == V_NODE0_CPUMAP) {
		const char *host = host_file("/sys/devices/system/node/node0/cpumap");
		return host && render_cpumap(host, n, out) == 0 ? 0 : -EIO;
	}
	if (index == V_CPUINFO) {
		const char *host = host_file("/proc/cpuinfo");
		return host ? render_cpuinfo(host, cpus, n, out) : -EIO;
	}
	double up = container_uptime(pid, pe);
	if (index == V_UPTIME)
		return render_uptime(up, up * n - (double)used_ns / 1e9, out);
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t ns_per_tick = 1000000000 / (uint64_t)(hz > 0 ? hz : 100);
	struct stat_facts sf = {
		.ncpus = n,
		.user_ticks = cf.user_ns / ns_per_tick,
		.system_ticks = cf.system_ns / ns_per_tick,
		.uptime_ticks = (uint64_t)(up * (double)(hz > 0 ? hz : 100)),
	};
	const char *stat = host_file("/proc/stat");
	return stat ? render_stat(stat, &sf, out) : -EIO;
}

/* The host's device names (see disk_table in viewfs.h), read when a cgroup counts I/O on a
 * device they lack - at most once a second, so that a device the host no longer lists does not
 * bring the read back into every open - and every 5 s by view_tick(). */
static struct disk_table disks;
static long long disks_read = -1;

static int disks_refresh(void)
{
	ssize_t n = read_text(NULL, "/proc/diskstats", host_buf, sizeof(host_buf));
	disks_read = mono_ns();
	return n < 0 ? -EIO : disk_table_parse(host_buf, &disks);
}

void view_tick(void)
{
	if (disks_read >= 0)
		(void)disks_refresh();
}

static int view_diskstats(const struct reader_cgroup *cg, struct vbuf *out)
{
	static struct io_dev devs[256];
	size_t n;
	int r = reader_io_facts(cg, devs, 256, &n);
	if (r < 0)
		return r;
	if ((disks_read < 0 ||
	     (!disk_table_covers(&disks, devs, n) && mono_ns() - disks_read >= 1000000000LL)) &&
	    disks_refresh() < 0)
		return -EIO;
	return render_diskstats_table(&disks, devs, n, out);
}

int view_render_loadavg(const struct reader_cgroup *cg, struct load_tracker *t, struct vbuf *out)
{
	struct load_facts lf;
	vbuf_reset(out);
	if (cg->root) {
		ssize_t n = read_text(NULL, "/proc/loadavg", host_buf, sizeof(host_buf));
		return n < 0 ? -EIO : vbuf_put(out, host_buf, (size_t)n);
	}
	load_tracker_get(t, cg, &lf);
	const char *host = host_file("/proc/loadavg");
	const char *sp = host ? strrchr(host, ' ') : NULL;
	lf.last_pid = sp ? atoi(sp + 1) : 0;
	return render_loadavg(&lf, out);
}

int view_render(unsigned index, struct view_ctx *ctx, struct vbuf *out)
{
	struct reader_cgroup cgbuf;
	if (index >= V_COUNT || view_nodes[index].kind != VIEW_FILE)
		return -EISDIR;
	if (index == V_FLOOR) {
		vbuf_reset(out);
		return vbuf_printf(out, "cellfs\n");
	}
	int r;
	struct pid_entry *pe = reader_resolve(ctx->pid, &cgbuf, &r);
	if (r < 0)
		return -EIO; /* the reader exited or its cgroup is unreadable */
	const struct reader_cgroup *cg = pe ? &pe->cg : &cgbuf;
	vbuf_reset(out);
	if (cg->root && view_nodes[index].host_path) {
		/* A reader in the v2 root cgroup is in no container: it sees the host. */
		ssize_t n =
			read_text(NULL, view_nodes[index].host_path, host_buf, sizeof(host_buf));
		return n < 0 ? -EIO : vbuf_put(out, host_buf, (size_t)n);
	}
	switch (index) {
	case V_MEMINFO:
	case V_SWAPS:
		return view_mem(index, cg, out);
	case V_CPUINFO:
	case V_STAT:
	case V_UPTIME:
	case V_CPU_ONLINE:
	case V_CPU_POSSIBLE:
	case V_CPU_PRESENT:
	case V_NODE0_CPULIST:
	case V_NODE0_CPUMAP:
		return view_cpu(index, ctx->pid, pe, cg, out);
	case V_LOADAVG:
		return ctx->load ? view_render_loadavg(cg, ctx->load, out) : -EIO;
	case V_DISKSTATS:
		return view_diskstats(cg, out);
	case V_PSI_CPU:
		return render_pressure(cg, "cpu", out);
	case V_PSI_MEMORY:
		return render_pressure(cg, "memory", out);
	case V_PSI_IO:
		return render_pressure(cg, "io", out);
	}
	return -ENOENT;
}
