-- aivp-nle: the Lua executor of Resolve plans (Lua 5.1 / LuaJIT, as Resolve embeds).
-- It mirrors aivp_nle/resolve/bridge.py call for call (the tests replay both against one fake
-- Resolve and compare the calls), so every step reads back what it changed and reports any
-- difference: Resolve fails silently, answering nil or false.

local M = {}

local function basename(path)
  return (string.match(path, "([^/\\]+)$")) or path
end

local function new_report()
  return { done = {}, problems = {} }
end

local function ok(report, text) table.insert(report.done, text) end
local function problem(report, text) table.insert(report.problems, text) end

local function same_rate(current, wanted)
  local a, b = tonumber(current), tonumber(wanted)
  return a ~= nil and b ~= nil and math.abs(a - b) < 1e-6
end

local function has_media(pool)
  if not pool then return false end
  local folders = { pool:GetRootFolder() }
  while #folders > 0 do
    local folder = table.remove(folders)
    if folder then
      local clips = folder:GetClipList()
      if clips and #clips > 0 then return true end
      for _, sub in ipairs(folder:GetSubFolderList() or {}) do table.insert(folders, sub) end
    end
  end
  return false
end

local function setting(report, project, key, value, label)
  if not project:SetSetting(key, value) then
    problem(report, "Resolve refused " .. label .. " = " .. value .. " (setting " .. key .. ")")
    return
  end
  local seen = project:GetSetting(key)
  if seen ~= value then
    problem(report, label .. " reads " .. tostring(seen) .. " after setting " .. value .. " (setting " .. key .. ")")
  else
    ok(report, label .. " is " .. value)
  end
end

local function conform(ctx, project, step)
  local report, rate = ctx.report, tostring(step.frame_rate)
  local current = project:GetSetting("timelineFrameRate")
  local locked = false
  if not same_rate(current, rate) then
    local count = project:GetTimelineCount()
    locked = (count and count > 0) or has_media(project:GetMediaPool())
  end
  if same_rate(current, rate) then
    ok(report, "frame rate is " .. rate .. " fps")
  elseif locked then
    problem(report, "the project runs at " .. tostring(current) .. " fps and Resolve locks the rate once media or "
      .. "timelines are in it; the edit needs " .. rate .. " fps. Create a new empty project and run "
      .. "'aivp Conform Project' there first")
  else
    setting(report, project, "timelineFrameRate", rate, "frame rate")
  end
  setting(report, project, "timelineResolutionWidth", tostring(step.width), "timeline width")
  setting(report, project, "timelineResolutionHeight", tostring(step.height), "timeline height")
  setting(report, project, "colorScienceMode", step.color_science, "colour science")
  setting(report, project, "separateColorSpaceAndGamma", "0", "combined colour space and gamma")
  setting(report, project, "colorSpaceTimeline", step.color_space, "timeline colour space")
  setting(report, project, "colorSpaceOutput", step.color_space, "output colour space")
end

local function clip_names(folder)
  local names = {}
  for _, clip in ipairs(folder:GetClipList() or {}) do names[clip:GetName()] = true end
  return names
end

local function fill_bin(report, pool, root, path, files)
  local folder, label = root, table.concat(path, "/")
  for _, name in ipairs(path) do
    local found = nil
    for _, sub in ipairs(folder:GetSubFolderList() or {}) do
      if sub:GetName() == name then found = sub break end
    end
    if not found then found = pool:AddSubFolder(folder, name) end
    if not found then
      problem(report, "Resolve did not create the bin " .. label)
      return
    end
    folder = found
  end
  local present, wanted = clip_names(folder), {}
  for _, file in ipairs(files) do
    if not present[basename(file)] then table.insert(wanted, file) end
  end
  if #wanted > 0 then
    pool:SetCurrentFolder(folder)
    pool:ImportMedia(wanted)
  end
  present = clip_names(folder)
  local missing = {}
  for _, file in ipairs(files) do
    if not present[basename(file)] then table.insert(missing, basename(file)) end
  end
  if #missing > 0 then
    problem(report, "bin " .. label .. " lacks " .. table.concat(missing, ", ")
      .. ": Resolve did not import them (offline, or a format it cannot read)")
  else
    ok(report, "bin " .. label .. " holds its " .. #files .. " file(s)")
  end
end

local function unique_name(project, wanted)
  local taken, count = {}, project:GetTimelineCount() or 0
  for i = 1, count do
    local timeline = project:GetTimelineByIndex(i)
    if timeline then taken[timeline:GetName()] = true end
  end
  local name, number = wanted, 1
  while taken[name] do  -- Resolve refuses a duplicate timeline name, silently
    number = number + 1
    name = wanted .. " (" .. number .. ")"
  end
  return name
end

local function import_timeline(ctx, pool, step, name)
  local options = { timelineName = name, importSourceClips = true, sourceClipsPath = step.source_clips_path }
  for _, path in ipairs(step.timeline_files) do
    local timeline = pool:ImportTimelineFromFile(path, options)
    if timeline then
      ok(ctx.report, "timeline '" .. name .. "' imported from " .. basename(path))
      return timeline
    end
    ok(ctx.report, "Resolve did not import " .. basename(path) .. "; trying the next format")
  end
  problem(ctx.report, "Resolve imported none of the timeline files. " .. ctx.manual)
  return nil
end

local function check_tracks(report, timeline, step)
  for index, expected in ipairs(step.video_items) do
    local items = timeline:GetItemListInTrack("video", index) or {}
    if #items ~= expected then
      problem(report, "video track " .. index .. " holds " .. #items .. " clip(s), the edit has " .. expected)
    end
  end
  for _, kind in ipairs({ "video", "audio" }) do
    for index, name in ipairs(step[kind .. "_names"]) do
      if not timeline:SetTrackName(kind, index, name) or timeline:GetTrackName(kind, index) ~= name then
        problem(report, kind .. " track " .. index .. " is not named '" .. name .. "'")
      end
    end
  end
  local off = {
    { "video", step.disabled_video, "it is an angle under the cut" },
    { "audio", step.disabled_audio or {}, "the edit does not play it" },
  }
  for _, kind in ipairs(off) do
    for _, index in ipairs(kind[2]) do
      timeline:SetTrackEnable(kind[1], index, false)
      if timeline:GetIsTrackEnabled(kind[1], index) ~= false then
        problem(report, kind[1] .. " track " .. index .. " is not confirmed off; switch it off by hand (" .. kind[3] .. ")")
      end
    end
  end
  for _, level in ipairs(step.audio_levels or {}) do
    ok(report, "audio track " .. level.track .. " (" .. level.name .. "): its clips come in at " .. string.format("%+g", level.gain_db)
      .. " dB (Resolve's scripting cannot read a level back: check one clip's Volume in the Inspector)")
  end
  ok(report, #step.video_items .. " video and " .. #step.audio_names .. " audio tracks checked")
end

local function set_grain(ctx, timeline, grain)
  local mode = ctx.resolve[grain.composite_mode]
  if type(mode) ~= "number" then mode = grain.composite_fallback end
  local items, wrong = timeline:GetItemListInTrack("video", grain.track) or {}, 0
  for _, item in ipairs(items) do
    item:SetProperty("CompositeMode", mode)
    item:SetProperty("Opacity", grain.opacity)
    if item:GetProperty("CompositeMode") ~= mode or item:GetProperty("Opacity") ~= grain.opacity then
      wrong = wrong + 1
    end
  end
  if #items == 0 or wrong > 0 then
    problem(ctx.report, "grain track " .. grain.track .. ": " .. (wrong > 0 and wrong or "no") .. " of " .. #items
      .. " clip(s) not at Overlay " .. grain.opacity .. " %; set Composite Mode and Opacity in the Inspector")
  else
    ok(ctx.report, "grain: " .. #items .. " clip(s) at composite mode " .. mode .. ", opacity " .. grain.opacity .. " %")
  end
end

local function import_edit(ctx, project, step)
  local pool = project:GetMediaPool()
  local root = pool and pool:GetRootFolder()
  if not pool or not root then
    problem(ctx.report, "Resolve gave no media pool for this project")
    return
  end
  for _, media in ipairs(step.bins) do fill_bin(ctx.report, pool, root, media.bin, media.files) end
  pool:SetCurrentFolder(root)
  local name = unique_name(project, step.timeline_name)
  local timeline = import_timeline(ctx, pool, step, name)
  if not timeline then return end
  if not project:SetCurrentTimeline(timeline) then
    problem(ctx.report, "Resolve did not make '" .. name .. "' the current timeline")
  end
  check_tracks(ctx.report, timeline, step)
  if step.grain then set_grain(ctx, timeline, step.grain) end
end

local function markers(ctx, project, step)
  local timeline = project:GetCurrentTimeline()
  if not timeline then
    problem(ctx.report, "no current timeline for the beat markers; open the edit's timeline first")
    return
  end
  local present = timeline:GetMarkers() or {}
  for _, marker in ipairs(step.markers) do
    if present[marker.frame] == nil then
      timeline:AddMarker(marker.frame, marker.color, marker.name, marker.note, 1, "aivp")
    end
  end
  present = timeline:GetMarkers() or {}
  local missing = {}
  for _, marker in ipairs(step.markers) do
    if present[marker.frame] == nil then table.insert(missing, marker.frame) end
  end
  if #missing > 0 then
    problem(ctx.report, #missing .. " of " .. #step.markers .. " beat markers are not on the timeline (first at frame "
      .. missing[1] .. ")")
  else
    ok(ctx.report, #step.markers .. " beat markers on '" .. tostring(timeline:GetName()) .. "'")
  end
end

local function renders(ctx, project, step)
  for _, job in ipairs(step.jobs) do
    local label = job.name
    if not project:SetCurrentRenderFormatAndCodec(job.format, job.codec) then
      problem(ctx.report, "render " .. label .. ": Resolve has no " .. job.format .. "/" .. job.codec .. " here")
    elseif not project:SetRenderSettings({
        SelectAllFrames = true, TargetDir = job.target_dir, CustomName = job.file_name, FormatWidth = job.width,
        FormatHeight = job.height, FrameRate = tonumber(job.frame_rate), ExportVideo = true, ExportAudio = true,
      }) then
      problem(ctx.report, "render " .. label .. ": Resolve refused its settings (one bad value voids them all)")
    else
      local job_id, queued = project:AddRenderJob(), false
      for _, listed in ipairs(project:GetRenderJobList() or {}) do
        if job_id and job_id ~= "" and listed.JobId == job_id then queued = true end
      end
      if not queued then
        problem(ctx.report, "render " .. label .. ": Resolve did not queue the job")
      else
        ok(ctx.report, "render " .. label .. " queued: " .. job.target_dir .. "/" .. job.file_name .. "." .. job.format)
      end
    end
  end
end

local HANDLERS = { conform = conform, import = import_edit, markers = markers, renders = renders }

function M.run(resolve, plan, actions)
  local report = new_report()
  local version = resolve:GetVersionString() or "?"
  ok(report, "connected to " .. tostring(resolve:GetProductName() or "DaVinci Resolve") .. " " .. version)
  local manager = resolve:GetProjectManager()
  local project = manager and manager:GetCurrentProject()
  if not project then
    problem(report, "no project is open in Resolve; open or create one, then run this again")
    return report
  end
  local wanted = {}
  for _, action in ipairs(actions) do wanted[action] = true end
  local ctx = { resolve = resolve, report = report, manual = plan.manual_import or "" }
  for _, step in ipairs(plan.steps) do
    if wanted[step.action] then HANDLERS[step.action](ctx, project, step) end
  end
  return report
end

function M.text(report)
  local lines = { #report.problems == 0 and "aivp: done, every step verified"
    or ("aivp: " .. #report.problems .. " problem(s)") }
  for _, line in ipairs(report.done) do table.insert(lines, "  ok: " .. line) end
  for _, line in ipairs(report.problems) do table.insert(lines, "  PROBLEM: " .. line) end
  return table.concat(lines, "\n")
end

-- Which project's plan to apply: the one named like the open Resolve project, else the one
-- `aivp resolve select` chose, else the only one planned; nil and what to do otherwise.
function M.choose(folder, current)
  local sep = package.config:sub(1, 1)
  local plans = folder .. "projects" .. sep
  local loaded, index = pcall(dofile, plans .. "index.lua")
  if not loaded or type(index) ~= "table" then
    return nil, "no plan in " .. plans .. ". Run `aivp resolve plan PROJECT` first."
  end
  local projects = index.projects or {}
  local found, why = nil, nil
  for _, p in ipairs(projects) do
    if current and string.lower(p.name or "") == string.lower(current) then found, why = p, "named like the open Resolve project" end
  end
  if not found and index.selected then
    for _, p in ipairs(projects) do
      if p.key == index.selected then found, why = p, "chosen with `aivp resolve select`" end
    end
  end
  if not found and #projects == 1 then found, why = projects[1], "the only project planned" end
  if not found then
    local names = {}
    for _, p in ipairs(projects) do table.insert(names, p.name or "?") end
    table.sort(names)
    return nil, "the open Resolve project '" .. tostring(current) .. "' is named like none of the planned projects ("
      .. (#names > 0 and table.concat(names, ", ") or "none") .. "). Name it like one of them, or run `aivp resolve select PROJECT`."
  end
  return plans .. found.key .. sep .. "plan.lua", found.name .. " (" .. why .. ")", found
end

-- The running Resolve (nil where scripts get none) and the name of its open project.
local function resolve_app()
  local app = resolve
  if not app and Resolve then app = Resolve() end
  if not app and bmd and bmd.scriptapp then app = bmd.scriptapp("Resolve") end
  local current = nil
  if app then
    local manager = app:GetProjectManager()
    local open = manager and manager:GetCurrentProject()
    current = open and open:GetName() or nil
  end
  return app, current
end

local function quoted(text)
  if package.config:sub(1, 1) == "\\" then return '"' .. text .. '"' end
  return "'" .. text:gsub("'", "'\\''") .. "'"
end

-- The panel of the project the open Resolve project is named like: `aivp panel ROOT`, in the
-- background, started with the Python `aivp resolve install-scripts` recorded (Resolve starts
-- without the user's shell PATH); it opens the panel already running for that project, if one is.
-- `run` is os.execute, or what a test gives instead.
function M.open_panel(folder, run)
  local _, current = resolve_app()
  local path, why, project = M.choose(folder, current)
  if not path then
    print("aivp: " .. why)
    return nil
  end
  local handle = io.open(folder .. "aivp_command.txt", "r")
  local python = handle and handle:read("*l")
  if handle then handle:close() end
  if not python or python == "" then
    print("aivp: no aivp recorded in " .. folder .. ". Run `aivp resolve install-scripts` again.")
    return nil
  end
  local command = quoted(python) .. " -m aivp_nle panel " .. quoted(project.root)
  if package.config:sub(1, 1) == "\\" then command = 'start "" ' .. command else command = command .. " >/dev/null 2>&1 &" end
  print("aivp: opening the panel of " .. why)
  ;(run or os.execute)(command)
  return command
end

function M.main(folder, actions)
  local app, current = resolve_app()
  local path, why = M.choose(folder, current)
  if not path then
    print("aivp: " .. why)
    return nil
  end
  local loaded, plan = pcall(dofile, path)
  if not loaded then
    print("aivp: no plan at " .. path .. ". Run `aivp resolve plan PROJECT` again.")
    return nil
  end
  if not app then
    print("aivp: this Resolve does not run scripts here. " .. plan.manual_import)
    return nil
  end
  print("aivp: applying the plan of " .. why)
  local report = M.run(app, plan, actions)
  print(M.text(report))
  return report
end

return M
