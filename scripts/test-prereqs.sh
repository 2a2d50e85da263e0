#!/usr/bin/env bash
# What the test suite talks to: RabbitMQ, Redis (Debian packages, usually running already),
# a CouchDB (the real release when the machine has one, else pouchdb-server from npm) and Chromium (for the Swagger UI test).
# Starts what is installed but stopped; installs what is missing when it can (root + apt).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

port_open() { (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

need_apt=()
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v rabbitmq-server >/dev/null || need_apt+=(rabbitmq-server)
command -v npm >/dev/null || need_apt+=(nodejs npm)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v curl >/dev/null || need_apt+=(curl)  # docs/api.md examples (tests/api/test_docs.py)
command -v jq >/dev/null || need_apt+=(jq)
command -v ip >/dev/null || need_apt+=(iproute2)  # network namespaces (tests/e2e/test_host_down.py)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing ${need_apt[*]} with apt-get"
  as_root apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! port_open 6379; then
  echo "starting redis-server on 127.0.0.1:6379"
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
if ! port_open 5672; then
  echo "starting rabbitmq-server"
  as_root rabbitmq-server -detached
  for _ in $(seq 60); do port_open 5672 && break; sleep 1; done
fi

# The CouchDB tests run against a real Apache CouchDB release when the machine has one
# (kazoo_tasks/testing/couchdb.py couchdb_dist: $KAZOO_TEST_COUCHDB_DIST, ../shared/couchdb
# beside the checkout, /work/shared/couchdb); pouchdb-server is needed only without it.
couchdb_release() {
  local named="${KAZOO_TEST_COUCHDB_DIST:-}"
  [ "$named" = none ] && return 1
  [ -n "$named" ] && [ -f "$named/start.sh" ] && return 0
  [ -f ../shared/couchdb/start.sh ] || [ -f /work/shared/couchdb/start.sh ]
}
if couchdb_release; then
  echo "CouchDB tests: the real CouchDB release on this machine"
elif [ ! -x .cache/node/node_modules/.bin/pouchdb-server ]; then
  echo "installing pouchdb-server into .cache/node"
  mkdir -p .cache/node
  npm install --silent --no-audit --no-fund --prefix .cache/node pouchdb-server >/dev/null
fi
echo "test prerequisites ready"
