#!/usr/bin/env bash
# The investment pipeline at scale, on SQLite and on PostgreSQL: 100,000 intentions
# across 5 teams and 2,000 companies (seeded with SQL, bench/pipeline/seed-*.sql), then
# with wrk and an organiser token:
#   GET /api/v1/stats/pipeline                                     (c=4: a dashboard)
#   GET /api/v1/intentions?overdue=true&owner_team_id=…&limit=50   (c=16)
#   PATCH /api/v1/intentions/{id} stage moves, each with its history row (c=16)
# and then the ceiling (shared/bench/ceiling/run.sh) on the same machine: read the PATCH
# rate as a ratio to the ceiling's registration rate of the same run.
# Usage: bench/pipeline.sh [seconds per measurement, default 10]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
secs=${1:-10}
ceiling=${CEILING:-$root/../shared/bench/ceiling/run.sh}
port=18092

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
(cd "$root" && cargo build --release --quiet)
bin=$root/target/release/roadshow

run() { # backend database-url seed-command...
  local be=$1 url=$2 tmp api auth team
  shift 2
  tmp=$(mktemp -d)
  api="http://127.0.0.1:$port/api/v1"
  (cd "$tmp" && DATABASE_URL=$url "$bin" migrate) 2>/dev/null
  local t0; t0=$(date +%s)
  "$@" <"$here/pipeline/seed-$be.sql"
  echo "seeded [$be] 100000 intentions in $(( $(date +%s) - t0 )) s"
  (cd "$tmp" && DATABASE_URL=$url ROADSHOW__SERVER__PORT=$port RUST_LOG=warn exec "$bin" serve) >"$tmp/log" 2>&1 &
  echo $! >"$tmp/pid"
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  auth="Bearer $(cd "$tmp" && DATABASE_URL=$url "$bin" token create --name bench --role organiser --team 招商一处 2>/dev/null)"
  team=7ea30000-0000-4000-8000-000000000001
  curl -fs "$api/stats/pipeline" -H "Authorization: $auth" >/dev/null
  export AUTH=$auth
  echo "roadshow stats [$be c=4 ${secs}s] $(LIST_PATH=/api/v1/stats/pipeline wrk -t2 -c4 -d"${secs}s" -s "$here/list.lua" "http://127.0.0.1:$port" | grep RESULT)"
  echo "roadshow overdue [$be c=16 ${secs}s] $(LIST_PATH="/api/v1/intentions?overdue=true&owner_team_id=$team&limit=50" wrk -t2 -c16 -d"${secs}s" -s "$here/list.lua" "http://127.0.0.1:$port" | grep RESULT)"
  echo "roadshow stage-patch [$be c=16 ${secs}s] $(wrk -t2 -c16 -d"${secs}s" -s "$here/patch.lua" "http://127.0.0.1:$port" | grep RESULT)"
  echo "roadshow stats after the moves [$be c=4 ${secs}s] $(LIST_PATH=/api/v1/stats/pipeline wrk -t2 -c4 -d"${secs}s" -s "$here/list.lua" "http://127.0.0.1:$port" | grep RESULT)"
  echo "roadshow RSS [$be] $(ps -o rss= -p "$(cat "$tmp/pid")") KiB"
  kill "$(cat "$tmp/pid")"
  wait "$(cat "$tmp/pid")" 2>/dev/null || true
  rm -rf "$tmp"
}

dir=$(mktemp -d)
run sqlite "$dir/bench.db" sqlite3 "$dir/bench.db"
rm -rf "$dir"
if pg_isready -h 127.0.0.1 -q; then
  db=roadshow_pipeline_$$
  runuser -u postgres -- psql -qc "CREATE DATABASE $db" >/dev/null
  run postgres "postgres://postgres@127.0.0.1:5432/$db" psql -q -v ON_ERROR_STOP=1 "postgres://postgres@127.0.0.1:5432/$db"
  runuser -u postgres -- psql -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null
else
  echo "PostgreSQL is not running: skipped (start it and run again)"
fi

if [ -x "$ceiling" ] || [ -f "$ceiling" ]; then
  bash "$ceiling" "$secs"
else
  echo "ceiling script not found at $ceiling (set CEILING=path/to/run.sh)"
fi
