"""Summarise a schemathesis NDJSON report: failures per check, then each distinct
failure once (operation, check, status, short reason), so a run reads in a minute
and two runs can be compared with diff.

    python3 .ci/contract_fuzz_report.py fuzz.ndjson
"""

import base64
import json
import sys
from collections import Counter


def short_reason(failure, response):
    """The failure's message (first line), plus the problem's detail when there is one."""
    reason = (failure.get("message") or "").strip().splitlines()
    reason = reason[0] if reason else ""
    body = (response or {}).get("content") or {}
    raw = body.get("$base64")
    if raw:
        try:
            problem = json.loads(base64.b64decode(raw))
            if isinstance(problem, dict) and problem.get("detail"):
                reason = f"{reason} [{problem['detail']}]"
        except ValueError:
            pass
    return " ".join(reason.split())[:160]


def main(path):
    per_check = Counter()
    distinct = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            event = json.loads(line).get("ScenarioFinished")
            if not event:
                continue
            recorder = event["recorder"]
            for case_id, checks in recorder.get("checks", {}).items():
                interaction = recorder.get("interactions", {}).get(case_id) or {}
                response = interaction.get("response") or {}
                for check in checks:
                    if check.get("status") != "failure":
                        continue
                    failure = (check.get("failure_info") or {}).get("failure", {})
                    operation = failure.get("operation") or recorder.get("label")
                    code = f"{failure.get('code', '?')} {check['name']}"
                    status = response.get("status_code", "-")
                    key = (operation, code, status)
                    per_check[code] += 1
                    if key not in distinct:
                        distinct[key] = (event["phase"], short_reason(failure, response))

    print(f"failing checks: {sum(per_check.values())} (distinct: {len(distinct)})")
    for code, n in per_check.most_common():
        print(f"  {n:4d}  {code}")
    print("\ndistinct failures (operation | check | status | phase | reason):")
    for (operation, code, status), (phase, reason) in sorted(distinct.items(), key=str):
        print(f"  {operation} | {code} | {status} | {phase} | {reason}")


if __name__ == "__main__":
    main(sys.argv[1])
