/* cgroup-bpf.c - the device allow/deny list of cgroup v2 as an eBPF program (v2 has no devices
 * controller), generated from the rules and loaded with raw bpf(2). */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "cleanup.h"

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_W | BPF_MEM, d, s, o, 0)
#define MOV_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define AND_IMM(d, i) INSN(BPF_ALU64 | BPF_AND | BPF_K, d, 0, 0, i)
#define RSH_IMM(d, i) INSN(BPF_ALU64 | BPF_RSH | BPF_K, d, 0, 0, i)
#define JNE_IMM(d, i, o) INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define JEQ_IMM(d, i, o) INSN(BPF_JMP | BPF_JEQ | BPF_K, d, 0, o, i)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int access_bits(const char *access)
{
	int bits = 0;
	if (strchr(access, 'm'))
		bits |= BPF_DEVCG_ACC_MKNOD;
	if (strchr(access, 'r'))
		bits |= BPF_DEVCG_ACC_READ;
	if (strchr(access, 'w'))
		bits |= BPF_DEVCG_ACC_WRITE;
	return bits;
}

static bool rule_matches_all(const struct cgroup_device_rule *r)
{
	return r->type == 'a' && access_bits(r->access) == 7;
}

/*
 * The kernel asks once per open or mknod with ctx = {access_type (type | access << 16), major,
 * minor}, the access holding every bit the caller wants (O_RDWR asks for read and write at once).
 * The rules combine as in the v1 devices controller, where `c 1:3 r` then `c 1:3 w` add up to rw
 * and a later write overrides an earlier one: for each access bit the last rule that matches the
 * device and names that bit decides. So the rules are tried last to first with R7 holding the
 * bits not yet decided: an allow rule clears its bits (all cleared: allow), a deny rule that
 * names an undecided bit denies. A rule for every device and access (`a *:* rwm`) replaces
 * everything before it, as in v1, so it ends the search and gives the default for what is left;
 * without one the default is allow, as for a fresh v1 cgroup.
 */
static size_t rule_block(const struct cgroup_device_rule *r, struct bpf_insn *block)
{
	size_t b = 0;
	int acc = access_bits(r->access);
	if (r->type != 'a')
		block[b++] = JNE_IMM(BPF_REG_3,
				     r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
	if (r->major >= 0)
		block[b++] = JNE_IMM(BPF_REG_4, (int32_t)r->major, 0);
	if (r->minor >= 0)
		block[b++] = JNE_IMM(BPF_REG_5, (int32_t)r->minor, 0);
	if (r->allow) {
		block[b++] = AND_IMM(BPF_REG_7, ~acc & 7);
		block[b++] = JNE_IMM(BPF_REG_7, 0, 0);
	} else {
		block[b++] = MOV_REG(BPF_REG_6, BPF_REG_7);
		block[b++] = AND_IMM(BPF_REG_6, acc);
		block[b++] = JEQ_IMM(BPF_REG_6, 0, 0);
	}
	block[b++] = MOV_IMM(BPF_REG_0, r->allow);
	block[b++] = EXIT();
	/* Every jump goes to the first instruction after this block. */
	for (size_t j = 0; j < b; j++)
		if (BPF_CLASS(block[j].code) == BPF_JMP && BPF_OP(block[j].code) != BPF_EXIT)
			block[j].off = (int16_t)(b - j - 1);
	return b;
}

int cg_bpf_devices_build(const struct cgroup_device_rule *rules, size_t n, struct bpf_insn **ret,
			 size_t *ret_len, struct cell_error **err)
{
	struct bpf_insn *p = calloc(10 + n * 8, sizeof(*p));
	if (!p)
		return cell_error_set(err, ENOMEM, "device filter: out of memory");
	size_t k = 0;
	p[k++] = LDX_W(BPF_REG_2, BPF_REG_1, 0);
	p[k++] = MOV_REG(BPF_REG_3, BPF_REG_2);
	p[k++] = AND_IMM(BPF_REG_3, 0xffff);
	p[k++] = RSH_IMM(BPF_REG_2, 16);
	p[k++] = MOV_REG(BPF_REG_7, BPF_REG_2);
	p[k++] = LDX_W(BPF_REG_4, BPF_REG_1, 4);
	p[k++] = LDX_W(BPF_REG_5, BPF_REG_1, 8);
	int deflt = 1;
	for (size_t i = n; i-- > 0;) {
		if (rule_matches_all(&rules[i])) {
			deflt = rules[i].allow;
			break;
		}
		k += rule_block(&rules[i], p + k);
	}
	p[k++] = MOV_IMM(BPF_REG_0, deflt);
	p[k++] = EXIT();
	*ret = p;
	*ret_len = k;
	return 0;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* Load again with the verifier's log, to say why it refused the program. */
static int verifier_error(union bpf_attr *attr, size_t n, size_t len, int code,
			  struct cell_error **err)
{
	/* The log rotates: when it overflows, it keeps the end, where the reason is. */
	size_t size = 1 << 16;
	_cleanup_free_ char *log = calloc(1, size);
	if (!log)
		return cell_error_set(err, ENOMEM, "out of memory");
	attr->log_buf = (uintptr_t)log;
	attr->log_size = (uint32_t)size;
	attr->log_level = 1;
	int fd = (int)sys_bpf(BPF_PROG_LOAD, attr);
	if (fd >= 0)
		close(fd);
	/* The last line is statistics ("processed N insns"); the reason is just before. */
	char *reason = "";
	for (char *l = strtok(log, "\n"); l; l = strtok(NULL, "\n"))
		if (strncmp(l, "processed ", 10) && strncmp(l, "verification time", 17))
			reason = l;
	return cell_error_set(err, code,
			      "linux.resources.devices: the kernel's verifier refused the device "
			      "filter (%zu rules, %zu instructions): %s",
			      n, len, *reason ? reason : strerror(code));
}

int cg_bpf_devices_attach(int dirfd, const struct cgroup_device_rule *rules, size_t n,
			  struct cell_error **err)
{
	_cleanup_free_ struct bpf_insn *insns = NULL;
	size_t len = 0;
	int r = cg_bpf_devices_build(rules, n, &insns, &len, err);
	if (r < 0)
		return r;
	union bpf_attr attr = {
		.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE,
		.insns = (uintptr_t)insns,
		.insn_cnt = (uint32_t)len,
		.license = (uintptr_t) "Apache-2.0",
	};
	strncpy(attr.prog_name, "cell_devices", sizeof(attr.prog_name) - 1);
	_cleanup_close_ int prog = (int)sys_bpf(BPF_PROG_LOAD, &attr);
	if (prog < 0 && (errno == EINVAL || errno == EACCES))
		return verifier_error(&attr, n, len, errno, err);
	if (prog < 0)
		return cell_error_errno(err, errno,
					"linux.resources.devices: loading the device "
					"filter (%zu rules, %zu instructions)",
					n, len);
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = dirfd;
	attr.attach_bpf_fd = prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
		return cell_error_errno(err, errno,
					"linux.resources.devices: attaching the device filter");
	return 0;
}

/* The device filters attached to the cgroup itself, so that an update can replace them. */
int cg_bpf_devices_detach_old(int dirfd, uint32_t keep_newest, struct cell_error **err)
{
	uint32_t ids[64];
	union bpf_attr attr = {
		.query.target_fd = dirfd,
		.query.attach_type = BPF_CGROUP_DEVICE,
		.query.prog_ids = (uintptr_t)ids,
		.query.prog_cnt = ARRAY_SIZE(ids),
	};
	if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
		return cell_error_errno(err, errno, "query the cgroup's device filters");
	uint32_t cnt = attr.query.prog_cnt;
	/* Programs are listed in attach order: the newest last. */
	for (uint32_t i = 0; i + keep_newest < cnt; i++) {
		union bpf_attr get = { .prog_id = ids[i] };
		_cleanup_close_ int fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &get);
		if (fd < 0)
			continue;
		union bpf_attr det = {
			.target_fd = dirfd,
			.attach_bpf_fd = fd,
			.attach_type = BPF_CGROUP_DEVICE,
		};
		if (sys_bpf(BPF_PROG_DETACH, &det) < 0)
			return cell_error_errno(err, errno, "detach an old device filter");
	}
	return 0;
}
