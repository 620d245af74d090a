/* netlink.c - rtnetlink requests through libmnl: one socket, a request and its ACK at a time, and
 * dumps of addresses; used by celld (bridges, addresses) and cell-nethook (veth pairs). */
#include "netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

struct nl {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
	char buf[32768]; /* >= MNL_SOCKET_BUFFER_SIZE (8 KiB) */
};

int nl_open(struct nl **ret, struct cell_error **err)
{
	struct nl *nl = calloc(1, sizeof(*nl));
	if (!nl)
		return cell_error_set(err, ENOMEM, "out of memory");
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		nl_close(nl);
		return cell_error_errno(err, e, "netlink socket");
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned)time(NULL);
	*ret = nl;
	return 0;
}

void nl_close(struct nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
}

static struct nlmsghdr *nl_msg(struct nl *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	return nlh;
}

/* Send and run cb over the answers until the ACK or the end of a dump; returns 0 or -errno. */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	unsigned seq = nlh->nlmsg_seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (n < 0)
			return -errno;
		int r = mnl_cb_run(nl->buf, (size_t)n, seq, nl->portid, cb, data);
		if (r < 0)
			return -errno;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

static struct ifinfomsg *put_ifinfo(struct nlmsghdr *nlh, int index)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	return ifi;
}

int nl_link_index(struct nl *nl, const char *name)
{
	unsigned i = if_nametoindex(name);
	(void)nl;
	return i ? (int)i : -ENODEV;
}

struct kind_arg {
	char kind[32];
};

static int kind_attr_cb(const struct nlattr *attr, void *data)
{
	struct kind_arg *k = data;
	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
		snprintf(k->kind, sizeof(k->kind), "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == IFLA_LINKINFO)
		mnl_attr_parse_nested(attr, kind_attr_cb, data);
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	mnl_attr_parse(nlh, sizeof(struct ifinfomsg), link_attr_cb, data);
	return MNL_CB_OK;
}

bool nl_link_is_bridge(struct nl *nl, const char *name)
{
	struct kind_arg k = { "" };
	struct nlmsghdr *nlh = nl_msg(nl, RTM_GETLINK, NLM_F_ACK);
	put_ifinfo(nlh, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nl_talk(nl, nlh, link_cb, &k) == 0 && strcmp(k.kind, "bridge") == 0;
}

int nl_bridge_add(struct nl *nl, const char *name, unsigned mtu, struct cell_error **err)
{
	struct nlmsghdr *nlh = nl_msg(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	put_ifinfo(nlh, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, info);
	int r = nl_talk(nl, nlh, NULL, NULL);
	return r < 0 ? cell_error_errno(err, -r, "create bridge %s", name) : 0;
}

int nl_link_del(struct nl *nl, const char *name, struct cell_error **err)
{
	int index = nl_link_index(nl, name);
	if (index < 0)
		return 0;
	struct nlmsghdr *nlh = nl_msg(nl, RTM_DELLINK, NLM_F_ACK);
	put_ifinfo(nlh, index);
	int r = nl_talk(nl, nlh, NULL, NULL);
	if (r == -ENODEV)
		return 0;
	return r < 0 ? cell_error_errno(err, -r, "delete link %s", name) : 0;
}

int nl_link_up(struct nl *nl, int ifindex, int master, unsigned mtu, struct cell_error **err)
{
	struct nlmsghdr *nlh = nl_msg(nl, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = put_ifinfo(nlh, ifindex);
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (master)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	int r = nl_talk(nl, nlh, NULL, NULL);
	return r < 0 ? cell_error_errno(err, -r, "set link %d up", ifindex) : 0;
}

int nl_veth_add(struct nl *nl, const char *host_name, const char *peer_name, int netns_fd,
		const uint8_t *peer_mac, unsigned mtu, struct cell_error **err)
{
	struct nlmsghdr *nlh = nl_msg(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	put_ifinfo(nlh, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, host_name);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* The peer's ifinfomsg, then its own attributes: name, namespace, address. */
	struct ifinfomsg *pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
	pifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer_name);
	if (netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)netns_fd);
	if (peer_mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, peer_mac);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	int r = nl_talk(nl, nlh, NULL, NULL);
	return r < 0 ? cell_error_errno(err, -r, "create veth pair %s/%s", host_name, peer_name) :
		       0;
}

static int addr_req(struct nl *nl, uint16_t type, uint16_t flags, int ifindex,
		    const struct nl_addr *a)
{
	struct nlmsghdr *nlh = nl_msg(nl, type, flags | NLM_F_ACK);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	size_t len = a->family == AF_INET ? 4 : 16;
	ifa->ifa_family = (uint8_t)a->family;
	ifa->ifa_prefixlen = (uint8_t)a->prefix;
	ifa->ifa_index = (unsigned)ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	mnl_attr_put(nlh, IFA_LOCAL, len, a->bytes);
	mnl_attr_put(nlh, IFA_ADDRESS, len, a->bytes);
	/* No duplicate address detection: the bridge has no carrier until an instance joins. */
	if (a->family == AF_INET6)
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_addr_add(struct nl *nl, int ifindex, const struct nl_addr *a, struct cell_error **err)
{
	int r = addr_req(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, ifindex, a);
	return r < 0 ? cell_error_errno(err, -r, "add an address to link %d", ifindex) : 0;
}

int nl_addr_del(struct nl *nl, int ifindex, const struct nl_addr *a, struct cell_error **err)
{
	int r = addr_req(nl, RTM_DELADDR, 0, ifindex, a);
	if (r == -EADDRNOTAVAIL)
		return 0;
	return r < 0 ? cell_error_errno(err, -r, "remove an address from link %d", ifindex) : 0;
}

struct addr_dump {
	int ifindex;
	struct nl_addr *v;
	size_t n, cap;
	int err;
};

static int addr_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);
	if (type == IFA_ADDRESS || type == IFA_LOCAL)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_dump *d = data;
	struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };
	if (d->ifindex && (int)ifa->ifa_index != d->ifindex)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb);
	const struct nlattr *at = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	size_t len = ifa->ifa_family == AF_INET ? 4 : 16;
	if (!at || mnl_attr_get_payload_len(at) != len)
		return MNL_CB_OK;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct nl_addr *v = realloc(d->v, cap * sizeof(*v));
		if (!v) {
			d->err = -ENOMEM;
			return MNL_CB_ERROR;
		}
		d->v = v;
		d->cap = cap;
	}
	struct nl_addr *a = &d->v[d->n++];
	memset(a, 0, sizeof(*a));
	a->family = ifa->ifa_family;
	a->prefix = ifa->ifa_prefixlen;
	memcpy(a->bytes, mnl_attr_get_payload(at), len);
	return MNL_CB_OK;
}

int nl_addr_list(struct nl *nl, int ifindex, struct nl_addr **ret, size_t *ret_n,
		 struct cell_error **err)
{
	struct addr_dump d = { .ifindex = ifindex };
	struct nlmsghdr *nlh = nl_msg(nl, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	int r = nl_talk(nl, nlh, addr_cb, &d);
	if (r == 0 && d.err)
		r = d.err;
	if (r < 0) {
		free(d.v);
		return cell_error_errno(err, -r, "list addresses");
	}
	*ret = d.v;
	*ret_n = d.n;
	return 0;
}

int nl_addr_parse(const char *text, bool need_prefix, struct nl_addr *a)
{
	char buf[INET6_ADDRSTRLEN + 8];
	memset(a, 0, sizeof(*a));
	if (!text || strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	else if (need_prefix)
		return -EINVAL;
	if (inet_pton(AF_INET, buf, a->bytes) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, a->bytes) == 1)
		a->family = AF_INET6;
	else
		return -EINVAL;
	unsigned max = a->family == AF_INET ? 32 : 128;
	a->prefix = max;
	if (slash) {
		char *end;
		unsigned long p = strtoul(slash, &end, 10);
		if (!*slash || *end || p > max)
			return -EINVAL;
		a->prefix = (unsigned)p;
	}
	return 0;
}

void nl_addr_network(const struct nl_addr *a, struct nl_addr *ret)
{
	*ret = *a;
	unsigned len = a->family == AF_INET ? 4 : 16;
	for (unsigned i = 0; i < len; i++) {
		unsigned bit = i * 8;
		if (bit >= a->prefix)
			ret->bytes[i] = 0;
		else if (a->prefix - bit < 8)
			ret->bytes[i] &= (uint8_t)(0xff << (8 - (a->prefix - bit)));
	}
}

bool nl_addr_overlap(const struct nl_addr *a, const struct nl_addr *b)
{
	if (a->family != b->family)
		return false;
	struct nl_addr x = *a, y = *b;
	unsigned p = a->prefix < b->prefix ? a->prefix : b->prefix;
	x.prefix = y.prefix = p;
	nl_addr_network(&x, &x);
	nl_addr_network(&y, &y);
	return memcmp(x.bytes, y.bytes, 16) == 0;
}

int nl_mac_parse(const char *text, uint8_t mac[6])
{
	unsigned b[6];
	char end;
	if (!text ||
	    sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6 ||
	    strlen(text) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	/* A unicast address: the multicast bit must be clear. */
	return (mac[0] & 1) ? -EINVAL : 0;
}
