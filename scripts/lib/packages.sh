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
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "$(basename "$0"): missing packages: ${missing[*]} (install them as root)" >&2
    return 1
  fi
}
