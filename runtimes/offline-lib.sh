# shellcheck shell=bash
# Helpers shared by the offline image builders (runtimes/build-offline.sh for the sandbox images,
# deploy/build-images.sh for the product images). Sourced, not run. The caller sets:
#   LOG_TAG  prefix of every progress line, e.g. build-offline
#   SUITE    the Debian suite debootstrap installs, e.g. bookworm
# and owns the global bg_pid, which run_debootstrap sets while debootstrap runs so that the caller's
# EXIT trap can stop it (stop_background) and unmount what it left (unmount_under).

log() { printf '[%s] %s\n' "$LOG_TAG" "$*"; }
die() {
  printf '[%s] error: %s\n' "$LOG_TAG" "$*" >&2
  exit 1
}
now() { printf '%s' "${EPOCHREALTIME:-$(date +%s)}"; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f s", e - s }'; }

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }
# The value of label $2 of image $1 ("" when absent).
image_label() { docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

# Checks that the docker CLI is there and the engine answers.
require_docker() {
  local err
  command -v docker >/dev/null 2>&1 || die "the docker CLI is not installed (Debian package docker.io)"
  if ! err=$(docker info 2>&1 >/dev/null); then
    die "'docker info' failed: is dockerd running and reachable (DOCKER_HOST=${DOCKER_HOST:-unset})? ${err}"
  fi
}

# Parent folder for scratch space. Rootfs builds need exec and device nodes, so skip a noexec/nodev /tmp.
scratch_parent() {
  if command -v findmnt >/dev/null 2>&1 && findmnt -no OPTIONS -T /tmp | grep -Eq '(^|,)(noexec|nodev)(,|$)'; then
    log "/tmp is mounted noexec or nodev; using /var/tmp for the rootfs" >&2
    printf '/var/tmp'
  else
    printf '/tmp'
  fi
}

# Interrupted mid-debootstrap: stop its whole process group (dpkg runs in the chroot) and let it
# unmount what it mounted before the tree is removed.
stop_background() {
  if [ -n "${bg_pid:-}" ]; then
    kill -TERM -- "-$bg_pid" 2>/dev/null || true
    wait "$bg_pid" 2>/dev/null || true
  fi
}

# debootstrap mounts /proc and /sys in the target; a failed run can leave them mounted.
unmount_under() {
  awk -v w="$1/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
}

# First Debian mirror in the host's apt sources (one-line .list and deb822 .sources formats):
# prefers an entry for $SUITE, else any plain Debian suite; never -security/-updates or third parties.
# host_mirror SUITE exact: only an entry for that suite (e.g. bookworm-security), else nothing.
host_mirror() {
  local want=${1:-$SUITE} exact_only=${2:-} files=() f
  [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && files+=("$f")
  done
  [ "${#files[@]}" -gt 0 ] || return 0
  awk -v suite="$want" -v exact_only="$exact_only" '
    function plain(s) { return s ~ /^(bullseye|bookworm|trixie|forky|duke|sid|oldstable|stable|testing|unstable)$/ }
    function consider(uri, suites,   n, i, a) {
      if (uri !~ /^(https?|ftp|file):\/\//) return
      n = split(suites, a, /[ \t]+/)
      for (i = 1; i <= n; i++) {
        if (a[i] == suite && exact == "") exact = uri
        if (plain(a[i]) && any == "") any = uri
      }
    }
    function flush(   n, u) {
      uris = trim(uris); suites = trim(suites)
      if (types ~ /(^|[ \t])deb([ \t]|$)/ && tolower(enabled) != "no" && uris != "") {
        n = split(uris, u, /[ \t]+/); consider(u[1], suites)
      }
      types = suites = uris = enabled = last = ""
    }
    function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
    FNR == 1 { flush(); deb822 = (FILENAME ~ /\.sources$/) }
    /^[ \t]*#/ { next }
    !deb822 {
      line = $0; sub(/\[[^]]*\]/, "", line); n = split(trim(line), f, /[ \t]+/)
      if (f[1] == "deb" && n >= 3) consider(f[2], f[3])
      next
    }
    /^[ \t]*$/ { flush(); next }
    /^[ \t]/ { if (last == "uris") uris = uris " " trim($0); else if (last == "suites") suites = suites " " trim($0); next }
    {
      key = tolower($0); sub(/:.*/, "", key); val = $0; sub(/^[^:]*:/, "", val); val = trim(val); last = key
      if (key == "types") types = val; else if (key == "uris") uris = val
      else if (key == "suites") suites = val; else if (key == "enabled") enabled = val
    }
    END { flush(); if (exact != "") print exact; else if (exact_only == "" && any != "") print any }
  ' "${files[@]}"
}

# The mirror debootstrap uses: DEBIAN_MIRROR, else the host's apt sources.
debian_mirror() {
  local mirror=${DEBIAN_MIRROR:-$(host_mirror "$SUITE")}
  # No built-in fallback: which mirror a site may reach is the site's to say.
  [ -n "$mirror" ] || die "no Debian mirror: the host's apt sources name none; set DEBIAN_MIRROR to the URL of a Debian mirror this machine can reach"
  printf '%s' "$mirror"
}

# run_debootstrap ROOT LOGFILE [debootstrap options...]: a $SUITE rootfs in ROOT from debian_mirror.
run_debootstrap() {
  local root=$1 logfile=$2 mirror
  shift 2
  command -v debootstrap >/dev/null 2>&1 || die "debootstrap is not installed (apt-get install debootstrap)"
  mirror=$(debian_mirror)
  log "  debootstrap $* $SUITE from $mirror"
  if ! run_background "$logfile" debootstrap "$@" "$SUITE" "$root" "$mirror"; then
    tail -n 30 "$logfile" >&2
    [ -f "$root/debootstrap/debootstrap.log" ] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
    die "debootstrap failed (output above)"
  fi
}

# run_background LOGFILE COMMAND...: runs COMMAND with its output in LOGFILE and returns its status.
# In the background, in its own process group, so that a signal to the script is acted on at once
# (bash runs traps only between foreground commands) and the EXIT trap can stop all of it.
run_background() {
  local logfile=$1 status=0
  shift
  setsid -w "$@" >"$logfile" 2>&1 &
  bg_pid=$!
  wait "$bg_pid" || status=$?
  bg_pid=
  return "$status"
}

# Smaller image: no package caches, indexes, docs (copyright files stay), manuals or logs; and no
# resolv.conf or hostname of the build host (Docker supplies both at run time).
slim_rootfs() {
  local root=$1
  rm -rf "${root:?}"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/cache/debconf/*-old \
    "$root"/var/lib/dpkg/*-old "$root"/usr/share/man/* "$root"/usr/share/info/* \
    "$root"/usr/share/locale/* "$root"/usr/share/lintian "${root:?}"/dev/* "${root:?}"/run/*
  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  find "$root/var/log" -type f -delete
  # rm first: never write through a link.
  rm -f "$root/etc/resolv.conf" "$root/etc/hostname"
  : >"$root/etc/resolv.conf"
  : >"$root/etc/hostname"
}
