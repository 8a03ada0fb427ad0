#!/usr/bin/env bash
# System packages the e2e suite needs (Debian/Ubuntu). Idempotent and quiet: installs only what is
# missing, runs `apt-get update` at most once. CI runs it as root.
#   busybox (udhcpc), dnsmasq (DHCPv4 server; --no-install-recommends, because its recommended
#   resolvconf would rewrite /etc/resolv.conf), dibbler-client + dibbler-server (DHCPv6),
#   iproute2 (ip netns, veth), gcc + libnanomsg-dev (the C peers), nanomsg-utils (nanocat),
#   gcc-multilib (the codec's ILP32 golden bytes: gcc -m32), time (GNU time: the benchmarks' peak RSS),
#   chromium (the status page's browser tests, driven headless by playwright-core; no service),
#   mosquitto + mosquitto-clients (the MQTT export tests start their own broker on a loopback port),
#   openssl (their TLS certificates),
#   faketime (libfaketime: clock.test.ts steps the wall clock of the daemon process only),
#   python3 (ports.test.ts: sockets without SO_REUSEADDR to leave a real TIME_WAIT on a port).
set -euo pipefail
PKGS=(busybox dnsmasq dibbler-client dibbler-server iproute2 gcc libc6-dev gcc-multilib libnanomsg-dev nanomsg-utils util-linux time binutils chromium mosquitto mosquitto-clients openssl faketime python3)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all present (${PKGS[*]})"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing ${missing[*]}; run as root (sudo $0)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Keep package scripts from starting dnsmasq/dibbler as host services while installing: a
# policy-rc.d that says no, removed again afterwards if we are the ones who created it.
own_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && own_policy=1
fi
trap '[ "$own_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# A freshly installed dnsmasq/dibbler/mosquitto package starts its daemon as a service (mosquitto
# on port 1883); the suite runs its own copies. Stop only the services of packages installed just now.
for svc in "${missing[@]}"; do
  case "$svc" in dnsmasq|dibbler-server|dibbler-client|mosquitto) ;; *) continue ;; esac
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
    systemctl disable --quiet "$svc" 2>/dev/null || true
  fi
done
for cmd in busybox dnsmasq dibbler-client dibbler-server ip gcc nanocat unshare objcopy /usr/bin/time chromium dpkg-deb strip objdump /usr/sbin/mosquitto mosquitto_sub mosquitto_passwd openssl; do
  command -v "$cmd" >/dev/null || { echo "install-deps: $cmd still missing" >&2; exit 1; }
done
[ -f /usr/include/nanomsg/nn.h ] || { echo "install-deps: nanomsg headers missing" >&2; exit 1; }
echo "install-deps: done"
