"""The edit every interchange check opens: one that a reader which rounds, or confuses source and
record frames, gets wrong.

A project at 24 fps, 160x90, whose song (in stems, played recombined) runs at 130 BPM, so that a
cut every 2 beats falls every 22.15 frames, never on a whole second. Three angles with burnt-in
frame codes: red in sync, green 0.5 s (12 frames) ahead of the song, blue 0.25 s (6 frames) ahead
and generated in three chunks of at most 5 s, so that its clips come from three files whose first
frames are the reference's frames 0, 120 and 240. Media sit in a folder whose name has spaces,
quotes, brackets and non-ASCII letters.
"""

from __future__ import annotations

from pathlib import Path

from aivp_nle import synthetic as synth
from aivp_nle.chunks import chunk_reference
from aivp_nle.config import AngleSettings, AudioSettings, ConformTarget, CutSettings, GrainSettings, ProjectConfig
from aivp_nle.ffmpeg import FFmpeg, media_arg
from aivp_nle.project import Project, add_file, init_project

STRANGE = "Café 'take' \"one\" [ü]"  # spaces, quotes, brackets, non-ASCII: every format must keep them
RATE, SIZE, SECONDS, BPM = 24, (160, 90), 12.0, 130.0
OFFSETS = {"red": 0, "green": 12, "blue": 6}  # frames each angle runs ahead of the song
CHUNKED = "blue"
GRAIN = "06_Edit/assets/grain plate.mp4"


def make_project(folder: Path, ff: FFmpeg, name: str = STRANGE) -> Project:
    config = ProjectConfig(
        conform=ConformTarget(width=SIZE[0], height=SIZE[1]),
        cut=CutSettings(every=2, min_shot=0.8, seed=3),
        grain=GrainSettings(asset=GRAIN),
        audio=AudioSettings(play="stems"),
        angles={name: AngleSettings(offset=frames / RATE) for name, frames in OFFSETS.items() if frames},
    )
    project = init_project(folder / name, config)
    synth.make_stems(project.audio_dir, SECONDS, BPM, [(2.0, 5.0), (7.0, 9.5)], ff=ff)
    synth.make_grain(project.path(GRAIN), 1.0, RATE, SIZE, ff)
    stage = project.stage_dir("v1_exploration")
    scratch = folder / "takes"
    scratch.mkdir()
    for colour in OFFSETS:
        take = synth.make_angle(scratch / f"{colour} take.mp4", colour, SECONDS + 1, RATE, SIZE, frame_code=True, ff=ff)
        if colour != CHUNKED:
            add_file(take, stage, colour)
            continue
        reference = synth.make_angle(project.root / "02_Reference_Video" / "performance.mp4", "red", SECONDS + 1, RATE, SIZE, ff=ff)
        manifest = chunk_reference(reference, reference.parent / "chunks", max_seconds=5.0, ff=ff)
        for chunk in manifest.chunks:  # each chunk generated on its own: the matching stretch of the take
            end = chunk.start_frame + chunk.frames
            ff.run(["-i", media_arg(take), "-vf", f"trim=start_frame={chunk.start_frame}:end_frame={end},setpts=PTS-STARTPTS",
                    "-an", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-g", str(RATE),
                    media_arg(stage / f"{chunk.name}_{colour}_v001.mp4")], f"generated {chunk.name}")
    return project
