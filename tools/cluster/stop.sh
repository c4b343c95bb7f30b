#!/usr/bin/env bash
# Stops what tools/cluster/start.sh started, and only that: the processes whose pids it wrote in its state folder.
set -uo pipefail
source "$(dirname "$0")/common.sh"
[ -d "$PIDS" ] || { echo "cluster: nothing started in $STATE"; exit 0; }

stop_pid() { # pid file, seconds to wait after SIGTERM
  local file=$1 wait=${2:-20}
  alive "$file" || { rm -f "$file"; return 0; }
  local pid; pid=$(cat "$file")
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 $((wait * 5))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  rm -f "$file"
}

for name in web1 web2 worker1 worker2; do stop_pid "$PIDS/$name.pid" 30; done

if alive "$PIDS/rabbitmq.pid" || alive "$PIDS/rabbitmq-launcher.pid"; then
  rabbit_env timeout 60 rabbitmqctl -n "$RABBIT_NODE" stop >/dev/null 2>&1
fi
stop_pid "$PIDS/rabbitmq.pid" 20
stop_pid "$PIDS/rabbitmq-launcher.pid" 10
stop_pid "$PIDS/epmd.pid" 5

if alive "$PIDS/postgres.pid"; then
  as_pg "$(pg_bin)/pg_ctl" -D "$STATE/pg/data" -m fast -w -t 60 stop >/dev/null 2>&1
fi
stop_pid "$PIDS/postgres.pid" 10
echo "cluster: stopped (data and logs kept in $STATE)"
