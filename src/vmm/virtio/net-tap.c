/* net-tap.c - the host side of virtio-net: a tap device carrying virtio_net_hdr_v1 frames. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>

#include "backend.h"
#include "cleanup.h"

int net_tap_open(const char *name, int *ret_fd, struct cell_error **err)
{
	_cleanup_close_ int fd = -1;
	struct ifreq ifr = { 0 };
	int hdr_len = 12; /* sizeof(struct virtio_net_hdr_v1) */

	if (!name[0] || strlen(name) >= IFNAMSIZ || strchr(name, '/') || strchr(name, '%'))
		return cell_error_set(err, EINVAL, "tap %s: invalid interface name", name);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return cell_error_errno(err, errno, "tap %s: cannot open /dev/net/tun", name);
	strcpy(ifr.ifr_name, name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	/* Without TUNSETPERSIST a tap we create vanishes with the fd: nothing is left behind. */
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return cell_error_errno(err, errno, "tap %s: cannot attach", name);
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) < 0)
		return cell_error_errno(err, errno, "tap %s: TUNSETVNETHDRSZ", name);
	/* No checksum or segmentation offload yet: every frame the tap hands us is complete. */
	if (ioctl(fd, TUNSETOFFLOAD, 0) < 0)
		return cell_error_errno(err, errno, "tap %s: TUNSETOFFLOAD", name);
	*ret_fd = steal_fd(fd);
	return 0;
}
