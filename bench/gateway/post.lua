-- wrk script: POST the same predict body on every request.
-- The body is read from $BODY_FILE (default: request.json next to this script's working directory).
local path = os.getenv("BODY_FILE") or "request.json"
local file = assert(io.open(path, "rb"), "cannot open " .. path .. " (set BODY_FILE)")
local body = file:read("*a"):gsub("%s+$", "")
file:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"

-- RANDOM_KEYS=1: every request carries another sticky key ("user-1" … "user-1000000"), so a canary release's weight
-- splits the load between champion and challenger as it would split users.
if os.getenv("RANDOM_KEYS") == "1" then
  local prefix, suffix = body:match('^(.-"key":")[^"]*(".*)$')
  assert(prefix, "RANDOM_KEYS=1 needs a \"key\" in the body")
  request = function()
    return wrk.format(nil, nil, nil, prefix .. "user-" .. math.random(1, 1000000) .. suffix)
  end
end

-- PACE_DELAY_MS=D: each connection waits D ms after every answer before its next request, so C connections offer at
-- most C * 1000 / D requests per second: a steady load both endpoints sustain, where latency is the time a request takes
-- rather than the time it queues behind others (run.sh's "paced" run).
local pace = tonumber(os.getenv("PACE_DELAY_MS") or "")
if pace and pace > 0 then
  delay = function()
    return pace
  end
end
