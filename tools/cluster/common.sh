# Shared by start.sh, stop.sh and smoke.sh: where the cluster's state lives and its loopback ports.
# RENOISE_CLUSTER_DIR (default: a folder in /tmp named after this checkout) holds the PostgreSQL and RabbitMQ
# data, the logs, the pid files and cluster.env; RENOISE_CLUSTER_PORT_BASE (default 15300) places every port.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${RENOISE_CLUSTER_DIR:-/tmp/renoise-cluster-$(printf '%s' "$ROOT" | md5sum | cut -c1-8)}"
BASE="${RENOISE_CLUSTER_PORT_BASE:-15300}"
WEB_PORTS=($((BASE + 1)) $((BASE + 2)))
WORKER_PORTS=($((BASE + 11)) $((BASE + 12)))
PG_PORT=$((BASE + 20))
AMQP_PORT=$((BASE + 21))
RABBIT_DIST_PORT=$((BASE + 22))
EPMD_PORT=$((BASE + 23))
RABBIT_NODE="renoise$BASE@localhost"
PIDS="$STATE/pids"
LOGS="$STATE/logs"

# RabbitMQ's private node: its own data, logs, plugins (none), ports and Erlang port mapper, on loopback only.
rabbit_env() {
  env RABBITMQ_NODE_PORT="$AMQP_PORT" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT" \
    RABBITMQ_MNESIA_BASE="$STATE/rabbit/mnesia" RABBITMQ_LOG_BASE="$STATE/rabbit/log" RABBITMQ_NODENAME="$RABBIT_NODE" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$STATE/rabbit/enabled_plugins" RABBITMQ_PID_FILE="$STATE/rabbit/rabbit.pid" \
    ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT="$EPMD_PORT" "$@"
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# PostgreSQL refuses to run as root: its commands run as the postgres user when this script is root.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
