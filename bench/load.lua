-- wrk script of bench/load.py: the request comes from the environment
-- (LOAD_METHOD, LOAD_BODY, LOAD_CONTENT_TYPE, LOAD_COOKIE), and done() prints
-- one line bench/load.py parses: requests, seconds, p50, p95, p99 (microseconds),
-- responses with a status of 400 or more, socket errors.
wrk.method = os.getenv("LOAD_METHOD") or "GET"
local body = os.getenv("LOAD_BODY")
if body and body ~= "" then
  wrk.body = body
end
local content_type = os.getenv("LOAD_CONTENT_TYPE")
if content_type and content_type ~= "" then
  wrk.headers["Content-Type"] = content_type
end
local cookie = os.getenv("LOAD_COOKIE")
if cookie and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end
wrk.headers["Accept-Encoding"] = "gzip, br"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "LOADRESULT %d %.6f %d %d %d %d %d\n",
    summary.requests, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout
  ))
end
