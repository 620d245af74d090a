/* viewfs-start.c - start a cellfs for the /proc views of celld's instances when none runs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "viewfs-mounts.h"
#include "viewfs-start.h"

#define FUSE_SUPER_MAGIC 0x65735546

static bool cellfs_mounted(const char *mnt)
{
	struct statfs s;
	return statfs(mnt, &s) == 0 && s.f_type == FUSE_SUPER_MAGIC;
}

/* The mountpoint the runtime binds views from: the same variable and default it reads. */
const char *celld_viewfs_mount(void)
{
	const char *m = getenv("CELL_VIEWFS_MOUNT");
	return m && *m ? m : VIEWFS_DEFAULT_MOUNT;
}

/*
 * Every instance's spec carries cell.viewfs=true; this starts the cellfs that serves it when none
 * is mounted yet. cellfs is detached (own session, not our child to reap): like the instances'
 * monitors it outlives celld, and its holder survives restarts of its own server. Without a
 * cellfs binary, instances still start: the runtime warns and they see the host's figures.
 */
void celld_viewfs_start(const char *cellfs, const char *state_dir)
{
	const char *mnt = celld_viewfs_mount();
	if (cellfs_mounted(mnt)) {
		log_info("viewfs: using the cellfs mounted at %s", mnt);
		return;
	}
	if (!cellfs || access(cellfs, X_OK) < 0) {
		log_warn("viewfs: no cellfs binary (%s); instances see the host's /proc figures",
			 cellfs ? cellfs : "none");
		return;
	}
	if (fs_mkdir_p(mnt, 0755, NULL) < 0) {
		log_warn("viewfs: cannot create %s: %m; instances see the host's /proc figures",
			 mnt);
		return;
	}
	char log[4096], pidfile[4096];
	snprintf(log, sizeof(log), "%s/cellfs.log", state_dir);
	snprintf(pidfile, sizeof(pidfile), "%s/cellfs.pid", state_dir);
	pid_t pid = fork();
	if (pid < 0) {
		log_warn("viewfs: fork: %m");
		return;
	}
	if (pid == 0) {
		/* A grandchild, so that celld never has to reap it. */
		setsid();
		if (fork() != 0)
			_exit(0);
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (null >= 0)
			dup2(null, 0);
		if (out >= 0) {
			dup2(out, 1);
			dup2(out, 2);
		}
		FILE *f = fopen(pidfile, "we");
		if (f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
		execl(cellfs, cellfs, mnt, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	for (int i = 0; i < 200 && !cellfs_mounted(mnt); i++)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	if (cellfs_mounted(mnt))
		log_info("viewfs: started %s on %s", cellfs, mnt);
	else
		log_warn("viewfs: %s did not mount %s (see %s); instances see the host's /proc "
			 "figures",
			 cellfs, mnt, log);
}
