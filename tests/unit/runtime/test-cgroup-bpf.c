/* test-cgroup-bpf.c - the cgroup v2 device filter's semantics: the generated eBPF program, run by
 * a small interpreter here, must decide every access as the v1 devices controller combines its
 * rules (per access bit, the last matching rule wins; `a *:* rwm` replaces what came before). */
#include <linux/bpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cgroup-internal.h"
#include "cleanup.h"

/* Runs the few instructions the generator emits; anything else fails the test. */
static int run(const struct bpf_insn *p, size_t len, uint32_t type, uint32_t access, uint32_t major,
	       uint32_t minor)
{
	uint32_t ctx[3] = { type | access << 16, major, minor };
	uint64_t reg[11] = { 0 };
	for (size_t pc = 0; pc < len; pc++) {
		const struct bpf_insn *i = &p[pc];
		uint64_t *d = &reg[i->dst_reg];
		switch (i->code) {
		case BPF_LDX | BPF_W | BPF_MEM:
			assert_int_equal(i->src_reg, BPF_REG_1);
			assert_true(i->off >= 0 && i->off <= 8 && i->off % 4 == 0);
			*d = ctx[i->off / 4];
			break;
		case BPF_ALU64 | BPF_MOV | BPF_K:
			*d = (uint64_t)(int64_t)i->imm;
			break;
		case BPF_ALU64 | BPF_MOV | BPF_X:
			*d = reg[i->src_reg];
			break;
		case BPF_ALU64 | BPF_AND | BPF_K:
			*d &= (uint64_t)(int64_t)i->imm;
			break;
		case BPF_ALU64 | BPF_RSH | BPF_K:
			*d >>= i->imm;
			break;
		case BPF_JMP | BPF_JNE | BPF_K:
		case BPF_JMP | BPF_JEQ | BPF_K: {
			bool eq = *d == (uint64_t)(int64_t)i->imm;
			bool jump = BPF_OP(i->code) == BPF_JEQ ? eq : !eq;
			assert_true(i->off >= 0 && pc + 1 + (size_t)i->off < len);
			if (jump)
				pc += (size_t)i->off;
			break;
		}
		case BPF_JMP | BPF_EXIT:
			assert_true(reg[0] <= 1);
			return (int)reg[0];
		default:
			fail_msg("unexpected opcode 0x%x at %zu", i->code, pc);
		}
	}
	fail_msg("the program runs off its end");
	return -1;
}

static int bits(const char *access)
{
	return (strchr(access, 'm') ? BPF_DEVCG_ACC_MKNOD : 0) |
	       (strchr(access, 'r') ? BPF_DEVCG_ACC_READ : 0) |
	       (strchr(access, 'w') ? BPF_DEVCG_ACC_WRITE : 0);
}

/* The model: per access bit the last rule naming the device and that bit decides. */
static int model(const struct cgroup_device_rule *rules, size_t n, char type, uint32_t access,
		 int64_t major, int64_t minor)
{
	int undecided = (int)access;
	for (size_t i = n; i-- > 0;) {
		const struct cgroup_device_rule *r = &rules[i];
		if (r->type == 'a' && bits(r->access) == 7)
			return r->allow;
		if ((r->type != 'a' && r->type != type) || (r->major >= 0 && r->major != major) ||
		    (r->minor >= 0 && r->minor != minor))
			continue;
		int mine = undecided & bits(r->access);
		if (!mine)
			continue;
		if (!r->allow)
			return 0;
		undecided &= ~mine;
		if (!undecided)
			return 1;
	}
	return 1;
}

static int decide(const struct cgroup_device_rule *rules, size_t n, char type, const char *access,
		  int64_t major, int64_t minor)
{
	_cleanup_error_ struct cell_error *err = NULL;
	struct bpf_insn *p = NULL;
	size_t len = 0;
	assert_int_equal(cg_bpf_devices_build(rules, n, &p, &len, &err), 0);
	uint32_t t = type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
	int r = run(p, len, t, (uint32_t)bits(access), (uint32_t)major, (uint32_t)minor);
	free(p);
	return r;
}

#define DENY_ALL                          \
	{                                 \
		false, 'a', -1, -1, "rwm" \
	}

static void test_read_then_write_rules_allow_read_write(void **state)
{
	const struct cgroup_device_rule rules[] = {
		DENY_ALL,
		{ true, 'c', 1, 11, "r" },
		{ true, 'c', 1, 11, "w" },
	};
	size_t n = ARRAY_SIZE(rules);
	assert_int_equal(decide(rules, n, 'c', "rw", 1, 11), 1); /* open(O_RDWR) */
	assert_int_equal(decide(rules, n, 'c', "r", 1, 11), 1);
	assert_int_equal(decide(rules, n, 'c', "w", 1, 11), 1);
	assert_int_equal(decide(rules, n, 'c', "m", 1, 11), 0);
	assert_int_equal(decide(rules, n, 'c', "rw", 1, 12), 0);
	assert_int_equal(decide(rules, n, 'b', "r", 1, 11), 0);
	/* Only r granted: O_RDWR is refused as a whole. */
	assert_int_equal(decide(rules, 2, 'c', "rw", 1, 11), 0);
	assert_int_equal(decide(rules, 2, 'c', "r", 1, 11), 1);
}

static void test_later_rule_overrides_per_access(void **state)
{
	const struct cgroup_device_rule rules[] = {
		DENY_ALL,
		{ true, 'c', 1, -1, "rwm" },
		{ false, 'c', 1, 3, "w" },
		{ true, 'b', 8, 0, "r" },
	};
	size_t n = ARRAY_SIZE(rules);
	assert_int_equal(decide(rules, n, 'c', "r", 1, 3), 1);
	assert_int_equal(decide(rules, n, 'c', "w", 1, 3), 0);
	assert_int_equal(decide(rules, n, 'c', "rw", 1, 3), 0);
	assert_int_equal(decide(rules, n, 'c', "rwm", 1, 5), 1);
	assert_int_equal(decide(rules, n, 'b', "r", 8, 0), 1);
	assert_int_equal(decide(rules, n, 'b', "rw", 8, 0), 0);
}

static void test_catch_all_replaces_earlier_rules(void **state)
{
	const struct cgroup_device_rule deny_last[] = {
		{ true, 'c', 1, 3, "rwm" },
		DENY_ALL,
	};
	assert_int_equal(decide(deny_last, 2, 'c', "r", 1, 3), 0);
	/* No catch-all: allow by default, the deny taking only what it names. */
	const struct cgroup_device_rule no_catch_all[] = {
		{ false, 'c', 1, 3, "w" },
	};
	assert_int_equal(decide(no_catch_all, 1, 'c', "r", 1, 3), 1);
	assert_int_equal(decide(no_catch_all, 1, 'c', "rw", 1, 3), 0);
	assert_int_equal(decide(no_catch_all, 1, 'b', "rw", 7, 0), 1);
	assert_int_equal(decide(NULL, 0, 'c', "rwm", 1, 3), 1);
	/* `a r`, not a catch-all: reading anything, nothing else. */
	const struct cgroup_device_rule read_all[] = {
		DENY_ALL,
		{ true, 'a', -1, -1, "r" },
	};
	assert_int_equal(decide(read_all, 2, 'b', "r", 8, 1), 1);
	assert_int_equal(decide(read_all, 2, 'c', "rw", 1, 3), 0);
}

/* Random rule lists over a few devices: the program and the model agree on every access. */
static void test_random_rules_agree_with_model(void **state)
{
	static const char *const accesses[] = { "r", "w", "m", "rw", "rm", "wm", "rwm" };
	static const char types[] = { 'a', 'b', 'c' };
	srandom(42);
	for (int round = 0; round < 3000; round++) {
		struct cgroup_device_rule rules[7];
		size_t n = (size_t)(random() % 7);
		for (size_t i = 0; i < n; i++) {
			rules[i] = (struct cgroup_device_rule){
				.allow = random() % 2,
				.type = types[random() % 3],
				.major = random() % 3 - 1,
				.minor = random() % 3 - 1,
			};
			strcpy(rules[i].access, accesses[random() % 7]);
		}
		for (int t = 0; t < 2; t++)
			for (int64_t major = 0; major < 2; major++)
				for (int64_t minor = 0; minor < 2; minor++)
					for (int a = 0; a < 7; a++) {
						char type = "bc"[t];
						int want = model(rules, n, type,
								 (uint32_t)bits(accesses[a]), major,
								 minor);
						int got = decide(rules, n, type, accesses[a], major,
								 minor);
						if (got != want)
							fail_msg(
								"round %d: %c %lld:%lld %s: %d, want %d",
								round, type, (long long)major,
								(long long)minor, accesses[a], got,
								want);
					}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_then_write_rules_allow_read_write),
		cmocka_unit_test(test_later_rule_overrides_per_access),
		cmocka_unit_test(test_catch_all_replaces_earlier_rules),
		cmocka_unit_test(test_random_rules_agree_with_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
