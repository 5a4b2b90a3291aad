#!/bin/bash
# Runs a shell script as PID 1 (named init, as on a real host) of private pid, mount, uts, ipc and
# net namespaces, chrooted into a fresh overlay of a cached Debian root (scripts/lib/init-roots.sh)
# with real OpenRC or SysV init installed: the root stays pristine, /run and /tmp are tmpfs,
# CAP_SYS_TIME, CAP_SYS_MODULE and CAP_SYS_RAWIO are dropped. Everything dies with the script.
# The Swift toolchain's libraries, the build directory of mend and SHARE are bound read-only (SHARE
# writable) at the same paths. Never run `/etc/init.d/rc 0` in it: umountroot would remount the
# overlay's lower layer, the host's filesystem, read-only.
#
#   init-jail.sh ROOT SHARE SCRIPT-FILE [BIND…]
set -u
root=$1 share=$2 script=$3; shift 3
mnt=$(mktemp -d /tmp/mend-jail.XXXXXX)
unshare --pid --fork --mount --uts --ipc --net --propagation private \
  setpriv --bounding-set -sys_time,-sys_module,-sys_rawio,-wake_alarm \
  bash -c '
    set -e
    root=$1 mnt=$2 share=$3 script=$4; shift 4
    mount -t tmpfs tmpfs "$mnt"
    mkdir "$mnt/up" "$mnt/work" "$mnt/root"
    mount -t overlay overlay -o "lowerdir=$root,upperdir=$mnt/up,workdir=$mnt/work" "$mnt/root"
    mount -t proc proc "$mnt/root/proc"
    # Most sysctls are not namespaced: nothing in the jail may write them.
    mount --bind "$mnt/root/proc/sys" "$mnt/root/proc/sys"; mount -o remount,bind,ro "$mnt/root/proc/sys"
    mount -t tmpfs tmpfs "$mnt/root/run"
    mount -t tmpfs tmpfs "$mnt/root/tmp"
    for dir in "$@"; do mkdir -p "$mnt/root$dir"; mount --bind "$dir" "$mnt/root$dir"; mount -o remount,bind,ro "$mnt/root$dir"; done
    mkdir -p "$mnt/root$share"; mount --bind "$share" "$mnt/root$share"
    mkdir -p "$mnt/root/.mend-test"; ln -s /bin/sh "$mnt/root/.mend-test/init"
    exec chroot "$mnt/root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb /.mend-test/init "$script"
  ' jail "$root" "$mnt" "$share" "$script" "$@"
status=$?
rmdir "$mnt" 2>/dev/null
exit $status
