/* image-build.h - images celld builds itself from a distribution's archive (debian/12 through
 * debootstrap), cached per machine as a tarball and imported from it. */
#pragma once

#include <stdbool.h>

#include "celld.h"
#include "error.h"

struct request;
struct response;

/* Called with a one-line progress message ("debootstrap: Retrieving libc6 [12 retrieved] (9s)"). */
typedef void (*image_progress_fn)(void *ctx, const char *msg);

/* Whether name ("debian/12") is an image celld can build. */
bool image_build_known(const char *name);
/* The buildable names, ", "-separated (caller frees). */
char *image_build_names(void);
/*
 * The image name, as an alias: present already (*ret_cached), else imported from the machine's
 * cache tarball (CACHE-DIR/debootstrap-debian-12-v1.tar), else built into that cache first.
 * Builds of one name are serialized. *ret_fp gets the fingerprint.
 */
int image_build(struct celld *d, const char *name, image_progress_fn fn, void *ctx, char **ret_fp,
		bool *ret_cached, struct cell_error **err);
/* POST /1.0/images with {"source": {"type": "build", "name": "debian/12"}}: an operation whose
 * metadata carries "build_progress", then "fingerprint", "alias" and "cached". */
int api_images_build(struct request *req, struct response *resp);
