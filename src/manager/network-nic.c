/* network-nic.c - nic devices (LXD's `nic` with network= or nictype=bridged parent=): checked
 * when an instance or profile is stored, and at start turned into OCI hooks that plug a veth pair
 * into the bridge and the container (cell-nethook), plus a dnsmasq host entry per nic giving the
 * instance its name in DNS and, with ipv4.address, its static address; ipv6.address is added by
 * the hook itself. */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"
#include "instances.h"
#include "json.h"
#include "log.h"
#include "netlink.h"
#include "network.h"

static bool is_nic(json_t *dev)
{
	const char *type = json_string_value(json_object_get(dev, "type"));
	return type && strcmp(type, "nic") == 0;
}

const char *network_of_device(json_t *dev)
{
	if (!is_nic(dev))
		return NULL;
	const char *net = json_string_value(json_object_get(dev, "network"));
	if (net)
		return net;
	const char *nictype = json_string_value(json_object_get(dev, "nictype"));
	if (nictype && strcmp(nictype, "bridged") == 0)
		return json_string_value(json_object_get(dev, "parent"));
	return NULL;
}

static const char *const nic_keys[] = { "type",	     "network",	    "nictype", "parent",
					"name",	     "hwaddr",	    "mtu",     "ipv4.address",
					"host_name", "ipv6.address" };

static bool ifname_ok(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len > 15)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)n[i]) && !strchr("-_.", n[i]))
			return false;
	return true;
}

static int nic_keys_check(const char *dev, json_t *d, struct cell_error **err)
{
	const char *k;
	json_t *v;
	json_object_foreach (d, k, v) {
		size_t i = 0;
		while (i < ARRAY_SIZE(nic_keys) && strcmp(nic_keys[i], k) != 0)
			i++;
		if (i == ARRAY_SIZE(nic_keys))
			return cell_error_set(err, EINVAL, "device %s: unknown nic key: %s", dev,
					      k);
		if (!json_is_string(v))
			return cell_error_set(err, EINVAL, "device %s: %s: expected a string", dev,
					      k);
	}
	const char *nictype = json_string_value(json_object_get(d, "nictype"));
	if (nictype && strcmp(nictype, "bridged") != 0)
		return cell_error_set(err, EINVAL,
				      "device %s: nictype \"%s\" is not supported (bridged)", dev,
				      nictype);
	const char *s;
	uint8_t mac[6];
	if ((s = json_string_value(json_object_get(d, "hwaddr"))) && nl_mac_parse(s, mac) < 0)
		return cell_error_set(
			err, EINVAL,
			"device %s: invalid value for hwaddr: \"%s\" (expected a unicast"
			" MAC like 00:16:3e:12:34:56)",
			dev, s);
	const char *names[] = { "name", "host_name" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if ((s = json_string_value(json_object_get(d, names[i]))) && !ifname_ok(s))
			return cell_error_set(err, EINVAL,
					      "device %s: invalid value for %s: \"%s\" (expected an"
					      " interface name of 1-15 characters)",
					      dev, names[i], s);
	char *end;
	if ((s = json_string_value(json_object_get(d, "mtu"))) &&
	    (strtol(s, &end, 10) < 1280 || *end || strtol(s, NULL, 10) > 9000))
		return cell_error_set(
			err, EINVAL,
			"device %s: invalid value for mtu: \"%s\" (expected 1280-9000)", dev, s);
	return 0;
}

/* The network's row; cellbr0 is created (auto subnets, NAT) when the first instance that uses
 * it starts (create: false only checks; *ret stays NULL for a cellbr0 still to be made). */
static int network_ensure(struct celld *d, const char *net, bool create, json_t **ret,
			  struct cell_error **err)
{
	struct named_lock *l = named_lock_acquire(NETWORK_LOCK);
	int r = db_network_get(d->db, net, ret, NULL);
	if (r == -ENOENT && strcmp(net, NETWORK_DEFAULT) == 0 && !create) {
		*ret = NULL;
		r = 0;
	} else if (r == -ENOENT && strcmp(net, NETWORK_DEFAULT) == 0) {
		log_info("network %s: created on demand", net);
		r = network_create(d, net, "", NULL, err);
		if (r == 0)
			r = db_network_get(d->db, net, ret, err);
	} else if (r == -ENOENT) {
		r = cell_error_set(err, ENOENT, "network not found: %s", net);
	} else if (r < 0) {
		r = db_network_get(d->db, net, ret, err);
	}
	named_lock_release(l);
	return r;
}

/* The network's subnet for a family ("ipv4.address"/"ipv6.address" of its config), or NULL. */
static const char *net_subnet(json_t *net, const char *key, struct nl_addr *ret)
{
	const char *cidr = json_string_value(json_object_get(json_object_get(net, "config"), key));
	if (!cidr || nl_addr_parse(cidr, true, ret) < 0)
		return NULL;
	return cidr;
}

/* A static address (key ipv4.address or ipv6.address): of the key's family, inside the network's
 * subnet of that family, not its gateway nor the subnet's first (or IPv4's broadcast) address. */
static int static_addr_check(const char *dev, const char *key, const char *addr, json_t *net,
			     struct cell_error **err)
{
	bool v6 = strcmp(key, "ipv6.address") == 0;
	const char *name = json_string_value(json_object_get(net, "name"));
	struct nl_addr a, gw;
	if (nl_addr_parse(addr, false, &a) < 0 || a.family != (v6 ? AF_INET6 : AF_INET) ||
	    a.prefix != (v6 ? 128u : 32u))
		return cell_error_set(err, EINVAL,
				      "device %s: invalid value for %s: \"%s\" (expected an %s"
				      " address like %s)",
				      dev, key, addr, v6 ? "IPv6" : "IPv4",
				      v6 ? "fd42:181::10" : "10.180.0.10");
	const char *cidr = net_subnet(net, key, &gw);
	if (!cidr)
		return cell_error_set(err, EINVAL, "device %s: %s=%s: network %s has no %s subnet",
				      dev, key, addr, name, v6 ? "IPv6" : "IPv4");
	size_t len = v6 ? 16 : 4;
	bool inside = true, zero = true, ones = true;
	for (unsigned bit = 0; bit < len * 8; bit++) {
		unsigned byte = bit / 8, m = 0x80u >> (bit % 8);
		bool x = a.bytes[byte] & m, g = gw.bytes[byte] & m;
		if (bit < gw.prefix)
			inside = inside && x == g;
		else
			zero = zero && !x, ones = ones && x;
	}
	if (!inside || memcmp(a.bytes, gw.bytes, len) == 0 || zero || (!v6 && ones))
		return cell_error_set(err, EINVAL,
				      "device %s: %s %s is not a free host address of"
				      " network %s (%s)",
				      dev, key, addr, name, cidr);
	return 0;
}

/* fd42::10 and fd42:0::10 are one address. */
static bool same_addr(const char *a, const char *b)
{
	struct nl_addr x, y;
	if (nl_addr_parse(a, false, &x) < 0 || nl_addr_parse(b, false, &y) < 0)
		return strcmp(a, b) == 0;
	return x.family == y.family && memcmp(x.bytes, y.bytes, sizeof(x.bytes)) == 0;
}

/* Another instance holding the same static address on the same network. */
static int static_addr_unique(struct celld *d, const char *instance, const char *dev,
			      const char *net, const char *key, const char *addr,
			      struct cell_error **err)
{
	_cleanup_json_ json_t *rows = NULL;
	int r = db_instance_list(d->db, &rows, err);
	if (r < 0)
		return r;
	size_t i;
	json_t *row;
	json_array_foreach (rows, i, row) {
		const char *other = json_string_value(json_object_get(row, "name"));
		_cleanup_json_ json_t *devices = NULL;
		if (strcmp(other, instance) == 0 ||
		    instance_expand(d, row, NULL, &devices, NULL) < 0)
			continue;
		const char *k;
		json_t *x;
		json_object_foreach (devices, k, x) {
			const char *n = network_of_device(x);
			const char *a = json_string_value(json_object_get(x, key));
			if (n && a && strcmp(n, net) == 0 && same_addr(a, addr))
				return cell_error_set(err, EADDRINUSE,
						      "device %s: %s %s is already used by"
						      " instance %s",
						      dev, key, addr, other);
		}
	}
	return 0;
}

static int static_addrs_check(struct celld *d, const char *instance, const char *dev, json_t *x,
			      json_t *row, struct cell_error **err)
{
	static const char *const keys[] = { "ipv4.address", "ipv6.address" };
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *addr = json_string_value(json_object_get(x, keys[i]));
		int r = 0;
		if (addr && row &&
		    ((r = static_addr_check(dev, keys[i], addr, row, err)) < 0 ||
		     (instance && (r = static_addr_unique(d, instance, dev, network_of_device(x),
							  keys[i], addr, err)) < 0)))
			return r;
	}
	return 0;
}

int network_devices_check(struct celld *d, const char *instance, json_t *devices,
			  struct cell_error **err)
{
	const char *dev;
	json_t *x;
	if (devices && !json_is_object(devices))
		return cell_error_set(err, EINVAL, "devices: expected an object");
	json_object_foreach (devices, dev, x) {
		if (!json_is_object(x))
			return cell_error_set(err, EINVAL, "device %s: expected an object", dev);
		if (!is_nic(x))
			continue;
		int r = nic_keys_check(dev, x, err);
		if (r < 0)
			return r;
		const char *net = network_of_device(x);
		if (!net)
			return cell_error_set(
				err, EINVAL,
				"device %s: network= is required (a managed network such"
				" as %s)",
				dev, NETWORK_DEFAULT);
		_cleanup_json_ json_t *row = NULL;
		if ((r = network_ensure(d, net, false, &row, err)) < 0)
			return cell_error_wrap(err, "device %s", dev);
		if ((r = static_addrs_check(d, instance, dev, x, row, err)) < 0)
			return r;
	}
	return 0;
}

static uint32_t fnv1a(const char *a, const char *b, const char *c)
{
	uint32_t h = 2166136261u;
	const char *parts[] = { a, "/", b, "/", c };
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		for (const char *p = parts[i]; p && *p; p++)
			h = (h ^ (uint8_t)*p) * 16777619u;
	return h;
}

/* Stable across restarts without storing anything: derived from the instance and device names
 * (LXD's 00:16:3e prefix), unless hwaddr/host_name are given. */
static void nic_names(struct celld *d, const char *inst, const char *dev, json_t *x, char mac[18],
		      char host[16])
{
	const char *s = json_string_value(json_object_get(x, "hwaddr"));
	uint32_t h = fnv1a(inst, dev, NULL);
	if (s)
		snprintf(mac, 18, "%s", s);
	else
		snprintf(mac, 18, "00:16:3e:%02x:%02x:%02x", (h >> 16) & 0xff, (h >> 8) & 0xff,
			 h & 0xff);
	s = json_string_value(json_object_get(x, "host_name"));
	if (s)
		snprintf(host, 16, "%s", s);
	else
		snprintf(host, 16, "veth%08x", fnv1a(d->state_dir, inst, dev));
}

void nic_ids(struct celld *d, const char *inst, const char *dev, json_t *x, char mac[18],
	     char host[16])
{
	nic_names(d, inst, dev, x, mac, host);
}

/* cell-nethook sits next to cell-monitor (both in libexecdir once installed). */
static char *nethook_path(struct celld *d)
{
	char *p = NULL;
	const char *slash = strrchr(d->monitor, '/');
	int n = slash ? (int)(slash - d->monitor) : 1;
	if (asprintf(&p, "%.*s/cell-nethook", n, slash ? d->monitor : ".") < 0)
		return NULL;
	return p;
}

static void add_hook(json_t *spec, const char *kind, json_t *args)
{
	json_t *hooks = json_object_get(spec, "hooks");
	if (!hooks) {
		hooks = json_object();
		json_object_set_new(spec, "hooks", hooks);
	}
	json_t *list = json_object_get(hooks, kind);
	if (!list) {
		list = json_array();
		json_object_set_new(hooks, kind, list);
	}
	json_array_append_new(list, json_pack("{sO so si}", "path", json_array_get(args, 0), "args",
					      args, "timeout", 10));
}

/* Remove this instance's host entries from every network, returning their MACs to release. */
static void forget_entries(struct celld *d, const char *inst, bool release)
{
	_cleanup_json_ json_t *rows = NULL;
	if (db_network_list(d->db, &rows, NULL) < 0)
		return;
	size_t i;
	json_t *row;
	size_t n = strlen(inst);
	json_array_foreach (rows, i, row) {
		const char *net = json_string_value(json_object_get(row, "name"));
		_cleanup_free_ char *dir = network_dir(d, net, "dnsmasq.hosts");
		_cleanup_closedir_ DIR *dp = dir ? opendir(dir) : NULL;
		struct dirent *de;
		bool changed = false;
		while (dp && (de = readdir(dp))) {
			if (strncmp(de->d_name, inst, n) != 0 || de->d_name[n] != '.')
				continue;
			_cleanup_free_ char *path = NULL, *text = NULL;
			if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
				continue;
			fs_read_file(path, &text, NULL, NULL);
			unlink(path);
			changed = true;
			if (release && text) {
				text[strcspn(text, ",\n")] = '\0';
				network_dns_release(d, net, json_object_get(row, "config"), text);
			}
		}
		if (changed)
			network_dns_reload(d, net);
	}
}

void network_instance_forget(struct celld *d, const char *instance)
{
	/* Releasing a lease may restart a dnsmasq: not while a network change runs. */
	struct named_lock *l = named_lock_acquire(NETWORK_LOCK);
	forget_entries(d, instance, true);
	named_lock_release(l);
}

int nic_prepare(struct celld *d, const char *inst, const char *dev, json_t *x, json_t **ret_up,
		char ret_host[16], struct cell_error **err)
{
	const char *net = network_of_device(x);
	_cleanup_json_ json_t *row = NULL;
	int r = network_ensure(d, net, true, &row, err);
	if (r == 0)
		r = static_addrs_check(d, NULL, dev, x, row, err);
	if (r < 0)
		return r;
	/* After a host reboot the bridge and dnsmasq are gone until something needs them. */
	_cleanup_nl_ struct nl *nl = NULL;
	if ((r = nl_open(&nl, err)) < 0)
		return r;
	if (nl_link_index(nl, net) < 0 || !network_dns_running(d, net)) {
		struct named_lock *l = named_lock_acquire(NETWORK_LOCK);
		r = network_up(d, net, json_object_get(row, "config"), false, err);
		named_lock_release(l);
		if (r < 0)
			return r;
	}
	char mac[18], file[128];
	nic_names(d, inst, dev, x, mac, ret_host);
	const char *addr = json_string_value(json_object_get(x, "ipv4.address"));
	const char *addr6 = json_string_value(json_object_get(x, "ipv6.address"));
	_cleanup_free_ char *line = NULL, *path = NULL, *v6 = NULL,
			    *hosts = network_dir(d, net, "dnsmasq.hosts");
	struct nl_addr sub;
	snprintf(file, sizeof(file), "%s.%s", inst, dev);
	if (!hosts || asprintf(&path, "%s/%s", hosts, file) < 0 ||
	    asprintf(&line, "%s%s%s,%s\n", mac, addr ? "," : "", addr ? addr : "", inst) < 0 ||
	    asprintf(&v6, "%s/%u", addr6 ? addr6 : "",
		     net_subnet(row, "ipv6.address", &sub) ? sub.prefix : 64) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	if ((r = fs_write_file_atomic(path, line, strlen(line), 0644, err)) < 0)
		return r;
	network_dns_reload(d, net);
	_cleanup_free_ char *hook = nethook_path(d);
	const char *ifname = json_string_value(json_object_get(x, "name")) ?: dev;
	const char *mtu = json_string_value(json_object_get(x, "mtu")) ?: "0";
	if (!hook)
		return cell_error_set(err, ENOMEM, "out of memory");
	*ret_up = json_pack("[ss ss sss]", hook, "up", net, ret_host, ifname, mac, mtu);
	if (addr6)
		json_array_append_new(*ret_up, json_string(v6));
	return 0;
}

void nic_forget(struct celld *d, const char *inst, const char *dev, json_t *x)
{
	const char *net = network_of_device(x);
	_cleanup_free_ char *hosts = net ? network_dir(d, net, "dnsmasq.hosts") : NULL;
	_cleanup_free_ char *path = NULL;
	if (!hosts || asprintf(&path, "%s/%s.%s", hosts, inst, dev) < 0)
		return;
	if (unlink(path) == 0)
		network_dns_reload(d, net);
}

static int nic_start(struct celld *d, const char *inst, const char *dev, json_t *x, json_t *spec,
		     struct cell_error **err)
{
	json_t *up = NULL;
	char host[16];
	int r = nic_prepare(d, inst, dev, x, &up, host, err);
	if (r < 0)
		return r;
	add_hook(spec, "createRuntime", up);
	add_hook(spec, "poststop", json_pack("[Oss]", json_array_get(up, 0), "down", host));
	return 0;
}

int network_instance_start(struct celld *d, json_t *inst, json_t *spec, struct cell_error **err)
{
	const char *name = json_string_value(json_object_get(inst, "name"));
	_cleanup_json_ json_t *devices = NULL;
	int r = instance_expand(d, inst, NULL, &devices, err);
	if (r < 0)
		return r;
	/* Entries of devices removed since the last start go; current ones are rewritten. */
	forget_entries(d, name, false);
	const char *dev;
	json_t *x;
	json_object_foreach (devices, dev, x) {
		if (!network_of_device(x))
			continue;
		if ((r = nic_start(d, name, dev, x, spec, err)) < 0)
			return cell_error_wrap(err, "device %s", dev);
	}
	return nic_record(d, name, devices, err);
}

/* The IPv4 address dnsmasq leased to a MAC, or "". */
static void lease_of(struct celld *d, const char *net, const char *mac, char *ip, size_t len)
{
	_cleanup_free_ char *path = network_dir(d, net, "dnsmasq.leases");
	_cleanup_free_ char *text = NULL;
	*ip = '\0';
	if (!path || fs_read_file(path, &text, NULL, NULL) < 0)
		return;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char m[64], a[64];
		if (sscanf(line, "%*s %63s %63s", m, a) == 2 && strcasecmp(m, mac) == 0 &&
		    strchr(a, '.'))
			snprintf(ip, len, "%s", a);
	}
}

json_t *network_instance_state(struct celld *d, json_t *inst)
{
	const char *name = json_string_value(json_object_get(inst, "name"));
	_cleanup_json_ json_t *devices = NULL;
	if (instance_expand(d, inst, NULL, &devices, NULL) < 0)
		return json_null();
	json_t *out = json_object();
	const char *dev;
	json_t *x;
	json_object_foreach (devices, dev, x) {
		const char *net = network_of_device(x);
		if (!net)
			continue;
		char mac[18], host[16], ip[64];
		nic_names(d, name, dev, x, mac, host);
		lease_of(d, net, mac, ip, sizeof(ip));
		_cleanup_json_ json_t *row = NULL;
		struct nl_addr gw;
		const char *cidr = NULL;
		if (db_network_get(d->db, net, &row, NULL) == 0)
			cidr = json_string_value(
				json_object_get(json_object_get(row, "config"), "ipv4.address"));
		json_t *addrs = json_array();
		if (*ip && cidr && nl_addr_parse(cidr, true, &gw) == 0)
			json_array_append_new(addrs, json_pack("{ss ss so ss}", "family", "inet",
							       "address", ip, "netmask",
							       json_sprintf("%u", gw.prefix),
							       "scope", "global"));
		const char *v6 = json_string_value(json_object_get(x, "ipv6.address"));
		if (v6 && net_subnet(row, "ipv6.address", &gw))
			json_array_append_new(addrs, json_pack("{ss ss so ss}", "family", "inet6",
							       "address", v6, "netmask",
							       json_sprintf("%u", gw.prefix),
							       "scope", "global"));
		const char *ifname = json_string_value(json_object_get(x, "name")) ?: dev;
		json_object_set_new(out, ifname,
				    json_pack("{so ss ss ss si}", "addresses", addrs, "hwaddr", mac,
					      "host_name", host, "state", "up", "mtu", 1500));
		json_object_set_new(json_object_get(out, ifname), "type", json_string("broadcast"));
	}
	return out;
}
