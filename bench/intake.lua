-- wrk script for bench/api.py's order intake: each connection is one client posting
-- 3-line orders; one order in ten also takes one unit of a "hot" product (see api.py).
-- Settings come from the environment: BENCH_TOKEN, BENCH_PRODUCTS, BENCH_HOT.

local token = os.getenv("BENCH_TOKEN")
local products = tonumber(os.getenv("BENCH_PRODUCTS"))
local hot = tonumber(os.getenv("BENCH_HOT"))
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(id * 7919)
  statuses = {}
end

local function sku(n)
  return string.format("B-%06d", n)
end

function request()
  local lines, seen = {}, {}
  local hot_product = nil
  if math.random() < 0.1 then
    hot_product = math.random(0, hot - 1)
  end
  local others = hot_product and 2 or 3
  while #lines < others do
    local n = math.random(hot, products - 1)
    if not seen[n] then
      seen[n] = true
      table.insert(lines, string.format('{"sku":"%s","quantity":%d}', sku(n), math.random(1, 3)))
    end
  end
  if hot_product then
    table.insert(lines, string.format('{"sku":"%s","quantity":1}', sku(hot_product)))
  end
  local body = string.format(
    '{"customer":"c%d@bench.test","lines":[%s],"shipping_cost":"4.90"}',
    math.random(0, 499), table.concat(lines, ",")
  )
  return wrk.format("POST", "/api/v1/orders/", {
    ["Authorization"] = "Token " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end

function response(status, headers, body)
  -- Which hot product an answer was for is not tracked: api.py counts what the orders
  -- hold of each hot product from the database.
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, n in pairs(counts) do
      totals[status] = (totals[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(totals) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  io.write(string.format(
    'BENCH {"seconds": %.3f, "statuses": {%s}, "p50_ms": %.1f, "p95_ms": %.1f, ' ..
    '"p99_ms": %.1f, "errors": %d}\n',
    summary.duration / 1e6, table.concat(parts, ", "),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write +
      summary.errors.timeout
  ))
end
