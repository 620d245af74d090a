/* cmd-nethook.c - cell-nethook: the OCI hook that plugs an instance's nic in. As createRuntime
 * (the container's namespaces exist, its process has not started) it creates a veth pair whose
 * far end is born inside the container's network namespace with the instance's name and MAC, and
 * enslaves the near end to the network's bridge; as poststop it removes the near end if the
 * namespace's end did not take it along. The OCI state arrives on stdin. With a static IPv6
 * address, the hook adds it to the container's end itself (from inside the namespace), so it needs
 * nothing from the image; IPv4 comes from the image's DHCP client (a dnsmasq reservation). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"
#include "json.h"
#include "netlink.h"

/* Inside the namespace: the static IPv6 address (without DAD) on IFNAME, and the link up. */
static int add_ipv6(int ns, const char *ifname, const char *addr, struct cell_error **err)
{
	struct nl_addr a;
	if (nl_addr_parse(addr, true, &a) < 0 || a.family != AF_INET6)
		return cell_error_set(err, EINVAL, "invalid IPv6 address: %s", addr);
	if (setns(ns, CLONE_NEWNET) < 0)
		return cell_error_errno(err, errno, "enter the container's network namespace");
	_cleanup_nl_ struct nl *nl = NULL;
	int r = nl_open(&nl, err);
	if (r < 0)
		return r;
	int idx = nl_link_index(nl, ifname);
	if (idx < 0)
		return cell_error_set(err, ENODEV, "%s is not in the container", ifname);
	if ((r = nl_addr_add(nl, idx, &a, err)) < 0)
		return r;
	return nl_link_up(nl, idx, 0, 0, err);
}

static int plug(int argc, char **argv, struct cell_error **err)
{
	const char *bridge = argv[2], *host = argv[3], *ifname = argv[4];
	uint8_t mac[6];
	unsigned mtu = argc > 6 ? (unsigned)atoi(argv[6]) : 0;
	if (nl_mac_parse(argv[5], mac) < 0)
		return cell_error_set(err, EINVAL, "invalid MAC address: %s", argv[5]);
	_cleanup_free_ char *state = NULL;
	int r = fs_read_fd(0, &state, NULL, err);
	_cleanup_json_ json_t *st = NULL;
	if (r == 0)
		r = json_load_object_string(state, "the OCI state on stdin", &st, err);
	if (r < 0)
		return r;
	json_int_t pid = json_integer_value(json_object_get(st, "pid"));
	if (pid <= 0)
		return cell_error_set(err, EINVAL, "the OCI state on stdin has no pid");
	char path[64];
	snprintf(path, sizeof(path), "/proc/%lld/ns/net", (long long)pid);
	_cleanup_close_ int ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return cell_error_errno(err, errno, "open %s", path);
	_cleanup_nl_ struct nl *nl = NULL;
	if ((r = nl_open(&nl, err)) < 0)
		return r;
	int br = nl_link_index(nl, bridge);
	if (br < 0)
		return cell_error_set(err, ENODEV, "bridge %s does not exist", bridge);
	/* A near end left by a run whose namespace outlived it would block the name. */
	if ((r = nl_link_del(nl, host, err)) < 0 ||
	    (r = nl_veth_add(nl, host, ifname, ns, mac, mtu, err)) < 0)
		return r;
	int idx = nl_link_index(nl, host);
	r = idx < 0 ? cell_error_set(err, ENODEV, "veth %s vanished", host) :
		      nl_link_up(nl, idx, br, 0, err);
	if (r == 0 && argc > 7 && *argv[7])
		r = add_ipv6(ns, ifname, argv[7], err);
	if (r < 0)
		nl_link_del(nl, host, NULL);
	return r;
}

int main(int argc, char **argv)
{
	_cleanup_error_ struct cell_error *e = NULL;
	int r;
	if (argc >= 6 && argc <= 8 && strcmp(argv[1], "up") == 0) {
		r = plug(argc, argv, &e);
	} else if (argc == 3 && strcmp(argv[1], "down") == 0) {
		_cleanup_nl_ struct nl *nl = NULL;
		r = nl_open(&nl, &e);
		if (r == 0)
			r = nl_link_del(nl, argv[2], &e);
	} else {
		fprintf(stderr,
			"usage: cell-nethook up BRIDGE HOST-VETH IFNAME MAC [MTU [IPV6/PREFIX]] < STATE\n"
			"       cell-nethook down HOST-VETH\n");
		return 2;
	}
	if (r < 0) {
		cell_error_print(e, "cell-nethook", stderr);
		return 1;
	}
	return 0;
}
