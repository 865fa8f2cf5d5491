-- aivp-nle, Workspace > Scripts > Utility > aivp Open Panel: the web panel of the project this Resolve project is named like.
-- Runs in every edition that lists Lua scripts; `aivp resolve install-scripts` records where aivp is, `aivp resolve plan` the projects.
local folder = package.config:sub(1, 1) == "\\" and (os.getenv("APPDATA") .. "\\aivp\\resolve\\") or (os.getenv("HOME") .. "/.aivp/resolve/")
local loaded, executor = pcall(dofile, folder .. "executor.lua")
if not loaded then print("aivp: " .. tostring(executor) .. "; run `aivp resolve install-scripts`") return end
executor.open_panel(folder)
