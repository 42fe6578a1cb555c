#!/usr/bin/env bash
# Reminder delivery at scale, on SQLite and on PostgreSQL (issue 10): loads the demo
# roadshow, moves its four events to 2030 with 3,000 seats each, registers 10,000 people
# across them through the API (bench/delivery/attendees.py; `serve` runs with its mail
# worker off, so the emails wait), plans their reminders again (one PUT /reminder-rules
# per event: 30,000 reminders replaced), then starts `roadshow worker` against a local
# SMTP sink (bench/delivery: mailin's SMTP state machine, counts and drops, answers
# without delayed ACKs, see its main.rs) and times it from its
# start until all 10,000 confirmations (the emails due now) are `sent` in the database.
# Then, in the same run, a bare lettre loop (the same pooled SmtpTransport, as many
# connections as the worker's mail.smtp.pool_size) sends 10,000 messages of the same
# average size to a fresh sink: the ratio of the two rates is what to read. For
# reference, a third loop sends on lettre's connections without its pool (no NOOP before
# each message, as the worker does since session 11): ratio_kept.
# Prints per backend and round: emails/s (roadshow and bare), the ratio, the worker's
# peak RSS (VmHWM), the registration and planning times, and the CPU time each email
# cost the worker, a local PostgreSQL, the sink and the bare loop (with both cores
# busy, the ratio of the rates is about the inverse ratio of these).
# With several rounds, a last line per backend gives the median ratio, rate and bare
# rate: this machine's speed drifts by a fifth within minutes, and one round can land
# on either side of the target.
# Usage: bench/delivery.sh [count, default 10000]
#   ROUNDS=n      deliver n times (the confirmations are set back to pending in SQL)
#   BACKENDS=sqlite|postgres   only one backend
#   BIN=path/to/roadshow       measure another build
# Targets: 10,000 delivered in under 20 s, at least 50 % of the bare loop's rate,
# peak RSS under 150 MB.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
count=${1:-10000}
rounds=${ROUNDS:-1}
backends=${BACKENDS:-sqlite postgres}
port=18093
smtp_port=18094
parallel=4 # mail.smtp.pool_size's default, and the bare loop's connections and threads

if [ -z "${BIN:-}" ]; then (cd "$root" && cargo build --release --quiet); fi
bin=$(realpath "${BIN:-$root/target/release/roadshow}")
export CARGO_TARGET_DIR=${TMPDIR:-/tmp}/roadshow-delivery-target
(cd "$here/delivery" && cargo build --release --quiet)
tool=$CARGO_TARGET_DIR/release/delivery

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
field() { sed -nE "s/.*[ ]$1=([^ ]+).*/\1/p" | head -1; }

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# CPU accounting, to read a rate against: the rate follows the CPU each email costs once
# both cores are busy. Ticks of user and system time (CLK_TCK a second) of one process,
# of all local PostgreSQL processes, and the machine's busy and idle ticks.
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() { for p in $(pgrep -x postgres); do ticks "$p"; done | awk '{s += $1} END {print s + 0}'; }
machine() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6}' /proc/stat; }
per_email() { awk -v t="$1" -v n="$count" -v hz="$hz" 'BEGIN { printf "%.0f", t * 1e6 / hz / n }'; }

run() { # backend database-url sql-client... (the client reads statements from stdin)
  local be=$1 url=$2 tmp api auth
  shift 2
  local cli=("$@")
  sql() { printf '%s;\n' "$1" | "${cli[@]}"; }
  tmp=$(mktemp -d)
  api="http://127.0.0.1:$port/api/v1"
  (cd "$tmp" && DATABASE_URL=$url "$bin" demo) >/dev/null 2>&1
  (cd "$tmp" && DATABASE_URL=$url ROADSHOW__SERVER__PORT=$port ROADSHOW__REMINDERS__WORKER_ENABLED=false \
    RUST_LOG=warn exec "$bin" serve) >"$tmp/serve.log" 2>&1 &
  local serve=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  auth=$(cd "$tmp" && DATABASE_URL=$url "$bin" token create --name bench --role organiser 2>/dev/null)
  python3 "$here/delivery/attendees.py" "$api" "$auth" 2024d3e0-0000-4000-8000-000000000000 "$count" 8 \
    | sed "s/^RESULT/[$be] RESULT/"
  echo "[$be] serve RSS after registering: $(grep VmHWM /proc/$serve/status | awk '{print $2}') KiB peak"
  stop $serve

  local due="SELECT count(*) FROM emails WHERE kind = 'confirmation' AND status = 'pending'"
  echo "[$be] due: $(sql "$due") confirmations; planned reminders: $(sql "SELECT count(*) FROM emails WHERE kind = 'reminder' AND status = 'pending'")"
  local ratios=() rates=() bares=()
  for round in $(seq "$rounds"); do
    if [ "$round" -gt 1 ]; then
      sql "UPDATE emails SET status = 'pending', attempts = 0, sent_at = NULL, message_id = NULL WHERE kind = 'confirmation'" >/dev/null
    fi
    # The sink's report comes through a pipe the script blocks on, and the database is
    # asked through one client started before the clock: polling a file with grep every
    # 5 ms (two processes each time) and starting psql for each look took CPU and time
    # from the worker that the bare loop, which times itself, never paid (see
    # bench/README.md, session 12).
    rm -f "$tmp/sink.fifo"
    mkfifo "$tmp/sink.fifo"
    "$tool" sink "$smtp_port" "$count" >"$tmp/sink.fifo" 2>"$tmp/sink.err" &
    local sink=$!
    exec 3<"$tmp/sink.fifo"
    coproc DBQ { "${cli[@]}"; }
    sleep 0.3
    local t0 t1 worker left db0 db1 m0 m1 got=""
    db0=$(pg_ticks); m0=$(machine)
    t0=$(now)
    (cd "$tmp" && DATABASE_URL=$url RUST_LOG=warn ROADSHOW__MAIL__TRANSPORT=smtp ROADSHOW__MAIL__SMTP__HOST=127.0.0.1 \
      ROADSHOW__MAIL__SMTP__PORT=$smtp_port ROADSHOW__MAIL__SMTP__TLS=none ROADSHOW__MAIL__SMTP__POOL_SIZE=$parallel \
      exec "$bin" worker) >"$tmp/worker.log" 2>&1 &
    worker=$!
    # The sink says when the last email arrived; then the database when it is recorded
    # (asking the database all along would take CPU from the worker).
    local waited=0
    until read -r -t 1 got <&3; do
      kill -0 $worker 2>/dev/null || { echo "[$be] the worker died:"; cat "$tmp/worker.log"; exit 1; }
      waited=$((waited + 1))
      [ $waited -lt 300 ] || { echo "[$be] not all emails arrived in 300 s"; stop $worker; stop $sink; exit 1; }
    done
    exec 3<&-
    while echo "$due;" >&"${DBQ[1]}" && read -r left <&"${DBQ[0]}" && [ "$left" != 0 ]; do sleep 0.002; done
    t1=$(now)
    db1=$(pg_ticks); m1=$(machine)
    local hwm; hwm=$(awk '/VmHWM/ {print $2}' /proc/$worker/status)
    local worker_cpu sink_cpu db_cpu idle
    worker_cpu=$(per_email "$(ticks $worker)")
    # SQLite runs in the worker; a PostgreSQL on another host is not measured (0).
    db_cpu=0
    [ "$be" = sqlite ] || ! pgrep -x postgres >/dev/null || db_cpu=$(per_email $((db1 - db0)))
    idle=$(echo "$m0 $m1" | awk '{ printf "%.0f%%", 100 * ($4 - $2) / ($3 + $4 - $1 - $2) }')
    stop $worker
    exec {DBQ[1]}>&-
    wait "$DBQ_PID" 2>/dev/null || true
    stop $sink
    local avg wall rate; avg=$(echo " $got" | field avg_bytes); wall=$(secs "$t0" "$t1")
    rate=$(awk -v n="$count" -v s="$wall" 'BEGIN { printf "%.0f", n / s }')
    sink_cpu=$(echo " $got" | field cpu_us_per_email)
    echo "[$be round $round] roadshow: $count sent in $wall s = $rate emails/s (sink: $got); worker peak RSS $((hwm / 1024)) MB"
    echo "[$be round $round] CPU per email: worker ${worker_cpu} µs, database ${db_cpu} µs (a local PostgreSQL's processes; SQLite's is the worker's), sink ${sink_cpu} µs; machine idle $idle of the run"

    "$tool" sink "$smtp_port" "$count" >"$tmp/sink.out" 2>&1 &
    sink=$!
    sleep 0.3
    local bare; bare=$("$tool" bare "$smtp_port" "$count" "$avg" "$parallel")
    stop $sink
    local bare_sink; bare_sink=$(grep RESULT "$tmp/sink.out" | field cpu_us_per_email)
    local brate; brate=$(echo " $bare" | field emails_per_s)
    local bare_cpu; bare_cpu=$(echo " $bare" | field cpu_us_per_email)
    echo "[$be round $round] bare lettre loop: $bare (sink: ${bare_sink} µs CPU per email)"
    # For reference, not the target's baseline: the same loop on lettre's connections
    # without its pool (no NOOP before each message), as the worker sends.
    "$tool" sink "$smtp_port" "$count" >"$tmp/sink.out" 2>&1 &
    sink=$!
    sleep 0.3
    local kept; kept=$("$tool" bare "$smtp_port" "$count" "$avg" "$parallel" kept)
    stop $sink
    local krate; krate=$(echo " $kept" | field emails_per_s)
    echo "[$be round $round] bare loop on kept connections (no NOOP): $kept"
    local ratio; ratio=$(awk -v a="$rate" -v b="$brate" 'BEGIN { printf "%.1f", 100 * a / b }')
    ratios+=("$ratio")
    rates+=("$rate")
    bares+=("$brate")
    echo "[$be round $round] SUMMARY delivered=$count secs=$wall emails_per_s=$rate bare_per_s=$brate ratio=$(printf '%.0f%%' "$ratio") worker_rss_mb=$((hwm / 1024)) avg_bytes=$avg cpu_us_per_email=$((worker_cpu + db_cpu + sink_cpu)) bare_cpu_us_per_email=$((bare_cpu + bare_sink)) bare_kept_per_s=$krate ratio_kept=$(awk -v a="$rate" -v b="$krate" 'BEGIN { printf "%.0f%%", 100 * a / b }')"
  done
  # This machine's speed drifts by a fifth within minutes: read the median round.
  echo "[$be] MEDIAN of $rounds rounds: ratio=$(median "${ratios[@]}")% emails_per_s=$(median "${rates[@]}") bare_per_s=$(median "${bares[@]}") (ratios: ${ratios[*]})"
  rm -rf "$tmp"
}

for be in $backends; do
  case $be in
    sqlite)
      dir=$(mktemp -d)
      run sqlite "$dir/bench.db" sqlite3 "$dir/bench.db"
      rm -rf "$dir"
      ;;
    postgres)
      if pg_isready -h 127.0.0.1 -q; then
        db=roadshow_delivery_$$
        runuser -u postgres -- psql -qc "CREATE DATABASE $db" >/dev/null
        # Dropped however the run ends (a failed round exits the script).
        trap 'runuser -u postgres -- psql -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
        # Without TLS, as docker-compose.yml's service reaches its database (the postgres
        # image has TLS off; a Debian cluster turns it on even for loopback, and libpq
        # then encrypts every row, which is not what a deployment of ours measures).
        run postgres "postgres://postgres@127.0.0.1:5432/$db?sslmode=disable" psql -qtAX "postgres://postgres@127.0.0.1:5432/$db"
      else
        echo "PostgreSQL is not running: skipped (start it and run again)"
      fi
      ;;
  esac
done
