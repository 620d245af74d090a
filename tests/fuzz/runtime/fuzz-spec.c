/* fuzz-spec.c - libFuzzer: any bytes through the config.json parser never crash, leak or hang. */
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "json.h"
#include "log.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	if (!quiet) {
		log_set_level(LOG_LEVEL_ERROR); /* unknown capabilities warn; not news here */
		quiet = 1;
	}
	json_error_t jerr;
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return 0;
	if (json_is_object(doc)) {
		struct spec *s = NULL;
		struct cell_error *err = NULL;
		if (spec_parse(doc, "/bundle", &s, &err) == 0)
			spec_free(s);
		cell_error_free(err);
	}
	json_decref(doc);
	return 0;
}
