#!/usr/bin/env bash
# Roadshow's two hot calls against the bare-stack ceiling, in one run, on SQLite and on
# PostgreSQL: GET /api/v1/events?limit=50 with 1,000 events stored, and POST
# /api/v1/events/{id}/registrations (unique name and email per request) on one hot
# event, each with wrk, 16 connections, an authenticated organiser token.
# Usage: bench/run.sh [seconds per measurement, default 10]
# The ceiling (shared/bench/ceiling/run.sh) runs right after, on the same machine, so
# the ratio is what to read: the machine is shared and noisy.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
secs=${1:-10}
ceiling=${CEILING:-$root/../shared/bench/ceiling/run.sh}
port=18091

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
(cd "$root" && cargo build --release --quiet)
bin=$root/target/release/roadshow

run() { # backend database-url
  local be=$1 url=$2 tmp api auth event
  tmp=$(mktemp -d)
  api="http://127.0.0.1:$port/api/v1"
  # Request logging off (RUST_LOG=warn): the ceiling logs nothing either.
  (cd "$tmp" && DATABASE_URL=$url ROADSHOW__SERVER__PORT=$port RUST_LOG=warn exec "$bin" serve) >"$tmp/log" 2>&1 &
  echo $! >"$tmp/pid"
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  auth="Bearer $(cd "$tmp" && DATABASE_URL=$url "$bin" token create --name bench --role organiser 2>/dev/null)"
  seq 1000 | xargs -P 8 -I{} curl -fs -o /dev/null -X POST "$api/events" -H "Authorization: $auth" \
    -H 'Content-Type: application/json' \
    -d '{"title":"招商活动 {}","city":"福州","timezone":"Asia/Shanghai","starts_at":"2030-01-01T09:00:00","status":"scheduled","tags":["bench"]}'
  event=$(curl -fs -X POST "$api/events" -H "Authorization: $auth" -H 'Content-Type: application/json' \
    -d '{"title":"Hot event","city":"宁波","timezone":"Asia/Shanghai","starts_at":"2031-01-01T09:00:00","status":"scheduled","capacity":100000}' \
    | sed -E 's/.*"id":"([^"]+)".*/\1/')
  export AUTH=$auth LIST_PATH=/api/v1/events?limit=50 EVENT_PATH=/api/v1/events/$event/registrations
  echo "roadshow list [$be c=16 ${secs}s] $(wrk -t2 -c16 -d"${secs}s" -s "$here/list.lua" "http://127.0.0.1:$port" | grep RESULT)"
  echo "roadshow register [$be c=16 ${secs}s] $(wrk -t2 -c16 -d"${secs}s" -s "$here/register.lua" "http://127.0.0.1:$port" | grep RESULT)"
  echo "roadshow RSS [$be] $(ps -o rss= -p "$(cat "$tmp/pid")") KiB"
  kill "$(cat "$tmp/pid")"
  wait "$(cat "$tmp/pid")" 2>/dev/null || true
  rm -rf "$tmp"
}

run sqlite "$(mktemp -d)/bench.db"
if pg_isready -h 127.0.0.1 -q; then
  db=roadshow_bench_$$
  runuser -u postgres -- psql -qc "CREATE DATABASE $db" >/dev/null
  run postgres "postgres://postgres@127.0.0.1:5432/$db"
  runuser -u postgres -- psql -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null
else
  echo "PostgreSQL is not running: skipped (start it and run again)"
fi

if [ -x "$ceiling" ] || [ -f "$ceiling" ]; then
  bash "$ceiling" "$secs"
else
  echo "ceiling script not found at $ceiling (set CEILING=path/to/run.sh)"
fi
