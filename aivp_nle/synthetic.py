"""Self-made material: a song with a clear beat, solid-colour angles with burnt-in timecode, grain.

`aivp demo` and the tests make their media here with ffmpeg's generators, so the real pipeline can
run anywhere with no footage. Each angle is one flat colour (easy to recognise in a rendered frame)
with its name, source timecode and frame number burnt in, so sync is visible by eye.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .ffmpeg import FFmpeg, locate, media_arg
from .files import claim, scratch_path

__all__ = [
    "ANGLE_COLOURS", "FRAME_CODE_BITS", "make_angle", "make_grain", "make_silence", "make_song", "make_stems", "make_vocals",
]

# Flat colours far apart in RGB, so a frame's mean colour says which angle is on screen.
ANGLE_COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (200, 40, 40), "green": (40, 190, 60), "blue": (40, 70, 210),
    "yellow": (220, 200, 40), "magenta": (200, 50, 200),
}

FRAME_CODE_BITS = 12


def _write(ff: FFmpeg, args: list[str], path: Path, what: str) -> Path:
    with scratch_path(path) as scratch:
        ff.run([*args, "-y", media_arg(scratch)], what)
        return claim(scratch, path, replace=True)


def make_song(path: Path, seconds: float = 30.0, bpm: float = 120.0, ff: FFmpeg | None = None) -> Path:
    """A song with a kick and a click on every beat (louder on the bar's first), soft off-beat hats,
    and a bass and a chord that change on every bar: the harmony is what a trained ear hears as the
    bar's start, the accent what ours hears."""
    beat, bar = 60.0 / bpm, 240.0 / bpm
    root = f"(1+0.3348*mod(floor(t/{bar}+0.001),2))"  # A, then D, a bar each
    accent = f"(0.5+0.5*eq(mod(floor(t/{beat}+0.001),4),0))"
    kick = f"0.6*sin(2*PI*55*t)*exp(-18*mod(t,{beat}))*{accent}"
    click = f"0.3*sin(2*PI*2500*t+6*sin(2*PI*900*t))*exp(-120*mod(t,{beat}))*{accent}"
    hat = f"0.05*sin(2*PI*7000*t+9*sin(2*PI*1300*t))*exp(-90*mod(t+{beat / 2},{beat}))"
    bass = f"0.25*sin(2*PI*110*{root}*t)*exp(-1.5*mod(t,{bar}))"
    chord = f"0.05*(sin(2*PI*220*{root}*t)+sin(2*PI*277.2*{root}*t)+sin(2*PI*329.6*{root}*t))"
    graph = f"aevalsrc=exprs='{kick}+{click}+{hat}+{bass}+{chord}':s=48000:d={seconds}"
    args = ["-f", "lavfi", "-i", graph, "-ac", "2", "-c:a", _audio_codec(path)]
    return _write(ff or locate(), args, path, f"making the demo song {path.name}")


def make_vocals(
    path: Path, seconds: float, phrases: Sequence[tuple[float, float]], breath: tuple[float, float] | None = None,
    ff: FFmpeg | None = None,
) -> Path:
    """A "vocal" stem: a voiced tone (220 Hz with vibrato and two harmonics) in each sung phrase, and
    a breath of noise, which is loud but not singing."""
    sung = "+".join(f"between(t,{a},{b})" for a, b in phrases) or "0"
    voice = f"0.3*({sung})*(sin(2*PI*220*t+3*sin(2*PI*5*t))+0.5*sin(2*PI*440*t)+0.25*sin(2*PI*660*t))"
    noise = f"+0.05*between(t,{breath[0]},{breath[1]})*(random(0)*2-1)" if breath else ""
    args = ["-f", "lavfi", "-i", f"aevalsrc='{voice}{noise}':s=48000:d={seconds}", "-ac", "2", "-c:a", _audio_codec(path)]
    return _write(ff or locate(), args, path, f"making the vocal stem {path.name}")


def make_stems(
    folder: Path, seconds: float, bpm: float, phrases: Sequence[tuple[float, float]],
    breath: tuple[float, float] | None = None, ff: FFmpeg | None = None,
) -> dict[str, Path]:
    """A song in stems, named the way stem splitters name them: song_instrumental.wav (the beat),
    song_vocals.wav and song.wav, their mix."""
    ff = ff or locate()
    folder.mkdir(parents=True, exist_ok=True)
    instrumental = make_song(folder / "song_instrumental.wav", seconds, bpm, ff)
    vocals = make_vocals(folder / "song_vocals.wav", seconds, phrases, breath, ff)
    args = ["-i", media_arg(instrumental), "-i", media_arg(vocals), "-filter_complex", "amix=inputs=2:normalize=0", "-c:a", "pcm_s16le"]
    mix = _write(ff, args, folder / "song.wav", "mixing the song")
    return {"song": mix, "vocals": vocals, "instrumental": instrumental}


def make_silence(path: Path, seconds: float = 10.0, ff: FFmpeg | None = None) -> Path:
    args = ["-f", "lavfi", "-i", f"anullsrc=r=48000:cl=stereo:d={seconds}", "-c:a", _audio_codec(path)]
    return _write(ff or locate(), args, path, f"making silence {path.name}")


def make_angle(
    path: Path,
    colour: str,
    seconds: float,
    fps: int = 24,
    size: tuple[int, int] = (640, 360),
    timecode: str = "01:00:00:00",
    label: str | None = None,
    frame_code: bool = False,
    ff: FFmpeg | None = None,
    sound: Path | None = None,
    sound_delay_ms: float = 0.0,
) -> Path:
    """A take: flat colour, its name, burnt-in source timecode and frame number, a tone as its audio.

    With `frame_code`, the bottom eighth carries the frame number as FRAME_CODE_BITS black/white
    blocks (least significant bit on the left), which a test reads back from any rendered frame.
    With `sound` (a vocal stem), its audio is that sound `sound_delay_ms` late: a lip-synced take.
    """
    red, green, blue = ANGLE_COLOURS[colour]
    width, height = size
    text_size = max(12, height // 10)
    escaped_tc = timecode.replace(":", r"\:")
    picture = (
        f"color=c=0x{red:02x}{green:02x}{blue:02x}:s={width}x{height}:r={fps}:d={seconds},"
        f"drawtext=text='{label or colour}':x=(w-tw)/2:y=h/8:fontsize={text_size}:fontcolor=white,"
        f"drawtext=timecode='{escaped_tc}':rate={fps}:x=(w-tw)/2:y=h/3:fontsize={text_size}:fontcolor=white,"
        f"drawtext=text='%{{frame_num}}':x=(w-tw)/2:y=h/2:fontsize={text_size}:fontcolor=white"
    )
    tone = ["-f", "lavfi", "-i", f"sine=frequency=3000:sample_rate=48000:duration={seconds}"]
    inputs = ["-f", "lavfi", "-i", picture, *(tone if sound is None else ["-i", media_arg(sound)])]
    delay = ["-af", f"adelay={sound_delay_ms:g}:all=1", "-ar", "48000"] if sound is not None else []
    tags = "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709"  # on the frames: FFmpeg 7+ needs it
    video = ["-map", "0:v", "-vf", tags]
    if frame_code:
        bit = f"bitand(N\\,pow(2\\,floor(X*{FRAME_CODE_BITS}/W)))"
        code = f"nullsrc=s={width}x{height // 8}:r={fps}:d={seconds},geq=lum='255*gt({bit}\\,0)':cb=128:cr=128"
        inputs += ["-f", "lavfi", "-i", code]
        video = ["-filter_complex", f"[0:v][2:v]overlay=0:H-h,{tags}[picture]", "-map", "[picture]"]
    args = [
        *inputs, *video, "-map", "1:a", *delay, "-c:v", "libx264", "-preset", "ultrafast", "-crf", "23",
        "-pix_fmt", "yuv420p", "-g", str(fps), "-color_primaries", "bt709", "-color_trc", "bt709",
        "-colorspace", "bt709", "-c:a", "aac", "-timecode", timecode, "-t", str(seconds),
    ]
    return _write(ff or locate(), args, path, f"making the demo angle {path.name}")


def make_grain(
    path: Path, seconds: float = 2.0, fps: int = 24, size: tuple[int, int] = (640, 360), ff: FFmpeg | None = None
) -> Path:
    """Moving mid-grey noise: neutral under an Overlay blend except for its texture."""
    width, height = size
    graph = f"color=c=0x808080:s={width}x{height}:r={fps}:d={seconds},noise=alls=40:allf=t+u,format=yuv420p"
    args = ["-f", "lavfi", "-i", graph, "-c:v", "libx264", "-preset", "veryfast", "-crf", "30", "-t", str(seconds)]
    return _write(ff or locate(), args, path, f"making the grain clip {path.name}")


def _audio_codec(path: Path) -> str:
    return {".wav": "pcm_s16le", ".flac": "flac", ".mp3": "libmp3lame", ".opus": "libopus"}.get(path.suffix.lower(), "aac")
