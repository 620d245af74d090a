/* main.c - cellfs: per-container /proc and /sys views over FUSE; holder, server and --check. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"
#include "fuse.h"
#include "holder.h"
#include "log.h"
#include "viewfs.h"

#define DEFAULT_MOUNTPOINT "/run/cellfs"

static const char usage[] =
	"NAME\n"
	"    cellfs - every container sees its own limits in /proc and /sys\n"
	"\n"
	"SYNOPSIS\n"
	"    cellfs [--no-passthrough] [--log FILE] [--log-level LEVEL] [MOUNTPOINT]\n"
	"    cellfs --check PID\n"
	"    cellfs --help | --version\n"
	"\n"
	"DESCRIPTION\n"
	"    Mounts a FUSE filesystem on MOUNTPOINT (default " DEFAULT_MOUNTPOINT
	") and serves, under\n"
	"    MOUNTPOINT/ID/ for any container id ID, the files\n"
	"        proc/meminfo proc/cpuinfo proc/stat proc/uptime proc/loadavg proc/diskstats\n"
	"        proc/swaps proc/pressure/{cpu,memory,io} sys/devices/system/cpu/{online,possible,present}\n"
	"    each computed at open time for the process that opens it: memory and swap from its\n"
	"    memory cgroup, cpus from its cpuset cut to the cpu quota rounded up, uptime from the start\n"
	"    of its pid namespace's init, cpu time and I/O from its cgroup, and a load average that\n"
	"    cellfs samples every 5 seconds per container. cgroup v1 and v2 both. A directory ID\n"
	"    appears on first lookup; the runtime bind-mounts its files over the container's own.\n"
	"\n"
	"    Beside it, MOUNTPOINT.cache serves ID/proc/loadavg, a 5-second sample, from the\n"
	"    kernel's page cache: no request to cellfs per open or read; every 5 s cellfs hands\n"
	"    the kernel each container's new text. It shows the load of the cgroup of the first\n"
	"    process that reads it; the runtime binds it over /proc/loadavg. MOUNTPOINT/.stats\n"
	"    counts the requests each connection was sent.\n"
	"\n"
	"    The process started is a holder that owns the /dev/fuse connection and runs the server\n"
	"    as a child; if the server dies it is started again (from the binary on disk, so\n"
	"    replacing the binary and sending SIGHUP to the holder upgrades it) and running\n"
	"    containers see no error. On kernels with FUSE passthrough (6.9+), each open costs one\n"
	"    round trip to cellfs and reads go straight to a file holding the reader's content.\n"
	"\n"
	"OPTIONS\n"
	"    --check PID        print every view as process PID would see it, then exit\n"
	"    --no-passthrough   serve reads from cellfs even where the kernel has passthrough\n"
	"    --log FILE         log to FILE instead of stderr\n"
	"    --log-level LEVEL  error, warn, info (default) or debug\n"
	"    -h, --help         this text\n"
	"    --version          print the version\n"
	"\n"
	"SIGNALS\n"
	"    SIGTERM, SIGINT    (to the holder) unmount and exit\n"
	"    SIGHUP             (to the holder) restart the server\n"
	"\n"
	"EXIT STATUS\n"
	"    0 on a clean unmount, 1 on an error (printed as one line).\n";

static int check_pid(const char *arg)
{
	char *end;
	long pid = strtol(arg, &end, 10);
	struct vbuf out = { 0 };
	if (*arg == '\0' || *end != '\0' || pid <= 0 || pid > INT32_MAX) {
		fprintf(stderr, "cellfs: --check: '%s' is not a pid\n", arg);
		return 1;
	}
	struct reader_cgroup cg;
	if (reader_cgroup_resolve((pid_t)pid, &cg) < 0) {
		fprintf(stderr, "cellfs: --check: no process %ld\n", pid);
		return 1;
	}
	struct load_tracker *lt = load_tracker_new();
	struct view_ctx ctx = { .pid = (pid_t)pid, .load = lt };
	printf("# pid %ld: memory cgroup %s, cpu cgroup %s (%s)\n", pid, cg.memory, cg.cpu,
	       cg.v2 ? "v2" : "v1");
	int status = 0;
	for (unsigned i = 0; i < view_nodes_count; i++) {
		if (view_nodes[i].kind != VIEW_FILE || !view_nodes[i].host_path)
			continue;
		int r = view_render(i, &ctx, &out);
		printf("==> %s <==\n", view_nodes[i].host_path);
		if (r < 0) {
			printf("(error: %s)\n", strerror(-r));
			status = 1;
		} else {
			fwrite(out.p, 1, out.len, stdout);
		}
	}
	vbuf_free(&out);
	load_tracker_free(lt);
	return status;
}

static int run_server(const char *fdarg, bool no_passthrough)
{
	_cleanup_error_ struct cell_error *err = NULL;
	int fuse, state, dir, cache;
	log_set_ident("cellfs-server");
	if (holder_receive(atoi(fdarg), &fuse, &state, &dir, &cache, &err) < 0) {
		cell_error_print(err, "cellfs", stderr);
		return 1;
	}
	close(atoi(fdarg));
	struct cellfs_server_opts o = { .fuse_fd = fuse,
					.state_fd = state,
					.backing_dir = dir,
					.cache_fd = cache,
					.no_passthrough = no_passthrough };
	int r = cellfs_serve(&o, &err);
	if (r == -EINTR)
		return 2; /* asked to stop: the holder starts a new server */
	if (r < 0) {
		cell_error_print(err, "cellfs", stderr);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "check", required_argument, NULL, 'c' },
		{ "no-passthrough", no_argument, NULL, 'P' },
		{ "log", required_argument, NULL, 'l' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "serve-fd", required_argument, NULL, 'S' },
		{ 0 },
	};
	_cleanup_error_ struct cell_error *err = NULL;
	const char *serve_fd = NULL, *check = NULL;
	char *server_args[8] = { 0 };
	int nargs = 0;
	bool no_passthrough = false;
	int c;
	log_set_ident("cellfs");
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			printf("cellfs %s\n", CELL_VERSION);
			return 0;
		case 'c':
			check = optarg;
			break;
		case 'P':
			no_passthrough = true;
			server_args[nargs++] = (char *)"--no-passthrough";
			break;
		case 'l':
			if (log_open(optarg, &err) < 0) {
				cell_error_print(err, "cellfs", stderr);
				return 1;
			}
			server_args[nargs++] = (char *)"--log";
			server_args[nargs++] = optarg;
			break;
		case 'L':
			if (!strcmp(optarg, "debug"))
				log_set_level(LOG_LEVEL_DEBUG);
			else if (!strcmp(optarg, "info"))
				log_set_level(LOG_LEVEL_INFO);
			else if (!strcmp(optarg, "warn"))
				log_set_level(LOG_LEVEL_WARN);
			else if (!strcmp(optarg, "error"))
				log_set_level(LOG_LEVEL_ERROR);
			else {
				fprintf(stderr, "cellfs: --log-level: unknown level '%s'\n",
					optarg);
				return 1;
			}
			server_args[nargs++] = (char *)"--log-level";
			server_args[nargs++] = optarg;
			break;
		case 'S':
			serve_fd = optarg;
			break;
		default:
			fprintf(stderr, "cellfs: try 'cellfs --help'\n");
			return 1;
		}
	}
	if (check)
		return check_pid(check);
	if (serve_fd)
		return run_server(serve_fd, no_passthrough);
	if (argc - optind > 1) {
		fprintf(stderr, "cellfs: one mountpoint expected, got %d arguments\n",
			argc - optind);
		return 1;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0) {
		perror("cellfs: /proc/self/exe");
		return 1;
	}
	exe[n] = '\0';
	struct holder_opts o = { .mountpoint = optind < argc ? argv[optind] : DEFAULT_MOUNTPOINT,
				 .exe = exe,
				 .server_args = server_args,
				 .no_passthrough = no_passthrough };
	if (holder_run(&o, &err) < 0) {
		cell_error_print(err, "cellfs", stderr);
		return 1;
	}
	return 0;
}
