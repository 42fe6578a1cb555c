#!/usr/bin/env python3
"""bench/delivery.sh's client: moves the demo roadshow's four events to 2030 (six
years later, same local times) with 3,000 seats each, registers COUNT people across
them through POST /events/{id}/registrations (THREADS at once, keep-alive; Chinese,
English and Japanese names from bench/people.py, each in their language, the Japanese
in Asia/Tokyo), then plans their reminders again with one PUT /reminder-rules per
event. Prints RESULT lines with the timings.

usage: attendees.py API_BASE TOKEN ROADSHOW_ID COUNT THREADS
"""
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from people import person  # noqa: E402


class Api:
    def __init__(self, base, token):
        u = urllib.parse.urlsplit(base)
        self.prefix = u.path.rstrip("/")
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method, path, body=None, ok=(200, 201)):
        data = None if body is None else json.dumps(body).encode()
        self.conn.request(method, self.prefix + path, body=data, headers=self.headers)
        r = self.conn.getresponse()
        text = r.read()
        if r.status not in ok:
            sys.exit(f"{method} {path}: {r.status} {text[:300]!r}")
        return json.loads(text) if text else None


def main():
    base, token, roadshow, count, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    api = Api(base, token)
    events = api.call("GET", f"/roadshows/{roadshow}/events?limit=50")["items"]
    for e in events:
        moved = {k: e[k][:19].replace(e[k][:4], str(int(e[k][:4]) + 6), 1) for k in ("starts_at", "ends_at")}
        api.call("PATCH", f"/events/{e['id']}", {**moved, "capacity": 3000})
    ids = [e["id"] for e in events]

    next_i = [0]
    lock = threading.Lock()
    failures = []

    def work():
        a = Api(base, token)
        while True:
            with lock:
                i = next_i[0]
                next_i[0] += 1
            if i >= count:
                return
            name, email, company = person(i)
            kind = i % 10
            lang, tz = ("zh-CN", None) if kind < 5 else ("en", None) if kind < 8 else ("ja", "Asia/Tokyo")
            body = {"name": name, "email": email, "company_name": company, "language": lang, "timezone": tz}
            try:
                a.call("POST", f"/events/{ids[i % len(ids)]}/registrations", body, ok=(201,))
            except SystemExit as e:
                failures.append(str(e))
                return

    t0 = time.monotonic()
    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    secs = time.monotonic() - t0
    if failures:
        sys.exit(failures[0])
    print(f"RESULT registered={count} events={len(ids)} secs={secs:.2f} per_s={count / secs:.0f}")

    # Planning again: each PUT replaces every pending reminder of the event's attendees.
    api = Api(base, token)  # the first connection sat idle past the server's keep-alive
    t0 = time.monotonic()
    for i in ids:
        api.call("PUT", f"/events/{i}/reminder-rules", {"rules": ["P3D", "P1D", "PT2H"]})
    secs = time.monotonic() - t0
    print(f"RESULT planned={count} reminders={count * 3} secs={secs:.2f}")


if __name__ == "__main__":
    main()
