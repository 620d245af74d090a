/* main.c - celld: the manager daemon. Parses options, opens the database, reconciles it with the
 * disk, imports the built-in image, serves the API until SIGTERM/SIGINT, then stops cleanly
 * (running instances keep running: their monitors own them). */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "cleanup.h"
#include "config.h"
#include "fs.h"
#include "images.h"
#include "instances.h"
#include "log.h"
#include "network.h"
#include "operations.h"
#include "trash.h"
#include "viewfs-start.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: celld [OPTIONS]\n"
		"The cell manager daemon: instances, images, profiles over a REST API.\n\n"
		"  --state-dir DIR    state (database, images, instances) [/var/lib/cell]\n"
		"  --socket PATH      API socket [STATE-DIR/unix.socket]\n"
		"  --group NAME       let this group use the socket (mode 0660) [root only]\n"
		"  --runtime PATH     runc-compatible runtime [cellrt next to celld, else PATH]\n"
		"  --monitor PATH     cell-monitor binary [next to celld]\n"
		"  --image-dir DIR    built-in busybox image [%s]\n"
		"  --cgroup-parent N  cgroup parent of instances [cell]\n"
		"  --cache-dir DIR    cache of built images (debootstrap trees) [/var/cache/cell]\n"
		"  --log PATH         log file [STATE-DIR/celld.log]\n"
		"  --debug            log every request\n"
		"  -h, --help         this help\n",
		CELL_IMAGE_DIR);
}

static char *self_dir_file(const char *name)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	*slash = '\0';
	char *p;
	if (asprintf(&p, "%s/%s", exe, name) < 0)
		return NULL;
	return p;
}

/* True once per host boot: the boot id celld saw last differs from this one. */
static bool host_booted(struct celld *d)
{
	_cleanup_free_ char *now = NULL, *seen = NULL, *path = NULL;
	if (fs_read_file("/proc/sys/kernel/random/boot_id", &now, NULL, NULL) < 0 ||
	    asprintf(&path, "%s/boot_id", d->state_dir) < 0)
		return false;
	bool booted = fs_read_file(path, &seen, NULL, NULL) < 0 || strcmp(seen, now) != 0;
	fs_write_file_atomic(path, now, strlen(now), 0600, NULL);
	return booted;
}

static int setup_dirs(struct celld *d, struct cell_error **err)
{
	if (asprintf(&d->images_dir, "%s/images", d->state_dir) < 0 ||
	    asprintf(&d->instances_dir, "%s/instances", d->state_dir) < 0 ||
	    asprintf(&d->snapshots_dir, "%s/snapshots", d->state_dir) < 0 ||
	    asprintf(&d->runtime_root, "%s/runtime", d->state_dir) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	const char *dirs[] = { d->state_dir, d->images_dir, d->instances_dir, d->snapshots_dir,
			       d->runtime_root };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		int r = fs_mkdir_p(dirs[i], 0711, err);
		if (r < 0)
			return r;
	}
	/* Unprivileged instances (root = a high host id) must traverse it to reach their rootfs. */
	if (chmod(d->state_dir, 0711) < 0)
		return cell_error_errno(err, errno, "chmod %s", d->state_dir);
	/* One celld per state directory: a second one would unlink the first's socket. */
	_cleanup_free_ char *lock = NULL;
	if (asprintf(&lock, "%s/celld.lock", d->state_dir) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
		return cell_error_set(err, EBUSY, "another celld is using %s", d->state_dir);
	_cleanup_free_ char *tmp = NULL;
	if (asprintf(&tmp, "%s/tmp", d->state_dir) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	fs_rm_rf(tmp, NULL);
	return fs_mkdir_p(tmp, 0700, err);
}

static char *find_runtime(void)
{
	char *p = self_dir_file("../oci/cellrt");
	if (p && access(p, X_OK) == 0)
		return p;
	free(p);
	p = self_dir_file("cellrt");
	if (p && access(p, X_OK) == 0)
		return p;
	free(p);
	return strdup("/usr/bin/cellrt");
}

static int parse_args(int argc, char **argv, struct celld *d, const char **group, const char **logp,
		      bool *debug)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'S' },
		{ "group", required_argument, NULL, 'g' },
		{ "runtime", required_argument, NULL, 'r' },
		{ "monitor", required_argument, NULL, 'm' },
		{ "image-dir", required_argument, NULL, 'i' },
		{ "cgroup-parent", required_argument, NULL, 'c' },
		{ "cache-dir", required_argument, NULL, 'C' },
		{ "log", required_argument, NULL, 'l' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			d->state_dir = strdup(optarg);
			break;
		case 'S':
			d->socket_path = strdup(optarg);
			break;
		case 'g':
			*group = optarg;
			break;
		case 'r':
			d->runtime = strdup(optarg);
			break;
		case 'm':
			d->monitor = strdup(optarg);
			break;
		case 'i':
			d->builtin_image = strdup(optarg);
			break;
		case 'c':
			d->cgroup_parent = strdup(optarg);
			break;
		case 'C':
			d->cache_dir = strdup(optarg);
			break;
		case 'l':
			*logp = optarg;
			break;
		case 'd':
			*debug = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "celld: unexpected argument: %s\n", argv[optind]);
		return -1;
	}
	return 0;
}

static int celld_init(struct celld *d, struct cell_error **err)
{
	if (!d->state_dir)
		d->state_dir = strdup("/var/lib/cell");
	if (!d->socket_path && asprintf(&d->socket_path, "%s/unix.socket", d->state_dir) < 0)
		d->socket_path = NULL;
	if (!d->runtime)
		d->runtime = find_runtime();
	if (!d->monitor)
		d->monitor = self_dir_file("cell-monitor");
	if (!d->builtin_image)
		d->builtin_image = strdup(CELL_IMAGE_DIR);
	if (!d->cgroup_parent)
		d->cgroup_parent = strdup("cell");
	if (!d->cache_dir)
		d->cache_dir = strdup("/var/cache/cell");
	struct sysinfo si;
	sysinfo(&si);
	d->host_mem = (uint64_t)si.totalram * si.mem_unit;
	d->host_cpus = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	d->idmap_base = 1000000;
	d->idmap_size = 1000000000;
	if (!d->state_dir || !d->socket_path || !d->runtime || !d->monitor)
		return cell_error_set(err, ENOMEM, "out of memory");
	return 0;
}

static void celld_free(struct celld *d)
{
	char **strings[] = { &d->state_dir,	&d->socket_path,   &d->runtime,
			     &d->runtime_root,	&d->monitor,	   &d->cgroup_parent,
			     &d->images_dir,	&d->instances_dir, &d->snapshots_dir,
			     &d->builtin_image, &d->cache_dir };
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		free(*strings[i]);
		*strings[i] = NULL;
	}
}

int main(int argc, char **argv)
{
	/* Freed on every return after parse_args (sanitizer builds check that nothing leaks). */
	__attribute__((cleanup(celld_free))) struct celld d = { 0 };
	const char *group = NULL, *logp = NULL;
	bool debug = false;
	_cleanup_error_ struct cell_error *e = NULL;
	/* Declared up front: the error path jumps over their initializations. */
	_cleanup_free_ char *logdefault = NULL, *dbpath = NULL, *cellfs = NULL;
	struct api_server *srv = NULL;
	sigset_t set;
	int sig;
	if (parse_args(argc, argv, &d, &group, &logp, &debug) < 0)
		return 2;
	log_set_ident("celld");
	if (debug)
		log_set_level(LOG_LEVEL_DEBUG);
	gid_t gid = (gid_t)-1;
	if (group) {
		struct group *g = getgrnam(group);
		if (!g) {
			fprintf(stderr, "celld: unknown group: %s\n", group);
			return 1;
		}
		gid = g->gr_gid;
	}
	if (celld_init(&d, &e) < 0 || setup_dirs(&d, &e) < 0)
		goto fail;
	if (!logp && asprintf(&logdefault, "%s/celld.log", d.state_dir) >= 0)
		logp = logdefault;
	if (log_open(logp, &e) < 0)
		goto fail;
	if (asprintf(&dbpath, "%s/cell.db", d.state_dir) < 0 || db_open(dbpath, &d.db, &e) < 0)
		goto fail;
	/* Operation threads and the HTTP threads must not get these; sigwait below takes them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Before reconcile: instances it autostarts bind the views too. */
	cellfs = self_dir_file("../viewfs/cellfs");
	if (!cellfs || access(cellfs, X_OK) < 0) {
		free(cellfs);
		cellfs = self_dir_file("cellfs");
	}
	celld_viewfs_start(cellfs && access(cellfs, X_OK) == 0 ? cellfs : "/usr/bin/cellfs",
			   d.state_dir);
	if (instances_reconcile(&d, host_booted(&d), &e) < 0 || images_import_builtin(&d, &e) < 0 ||
	    networks_restore(&d, &e) < 0)
		goto fail;
	if (trash_start(&d, &e) < 0 || api_server_start(&d, gid, &srv, &e) < 0)
		goto fail;
	log_info("celld %s ready on %s (runtime %s)", CELL_VERSION, d.socket_path, d.runtime);
	do {
		sigwait(&set, &sig);
	} while (sig == SIGHUP);
	log_info("celld stopping (signal %d)", sig);
	api_server_stop(srv);
	/* Let operations in flight finish their step so that the database stays consistent. */
	for (int i = 0; i < 600 && op_running_count(); i++)
		usleep(50 * 1000);
	/* What deletes moved to the trash is removed before celld ends. */
	trash_stop();
	db_close(d.db);
	log_info("celld stopped");
	return 0;
fail:
	log_error("%s", e ? e->msg : "failed");
	cell_error_print(e, "celld", stderr);
	return 1;
}
