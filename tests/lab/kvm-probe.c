// kvm-probe.c - proves /dev/kvm runs guest code: real-mode "mov al, 42; out 0x10, al; hlt" in a VM.
// The lab's self-test runs it inside the lab; prints the exits seen, exits 0 only for IO then HLT.
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUEST_ADDR 0x1000

static int fail(const char *what)
{
	fprintf(stderr, "kvm-probe: %s: %s\n", what, strerror(errno));
	return 1;
}

// Real mode with CS based at 0, so that rip is the guest physical address of the code.
static int vcpu_setup(int vcpu)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = GUEST_ADDR, .rflags = 0x2 };

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return -1;
	return ioctl(vcpu, KVM_SET_REGS, &regs);
}

int main(void)
{
	static const unsigned char code[] = { 0xb0, 0x2a, 0xe6, 0x10, 0xf4 };
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("open /dev/kvm");
	int api = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		fprintf(stderr, "kvm-probe: KVM API version %d, expected %d\n", api,
			KVM_API_VERSION);
		return 1;
	}
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");

	void *mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap guest memory");
	memcpy(mem, code, sizeof(code));
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = GUEST_ADDR,
		.memory_size = 0x1000,
		.userspace_addr = (unsigned long)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");

	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		return fail("KVM_GET_VCPU_MMAP_SIZE");
	struct kvm_run *run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap kvm_run");
	if (vcpu_setup(vcpu) < 0)
		return fail("set up the vCPU registers");

	int saw_io = 0;
	for (int i = 0; i < 2; i++) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0)
			return fail("KVM_RUN");
		if (run->exit_reason == KVM_EXIT_IO) {
			unsigned char value = *((unsigned char *)run + run->io.data_offset);
			printf("io port %#x value %u; ", run->io.port, value);
			saw_io = run->io.direction == KVM_EXIT_IO_OUT && run->io.port == 0x10 &&
				 value == 42;
		} else {
			printf("exit %u\n", run->exit_reason);
			return saw_io && run->exit_reason == KVM_EXIT_HLT ? 0 : 1;
		}
	}
	printf("no halt\n");
	return 1;
}
