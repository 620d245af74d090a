/* network-db.c - the networks table: one row per managed network with its LXD config. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "network.h"

static const char *jstr(json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : def;
}

int db_network_insert(struct db *db, json_t *net, struct cell_error **err)
{
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	const char *name = jstr(net, "name", "");
	int r = db_run(db, err,
		       "INSERT INTO networks (name, type, state, description, created_at,"
		       " config_json) VALUES (?,?,?,?,?,?)",
		       "sssssj", name, jstr(net, "type", "bridge"), jstr(net, "state", "creating"),
		       jstr(net, "description", ""), now, json_object_get(net, "config"));
	if (r == -EEXIST)
		return cell_error_set(err, EEXIST, "network already exists: %s", name);
	return r < 0 ? r : 0;
}

int db_network_get(struct db *db, const char *name, json_t **ret, struct cell_error **err)
{
	json_t *rows = NULL;
	int r = db_query(db, &rows, err, "SELECT * FROM networks WHERE name = ?", "s", name);
	if (r < 0)
		return r;
	if (json_array_size(rows) == 0) {
		json_decref(rows);
		return cell_error_set(err, ENOENT, "network not found: %s", name);
	}
	*ret = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	return 0;
}

int db_network_list(struct db *db, json_t **ret, struct cell_error **err)
{
	return db_query(db, ret, err, "SELECT * FROM networks ORDER BY name", NULL);
}

static int changed(int r, const char *name, struct cell_error **err)
{
	if (r == 0)
		return cell_error_set(err, ENOENT, "network not found: %s", name);
	return r < 0 ? r : 0;
}

int db_network_update(struct db *db, json_t *net, struct cell_error **err)
{
	const char *name = jstr(net, "name", "");
	int r = db_run(db, err,
		       "UPDATE networks SET description = ?, config_json = ? WHERE name = ?", "sjs",
		       jstr(net, "description", ""), json_object_get(net, "config"), name);
	return changed(r, name, err);
}

int db_network_set_state(struct db *db, const char *name, const char *state,
			 struct cell_error **err)
{
	int r = db_run(db, err, "UPDATE networks SET state = ? WHERE name = ?", "ss", state, name);
	return changed(r, name, err);
}

int db_network_delete(struct db *db, const char *name, struct cell_error **err)
{
	int r = db_run(db, err, "DELETE FROM networks WHERE name = ?", "s", name);
	return changed(r, name, err);
}
