/* config.c - the VM's description from command-line options or a JSON file with the same fields. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "config.h"
#include "vmm-config.h"
#include "json.h"

#define VMM_MIN_MEMORY (16ULL << 20)
#define VMM_MAX_MEMORY (1ULL << 40)
#define VMM_MAX_CPUS 254 /* APIC IDs are 8 bits in the MADT, one is the IOAPIC's */

void vmm_config_init(struct vmm_config *cfg)
{
	*cfg = (struct vmm_config){ .cpus = 1, .memory = 512ULL << 20, .sandbox = true };
}

void vmm_config_free(struct vmm_config *cfg)
{
	free(cfg->kernel);
	free(cfg->initrd);
	free(cfg->cmdline);
	for (unsigned i = 0; i < cfg->ndisks; i++)
		free(cfg->disks[i].path);
	free(cfg->net_tap);
	free(cfg->net_mac);
	vmm_config_init(cfg);
}

int vmm_parse_size(const char *s, uint64_t *ret)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	unsigned shift = 0;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	case 't':
	case 'T':
		shift = 40;
		end++;
		break;
	}
	if (*end == 'i' && shift)
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || (shift && v > (~0ULL >> shift)))
		return -EINVAL;
	*ret = (uint64_t)v << shift;
	return 0;
}

static int set_str(char **dst, const char *v)
{
	char *c = strdup(v);
	if (!c)
		return -ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

static int config_add_disk(struct vmm_config *cfg, const char *spec, struct cell_error **err)
{
	if (cfg->ndisks >= VMM_MAX_DISKS)
		return cell_error_set(err, E2BIG, "--disk %s: at most %d disks", spec,
				      VMM_MAX_DISKS);
	_cleanup_free_ char *s = strdup(spec);
	if (!s)
		return -ENOMEM;
	bool ro = false;
	char *comma = strchr(s, ',');
	if (comma) {
		*comma = 0;
		for (char *o = strtok(comma + 1, ","); o; o = strtok(NULL, ",")) {
			if (strcmp(o, "ro") == 0)
				ro = true;
			else if (strcmp(o, "rw") == 0)
				ro = false;
			else
				return cell_error_set(err, EINVAL, "--disk %s: unknown option '%s'",
						      spec, o);
		}
	}
	if (!*s)
		return cell_error_set(err, EINVAL, "--disk %s: empty path", spec);
	cfg->disks[cfg->ndisks++] = (struct vmm_disk){ steal_ptr(s), ro };
	return 0;
}

static int config_set_net(struct vmm_config *cfg, const char *spec, struct cell_error **err)
{
	_cleanup_free_ char *s = strdup(spec);
	if (!s)
		return -ENOMEM;
	for (char *o = strtok(s, ","); o; o = strtok(NULL, ",")) {
		int r;
		if (strncmp(o, "tap=", 4) == 0 && o[4])
			r = set_str(&cfg->net_tap, o + 4);
		else if (strncmp(o, "mac=", 4) == 0)
			r = set_str(&cfg->net_mac, o + 4);
		else
			return cell_error_set(err, EINVAL, "--net %s: expected tap=NAME[,mac=MAC]",
					      spec);
		if (r < 0)
			return r;
	}
	if (!cfg->net_tap)
		return cell_error_set(err, EINVAL, "--net %s: tap=NAME is required", spec);
	return 0;
}

static int config_set_console(struct vmm_config *cfg, const char *v, struct cell_error **err)
{
	if (strcmp(v, "serial") == 0)
		cfg->console = VMM_CONSOLE_SERIAL;
	else if (strcmp(v, "virtio") == 0)
		cfg->console = VMM_CONSOLE_VIRTIO;
	else
		return cell_error_set(err, EINVAL, "--console %s: expected serial or virtio", v);
	return 0;
}

int vmm_parse_decompress(const char *s, enum vmm_decompress *ret)
{
	if (strcmp(s, "host") == 0)
		*ret = VMM_DECOMPRESS_HOST;
	else if (strcmp(s, "guest") == 0)
		*ret = VMM_DECOMPRESS_GUEST;
	else
		return -EINVAL;
	return 0;
}

static int config_set_memory(struct vmm_config *cfg, const char *v, struct cell_error **err)
{
	if (vmm_parse_size(v, &cfg->memory) < 0)
		return cell_error_set(err, EINVAL, "--memory %s: expected a size like 512M or 2G",
				      v);
	return 0;
}

static int config_set_cpus(struct vmm_config *cfg, const char *v, struct cell_error **err)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 1 || n > VMM_MAX_CPUS)
		return cell_error_set(err, EINVAL, "--cpus %s: expected 1 to %d", v, VMM_MAX_CPUS);
	cfg->cpus = (unsigned)n;
	return 0;
}

int vmm_config_validate(const struct vmm_config *cfg, struct cell_error **err)
{
	if (!cfg->kernel)
		return cell_error_set(err, EINVAL,
				      "no kernel: use --kernel PATH (or \"kernel\" in --config)");
	if (cfg->memory < VMM_MIN_MEMORY)
		return cell_error_set(err, EINVAL, "--memory %llu bytes: at least 16M is needed",
				      (unsigned long long)cfg->memory);
	if (cfg->memory > VMM_MAX_MEMORY)
		return cell_error_set(err, EINVAL, "--memory: at most 1T");
	if (cfg->memory & 0xfff)
		return cell_error_set(err, EINVAL, "--memory: must be a multiple of 4K");
	if (cfg->net_mac) {
		unsigned b[6];
		char tail;
		if (sscanf(cfg->net_mac, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
			   &b[4], &b[5], &tail) != 6)
			return cell_error_set(err, EINVAL,
					      "--net mac=%s: expected xx:xx:xx:xx:xx:xx",
					      cfg->net_mac);
	}
	return 0;
}

static void vmm_usage(FILE *f)
{
	fputs("usage: cellvm --kernel PATH [--initrd PATH] [--cmdline STR] [--cpus N]\n"
	      "              [--memory SIZE] [--disk PATH[,ro]]... [--net tap=NAME[,mac=MAC]]\n"
	      "              [--console serial|virtio] [--rng] [--config FILE] [--no-sandbox]\n"
	      "              [--hugepages] [--decompress host|guest] [--raw-real-mode]\n"
	      "--decompress: who unpacks a bzImage's kernel; host (the default) falls back to\n"
	      "             the kernel's own decompressor for what cellvm cannot unpack.\n"
	      "Exit status: 0 guest powered off, 2 rebooted, 3 triple fault, 4 crashed,\n"
	      "             1 the VMM failed or the input was bad.\n",
	      f);
}

enum {
	OPT_KERNEL = 256,
	OPT_INITRD,
	OPT_CMDLINE,
	OPT_CPUS,
	OPT_MEMORY,
	OPT_DISK,
	OPT_NET,
	OPT_CONSOLE,
	OPT_RNG,
	OPT_CONFIG,
	OPT_NO_SANDBOX,
	OPT_HUGEPAGES,
	OPT_RAW,
	OPT_DECOMPRESS,
	OPT_HELP,
	OPT_VERSION,
};

static int config_apply_opt(struct vmm_config *cfg, int opt, const char *arg,
			    struct cell_error **err)
{
	switch (opt) {
	case OPT_KERNEL:
		return set_str(&cfg->kernel, arg);
	case OPT_INITRD:
		return set_str(&cfg->initrd, arg);
	case OPT_CMDLINE:
		return set_str(&cfg->cmdline, arg);
	case OPT_CPUS:
		return config_set_cpus(cfg, arg, err);
	case OPT_MEMORY:
		return config_set_memory(cfg, arg, err);
	case OPT_DISK:
		return config_add_disk(cfg, arg, err);
	case OPT_NET:
		return config_set_net(cfg, arg, err);
	case OPT_CONSOLE:
		return config_set_console(cfg, arg, err);
	case OPT_RNG:
		cfg->rng = true;
		return 0;
	case OPT_CONFIG:
		return vmm_config_load_json(cfg, arg, err);
	case OPT_NO_SANDBOX:
		cfg->sandbox = false;
		return 0;
	case OPT_HUGEPAGES:
		cfg->hugepages = true;
		return 0;
	case OPT_RAW:
		cfg->raw_real_mode = true;
		return 0;
	case OPT_DECOMPRESS:
		if (vmm_parse_decompress(arg, &cfg->decompress) < 0)
			return cell_error_set(err, EINVAL,
					      "--decompress %s: expected host or guest", arg);
		return 0;
	default:
		return cell_error_set(err, EINVAL, "unknown option (see --help)");
	}
}

int vmm_config_parse_args(struct vmm_config *cfg, int argc, char **argv, struct cell_error **err)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "initrd", required_argument, NULL, OPT_INITRD },
		{ "cmdline", required_argument, NULL, OPT_CMDLINE },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "disk", required_argument, NULL, OPT_DISK },
		{ "net", required_argument, NULL, OPT_NET },
		{ "console", required_argument, NULL, OPT_CONSOLE },
		{ "rng", no_argument, NULL, OPT_RNG },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
		{ "hugepages", no_argument, NULL, OPT_HUGEPAGES },
		{ "raw-real-mode", no_argument, NULL, OPT_RAW },
		{ "decompress", required_argument, NULL, OPT_DECOMPRESS },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ 0 },
	};
	int opt;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == OPT_HELP) {
			vmm_usage(stdout);
			return 1;
		}
		if (opt == OPT_VERSION) {
			printf("cellvm %s\n", CELL_VERSION);
			return 1;
		}
		if (opt == '?')
			return cell_error_set(err, EINVAL,
					      "unknown or incomplete option '%s' (see --help)",
					      argv[optind - 1]);
		int r = config_apply_opt(cfg, opt, optarg, err);
		if (r == -ENOMEM && err && !*err)
			return cell_error_set(err, ENOMEM, "out of memory");
		if (r < 0)
			return r;
	}
	if (optind < argc)
		return cell_error_set(err, EINVAL, "unexpected argument '%s'", argv[optind]);
	return vmm_config_validate(cfg, err);
}
