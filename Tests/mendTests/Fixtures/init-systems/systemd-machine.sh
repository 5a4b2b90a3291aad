#!/bin/bash
# Boots this machine's systemd as PID 1 of private pid, mount, uts, ipc, net and cgroup namespaces,
# over a copy-on-write overlay of / (its upper layer a tmpfs), for the service tests. Never on the
# host's own filesystem: systemd-tmpfiles would empty the real /tmp and the host's enable links would
# start. /proc/sys and /sys are read-only, /run, /tmp and /etc/systemd/system are empty tmpfs (no host
# unit is enabled), CAP_SYS_TIME, CAP_SYS_MODULE and CAP_SYS_RAWIO are dropped, and the console is a
# log file. The directory SHARE is bound at the same path inside, for runbooks and results.
#
#   systemd-machine.sh start DIR SHARE [OWNER [BIND…]]
#                                        boot (about 0.5 s); DIR/pid1 holds PID 1's host pid. When
#                                        the process OWNER ends without a stop (a test run killed
#                                        with SIGKILL), a watcher stops the machine ("-": none).
#                                        Each BIND directory is bound read-only at the same path
#                                        inside (mend's build directory: it may lie under /tmp,
#                                        which the machine covers with its own tmpfs).
#   systemd-machine.sh stop DIR          power off, kill what is left by pid, remove the cgroup
set -u
cmd=$1 W=$2

if [ "$cmd" = __inner ]; then   # PID 1 of the new pid namespace, in the new mount namespace
  set -e
  SHARE=$3 N=$W/root; shift 3
  mount -t tmpfs -o size=1g tmpfs "$W/ovl"
  mkdir -p "$W/ovl/up" "$W/ovl/work"
  mount -t overlay overlay -o "lowerdir=/,upperdir=$W/ovl/up,workdir=$W/ovl/work" "$N"
  mount -t proc proc "$N/proc"
  mount --bind "$N/proc/sys" "$N/proc/sys" && mount -o remount,bind,ro "$N/proc/sys"
  mount -t sysfs -o ro sysfs "$N/sys"
  mount -t cgroup2 cgroup2 "$N/sys/fs/cgroup"
  mount -t tmpfs -o mode=755 tmpfs "$N/dev"
  for d in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    IFS=: read -r n a b <<<"$d"; mknod -m 666 "$N/dev/$n" c "$a" "$b"
  done
  mkdir "$N/dev/pts" "$N/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666 devpts "$N/dev/pts"; ln -s pts/ptmx "$N/dev/ptmx"
  touch "$N/dev/console"; mount --bind "$W/console.log" "$N/dev/console"
  mount -t tmpfs -o mode=755 tmpfs "$N/run"; mount -t tmpfs -o mode=1777 tmpfs "$N/tmp"
  mount -t tmpfs -o mode=755 tmpfs "$N/etc/systemd/system"
  mkdir -p "$N$SHARE"; mount --bind "$SHARE" "$N$SHARE"
  for dir in "$@"; do mkdir -p "$N$dir"; mount --bind "$dir" "$N$dir"; mount -o remount,bind,ro "$N$dir"; done
  cd "$N"; mkdir -p .oldroot; pivot_root . .oldroot; umount -l /.oldroot; rmdir /.oldroot
  exec setpriv --bounding-set -sys_time,-sys_module,-sys_rawio,-wake_alarm \
    env -i container=mend-test PATH=/usr/sbin:/usr/bin:/sbin:/bin /lib/systemd/systemd --unit=basic.target
fi

cgroup_base() { if [ -d /sys/fs/cgroup/unified ]; then echo /sys/fs/cgroup/unified; else echo /sys/fs/cgroup; fi; }

case $cmd in
start)
  SHARE=$3
  [ -x /lib/systemd/systemd ] || { echo "systemd-machine: /lib/systemd/systemd is missing (apt-get install systemd)" >&2; exit 1; }
  mkdir -p "$W/root" "$W/ovl"; : >"$W/console.log"
  cg=$(cgroup_base)/mend-test-$$-$RANDOM; mkdir "$cg"; echo "$cg" >"$W/cgroup"
  ( echo $BASHPID >"$cg/cgroup.procs"
    exec unshare --pid --fork --mount --uts --ipc --net --cgroup --propagation private \
      bash "$0" __inner "$W" "$SHARE" "${@:5}" ) >"$W/inner.log" 2>&1 &
  echo $! >"$W/unshare"
  for _ in $(seq 200); do pid1=$(pgrep -P "$(cat "$W/unshare")" -x systemd) && break; sleep 0.05; done
  [ -n "${pid1:-}" ] || { echo "systemd-machine: systemd did not start:" >&2; tail -20 "$W/inner.log" >&2; exit 1; }
  echo "$pid1" >"$W/pid1"
  if [ -n "${4:-}" ] && [ "$4" != - ]; then
    owner=$4
    setsid bash -c 'while kill -0 "$1" 2>/dev/null && [ -e "$2/pid1" ]; do sleep 1; done
                    [ -e "$2/pid1" ] && exec "$3" stop "$2"' watcher "$owner" "$W" "$0" </dev/null >/dev/null 2>&1 &
  fi
  for _ in $(seq 300); do
    s=$(nsenter -t "$pid1" -a systemctl is-system-running 2>/dev/null)
    case $s in running|degraded) exit 0;; esac
    sleep 0.1
  done
  echo "systemd-machine: not running after 30 s ($s); console:" >&2; tail -20 "$W/console.log" >&2; exit 1
  ;;
stop)
  sub=$(cat "$W/unshare" 2>/dev/null) pid1=$(cat "$W/pid1" 2>/dev/null)
  if [ -n "$pid1" ] && kill -0 "$pid1" 2>/dev/null; then
    nsenter -t "$pid1" -a systemctl --no-block poweroff >/dev/null 2>&1 || kill -s RTMIN+4 "$pid1"
    for _ in $(seq 100); do kill -0 "$pid1" 2>/dev/null || break; sleep 0.1; done
    # PID 1 of a pid namespace: killing it kills every process of the namespace.
    kill -9 "$pid1" 2>/dev/null
  fi
  [ -n "$sub" ] && { kill -9 "$sub" 2>/dev/null; wait "$sub" 2>/dev/null; }
  for _ in $(seq 50); do [ -n "$sub" ] && kill -0 "$sub" 2>/dev/null || break; sleep 0.1; done
  cg=$(cat "$W/cgroup" 2>/dev/null)
  if [ -n "$cg" ] && [ -d "$cg" ]; then
    for _ in $(seq 50); do find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null; [ -d "$cg" ] || break; sleep 0.1; done
  fi
  # Stopped: the pids recorded are stale now (and the watcher ends).
  rm -f "$W/pid1" "$W/unshare"
  ;;
esac
