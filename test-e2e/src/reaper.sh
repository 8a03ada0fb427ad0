#!/bin/sh
# Last-resort cleanup for the e2e harness, started detached (own session) by src/proc.ts.
# Waits until the test process PARENT is gone, then stops the processes and deletes the network
# namespaces listed in LIST (lines "pid PID STARTTIME", "netns NAME", "dir PATH"), which the harness keeps
# up to date. Covers what exit handlers cannot: jest killed by SIGINT or SIGKILL.
# A PID is killed only if its start time still matches, so a reused PID is never hit.
PARENT=$1
LIST=$2
while kill -0 "$PARENT" 2>/dev/null; do sleep 1; done
[ -f "$LIST" ] || exit 0
while read -r kind a b; do
  if [ "$kind" = pid ] && [ -r "/proc/$a/stat" ]; then
    now=$(sed 's/.*) //' "/proc/$a/stat" | cut -d' ' -f20)
    [ "$now" = "$b" ] && kill -KILL "$a" 2>/dev/null
  fi
done < "$LIST"
while read -r kind a b; do
  [ "$kind" = netns ] && ip netns del "$a" 2>/dev/null
  # Only the harness's own temp dirs, whatever the list says.
  case "$kind:$a" in dir:/tmp/dhcpmgr-e2e-*) rm -rf "$a" ;; esac
done < "$LIST"
rm -f "$LIST"
