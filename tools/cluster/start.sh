#!/usr/bin/env bash
# Starts a ReNoise cluster on this machine, on loopback ports (docs/scale-out.md): PostgreSQL and RabbitMQ
# (Debian packages, installed with apt when missing) in a private state folder, then 2 web nodes and 2 GPU
# workers (ReNoise:Mode Distributed) with the bundled demo model, and prints their URLs.
# tools/cluster/stop.sh stops exactly what this started (the pids are in the state folder).
#   RENOISE_CLUSTER_DIR=...        state folder (default /tmp/renoise-cluster-<checkout>)
#   RENOISE_CLUSTER_PORT_BASE=...  ports BASE+1.. (default 15300)
#   RENOISE_CLUSTER_NO_BUILD=1     use the existing build of src/ReNoise.Web and src/ReNoise.Worker
#   RENOISE_CLUSTER_TELEMETRY=...  None | Console (default: Console, into the logs) | Otlp (with OTEL_EXPORTER_OTLP_ENDPOINT)
#   RENOISE_CLUSTER_SERVICES_ONLY=1  PostgreSQL and RabbitMQ only (what the distributed tests need; .ci/run uses it)
set -euo pipefail
source "$(dirname "$0")/common.sh"

for pid in "$PIDS"/*.pid; do
  if alive "$pid"; then echo "cluster: already running in $STATE (tools/cluster/stop.sh stops it)" >&2; exit 1; fi
done
mkdir -p "$PIDS" "$LOGS"
chmod 755 "$STATE"
# A start that fails half-way stops what it had started.
trap 'echo "cluster: start failed; stopping what was started" >&2; "$ROOT/tools/cluster/stop.sh" >&2' ERR

# ---- packages ----
missing=()
[ -n "$(pg_bin)" ] || missing+=(postgresql)
command -v rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
if [ ${#missing[@]} -gt 0 ]; then
  echo "cluster: installing ${missing[*]}"
  apt-get update -qq
  # The packages' own services (system-wide, default ports) are not used; their start may fail in a container.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
PG="$(pg_bin)"

# ---- PostgreSQL: a private cluster, password auth, loopback only ----
PGDATA="$STATE/pg/data"
if [ ! -f "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$STATE/pg"
  # Secrets are created unreadable to others (not made so afterwards).
  install -m 600 /dev/null "$STATE/pg/password"
  head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$STATE/pg/password"
  chmod 600 "$STATE/pg/password"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$STATE/pg"
  as_pg "$PG/initdb" -D "$PGDATA" -U renoise --pwfile="$STATE/pg/password" -A scram-sha-256 -E UTF8 --no-instructions >"$LOGS/initdb.log" 2>&1
fi
as_pg "$PG/pg_ctl" -D "$PGDATA" -l "$STATE/pg/server.log" -w -t 60 \
  -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $STATE/pg" start >/dev/null
as_pg cat "$PGDATA/postmaster.pid" | head -n 1 > "$PIDS/postgres.pid"
PASSWORD="$(cat "$STATE/pg/password")"
if ! PGPASSWORD="$PASSWORD" psql -h 127.0.0.1 -p "$PG_PORT" -U renoise -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='renoise'" | grep -q 1; then
  PGPASSWORD="$PASSWORD" psql -h 127.0.0.1 -p "$PG_PORT" -U renoise -d postgres -qc "CREATE DATABASE renoise" >/dev/null
fi
echo "cluster: PostgreSQL on 127.0.0.1:$PG_PORT"

# ---- RabbitMQ: a private node with its own Erlang port mapper ----
mkdir -p "$STATE/rabbit/mnesia" "$STATE/rabbit/log"
echo '[].' > "$STATE/rabbit/enabled_plugins"
[ "$(id -u)" = 0 ] && chown -R rabbitmq:rabbitmq "$STATE/rabbit"
# Our own Erlang port mapper on a private port, in the foreground so its pid is known (the node would start one
# as a daemon otherwise).
EPMD="$(command -v epmd || ls /usr/lib/erlang/erts-*/bin/epmd | tail -n 1)"
"$EPMD" -address 127.0.0.1 -port "$EPMD_PORT" >"$LOGS/epmd.log" 2>&1 &
echo $! > "$PIDS/epmd.pid"
rabbit_env rabbitmq-server >"$LOGS/rabbitmq.log" 2>&1 &
echo $! > "$PIDS/rabbitmq-launcher.pid"
# await_startup gives up at once while the Erlang VM itself is not up yet: try again until it answers.
started=0
for _ in $(seq 1 60); do
  if rabbit_env timeout 60 rabbitmqctl -n "$RABBIT_NODE" await_startup >/dev/null 2>&1; then started=1; break; fi
  alive "$PIDS/rabbitmq-launcher.pid" || break
  sleep 2
done
if [ $started != 1 ]; then
  echo "cluster: RabbitMQ did not start; see $LOGS/rabbitmq.log and $STATE/rabbit/log" >&2
  exit 1
fi
cat "$STATE/rabbit/rabbit.pid" > "$PIDS/rabbitmq.pid" 2>/dev/null || true
echo "cluster: RabbitMQ on 127.0.0.1:$AMQP_PORT"

if [ "${RENOISE_CLUSTER_SERVICES_ONLY:-}" = 1 ]; then
  # For the distributed tests: a role that may create databases, and the broker's address.
  install -m 600 /dev/null "$STATE/services.env"
  echo "RENOISE_TEST_POSTGRES='Host=127.0.0.1;Port=$PG_PORT;Database=postgres;Username=renoise;Password=$PASSWORD'" > "$STATE/services.env"
  echo "RENOISE_TEST_RABBITMQ=127.0.0.1:$AMQP_PORT" >> "$STATE/services.env"
  chmod 600 "$STATE/services.env"
  trap - ERR
  echo "cluster: services up (connection settings in $STATE/services.env)"
  exit 0
fi

# ---- the studio: build once, then 2 workers and 2 web nodes ----
if [ "${RENOISE_CLUSTER_NO_BUILD:-}" != 1 ]; then
  dotnet build "$ROOT/src/ReNoise.Worker" -v q -nologo >"$LOGS/build.log" 2>&1 || { cat "$LOGS/build.log"; exit 1; }
  dotnet build "$ROOT/src/ReNoise.Web" -v q -nologo >>"$LOGS/build.log" 2>&1 || { cat "$LOGS/build.log"; exit 1; }
fi
install -m 600 /dev/null "$STATE/cluster.env"
cat > "$STATE/cluster.env" <<ENV
ReNoise__Mode=Distributed
ReNoise__Database__Provider=Postgres
ReNoise__Database__ConnectionString='Host=127.0.0.1;Port=$PG_PORT;Database=renoise;Username=renoise;Password=$PASSWORD'
ReNoise__Broker__Host=127.0.0.1
ReNoise__Broker__Port=$AMQP_PORT
ReNoise__ExecutionProvider=${RENOISE_CLUSTER_EXECUTION_PROVIDER:-Cpu}
ReNoise__Telemetry__Exporter=${RENOISE_CLUSTER_TELEMETRY:-Console}
ReNoise__Telemetry__MetricIntervalSeconds=30
ENV
chmod 600 "$STATE/cluster.env"

launch() { # name, project folder, port
  local name=$1 project=$2 port=$3
  (
    set -a; source "$STATE/cluster.env"; set +a
    export ReNoise__NodeName="$name" ASPNETCORE_ENVIRONMENT=Development DOTNET_NOLOGO=1
    cd "$ROOT/src/$project"
    exec dotnet "bin/Debug/net10.0/$project.dll" --urls "http://127.0.0.1:$port"
  ) >"$LOGS/$name.log" 2>&1 &
  echo $! > "$PIDS/$name.pid"
}
wait_healthy() { # name, port
  for _ in $(seq 1 180); do
    if curl -fsS "http://127.0.0.1:$2/healthz" 2>/dev/null | grep -q '"status":"Healthy"'; then return 0; fi
    alive "$PIDS/$1.pid" || { echo "cluster: $1 exited; see $LOGS/$1.log" >&2; tail -n 30 "$LOGS/$1.log" >&2; return 1; }
    sleep 1
  done
  echo "cluster: $1 not healthy after 180 s; see $LOGS/$1.log" >&2
  return 1
}

# The first web node migrates the database before the others start (concurrent start-ups would also be safe).
launch web1 ReNoise.Web "${WEB_PORTS[0]}"
wait_healthy web1 "${WEB_PORTS[0]}"
launch web2 ReNoise.Web "${WEB_PORTS[1]}"
launch worker1 ReNoise.Worker "${WORKER_PORTS[0]}"
launch worker2 ReNoise.Worker "${WORKER_PORTS[1]}"
wait_healthy web2 "${WEB_PORTS[1]}"
wait_healthy worker1 "${WORKER_PORTS[0]}"
wait_healthy worker2 "${WORKER_PORTS[1]}"

echo "cluster: up (state and logs in $STATE)"
echo "  web node 1   http://127.0.0.1:${WEB_PORTS[0]}/"
echo "  web node 2   http://127.0.0.1:${WEB_PORTS[1]}/"
echo "  worker 1     http://127.0.0.1:${WORKER_PORTS[0]}/healthz"
echo "  worker 2     http://127.0.0.1:${WORKER_PORTS[1]}/healthz"
echo "  PostgreSQL   127.0.0.1:$PG_PORT (database renoise, user renoise, password in $STATE/pg/password)"
echo "  RabbitMQ     amqp://127.0.0.1:$AMQP_PORT (guest, loopback only)"
