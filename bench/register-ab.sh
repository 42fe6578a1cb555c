#!/usr/bin/env bash
# Registration throughput of two builds in one run (issue 11: "no worse than today"):
# POST /api/v1/events/{id}/registrations with a unique person per request, wrk -t2 -c16,
# on a fresh database each time, alternating A B A B so that the machine's drift
# hits both alike. Also prints the SQLite writer thread's CPU per registration, which
# the machine's load disturbs less than the rate.
# Usage: bench/register-ab.sh BIN_A BIN_B [seconds, default 8] [rounds, default 2]
#   BACKENDS="sqlite postgres" (default both)
#   ENV_A / ENV_B: extra environment for one build, e.g.
#   ENV_B=ROADSHOW__DATABASE__SQLITE_SYNCHRONOUS=normal (builds before that setting
#   existed always ran SQLite with synchronous=NORMAL and refuse the variable)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
a=$1 b=$2 secs=${3:-8} rounds=${4:-2}
port=18095
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

# CPU ticks of the threads of process $1 named $2.
ticks() {
  local t=0 d
  for d in /proc/"$1"/task/*; do
    [ "$(cat "$d/comm" 2>/dev/null)" = "$2" ] || continue
    t=$((t + $(cut -d')' -f2 "$d/stat" | awk '{print $12 + $13}')))
  done
  echo $t
}

one() { # label bin backend extra-env
  local label=$1 bin=$2 be=$3 extra=$4 tmp url db="" pid auth event out w0 w1 n
  tmp=$(mktemp -d)
  if [ "$be" = postgres ]; then
    db=roadshow_ab_$$
    runuser -u postgres -- psql -qc "CREATE DATABASE $db" >/dev/null
    url=postgres://postgres@127.0.0.1:5432/$db
  else
    url=$tmp/bench.db
  fi
  (cd "$tmp" && exec env $extra DATABASE_URL="$url" ROADSHOW__SERVER__PORT=$port RUST_LOG=warn "$bin" serve) \
    >"$tmp/log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  auth="Bearer $(cd "$tmp" && DATABASE_URL=$url "$bin" token create --name bench --role organiser 2>/dev/null)"
  event=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/events" -H "Authorization: $auth" -H 'Content-Type: application/json' \
    -d '{"title":"Hot event","city":"宁波","timezone":"Asia/Shanghai","starts_at":"2031-01-01T09:00:00","status":"scheduled","capacity":1000000}' \
    | sed -E 's/.*"id":"([^"]+)".*/\1/')
  export AUTH=$auth EVENT_PATH=/api/v1/events/$event/registrations
  w0=$(ticks $pid sqlite-writer)
  out=$(wrk -t2 -c16 -d"${secs}s" -s "$here/register.lua" "http://127.0.0.1:$port" | grep RESULT)
  w1=$(ticks $pid sqlite-writer)
  n=$(echo "$out" | sed -E 's/.*req_s=([0-9.]+).*/\1/')
  printf '%-2s %-8s %s load=%s writer_us_per_req=%s\n' "$label" "$be" "$out" "$(cut -d' ' -f1 /proc/loadavg)" \
    "$(python3 -c "print(round(($w1 - $w0) * 1e6 / $(getconf CLK_TCK) / ($n * $secs)))")"
  kill $pid; wait $pid 2>/dev/null || true
  [ -n "$db" ] && runuser -u postgres -- psql -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null
  rm -rf "$tmp"
}

for be in ${BACKENDS:-sqlite postgres}; do
  for _ in $(seq "$rounds"); do
    one A "$a" "$be" "${ENV_A:-}"
    one B "$b" "$be" "${ENV_B:-}"
  done
done
