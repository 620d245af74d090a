/* config-keys.h - the instance config keys celld knows (LXD's names and units), one table row per key
 * with a validator, and their translation into OCI linux.resources. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

/* Check one key=value; an unknown key or a bad value fails naming both. */
int config_key_validate(const char *key, const char *value, struct cell_error **err);
/* Validate every member of a JSON object of string values. */
int config_validate_object(json_t *config, struct cell_error **err);
/* true when the key can be changed on a running instance (cgroup limits, autostart). */
bool config_key_is_live(const char *key);

/* Units as LXD writes them: "512MiB", "1GB", "100" (bytes); "50%" of host_total when not NULL. */
int config_parse_bytes(const char *value, uint64_t host_total, uint64_t *ret,
		       struct cell_error **err);
/* "50%" -> quota/period of 100ms; "25ms/100ms" -> 25000/100000 microseconds. */
int config_parse_allowance(const char *value, int64_t *ret_quota_us, uint64_t *ret_period_us,
			   struct cell_error **err);
/* "4" (count) or "0-1,3" (set): as an OCI cpuset string ("0-3" for a count). */
int config_parse_cpus(const char *value, unsigned host_cpus, char **ret, struct cell_error **err);
int config_parse_bool(const char *value, bool *ret);

/*
 * Build OCI linux.resources (memory, cpu, pids) from an expanded config. host_mem/host_cpus are
 * used for percentages and counts.
 */
int config_to_resources(json_t *config, uint64_t host_mem, unsigned host_cpus, json_t **ret,
			struct cell_error **err);
