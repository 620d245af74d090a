/* namespaces.c - namespaces created at clone time, joined by path, and the time namespace, whose
 * offsets must be written before any process enters it. */
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

void ns_close_all(int fds[NS__MAX])
{
	for (int t = 0; t < NS__MAX; t++)
		if (fds[t] >= 0) {
			close(fds[t]);
			fds[t] = -1;
		}
}

int ns_open_joined(const struct spec *s, int fds[NS__MAX], struct cell_error **err)
{
	for (int t = 0; t < NS__MAX; t++)
		fds[t] = -1;
	for (int t = 0; t < NS__MAX; t++) {
		if (!s->ns[t].path)
			continue;
		int fd = open(s->ns[t].path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			ns_close_all(fds);
			return cell_error_errno(err, errno,
						"linux.namespaces: %s namespace path %s",
						spec_ns_name(t), s->ns[t].path);
		}
		fds[t] = fd;
		int kind = ioctl(fd, NS_GET_NSTYPE);
		if (kind != spec_ns_clone_flag(t)) {
			ns_close_all(fds);
			return cell_error_set(err, EINVAL,
					      "linux.namespaces: %s is not a %s namespace",
					      s->ns[t].path, spec_ns_name(t));
		}
	}
	return 0;
}

int ns_clone_flags(const struct spec *s)
{
	int flags = 0;
	bool join_user = s->ns[NS_USER].path != NULL;
	for (int t = 0; t < NS__MAX; t++) {
		if (!s->ns[t].enabled || s->ns[t].path)
			continue;
		/* time: offsets first (ns_join_and_unshare); cgroup: after the cgroup attach. */
		if (t == NS_TIME || t == NS_CGROUP)
			continue;
		/* Under a joined user namespace the others are created after joining it. */
		if (join_user && t != NS_PID)
			continue;
		flags |= spec_ns_clone_flag(t);
	}
	return flags;
}

static int time_ns_setup(const struct spec *s, struct cell_error **err)
{
	if (unshare(CLONE_NEWTIME) < 0)
		return cell_error_errno(err, errno, "linux.namespaces: create a time namespace");
	char buf[128];
	int n = 0;
	if (s->time_monotonic.set)
		n += snprintf(buf + n, sizeof(buf) - n, "monotonic %lld %u\n",
			      (long long)s->time_monotonic.secs, s->time_monotonic.nanosecs);
	if (s->time_boottime.set)
		n += snprintf(buf + n, sizeof(buf) - n, "boottime %lld %u\n",
			      (long long)s->time_boottime.secs, s->time_boottime.nanosecs);
	if (n > 0) {
		_cleanup_close_ int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, buf, n) != n)
			return cell_error_errno(err, errno,
						"linux.timeOffsets: the kernel refused "
						"'%.*s'",
						n - 1, buf);
	}
	/* Enter it ourselves, so that the container's process is in it without another fork. */
	_cleanup_close_ int fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWTIME) < 0)
		return cell_error_errno(err, errno, "enter the new time namespace");
	return 0;
}

int ns_join_and_unshare(const struct spec *s, int fds[NS__MAX], struct cell_error **err)
{
	for (int t = 0; t < NS__MAX; t++) {
		if (fds[t] < 0 || t == NS_PID)
			continue;
		if (setns(fds[t], spec_ns_clone_flag(t)) < 0)
			return cell_error_errno(err, errno, "linux.namespaces: join %s",
						s->ns[t].path);
		close(fds[t]);
		fds[t] = -1;
	}
	if (s->ns[NS_USER].path) {
		int flags = 0;
		for (int t = 0; t < NS__MAX; t++)
			if (s->ns[t].enabled && !s->ns[t].path && t != NS_PID && t != NS_TIME &&
			    t != NS_CGROUP)
				flags |= spec_ns_clone_flag(t);
		if (flags && unshare(flags) < 0)
			return cell_error_errno(err, errno, "linux.namespaces: unshare");
	}
	if (s->ns[NS_TIME].enabled && !s->ns[NS_TIME].path)
		return time_ns_setup(s, err);
	return 0;
}

static int write_map(pid_t pid, const char *file, const char *field, const struct spec_idmap *m,
		     size_t n, struct cell_error **err)
{
	char buf[4096], path[64];
	size_t len = 0;
	for (size_t i = 0; i < n && len < sizeof(buf) - 40; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n", m[i].container_id,
				m[i].host_id, m[i].size);
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return cell_error_errno(err, errno, "open %s", path);
	if (write(fd, buf, len) != (ssize_t)len) {
		for (char *p = buf; (p = strchr(p, '\n'));)
			*p = p[1] ? ',' : '\0';
		return cell_error_errno(err, errno, "%s: the kernel refused the mapping '%s'",
					field, buf);
	}
	return 0;
}

static uint32_t host_id_of_root(const struct spec_idmap *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].container_id == 0 && m[i].size > 0)
			return m[i].host_id;
	return 0;
}

void userns_host_root(const struct spec *s, uid_t *uid, gid_t *gid)
{
	bool userns = s->ns[NS_USER].enabled;
	*uid = userns ? host_id_of_root(s->uid_maps, s->nuid_maps) : 0;
	*gid = userns ? host_id_of_root(s->gid_maps, s->ngid_maps) : 0;
}

int userns_write_maps(const struct spec *s, pid_t pid, struct cell_error **err)
{
	int r = write_map(pid, "uid_map", "linux.uidMappings", s->uid_maps, s->nuid_maps, err);
	if (r < 0)
		return r;
	return write_map(pid, "gid_map", "linux.gidMappings", s->gid_maps, s->ngid_maps, err);
}
