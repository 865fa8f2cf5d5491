"""A song in stems, made with ffmpeg: a click-track instrumental, a "vocal" of harmonic tones in known
phrases (and a breath of noise, which is not singing), their mix; and lip-synced takes whose own
audio is that vocal, shifted by a known offset."""

from __future__ import annotations

from pathlib import Path

from aivp_nle import synth
from aivp_nle.ffmpeg import FFmpeg, media_arg

SECONDS = 12.0
BPM = 120.0
# (start, end) seconds of each sung phrase, on the beats; the middle one is too short to earn a shot
PHRASES = ((1.0, 3.0), (4.5, 5.0), (6.0, 9.5))
BREATH = (10.5, 10.9)


def make_vocals(path: Path, ff: FFmpeg) -> Path:
    sung = "+".join(f"between(t,{a},{b})" for a, b in PHRASES)
    voice = f"0.3*({sung})*(sin(2*PI*220*t+3*sin(2*PI*5*t))+0.5*sin(2*PI*440*t)+0.25*sin(2*PI*660*t))"
    breath = f"0.05*between(t,{BREATH[0]},{BREATH[1]})*(random(0)*2-1)"
    ff.run(["-f", "lavfi", "-i", f"aevalsrc='{voice}+{breath}':s=48000:d={SECONDS}", "-ac", "2", "-c:a", "pcm_s16le",
            "-y", media_arg(path)], "making the vocal stem")
    return path


def make_stems(folder: Path, ff: FFmpeg) -> dict[str, Path]:
    """song (the mix), vocals and instrumental, as WAV."""
    folder.mkdir(parents=True, exist_ok=True)
    instrumental = synth.make_song(folder / "song_instrumental.wav", SECONDS, BPM, ff)
    vocals = make_vocals(folder / "song_vocals.wav", ff)
    mix = folder / "song.wav"
    ff.run(["-i", media_arg(instrumental), "-i", media_arg(vocals), "-filter_complex", "amix=inputs=2:normalize=0",
            "-c:a", "pcm_s16le", "-y", media_arg(mix)], "mixing the song")
    return {"song": mix, "vocals": vocals, "instrumental": instrumental}


def make_lipsync_take(path: Path, colour: str, vocals: Path, offset_ms: float, ff: FFmpeg, fps: int = 24) -> Path:
    """A take whose picture is a flat colour and whose audio is the vocal, `offset_ms` later."""
    picture = synth.make_angle(path.with_name(f"picture_{path.name}"), colour, SECONDS + 1, fps, (160, 90), ff=ff)
    ff.run(["-i", media_arg(picture), "-i", media_arg(vocals), "-map", "0:v", "-map", "1:a", "-c:v", "copy",
            "-af", f"adelay={offset_ms}:all=1", "-c:a", "aac", "-ar", "48000", "-t", str(SECONDS + 1),
            "-timecode", "01:00:00:00", "-y", media_arg(path)], f"making the lip-synced take {path.name}")
    picture.unlink()
    return path
