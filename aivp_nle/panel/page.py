"""The panel's one page: plain HTML, and a little JavaScript that reads `/api/state` every second
(so a second tab, or the watch folder filing a take, shows at once) and posts the buttons."""

from __future__ import annotations

__all__ = ["PAGE"]

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>aivp: {{project}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #16181c; color: #e6e6e6; }
header { padding: 10px 18px; background: #23262d; font-size: 18px; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 14px; padding: 14px; }
section { background: #1e2127; border: 1px solid #30343c; border-radius: 6px; padding: 10px 14px; }
h2 { font-size: 15px; margin: 4px 0 8px; color: #9fc4ff; }
button { background: #2f6fd6; color: white; border: 0; border-radius: 4px; padding: 5px 12px; margin: 2px; cursor: pointer; }
input, select { background: #111; color: #eee; border: 1px solid #444; padding: 3px; width: 90px; }
label { display: inline-block; width: 80px; } img, video { max-width: 100%; } ul { padding-left: 18px; margin: 4px 0; }
a { color: #9fc4ff; } progress { width: 100%; } .problem { color: #ff9a8a; } .muted { color: #888; } pre { white-space: pre-wrap; }
</style></head><body>
<header>aivp panel: <b>{{project}}</b> <span class="muted" id="root"></span></header>
<main>
<section><h2>Takes</h2><div id="takes"></div><ul id="conform" class="problem"></ul><h2>Song and stems</h2><ul id="audio"></ul>
  <h2>Inbox</h2><button id="watch">Watch the inbox</button><ul id="pending"></ul><ul id="quarantined" class="problem"></ul>
  <ul id="watch-log" class="muted"></ul></section>
<section><h2>Cut</h2>
  <div><label for="pattern">pattern</label><select id="pattern">
    <option>beats</option><option>bars</option><option>downbeats</option><option>phrase</option><option>energy</option></select></div>
  <div><label for="every">every</label><input id="every" type="number" min="1" max="64"></div>
  <div><label for="min_shot">min shot</label><input id="min_shot" type="number" step="0.1" min="0.1"></div>
  <div><label for="hero">hero</label><input id="hero"></div>
  <div><label for="seed">seed</label><input id="seed" type="number"></div>
  <div><label for="level">beat level</label><select id="level"><option>auto</option><option>half</option><option>double</option></select>
    <span class="muted" id="tempo"></span></div>
  <div><label for="opacity">grain</label><input id="opacity" type="number" step="0.05" min="0" max="1"> opacity</div>
  <button id="build">Build</button><button id="reroll">Re-roll</button></section>
<section><h2>Edits</h2><ul id="edits"></ul><img id="sheet" alt="contact sheet"><img id="beats" alt="beat grid"></section>
<section><h2>Preview</h2><button id="render">Render preview</button><progress id="render-progress" max="1" value="0"></progress>
  <video id="player" controls preload="metadata"></video></section>
<section><h2>Quality control</h2><button id="qc">Run QC</button><progress id="qc-progress" max="1" value="0"></progress>
  <div id="report"></div><ul id="findings"></ul><h2>Exports</h2><ul id="exports"></ul></section>
<section><h2>DaVinci Resolve</h2><button id="apply">Apply to Resolve</button>
  <button id="install">Install the Workspace entries</button><pre id="apply-message"></pre></section>
<section><h2>Jobs</h2><ul id="jobs"></ul></section>
</main>
<script>
const $ = (id) => document.getElementById(id);
let filled = false;
function list(id, items, text) { $(id).replaceChildren(...items.map((item) => {
  const li = document.createElement("li"); li.textContent = text(item); return li; })); }
function show(s) {
  $("root").textContent = s.root;
  const takes = [];
  for (const [stage, angles] of Object.entries(s.takes)) for (const [angle, names] of Object.entries(angles))
    takes.push(stage + " / " + angle + ": " + names.join(", ") + (/lipsync$/i.test(angle) ? "  (lip-synced)" : ""));
  $("takes").textContent = takes.length ? "" : "no takes yet"; list("audio", s.audio, (a) => a);
  $("takes").replaceChildren(...takes.map((t) => Object.assign(document.createElement("div"), {textContent: t})));
  $("tempo").textContent = !s.tempo ? "" : s.tempo.bpm + " BPM" + (s.tempo.other_level
    ? "; " + s.tempo.other_level + " (" + s.tempo.other_bpm + " BPM) is nearly as likely: choose it here" : "");
  list("conform", Object.entries(s.conform), ([n, p]) => n + ": " + p.join("; ") + " (aivp conform apply)");
  list("pending", s.pending, (p) => "waiting: " + p);
  $("watch").textContent = s.watching ? "Stop watching" : "Watch the inbox"; $("watch").dataset.on = s.watching ? "1" : "";
  list("watch-log", s.watch_log.slice(-8), (l) => l);
  list("quarantined", Object.entries(s.quarantined), ([n, why]) => "quarantined " + n + ": " + why);
  list("edits", s.edits, (e) => e.name);
  const newest = s.edits[0];
  if (newest && newest.shots && !$("sheet").src.endsWith(newest.shots)) $("sheet").src = "/files/" + newest.shots;
  if (newest && newest.beats && !$("beats").src.endsWith(newest.beats)) $("beats").src = "/files/" + newest.beats;
  if (s.previews[0] && !$("player").src.endsWith(s.previews[0])) $("player").src = "/files/" + s.previews[0];
  $("report").replaceChildren();
  if (s.qc_report) $("report").append(Object.assign(document.createElement("a"), {href: "/files/" + s.qc_report, textContent: "the QC report", target: "_blank"}));
  $("exports").replaceChildren(...s.exports.map((e) => { const li = document.createElement("li");
    li.append(Object.assign(document.createElement("a"), {href: "/files/" + e, textContent: e.split("/").pop(), download: ""})); return li; }));
  $("findings").replaceChildren(...s.qc.map((f) => Object.assign(document.createElement("li"),
    {textContent: f.file + ": " + f.verdict.toUpperCase() + (f.problem ? " (" + f.problem + ")" : ""), className: f.verdict === "fail" ? "problem" : ""})));
  if (!filled) { for (const key of ["pattern", "every", "min_shot", "hero", "seed"]) $(key).value = s.cut[key] ?? "";
    $("level").value = s.beats.level; $("opacity").value = s.grain.opacity; filled = true; }
  list("jobs", s.jobs.slice().reverse(), (j) => j.kind + " #" + j.id + ": " + j.state + " " + Math.round(100 * j.progress) + " % " + j.message);
  for (const kind of ["render", "qc"]) {
    const job = s.jobs.filter((j) => j.kind === kind).pop(); if (job) $(kind + "-progress").value = job.progress; }
}
async function refresh() {
  try { const s = await (await fetch("/api/state")).json(); $("root").textContent = s.error || ""; if (!s.error) show(s); } catch (e) {} }
async function post(path, body) {
  const answer = await fetch(path, {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body || {})});
  const data = await answer.json(); refresh(); return data; }
function cut() { const c = {}; for (const key of ["pattern", "every", "min_shot", "hero", "seed", "level", "opacity"]) c[key] = $(key).value; return c; }
$("build").onclick = () => post("/api/build", cut());
$("reroll").onclick = async () => { $("seed").value = String(Number($("seed").value || 0) + 1); post("/api/build", cut()); };
$("render").onclick = () => post("/api/render");
$("watch").onclick = () => post("/api/watch", {on: !$("watch").dataset.on});
$("qc").onclick = () => post("/api/qc");
$("install").onclick = async () => { $("apply-message").textContent = (await post("/api/install")).message; };
$("apply").onclick = async () => { $("apply-message").textContent = "applying ..."; $("apply-message").textContent = (await post("/api/apply")).message; };
refresh(); setInterval(refresh, 1000);
</script></body></html>
"""
