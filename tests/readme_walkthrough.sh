#!/usr/bin/env bash
# The README's "A walk through with curl" and "Attendees" sections, run for real
# against a fresh server, so the examples people copy keep working. Every request
# names the status it expects; any other answer is a FAIL line, and the exit code
# counts them.
#
#   cargo run -- serve &   # on a fresh database (it writes data/admin-token)
#   bash tests/readme_walkthrough.sh
#
# ROADSHOW_API (default http://127.0.0.1:8080/api/v1) and ADMIN_TOKEN (default: read
# from ADMIN_TOKEN_FILE, default data/admin-token) point it elsewhere; ROADSHOW_OUTBOX
# (default data/outbox) is where the server's file transport writes emails, read for
# the manage links. .ci/contract.sh runs it. Needs curl, jq and python3.
set -uo pipefail

API=${ROADSHOW_API:-http://127.0.0.1:8080/api/v1}
ADMIN=${ADMIN_TOKEN:-$(cat "${ADMIN_TOKEN_FILE:-data/admin-token}")} || exit 2
OUTBOX=${ROADSHOW_OUTBOX:-data/outbox}
for tool in curl jq python3; do command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 2; }; done

fails=0 steps=0
body=$(mktemp) headers=$(mktemp)
trap 'rm -f "$body" "$headers"' EXIT

# step "WHAT" EXPECTED_STATUS curl-args...: the response body is left in $body, its
# headers in $headers; prints ok or FAIL with what came back.
step() {
  local what=$1 want=$2 got
  shift 2
  steps=$((steps + 1))
  got=$(curl -sS -o "$body" -D "$headers" -w '%{http_code}' "$@") || got="curl error"
  if [ "$got" = "$want" ]; then
    echo "ok   $what ($got)"
  else
    fails=$((fails + 1))
    echo "FAIL $what: expected $want, got $got: $(head -c 300 "$body")"
  fi
}
# check "WHAT" jq-filter: a FAIL unless the filter is true of the last body.
check() {
  steps=$((steps + 1))
  if jq -e "$2" "$body" >/dev/null 2>&1; then
    echo "ok   $1"
  else
    fails=$((fails + 1))
    echo "FAIL $1: $(head -c 300 "$body")"
  fi
}
# same "WHAT" GOT WANT: a FAIL unless they are equal.
same() {
  steps=$((steps + 1))
  if [ "$2" = "$3" ]; then echo "ok   $1"; else fails=$((fails + 1)); echo "FAIL $1: got '$2', want '$3'"; fi
}
header() { tr -d '\r' <"$headers" | awk -v h="$(echo "$1" | tr 'A-Z' 'a-z')" -F': ' 'tolower($1) == h { print $2 }'; }
# wait_for_link ADDRESS OLD: the first manage token other than OLD in the emails to
# ADDRESS in $OUTBOX (the server's mail.file.dir: the file transport writes each email
# there), waiting up to 30 s for the mail worker; empty if none came.
wait_for_link() {
  local token= i
  for i in $(seq 60); do
    token=$(python3 - "$OUTBOX" "$1" "$2" <<'PY'
import email, email.policy, glob, os, re, sys
folder, to, old = sys.argv[1:4]
for name in sorted(glob.glob(os.path.join(folder, "*.eml")), key=os.path.getmtime):
    try:
        m = email.message_from_bytes(open(name, "rb").read(), policy=email.policy.default)
        text = m.get_body(preferencelist=("plain",)).get_content()
    except Exception:
        continue  # still being written
    if to not in str(m["To"]):
        continue
    for t in re.findall(r"/public/registrations/(rs_[A-Za-z0-9_-]{43})", text):
        if t != old:
            print(t)
            sys.exit()
PY
)
    [ -n "$token" ] && break
    sleep 0.5
  done
  echo "$token"
}
# check_link "WHAT" TOKEN: a FAIL unless a manage token came.
check_link() {
  steps=$((steps + 1))
  if [[ $2 == rs_* ]]; then echo "ok   $1"; else fails=$((fails + 1)); echo "FAIL $1: no email with a link in $OUTBOX"; fi
}
json=(-H 'Content-Type: application/json')

# ---- A walk through with curl ------------------------------------------------------
step "admin makes an organiser token" 201 -X POST "$API/tokens" -H "Authorization: Bearer $ADMIN" \
  "${json[@]}" -d '{"name":"division-3","role":"organiser"}'
TOKEN=$(jq -r .token "$body")
auth=(-H "Authorization: Bearer $TOKEN")

step "create a roadshow" 201 -X POST "$API/roadshows" "${auth[@]}" "${json[@]}" \
  -d '{"name":"2024 New Materials Investment Roadshow","theme":"石化新材料"}'
RS=$(jq -r .id "$body")

step "create an event in it" 201 -X POST "$API/events" "${auth[@]}" "${json[@]}" -d '{
  "title": "“投资浙里”舟山高端聚酰胺产业机遇座谈会",
  "kind": "forum", "city": "福州", "timezone": "Asia/Shanghai",
  "starts_at": "2024-03-04T14:00:00", "ends_at": "2024-03-04T17:00:00",
  "capacity": 30, "status": "scheduled", "roadshow_id": "'"$RS"'", "tags": ["聚酰胺"]
}'
EV=$(jq -r .id "$body")
check "wall time comes back with the zone's offset" '.starts_at == "2024-03-04T14:00:00+08:00"'
same "Location of the new event" "$(header Location)" "/api/v1/events/$EV"
same "ETag of the new event" "$(header ETag)" '"1"'

step "list events by city and date" 200 -G "$API/events" "${auth[@]}" \
  --data-urlencode city=福州 --data-urlencode from=2024-03-01 --data-urlencode limit=20
check "the new event is listed" "[.items[].id] | index(\"$EV\") != null"

step "fetch the roadshow" 200 "$API/roadshows/$RS" "${auth[@]}"
check "its span and cities" '.event_count == 1 and .cities == ["福州"]'

step "roadshow calendar" 200 "$API/roadshows/$RS/calendar.ics" "${auth[@]}"
same "it is iCalendar" "$(head -c 15 "$body")" BEGIN:VCALENDAR

step "edit with If-Match" 200 -X PATCH "$API/events/$EV" "${auth[@]}" -H 'If-Match: "1"' \
  "${json[@]}" -d '{"venue":"福州会议中心"}'
step "a stale If-Match is refused" 412 -X PATCH "$API/events/$EV" "${auth[@]}" -H 'If-Match: "1"' \
  "${json[@]}" -d '{"venue":"elsewhere"}'

# ---- Attendees ---------------------------------------------------------------------
register=(-X POST "$API/events/$EV/registrations" "${auth[@]}" "${json[@]}"
  -H 'Idempotency-Key: 2024-fuzhou-wangwei' -d '{
  "name": "王伟", "email": "wang.wei@example.cn", "title": "总经理",
  "company_name": "永荣锦江", "role": "guest"
}')
step "register someone inline" 201 "${register[@]}"
check "registered while seats remain" '.status == "registered"'
REG=$(jq -r .id "$body")
step "the same Idempotency-Key replays the answer" 201 "${register[@]}"
check "same registration, not a second one" ".id == \"$REG\""

step "list registrations with filters" 200 -G "$API/events/$EV/registrations" "${auth[@]}" \
  --data-urlencode status=registered --data-urlencode q=王
check "found by name" "[.items[].id] | index(\"$REG\") != null"

step "check in" 200 -X POST "$API/registrations/$REG/check-in" "${auth[@]}"
step "undo the check-in" 200 -X DELETE "$API/registrations/$REG/check-in" "${auth[@]}"
step "cancel" 200 -X POST "$API/registrations/$REG/cancel" "${auth[@]}"
check "cancelled" '.status == "cancelled"'

step "export the attendee spreadsheet" 200 "$API/events/$EV/registrations.csv" "${auth[@]}"
same "it starts with a UTF-8 BOM" "$(head -c 3 "$body" | od -An -tx1 | tr -d ' ')" efbbbf

step "import a spreadsheet with Chinese headers" 200 -X POST "$API/events/$EV/registrations/import" \
  "${auth[@]}" -H 'Content-Type: text/csv' --data-binary $'姓名,邮箱,单位,职务,电话\n李娜,lina@scu.edu.cn,四川大学,教授,\n'
check "one row created" '.created == 1 and .rows[0].outcome == "created"'

step "an event open to the public" 201 -X POST "$API/events" "${auth[@]}" "${json[@]}" -d '{
  "title": "“投资浙里”宁波资本与项目对接会", "kind": "matchmaking", "city": "宁波",
  "timezone": "Asia/Shanghai", "starts_at": "2030-06-18T09:30:00", "status": "scheduled",
  "public_registration": true
}'
PUB=$(jq -r .id "$body")
public=(-X POST "$API/public/events/$PUB/registrations" "${json[@]}"
  -d '{"name": "陈教授", "email": "chen@scu.edu.cn", "company_name": "四川大学"}')
step "public self-service registration" 202 "${public[@]}"
check "accepted, and no manage token in the answer" \
  '.status == "accepted" and .email == "chen@scu.edu.cn" and (tostring | contains("rs_") | not)'
first=$(jq -cS . "$body")
same "no Location" "$(header Location)" ""
MT=$(wait_for_link chen@scu.edu.cn "")
check_link "the confirmation email carries the manage link" "$MT"
step "the same address again" 202 "${public[@]}"
same "the same answer" "$(jq -cS . "$body")" "$first"
MT2=$(wait_for_link chen@scu.edu.cn "$MT")
check_link "a manage_link email brings the link again" "$MT2"
step "public view" 200 "$API/public/registrations/$MT"
check "one registration, registered" '.status == "registered" and .name == "陈教授"'
step "public view by the link mailed again" 200 "$API/public/registrations/$MT2"
step "public calendar" 200 "$API/public/registrations/$MT/calendar.ics"
step "public cancel" 200 -X POST "$API/public/registrations/$MT/cancel"
step "register again with the link" 200 -X POST "$API/public/registrations/$MT/reactivate"
check "registered again" '.status == "registered"'

echo "readme walkthrough: $((steps - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
