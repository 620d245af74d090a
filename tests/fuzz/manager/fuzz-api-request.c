/* fuzz-api-request.c - libFuzzer: any bytes as the JSON body of any route must give a response,
 * never a crash or a leak. The first byte picks the route; nothing is started (no image exists,
 * so instance creation stops at validation). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "fs.h"

static struct celld d;

static void setup_once(void)
{
	static char dir[] = "/tmp/cell-fuzz-api.XXXXXX";
	if (d.db || !mkdtemp(dir))
		return;
	char path[256];
	snprintf(path, sizeof(path), "%s/cell.db", dir);
	d.state_dir = dir;
	d.instances_dir = dir;
	d.cgroup_parent = (char *)"cell";
	if (db_open(path, &d.db, NULL) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		const char *method;
		char *seg[3];
		size_t n;
	} routes[] = {
		{ "POST", { "instances" }, 1 },
		{ "PUT", { "instances", "x", "state" }, 3 },
		{ "PATCH", { "profiles", "default" }, 2 },
		{ "POST", { "profiles" }, 1 },
		{ "POST", { "images", "aliases" }, 2 },
		{ "POST", { "instances", "x", "exec" }, 3 },
	};
	setup_once();
	if (size < 1)
		return 0;
	size_t i = data[0] % (sizeof(routes) / sizeof(routes[0]));
	struct request req = { .d = &d, .method = routes[i].method, .nseg = routes[i].n };
	char *seg[3];
	memcpy(seg, routes[i].seg, sizeof(seg));
	req.seg = seg;
	struct response resp = { 0 };
	struct cell_error *e = NULL;
	if (api_parse_body((const char *)data + 1, size - 1, &req.body, &e) < 0) {
		api_error(&resp, e);
		cell_error_free(e);
	} else {
		api_dispatch(&req, &resp);
	}
	/* Profiles the fuzzer creates are dropped again, so the database stays small. */
	json_decref(req.body);
	json_decref(resp.json);
	free(resp.location);
	free(resp.raw);
	return 0;
}
