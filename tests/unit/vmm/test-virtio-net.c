/* test-virtio-net.c - virtio-net tx/rx over a datagram socketpair standing in for the tap. */
#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake-host.h"

#define QS 256
#define HDR 12

struct ctx {
	struct fake_host fh;
	struct virtio_mmio *mmio;
	int peer; /* the host side of the "tap" */
	uint16_t next[2];
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	const uint8_t mac[6] = { 0x52, 0x54, 0, 1, 2, 3 };
	struct virtio_dev *vdev;
	int sv[2];

	fake_host_init(&c->fh, 1 << 20);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	c->peer = sv[1];
	assert_int_equal(virtio_net_create_fd(&c->fh.host, sv[0], mac, &vdev, NULL), 0);
	assert_int_equal(virtio_mmio_create(vdev, 0xd0000000, 5, &c->mmio, NULL), 0);
	assert_true(drv_start(&c->fh, 2, QS, 1ULL << VIRTIO_NET_F_MAC) & VIRTIO_CONFIG_S_DRIVER_OK);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	virtio_mmio_destroy(c->mmio);
	close(c->peer);
	fake_host_fini(&c->fh);
	free(c);
	return 0;
}

static void submit(struct ctx *c, unsigned int q, const struct drv_buf *b, unsigned int n)
{
	drv_submit(&c->fh, q, QS, c->next[q], b, n);
	c->next[q] = (uint16_t)((c->next[q] + n) % QS);
}

static void test_config_mac(void **state)
{
	struct ctx *c = *state;
	uint8_t mac[8] = { 0 };

	virtio_mmio_access(c->mmio, 0x100, mac, 6, false);
	assert_memory_equal(mac, ((uint8_t[]){ 0x52, 0x54, 0, 1, 2, 3 }), 6);
}

static void test_tx(void **state)
{
	struct ctx *c = *state;
	uint64_t h = drv_alloc(&c->fh, HDR), f = drv_alloc(&c->fh, 60);
	struct drv_buf b[2] = { { h, HDR, false }, { f, 60, false } };
	uint8_t got[128];

	memset(gpa(&c->fh, h), 0xff, HDR); /* garbage header: the device must not pass it on */
	memset(gpa(&c->fh, f), 0xab, 60);
	submit(c, 1, b, 2);
	assert_int_equal(drv_used_idx(&c->fh, 1), 1);
	assert_int_equal(recv(c->peer, got, sizeof(got), 0), HDR + 60);
	for (int i = 0; i < HDR; i++)
		assert_int_equal(got[i], 0);
	assert_int_equal(got[HDR], 0xab);
	assert_int_equal(got[HDR + 59], 0xab);
	/* Header and frame in one buffer work too. */
	b[0].len = HDR + 60;
	b[0].addr = drv_alloc(&c->fh, HDR + 60);
	submit(c, 1, b, 1);
	assert_int_equal(recv(c->peer, got, sizeof(got), 0), HDR + 60);
}

static void test_tx_malformed(void **state)
{
	struct ctx *c = *state;
	uint64_t f = drv_alloc(&c->fh, 64);
	struct drv_buf b[2] = { { f, 8, false }, { f, 64, true } };
	uint8_t got[128];

	submit(c, 1, b, 1); /* shorter than the header */
	b[0].len = 64;
	submit(c, 1, b, 2); /* a writable buffer in a tx chain */
	assert_int_equal(drv_used_idx(&c->fh, 1), 2);
	assert_int_equal(recv(c->peer, got, sizeof(got), 0), -1);
	assert_int_equal(errno, EAGAIN);
	assert_false(mmio_read(&c->fh, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void test_rx(void **state)
{
	struct ctx *c = *state;
	uint64_t small = drv_alloc(&c->fh, 40), big = drv_alloc(&c->fh, 1526);
	struct drv_buf b = { small, 40, true };
	uint8_t pkt[HDR + 100];
	struct virtio_net_hdr_v1 *hdr = gpa(&c->fh, big);
	uint32_t id, len;

	/* No buffers yet: the frame waits in the tap, the device pauses polling. */
	memset(pkt, 0x77, sizeof(pkt));
	assert_int_equal(send(c->peer, pkt, sizeof(pkt), 0), sizeof(pkt));
	fake_host_dispatch(&c->fh);
	assert_int_equal(drv_used_idx(&c->fh, 0), 0);
	assert_int_equal(fake_host_dispatch(&c->fh), 0); /* paused */
	/* A buffer too small for the frame: the frame is dropped, the buffer kept. */
	submit(c, 0, &b, 1);
	fake_host_dispatch(&c->fh);
	assert_int_equal(drv_used_idx(&c->fh, 0), 0);
	/* The next frame fits into a big buffer; the small one is still first in line, so make
	 * the next chain the big one by filling the small one's slot. */
	b = (struct drv_buf){ big, 1526, true };
	c->next[0] = 0;
	memset(gpa(&c->fh, drv_avail(0)), 0, 4);
	submit(c, 0, &b, 1);
	struct virtio_dev *vdev = virtio_mmio_dev(c->mmio);
	vdev->vqs[0].last_avail = 0;
	assert_int_equal(send(c->peer, pkt, sizeof(pkt), 0), sizeof(pkt));
	fake_host_dispatch(&c->fh);
	assert_int_equal(drv_used_idx(&c->fh, 0), 1);
	drv_used_elem(&c->fh, 0, QS, 0, &id, &len);
	assert_int_equal(len, sizeof(pkt));
	assert_int_equal(hdr->flags, 0);
	assert_int_equal(hdr->num_buffers, 1);
	assert_int_equal(((uint8_t *)gpa(&c->fh, big))[HDR], 0x77);
	assert_true(c->fh.irqs > 0);
}

static void test_rx_without_queue_does_not_spin(void **state)
{
	struct ctx *c = *state;
	uint8_t pkt[HDR + 60] = { 0 };

	/* DRIVER_OK with no rx queue set up: a pending frame must pause polling, not spin. */
	assert_true(drv_start(&c->fh, 0, QS, 0) & VIRTIO_CONFIG_S_DRIVER_OK);
	assert_int_equal(send(c->peer, pkt, sizeof(pkt), 0), sizeof(pkt));
	assert_int_equal(fake_host_dispatch(&c->fh), 1);
	assert_int_equal(fake_host_dispatch(&c->fh), 0);
	/* Likewise after the device was broken by the guest. */
	assert_true(drv_start(&c->fh, 2, QS, 0) & VIRTIO_CONFIG_S_DRIVER_OK);
	submit(c, 1, (struct drv_buf[]){ { 0x10, 64, false } }, 1);
	assert_true(mmio_read(&c->fh, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	fake_host_dispatch(&c->fh);
	assert_int_equal(fake_host_dispatch(&c->fh), 0);
}

static void test_parse_mac(void **state)
{
	uint8_t mac[6];
	struct cell_error *err = NULL;

	assert_int_equal(virtio_net_parse_mac("52:54:00:ab:CD:ef", mac, NULL), 0);
	assert_memory_equal(mac, ((uint8_t[]){ 0x52, 0x54, 0, 0xab, 0xcd, 0xef }), 6);
	const char *bad[] = { "",
			      "52:54:00:ab:cd",
			      "52:54:00:ab:cd:ef:01",
			      "5:54:00:ab:cd:ef",
			      "52:54:00:ab:cd:eg",
			      "01:00:5e:00:00:01",
			      "52-54-00-ab-cd-ef" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(virtio_net_parse_mac(bad[i], mac, &err), -EINVAL);
		assert_non_null(strstr(err->msg, "mac"));
		cell_error_free(err);
		err = NULL;
	}
}

static void test_tap_errors(void **state)
{
	struct fake_host fh;
	struct virtio_dev *vdev = NULL;
	struct cell_error *err = NULL;

	fake_host_init(&fh, 4096);
	assert_int_equal(
		virtio_net_create(&fh.host, "a-name-far-too-long-for-linux", NULL, &vdev, &err),
		-EINVAL);
	assert_non_null(strstr(err->msg, "a-name-far-too-long-for-linux"));
	cell_error_free(err);
	err = NULL;
	assert_int_equal(virtio_net_create(&fh.host, "", NULL, &vdev, &err), -EINVAL);
	cell_error_free(err);
	assert_null(vdev);
	fake_host_fini(&fh);
}

/* Skip with a reason, or fail under CI where every prerequisite must be present. */
static bool need(bool ok, const char *why)
{
	const char *strict = getenv("CELL_TEST_STRICT");

	if (ok)
		return true;
	if (strict && strcmp(strict, "true") == 0)
		fail_msg("prerequisite missing under CI: %s", why);
	printf("# SKIP %s\n", why);
	skip();
	return false;
}

/* An ARP request for 10.9.8.1 from 52:54:00:01:02:03 / 10.9.8.2, after a zero vnet header. */
static size_t arp_request(uint8_t *f)
{
	static const uint8_t frame[] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 1, 2, 3, 0x08, 0x06, /* eth */
		0,    1,    0x08, 0,	6,    4,    0,	  1,				/* arp */
		0x52, 0x54, 0,	  1,	2,    3,    10,	  9,	8, 2, 0, 0, 0,	  0,
		0,    0,    10,	  9,	8,    1,
	};

	memset(f, 0, HDR);
	memcpy(f + HDR, frame, sizeof(frame));
	return HDR + sizeof(frame);
}

/* In a private network namespace: the real tap carries our tx to the kernel, whose ARP reply
 * comes back through rx; the tap is gone once the device is. Runs in a child (unshare). */
static int tap_child(void)
{
	struct ctx c = { 0 };
	const uint8_t mac[6] = { 0x52, 0x54, 0, 1, 2, 3 };
	struct virtio_dev *vdev;
	uint64_t tx, rx;
	uint32_t id, len;
	uint16_t seen = 0;
	struct stat st;
	int ok = 0;

	if (unshare(CLONE_NEWNET) < 0)
		return 10;
	fake_host_init(&c.fh, 1 << 20);
	if (virtio_net_create(&c.fh.host, "vtest0", mac, &vdev, NULL) < 0 ||
	    virtio_mmio_create(vdev, 0xd0000000, 5, &c.mmio, NULL) < 0)
		return 11;
	if (system("ip link set lo up && ip link set vtest0 up && "
		   "ip addr add 10.9.8.1/24 dev vtest0") != 0)
		return 12;
	drv_start(&c.fh, 2, QS, 1ULL << VIRTIO_NET_F_MAC);
	rx = drv_alloc(&c.fh, 1526);
	submit(&c, 0, (struct drv_buf[]){ { rx, 1526, true } }, 1);
	tx = drv_alloc(&c.fh, 128);
	submit(&c, 1, (struct drv_buf[]){ { tx, (uint32_t)arp_request(gpa(&c.fh, tx)), false } },
	       1);
	/* The kernel's reply (and maybe IPv6 chatter first): wait for an ARP reply to our MAC. */
	for (int i = 0; i < 200 && !ok; i++) {
		usleep(10000);
		fake_host_dispatch(&c.fh);
		for (; seen != drv_used_idx(&c.fh, 0) && !ok; seen++) {
			const uint8_t *f = (const uint8_t *)gpa(&c.fh, rx) + HDR;

			drv_used_elem(&c.fh, 0, QS, seen, &id, &len);
			if (len >= HDR + 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2 &&
			    memcmp(f, mac, 6) == 0)
				ok = 1;
			else /* something else (IPv6 chatter): post the buffer again */
				submit(&c, 0, (struct drv_buf[]){ { rx, 1526, true } }, 1);
		}
	}
	virtio_mmio_destroy(c.mmio);
	fake_host_fini(&c.fh);
	if (!ok)
		return 13;
	return stat("/sys/class/net/vtest0", &st) == 0 ? 14 : 0; /* nothing left behind */
}

static void test_real_tap(void **state)
{
	pid_t pid;
	int status;

	if (!need(geteuid() == 0, "needs root for a tap in a network namespace") ||
	    !need(access("/dev/net/tun", R_OK | W_OK) == 0, "no /dev/net/tun") ||
	    !need(system("command -v ip >/dev/null") == 0, "no ip(8) (iproute2)"))
		return;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(tap_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_config_mac),
		T(test_tx),
		T(test_tx_malformed),
		T(test_rx),
		T(test_rx_without_queue_does_not_spin),
		cmocka_unit_test(test_parse_mac),
		cmocka_unit_test(test_tap_errors),
		cmocka_unit_test(test_real_tap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
