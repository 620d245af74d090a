/* netlink.h - rtnetlink through libmnl for cell's networks: bridges, veth pairs (one end created
 * straight in an instance's network namespace) and interface addresses. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct nl;

/* An address as netlink carries it: family AF_INET/AF_INET6, bytes in network order. */
struct nl_addr {
	int family;
	uint8_t bytes[16];
	unsigned prefix;
};

int nl_open(struct nl **ret, struct cell_error **err);
void nl_close(struct nl *nl);
static inline void nl_closep(struct nl **nl)
{
	nl_close(*nl);
}
#define _cleanup_nl_ __attribute__((cleanup(nl_closep)))

/* The ifindex of a link in the socket's namespace, or -ENODEV. */
int nl_link_index(struct nl *nl, const char *name);
/* true when the link is a bridge. */
bool nl_link_is_bridge(struct nl *nl, const char *name);
int nl_bridge_add(struct nl *nl, const char *name, unsigned mtu, struct cell_error **err);
/* Removing a link that is not there is not an error. */
int nl_link_del(struct nl *nl, const char *name, struct cell_error **err);
/* Bring a link up, optionally enslaving it to master (ifindex, 0: none) and setting its mtu. */
int nl_link_up(struct nl *nl, int ifindex, int master, unsigned mtu, struct cell_error **err);
/*
 * A veth pair: host_name here, peer_name inside the network namespace netns_fd (-1: here) with
 * the MAC peer_mac (6 bytes, or NULL).
 */
int nl_veth_add(struct nl *nl, const char *host_name, const char *peer_name, int netns_fd,
		const uint8_t *peer_mac, unsigned mtu, struct cell_error **err);

int nl_addr_add(struct nl *nl, int ifindex, const struct nl_addr *a, struct cell_error **err);
int nl_addr_del(struct nl *nl, int ifindex, const struct nl_addr *a, struct cell_error **err);
/* The addresses (global and link) of one link (ifindex > 0) or of all (0); *ret is malloc'd. */
int nl_addr_list(struct nl *nl, int ifindex, struct nl_addr **ret, size_t *ret_n,
		 struct cell_error **err);

/* "10.0.0.1/24", "fd42::1/64" (prefix required when need_prefix) -> a. */
int nl_addr_parse(const char *text, bool need_prefix, struct nl_addr *a);
/* a without its host bits. */
void nl_addr_network(const struct nl_addr *a, struct nl_addr *ret);
/* true when the two prefixes overlap (the shorter prefix decides). */
bool nl_addr_overlap(const struct nl_addr *a, const struct nl_addr *b);

/* "00:16:3e:12:34:56" -> 6 bytes. */
int nl_mac_parse(const char *text, uint8_t mac[6]);
