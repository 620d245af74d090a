/* fuzz-cgroup.c - libFuzzer target for the cgroup parsers: linux.resources JSON (and the eBPF
 * device filter built from it), cgroupsPath rules, and cpu lists. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-internal.h"
#include "cleanup.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_resources(const char *text)
{
	json_t *j = NULL;
	struct cgroup_resources *res = NULL;
	_cleanup_error_ struct cell_error *err = NULL;
	if (json_load_object_string(text, "fuzz", &j, &err) < 0)
		return;
	if (cgroup_resources_parse(j, &res, &err) == 0) {
		struct bpf_insn *insns = NULL;
		size_t n = 0;
		cgroup_resources_allow_device(res, 'c', 1, 3);
		if (cg_bpf_devices_build(res->devices, res->n_devices, &insns, &n, NULL) == 0)
			free(insns);
		cgroup_resources_free(res);
	}
	json_decref(j);
}

static void fuzz_path(const char *text, uint8_t layout)
{
	struct cgroup *cg = NULL;
	cgroup_set_root_for_tests("/nonexistent-cgroot", (enum cgroup_layout)(layout % 3),
				  "/own/x");
	if (cgroup_new("c1", text, &cg, NULL) == 0) {
		/* What cgroup_path() returns must be taken back as the same paths. */
		struct cgroup *again = NULL;
		if (cgroup_new("c1", cgroup_path(cg), &again, NULL) != 0)
			abort();
		for (int h = 0; h < CGH_N; h++)
			if ((cg->dirs[h].abs == NULL) != (again->dirs[h].abs == NULL) ||
			    (cg->dirs[h].abs && strcmp(cg->dirs[h].abs, again->dirs[h].abs)))
				abort();
		for (int h = 0; h < CGH_N; h++)
			if (cg->dirs[h].path &&
			    (cg->dirs[h].path[0] != '/' || strstr(cg->dirs[h].path, "/../")))
				abort();
		cgroup_free(again);
		cgroup_free(cg);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	char *text = strndup((const char *)data + 1, size - 1);
	if (!text)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_resources(text);
		break;
	case 1:
		fuzz_path(text, data[0] / 3);
		break;
	default:
		cg_parse_cpulist(text, NULL);
		break;
	}
	free(text);
	return 0;
}
