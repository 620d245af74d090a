/* db.c - SQLite storage for celld: schema migrations, WAL, and row <-> JSON helpers. */
#include "db.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "json.h"

struct db {
	sqlite3 *conn;
	pthread_mutex_t lock; /* one statement at a time; SQLite work here is sub-millisecond */
};

/* Each entry moves the schema one version on; never edit an applied one, append instead. */
static const char *const migrations[] = {
	"CREATE TABLE instances (name TEXT PRIMARY KEY, type TEXT NOT NULL, state TEXT NOT NULL,"
	" image TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, description TEXT NOT NULL"
	" DEFAULT '', ephemeral INTEGER NOT NULL DEFAULT 0, config_json TEXT NOT NULL DEFAULT '{}',"
	" devices_json TEXT NOT NULL DEFAULT '{}', profiles_json TEXT NOT NULL DEFAULT '[]');"
	"CREATE TABLE snapshots (instance TEXT NOT NULL REFERENCES instances(name) ON DELETE"
	" CASCADE, name TEXT NOT NULL, created_at TEXT NOT NULL, state TEXT NOT NULL,"
	" config_json TEXT NOT NULL DEFAULT '{}', devices_json TEXT NOT NULL DEFAULT '{}',"
	" profiles_json TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (instance, name));"
	"CREATE TABLE profiles (name TEXT PRIMARY KEY, description TEXT NOT NULL DEFAULT '',"
	" config_json TEXT NOT NULL DEFAULT '{}', devices_json TEXT NOT NULL DEFAULT '{}');"
	"CREATE TABLE images (fingerprint TEXT PRIMARY KEY, state TEXT NOT NULL, size INTEGER NOT"
	" NULL DEFAULT 0, created_at TEXT NOT NULL, filename TEXT NOT NULL DEFAULT '',"
	" properties_json TEXT NOT NULL DEFAULT '{}');"
	"CREATE TABLE image_aliases (name TEXT PRIMARY KEY, target TEXT NOT NULL REFERENCES"
	" images(fingerprint) ON DELETE CASCADE, description TEXT NOT NULL DEFAULT '');"
	"INSERT INTO profiles (name, description, devices_json) VALUES ('default', 'Default cell"
	" profile', '{\"root\":{\"type\":\"disk\",\"path\":\"/\",\"pool\":\"default\"}}');",
	/* 2: managed networks (network-db.c). */
	"CREATE TABLE networks (name TEXT PRIMARY KEY, type TEXT NOT NULL DEFAULT 'bridge', state"
	" TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL DEFAULT '',"
	" config_json TEXT NOT NULL DEFAULT '{}');",
};

static int db_fail(struct db *db, struct cell_error **err, const char *what)
{
	int code = sqlite3_extended_errcode(db->conn);
	int e = (code & 0xff) == SQLITE_CONSTRAINT ? EEXIST : EIO;
	return cell_error_set(err, e, "database: %s: %s", what, sqlite3_errmsg(db->conn));
}

/* Bind "s" (string), "i" (int64) and "j" (json_t *, stored as text) arguments in order. */
static int db_prepare(struct db *db, const char *sql, const char *types, va_list ap,
		      sqlite3_stmt **ret, struct cell_error **err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, err, "prepare");
	for (int i = 0; types && types[i]; i++) {
		int rc;
		if (types[i] == 's') {
			rc = sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1,
					       SQLITE_TRANSIENT);
		} else if (types[i] == 'i') {
			rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		} else {
			json_t *j = va_arg(ap, json_t *);
			char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
			rc = sqlite3_bind_text(st, i + 1, s ? s : "{}", -1, SQLITE_TRANSIENT);
			free(s);
		}
		if (rc != SQLITE_OK) {
			sqlite3_finalize(st);
			return db_fail(db, err, "bind");
		}
	}
	*ret = st;
	return 0;
}

static json_t *db_row(sqlite3_stmt *st)
{
	json_t *o = json_object();
	for (int c = 0; c < sqlite3_column_count(st); c++) {
		const char *name = sqlite3_column_name(st, c);
		size_t n = strlen(name);
		json_t *v;
		if (sqlite3_column_type(st, c) == SQLITE_INTEGER) {
			v = json_integer(sqlite3_column_int64(st, c));
		} else if (n > 5 && strcmp(name + n - 5, "_json") == 0) {
			v = json_loads((const char *)sqlite3_column_text(st, c), 0, NULL);
			char *key = strndup(name, n - 5);
			json_object_set_new(o, key, v ? v : json_object());
			free(key);
			continue;
		} else {
			const unsigned char *t = sqlite3_column_text(st, c);
			v = json_string(t ? (const char *)t : "");
		}
		json_object_set_new(o, name, v);
	}
	return o;
}

/*
 * Under the lock, one statement with its arguments (db_prepare) stepped to its end. With
 * ret_rows, *ret_rows is a JSON array of its row objects (db_row); without, it must return no
 * rows and the result is the number of rows it changed.
 */
static int db_step(struct db *db, json_t **ret_rows, struct cell_error **err, const char *sql,
		   const char *types, va_list ap)
{
	sqlite3_stmt *st = NULL;
	pthread_mutex_lock(&db->lock);
	int r = db_prepare(db, sql, types, ap, &st, err);
	if (r < 0)
		goto unlock;
	if (!ret_rows) {
		r = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(db->conn) :
						      db_fail(db, err, "write");
	} else {
		json_t *rows = json_array();
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			json_array_append_new(rows, db_row(st));
		if (rc != SQLITE_DONE) {
			json_decref(rows);
			r = db_fail(db, err, "read");
		} else {
			*ret_rows = rows;
		}
	}
	sqlite3_finalize(st);
unlock:
	pthread_mutex_unlock(&db->lock);
	return r;
}

/* Run a statement that returns no rows; returns the number of changed rows. */
int db_run(struct db *db, struct cell_error **err, const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	int r = db_step(db, NULL, err, sql, types, ap);
	va_end(ap);
	return r;
}

/* Run a query; *ret is a JSON array of row objects (columns named x_json are parsed as x). */
int db_query(struct db *db, json_t **ret, struct cell_error **err, const char *sql,
	     const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	int r = db_step(db, ret, err, sql, types, ap);
	va_end(ap);
	return r;
}

/* The first row, or -ENOENT naming what was missing. */
static int db_query_one(struct db *db, json_t **ret, struct cell_error **err, const char *what,
			const char *sql, const char *types, const char *a, const char *b)
{
	_cleanup_json_ json_t *rows = NULL;
	int r = b ? db_query(db, &rows, err, sql, types, a, b) :
		    db_query(db, &rows, err, sql, types, a);
	if (r < 0)
		return r;
	if (json_array_size(rows) == 0)
		return cell_error_set(err, ENOENT, "%s not found: %s%s%s", what, a, b ? "/" : "",
				      b ? b : "");
	*ret = json_incref(json_array_get(rows, 0));
	return 0;
}

static int db_migrate(struct db *db, struct cell_error **err)
{
	char *msg = NULL;
	if (sqlite3_exec(db->conn,
			 "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY"
			 " KEY, applied_at TEXT NOT NULL)",
			 NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	int have = db_schema_version(db);
	for (int v = have + 1; v <= (int)ARRAY_SIZE(migrations); v++) {
		_cleanup_free_ char *sql = NULL;
		if (asprintf(&sql,
			     "BEGIN; %s INSERT INTO schema_migrations VALUES (%d,"
			     " datetime('now')); COMMIT;",
			     migrations[v - 1], v) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		if (sqlite3_exec(db->conn, sql, NULL, NULL, &msg) != SQLITE_OK) {
			sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		}
	}
	return 0;
fail:;
	int r = cell_error_set(err, EIO, "database migration: %s", msg ? msg : "failed");
	sqlite3_free(msg);
	return r;
}

int db_schema_version(struct db *db)
{
	sqlite3_stmt *st;
	int v = 0;
	if (sqlite3_prepare_v2(db->conn, "SELECT MAX(version) FROM schema_migrations", -1, &st,
			       NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

int db_open(const char *path, struct db **ret, struct cell_error **err)
{
	struct db *db = calloc(1, sizeof(*db));
	if (!db)
		return cell_error_set(err, ENOMEM, "out of memory");
	pthread_mutex_init(&db->lock, NULL);
	if (sqlite3_open_v2(path, &db->conn,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		int r = cell_error_set(err, EIO, "database %s: %s", path,
				       db->conn ? sqlite3_errmsg(db->conn) : "cannot open");
		db_close(db);
		return r;
	}
	sqlite3_busy_timeout(db->conn, 5000);
	/* WAL: readers never block the writer; synchronous=NORMAL is durable across a celld crash
	 * (only a host power loss can drop the last transactions, and reconcile handles that). */
	int r = 0;
	if (sqlite3_exec(
		    db->conn,
		    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
		    NULL, NULL, NULL) != SQLITE_OK)
		r = db_fail(db, err, "pragma");
	if (r == 0)
		r = db_migrate(db, err);
	if (r < 0) {
		db_close(db);
		return cell_error_wrap(err, "%s", path);
	}
	*ret = db;
	return 0;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	sqlite3_close(db->conn);
	pthread_mutex_destroy(&db->lock);
	free(db);
}

static const char *jstr(json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : def;
}

static void now_iso(char buf[32])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int db_instance_insert(struct db *db, json_t *inst, struct cell_error **err)
{
	char now[32];
	now_iso(now);
	const char *name = jstr(inst, "name", "");
	int r = db_run(db, err,
		       "INSERT INTO instances (name, type, state, image, created_at, description,"
		       " ephemeral, config_json, devices_json, profiles_json) VALUES"
		       " (?,?,?,?,?,?,?,?,?,?)",
		       "ssssssijjj", name, jstr(inst, "type", "container"),
		       jstr(inst, "state", "creating"), jstr(inst, "image", ""),
		       jstr(inst, "created_at", now), jstr(inst, "description", ""),
		       (int64_t)json_is_true(json_object_get(inst, "ephemeral")),
		       json_object_get(inst, "config"), json_object_get(inst, "devices"),
		       json_object_get(inst, "profiles") ? json_object_get(inst, "profiles") :
							   json_array());
	if (r == -EEXIST)
		return cell_error_set(err, EEXIST, "instance name already in use: %s", name);
	return r < 0 ? r : 0;
}

int db_instance_get(struct db *db, const char *name, json_t **ret, struct cell_error **err)
{
	return db_query_one(db, ret, err, "instance", "SELECT * FROM instances WHERE name = ?", "s",
			    name, NULL);
}

int db_instance_list(struct db *db, json_t **ret, struct cell_error **err)
{
	return db_query(db, ret, err, "SELECT * FROM instances ORDER BY name", NULL);
}

static int db_changed(int r, struct cell_error **err, const char *what, const char *name)
{
	if (r == 0)
		return cell_error_set(err, ENOENT, "%s not found: %s", what, name);
	return r < 0 ? r : 0;
}

int db_instance_set_state(struct db *db, const char *name, const char *state,
			  struct cell_error **err)
{
	int r = db_run(db, err, "UPDATE instances SET state = ? WHERE name = ?", "ss", state, name);
	return db_changed(r, err, "instance", name);
}

int db_instance_update(struct db *db, json_t *inst, struct cell_error **err)
{
	const char *name = jstr(inst, "name", "");
	int r = db_run(db, err,
		       "UPDATE instances SET config_json = ?, devices_json = ?, profiles_json = ?,"
		       " description = ? WHERE name = ?",
		       "jjjss", json_object_get(inst, "config"), json_object_get(inst, "devices"),
		       json_object_get(inst, "profiles"), jstr(inst, "description", ""), name);
	return db_changed(r, err, "instance", name);
}

int db_instance_delete(struct db *db, const char *name, struct cell_error **err)
{
	int r = db_run(db, err, "DELETE FROM instances WHERE name = ?", "s", name);
	return db_changed(r, err, "instance", name);
}

int db_snapshot_insert(struct db *db, const char *instance, json_t *snap, struct cell_error **err)
{
	char now[32];
	now_iso(now);
	const char *name = jstr(snap, "name", "");
	int r = db_run(db, err,
		       "INSERT INTO snapshots (instance, name, created_at, state, config_json,"
		       " devices_json, profiles_json) VALUES (?,?,?,?,?,?,?)",
		       "ssssjjj", instance, name, now, jstr(snap, "state", "creating"),
		       json_object_get(snap, "config"), json_object_get(snap, "devices"),
		       json_object_get(snap, "profiles") ? json_object_get(snap, "profiles") :
							   json_array());
	if (r == -EEXIST)
		return cell_error_set(err, EEXIST, "snapshot already exists: %s/%s", instance,
				      name);
	return r < 0 ? r : 0;
}

int db_snapshot_list(struct db *db, const char *instance, json_t **ret, struct cell_error **err)
{
	return db_query(db, ret, err,
			"SELECT * FROM snapshots WHERE instance = ? ORDER BY created_at, name", "s",
			instance);
}

int db_snapshot_get(struct db *db, const char *instance, const char *name, json_t **ret,
		    struct cell_error **err)
{
	return db_query_one(db, ret, err, "snapshot",
			    "SELECT * FROM snapshots WHERE instance = ? AND name = ?", "ss",
			    instance, name);
}

int db_snapshot_set_state(struct db *db, const char *instance, const char *name, const char *state,
			  struct cell_error **err)
{
	int r = db_run(db, err, "UPDATE snapshots SET state = ? WHERE instance = ? AND name = ?",
		       "sss", state, instance, name);
	return db_changed(r, err, "snapshot", name);
}

int db_snapshot_delete(struct db *db, const char *instance, const char *name,
		       struct cell_error **err)
{
	int r = db_run(db, err, "DELETE FROM snapshots WHERE instance = ? AND name = ?", "ss",
		       instance, name);
	return db_changed(r, err, "snapshot", name);
}

int db_profile_put(struct db *db, json_t *p, bool create, struct cell_error **err)
{
	const char *name = jstr(p, "name", "");
	int r;
	if (create) {
		r = db_run(db, err,
			   "INSERT INTO profiles (name, description, config_json, devices_json)"
			   " VALUES (?,?,?,?)",
			   "ssjj", name, jstr(p, "description", ""), json_object_get(p, "config"),
			   json_object_get(p, "devices"));
		if (r == -EEXIST)
			return cell_error_set(err, EEXIST, "profile already exists: %s", name);
		return r < 0 ? r : 0;
	}
	r = db_run(db, err,
		   "UPDATE profiles SET description = ?, config_json = ?, devices_json = ? WHERE"
		   " name = ?",
		   "sjjs", jstr(p, "description", ""), json_object_get(p, "config"),
		   json_object_get(p, "devices"), name);
	return db_changed(r, err, "profile", name);
}

int db_profile_get(struct db *db, const char *name, json_t **ret, struct cell_error **err)
{
	return db_query_one(db, ret, err, "profile", "SELECT * FROM profiles WHERE name = ?", "s",
			    name, NULL);
}

int db_profile_list(struct db *db, json_t **ret, struct cell_error **err)
{
	return db_query(db, ret, err, "SELECT * FROM profiles ORDER BY name", NULL);
}

int db_profile_delete(struct db *db, const char *name, struct cell_error **err)
{
	int r = db_run(db, err, "DELETE FROM profiles WHERE name = ?", "s", name);
	return db_changed(r, err, "profile", name);
}

int db_profile_users(struct db *db, const char *name, json_t **ret, struct cell_error **err)
{
	return db_query(db, ret, err,
			"SELECT name FROM instances WHERE EXISTS (SELECT 1 FROM"
			" json_each(instances.profiles_json) WHERE value = ?) ORDER BY name",
			"s", name);
}

int db_image_insert(struct db *db, json_t *img, struct cell_error **err)
{
	char now[32];
	now_iso(now);
	const char *fp = jstr(img, "fingerprint", "");
	int r = db_run(db, err,
		       "INSERT INTO images (fingerprint, state, size, created_at, filename,"
		       " properties_json) VALUES (?,?,?,?,?,?)",
		       "ssissj", fp, jstr(img, "state", "creating"),
		       (int64_t)json_integer_value(json_object_get(img, "size")), now,
		       jstr(img, "filename", ""), json_object_get(img, "properties"));
	if (r == -EEXIST)
		return cell_error_set(err, EEXIST, "image already exists: %s", fp);
	return r < 0 ? r : 0;
}

int db_image_set_state(struct db *db, const char *fp, const char *state, struct cell_error **err)
{
	int r = db_run(db, err, "UPDATE images SET state = ? WHERE fingerprint = ?", "ss", state,
		       fp);
	return db_changed(r, err, "image", fp);
}

int db_image_get(struct db *db, const char *fp, json_t **ret, struct cell_error **err)
{
	return db_query_one(db, ret, err, "image", "SELECT * FROM images WHERE fingerprint = ?",
			    "s", fp, NULL);
}

int db_image_list(struct db *db, json_t **ret, struct cell_error **err)
{
	return db_query(db, ret, err, "SELECT * FROM images ORDER BY created_at, fingerprint",
			NULL);
}

int db_image_delete(struct db *db, const char *fp, struct cell_error **err)
{
	int r = db_run(db, err, "DELETE FROM images WHERE fingerprint = ?", "s", fp);
	return db_changed(r, err, "image", fp);
}

int db_image_resolve(struct db *db, const char *ref, char **ret_fp, struct cell_error **err)
{
	_cleanup_json_ json_t *rows = NULL;
	int r = db_query(db, &rows, err,
			 "SELECT target AS fp FROM image_aliases WHERE name = ?1 UNION ALL SELECT"
			 " fingerprint FROM images WHERE state = 'ready' AND length(?1) >= 8 AND"
			 " substr(fingerprint, 1, length(?1)) = ?1",
			 "s", ref);
	if (r < 0)
		return r;
	if (json_array_size(rows) == 0)
		return cell_error_set(err, ENOENT, "image not found: %s", ref);
	if (json_array_size(rows) > 1 &&
	    !json_equal(json_array_get(rows, 0), json_array_get(rows, 1)))
		return cell_error_set(err, EINVAL, "image reference is ambiguous: %s", ref);
	*ret_fp = strdup(jstr(json_array_get(rows, 0), "fp", ""));
	return *ret_fp ? 0 : cell_error_set(err, ENOMEM, "out of memory");
}

int db_alias_put(struct db *db, const char *name, const char *fp, const char *description,
		 struct cell_error **err)
{
	int r = db_run(db, err,
		       "INSERT INTO image_aliases (name, target, description) VALUES (?,?,?)",
		       "sss", name, fp, description ? description : "");
	if (r == -EEXIST)
		return cell_error_set(err, EEXIST, "image alias already exists: %s", name);
	return r < 0 ? r : 0;
}

int db_alias_delete(struct db *db, const char *name, struct cell_error **err)
{
	int r = db_run(db, err, "DELETE FROM image_aliases WHERE name = ?", "s", name);
	return db_changed(r, err, "image alias", name);
}

int db_alias_list(struct db *db, const char *fp, json_t **ret, struct cell_error **err)
{
	if (fp)
		return db_query(db, ret, err,
				"SELECT name, target, description FROM image_aliases WHERE target"
				" = ? ORDER BY name",
				"s", fp);
	return db_query(db, ret, err,
			"SELECT name, target, description FROM image_aliases ORDER BY name", NULL);
}
