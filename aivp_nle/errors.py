"""One exception hierarchy for the whole library.

Library code raises these; only the faces (CLI, daemon, Resolve scripts) print them and exit.
Every message names the file or setting at fault, says what is wrong and what to do, so a face
can show it as is.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "CONFORM_HINT",
    "AivpError",
    "ConfigError",
    "EditError",
    "MediaError",
    "NoBeatsError",
    "OutputExistsError",
    "RateMismatchError",
    "ToolNotFoundError",
    "ToolFailedError",
]

CONFORM_HINT = "Conform it to the project rate first (re-export at that rate, or `aivp conform apply`); never mix rates"


class AivpError(Exception):
    """Root of every error aivp-nle raises on purpose."""


class ToolNotFoundError(AivpError):
    """An outside program (ffmpeg, ffprobe, melt) is not installed where we look."""


class ToolFailedError(AivpError):
    """An outside program ran and failed; the message carries its last error lines."""


class MediaError(AivpError):
    """A media file is missing, unreadable, or lacks what the job needs."""

    def __init__(self, path: Path | str, problem: str, fix: str) -> None:
        self.path = Path(path)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{self.path}: {problem}. {fix}")

    def __reduce__(self) -> tuple[type[MediaError], tuple[Path, str, str]]:
        # as its arguments, so it crosses to and from a farm worker (pickle would pass only the message)
        return type(self), (self.path, self.problem, self.fix)


class RateMismatchError(MediaError):
    """Takes that would mix frame rates, which the handbook forbids: conform them first."""


class NoBeatsError(MediaError):
    """The song gave no usable beats (silence, or no pulse)."""


class ConfigError(AivpError):
    """A project file or option holds a value we refuse; the message names key, value and what is allowed."""


class EditError(AivpError):
    """The inputs cannot make the edit asked for (too few angles, a take too short, ...)."""


class OutputExistsError(AivpError):
    """We refuse to overwrite a file; the user chooses another name or asks to replace it."""
