/* network-nft.c - a network's NAT in nftables through libnftables: one table per network
 * (inet cell-NAME), replaced atomically in one transaction and removed with the network. */
#include <arpa/inet.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "config-keys.h"
#include "netlink.h"
#include "network.h"

static int nft_run(const char *cmds, const char *what, struct cell_error **err)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return cell_error_set(err, ENOMEM, "nftables: cannot create a context");
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	int rc = nft_run_cmd_from_buffer(ctx, cmds);
	int r = 0;
	if (rc != 0) {
		_cleanup_free_ char *msg = strdup(nft_ctx_get_error_buffer(ctx) ?: "");
		char *nl = msg ? strchr(msg, '\n') : NULL;
		if (nl)
			*nl = '\0';
		r = cell_error_set(err, EIO, "nftables: %s: %s", what,
				   msg && *msg ? msg : "failed");
	}
	nft_ctx_free(ctx);
	return r;
}

/* "ip saddr 10.1.2.0/24 ip daddr != 10.1.2.0/24 masquerade" for one family, when NAT is on. */
static void nat_rule(FILE *f, json_t *config, const char *addr_key, const char *nat_key,
		     const char *proto)
{
	const char *v = json_string_value(json_object_get(config, addr_key));
	const char *nat = json_string_value(json_object_get(config, nat_key));
	bool on = false;
	struct nl_addr a, net;
	char buf[64];
	if (!v || !nat || config_parse_bool(nat, &on) < 0 || !on || nl_addr_parse(v, true, &a) < 0)
		return;
	nl_addr_network(&a, &net);
	inet_ntop(net.family, net.bytes, buf, sizeof(buf));
	fprintf(f, "    %s saddr %s/%u %s daddr != %s/%u masquerade\n", proto, buf, net.prefix,
		proto, buf, net.prefix);
}

int network_nft_apply(const char *name, json_t *config, struct cell_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return cell_error_set(err, ENOMEM, "out of memory");
	/* add + delete + define: one transaction whether or not the table was there. */
	fprintf(f,
		"add table inet cell-%s\ndelete table inet cell-%s\n"
		"table inet cell-%s {\n  chain postrouting {\n"
		"    type nat hook postrouting priority srcnat; policy accept;\n",
		name, name, name);
	nat_rule(f, config, "ipv4.address", "ipv4.nat", "ip");
	nat_rule(f, config, "ipv6.address", "ipv6.nat", "ip6");
	fprintf(f, "  }\n}\n");
	fclose(f);
	return nft_run(buf, "apply the NAT rules", err);
}

int network_nft_remove(const char *name, struct cell_error **err)
{
	char cmds[128];
	snprintf(cmds, sizeof(cmds), "add table inet cell-%s\ndelete table inet cell-%s\n", name,
		 name);
	return nft_run(cmds, "remove the table", err);
}
