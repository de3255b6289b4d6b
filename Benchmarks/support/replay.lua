-- wrk script for Benchmarks/*.sh: replays pre-signed raw HTTP requests.
--
--   [WRK_PAUSE_MS=ms] wrk -t T -c C -d D -s replay.lua http://127.0.0.1:PORT -- FILE_PREFIX
--
-- Thread k reads FILE_PREFIX.k (length-prefixed records written by
-- `hookgate_bench.py presign --threads T`) and sends each record once, in order,
-- wrapping around (and counting the wraps) if the run outlasts the file.
-- Every response is classified: 200 with "accepted", 200 with "duplicate", other.
-- WRK_PAUSE_MS > 0 makes every connection wait that long before each request (a
-- paced, closed-loop approximation of a fixed rate: wrk has no -R).
-- done() prints one machine-readable line:
--   RESULT requests=.. accepted=.. duplicate=.. other200=.. non200=.. wraps=.. duration_s=.. accepted_per_s=.. p50_ms=.. p90_ms=.. p99_ms=.. max_ms=..

local threads = {}
local counter = 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local requests = {}
local n, i = 0, 0
local pause = tonumber(os.getenv("WRK_PAUSE_MS") or "0") or 0
accepted, duplicate, other200, non200, wraps = 0, 0, 0, 0, 0

function init(args)
   local prefix = args[1]
   local f = assert(io.open(prefix .. "." .. id, "rb"))
   local data = f:read("*a")
   f:close()
   local pos, len = 1, #data
   while pos <= len do
      local nl = string.find(data, "\n", pos, true)
      local size = tonumber(string.sub(data, pos, nl - 1))
      n = n + 1
      requests[n] = string.sub(data, nl + 1, nl + size)
      pos = nl + 1 + size
   end
   assert(n > 0, "no requests in " .. prefix .. "." .. id)
end

function request()
   i = i + 1
   if i > n then
      i = 1
      wraps = wraps + 1
   end
   return requests[i]
end

if pause > 0 then
   function delay()
      return pause
   end
end

function response(status, headers, body)
   if status == 200 then
      if string.find(body, '"accepted"', 1, true) then
         accepted = accepted + 1
      elseif string.find(body, '"duplicate"', 1, true) then
         duplicate = duplicate + 1
      else
         other200 = other200 + 1
      end
   else
      non200 = non200 + 1
   end
end

function done(summary, latency, requests)
   local a, d, o, x, w = 0, 0, 0, 0, 0
   for _, t in ipairs(threads) do
      a = a + t:get("accepted")
      d = d + t:get("duplicate")
      o = o + t:get("other200")
      x = x + t:get("non200")
      w = w + t:get("wraps")
   end
   local seconds = summary.duration / 1e6
   local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
   io.write(string.format(
      "RESULT requests=%d accepted=%d duplicate=%d other200=%d non200=%d wraps=%d socket_errors=%d duration_s=%.3f " ..
      "requests_per_s=%.1f accepted_per_s=%.1f duplicate_per_s=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
      summary.requests, a, d, o, x, w, errors, seconds, summary.requests / seconds, a / seconds, d / seconds,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
