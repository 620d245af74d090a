/* network.h - managed networks (LXD's bridge networks): a bridge with IPv4/IPv6 subnets, NAT
 * through nftables, DHCP and DNS through one dnsmasq per network, and instances' nic devices (a
 * veth per container, its far end moved into the container by cell-nethook). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "celld.h"
#include "error.h"

/* The bridge instances land on by default; created on demand when a nic device names it. */
#define NETWORK_DEFAULT "cellbr0"
/* The named lock every network change runs under (creation on demand included). */
#define NETWORK_LOCK "networks"

/* Database rows: {name, type, state ("creating"|"created"|"deleting"), description, created_at,
 * config{}}. Insert fails with -EEXIST when the name is taken. */
int db_network_insert(struct db *db, json_t *net, struct cell_error **err);
int db_network_get(struct db *db, const char *name, json_t **ret, struct cell_error **err);
int db_network_list(struct db *db, json_t **ret, struct cell_error **err);
int db_network_update(struct db *db, json_t *net, struct cell_error **err);
int db_network_set_state(struct db *db, const char *name, const char *state,
			 struct cell_error **err);
int db_network_delete(struct db *db, const char *name, struct cell_error **err);

/* A network name is an interface name: 1-15 of letters, digits, '-', '_', '.', first a letter. */
int network_name_check(const char *name, struct cell_error **err);
/* Check every key=value (LXD's keys); an unknown key or a bad value fails naming both. */
int network_config_validate(json_t *config, struct cell_error **err);
/* Resolve "auto" (and, for a new network, the defaults: both subnets auto, NAT on) into
 * concrete subnets that overlap nothing on the host or in other networks. */
int network_config_fill(struct celld *d, const char *name, json_t *config, bool creating,
			struct cell_error **err);

/* STATE-DIR/networks/NAME[/sub] (malloc'd). */
char *network_dir(struct celld *d, const char *name, const char *sub);
/* Make the host match the network (idempotent): bridge, addresses, forwarding, nftables, and
 * dnsmasq (restarted when restart_dns, else re-attached when it still runs). */
int network_up(struct celld *d, const char *name, json_t *config, bool restart_dns,
	       struct cell_error **err);
/* Undo all of it: dnsmasq, the nftables table, the bridge, the state directory. */
int network_down(struct celld *d, const char *name, struct cell_error **err);
/* Create a network (row, then host objects; undone on failure). */
int network_create(struct celld *d, const char *name, const char *description, json_t *config,
		   struct cell_error **err);
/* URLs of the instances and profiles whose devices use the network. */
int network_used_by(struct celld *d, const char *name, json_t **ret, struct cell_error **err);
/* At celld start: finish or undo interrupted changes, bring every network up, re-attach dnsmasq. */
int networks_restore(struct celld *d, struct cell_error **err);

/* nftables (network-nft.c): the table inet cell-NAME with NAT for the network's subnets. */
int network_nft_apply(const char *name, json_t *config, struct cell_error **err);
int network_nft_remove(const char *name, struct cell_error **err);

/* dnsmasq (network-dns.c): one per network, detached, pid and leases in its state dir. */
bool network_dns_running(struct celld *d, const char *name);
int network_dns_start(struct celld *d, const char *name, json_t *config, struct cell_error **err);
void network_dns_stop(struct celld *d, const char *name);
/* Re-read the per-instance host entries. */
void network_dns_reload(struct celld *d, const char *name);
/* Forget the leases of a MAC (restarts dnsmasq when it held one). */
void network_dns_release(struct celld *d, const char *name, json_t *config, const char *mac);

/* nic devices (network-nic.c). Check the nic devices of an instance (NULL: a profile): their
 * network exists (cellbr0 is created on demand), static addresses fit it and are free. */
int network_devices_check(struct celld *d, const char *instance, json_t *devices,
			  struct cell_error **err);
/* At start: hooks in the OCI spec that plug a veth per nic into the container, and the host
 * entries dnsmasq serves (MAC, static address, name). */
int network_instance_start(struct celld *d, json_t *inst, json_t *spec, struct cell_error **err);
/* At delete: drop the instance's host entries and leases. */
void network_instance_forget(struct celld *d, const char *instance);
/* LXD's state.network of a running instance: {IFNAME: {addresses:[{family, address, netmask,
 * scope}], hwaddr, host_name, state, mtu, type}}, addresses from dnsmasq's leases. */
json_t *network_instance_state(struct celld *d, json_t *inst);
/* One nic: its network up, its dnsmasq host entry written; *ret_up is the cell-nethook argv
 * that plugs it in (given the OCI state on stdin), ret_host the host end's name. */
int nic_prepare(struct celld *d, const char *inst, const char *dev, json_t *x, json_t **ret_up,
		char ret_host[16], struct cell_error **err);
/* Drop one nic's host entry. */
void nic_forget(struct celld *d, const char *inst, const char *dev, json_t *x);
/* A nic's MAC and host end name (hwaddr/host_name, else derived from the names). */
void nic_ids(struct celld *d, const char *inst, const char *dev, json_t *x, char mac[18],
	     char host[16]);
/* run/nics.json: the nics now plugged into the running instance. */
int nic_record(struct celld *d, const char *inst, json_t *devices, struct cell_error **err);
/* Make a running instance's nics (pid: its init) match its expanded devices: remove those gone
 * or changed, plug in the new ones; *ret_added lists the interface names added. */
int network_instance_hotplug(struct celld *d, json_t *inst, pid_t pid, json_t **ret_added,
			     struct cell_error **err);
/* The network a nic device uses (network=, or parent= with nictype=bridged), or NULL. */
const char *network_of_device(json_t *dev);
