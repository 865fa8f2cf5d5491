"""Downloading a finished generation: resumable, bounded, verified, and published whole.

Measured facts behind each choice: the body is streamed with
`iter_raw()` into a hidden temporary file in the inbox (the watch folder ignores it); a cut body is
resumed with `Range` + `If-Range` (a server that ignores Range, or whose ETag changed, restarts the
file); connection errors, 408, 429 and 5xx are retried with backoff, honouring `Retry-After`,
because httpx's own retries only cover failed connects; httpx's timeouts are per socket operation,
so an overall deadline and a maximum size bound a dripping server; the length and checksum are
checked before the file gets its name, by a hard link that never overwrites. Redirects are followed
by hand: a key is never sent to another host, and only https (or hosts the policy allows) is used.
The server's file name is never used as a path: ours is given, theirs kept as metadata.
"""

from __future__ import annotations

import email.utils
import errno
import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from ..errors import AivpError
from ..files import claim, write_bytes

__all__ = ["DownloadError", "DownloadPolicy", "Downloaded", "download"]

MEDIA_TYPES = {"video/mp4": ".mp4", "video/quicktime": ".mov", "video/webm": ".webm", "video/x-matroska": ".mkv"}
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
SECRET_HEADERS = ("authorization", "x-goog-api-key", "x-api-key", "api-key")


class DownloadError(AivpError):
    """A download that did not finish; the message says what happened and what to do."""


class DiskFullError(DownloadError):
    """No room left for the download: the partial file is removed, the task stays pending."""


@dataclass(frozen=True)
class DownloadPolicy:
    deadline: float = 1800.0  # seconds for the whole file, however the server paces it
    max_bytes: int = 20 * 1024**3
    attempts: int = 8
    backoff: float = 1.0  # first wait, doubled each time, capped at `backoff_cap`
    backoff_cap: float = 60.0
    allowed_hosts: frozenset[str] | None = None  # None: any https host
    insecure_hosts: frozenset[str] = frozenset()  # hosts allowed over plain http (local tests, a LAN box)
    chunk_timeout: float = 30.0
    # Flush each download to disk before it gets its name. Off by default: the inbox is a staging
    # area; a power cut leaves at worst a cut file there, which the watch folder's checks refuse,
    # and the copy it files into the project is flushed. A crash or kill -9 loses nothing either way.
    durable: bool = False


@dataclass(frozen=True)
class Downloaded:
    path: Path
    size: int
    sha256: str
    server_name: str | None
    content_type: str | None
    attempts: int
    metadata: dict[str, object] = field(default_factory=dict)


def _server_name(response: httpx.Response) -> str | None:
    """The name the server suggests, for the record only (it may be `../../x.mp4`)."""
    header = response.headers.get("content-disposition", "")
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() in ("filename", "filename*") and value:
            return value.strip('"').split("''")[-1]
    return Path(urlsplit(str(response.url)).path).name or None


def _retry_after(response: httpx.Response, default: float) -> float:
    value = response.headers.get("retry-after")
    if not value:
        return default
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


def _check_url(url: str, policy: DownloadPolicy) -> None:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "https" and not (parts.scheme == "http" and host in policy.insecure_hosts):
        raise DownloadError(f"{url}: refused, only https is used (the file and your key would travel in clear)")
    if policy.allowed_hosts is not None and host not in policy.allowed_hosts and host not in policy.insecure_hosts:
        raise DownloadError(f"{url}: refused, {host} is not one of this service's hosts ({', '.join(sorted(policy.allowed_hosts))})")


def download(
    client: httpx.Client,
    url: str,
    destination: Path,
    policy: DownloadPolicy = DownloadPolicy(),
    *,
    headers: Mapping[str, str] | None = None,
    sha256: str | None = None,
    metadata: Mapping[str, object] | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
    on_retry: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Downloaded:
    """Download `url` to `destination` (a new name, never overwritten), with its metadata beside it
    as `NAME.json` for the watch folder. Raises DownloadError; nothing is published half-way."""
    temporary = destination.with_name(f".aivp-tmp-{destination.name}.part")
    state = _State(started=time.monotonic())
    try:
        received, attempts = _with_retries(
            lambda: _one_attempt(client, url, temporary, policy, dict(headers or {}), state, on_progress),
            url, policy, state, sleep, on_retry or (lambda line: None),
        )
        size = temporary.stat().st_size
        if received.total is not None and size != received.total:
            raise DownloadError(f"{url}: got {size} bytes, the server announced {received.total}. Nothing was kept; fetch it again")
        digest = state.digest.hexdigest()
        if sha256 and digest != sha256.lower():
            raise DownloadError(f"{url}: checksum {digest[:12]}… is not the expected {sha256[:12]}…. Nothing was kept")
        record = {**dict(metadata or {}), "original_name": received.name, "content_type": received.content_type, "sha256": digest}
        companion = json.dumps(record, indent=2, default=str).encode("utf-8")
        write_bytes(destination.with_name(destination.name + ".json"), companion, replace=True)
        claim(temporary, destination, durable=policy.durable)  # the media last: the watch folder sees its metadata first
        return Downloaded(destination, size, digest, received.name, received.content_type, attempts, record)
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise DiskFullError(f"{destination.parent}: the disk is full; the partial download was removed, the task stays pending") from None
        raise
    finally:
        temporary.unlink(missing_ok=True)


@dataclass
class _State:
    """What survives between attempts: when it all began, and the validator resuming depends on."""

    started: float
    validator: str | None = None
    # The checksum, built as the bytes are written (a second pass over the file would cost a read
    # of all of it): a resumed attempt continues it, a restarted one starts it again.
    digest: Any = field(default_factory=hashlib.sha256)


@dataclass(frozen=True)
class _Received:
    """What one complete attempt learnt about the file: its announced size and how the server names it."""

    total: int | None
    name: str | None
    content_type: str | None


class _Retry(Exception):
    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.after = reason, after


def _with_retries(
    attempt: Callable[[], _Received], url: str, policy: DownloadPolicy, state: _State, sleep: Callable[[float], None],
    say: Callable[[str], None],
) -> tuple[_Received, int]:
    """Attempts until one completes, waiting longer each time (or as the server asks), within the
    deadline; each wait is said (what failed, how long, which try), so a long retry is never silent."""
    wait = policy.backoff
    for tries in range(1, policy.attempts + 1):
        try:
            return attempt(), tries
        except _Retry as retry:
            if tries >= policy.attempts:
                raise DownloadError(f"{url}: gave up after {tries} tries ({retry.reason}). Try again later") from None
            pause = min(policy.backoff_cap, retry.after if retry.after is not None else wait)
            if time.monotonic() - state.started + pause > policy.deadline:
                raise DownloadError(f"{url}: not done within the {policy.deadline:g} s deadline ({retry.reason})") from None
            say(f"{url}: {retry.reason}; trying again in {pause:g} s (try {tries + 1} of {policy.attempts}, "
                f"giving up {policy.deadline:g} s after the start)")
            sleep(pause)
            wait = min(policy.backoff_cap, wait * 2)
    raise DownloadError(f"{url}: no attempt allowed (attempts = {policy.attempts})")


def _one_attempt(
    client: httpx.Client, url: str, temporary: Path, policy: DownloadPolicy, headers: dict[str, str],
    state: _State, on_progress: Callable[[int, int | None], None] | None,
) -> _Received:
    have = temporary.stat().st_size if temporary.exists() else 0
    # The bytes are saved as they come (iter_raw): ask for them as they are, never gzip-encoded,
    # or a server that compresses would leave a gzip stream under a .mp4 name.
    request_headers = {"Accept-Encoding": "identity", **dict(headers)}
    if have and state.validator:
        request_headers |= {"Range": f"bytes={have}-", "If-Range": state.validator}
    try:
        with _follow(client, url, policy, request_headers) as response:
            resumed = _accepted(response, url, have, policy, state)
            total = _total(response, have if resumed else 0)
            if total is not None and total > policy.max_bytes:
                raise DownloadError(f"{url}: {total} bytes is more than the {policy.max_bytes} allowed")
            written = _receive(response, temporary, have if resumed else 0, total, url, policy, state, on_progress)
            if total is not None and written < total:
                raise _Retry(f"the body stopped at {written} of {total} bytes")
            return _Received(total, _server_name(response), response.headers.get("content-type"))
    except (httpx.TransportError, httpx.DecodingError) as error:
        raise _Retry(f"{error.__class__.__name__}: {error}") from None


def _accepted(response: httpx.Response, url: str, have: int, policy: DownloadPolicy, state: _State) -> bool:
    """Whether the answer is the file (True: the rest of it, from byte `have`); else why not, as an
    error to stop on or a retry."""
    if response.status_code in RETRY_STATUS:
        raise _Retry(f"the server answered {response.status_code}", _retry_after(response, policy.backoff))
    if response.status_code in (401, 403, 404, 410):
        raise DownloadError(
            f"{url}: the server answered {response.status_code}: the link expired or the key is wrong. "
            "Services keep outputs for a limited time (Replicate 1 h, Runway 1-2 days, Veo 2 days); generate it again if it is gone"
        )
    if response.status_code not in (200, 206):
        raise DownloadError(f"{url}: the server answered {response.status_code}")
    resumed = response.status_code == 206 and response.headers.get("content-range", "").startswith(f"bytes {have}-")
    if response.status_code == 206 and not resumed:
        state.validator = None  # a range we did not ask for: start the file again
        raise _Retry("the server sent a different range than asked")
    state.validator = response.headers.get("etag") or response.headers.get("last-modified")
    return resumed


def _receive(
    response: httpx.Response, temporary: Path, offset: int, total: int | None, url: str, policy: DownloadPolicy,
    state: _State, on_progress: Callable[[int, int | None], None] | None,
) -> int:
    """The body appended from `offset` as it arrives, checksummed on the way; the bytes written in all."""
    written = offset
    if not offset:
        state.digest = hashlib.sha256()
    with open(temporary, "ab" if offset else "wb") as handle:
        try:
            for block in response.iter_raw():
                handle.write(block)
                state.digest.update(block)
                written += len(block)
                if written > policy.max_bytes:
                    raise DownloadError(f"{url}: more than the {policy.max_bytes} bytes allowed; stopped")
                if time.monotonic() - state.started > policy.deadline:
                    raise DownloadError(f"{url}: not done within the {policy.deadline:g} s deadline (the server is too slow)")
                if on_progress:
                    on_progress(written, total)
        finally:
            handle.flush()
            if policy.durable:
                os.fsync(handle.fileno())
    return written


def _total(response: httpx.Response, offset: int) -> int | None:
    content_range = response.headers.get("content-range", "")
    if "/" in content_range and content_range.rsplit("/", 1)[1].isdigit():
        return int(content_range.rsplit("/", 1)[1])
    length = response.headers.get("content-length")
    return offset + int(length) if length and length.isdigit() else None


class _follow:
    """A GET that follows redirects itself: secret headers stay with the host they were meant for."""

    def __init__(self, client: httpx.Client, url: str, policy: DownloadPolicy, headers: dict[str, str]) -> None:
        self.client, self.url, self.policy, self.headers = client, url, policy, headers
        self.response: httpx.Response | None = None

    def __enter__(self) -> httpx.Response:
        url, headers, origin = self.url, dict(self.headers), urlsplit(self.url).netloc
        for _ in range(10):
            _check_url(url, self.policy)
            request = self.client.build_request("GET", url, headers=headers)
            response = self.client.send(request, stream=True, follow_redirects=False)
            if response.status_code not in (301, 302, 303, 307, 308) or "location" not in response.headers:
                self.response = response
                return response
            response.close()
            url = urljoin(url, response.headers["location"])
            if urlsplit(url).netloc != origin:  # a key never follows the file to another host
                headers = {k: v for k, v in headers.items() if k.lower() not in SECRET_HEADERS}
        raise DownloadError(f"{self.url}: more than 10 redirects")

    def __exit__(self, *exc: object) -> None:
        if self.response is not None:
            self.response.close()


def suffix_for(content_type: str | None, url: str) -> str:
    """Our file's extension: from the media type, else the URL's, else .mp4."""
    if content_type and content_type.split(";")[0].strip() in MEDIA_TYPES:
        return MEDIA_TYPES[content_type.split(";")[0].strip()]
    suffix = Path(urlsplit(url).path).suffix.lower()
    return suffix if suffix in (".mp4", ".mov", ".webm", ".mkv") else ".mp4"


