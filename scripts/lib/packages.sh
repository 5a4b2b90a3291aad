# Installs the Debian packages named as arguments when they are missing: with apt-get as root,
# otherwise it says which to install and fails. Sourced by scripts/build and scripts/test.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "$(basename "$0"): installing ${missing[*]}"
    # Installing a package must start none of its services (firewalld would take over the host's
    # firewall): without a policy-rc.d of the machine's own, one that refuses every start is in
    # place for the install.
    local policy=/usr/sbin/policy-rc.d own_policy=false
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && own_policy=true
    fi
    local status=0
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; } || status=$?
    [ "$own_policy" = true ] && rm -f "$policy"
    return "$status"
  else
    echo "$(basename "$0"): missing packages: ${missing[*]} (install them as root)" >&2
    return 1
  fi
}
