-- wrk script for benches/serve_wrk.sh: every connection asks the questions of $PATHS (one request path a line)
-- in turn, each starting at a different one; prints one summary line with the latency percentiles.
local paths = {}
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
local started = 0
function setup(thread)
  thread:set("offset", started * 997)
  started = started + 1
end
local i = 0
function request()
  i = i + 1
  return wrk.format("GET", paths[((offset + i) % #paths) + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "requests %d, non-2xx or errors %d, p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms, %.1f requests/s\n",
    summary.requests, e.status + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests / (summary.duration / 1e6)))
end
