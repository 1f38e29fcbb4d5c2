-- wrk script: POST the same predict body on every request.
-- The body is read from $BODY_FILE (default: request.json next to this script's working directory).
local path = os.getenv("BODY_FILE") or "request.json"
local file = assert(io.open(path, "rb"), "cannot open " .. path .. " (set BODY_FILE)")
local body = file:read("*a"):gsub("%s+$", "")
file:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
