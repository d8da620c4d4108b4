#!/bin/sh
# skillyard-eval: the eval harness of the sandbox runtime images (/usr/local/bin/skillyard-eval).
# Runs a skill's entry point once per eval case, in lockstep with the server; the protocol is
# described under "Eval harness" in runtimes/README.md.
#
#   skillyard-eval NONCE CASE_TIMEOUT_SECONDS OUTPUT_CAP_BYTES -- ENTRYPOINT [ARG...]
#
# stdin:  one line per case, the base64 of its input JSON; EOF ends the harness (exit 0).
# stdout: one result line per case, printed only once every process of the case is gone:
#         __SKILLYARD_EVAL_<nonce>__ <case> <exit-code> <duration-ms> <timed-out 0|1> <base64 of stdout>
#
# POSIX sh (dash), plus GNU coreutils base64, cat, date, head, rm, sleep and timeout.
# Exit status: 0 at EOF; 2 for a bad command line or a missing tool; 3 when a case's processes
# could not be accounted for (the harness stops rather than run the next case next to them).
set -u

usage() {
  printf 'skillyard-eval: %s\nusage: skillyard-eval NONCE CASE_TIMEOUT_SECONDS OUTPUT_CAP_BYTES -- ENTRYPOINT [ARG...]\n' "$1" >&2
  exit 2
}

[ "$#" -ge 5 ] || usage "too few arguments"
nonce=$1
case_timeout=$2
output_cap=$3
case $nonce in
  *[!0-9a-f]* | "") usage "the nonce must be lowercase hex digits" ;;
esac
case $case_timeout in
  *[!0-9]* | "" | 0*) usage "the case timeout must be a whole number of seconds, at least 1" ;;
esac
case $output_cap in
  *[!0-9]* | "" | 0?*) usage "the output cap must be a whole number of bytes" ;;
esac
[ "$4" = "--" ] || usage "expected -- before the entry point"
shift 4
for tool in base64 cat date head rm sleep timeout; do
  command -v "$tool" >/dev/null 2>&1 || usage "$tool is missing from this image"
done

# How long the capture may wait for the entry point's stdout to close: the entry point is killed
# after case_timeout, but a process that started its own session keeps the pipe open; 2 s more is
# plenty to read what the entry point wrote before it died.
capture_timeout=$((case_timeout + 2))
nl='
'

# A pipeline element: stdin is the case's base64 line, stdout the entry point's stdout, fd 7 its
# stderr. Writes "<exit-code> <duration-ms>" and a newline to fd 5 once the entry point has ended.
run_entry() {
  # An asynchronous command's stdin is /dev/null unless redirected: keep the real one on fd 4.
  exec 4<&0
  started=$(date +%s%3N)
  # timeout makes itself a process group leader: its group holds the entry point and every
  # descendant that did not start a group of its own. The decoder runs in that group too, so
  # nothing upstream can block on an entry point that stopped reading. The entry point gets
  # fds 0-2 only (an inherited fd 5 would hold the status pipe open).
  timeout -s KILL "$case_timeout" sh -c 'base64 -d | "$@"' skillyard-case "$@" <&4 4<&- 5>&- 2>&7 7>&- &
  pid=$!
  exec 4<&-
  wait "$pid"
  rc=$?
  ended=$(date +%s%3N)
  # Background children of a finished entry point would hold its stdout open: end them now.
  # Those that moved to a process group of their own are the capture timeout's and kill -1's job.
  kill -s KILL -- "-$pid" 2>/dev/null
  printf '%s %s\n' "$rc" "$((ended - started))" >&5
}

# A pipeline element: reads the entry point's stdout to its end and prints its first
# output_cap + 1 bytes in base64 on one line (one byte more than the cap tells truncation). The
# rest is drained to /dev/null, never stored, so a flood costs neither memory nor /tmp, and the
# entry point does not die of SIGPIPE at the cap: its exit code stays its own.
# Only the first cat runs under the capture timeout: it writes what it reads at once (no stdio
# buffer), so killing it loses nothing already read, and head then sees EOF and flushes.
capture() {
  timeout -s KILL "$capture_timeout" cat | {
    head -c "$((output_cap + 1))"
    cat >/dev/null
  } | base64 -w 0
}

# True while any process but PID 1 (docker-init) and this shell exists in the container.
others_alive() {
  for entry in /proc/[0-9]*; do
    case ${entry#/proc/} in
      1 | "$$") ;;
      *) return 0 ;;
    esac
  done
  return 1
}

# kill -1 as the sandbox user signals every process of the container except PID 1 and the caller
# (this shell), atomically with respect to fork, so nothing of the case outlives it. Waits until
# docker-init has reaped them, so the next case starts with the whole pids limit.
kill_leftovers() {
  tries=0
  while :; do
    kill -s KILL -- -1 2>/dev/null
    others_alive || return 0
    tries=$((tries + 1))
    [ "$tries" -lt 500 ] || return 1
    sleep 0.01
  done
}

index=0
# Lockstep: the server writes the next line only after reading this case's result line, and the
# result line is printed after kill_leftovers, so no process of a case ever sees a later input.
while IFS= read -r line; do
  # fd 5 carries run_entry's status line out of the pipeline; the captured output follows it.
  # The shell's own "Killed" notices for SIGKILLed helpers go to /dev/null; the entry point's
  # stderr (and timeout's) goes to the container's stderr through fd 7.
  report=$(
    {
      captured=$(printf '%s\n' "$line" 5>&- | run_entry "$@" 7>&2 2>/dev/null | capture 5>&- 2>/dev/null)
      printf '%s' "$captured"
    } 5>&1
  )
  status=${report%%"$nl"*}
  captured=${report#"$status"}
  captured=${captured#"$nl"}
  case $status in
    *[!0-9\ ]* | *" "*" "*) status= ;;
    [0-9]*" "[0-9]*) ;;
    *) status= ;;
  esac
  if [ -z "$status" ]; then
    # run_entry died before reporting (the OOM killer can pick it): no trustworthy result.
    printf 'skillyard-eval: lost track of case %s\n' "$index" >&2
    exit 3
  fi
  rc=${status%% *}
  ms=${status#* }
  timed_out=0
  # timeout -s KILL also kills itself, so a timed-out case ends as SIGKILL (137) after the limit.
  if [ "$rc" = 137 ] && [ "$ms" -ge $((case_timeout * 1000)) ]; then timed_out=1; fi
  if ! kill_leftovers; then
    printf 'skillyard-eval: processes of case %s survived SIGKILL; stopping\n' "$index" >&2
    exit 3
  fi
  # Every case starts with an empty /tmp (the only writable place): nothing a case wrote shapes the
  # next one, and a case that filled the tmpfs does not starve it.
  rm -rf /tmp/* /tmp/.[!.]* /tmp/..?* 2>/dev/null || printf 'skillyard-eval: could not empty /tmp after case %s\n' "$index" >&2
  printf '__SKILLYARD_EVAL_%s__ %s %s %s %s %s\n' "$nonce" "$index" "$rc" "$ms" "$timed_out" "$captured"
  index=$((index + 1))
done
exit 0
