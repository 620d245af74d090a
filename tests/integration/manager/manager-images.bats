#!/usr/bin/env bats
# manager-images.bats - importing rootfs tarballs and OCI images, fingerprints and aliases.

load helpers

setup_file() {
  mgr_setup_file images
}

teardown_file() {
  mgr_teardown_file
}

@test "a rootfs tarball imports by sha256 fingerprint, takes an alias and launches" {
  t=$BATS_TEST_TMPDIR/rootfs.tar.gz
  tar -C "$CELL_IMAGE/rootfs" -czf "$t" .
  want=$(sha256sum "$t" | cut -d' ' -f1)
  a=$(cell_id)a
  run cell image import "$t" --alias "$a"
  [ "$status" -eq 0 ]
  [[ "$output" == *"$want"* ]]
  run cell image list
  [[ "$output" == *"$a"*"${want:0:12}"* ]]
  run cell image import "$t"
  [ "$status" -ne 0 ]
  [[ "$output" == *"already exists"* ]]
  n=$(cell_id)
  # Busybox's init without an inittab would look for ttys; give it one through the image.
  cell launch "$a" "$n"
  run cell exec "$n" -- cat /etc/os-release
  [[ "$output" == *busybox* ]]
  cell delete -f "$n"
  cell image alias delete "$a"
  cell image delete "${want:0:12}"
  [ ! -e "$MGR_STATE/images/$want" ]
}

@test "a file that is not a tarball is refused and leaves nothing behind" {
  head -c 4096 /dev/urandom >"$BATS_TEST_TMPDIR/junk"
  before=$(ls "$MGR_STATE/images" | wc -l)
  run cell image import "$BATS_TEST_TMPDIR/junk"
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -le 2 ]
  [ "$(ls "$MGR_STATE/images" | wc -l)" = "$before" ]
}

# oci_blob FILE: store FILE as a blob of the layout in $L, print its digest.
oci_blob() {
  local d
  d=$(sha256sum "$1" | cut -d' ' -f1)
  cp "$1" "$L/blobs/sha256/$d"
  echo "$d"
}

@test "an OCI image archive imports with its layers applied in order, whiteouts honoured" {
  L=$BATS_TEST_TMPDIR/oci
  mkdir -p "$L/blobs/sha256" "$BATS_TEST_TMPDIR/l1" "$BATS_TEST_TMPDIR/l2/etc" "$BATS_TEST_TMPDIR/l2/opt"
  cp -a "$CELL_IMAGE/rootfs/." "$BATS_TEST_TMPDIR/l1/"
  echo gone >"$BATS_TEST_TMPDIR/l1/etc/removed"
  mkdir -p "$BATS_TEST_TMPDIR/l1/opt/old"
  echo old >"$BATS_TEST_TMPDIR/l1/opt/old/file"
  printf '::sysinit:/bin/true\n' >"$BATS_TEST_TMPDIR/l1/etc/inittab"
  echo layer2 >"$BATS_TEST_TMPDIR/l2/etc/added"
  : >"$BATS_TEST_TMPDIR/l2/etc/.wh.removed"
  : >"$BATS_TEST_TMPDIR/l2/opt/.wh..wh..opq"
  tar -C "$BATS_TEST_TMPDIR/l1" -czf "$BATS_TEST_TMPDIR/l1.tgz" .
  tar -C "$BATS_TEST_TMPDIR/l2" -czf "$BATS_TEST_TMPDIR/l2.tgz" .
  d1=$(oci_blob "$BATS_TEST_TMPDIR/l1.tgz")
  d2=$(oci_blob "$BATS_TEST_TMPDIR/l2.tgz")
  echo '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' >"$BATS_TEST_TMPDIR/cfg"
  dc=$(oci_blob "$BATS_TEST_TMPDIR/cfg")
  jq -n --arg c "$dc" --arg a "$d1" --arg b "$d2" '{schemaVersion:2,
    mediaType:"application/vnd.oci.image.manifest.v1+json",
    config:{mediaType:"application/vnd.oci.image.config.v1+json",digest:("sha256:"+$c),size:1},
    layers:[{mediaType:"application/vnd.oci.image.layer.v1.tar+gzip",digest:("sha256:"+$a),size:1},
            {mediaType:"application/vnd.oci.image.layer.v1.tar+gzip",digest:("sha256:"+$b),size:1}]}' \
    >"$BATS_TEST_TMPDIR/manifest"
  dm=$(oci_blob "$BATS_TEST_TMPDIR/manifest")
  jq -n --arg m "$dm" '{schemaVersion:2,manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:("sha256:"+$m),size:1}]}' >"$L/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$L/oci-layout"
  tar -C "$L" -cf "$BATS_TEST_TMPDIR/oci.tar" .
  a=$(cell_id)o
  cell image import "$BATS_TEST_TMPDIR/oci.tar" --alias "$a"
  n=$(cell_id)
  cell launch "$a" "$n"
  run cell exec "$n" -- cat /etc/added
  [ "$output" = layer2 ]
  run cell exec "$n" -- test -e /etc/removed
  [ "$status" -ne 0 ]
  run cell exec "$n" -- ls -A /opt
  [ -z "$output" ]
  cell delete -f "$n"
  cell image delete "$a"
}

@test "the suite leaves no instance, mount, cgroup or process behind" {
  mgr_teardown_file
  mgr_leak_check "$BATS_FILE_TMPDIR/leaks.before"
}
