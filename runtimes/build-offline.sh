#!/usr/bin/env bash
# Builds the sandbox runtime images without a container registry (air-gapped sites, CI):
#   skillyard/runtime-python:3.11  Debian bookworm rootfs from debootstrap (python3 3.11 + pytest)
#   skillyard/runtime-node:20      the host's Node 20 binary + its libraries + dash, cat, env and
#                                  the coreutils the eval harness needs
# Both are `docker import`ed with the same settings the online Dockerfiles set, then get the eval
# harness (eval-harness.sh) as a thin layer labelled with its sha256.
#
# Usage: runtimes/build-offline.sh [--force] [python|node]...
#   no runtime named: both; an image that already exists is kept unless --force, and only its
#   harness layer is replaced when eval-harness.sh changed (seconds, no debootstrap).
# Environment: DEBIAN_MIRROR (default: the first Debian mirror in the host's apt sources),
#              NODE_BIN (default: `command -v node`).
set -euo pipefail
umask 022

PYTHON_IMAGE=skillyard/runtime-python:3.11
NODE_IMAGE=skillyard/runtime-node:20
SUITE=bookworm # its python3 is 3.11; another suite would change the runtime's version
# The sandbox's view: read-only root, tmpfs /tmp, nobody, no network (also used for the smoke tests).
RUN_FLAGS=(--rm --network none --read-only --tmpfs /tmp -u 65534:65534)
# The eval harness, installed in both images; the server refuses an image whose label differs.
HARNESS_SRC="$(cd "$(dirname "$0")" && pwd)/eval-harness.sh"
HARNESS_PATH=/usr/local/bin/skillyard-eval
HARNESS_LABEL=org.skillyard.eval-harness
# The image the harness layer was added to, so that a new harness replaces the layer instead of stacking.
HARNESS_BASE_LABEL=org.skillyard.eval-harness.base
# What the harness runs besides sh (the node rootfs copies them from the host).
HARNESS_TOOLS=(base64 date head rm sleep timeout)
COMMON_CHANGES=(
  --change 'ENV HOME=/tmp'
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  --change 'WORKDIR /skill'
  --change 'USER 65534:65534'
)

# log, die, timings, the Debian mirror, debootstrap and rootfs slimming (shared with deploy/build-images.sh).
LOG_TAG=build-offline
# shellcheck source=runtimes/offline-lib.sh
. "$(cd "$(dirname "$0")" && pwd)/offline-lib.sh"

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }

force=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --force | -f) force=1 ;;
    python | node) targets+=("$arg") ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $arg" ;;
  esac
done
[ "${#targets[@]}" -gt 0 ] || targets=(python node)

[ -f "$HARNESS_SRC" ] || die "$HARNESS_SRC is missing"
HARNESS_SHA=$(sha256sum "$HARNESS_SRC" | cut -d' ' -f1)
[ "$(id -u)" = 0 ] || die "must run as root (debootstrap needs it, and so does a root-owned rootfs); try: sudo $0 $*"
require_docker

# Scratch space, removed on exit.
work=$(mktemp -d "$(scratch_parent)/skillyard-runtimes.XXXXXX")
bg_pid=
layer_cid=
cleanup() {
  # Interrupted while adding the harness layer: the never-started container it was copied into.
  [ -z "$layer_cid" ] || docker rm -f "$layer_cid" >/dev/null 2>&1 || true
  stop_background
  unmount_under "$work"
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Imports a rootfs as $1, then replaces the previous image of that name (if any, with the image
# below its harness layer) and smoke-tests it.
import_rootfs() {
  local image=$1 root=$2 old old_base new
  shift 2
  old=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  old_base=$(image_label "$image" "$HARNESS_BASE_LABEL")
  # --numeric-owner: ids must mean the same inside the image whatever the host's user names are.
  new=$(tar --numeric-owner -C "$root" -c . | docker import "${COMMON_CHANGES[@]}" "$@" - "$image")
  if [ -n "$old" ] && [ "$old" != "$new" ]; then
    docker rmi "$old" >/dev/null 2>&1 || true # still used by a container: leave it
    [ -z "$old_base" ] || docker rmi "$old_base" >/dev/null 2>&1 || true
  fi
}

# Runs a command in $1 the way the sandbox does; on failure the image is removed, so that
# a later run without --force rebuilds it instead of keeping a broken image.
smoke() {
  local image=$1 out
  shift
  if ! out=$(docker run "${RUN_FLAGS[@]}" "$image" "$@" 2>&1); then
    docker rmi "$image" >/dev/null 2>&1 || true
    die "smoke test failed in $image: $* -> $out"
  fi
  log "  $image: $* -> $(printf '%s' "$out" | tr '\n' ' ')"
}

build_python() {
  local t0 root version
  t0=$(now)
  root="$work/python"
  log "python: debootstrap --variant=minbase with python3, python3-pytest"
  run_debootstrap "$root" "$work/debootstrap.log" --variant=minbase --include=python3,python3-pytest
  log "python: debootstrap done in $(since "$t0")"

  # The image name promises 3.11: check it before anything is imported.
  version=$(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot "$root" python3 -c \
    'import sys, pytest; print("%d.%d.%d pytest %s" % (sys.version_info[:3] + (pytest.__version__,)))') ||
    die "python3 or pytest does not run in the new rootfs"
  case "$version" in
    3.11.*) log "python: Python $version" ;;
    *) die "$SUITE's python3 is $version, not 3.11: $PYTHON_IMAGE would be mislabelled" ;;
  esac

  slim_rootfs "$root"
  install -d -m 0755 "$root/skill"
  install -d -m 1777 "$root/tmp"

  log "python: importing $PYTHON_IMAGE"
  import_rootfs "$PYTHON_IMAGE" "$root" \
    --change 'ENV PYTHONDONTWRITEBYTECODE=1' \
    --change 'LABEL org.skillyard.runtime=python-3.11' \
    --change 'CMD ["python3"]'
  smoke "$PYTHON_IMAGE" python3 -m pytest --version
  smoke "$PYTHON_IMAGE" sh -c 'echo ok | cat'
  log "python: built $PYTHON_IMAGE in $(since "$t0")"
}

# Copies host file $1 to the same path in rootfs $2, following symlinks (the rootfs is usr-merged,
# so /lib/... and /lib64/... land under usr/ through its own relative links).
copy_in() {
  mkdir -p "$2$(dirname "$1")"
  cp -L "$1" "$2$1"
}

# Copies an executable to $3 (absolute path inside rootfs $2) plus every library ldd lists and the loader.
copy_program() {
  local bin=$1 root=$2 dest=$3 deps lib
  mkdir -p "$root$(dirname "$dest")"
  cp -L "$bin" "$root$dest"
  chmod 0755 "$root$dest"
  if ! deps=$(ldd "$bin" 2>&1); then
    case "$deps" in
      *"not a dynamic executable"*) return 0 ;; # static: nothing else to copy
      *) die "ldd $bin failed: $deps" ;;
    esac
  fi
  case "$deps" in *"not found"*) die "$bin needs libraries missing on this host: $deps" ;; esac
  # Lines look like "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)".
  while read -r lib; do
    [ -e "$root$lib" ] || copy_in "$lib" "$root"
  done < <(printf '%s\n' "$deps" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }')
}

build_node() {
  local t0 root node version tool src
  t0=$(now)
  node=${NODE_BIN:-$(command -v node || true)}
  [ -n "$node" ] || die "no node on this host: the node runtime copies the host's Node 20 binary"
  node=$(readlink -f "$node")
  version=$("$node" --version) || die "$node does not run"
  case "$version" in
    v20.*) ;;
    *) die "$node is $version, not v20.x: $NODE_IMAGE must be Node 20 (set NODE_BIN to a Node 20 binary)" ;;
  esac
  root="$work/node"
  log "node: minimal rootfs with $node ($version), dash as /bin/sh, cat, env, ${HARNESS_TOOLS[*]}"

  # Usr-merged layout like Debian's, so binaries and libraries resolve at their usual paths.
  install -d -m 0755 "$root" "$root"/usr/bin "$root"/usr/sbin "$root"/usr/lib "$root"/usr/lib64 \
    "$root"/etc "$root"/dev "$root"/proc "$root"/sys "$root"/skill
  install -d -m 1777 "$root/tmp"
  ln -s usr/bin "$root/bin"
  ln -s usr/sbin "$root/sbin"
  ln -s usr/lib "$root/lib"
  ln -s usr/lib64 "$root/lib64"

  copy_program "$node" "$root" /usr/bin/node
  # The runner wraps commands in `sh -c`; dash is small and on every Debian host.
  src=$(command -v dash || true)
  [ -n "$src" ] || die "dash is not installed on this host (apt-get install dash)"
  copy_program "$src" "$root" /usr/bin/dash
  ln -s dash "$root/usr/bin/sh"
  # cat for tests and tooling; env for `#!/usr/bin/env node` scripts; the rest for the eval harness.
  # GNU coreutils that need only libc, so copy_program adds nothing but the loader and libc.
  for tool in cat env "${HARNESS_TOOLS[@]}"; do
    src=$(command -v "$tool" || true)
    [ -n "$src" ] || die "$tool is not installed on this host"
    copy_program "$src" "$root" "/usr/bin/$tool"
  done

  # User and group 65534 resolve by name (os.userInfo(), id-based tools); glibc reads these files.
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' \
    >"$root/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$root/etc/group"
  printf '%s\n' 'passwd: files' 'group: files' 'hosts: files' >"$root/etc/nsswitch.conf"
  : >"$root/etc/hosts"
  : >"$root/etc/resolv.conf"
  : >"$root/etc/hostname"

  log "node: importing $NODE_IMAGE"
  import_rootfs "$NODE_IMAGE" "$root" \
    --change 'LABEL org.skillyard.runtime=node-20' \
    --change 'CMD ["node"]'
  smoke "$NODE_IMAGE" node --version
  smoke "$NODE_IMAGE" sh -c 'echo ok | cat'
  smoke "$NODE_IMAGE" sh -c 'echo ok | base64 -w 0 | base64 -d | head -c 2 && timeout 5 sleep 0 && date +%s%3N >/dev/null'
  log "node: built $NODE_IMAGE in $(since "$t0")"
}

# Gives image $1 the current eval harness as a thin layer on top of the image without one: a
# never-started container gets the file through `docker cp`, and `docker commit` keeps the image's
# CMD, ENTRYPOINT, USER, WORKDIR and ENV and adds the labels. Nothing to do when the label matches.
layer_harness() {
  local image=$1 old base stage new
  if [ "$(image_label "$image" "$HARNESS_LABEL")" = "$HARNESS_SHA" ]; then
    log "$image: eval harness up to date"
    return 0
  fi
  old=$(docker image inspect -f '{{.Id}}' "$image")
  base=$(image_label "$image" "$HARNESS_BASE_LABEL")
  # Without a harness yet (or when its base was pruned), the image itself is the base.
  if [ -z "$base" ] || ! image_exists "$base"; then base=$old; fi
  log "$image: adding the eval harness (sha256 $HARNESS_SHA)"
  stage="$work/harness"
  rm -rf "$stage"
  install -D -m 0755 "$HARNESS_SRC" "$stage$HARNESS_PATH"
  layer_cid=$(docker create "$base")
  # Parent directories listed explicitly (root, 0755): the node image has no /usr/local.
  tar --numeric-owner --owner=0 --group=0 --no-recursion -C "$stage" -c usr/local usr/local/bin "${HARNESS_PATH#/}" |
    docker cp - "$layer_cid:/"
  new=$(docker commit --change "LABEL $HARNESS_LABEL=$HARNESS_SHA" --change "LABEL $HARNESS_BASE_LABEL=$base" "$layer_cid" "$image")
  docker rm "$layer_cid" >/dev/null
  layer_cid=
  # The previous harness layer, unless it was the base itself or is still used by a container.
  if [ "$old" != "$base" ] && [ "$old" != "$new" ]; then docker rmi "$old" >/dev/null 2>&1 || true; fi
  smoke_harness "$image" "$base"
}

# True when image $1 has every program the harness runs.
has_harness_tools() {
  docker run "${RUN_FLAGS[@]}" --entrypoint /bin/sh "$1" -c 'for t in "$@"; do command -v "$t" >/dev/null || exit 1; done' sh \
    "${HARNESS_TOOLS[@]}" >/dev/null 2>&1
}

# Runs one case through the harness the way the sandbox does (stdin attached, docker-init as PID 1).
# On failure the image goes back to its base, so the next run adds the layer again.
smoke_harness() {
  local image=$1 base=$2 out
  out=$(printf '%s\n' "$(printf '{"ok":1}' | base64)" |
    docker run -i --init "${RUN_FLAGS[@]}" "$image" skillyard-eval 0123456789abcdef 5 100 -- cat 2>&1) || true
  case "$out" in
    "__SKILLYARD_EVAL_0123456789abcdef__ 0 0 "[0-9]*" 0 eyJvayI6MX0=") log "  $image: eval harness -> $out" ;;
    *)
      docker tag "$base" "$image"
      die "eval harness smoke test failed in $image: $out"
      ;;
  esac
}

t_all=$(now)
for target in "${targets[@]}"; do
  case "$target" in
    python) image=$PYTHON_IMAGE ;;
    node) image=$NODE_IMAGE ;;
  esac
  if [ "$force" = 1 ] || ! image_exists "$image"; then
    "build_$target"
  elif [ "$(image_label "$image" "$HARNESS_LABEL")" = "$HARNESS_SHA" ]; then
    log "$image exists with the current eval harness; not rebuilt (use --force to rebuild)"
  elif ! has_harness_tools "$image"; then
    # Node images built before the harness existed have only cat and env: a 2 s rebuild.
    log "$image lacks tools the eval harness needs (${HARNESS_TOOLS[*]}); rebuilding it"
    "build_$target"
  else
    log "$image exists; not rebuilt (use --force to rebuild)"
  fi
  layer_harness "$image"
done
docker image ls --filter 'label=org.skillyard.runtime' --format '{{.Repository}}:{{.Tag}}  {{.Size}}  (created {{.CreatedSince}})' |
  sed 's/^/[build-offline]   /'
log "done in $(since "$t_all")"
