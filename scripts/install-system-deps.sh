#!/usr/bin/env bash
# Installs the Debian packages Mare's tests and demo need, and makes sure PostgreSQL runs.
# Idempotent: on a machine that has everything it only checks, in about a second.
set -euo pipefail

PACKAGES=(
  postgresql-15 postgresql-15-postgis-3   # storage tests run against a real PostGIS
  gpsd gpsd-clients                        # the gpsd source is tested against a real gpsd (gpsfake)
  gdal-bin                                 # ogrinfo reads the OGC API like QGIS would
  chromium chromium-driver                 # the dashboard is tested in real headless Chromium
  nats-server                              # the pipeline over JetStream (app/bus) is tested on it
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; fi
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing system packages: ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
fi

# A cluster that is installed but not running (a fresh machine, or after a reboot) is started.
if command -v pg_lsclusters >/dev/null 2>&1; then
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    ver=$(ls /etc/postgresql | sort -V | tail -n 1)
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
fi

# On a cluster this script installed itself, let the local test user in over 127.0.0.1 the way the
# project's machines are set up (trust for loopback only); an existing cluster is left as it is.
if printf '%s\n' "${missing[@]:-}" | grep -qx postgresql-15; then
  hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -n 1)
  if ! grep -q "mare-test" "$hba"; then
    $SUDO sed -i '1i host all all 127.0.0.1/32 trust  # mare-test: local test cluster' "$hba"
    ver=$(ls /etc/postgresql | sort -V | tail -n 1)
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main reload || true
  fi
fi

# NATS with JetStream on 127.0.0.1:4222 for the bus tests (app/bus), unless one runs there already
# (a machine that starts its own). Tests that kill NATS start their own on another port.
if command -v nats-server >/dev/null 2>&1 && ! (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then
  mkdir -p /tmp/mare-nats
  setsid nohup nats-server -js -a 127.0.0.1 -p 4222 -sd /tmp/mare-nats >/tmp/mare-nats/log 2>&1 &
  for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null && break; sleep 0.1; done
fi
