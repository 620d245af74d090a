/* network.c - managed bridge networks: LXD's config keys, "auto" subnets, and bringing a network
 * up (bridge, addresses, forwarding, nftables, dnsmasq) or down, idempotently, so that celld can
 * re-apply every network at start and after a crash. */
#include "network.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "config-keys.h"
#include "fs.h"
#include "instances.h"
#include "json.h"
#include "log.h"
#include "netlink.h"

int network_name_check(const char *name, struct cell_error **err)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0)
		return cell_error_set(err, EINVAL, "network name is missing");
	bool ok = n <= 15 && isalpha((unsigned char)name[0]);
	for (size_t i = 0; ok && i < n; i++)
		ok = isalnum((unsigned char)name[i]) || strchr("-_.", name[i]);
	if (!ok)
		return cell_error_set(
			err, EINVAL,
			"invalid network name \"%s\": use 1-15 letters, digits, '-', '_'"
			" and '.', starting with a letter (it names the bridge)",
			name);
	return 0;
}

static bool check_cidr(const char *v, int family)
{
	if (strcmp(v, "auto") == 0 || strcmp(v, "none") == 0)
		return true;
	struct nl_addr a, net;
	if (nl_addr_parse(v, true, &a) < 0 || a.family != family)
		return false;
	if (family == AF_INET6)
		return a.prefix >= 8 && a.prefix <= 126 && a.bytes[0] != 0xfe;
	if (a.prefix < 8 || a.prefix > 30)
		return false;
	/* The gateway's own address: not the network's nor its broadcast address. */
	nl_addr_network(&a, &net);
	uint32_t host = ntohl(*(uint32_t *)a.bytes) & ((1u << (32 - a.prefix)) - 1);
	return host != 0 && host != (1u << (32 - a.prefix)) - 1;
}

static bool check_v4(const char *v)
{
	return check_cidr(v, AF_INET);
}

static bool check_v6(const char *v)
{
	return check_cidr(v, AF_INET6);
}

static bool check_bool(const char *v)
{
	bool b;
	return config_parse_bool(v, &b) == 0;
}

static bool check_domain(const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n > 253 || v[0] == '.' || v[0] == '-' || v[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '-' && v[i] != '.')
			return false;
	return !strstr(v, "..");
}

static bool check_mtu(const char *v)
{
	char *end;
	long m = strtol(v, &end, 10);
	return *v && !*end && m >= 1280 && m <= 9000;
}

static const struct {
	const char *key;
	bool (*check)(const char *v);
	const char *expect;
} net_keys[] = {
	{ "ipv4.address", check_v4, "an address with a prefix like 10.180.0.1/24, auto or none" },
	{ "ipv4.nat", check_bool, "true or false" },
	{ "ipv4.dhcp", check_bool, "true or false" },
	{ "ipv6.address", check_v6, "an address with a prefix like fd42::1/64, auto or none" },
	{ "ipv6.nat", check_bool, "true or false" },
	{ "ipv6.dhcp", check_bool, "true or false" },
	{ "dns.domain", check_domain, "a domain name like cell" },
	{ "bridge.mtu", check_mtu, "a number from 1280 to 9000" },
};

int network_config_validate(json_t *config, struct cell_error **err)
{
	const char *key;
	json_t *v;
	if (config && !json_is_object(config))
		return cell_error_set(err, EINVAL, "config: expected an object");
	json_object_foreach (config, key, v) {
		if (!json_is_string(v))
			return cell_error_set(err, EINVAL,
					      "invalid value for %s: expected a string", key);
		if (strncmp(key, "user.", 5) == 0)
			continue;
		size_t i = 0;
		while (i < ARRAY_SIZE(net_keys) && strcmp(net_keys[i].key, key) != 0)
			i++;
		if (i == ARRAY_SIZE(net_keys))
			return cell_error_set(err, EINVAL, "unknown network config key: %s", key);
		if (!net_keys[i].check(json_string_value(v)))
			return cell_error_set(err, EINVAL,
					      "invalid value for %s: \"%s\" (expected %s)", key,
					      json_string_value(v), net_keys[i].expect);
	}
	return 0;
}

static bool ipv6_available(void)
{
	return fs_exists("/proc/sys/net/ipv6/conf/all/disable_ipv6");
}

/* Everything a new subnet must not overlap: host addresses and the other networks' subnets. */
static bool subnet_taken(struct celld *d, const char *name, const struct nl_addr *cand,
			 const struct nl_addr *host, size_t nhost)
{
	for (size_t i = 0; i < nhost; i++)
		if (nl_addr_overlap(cand, &host[i]))
			return true;
	_cleanup_json_ json_t *rows = NULL;
	if (db_network_list(d->db, &rows, NULL) < 0)
		return false;
	size_t i;
	json_t *row;
	json_array_foreach (rows, i, row) {
		if (strcmp(json_string_value(json_object_get(row, "name")), name) == 0)
			continue;
		const char *keys[] = { "ipv4.address", "ipv6.address" };
		for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
			struct nl_addr a;
			const char *v = json_string_value(
				json_object_get(json_object_get(row, "config"), keys[k]));
			if (v && nl_addr_parse(v, true, &a) == 0 && nl_addr_overlap(cand, &a))
				return true;
		}
	}
	return false;
}

/* A random free 10.X.Y.1/24 (as LXD picks) or fd42:XXXX:XXXX:XXXX::1/64. */
static int pick_subnet(struct celld *d, const char *name, int family, char *out, size_t outlen,
		       struct cell_error **err)
{
	_cleanup_nl_ struct nl *nl = NULL;
	_cleanup_free_ struct nl_addr *host = NULL;
	size_t nhost = 0;
	int r = nl_open(&nl, err);
	if (r == 0)
		r = nl_addr_list(nl, 0, &host, &nhost, err);
	if (r < 0)
		return r;
	for (int tries = 0; tries < 200; tries++) {
		uint8_t rnd[8];
		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
			return cell_error_errno(err, errno, "getrandom");
		struct nl_addr a;
		if (family == AF_INET)
			snprintf(out, outlen, "10.%u.%u.1/24", rnd[0], rnd[1]);
		else
			snprintf(out, outlen, "fd42:%02x%02x:%02x%02x:%02x%02x::1/64", rnd[0],
				 rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
		nl_addr_parse(out, true, &a);
		if (!subnet_taken(d, name, &a, host, nhost))
			return 0;
	}
	return cell_error_set(err, EADDRNOTAVAIL, "network %s: no free %s subnet found", name,
			      family == AF_INET ? "IPv4" : "IPv6");
}

int network_config_fill(struct celld *d, const char *name, json_t *config, bool creating,
			struct cell_error **err)
{
	static const struct {
		const char *addr, *nat;
		int family;
	} fams[] = { { "ipv4.address", "ipv4.nat", AF_INET },
		     { "ipv6.address", "ipv6.nat", AF_INET6 } };
	for (size_t i = 0; i < ARRAY_SIZE(fams); i++) {
		const char *v = json_string_value(json_object_get(config, fams[i].addr));
		if (!v && creating && (fams[i].family == AF_INET || ipv6_available()))
			v = "auto";
		if (!v || strcmp(v, "auto") != 0)
			continue;
		char buf[64];
		int r = pick_subnet(d, name, fams[i].family, buf, sizeof(buf), err);
		if (r < 0)
			return r;
		json_object_set_new(config, fams[i].addr, json_string(buf));
		if (!json_object_get(config, fams[i].nat))
			json_object_set_new(config, fams[i].nat, json_string("true"));
	}
	/* A subnet given by hand must not overlap another network's either. */
	for (size_t i = 0; i < ARRAY_SIZE(fams); i++) {
		const char *v = json_string_value(json_object_get(config, fams[i].addr));
		struct nl_addr a;
		if (v && nl_addr_parse(v, true, &a) == 0 && subnet_taken(d, name, &a, NULL, 0))
			return cell_error_set(err, EADDRINUSE,
					      "invalid value for %s: %s overlaps another network",
					      fams[i].addr, v);
	}
	return 0;
}

char *network_dir(struct celld *d, const char *name, const char *sub)
{
	char *p = NULL;
	if (asprintf(&p, "%s/networks%s%s%s%s", d->state_dir, name ? "/" : "", name ? name : "",
		     sub ? "/" : "", sub ? sub : "") < 0)
		return NULL;
	return p;
}

static void enable_forwarding(int family)
{
	const char *path = family == AF_INET ? "/proc/sys/net/ipv4/ip_forward" :
					       "/proc/sys/net/ipv6/conf/all/forwarding";
	if (fs_write_file(path, "1", 1, NULL) < 0)
		log_warn("network: cannot enable forwarding in %s", path);
}

/* The bridge's addresses become exactly the configured ones (IPv6 link-local ones stay). */
static int sync_addresses(struct nl *nl, int ifindex, json_t *config, struct cell_error **err)
{
	struct nl_addr want[2];
	size_t nwant = 0;
	const char *keys[] = { "ipv4.address", "ipv6.address" };
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		const char *v = json_string_value(json_object_get(config, keys[k]));
		if (v && nl_addr_parse(v, true, &want[nwant]) == 0)
			nwant++;
	}
	_cleanup_free_ struct nl_addr *have = NULL;
	size_t nhave = 0;
	int r = nl_addr_list(nl, ifindex, &have, &nhave, err);
	for (size_t i = 0; r == 0 && i < nhave; i++) {
		bool keep = have[i].family == AF_INET6 && have[i].bytes[0] == 0xfe &&
			    (have[i].bytes[1] & 0xc0) == 0x80;
		for (size_t j = 0; j < nwant; j++)
			keep |= have[i].family == want[j].family &&
				have[i].prefix == want[j].prefix &&
				memcmp(have[i].bytes, want[j].bytes, 16) == 0;
		if (!keep)
			r = nl_addr_del(nl, ifindex, &have[i], err);
	}
	for (size_t j = 0; r == 0 && j < nwant; j++) {
		r = nl_addr_add(nl, ifindex, &want[j], err);
		if (r == 0)
			enable_forwarding(want[j].family);
	}
	return r;
}

static int bridge_up(const char *name, json_t *config, struct cell_error **err)
{
	_cleanup_nl_ struct nl *nl = NULL;
	int r = nl_open(&nl, err);
	if (r < 0)
		return r;
	const char *m = json_string_value(json_object_get(config, "bridge.mtu"));
	unsigned mtu = m ? (unsigned)atoi(m) : 0;
	if (nl_link_index(nl, name) < 0)
		r = nl_bridge_add(nl, name, mtu, err);
	else if (!nl_link_is_bridge(nl, name))
		return cell_error_set(err, EEXIST,
				      "an interface named %s exists and is not a bridge", name);
	int index = r == 0 ? nl_link_index(nl, name) : r;
	if (index < 0)
		return r < 0 ? r : cell_error_errno(err, -index, "bridge %s", name);
	r = nl_link_up(nl, index, 0, mtu, err);
	if (r == 0)
		r = sync_addresses(nl, index, config, err);
	return r;
}

int network_up(struct celld *d, const char *name, json_t *config, bool restart_dns,
	       struct cell_error **err)
{
	_cleanup_free_ char *dir = network_dir(d, name, NULL);
	_cleanup_free_ char *hosts = network_dir(d, name, "dnsmasq.hosts");
	_cleanup_free_ char *top = network_dir(d, NULL, NULL);
	if (!dir || !hosts || !top)
		return cell_error_set(err, ENOMEM, "out of memory");
	/* dnsmasq drops to nobody and re-reads the host entries: the path must be searchable. */
	int r = fs_mkdir_p(hosts, 0755, err);
	if (r == 0 && (chmod(top, 0711) < 0 || chmod(dir, 0755) < 0 || chmod(hosts, 0755) < 0))
		r = cell_error_errno(err, errno, "chmod %s", dir);
	if (r == 0)
		r = bridge_up(name, config, err);
	if (r == 0)
		r = network_nft_apply(name, config, err);
	if (r == 0 && restart_dns)
		network_dns_stop(d, name);
	if (r == 0 && !network_dns_running(d, name))
		r = network_dns_start(d, name, config, err);
	return r < 0 ? cell_error_wrap(err, "network %s", name) : 0;
}

int network_down(struct celld *d, const char *name, struct cell_error **err)
{
	network_dns_stop(d, name);
	int r = network_nft_remove(name, err);
	_cleanup_nl_ struct nl *nl = NULL;
	if (r == 0)
		r = nl_open(&nl, err);
	if (r == 0 && nl_link_is_bridge(nl, name))
		r = nl_link_del(nl, name, err);
	_cleanup_free_ char *dir = network_dir(d, name, NULL);
	if (r == 0 && dir)
		r = fs_rm_rf(dir, err);
	return r < 0 ? cell_error_wrap(err, "remove network %s", name) : 0;
}

/* LXD's `lxd init` puts eth0 on lxdbr0 in the default profile; creating cellbr0 does the same
 * when the default profile has no nic yet. */
static void default_profile_nic(struct celld *d, const char *name)
{
	_cleanup_json_ json_t *prof = NULL;
	if (strcmp(name, NETWORK_DEFAULT) != 0 || db_profile_get(d->db, "default", &prof, NULL) < 0)
		return;
	json_t *devices = json_object_get(prof, "devices");
	const char *k;
	json_t *dev;
	json_object_foreach (devices, k, dev)
		if (strcmp(json_string_value(json_object_get(dev, "type")) ?: "", "nic") == 0)
			return;
	if (json_object_get(devices, "eth0"))
		return;
	json_object_set_new(
		devices, "eth0",
		json_pack("{ss ss ss}", "type", "nic", "network", name, "name", "eth0"));
	if (db_profile_put(d->db, prof, false, NULL) == 0)
		log_info("network %s: added eth0 to the default profile", name);
}

int network_create(struct celld *d, const char *name, const char *description, json_t *config,
		   struct cell_error **err)
{
	int r = network_name_check(name, err);
	if (r == 0)
		r = network_config_validate(config, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *old = NULL;
	if (db_network_get(d->db, name, &old, NULL) == 0)
		return cell_error_set(err, EEXIST, "network already exists: %s", name);
	_cleanup_nl_ struct nl *nl = NULL;
	if ((r = nl_open(&nl, err)) < 0)
		return r;
	if (nl_link_index(nl, name) > 0)
		return cell_error_set(err, EEXIST,
				      "network name already in use: an interface named %s exists",
				      name);
	_cleanup_json_ json_t *cfg = config ? json_deep_copy(config) : json_object();
	if ((r = network_config_fill(d, name, cfg, true, err)) < 0)
		return r;
	_cleanup_json_ json_t *row =
		json_pack("{ss ss ss sO}", "name", name, "state", "creating", "description",
			  description ? description : "", "config", cfg);
	/* The row first: a crash from here on leaves "creating", which networks_restore undoes. */
	if ((r = db_network_insert(d->db, row, err)) < 0)
		return r;
	r = network_up(d, name, cfg, true, err);
	if (r == 0)
		r = db_network_set_state(d->db, name, "created", err);
	if (r < 0) {
		network_down(d, name, NULL);
		db_network_delete(d->db, name, NULL);
		return r;
	}
	default_profile_nic(d, name);
	return 0;
}

static bool devices_use(json_t *devices, const char *name)
{
	const char *k;
	json_t *dev;
	json_object_foreach (devices, k, dev) {
		const char *n = network_of_device(dev);
		if (n && strcmp(n, name) == 0)
			return true;
	}
	return false;
}

int network_used_by(struct celld *d, const char *name, json_t **ret, struct cell_error **err)
{
	_cleanup_json_ json_t *insts = NULL, *profs = NULL;
	int r = db_instance_list(d->db, &insts, err);
	if (r == 0)
		r = db_profile_list(d->db, &profs, err);
	if (r < 0)
		return r;
	json_t *out = json_array();
	size_t i;
	json_t *row;
	json_array_foreach (insts, i, row) {
		_cleanup_json_ json_t *devices = NULL;
		if (instance_expand(d, row, NULL, &devices, NULL) == 0 &&
		    devices_use(devices, name))
			json_array_append_new(
				out, json_sprintf("/1.0/instances/%s",
						  json_string_value(json_object_get(row, "name"))));
	}
	json_array_foreach (profs, i, row) {
		if (devices_use(json_object_get(row, "devices"), name))
			json_array_append_new(
				out, json_sprintf("/1.0/profiles/%s",
						  json_string_value(json_object_get(row, "name"))));
	}
	*ret = out;
	return 0;
}

/* Directories under networks/ that no row owns: a crash between their creation and the row. */
static void remove_orphans(struct celld *d, json_t *rows)
{
	_cleanup_free_ char *top = network_dir(d, NULL, NULL);
	_cleanup_closedir_ DIR *dp = top ? opendir(top) : NULL;
	struct dirent *de;
	while (dp && (de = readdir(dp))) {
		if (de->d_name[0] == '.')
			continue;
		bool owned = false;
		size_t i;
		json_t *row;
		json_array_foreach (rows, i, row)
			owned |= strcmp(json_string_value(json_object_get(row, "name")),
					de->d_name) == 0;
		if (!owned) {
			log_warn("reconcile: removing network %s, which no database row owns",
				 de->d_name);
			network_down(d, de->d_name, NULL);
		}
	}
}

int networks_restore(struct celld *d, struct cell_error **err)
{
	_cleanup_json_ json_t *rows = NULL;
	int r = db_network_list(d->db, &rows, err);
	if (r < 0)
		return r;
	size_t i;
	json_t *row;
	json_array_foreach (rows, i, row) {
		const char *name = json_string_value(json_object_get(row, "name"));
		const char *state = json_string_value(json_object_get(row, "state"));
		_cleanup_error_ struct cell_error *e = NULL;
		if (strcmp(state, "created") != 0) {
			log_warn("reconcile: finishing the removal of network %s (%s)", name,
				 state);
			network_down(d, name, NULL);
			db_network_delete(d->db, name, NULL);
			continue;
		}
		/* Re-attach: a dnsmasq that still runs keeps its leases. */
		if (network_up(d, name, json_object_get(row, "config"), false, &e) < 0)
			log_warn("%s", e->msg);
	}
	_cleanup_json_ json_t *left = NULL;
	if (db_network_list(d->db, &left, NULL) == 0)
		remove_orphans(d, left);
	return 0;
}
