"""Takes with known faults, made with ffmpeg: a zooming fractal (always moving, never repeating) with
one fault added at a known frame. 24 fps, 01:00:00:00 source timecode, Rec.709 tags, a 440 Hz tone."""

from __future__ import annotations

from pathlib import Path

from aivp_nle.ffmpeg import FFmpeg, media_arg

RATE = 24
MOVING = f"mandelbrot=s=320x180:r={RATE},trim=start_frame=2,setpts=PTS-STARTPTS"  # its first frames barely move
TAGS = ["-pix_fmt", "yuv420p", "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709"]

# name -> (picture filter graph from [0:v] to [v], seconds, extra output options)
FAULTS: dict[str, tuple[str, float, list[str]]] = {
    "clean": ("[0:v]null[v]", 6, TAGS),
    # shot at 19.2 fps and shown at 24: every 5th frame is the one before it again
    "every_5th_duplicated": (f"[0:v]setpts=PTS*{RATE}/19.2,fps={RATE}[v]", 6, TAGS),
    "freeze_2s_at_2s": ("[0:v]split[a][b];[a][b]freezeframes=first=48:last=95:replace=48[v]", 6, TAGS),
    "loops_every_3s": ("[0:v]trim=end_frame=72,loop=loop=2:size=72:start=0[v]", 9, TAGS),
    "flickers_from_2s": ("[0:v]eq=brightness='if(gte(t,2),0.12*mod(n,2),0)':eval=frame[v]", 6, TAGS),
    # fine detail blurred on every other frame from 2 s: the texture swims
    "crawls_from_2s": ("[0:v]boxblur=2:enable='gte(t,2)*mod(n,2)'[v]", 6, TAGS),
    # six frames missing after frame 30, their time left empty: timestamps skip
    "drops_6_frames_at_1s6": ("[0:v]select='not(between(n,30,35))'[v]", 6, [*TAGS, "-fps_mode", "passthrough"]),
    "mostly_black_from_1s": ("[0:v]drawbox=x=0:y=0:w=iw:h=ih*0.7:color=black:t=fill:enable='gte(t,1)'[v]", 6, TAGS),
    "hdr_tagged": ("[0:v]null[v]", 6,
                   ["-pix_fmt", "yuv420p10le", "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc"]),
    "twelve_seconds": ("[0:v]null[v]", 12, TAGS),
}

TONES = {"quiet": "volume=2.2", "clipping": "volume=12", "silent": "volume=0"}


def make_take(folder: Path, name: str, ff: FFmpeg, tone: str = "quiet") -> Path:
    graph, seconds, options = FAULTS[name]
    colour = dict(zip(options[::2], options[1::2]))  # tagged on the frames too: FFmpeg 7+ lets the frames' tags win
    tags = f"setparams=color_primaries={colour['-color_primaries']}:color_trc={colour['-color_trc']}:colorspace={colour['-colorspace']}"
    graph = graph.removesuffix("[v]") + f",{tags}[v]"
    path = folder / f"{name}{'' if tone == 'quiet' else '_' + tone}.mp4"
    if not path.exists():
        ff.run([
            "-f", "lavfi", "-i", MOVING, "-f", "lavfi", "-i", f"sine=f=440:sample_rate=48000,{TONES[tone]}",
            "-filter_complex", graph, "-map", "[v]", "-map", "1:a", "-t", str(seconds),
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", *options,
            "-c:a", "aac", "-ar", "48000", "-timecode", "01:00:00:00", "-y", media_arg(path),
        ], f"making the QC test take {name}")
    return path
