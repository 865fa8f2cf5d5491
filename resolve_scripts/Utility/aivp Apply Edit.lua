-- aivp-nle, Workspace > Scripts > Utility > aivp Apply Edit: conform, import, markers, renders: the whole edit into this project.
-- Runs in every edition that lists Lua scripts; the executor and plan come from `aivp resolve install-scripts` / `aivp resolve plan`.
local folder = package.config:sub(1, 1) == "\\" and (os.getenv("APPDATA") .. "\\aivp\\resolve\\") or (os.getenv("HOME") .. "/.aivp/resolve/")
local loaded, executor = pcall(dofile, folder .. "executor.lua")
if not loaded then print("aivp: " .. tostring(executor) .. "; run `aivp resolve install-scripts`") return end
executor.main(folder, { "conform", "import", "markers", "renders" })
