"""Read-aloud (朗读) audio for kiosks whose browser has no zh-CN voice: espeak-ng's Mandarin
voice on the server, one WAV per text, cached on disk. When espeak-ng is missing or fails,
SpeechUnavailable says so and the page falls back to the browser's own voice."""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

from services import inputs
from services.errors import DomainError

log = logging.getLogger(__name__)

ESPEAK = "espeak-ng"
VOICE = "cmn"
SPEED = 160  # a "word" is a syllable in cmn: ~2.2 characters a second, for elderly listeners
TIMEOUT = 10  # seconds
MAX_CHARS = 600
KEEP_DAYS = 30  # a cached file nobody asked for in this long is removed

# Layout whitespace (a page's textContent is full of indentation) is collapsed before the length
# check; control characters are not whitespace here, so inputs.text still refuses them.
_LAYOUT_SPACE = re.compile(r"[ \t\r\n]+")


class SpeechUnavailable(DomainError):
    status = 503

    def __init__(self, message: str = "本机暂不能朗读，请工作人员帮助", field: str | None = None):
        super().__init__(message, field)


def clean(raw, field: str | None = "text") -> str:
    """The text as it will be spoken: checked by the one input layer, whitespace collapsed."""
    value = _LAYOUT_SPACE.sub(" ", inputs.text_of(raw, field))
    value = inputs.text(value, MAX_CHARS, field=field, multiline=True)
    value = " ".join(value.split())
    if not value:
        raise inputs.InvalidInput("没有要朗读的文字", field=field)
    return value


def audio_for(text: str, cache_dir: Path) -> bytes:
    """A WAV file of `text` read in 普通话. Refused text raises InvalidInput (a DomainError)."""
    text = clean(text)
    cache_dir = Path(cache_dir)
    key = hashlib.sha256("\0".join((VOICE, str(SPEED), text)).encode("utf-8")).hexdigest()
    path = cache_dir / f"{key}.wav"
    try:
        audio = path.read_bytes()
    except FileNotFoundError:
        pass
    else:
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: not pruned
        return audio
    tmp = None
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        _prune(cache_dir)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
        os.close(fd)
        audio = _synthesise(text, Path(tmp))
        os.replace(tmp, path)  # write then rename: another worker never reads half a file
    except OSError as exc:
        log.exception("speech cache %s not writable", cache_dir)
        raise SpeechUnavailable() from exc
    finally:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
    return audio


def _synthesise(text: str, out: Path) -> bytes:
    # Text on stdin, never on the command line: a text starting with "-" is not an option.
    command = [ESPEAK, "-v", VOICE, "-s", str(SPEED), "-b", "1", "-w", str(out), "--stdin"]
    try:
        result = subprocess.run(command, input=text.encode("utf-8"), capture_output=True, timeout=TIMEOUT,
                                check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:  # not installed, not executable, hung
        log.warning("espeak-ng unavailable: %s", exc)
        raise SpeechUnavailable()
    audio = out.read_bytes()
    if result.returncode != 0 or not audio.startswith(b"RIFF"):
        log.warning("espeak-ng failed (%s): %s", result.returncode, result.stderr.decode("utf-8", "replace")[:500])
        raise SpeechUnavailable()
    return audio


def _prune(cache_dir: Path) -> None:
    cutoff = time.time() - KEEP_DAYS * 86400
    for entry in os.scandir(cache_dir):
        try:
            if entry.name.endswith((".wav", ".tmp")) and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
        except OSError:
            pass  # another worker pruned it first
