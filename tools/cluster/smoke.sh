#!/usr/bin/env bash
# The cluster's smoke test, bounded in time (about 4-6 minutes here; hard limits below): starts a fresh cluster
# (tools/cluster/start.sh, in its own state folder and ports), submits 20 jobs from 5 sessions through both web
# nodes, kills one worker with SIGKILL while it runs a job, checks every job ended Done exactly once, progress was
# seen through the other web node and the gallery rows match, stops the cluster, and prints as its last line
#   cluster: 20/20 jobs done, 0 lost, 0 duplicated, worker kill survived: yes
# Exit code 0 only then.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
export RENOISE_CLUSTER_DIR="${RENOISE_SMOKE_DIR:-$(mktemp -d /tmp/renoise-smoke-XXXXXX)}"
export RENOISE_CLUSTER_PORT_BASE="${RENOISE_SMOKE_PORT_BASE:-16300}"
source "$HERE/common.sh"
started=$(date +%s)

stop_cluster() { "$HERE/stop.sh" >"$STATE/stop.log" 2>&1 || cat "$STATE/stop.log"; }
trap stop_cluster EXIT

dotnet build "$HERE/smoke" -v q -nologo >"$STATE/smoke-build.log" 2>&1 || { cat "$STATE/smoke-build.log"; exit 1; }
if ! timeout 420 "$HERE/start.sh"; then
  echo "cluster: the cluster did not start (logs in $LOGS)"
  exit 1
fi

summary="$STATE/summary.txt"
timeout 900 dotnet "$HERE/smoke/bin/Debug/net10.0/ReNoise.ClusterSmoke.dll" \
  --web "http://127.0.0.1:${WEB_PORTS[0]},http://127.0.0.1:${WEB_PORTS[1]}" \
  --kill-health "http://127.0.0.1:${WORKER_PORTS[0]}/healthz" --kill-pid-file "$PIDS/worker1.pid" \
  --jobs 20 --sessions 5 --deadline-minutes 10 \
  --photos "$ROOT/tests/fixtures/images/astronaut.png,$ROOT/tests/fixtures/images/coffee.png" \
  --summary "$summary"
rc=$?
[ $rc = 0 ] || { echo "smoke: failed (exit $rc); the nodes' logs: $LOGS"; tail -n 20 "$LOGS/worker2.log" "$LOGS/web1.log" 2>/dev/null | grep -iE "fail|error|exception" | tail -n 20; }
trap - EXIT
stop_cluster
echo "smoke: $(( $(date +%s) - started )) s in all (cluster start, jobs, checks, stop)"
[ -f "$summary" ] && cat "$summary" || echo "cluster: no summary (the smoke tool did not finish)"
exit $rc
