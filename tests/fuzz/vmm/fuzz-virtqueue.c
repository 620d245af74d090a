/* fuzz-virtqueue.c - libFuzzer target: the split virtqueue walker over guest RAM from the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-layout.h"

static struct fake_host fh;
static struct virtq_req req;

/* Touch every byte the walker handed out: ASan flags any that lie outside guest RAM. */
static void touch(const struct virtq_req *r)
{
	volatile uint8_t sink = 0;

	for (unsigned int i = 0; i < r->n_out; i++)
		for (size_t k = 0; k < r->out[i].iov_len; k++)
			sink ^= ((const uint8_t *)r->out[i].iov_base)[k];
	for (unsigned int i = 0; i < r->n_in; i++)
		memset(r->in[i].iov_base, 0x5a, r->in[i].iov_len);
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct virtqueue vq = { .max_size = 256 };
	uint8_t ctl = fuzz_u8(&in);
	int r;

	if (!fh.ram)
		fake_host_init(&fh, FUZZ_RAM);
	memset(fh.ram, 0, FUZZ_RAM);
	virtq_reset(&vq);
	vq.size = (uint16_t)(1u << (ctl & 7)); /* 1 .. 128 */
	vq.indirect = ctl & 0x08;
	vq.desc_gpa = drv_desc(0);
	vq.avail_gpa = drv_avail(0);
	vq.used_gpa = drv_used(0);
	if (virtq_setup(&vq, &fh.host) < 0)
		abort(); /* our own layout is valid */
	vq.ready = true;
	vq.last_avail = vq.used_idx = (uint16_t)(fuzz_u8(&in) * 257);
	fuzz_fill_queue(&fh, &in, 0, vq.size, vq.last_avail, ctl & 0x10);
	fuzz_fill_data(&fh, &in);
	for (int i = 0; i < 64; i++) {
		r = virtq_pop(&vq, &fh.host, &req);
		if (r <= 0)
			break;
		if (req.head >= vq.size || req.n_out + req.n_in > VIRTQ_MAX_CHAIN ||
		    req.out_len > UINT32_MAX || req.in_len > UINT32_MAX)
			abort();
		touch(&req);
		virtq_push(&vq, req.head, (uint32_t)req.in_len);
		if (ctl & 0x20) {
			virtq_unpop(&vq);
			ctl &= ~0x20;
		}
	}
	return 0;
}
