-- wrk script: POST each pre-signed Feishu event from POOL_FILE once, in order (wraps around and counts it).
local pool = {}
local idx = 0
local wraps = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local target = os.getenv("TARGET_PATH") or "/lark/events"
  for line in io.lines(os.getenv("POOL_FILE")) do
    local ts, nonce, sig, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)")
    pool[#pool + 1] = wrk.format("POST", target, {
      ["Content-Type"] = "application/json; charset=utf-8",
      ["X-Lark-Request-Timestamp"] = ts,
      ["X-Lark-Request-Nonce"] = nonce,
      ["X-Lark-Signature"] = sig,
    }, body)
  end
end

function request()
  idx = idx + 1
  if idx > #pool then
    idx = 1
    wraps = wraps + 1
  end
  return pool[idx]
end

function done(summary, latency, requests)
  local w = 0
  for _, t in ipairs(threads) do w = w + (t:get("wraps") or 0) end
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"non2xx":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,"wraps":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout, w))
end
