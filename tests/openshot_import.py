"""Run one of OpenShot's own importers on a file and print what its project then holds.

Run with Debian's Python (OpenShot 2.6 and libopenshot are Debian packages), under an offscreen
Qt: `python3 openshot_import.py fcp7|edl FILE MEDIA_FOLDER RATE`. OpenShot asks the user, in a
dialog, for the folder of every file it cannot find from the path in the file; this stands in for
the user and answers with the folder under MEDIA_FOLDER that holds the file, and reports what it
was asked. The project's frame rate is set to RATE first, as a user sets it before importing.
"""

import faulthandler
import json
import os
import sys

sys.path.insert(0, "/usr/lib/python3/dist-packages/openshot_qt")
faulthandler.dump_traceback_later(240, exit=True)
kind, path, media, rate = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

from classes.app import OpenShotApp  # noqa: E402

app = OpenShotApp([sys.argv[0]], mode="unittest")
app.settings.set("send_metrics", False)  # no network: OpenShot would report usage
app.gui()
app.updates.update(["fps"], {"num": rate, "den": 1})  # as a user picks the profile

from PyQt5.QtWidgets import QFileDialog, QMessageBox  # noqa: E402
from windows.views import find_file  # noqa: E402, F401

asked = []


def answer(parent, title, start):
    name = title.split(": ", 1)[1]
    asked.append(name)
    for folder, _, files in os.walk(media):
        if name in files:
            return folder
    return ""


QFileDialog.getOpenFileName = staticmethod(lambda *a, **k: (path, ""))
QFileDialog.getExistingDirectory = staticmethod(answer)
QMessageBox.warning = staticmethod(lambda *a, **k: None)

if kind == "fcp7":
    from classes.importers.final_cut_pro import import_xml as run
else:
    from classes.importers.edl import import_edl as run
try:
    run()
except Exception as error:  # OpenShot's own failure is the measurement
    print("RESULT " + json.dumps({"error": f"{type(error).__name__}: {error}", "asked": asked}), flush=True)
    os._exit(0)

clips = []
for clip in app.project.get("clips"):
    clips.append({key: clip.get(key) for key in ("layer", "position", "start", "end", "title", "alpha")})
    clips[-1]["path"] = (clip.get("reader") or {}).get("path")
layers = [{"number": layer.get("number"), "label": layer.get("label")} for layer in app.project.get("layers")]
print("RESULT " + json.dumps({"asked": asked, "layers": layers, "clips": clips}), flush=True)
os._exit(0)
