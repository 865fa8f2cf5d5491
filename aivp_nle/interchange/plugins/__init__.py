"""OTIO adapter plugins for our writers, so `otioconvert` users get them too.

OTIO finds this package through the `opentimelineio.plugins` entry point and reads
`plugin_manifest.json` beside this file. It loads each adapter module from its file path under a
name of its own, so the adapter modules import our code absolutely. As plugins they resolve
relative media from the current folder and do not refuse offline media (otioconvert users may
convert on a machine without the media); `aivp export` does both checks.
"""
