#!/usr/bin/env bash
# Makes NATS (JetStream), PostgreSQL with PostGIS and Redis ready on their standard local ports, whatever the
# machine has: services already listening are used as they are; missing ones are installed from Debian's
# packages and started. Idempotent; safe to run before every start and every test run.
set -euo pipefail
export PGOPTIONS='-c client_min_messages=warning'

log() { printf '[stack] %s\n' "$*" >&2; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 60); do listening "$1" && return 0; sleep 0.5; done
  log "nothing listens on port $1 after 30 s"; return 1
}

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
APT_UPDATED=0
apt_install() {
  if ! command -v apt-get >/dev/null; then log "cannot install $* (no apt-get): install it yourself or use infra/docker-compose.yml"; exit 1; fi
  if [ "$APT_UPDATED" = 0 ]; then log "apt-get update"; $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null; APT_UPDATED=1; fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >/dev/null
}

# --- NATS with JetStream ------------------------------------------------------------------------------------
if ! listening 4222; then
  command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || apt_install nats-server
  NATS_BIN=$(command -v nats-server || echo /usr/sbin/nats-server)
  $SUDO mkdir -p /var/lib/nats-server
  log "starting nats-server with JetStream"
  $SUDO start-stop-daemon --start --oknodo --background --exec "$NATS_BIN" -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_port 4222
fi

# --- PostgreSQL ----------------------------------------------------------------------------------------------
if ! listening 5432; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then apt_install postgresql-15; fi
  PGV=$(ls /etc/postgresql | sort -V | tail -1)
  HBA=/etc/postgresql/$PGV/main/pg_hba.conf
  # Local development trusts loopback connections, as the machines this project runs on do.
  if ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$HBA"; then
    $SUDO sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$HBA"
  fi
  log "starting PostgreSQL $PGV"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$PGV" main start || $SUDO pg_ctlcluster "$PGV" main start
  wait_port 5432
fi
PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qtA)
PGMAJOR=$("${PSQL[@]}" -d postgres -c 'show server_version_num' | cut -c1-2)
if [ ! -f "/usr/share/postgresql/$PGMAJOR/extension/postgis.control" ]; then
  apt_install "postgresql-$PGMAJOR-postgis-3"
fi
DB=${PGDATABASE_NAME:-campaign_manager}
if [ "$("${PSQL[@]}" -d postgres -c "select 1 from pg_database where datname = '$DB'")" != 1 ]; then
  log "creating database $DB"
  "${PSQL[@]}" -d postgres -c "create database $DB"
fi
"${PSQL[@]}" -d "$DB" -c 'create extension if not exists postgis' >/dev/null

# --- Redis ---------------------------------------------------------------------------------------------------
if ! listening 6379; then
  command -v redis-server >/dev/null || apt_install redis-server
  $SUDO mkdir -p /var/lib/redis /var/log/redis
  log "starting redis-server"
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/cm.log
  wait_port 6379
fi

log "NATS :4222, PostgreSQL :5432 (database $DB, PostGIS), Redis :6379 ready"
