# shellcheck shell=bash
# apt-get that waits for another apt/dpkg (unattended-upgrades, a second terminal) to
# finish instead of failing at once on its lock. Sourced by scripts/setup.
#
#   MOTCUA_APT_LOCK_TIMEOUT  seconds install waits for the dpkg lock (default 600)
#   MOTCUA_APT_RETRIES       attempts of "apt-get update" (default 20) …
#   MOTCUA_APT_RETRY_DELAY   … this many seconds apart (default 30)

apt_lock_timeout=${MOTCUA_APT_LOCK_TIMEOUT:-600}

# apt-get update: its lists lock is not covered by DPkg::Lock::Timeout on every apt
# version, so it is retried while another process holds a lock.
apt_update() {
  local attempts=${MOTCUA_APT_RETRIES:-20} delay=${MOTCUA_APT_RETRY_DELAY:-30} n=1 out
  while :; do
    if out=$($SUDO apt-get -o DPkg::Lock::Timeout="$apt_lock_timeout" update -qq 2>&1); then
      return 0
    fi
    if [ "$n" -ge "$attempts" ] || ! grep -qiE "lock|resource temporarily unavailable" <<<"$out"; then
      printf '%s\n' "$out" >&2
      return 1
    fi
    echo "==> apt is busy (another process holds its lock); waiting ${delay}s (${n}/${attempts})" >&2
    sleep "$delay"
    n=$((n + 1))
  done
}

apt_install() {
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout="$apt_lock_timeout" \
    install -y -qq --no-install-recommends "$@" >/dev/null
}
