-- wrk script: PATCH a random intention of the 100,000 seeded ones to a random pipeline
-- stage, with a note so backward moves are allowed too; each change writes its history row.
local stages = {"lead", "assessing", "engaged", "negotiating", "signed", "landed"}
local thread_id = 0
setup = function(thread) thread:set("tid", thread_id); thread_id = thread_id + 1 end
init = function() math.randomseed(os.time() * 7 + (tid or 0)) end
request = function()
  local i = math.random(0, 99999)
  local path = string.format("/api/v1/intentions/1a000000-0000-4000-8000-%012d", i)
  local body = string.format('{"stage":"%s","note":"bench"}', stages[math.random(1, 6)])
  return wrk.format("PATCH", path, {["Content-Type"] = "application/json", ["Authorization"] = os.getenv("AUTH") or ""}, body)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT req_s=%.1f p50_ms=%.2f p99_ms=%.2f non2xx_or_err=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
