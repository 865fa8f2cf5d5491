-- Test harness: runs resolve_scripts/support/executor.lua under a real Lua 5.1 with a `resolve`
-- global whose every call goes, as a JSON line on stdout, to the Python fake Resolve, which
-- answers on stdin. Usage: lua5.1 harness.lua EXECUTOR FOLDER ACTION[,ACTION...] [no-resolve]

local executor_path, folder, action_list, mode = arg[1], arg[2], arg[3], arg[4]

-- JSON, as much as the protocol needs -------------------------------------------------------------
local encode
local function encode_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    local named = { ['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
    return named[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end
encode = function(v)
  local t = type(v)
  if v == nil then return "null"
  elseif t == "boolean" then return v and "true" or "false"
  elseif t == "number" then
    if v == math.floor(v) and math.abs(v) < 1e15 then return string.format("%d", v) end
    return string.format("%.17g", v)
  elseif t == "string" then return encode_string(v)
  elseif t == "table" then
    if rawget(v, "__handle") then return '{"$h":' .. v.__handle .. "}" end
    local n, count = #v, 0
    for _ in pairs(v) do count = count + 1 end
    local parts = {}
    if count == n then
      for i = 1, n do parts[i] = encode(v[i]) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    for k, item in pairs(v) do table.insert(parts, encode_string(tostring(k)) .. ":" .. encode(item)) end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  error("cannot encode " .. t)
end

local decode
local function skip(s, i) return s:find("%S", i) or #s + 1 end
local function decode_at(s, i)
  i = skip(s, i)
  local c = s:sub(i, i)
  if c == "{" then
    local result = {}
    i = skip(s, i + 1)
    if s:sub(i, i) == "}" then return result, i + 1 end
    while true do
      local key
      key, i = decode_at(s, i)
      i = skip(s, i) + 1 -- the colon
      result[key], i = decode_at(s, i)
      i = skip(s, i)
      local sep = s:sub(i, i)
      i = i + 1
      if sep == "}" then return result, i end
    end
  elseif c == "[" then
    local result, n = {}, 0
    i = skip(s, i + 1)
    if s:sub(i, i) == "]" then return result, i + 1 end
    while true do
      n = n + 1
      result[n], i = decode_at(s, i)
      i = skip(s, i)
      local sep = s:sub(i, i)
      i = i + 1
      if sep == "]" then return result, i end
    end
  elseif c == '"' then
    local out, j = {}, i + 1
    while true do
      local ch = s:sub(j, j)
      if ch == '"' then return table.concat(out), j + 1 end
      if ch == "\\" then
        local e = s:sub(j + 1, j + 1)
        if e == "u" then
          local code = tonumber(s:sub(j + 2, j + 5), 16)
          if code < 128 then table.insert(out, string.char(code))
          elseif code < 2048 then table.insert(out, string.char(192 + math.floor(code / 64), 128 + code % 64))
          else table.insert(out, string.char(224 + math.floor(code / 4096), 128 + math.floor(code / 64) % 64, 128 + code % 64)) end
          j = j + 6
        else
          table.insert(out, ({ n = "\n", r = "\r", t = "\t", b = "\b", f = "\f" })[e] or e)
          j = j + 2
        end
      else
        table.insert(out, ch)
        j = j + 1
      end
    end
  elseif s:sub(i, i + 3) == "true" then return true, i + 4
  elseif s:sub(i, i + 4) == "false" then return false, i + 5
  elseif s:sub(i, i + 3) == "null" then return nil, i + 4
  end
  local number = s:match("^-?[%d.eE+-]+", i)
  return tonumber(number), i + #number
end

-- Handles become proxies; {"$d": [[key, value], ...]} keeps non-string keys (Resolve's frame-keyed dicts).
local proxy
local function revive(v)
  if type(v) ~= "table" then return v end
  if v["$h"] then return proxy(v["$h"]) end
  if v["$d"] then
    local out = {}
    for _, pair in ipairs(v["$d"]) do out[revive(pair[1])] = revive(pair[2]) end
    return out
  end
  local out = {}
  for k, item in pairs(v) do out[k] = revive(item) end
  return out
end

local function ask(request)
  io.stdout:write("CALL " .. encode(request) .. "\n")
  io.stdout:flush()
  local answer = io.stdin:read("*l")
  return revive((decode_at(answer, 1)))
end

proxy = function(handle)
  return setmetatable({ __handle = handle }, {
    __index = function(_, name)
      if name:match("^[A-Z_]+$") then return ask({ h = handle, get = name }) end  -- a constant
      return function(self, ...)
        local args, n = { ... }, select("#", ...)
        local listed = {}
        for i = 1, n do listed[i] = args[i] == nil and "$nil" or args[i] end
        return ask({ h = handle, m = name, a = listed })
      end
    end,
  })
end

print = function(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
  io.stdout:write("OUT " .. encode(table.concat(parts, "\t")) .. "\n")
end

if mode ~= "no-resolve" then resolve = proxy(0) end
local actions = {}
for action in action_list:gmatch("[^,]+") do table.insert(actions, action) end
local executor = dofile(executor_path)
if action_list == "open-panel" then
  executor.open_panel(folder, function(command) print("RUN " .. command) end)
  io.stdout:write("END {}\n")
  return
end
local report = executor.main(folder, actions)
io.stdout:write("END " .. encode(report and { done = report.done, problems = report.problems } or {}) .. "\n")
