/* fuzz-config-keys.c - libFuzzer: "key=value" through validation and unit parsing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config-keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size);
	if (!s)
		return 0;
	char *eq = strchr(s, '=');
	const char *value = eq ? eq + 1 : "";
	if (eq)
		*eq = '\0';
	struct cell_error *e = NULL;
	config_key_validate(s, value, &e);
	cell_error_free(e);
	e = NULL;
	uint64_t b;
	int64_t q;
	uint64_t p;
	char *cpus = NULL;
	config_parse_bytes(value, 1 << 30, &b, NULL);
	config_parse_allowance(value, &q, &p, NULL);
	if (config_parse_cpus(value, 4, &cpus, NULL) == 0)
		free(cpus);
	free(s);
	return 0;
}
