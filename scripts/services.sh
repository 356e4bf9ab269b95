#!/usr/bin/env bash
# `make services`: the parts the cluster runs on (PostgreSQL, Redis, HAProxy, supervisor).
# On a machine that has them running this only checks; otherwise it installs what is
# missing from Debian's packages and starts PostgreSQL and Redis. HAProxy and supervisor
# are started by `make serve-cluster`, not here. Then it creates the conversations database.
set -euo pipefail

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
CLUSTER_DB=${CLUSTER_DB:-twitch_triage}
REDIS_PORT=${REDIS_PORT:-6379}

missing=()
command -v psql >/dev/null && command -v pg_ctlcluster >/dev/null || missing+=(postgresql postgresql-client)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v haproxy >/dev/null || missing+=(haproxy)
command -v supervisord >/dev/null || missing+=(supervisor)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} from Debian's packages..."
  # Debian starts a package's service on install; the cluster starts its own copies, so
  # the packages' default daemons (an empty haproxy, a system supervisord) stay off.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

pg_ready() { pg_isready -q -h "$PGHOST" -p "$PGPORT"; }
if ! pg_ready; then
  echo "Starting PostgreSQL..."
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  for _ in $(seq 30); do pg_ready && break; sleep 1; done
  pg_ready || { echo "PostgreSQL did not start on $PGHOST:$PGPORT" >&2; exit 1; }
fi

if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  echo "Starting Redis..."
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/twitch-triage.log
  for _ in $(seq 30); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.5; done
  redis-cli -p "$REDIS_PORT" ping >/dev/null || { echo "Redis did not start on port $REDIS_PORT" >&2; exit 1; }
fi

# A fresh machine's PostgreSQL trusts local connections (Debian's default for the socket);
# the cluster connects over TCP as $PGUSER, as it would to a database on another machine.
if ! psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -tAc "select 1" >/dev/null 2>&1; then
  echo "Cannot connect to PostgreSQL as $PGUSER on $PGHOST:$PGPORT; set PGUSER/PGPASSWORD (README, Deployment)." >&2
  exit 1
fi
if [ -z "$(psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -tAc \
      "select 1 from pg_database where datname = '$CLUSTER_DB'")" ]; then
  psql -q -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -c "create database $CLUSTER_DB"
fi
echo "services: PostgreSQL $PGHOST:$PGPORT (database $CLUSTER_DB), Redis 127.0.0.1:$REDIS_PORT, $(haproxy -v | head -1 | cut -d' ' -f1-3), supervisor $(supervisord --version)"
