#!/usr/bin/env bash
# Search and lists as the data grows, on SQLite and on PostgreSQL: fills 200 events
# through the service's own CSV import (bench/people.py: Chinese, English and Japanese
# names, a pool of 0.3 × the largest size people, 3,000 companies), then at each size
# measures with wrk -t2 -c16: the first page of one event's registrations, q= with 1,
# 2 and 3+ Chinese characters and a Latin fragment on that event's registrations, on
# contacts and on companies, the event list, and the server's resident memory. Also
# times a 5,000-row import of new people into a fresh event.
# Usage: bench/search.sh ["10000 100000"] [seconds per measurement, default 5]
# BIN=path/to/roadshow measures another build (e.g. the one before the index).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
sizes=${1:-10000 100000}
secs=${2:-5}
port=18093
events=200
max=0; for n in $sizes; do [ "$n" -gt "$max" ] && max=$n; done
pool=$((max * 3 / 10))

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
if [ -z "${BIN:-}" ]; then (cd "$root" && cargo build --release --quiet); fi
bin=${BIN:-$root/target/release/roadshow}
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }

measure() { # label path
  export LIST_PATH=$2
  printf '%-44s %s\n' "$1" "$(wrk -t2 -c16 -d"${secs}s" -s "$here/list.lua" "http://127.0.0.1:$port" | grep RESULT)"
}

# Search documents waiting for the background merge (0 when the build has no such
# metric, as before the merge existed).
queued() {
  curl -fs "http://127.0.0.1:$((port + 1))/metrics" 2>/dev/null |
    awk '/^roadshow_search_queue_documents /{print $2; found=1} END{if(!found) print 0}'
}

run() { # backend database-url
  local be=$1 url=$2 tmp api auth filled=0 per ev
  tmp=$(mktemp -d)
  api="http://127.0.0.1:$port/api/v1"
  # The mail worker is off: with it on, the fill's confirmations (one per registration,
  # 1M at the largest size) are written out as files while searches are measured.
  (cd "$tmp" && DATABASE_URL=$url ROADSHOW__SERVER__PORT=$port ROADSHOW__METRICS__LISTEN=127.0.0.1:$((port + 1)) \
    ROADSHOW__REMINDERS__WORKER_ENABLED=false RUST_LOG=warn exec "$bin" serve) >"$tmp/log" 2>&1 &
  echo $! >"$tmp/pid"
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  auth="Bearer $(cd "$tmp" && DATABASE_URL=$url "$bin" token create --name bench --role organiser 2>/dev/null)"
  export AUTH=$auth
  local titles=("高端聚酰胺产业机遇座谈会" "功能性膜材料招商推介会" "Japan chemical industry exchange" "宁波资本项目对接会" "新材料産業交流会" "Petrochemical new materials forum")
  local cities=("福州" "舟山" "上海" "宁波" "東京" "Singapore")
  for i in $(seq 0 $((events - 1))); do
    curl -fs -X POST "$api/events" -H "Authorization: $auth" -H 'Content-Type: application/json' \
      -d "{\"title\":\"${titles[$((i % 6))]} $i\",\"city\":\"${cities[$(((i / 6) % 6))]}\",\"timezone\":\"Asia/Shanghai\",\"starts_at\":\"2030-01-01T09:00:00\",\"status\":\"scheduled\"}" \
      | sed -E 's/.*"id":"([^"]+)".*/\1/' >>"$tmp/events"
    echo >>"$tmp/events"
  done
  sed -i '/^$/d' "$tmp/events"
  ev=$(sed -n 1p "$tmp/events")
  for size in $sizes; do
    per=$((size / events))
    local t0=$SECONDS
    awk -v from="$filled" -v to="$per" '{print NR-1, $0, from, to}' "$tmp/events" |
      xargs -P 4 -n 4 sh -c 'python3 "$0/people.py" "$1" "$3" "$4" '"$pool"' |
        curl -fs -o /dev/null -X POST "'"$api"'/events/$2/registrations/import" -H "Authorization: $AUTH" \
          -H "Content-Type: text/csv" --data-binary @-' "$here"
    filled=$per
    local t1=$SECONDS
    # The search merge catches up (documents written by the fill wait in its queue).
    while [ "$(queued)" != 0 ]; do sleep 0.5; done
    # What autovacuum does after a bulk load (it is off on the benchmark machine): without
    # statistics PostgreSQL walked whole tables for a page of search results at 1M.
    if [ "$be" = postgres ] && [ "$(psql -tAc 'SHOW autovacuum' "$url")" = off ]; then psql -qc ANALYZE "$url"; fi
    echo "== $be, $size registrations over $events events, $pool-person pool (filled in $((t1 - t0)) s, search queue merged $((SECONDS - t1)) s later)"
    measure "first page of an event's registrations" "/api/v1/events/$ev/registrations?limit=50"
    measure "event list" "/api/v1/events?limit=50"
    for q in 王 王伟 张伟华 johnson; do
      measure "registrations q=$q" "/api/v1/events/$ev/registrations?limit=50&q=$(enc "$q")"
    done
    for q in 王 王伟 张伟华 johnson; do
      measure "contacts q=$q" "/api/v1/contacts?limit=50&q=$(enc "$q")"
    done
    for q in 华 材料 新材料 apex; do
      measure "companies q=$q" "/api/v1/companies?limit=50&q=$(enc "$q")"
    done
    measure "events q=福州" "/api/v1/events?limit=50&q=$(enc 福州)"
    echo "RSS [$be, $size] $(ps -o rss= -p "$(cat "$tmp/pid")") KiB"
  done
  # A 5,000-row import of new people into a fresh event.
  local fresh
  fresh=$(curl -fs -X POST "$api/events" -H "Authorization: $auth" -H 'Content-Type: application/json' \
    -d '{"title":"Import","city":"宁波","timezone":"Asia/Shanghai","starts_at":"2031-01-01T09:00:00","status":"scheduled"}' \
    | sed -E 's/.*"id":"([^"]+)".*/\1/')
  python3 "$here/people.py" 0 "$pool" $((pool + 5000)) $((pool + 5000)) | sed 's/@/.import@/' >"$tmp/import.csv"
  local start end
  start=$(date +%s.%N)
  curl -fs -o "$tmp/report" -X POST "$api/events/$fresh/registrations/import" -H "Authorization: $auth" \
    -H "Content-Type: text/csv" --data-binary @"$tmp/import.csv"
  end=$(date +%s.%N)
  echo "import 5000 rows [$be] $(echo "$end - $start" | bc) s, created $(grep -o '"created"' "$tmp/report" | wc -l)"
  echo "RSS [$be, end] $(ps -o rss= -p "$(cat "$tmp/pid")") KiB"
  kill "$(cat "$tmp/pid")"
  wait "$(cat "$tmp/pid")" 2>/dev/null || true
  du -sh "$tmp" 2>/dev/null | sed "s/^/disk [$be] /"
  rm -rf "$tmp"
}

backends=${BACKENDS:-sqlite postgres}
for be in $backends; do
  case $be in
    sqlite) d=$(mktemp -d); run sqlite "$d/bench.db"; du -sh "$d" | sed 's/^/SQLite files /'; rm -rf "$d" ;;
    postgres)
      if pg_isready -h 127.0.0.1 -q; then
        db=roadshow_search_$$
        runuser -u postgres -- psql -qc "CREATE DATABASE $db" >/dev/null
        run postgres "postgres://postgres@127.0.0.1:5432/$db"
        runuser -u postgres -- psql -tAc "SELECT pg_size_pretty(pg_database_size('$db'))" | sed 's/^/PostgreSQL database size /'
        runuser -u postgres -- psql -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null
      else
        echo "PostgreSQL is not running: skipped"
      fi ;;
  esac
done
