#!/usr/bin/env bash
# Builds, once, the Debian roots in which the init-system tests run real OpenRC and SysV, and caches
# them outside the repository (root-owned, a few hundred MB, and they must survive `git clean`):
#
#   ${MEND_TEST_CACHE:-/var/cache/mend-tests}/
#     bookworm-minbase.tar   debootstrap --variant=minbase bookworm, packed: roots are unpacked from it
#     openrc/                a root with openrc and busybox installed
#     sysv/                  a root with sysvinit-core and sysvinit-utils installed
#
# The tests never write to these roots: every jail mounts an overlay with a tmpfs upper over one.
# Each piece is built in a temporary directory of the cache and renamed into place only when
# complete, so an interrupted build never looks finished. The lock ($cache/.lock) serialises
# concurrent builds, and running jails hold it shared, so a root is never replaced under one. A
# root records its package list in /.mend-test-root and is rebuilt when that list changes here.
#
# Run by scripts/test before `swift test`, or alone (as root): scripts/lib/init-roots.sh
# MEND_DEBIAN_MIRROR picks the mirror debootstrap uses (its default otherwise).
set -euo pipefail

cache=${MEND_TEST_CACHE:-/var/cache/mend-tests}
# name=packages. No procps: its init script (in OpenRC's sysinit) applies sysctl.d to the kernel,
# and most sysctls are not namespaced. busybox: Alpine's /bin/sh, which a test puts in the place of
# Debian's dash to run OpenRC's scripts as Alpine does.
roots=("openrc=openrc busybox" "sysv=sysvinit-core sysvinit-utils")

ready() {
  local entry
  [ -f "$cache/bookworm-minbase.tar" ] || return 1
  for entry in "${roots[@]}"; do
    [ "$(cat "$cache/${entry%%=*}/.mend-test-root" 2>/dev/null)" = "${entry#*=}" ] || return 1
  done
}

ready && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "init-roots: the init-system tests need Debian roots cached in $cache;" \
    "run scripts/test (or scripts/lib/init-roots.sh) once as root to build them" >&2
  exit 1
fi
command -v debootstrap >/dev/null || { echo "init-roots: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
ready && exit 0
# What an interrupted build left (only a holder of the lock makes these). --one-file-system: every
# build step runs in a private mount namespace, but nothing mounted may ever be followed.
rm -rf --one-file-system "$cache"/.tmp.*

seconds() { echo "$(($(date +%s) - $1)) s"; }

if [ ! -f "$cache/bookworm-minbase.tar" ]; then
  echo "init-roots: debootstrap --variant=minbase bookworm (once; about a minute)"
  start=$(date +%s)
  tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
  # A private mount namespace: the /proc and /sys debootstrap mounts inside the root die with it.
  if ! unshare --mount --propagation private \
      debootstrap --variant=minbase bookworm "$tmp/root" ${MEND_DEBIAN_MIRROR:-} >"$tmp/log" 2>&1; then
    tail -20 "$tmp/log" >&2
    echo "init-roots: debootstrap failed (the whole log: $tmp/log)" >&2
    exit 1
  fi
  tar -C "$tmp/root" -cf "$tmp/minbase.tar" .
  mv "$tmp/minbase.tar" "$cache/bookworm-minbase.tar"
  rm -rf --one-file-system "$tmp"
  echo "init-roots: bookworm-minbase.tar in $(seconds "$start")"
fi

for entry in "${roots[@]}"; do
  name=${entry%%=*} packages=${entry#*=}
  [ "$(cat "$cache/$name/.mend-test-root" 2>/dev/null)" = "$packages" ] && continue
  echo "init-roots: root $name with $packages"
  start=$(date +%s)
  tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
  root=$tmp/root
  mkdir "$root"
  tar -C "$root" -xf "$cache/bookworm-minbase.tar"
  # Installing must start no service: policy-rc.d forbids it, and /proc is mounted only in a
  # private mount namespace.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  # shellcheck disable=SC2086  # the package list splits into words
  if ! unshare --mount --propagation private sh -c '
      root=$1; shift
      mount -t proc proc "$root/proc" &&
      chroot "$root" apt-get -q update &&
      DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -q --no-install-recommends "$@" &&
      chroot "$root" apt-get clean' sh "$root" $packages >"$tmp/log" 2>&1; then
    tail -20 "$tmp/log" >&2
    echo "init-roots: installing $packages failed (the whole log: $tmp/log)" >&2
    exit 1
  fi
  rm -f "$root/usr/sbin/policy-rc.d"
  rm -rf "$root"/var/lib/apt/lists/*
  echo "$packages" >"$root/.mend-test-root"
  # A stale root is moved aside first: the rename of the new one is what makes it visible.
  [ -e "$cache/$name" ] && mv "$cache/$name" "$tmp/stale"
  mv "$root" "$cache/$name"
  rm -rf --one-file-system "$tmp"
  echo "init-roots: root $name in $(seconds "$start")"
done
