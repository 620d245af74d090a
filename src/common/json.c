/* json.c - jansson wrappers that turn parse and type errors into messages naming the spot. */
#include "json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fs.h"
#include "strv.h"

static int json_load_result(json_t *j, json_error_t *jerr, const char *what, json_t **ret,
			    struct cell_error **err)
{
	if (!j)
		return cell_error_set(err, EINVAL, "%s:%d:%d: %s", what, jerr->line, jerr->column,
				      jerr->text);
	if (!json_is_object(j)) {
		json_decref(j);
		return cell_error_set(err, EINVAL, "%s: expected a JSON object at the top level",
				      what);
	}
	*ret = j;
	return 0;
}

int json_load_object_file(const char *path, json_t **ret, struct cell_error **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = fs_read_file(path, &text, &len, err);
	if (r < 0)
		return r;
	json_error_t jerr;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	return json_load_result(j, &jerr, path, ret, err);
}

int json_load_object_string(const char *text, const char *what, json_t **ret,
			    struct cell_error **err)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	return json_load_result(j, &jerr, what, ret, err);
}

static json_t *member(json_t *obj, const char *key)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;
	return json_is_null(v) ? NULL : v;
}

static int type_error(struct cell_error **err, const char *where, const char *key, const char *type)
{
	return cell_error_set(err, EINVAL, "%s%s%s: expected %s", where ? where : "",
			      where && *where ? "." : "", key, type);
}

int json_get_string(json_t *obj, const char *where, const char *key, const char **ret,
		    struct cell_error **err)
{
	json_t *v = member(obj, key);
	if (!v)
		return 0;
	if (!json_is_string(v))
		return type_error(err, where, key, "a string");
	*ret = json_string_value(v);
	return 0;
}

int json_get_bool(json_t *obj, const char *where, const char *key, bool *ret,
		  struct cell_error **err)
{
	json_t *v = member(obj, key);
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return type_error(err, where, key, "true or false");
	*ret = json_is_true(v);
	return 0;
}

int json_get_int64(json_t *obj, const char *where, const char *key, int64_t *ret,
		   struct cell_error **err)
{
	json_t *v = member(obj, key);
	if (!v)
		return 0;
	if (!json_is_integer(v))
		return type_error(err, where, key, "an integer");
	*ret = (int64_t)json_integer_value(v);
	return 0;
}

int json_get_uint64(json_t *obj, const char *where, const char *key, uint64_t *ret,
		    struct cell_error **err)
{
	json_t *v = member(obj, key);
	if (!v)
		return 0;
	/* jansson stores integers as signed 64-bit; larger values arrive as reals. */
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*ret = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_real(v) && json_real_value(v) >= 0 &&
	    json_real_value(v) <= 18446744073709551615.0) {
		*ret = (uint64_t)json_real_value(v);
		return 0;
	}
	return type_error(err, where, key, "a non-negative integer");
}

int json_get_object(json_t *obj, const char *where, const char *key, json_t **ret,
		    struct cell_error **err)
{
	json_t *v = member(obj, key);
	*ret = NULL;
	if (!v)
		return 0;
	if (!json_is_object(v))
		return type_error(err, where, key, "an object");
	*ret = v;
	return 0;
}

int json_get_array(json_t *obj, const char *where, const char *key, json_t **ret,
		   struct cell_error **err)
{
	json_t *v = member(obj, key);
	*ret = NULL;
	if (!v)
		return 0;
	if (!json_is_array(v))
		return type_error(err, where, key, "an array");
	*ret = v;
	return 0;
}

int json_get_strv(json_t *obj, const char *where, const char *key, char ***ret,
		  struct cell_error **err)
{
	json_t *arr;
	int r = json_get_array(obj, where, key, &arr, err);
	if (r < 0 || !arr)
		return r;
	size_t n = json_array_size(arr);
	char **v = calloc(n + 1, sizeof(char *));
	if (!v)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(arr, i);
		if (!json_is_string(s)) {
			strv_free(v);
			return cell_error_set(err, EINVAL, "%s%s%s[%zu]: expected a string",
					      where ? where : "", where && *where ? "." : "", key,
					      i);
		}
		v[i] = strdup(json_string_value(s));
		if (!v[i]) {
			strv_free(v);
			return cell_error_set(err, ENOMEM, "out of memory");
		}
	}
	strv_free(*ret);
	*ret = v;
	return 0;
}

int json_dump_file_atomic(json_t *j, const char *path, struct cell_error **err)
{
	_cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
	if (!text)
		return cell_error_set(err, ENOMEM, "serialize %s: out of memory", path);
	return fs_write_file_atomic(path, text, strlen(text), 0600, err);
}
