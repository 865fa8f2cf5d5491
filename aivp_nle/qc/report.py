"""The QC report as one static HTML page that opens from disk: no server, no scripts fetched.

Findings come first (what, where, how bad, what the handbook says to do), with the pictures beside
them; the manual checklist follows as tick boxes. Ticks are kept in the browser as they are made
and saved as `checklist.json` with one click; `aivp qc --project --checklist FILE` puts that
file back in the project, and the next report starts from it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from ..files import write_bytes
from .checklist import CHECKLIST, Checklist
from .findings import QcReport

__all__ = ["Pictures", "write_html"]


@dataclass
class Pictures:
    """Where each picture of one report was written, relative to the report's folder."""

    contact_sheet: str | None = None
    beat_plot: str | None = None
    strips: dict[int, str] = field(default_factory=dict)  # finding index -> frame strip


STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1240px;padding:0 1em;color:#222;background:#fafafa}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.5em 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eee}.pass{color:#17702b}.warn{color:#a86200}.fail{color:#b3161b}.info{color:#555}
img{max-width:100%;border:1px solid #ccc;display:block;margin:.3em 0}.verdict{font-weight:bold;text-transform:uppercase}
fieldset{border:1px solid #ccc;margin:.6em 0}label{display:block;padding:2px 0}code{background:#eee;padding:0 3px}
"""

SCRIPT = """
const ticks = JSON.parse(document.getElementById("saved-checklist").textContent);
const key = "aivp-qc:" + ticks.report;
const stored = JSON.parse(localStorage.getItem(key) || "null");
const boxes = Array.from(document.querySelectorAll("input.check"));
let saved = stored && (!ticks.saved || stored.saved > ticks.saved) ? stored : ticks;  // the newer ticks win
function show() {
  document.getElementById("done").textContent = boxes.filter(b => b.checked).length + " of " + boxes.length + " checked";
  const link = document.getElementById("save");
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([JSON.stringify(saved, null, 2)], {type: "application/json"}));
}
function tick() {
  saved = {report: ticks.report, items: Object.fromEntries(boxes.map(b => [b.name, b.checked])), saved: new Date().toISOString()};
  localStorage.setItem(key, JSON.stringify(saved));
  show();
}
boxes.forEach(b => { b.checked = Boolean((saved.items || {})[b.name]); b.addEventListener("change", tick); });
show();
"""


def _findings_table(report: QcReport, pictures: Pictures) -> str:
    if not report.findings:
        return "<p class='pass'>No findings: nothing measured is wrong. Check it by eye with the checklist below.</p>"
    rows = []
    for index, finding in enumerate(report.findings):
        where = escape(" to ".join(t for t in (finding.start, finding.end) if t) or "whole clip")
        strip = pictures.strips.get(index)
        picture = f"<img src='{escape(strip)}' alt='frames around {where}'>" if strip else ""
        rows.append(
            f"<tr><td class='{finding.severity}'>{finding.severity}</td><td>{escape(finding.check)}</td><td>{where}</td>"
            f"<td>{escape(finding.what)}{picture}</td><td>{escape(finding.action)}</td></tr>"
        )
    return ("<table><tr><th>how bad</th><th>check</th><th>where</th><th>what</th><th>handbook action</th></tr>"
            + "".join(rows) + "</table>")


def _section(report: QcReport, pictures: Pictures) -> str:
    name = escape(Path(report.path).name)
    parts = [f"<h2 id='{name}'>{escape(report.kind)}: {name} <span class='verdict {report.verdict}'>{report.verdict}</span></h2>",
             f"<p><code>{escape(report.path)}</code>, {report.duration:.2f} s at {report.rate:g} fps, from {escape(report.start_timecode)}</p>"]
    if pictures.contact_sheet:
        parts.append(f"<h3>Contact sheet: one frame per shot</h3><img src='{escape(pictures.contact_sheet)}' alt='contact sheet'>")
    if pictures.beat_plot:
        parts.append("<h3>Beats and cuts</h3><p>Grey: beats; red: downbeats; blue (top): cuts.</p>"
                     f"<img src='{escape(pictures.beat_plot)}' alt='beats and cuts'>")
    parts.append(_findings_table(report, pictures))
    return "\n".join(parts)


def _summary(reports: Sequence[QcReport]) -> str:
    rows = "".join(
        f"<tr><td><a href='#{escape(Path(r.path).name)}'>{escape(Path(r.path).name)}</a></td><td>{r.kind}</td>"
        f"<td>{r.duration:.1f} s</td><td class='{r.verdict}'>{r.verdict}</td>"
        f"<td>{sum(f.severity == 'fail' for f in r.findings)}</td><td>{sum(f.severity == 'warn' for f in r.findings)}</td></tr>"
        for r in reports
    )
    return f"<table><tr><th>file</th><th>kind</th><th>length</th><th>verdict</th><th>fail</th><th>warn</th></tr>{rows}</table>"


def _checklist(saved: Checklist) -> str:
    sections: dict[str, list[str]] = {}
    for key, section, text in CHECKLIST:
        sections.setdefault(section, []).append(f"<label><input type='checkbox' class='check' name='{key}' autocomplete='off'> {escape(text)}</label>")
    boxes = "".join(f"<fieldset><legend>{section}</legend>{''.join(items)}</fieldset>" for section, items in sections.items())
    data = json.dumps(saved.model_dump(mode="json")).replace("</", "<\\/")
    return (
        "<h2>Checklist: by eye, before export</h2><p>If anything fails, regenerate; don't patch. "
        "Ticks stay in this browser as you make them; <a id='save' download='checklist.json'>save checklist.json</a> "
        "into the project's <code>06_Edit/qc/</code> (or run <code>aivp qc --project --checklist PATH</code> on the saved file). "
        f"<span id='done'></span></p>{boxes}<script type='application/json' id='saved-checklist'>{data}</script>"
    )


def write_html(out: Path, reports: Sequence[QcReport], pictures: Sequence[Pictures], saved: Checklist, title: str) -> Path:
    body = "\n".join(_section(report, picture) for report, picture in zip(reports, pictures))
    page = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>QC: {escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>QC: {escape(title)}</h1>{_summary(reports)}{body}"
        f"{_checklist(saved)}<script>{SCRIPT}</script></body></html>"
    )
    return write_bytes(out, page.encode("utf-8"), replace=True)
