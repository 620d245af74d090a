/* images.c - importing images: the built-in busybox tree, rootfs tarballs and OCI image archives
 * (layers applied in order, whiteouts honoured), all through libarchive; an image is stored
 * once as images/FP/rootfs and shared by its instances through idmapped mounts. */
#include "images.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"
#include "json.h"
#include "log.h"
#include "spawn.h"

int images_sha256_file(const char *path, char ret[65], struct cell_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cell_error_errno(err, errno, "open %s", path);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return cell_error_set(err, EIO, "sha256: cannot initialize");
	}
	static __thread unsigned char buf[1 << 16];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	unsigned char md[32];
	unsigned len = 0;
	EVP_DigestFinal_ex(ctx, md, &len);
	EVP_MD_CTX_free(ctx);
	if (n < 0)
		return cell_error_errno(err, errno, "read %s", path);
	for (unsigned i = 0; i < 32; i++)
		sprintf(ret + 2 * i, "%02x", md[i]);
	return 0;
}

static char *image_dir(struct celld *d, const char *fp, const char *sub)
{
	char *p;
	if (asprintf(&p, "%s/%s%s", d->images_dir, fp, sub ? sub : "") < 0)
		return NULL;
	return p;
}

/* Register a finished tree at images/FP.tmp as image FP (row first, rename, then ready). */
static int image_commit(struct celld *d, const char *fp, json_t *props, const char *tmp,
			struct cell_error **err)
{
	_cleanup_free_ char *dir = image_dir(d, fp, NULL);
	json_t *img = json_pack("{ss ss sO si}", "fingerprint", fp, "state", "creating",
				"properties", props, "size", 0);
	int r = db_image_insert(d->db, img, err);
	json_decref(img);
	if (r < 0)
		return r;
	if (rename(tmp, dir) < 0) {
		r = cell_error_errno(err, errno, "store image %s", fp);
		db_image_delete(d->db, fp, NULL);
		return r;
	}
	return db_image_set_state(d->db, fp, "ready", err);
}

/* Busybox's init runs /etc/inittab; without one it would respawn shells on ttys that a
 * container does not have. rcS (image/mkimage.sh) brings up lo and asks DHCP for each ethN.
 * /dev/console is a pty the monitor keeps (`cell console`): a login shell on it, respawned. */
static const char busybox_inittab[] = "::sysinit:/etc/init.d/rcS\n"
				      "::respawn:-/bin/sh\n"
				      "::ctrlaltdel:/sbin/reboot\n"
				      "::shutdown:/bin/true\n";

int images_import_builtin(struct celld *d, struct cell_error **err)
{
	_cleanup_free_ char *fp = NULL;
	if (db_image_resolve(d->db, "busybox", &fp, NULL) == 0)
		return 0;
	_cleanup_free_ char *bin = NULL, *src = NULL, *tmp = NULL, *root = NULL, *inittab = NULL;
	char sum[65];
	/* The fingerprint of the built-in image is that of its busybox binary plus our inittab. */
	if (asprintf(&bin, "%s/rootfs/bin/busybox", d->builtin_image) < 0 ||
	    asprintf(&src, "%s/rootfs", d->builtin_image) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	int r = images_sha256_file(bin, sum, err);
	if (r < 0)
		return cell_error_wrap(err, "built-in image");
	sum[63] =
		'd'; /* distinguishes the tree (inittab and mkimage.sh version 3) from the binary */
	tmp = image_dir(d, sum, ".tmp");
	root = image_dir(d, sum, ".tmp/rootfs");
	if (!tmp || !root || asprintf(&inittab, "%s/etc/inittab", root) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	_cleanup_free_ char *have = image_dir(d, sum, NULL);
	if (!fs_exists(have)) {
		fs_rm_rf(tmp, NULL);
		if ((r = fs_mkdir_p(root, 0755, err)) < 0)
			return r;
		_cleanup_free_ char *from = NULL;
		if (asprintf(&from, "%s/.", src) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		char *argv[] = { (char *)"/bin/cp", (char *)"-a", from, root, NULL };
		if ((r = spawn_capture(argv, NULL, NULL, err)) < 0 ||
		    (r = fs_write_file_atomic(inittab, busybox_inittab, strlen(busybox_inittab),
					      0644, err)) < 0)
			return r;
		json_t *props = json_pack("{ss ss ss}", "os", "busybox", "description",
					  "busybox (built-in)", "architecture", "x86_64");
		r = image_commit(d, sum, props, tmp, err);
		json_decref(props);
		if (r < 0)
			return r;
	}
	r = db_alias_put(d->db, "busybox", sum, "built-in busybox image", err);
	return r == -EEXIST ? 0 : r;
}

/* Extract one archive into root; strip "rootfs/" when the tarball is LXD's unified format.
 * OCI whiteouts (.wh.NAME, .wh..wh..opq) delete from lower layers already extracted. */
static int extract_archive(struct archive *a, const char *root, bool oci_layer,
			   struct cell_error **err)
{
	struct archive *w = archive_write_disk_new();
	archive_write_disk_set_options(
		w, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
			   ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
			   ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_UNLINK);
	struct archive_entry *e;
	int r = 0, rc;
	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(e);
		while (*p == '/' || (p[0] == '.' && p[1] == '/'))
			p += p[0] == '/' ? 1 : 2;
		if (!oci_layer && strncmp(p, "rootfs/", 7) == 0)
			p += 7;
		else if (!oci_layer &&
			 (strcmp(p, "metadata.yaml") == 0 || strncmp(p, "templates/", 10) == 0))
			continue;
		if (!*p || strcmp(p, "rootfs") == 0 || strcmp(p, ".") == 0)
			continue;
		const char *base = strrchr(p, '/');
		base = base ? base + 1 : p;
		_cleanup_free_ char *full = NULL;
		if (oci_layer && strncmp(base, ".wh.", 4) == 0) {
			_cleanup_free_ char *dir = strndup(p, (size_t)(base - p));
			if (strcmp(base, ".wh..wh..opq") == 0) {
				/* Opaque: empty the directory of what lower layers put there. */
				if (asprintf(&full, "%s/%s", root, dir) >= 0) {
					fs_rm_rf(full, NULL);
					mkdir(full, 0755);
				}
			} else if (asprintf(&full, "%s/%s%s", root, dir, base + 4) >= 0) {
				fs_rm_rf(full, NULL);
			}
			continue;
		}
		if (asprintf(&full, "%s/%s", root, p) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		archive_entry_set_pathname(e, full);
		const char *hl = archive_entry_hardlink(e);
		if (hl) {
			_cleanup_free_ char *t = NULL;
			while (*hl == '/' || (hl[0] == '.' && hl[1] == '/'))
				hl += hl[0] == '/' ? 1 : 2;
			if (!oci_layer && strncmp(hl, "rootfs/", 7) == 0)
				hl += 7;
			if (asprintf(&t, "%s/%s", root, hl) < 0)
				return cell_error_set(err, ENOMEM, "out of memory");
			archive_entry_set_hardlink(e, t);
		}
		if (archive_write_header(w, e) == ARCHIVE_OK) {
			const void *buf;
			size_t len;
			la_int64_t off;
			while (archive_read_data_block(a, &buf, &len, &off) == ARCHIVE_OK)
				archive_write_data_block(w, buf, len, off);
		} else {
			log_warn("image import: %s: %s", p, archive_error_string(w));
		}
	}
	if (rc != ARCHIVE_EOF)
		r = cell_error_set(err, EINVAL, "not a valid archive: %s", archive_error_string(a));
	archive_write_close(w);
	archive_write_free(w);
	return r;
}

static struct archive *archive_open_any(void)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	return a;
}

static int extract_file(const char *path, const char *root, bool oci_layer, struct cell_error **err)
{
	struct archive *a = archive_open_any();
	int r;
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK)
		r = cell_error_set(err, EINVAL, "not a tarball: %s", archive_error_string(a));
	else
		r = extract_archive(a, root, oci_layer, err);
	archive_read_free(a);
	return r;
}

/* An OCI image laid out in dir: index.json -> manifest -> layers, applied bottom-up. */
static int oci_apply(const char *dir, const char *root, struct cell_error **err)
{
	_cleanup_free_ char *index_path = NULL;
	_cleanup_json_ json_t *index = NULL, *manifest = NULL;
	if (asprintf(&index_path, "%s/index.json", dir) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	int r = json_load_object_file(index_path, &index, err);
	if (r < 0)
		return r;
	json_t *m = json_array_get(json_object_get(index, "manifests"), 0);
	const char *digest = json_string_value(json_object_get(m, "digest"));
	if (!digest || strncmp(digest, "sha256:", 7) != 0 || strchr(digest + 7, '/'))
		return cell_error_set(err, EINVAL, "OCI image: index.json has no sha256 manifest");
	_cleanup_free_ char *mpath = NULL;
	if (asprintf(&mpath, "%s/blobs/sha256/%s", dir, digest + 7) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	if ((r = json_load_object_file(mpath, &manifest, err)) < 0)
		return r;
	size_t i;
	json_t *layer;
	json_array_foreach (json_object_get(manifest, "layers"), i, layer) {
		const char *ld = json_string_value(json_object_get(layer, "digest"));
		_cleanup_free_ char *lpath = NULL;
		if (!ld || strncmp(ld, "sha256:", 7) != 0 || strchr(ld + 7, '/'))
			return cell_error_set(err, EINVAL,
					      "OCI image: layer %zu has no sha256 digest", i);
		if (asprintf(&lpath, "%s/blobs/sha256/%s", dir, ld + 7) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		if ((r = extract_file(lpath, root, true, err)) < 0)
			return cell_error_wrap(err, "OCI layer %zu", i);
	}
	return 0;
}

/* Does the tarball hold an oci-layout file at its top? */
static bool is_oci_archive(const char *path)
{
	struct archive *a = archive_open_any();
	struct archive_entry *e;
	bool oci = false;
	if (archive_read_open_filename(a, path, 1 << 16) == ARCHIVE_OK) {
		while (!oci && archive_read_next_header(a, &e) == ARCHIVE_OK) {
			const char *p = archive_entry_pathname(e);
			if (p[0] == '.' && p[1] == '/')
				p += 2;
			oci = strcmp(p, "oci-layout") == 0;
		}
	}
	archive_read_free(a);
	return oci;
}

int images_import_file(struct celld *d, const char *path, char **ret_fp, struct cell_error **err)
{
	return images_import_file_props(d, path, NULL, ret_fp, err);
}

int images_import_file_props(struct celld *d, const char *path, json_t *given, char **ret_fp,
			     struct cell_error **err)
{
	char fp[65];
	int r = images_sha256_file(path, fp, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *have = NULL;
	if (db_image_get(d->db, fp, &have, NULL) == 0)
		return cell_error_set(err, EEXIST, "image already exists: %s", fp);
	_cleanup_free_ char *tmp = image_dir(d, fp, ".tmp");
	_cleanup_free_ char *root = image_dir(d, fp, ".tmp/rootfs");
	_cleanup_free_ char *layout = image_dir(d, fp, ".tmp/oci");
	if (!tmp || !root || !layout)
		return cell_error_set(err, ENOMEM, "out of memory");
	fs_rm_rf(tmp, NULL);
	if ((r = fs_mkdir_p(root, 0755, err)) < 0)
		return r;
	bool oci = is_oci_archive(path);
	if (oci) {
		r = fs_mkdir_p(layout, 0700, err);
		if (r == 0)
			r = extract_file(path, layout, true, err);
		if (r == 0)
			r = oci_apply(layout, root, err);
		fs_rm_rf(layout, NULL);
	} else {
		r = extract_file(path, root, false, err);
	}
	json_t *props =
		given ? json_incref(given) :
			json_pack("{ss ss}", "description", oci ? "OCI image" : "imported rootfs",
				  "architecture", "x86_64");
	if (r == 0)
		r = image_commit(d, fp, props, tmp, err);
	json_decref(props);
	if (r < 0) {
		fs_rm_rf(tmp, NULL);
		return r;
	}
	*ret_fp = strdup(fp);
	return 0;
}
