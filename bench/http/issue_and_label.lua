-- wrk script: POST /v1/returns, then GET the label of the parcel it answered (PDF by default),
-- so that half the requests issue a return and half fetch a freshly rendered label.
-- Env: RETURND_TOKEN (marketplace), RECEIVED_AT (ISO-8601 within the return window),
-- LABEL_FORMAT (pdf|png|svg|zpl), PACE_MS (delay before each request on a connection; 0: flat out).
local token = os.getenv("RETURND_TOKEN")
local receivedAt = os.getenv("RECEIVED_AT")
local format = os.getenv("LABEL_FORMAT") or "pdf"
local pace = tonumber(os.getenv("PACE_MS") or "0")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

-- Per thread: counters read back by done() through thread:get.
n = 0
labels = 0
local pending = {}

function request()
  local label = table.remove(pending)
  if label then
    labels = labels + 1
    return wrk.format("GET", label, { ["Authorization"] = "Bearer " .. token })
  end
  n = n + 1
  local id = string.format("%d-%d-%d", tid, math.random(1, 1000000000), n)
  local body = '{"dispute_id":"D-' .. id .. '","order_id":"O-' .. id .. '","received_at":"' .. receivedAt ..
    '","reason":"changed_mind","buyer":{"id":"B-' .. id .. '","name":"Amélie Dupré","address":{"lines":["12 rue de l\'Église"],' ..
    '"city":"Saint-Étienne","postal_code":"42000","country":"FR"}},"seller":{"id":"S-1","name":"Shop"},' ..
    '"items":[{"sku":"SKU-1","title":"Lampe","quantity":1,"unit_price":{"amount":"19.90","currency":"EUR"},"free_return":true}]}'
  return wrk.format("POST", "/v1/returns", {
    ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json", ["Idempotency-Key"] = "k-" .. id }, body)
end

function response(status, headers, body)
  if status == 201 or status == 200 then
    local url = body:match('"' .. format .. '"%s*:%s*"([^"]+)"')
    if url and url:find("/label", 1, true) then table.insert(pending, (url:gsub("^https?://[^/]+", ""))) end
  end
end

function delay()
  return pace
end

function done(summary, latency, requests)
  local l = latency
  local posts, gets = 0, 0
  for _, t in ipairs(threads) do posts = posts + t:get("n"); gets = gets + t:get("labels") end
  io.write(string.format("RESULT\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t%d\t%d\t%d\n",
    summary.requests / (summary.duration / 1e6), l:percentile(50) / 1000, l:percentile(90) / 1000,
    l:percentile(99) / 1000, l.max / 1000, summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, summary.requests, posts, gets))
end
