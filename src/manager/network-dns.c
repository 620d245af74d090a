/* network-dns.c - one dnsmasq per network for DHCP, IPv6 router advertisements and DNS. It is
 * detached (instances outlive celld, so must their network), keeps its pid, leases and log in
 * the network's state dir, and is recognized at celld start by its pid file's path. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "config-keys.h"
#include "fs.h"
#include "log.h"
#include "netlink.h"
#include "network.h"
#include "spawn.h"
#include "strv.h"

#ifndef DNSMASQ
#define DNSMASQ "/usr/sbin/dnsmasq"
#endif

/* Alive and not a zombie (dnsmasq is not our child: init reaps it when it gets to it). */
static bool proc_running(pid_t pid)
{
	_cleanup_free_ char *stat = NULL;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (pid <= 0 || fs_read_file(path, &stat, NULL, NULL) < 0)
		return false;
	const char *paren = strrchr(stat, ')');
	return paren && paren[1] && paren[2] != 'Z';
}

/* The pid of our dnsmasq, or 0: running and started with our pid file. */
static pid_t dns_pid(struct celld *d, const char *name)
{
	_cleanup_free_ char *pidf = network_dir(d, name, "dnsmasq.pid");
	_cleanup_free_ char *text = NULL, *cmd = NULL;
	char path[64];
	size_t len = 0;
	if (!pidf || fs_read_file(pidf, &text, NULL, NULL) < 0)
		return 0;
	pid_t pid = (pid_t)atoi(text);
	if (!proc_running(pid))
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	if (fs_read_file(path, &cmd, &len, NULL) < 0)
		return 0;
	for (size_t off = 0; off < len; off += strlen(cmd + off) + 1)
		if (strncmp(cmd + off, "--pid-file=", 11) == 0 && strcmp(cmd + off + 11, pidf) == 0)
			return pid;
	return 0;
}

bool network_dns_running(struct celld *d, const char *name)
{
	return dns_pid(d, name) > 0;
}

static int add_arg(char ***argv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_arg(char ***argv, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	int r = strv_append(argv, s);
	free(s);
	return r;
}

/* The DHCP range of a subnet: every host address but the gateway's. */
static int v4_range(char ***argv, const char *cidr)
{
	struct nl_addr a, net;
	if (nl_addr_parse(cidr, true, &a) < 0)
		return 0;
	nl_addr_network(&a, &net);
	uint32_t base = ntohl(*(uint32_t *)net.bytes), gw = ntohl(*(uint32_t *)a.bytes);
	uint32_t first = base + 1, last = base + (1u << (32 - a.prefix)) - 2;
	char s[INET_ADDRSTRLEN], e[INET_ADDRSTRLEN];
	struct {
		uint32_t lo, hi;
	} ranges[2] = { { first, gw - 1 }, { gw + 1, last } };
	int r = 0;
	for (int i = 0; i < 2 && r == 0; i++) {
		if (ranges[i].lo > ranges[i].hi || ranges[i].lo < first || ranges[i].hi > last)
			continue;
		uint32_t lo = htonl(ranges[i].lo), hi = htonl(ranges[i].hi);
		inet_ntop(AF_INET, &lo, s, sizeof(s));
		inet_ntop(AF_INET, &hi, e, sizeof(e));
		r = add_arg(argv, "--dhcp-range=%s,%s,1h", s, e);
	}
	return r;
}

static bool cfg_true(json_t *config, const char *key, bool def)
{
	const char *v = json_string_value(json_object_get(config, key));
	bool b = def;
	if (v)
		config_parse_bool(v, &b);
	return b;
}

static int dns_argv(struct celld *d, const char *name, json_t *config, char ***argv)
{
	_cleanup_free_ char *dir = network_dir(d, name, NULL);
	const char *v4 = json_string_value(json_object_get(config, "ipv4.address"));
	const char *v6 = json_string_value(json_object_get(config, "ipv6.address"));
	const char *domain = json_string_value(json_object_get(config, "dns.domain")) ?: "cell";
	struct nl_addr a4, a6;
	bool has4 = v4 && nl_addr_parse(v4, true, &a4) == 0;
	bool has6 = v6 && nl_addr_parse(v6, true, &a6) == 0;
	char buf[INET6_ADDRSTRLEN];
	int r = dir ? 0 : -ENOMEM;
	const char *fixed[] = { DNSMASQ,
				"--conf-file=/dev/null",
				"--strict-order",
				"--bind-interfaces",
				"--except-interface=lo",
				"--no-ping",
				"--dhcp-rapid-commit",
				"--dhcp-authoritative",
				"--dhcp-no-override" };
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(fixed); i++)
		r = strv_append(argv, fixed[i]);
	if (r == 0)
		r = add_arg(argv, "--interface=%s", name);
	if (r == 0)
		r = add_arg(argv, "--pid-file=%s/dnsmasq.pid", dir);
	if (r == 0)
		r = add_arg(argv, "--dhcp-leasefile=%s/dnsmasq.leases", dir);
	if (r == 0)
		r = add_arg(argv, "--dhcp-hostsdir=%s/dnsmasq.hosts", dir);
	if (r == 0)
		r = add_arg(argv, "--log-facility=%s/dnsmasq.log", dir);
	if (r == 0 && has4) {
		inet_ntop(AF_INET, a4.bytes, buf, sizeof(buf));
		r = add_arg(argv, "--listen-address=%s", buf);
		if (r == 0 && cfg_true(config, "ipv4.dhcp", true))
			r = v4_range(argv, v4);
	}
	if (r == 0 && has6) {
		inet_ntop(AF_INET6, a6.bytes, buf, sizeof(buf));
		r = add_arg(argv, "--listen-address=%s", buf);
		/* SLAAC from router advertisements; names of SLAAC hosts from their DHCPv4 lease. */
		if (r == 0 && cfg_true(config, "ipv6.dhcp", true))
			r = add_arg(argv, "--enable-ra");
		if (r == 0 && cfg_true(config, "ipv6.dhcp", true))
			r = add_arg(argv, "--dhcp-range=::,constructor:%s,ra-stateless,ra-names",
				    name);
	}
	if (r == 0)
		r = add_arg(argv, "--domain=%s", domain);
	if (r == 0)
		r = add_arg(argv, "--local=/%s/", domain);
	if (r == 0)
		r = add_arg(argv, "--interface-name=_gateway.%s,%s", domain, name);
	return r;
}

int network_dns_start(struct celld *d, const char *name, json_t *config, struct cell_error **err)
{
	_cleanup_strv_ char **argv = NULL;
	_cleanup_free_ char *errp = network_dir(d, name, "dnsmasq.err");
	if (!errp || dns_argv(d, name, config, &argv) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	/* dnsmasq forks into the background once it is listening; its first process exits with
	 * the verdict, and says why on stderr (a file: the daemon may keep it open). */
	_cleanup_close_ int efd = open(errp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (efd < 0)
		return cell_error_errno(err, errno, "open %s", errp);
	int st = 0;
	int r = spawn_run(argv, -1, efd, &st, NULL);
	if (r == 0)
		return 0;
	_cleanup_free_ char *msg = NULL;
	fs_read_file(errp, &msg, NULL, NULL);
	if (msg && *msg) {
		msg[strcspn(msg, "\n")] = '\0';
		return cell_error_set(err, EIO, "%s", msg);
	}
	return cell_error_set(err, EIO, "dnsmasq: cannot start %s (%s %d)", DNSMASQ,
			      WIFEXITED(st) ? "exit status" : "signal",
			      WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

void network_dns_stop(struct celld *d, const char *name)
{
	pid_t pid = dns_pid(d, name);
	if (pid > 0) {
		/* Wait for the process itself, not its pid file (which it removes first): a new
		 * dnsmasq could not bind the addresses while the old one holds them. */
		kill(pid, SIGTERM);
		for (int i = 0; i < 400 && proc_running(pid); i++) {
			struct timespec ts = { 0, 5 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		if (proc_running(pid))
			kill(pid, SIGKILL);
		for (int i = 0; i < 200 && proc_running(pid); i++) {
			struct timespec ts = { 0, 5 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	_cleanup_free_ char *pidf = network_dir(d, name, "dnsmasq.pid");
	if (pidf)
		unlink(pidf);
}

void network_dns_reload(struct celld *d, const char *name)
{
	pid_t pid = dns_pid(d, name);
	if (pid > 0)
		kill(pid, SIGHUP);
}

/* dnsmasq keeps leases in memory; dropping one means a restart around an edited lease file. */
void network_dns_release(struct celld *d, const char *name, json_t *config, const char *mac)
{
	_cleanup_free_ char *path = network_dir(d, name, "dnsmasq.leases");
	_cleanup_free_ char *text = NULL;
	if (!path || fs_read_file(path, &text, NULL, NULL) < 0 || !strcasestr(text, mac))
		return;
	bool was = network_dns_running(d, name);
	network_dns_stop(d, name);
	_cleanup_free_ char *fresh = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&fresh, &len);
	if (!f)
		return;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (!strcasestr(line, mac))
			fprintf(f, "%s\n", line);
	fclose(f);
	fs_write_file_atomic(path, fresh, len, 0644, NULL);
	_cleanup_error_ struct cell_error *e = NULL;
	if (was && network_dns_start(d, name, config, &e) < 0)
		log_warn("network %s: %s", name, e->msg);
}
