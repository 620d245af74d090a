/* storage.c - the dir pool over overlayfs: per-instance upper/work directories, an idmapped view of
 * the shared image rootfs as the lower layer, and snapshots as copies of the upper layer. */
#include "storage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "config-keys.h"
#include "fs.h"
#include "spawn.h"
#include "storage-btrfs.h"

char *storage_path(struct celld *d, const char *name, const char *sub)
{
	char *p;
	if (asprintf(&p, "%s/%s%s%s", d->instances_dir, name, sub ? "/" : "", sub ? sub : "") < 0)
		return NULL;
	return p;
}

static char *snapshot_path(struct celld *d, const char *name, const char *snap)
{
	char *p;
	if (asprintf(&p, "%s/%s%s%s", d->snapshots_dir, name, snap ? "/" : "", snap ? snap : "") <
	    0)
		return NULL;
	return p;
}

bool storage_instance_exists(struct celld *d, const char *name)
{
	_cleanup_free_ char *p = storage_path(d, name, "upper");
	return p && fs_exists(p);
}

static int btrfs_layers_create(struct celld *d, const char *name, struct cell_error **err);

int storage_instance_create(struct celld *d, const char *name, bool privileged,
			    struct cell_error **err)
{
	static const char *const subs[] = { "upper", "work", "rootfs", "lower", "run", "logs" };
	_cleanup_free_ char *dir = storage_path(d, name, NULL);
	if (!dir)
		return cell_error_set(err, ENOMEM, "out of memory");
	if (mkdir(dir, 0711) < 0)
		return cell_error_errno(err, errno, "create instance directory %s", dir);
	bool cow = btrfs_is(dir);
	if (cow) {
		int r = btrfs_layers_create(d, name, err);
		if (r < 0)
			return r;
	}
	for (size_t i = cow ? 2 : 0; i < ARRAY_SIZE(subs); i++) {
		_cleanup_free_ char *p = storage_path(d, name, subs[i]);
		if (!p || mkdir(p, 0711) < 0)
			return cell_error_errno(err, p ? errno : ENOMEM, "create %s",
						p ? p : subs[i]);
	}
	/* The overlay's root takes its owner from the upper directory: root of the instance. */
	_cleanup_free_ char *upper = storage_path(d, name, "upper");
	uid_t id = privileged ? 0 : d->idmap_base;
	if (chown(upper, id, id) < 0 || chmod(upper, 0755) < 0)
		return cell_error_errno(err, errno, "chown %s", upper);
	return 0;
}

/* On btrfs the writable layers live in a subvolume, instances/NAME/disk/{upper,work} (overlayfs
 * renames from work into upper, which cannot cross subvolumes), reached through the usual
 * instances/NAME/upper and work as symlinks. */
static int btrfs_layers_create(struct celld *d, const char *name, struct cell_error **err)
{
	static const char *const subs[] = { "upper", "work" };
	_cleanup_free_ char *disk = storage_path(d, name, "disk");
	int r = disk ? btrfs_subvolume_create(disk, err) : cell_error_set(err, ENOMEM, "oom");
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(subs); i++) {
		_cleanup_free_ char *in = NULL, *link = storage_path(d, name, subs[i]);
		char target[16];
		snprintf(target, sizeof(target), "disk/%s", subs[i]);
		if (!link || asprintf(&in, "%s/%s", disk, subs[i]) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		if (mkdir(in, 0711) < 0 || symlink(target, link) < 0)
			r = cell_error_errno(err, errno, "create %s", link);
	}
	return r;
}

/* The subvolumes of an instance (its layer, a restore's leftovers, its snapshots), which the
 * recursive removal does not cross into. Either directory may be NULL (not looked at). */
static int btrfs_instance_delete(const char *path, const char *snaps, struct cell_error **err)
{
	static const char *const subs[] = { "disk", "disk.restore", "disk.old" };
	int r = 0;
	for (size_t i = 0; path && r == 0 && i < ARRAY_SIZE(subs); i++) {
		_cleanup_free_ char *p = NULL;
		r = asprintf(&p, "%s/%s", path, subs[i]) < 0 ?
			    cell_error_set(err, ENOMEM, "out of memory") :
			    btrfs_subvolume_delete(p, err);
	}
	_cleanup_closedir_ DIR *dir = snaps ? opendir(snaps) : NULL;
	struct dirent *e;
	while (r == 0 && dir && (e = readdir(dir))) {
		_cleanup_free_ char *p = NULL;
		if (e->d_name[0] == '.')
			continue;
		if (asprintf(&p, "%s/%s", snaps, e->d_name) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		r = btrfs_subvolume_delete(p, err);
	}
	return r;
}

/* A user namespace holding the unprivileged map, for MOUNT_ATTR_IDMAP: made once, kept open. */
static int idmap_userns_fd = -1;
static pthread_mutex_t idmap_lock = PTHREAD_MUTEX_INITIALIZER;

static int write_map(pid_t pid, const char *file, const char *map)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	return fs_write_file(path, map, strlen(map), NULL);
}

static int idmap_userns(struct celld *d, struct cell_error **err)
{
	pthread_mutex_lock(&idmap_lock);
	if (idmap_userns_fd >= 0) {
		pthread_mutex_unlock(&idmap_lock);
		return idmap_userns_fd;
	}
	int p[2];
	int r = -1;
	if (pipe2(p, O_CLOEXEC) < 0) {
		pthread_mutex_unlock(&idmap_lock);
		return cell_error_errno(err, errno, "pipe");
	}
	pid_t pid = fork();
	if (pid == 0) {
		char c = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
		if (write(p[1], &c, 1) == 1)
			pause();
		_exit(0);
	}
	close(p[1]);
	char c = 'n';
	char map[64], path[64];
	snprintf(map, sizeof(map), "0 %u %u\n", (unsigned)d->idmap_base, (unsigned)d->idmap_size);
	if (pid > 0 && read(p[0], &c, 1) == 1 && c == 'y' && write_map(pid, "uid_map", map) == 0 &&
	    write_map(pid, "gid_map", map) == 0) {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
		r = open(path, O_RDONLY | O_CLOEXEC);
	}
	close(p[0]);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (r < 0)
		r = cell_error_set(err, EIO,
				   "cannot create the user namespace for idmapped mounts");
	else
		idmap_userns_fd = r;
	pthread_mutex_unlock(&idmap_lock);
	return r;
}

/* Mount an idmapped view of src on dst (the shared image rootfs, seen as owned by the range). */
static int mount_idmapped(struct celld *d, const char *src, const char *dst,
			  struct cell_error **err)
{
	int ns = idmap_userns(d, err);
	if (ns < 0)
		return ns;
	_cleanup_close_ int t =
		(int)syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (t < 0)
		return cell_error_errno(err, errno, "open_tree %s", src);
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY,
				   .userns_fd = (uint64_t)ns };
	if (syscall(SYS_mount_setattr, t, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return cell_error_errno(err, errno, "idmap %s", src);
	if (syscall(SYS_move_mount, t, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return cell_error_errno(err, errno, "move_mount %s", dst);
	return 0;
}

/* statx's STATX_ATTR_MOUNT_ROOT sees bind and idmapped mounts of the same filesystem (the image's
 * lower layer sits on the state dir's own filesystem), which comparing st_dev with the parent's
 * does not; the comparison remains for kernels older than 5.8. */
static bool is_mountpoint(const char *path)
{
	struct statx sx;
	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0, &sx) == 0 &&
	    (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
		return sx.stx_attributes & STATX_ATTR_MOUNT_ROOT;
	struct stat a, b;
	_cleanup_free_ char *parent = NULL;
	if (asprintf(&parent, "%s/..", path) < 0 || stat(path, &a) < 0 || stat(parent, &b) < 0)
		return false;
	return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

int storage_instance_mount(struct celld *d, const char *name, const char *fp, bool privileged,
			   struct cell_error **err)
{
	_cleanup_free_ char *root = storage_path(d, name, "rootfs");
	_cleanup_free_ char *lower = storage_path(d, name, "lower");
	_cleanup_free_ char *upper = storage_path(d, name, "upper");
	_cleanup_free_ char *work = storage_path(d, name, "work");
	_cleanup_free_ char *image = NULL, *opts = NULL;
	if (!root || !lower || !upper || !work)
		return cell_error_set(err, ENOMEM, "out of memory");
	if (is_mountpoint(root))
		return 0;
	if (asprintf(&image, "%s/%s/rootfs", d->images_dir, fp) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	const char *low = image;
	if (!privileged) {
		int r = mount_idmapped(d, image, lower, err);
		if (r < 0)
			return r;
		low = lower;
	}
	if (asprintf(&opts, "lowerdir=%s,upperdir=%s,workdir=%s", low, upper, work) < 0)
		opts = NULL;
	int r = 0;
	if (!opts)
		r = cell_error_set(err, ENOMEM, "out of memory");
	else if (mount("overlay", root, "overlay", 0, opts) < 0)
		r = cell_error_errno(err, errno, "mount overlay on %s", root);
	/* The overlay keeps its own reference to the idmapped layer. */
	if (!privileged)
		umount2(lower, MNT_DETACH);
	return r;
}

/* Unmount DIR/lower and DIR/rootfs of an instance directory, wherever it now is. */
static int dir_umount(const char *dir, struct cell_error **err)
{
	_cleanup_free_ char *root = NULL, *lower = NULL;
	if (asprintf(&root, "%s/rootfs", dir) < 0 || asprintf(&lower, "%s/lower", dir) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	while (is_mountpoint(lower) && umount2(lower, MNT_DETACH) == 0)
		;
	while (is_mountpoint(root)) {
		if (umount2(root, MNT_DETACH) < 0)
			return cell_error_errno(err, errno, "unmount %s", root);
	}
	return 0;
}

int storage_instance_umount(struct celld *d, const char *name, struct cell_error **err)
{
	_cleanup_free_ char *dir = storage_path(d, name, NULL);
	return dir ? dir_umount(dir, err) : cell_error_set(err, ENOMEM, "out of memory");
}

/* Unmount and remove an instance directory and its snapshots directory (either may be missing,
 * or NULL: not looked at). */
static int dir_teardown(struct celld *d, const char *dir, const char *snaps,
			struct cell_error **err)
{
	int r = dir ? dir_umount(dir, err) : 0;
	if (r < 0)
		return r;
	if (btrfs_is(d->instances_dir) && (r = btrfs_instance_delete(dir, snaps, err)) < 0)
		return r;
	r = snaps ? fs_rm_rf(snaps, err) : 0;
	return r < 0 || !dir ? r : fs_rm_rf(dir, err);
}

int storage_instance_delete(struct celld *d, const char *name, struct cell_error **err)
{
	_cleanup_free_ char *dir = storage_path(d, name, NULL);
	_cleanup_free_ char *snaps = snapshot_path(d, name, NULL);
	if (!dir || !snaps)
		return cell_error_set(err, ENOMEM, "out of memory");
	return dir_teardown(d, dir, snaps, err);
}

/*
 * The trash, instances/.trash (on the instances' own filesystem, so that moving there is one
 * rename; reconcile skips dot names): a deleted instance's directory and snapshots are renamed
 * to .trash/ID.instance and .trash/ID.snapshots under the instance's lock, which frees the name
 * at once, and are unmounted and removed later, off the request path (trash.c). Whatever is in
 * the trash is garbage, so a crash at any point leaves nothing that the next emptying misses.
 */
static char *trash_dir(struct celld *d)
{
	char *p;
	return asprintf(&p, "%s/.trash", d->instances_dir) < 0 ? NULL : p;
}

int storage_instance_trash(struct celld *d, const char *name, struct cell_error **err)
{
	static unsigned long seq;
	_cleanup_free_ char *trash = trash_dir(d);
	_cleanup_free_ char *dir = storage_path(d, name, NULL);
	_cleanup_free_ char *snaps = snapshot_path(d, name, NULL);
	_cleanup_free_ char *to_dir = NULL, *to_snaps = NULL;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	unsigned long n = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
	if (!trash || !dir || !snaps ||
	    asprintf(&to_dir, "%s/%s.%lld.%09ld.%lu.instance", trash, name, (long long)ts.tv_sec,
		     ts.tv_nsec, n) < 0 ||
	    asprintf(&to_snaps, "%s/%s.%lld.%09ld.%lu.snapshots", trash, name, (long long)ts.tv_sec,
		     ts.tv_nsec, n) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	/* Where a rename cannot be done (another filesystem), removed here and now instead. */
	if (mkdir(trash, 0700) < 0 && errno != EEXIST)
		return storage_instance_delete(d, name, err);
	if (rename(dir, to_dir) < 0 && errno != ENOENT)
		return storage_instance_delete(d, name, err);
	if (rename(snaps, to_snaps) < 0 && errno != ENOENT)
		return dir_teardown(d, NULL, snaps, err);
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

int storage_trash_empty(struct celld *d, struct cell_error **err)
{
	_cleanup_free_ char *trash = trash_dir(d);
	if (!trash)
		return cell_error_set(err, ENOMEM, "out of memory");
	_cleanup_closedir_ DIR *dp = opendir(trash);
	struct dirent *de;
	int r = 0;
	while (dp && (de = readdir(dp))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *p = NULL;
		if (asprintf(&p, "%s/%s", trash, de->d_name) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		struct cell_error **e = r == 0 ? err : NULL; /* the first error is reported */
		bool snaps = ends_with(de->d_name, ".snapshots");
		int q = dir_teardown(d, snaps ? NULL : p, snaps ? p : NULL, e);
		if (q < 0 && r == 0)
			r = q;
	}
	return r;
}

/* cp -a keeps owners, modes, xattrs, hard links and device nodes; reflinks on btrfs/xfs. */
static int copy_tree(const char *src, const char *dst, struct cell_error **err)
{
	_cleanup_free_ char *from = NULL;
	if (asprintf(&from, "%s/.", src) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	char *argv[] = { (char *)"/bin/cp", (char *)"-a", (char *)"--reflink=auto", from,
			 (char *)dst,	    NULL };
	return spawn_capture(argv, NULL, NULL, err);
}

int storage_instance_copy(struct celld *d, const char *src, const char *snap, const char *dst,
			  struct cell_error **err)
{
	_cleanup_free_ char *from = NULL;
	_cleanup_free_ char *to = storage_path(d, dst, "upper");
	if (snap)
		from = snapshot_path(d, src, snap);
	else
		from = storage_path(d, src, "upper");
	if (!from || !to)
		return cell_error_set(err, ENOMEM, "out of memory");
	if (btrfs_is(d->instances_dir)) {
		/* The new instance's empty layer is replaced by a snapshot of the source's. */
		_cleanup_free_ char *disk = storage_path(d, dst, "disk");
		_cleanup_free_ char *src_disk =
			snap ? snapshot_path(d, src, snap) : storage_path(d, src, "disk");
		if (!disk || !src_disk)
			return cell_error_set(err, ENOMEM, "out of memory");
		int r = btrfs_subvolume_delete(disk, err);
		return r < 0 ? r : btrfs_snapshot(src_disk, disk, false, err);
	}
	return copy_tree(from, to, err);
}

int storage_snapshot_create(struct celld *d, const char *name, const char *snap,
			    struct cell_error **err)
{
	_cleanup_free_ char *dir = snapshot_path(d, name, NULL);
	_cleanup_free_ char *to = snapshot_path(d, name, snap);
	_cleanup_free_ char *from = storage_path(d, name, "upper");
	if (!dir || !to || !from)
		return cell_error_set(err, ENOMEM, "out of memory");
	if (mkdir(d->snapshots_dir, 0700) < 0 && errno != EEXIST)
		return cell_error_errno(err, errno, "mkdir %s", d->snapshots_dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return cell_error_errno(err, errno, "mkdir %s", dir);
	if (btrfs_is(d->instances_dir)) {
		_cleanup_free_ char *disk = storage_path(d, name, "disk");
		return disk ? btrfs_snapshot(disk, to, true, err) :
			      cell_error_set(err, ENOMEM, "out of memory");
	}
	if (mkdir(to, 0755) < 0)
		return cell_error_errno(err, errno, "mkdir %s", to);
	return copy_tree(from, to, err);
}

/* A writable snapshot of the snapshot beside the layer, then swapped in, as on the dir pool. */
static int btrfs_restore(struct celld *d, const char *name, const char *snap,
			 struct cell_error **err)
{
	_cleanup_free_ char *disk = storage_path(d, name, "disk");
	_cleanup_free_ char *next = storage_path(d, name, "disk.restore");
	_cleanup_free_ char *old = storage_path(d, name, "disk.old");
	if (!disk || !next || !old)
		return cell_error_set(err, ENOMEM, "out of memory");
	int r = btrfs_subvolume_delete(next, err);
	if (r == 0)
		r = btrfs_snapshot(snap, next, false, err);
	if (r == 0 && (btrfs_subvolume_delete(old, err) < 0 || rename(disk, old) < 0 ||
		       rename(next, disk) < 0))
		r = cell_error_errno(err, errno, "restore %s", disk);
	return r < 0 ? r : btrfs_subvolume_delete(old, err);
}

int storage_snapshot_restore(struct celld *d, const char *name, const char *snap,
			     struct cell_error **err)
{
	_cleanup_free_ char *from = snapshot_path(d, name, snap);
	_cleanup_free_ char *upper = storage_path(d, name, "upper");
	_cleanup_free_ char *next = storage_path(d, name, "upper.restore");
	_cleanup_free_ char *old = storage_path(d, name, "upper.old");
	if (!from || !upper || !next || !old)
		return cell_error_set(err, ENOMEM, "out of memory");
	if (btrfs_is(d->instances_dir))
		return btrfs_restore(d, name, from, err);
	/* Build the restored layer beside the current one, then swap: a crash leaves one whole. */
	int r = fs_rm_rf(next, err);
	if (r == 0 && mkdir(next, 0755) < 0)
		r = cell_error_errno(err, errno, "mkdir %s", next);
	if (r == 0)
		r = copy_tree(from, next, err);
	if (r == 0 && (fs_rm_rf(old, err) < 0 || rename(upper, old) < 0 || rename(next, upper) < 0))
		r = cell_error_errno(err, errno, "restore %s", upper);
	if (r == 0)
		r = fs_rm_rf(old, err);
	return r;
}

int storage_snapshot_delete(struct celld *d, const char *name, const char *snap,
			    struct cell_error **err)
{
	_cleanup_free_ char *p = snapshot_path(d, name, snap);
	return p ? btrfs_subvolume_delete(p, err) : cell_error_set(err, ENOMEM, "out of memory");
}

int storage_instance_limit_disk(struct celld *d, const char *name, const char *value,
				struct cell_error **err)
{
	uint64_t bytes = 0;
	int r = value ? config_parse_bytes(value, 0, &bytes, err) : 0;
	if (r < 0)
		return r;
	_cleanup_free_ char *disk = storage_path(d, name, "disk");
	if (!disk)
		return cell_error_set(err, ENOMEM, "out of memory");
	if (!btrfs_is_subvolume(disk))
		return value ? cell_error_set(err, EOPNOTSUPP,
					      "limits.disk=%s: the dir pool cannot enforce it here "
					      "(%s is not on btrfs)",
					      value, d->instances_dir) :
			       0;
	return btrfs_limit(disk, bytes, err);
}
