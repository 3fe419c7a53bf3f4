"""Read-aloud audio for kiosks: real espeak-ng speech that can be heard, one cached file per
text, refused text never reaches espeak-ng, and a missing or broken espeak-ng is said plainly."""
import os
import re
import shutil
import subprocess
import time

import pytest

from services import speech
from services.errors import DomainError
from services.speech import SpeechUnavailable, audio_for

SENTENCE = "请把身份证放在读卡器上"


@pytest.fixture(autouse=True)
def clean_db():
    """This module needs no database: the conftest fixture of the same name is not wanted here."""
    yield


def never_run(*args, **kwargs):
    pytest.fail("espeak-ng was run")


def stat_of(wav_path) -> dict[str, float]:
    """sox's `stat` effect, which reports on stderr."""
    result = subprocess.run(["sox", str(wav_path), "-n", "stat"], capture_output=True, text=True, check=True)
    return {m.group(1).strip(): float(m.group(2))
            for m in re.finditer(r"^([A-Za-z ()]+):\s+(-?[0-9.]+)$", result.stderr, re.MULTILINE)}


def cached_files(cache_dir):
    return sorted(p.name for p in cache_dir.iterdir()) if cache_dir.exists() else []


def test_chinese_text_is_read_aloud_audibly(tmp_path):
    assert shutil.which("espeak-ng") and shutil.which("sox"), "run scripts/system-deps.sh"
    audio = audio_for(SENTENCE, tmp_path / "speech")
    assert audio[:4] == b"RIFF" and audio[8:12] == b"WAVE"
    wav = tmp_path / "sentence.wav"
    wav.write_bytes(audio)
    stat = stat_of(wav)
    assert stat["RMS     amplitude"] > 0.01
    assert stat["Length (seconds)"] > 0.5


def test_the_same_text_is_served_from_the_cache(tmp_path, monkeypatch):
    cache = tmp_path / "speech"
    first = audio_for(SENTENCE, cache)
    (name,) = cached_files(cache)
    assert re.fullmatch(r"[0-9a-f]{64}\.wav", name)

    monkeypatch.setattr(speech.subprocess, "run", never_run)
    assert audio_for(SENTENCE, cache) == first
    assert audio_for("\n        请把身份证放在读卡器上 \n", cache) == first  # layout whitespace is not the text
    assert cached_files(cache) == [name]


def test_a_different_text_gets_its_own_file(tmp_path):
    cache = tmp_path / "speech"
    first = audio_for(SENTENCE, cache)
    second = audio_for("请在屏幕上签名", cache)
    assert first != second
    assert len(cached_files(cache)) == 2


def test_text_starting_with_a_dash_is_read_not_taken_as_an_option(tmp_path):
    assert audio_for("--help 请稍候", tmp_path)[:4] == b"RIFF"


@pytest.mark.parametrize("text", [
    "", "   \n\t  ", "请" * (speech.MAX_CHARS + 1), "请把\x07身份证", "请\x00把", "请把\u202e身份证",
    "请\u200b把", "请把身份证😀", "<script>alert(1)</script>", None, 42, ["请"],
], ids=["empty", "blank", "too-long", "bell", "nul", "bidi", "zero-width", "emoji", "markup", "none",
        "number", "list"])
def test_unreadable_text_is_refused_before_espeak_ng(tmp_path, monkeypatch, text):
    monkeypatch.setattr(speech.subprocess, "run", never_run)
    with pytest.raises(DomainError) as refused:
        audio_for(text, tmp_path)
    assert re.search(r"[\u4e00-\u9fff]", refused.value.message)
    assert refused.value.status == 422
    assert cached_files(tmp_path) == []


def test_layout_whitespace_does_not_count_towards_the_limit():
    text = "请" * 300 + "\n" + " " * 200 + "请" * 299
    assert speech.clean(text) == "请" * 300 + " " + "请" * 299


@pytest.mark.parametrize("how", ["binary-name", "path"])
def test_missing_espeak_ng_is_speech_unavailable(tmp_path, monkeypatch, how):
    if how == "binary-name":
        monkeypatch.setattr(speech, "ESPEAK", "espeak-ng-not-installed")
    else:
        monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    cache = tmp_path / "speech"
    with pytest.raises(SpeechUnavailable) as unavailable:
        audio_for(SENTENCE, cache)
    assert unavailable.value.status == 503
    assert unavailable.value.message == "本机暂不能朗读，请工作人员帮助"
    assert cached_files(cache) == []  # no half file, no leftover temp file


def test_failing_or_hung_espeak_ng_is_speech_unavailable(tmp_path, monkeypatch):
    cache = tmp_path / "speech"
    monkeypatch.setattr(speech, "ESPEAK", "false")
    with pytest.raises(SpeechUnavailable):
        audio_for(SENTENCE, cache)

    hung = tmp_path / "hung-espeak"
    hung.write_text("#!/bin/sh\nexec sleep 30\n")
    hung.chmod(0o755)
    monkeypatch.setattr(speech, "ESPEAK", str(hung))
    monkeypatch.setattr(speech, "TIMEOUT", 0.3)
    started = time.monotonic()
    with pytest.raises(SpeechUnavailable):
        audio_for(SENTENCE, cache)
    assert time.monotonic() - started < 5
    assert cached_files(cache) == []


def test_files_unused_for_a_month_are_pruned(tmp_path):
    old, recent = tmp_path / ("0" * 64 + ".wav"), tmp_path / ("1" * 64 + ".wav")
    for path in (old, recent):
        path.write_bytes(b"RIFF")
    month_ago = time.time() - 31 * 86400
    os.utime(old, (month_ago, month_ago))
    audio_for(SENTENCE, tmp_path)
    assert not old.exists() and recent.exists()
