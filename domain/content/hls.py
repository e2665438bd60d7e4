"""HLS folders as a video lesson's asset: which files a folder may declare, what its playlists
name (checked to stay inside the folder, RFC 8216 syntax), each playlist rewritten so every URI
it names becomes a link, and how each file's leading bytes must look. Pure: bytes in, bytes out.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from domain.content.media import MediaRejected

PLAYLIST_NAME: Final = "index.m3u8"
PLAYLIST_TYPE: Final = "application/vnd.apple.mpegurl"
FOLDER_TYPES: Final[dict[str, str]] = {
    ".m3u8": PLAYLIST_TYPE,
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".vtt": "text/vtt",
    ".aac": "audio/aac",
}
MAX_FOLDER_FILES: Final = 5000
MAX_FOLDER_BYTES: Final = 8 << 30
MAX_PLAYLIST_BYTES: Final = 1 << 20
MAX_SEGMENT_BYTES: Final = 256 << 20  # any non-playlist file
HEAD_BYTES: Final = 16  # how many leading bytes check_file_head needs

MAX_PATH_CHARS: Final = 200
_FOLDER_PATH: Final = re.compile(r"[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)?")
_PATH_RULE: Final = (
    "a lower-case relative path (a-z, 0-9, '.', '_', '-'; at most one folder level; "
    f"at most {MAX_PATH_CHARS} characters)"
)
_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_UNSUPPORTED_URI_CHARS: Final = "?#%"
# RFC 8216 §4.2 attribute lists; the whitespace around pairs is tolerated because encoders emit it.
_ATTRIBUTE: Final = re.compile(r'\s*([A-Z0-9-]+)=("[^"]*"|[^",]*)\s*')
_DURATION: Final = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")
_RESOLUTION: Final = re.compile(r"([1-9][0-9]{0,5})x([1-9][0-9]{0,5})")
_VARIANT_TAGS: Final = frozenset({"EXT-X-STREAM-INF", "EXT-X-I-FRAME-STREAM-INF"})
_KEY_TAGS: Final = frozenset({"EXT-X-KEY", "EXT-X-SESSION-KEY"})
_URI_TAGS: Final = frozenset(
    {
        "EXT-X-MAP",
        "EXT-X-MEDIA",
        "EXT-X-I-FRAME-STREAM-INF",
        "EXT-X-KEY",
        "EXT-X-SESSION-KEY",
        "EXT-X-SESSION-DATA",
        "EXT-X-PART",
        "EXT-X-PRELOAD-HINT",
        "EXT-X-RENDITION-REPORT",
    }
)
_FRAGMENT_BOXES: Final = frozenset({b"styp", b"moof", b"sidx", b"prft", b"emsg"})
_UTF8_BOM: Final = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class FolderFile:
    path: str  # relative to the folder, e.g. "720p/seg-001.ts"
    content_type: str  # from the extension
    bytes: int


@dataclass(frozen=True, slots=True)
class Playlist:
    references: tuple[str, ...]  # folder paths of the URIs it names, first appearance order
    duration_seconds: float  # sum of #EXTINF durations (0 for a master playlist)
    is_master: bool  # has #EXT-X-STREAM-INF (or #EXT-X-I-FRAME-STREAM-INF)
    width: int | None  # the largest RESOLUTION among its variant streams (by pixel count)
    height: int | None


def _is_folder_path(path: str) -> bool:
    return len(path) <= MAX_PATH_CHARS and _FOLDER_PATH.fullmatch(path) is not None


def folder_files(declared: Sequence[tuple[str, int]]) -> list[FolderFile] | str:
    """The declared files as FolderFiles (in the declared order), or why they cannot be an HLS
    folder, as a message starting with "files: "."""
    if not 1 <= len(declared) <= MAX_FOLDER_FILES:
        return f"files: an HLS folder has 1 to {MAX_FOLDER_FILES} files, not {len(declared)}"
    files: list[FolderFile] = []
    seen: set[str] = set()
    for path, size in declared:
        problem = _declared_file_problem(path, size, seen)
        if problem is not None:
            return f"files: {problem}"
        seen.add(path)
        files.append(FolderFile(path, FOLDER_TYPES[posixpath.splitext(path)[1]], size))
    total = sum(file.bytes for file in files)
    if total > MAX_FOLDER_BYTES:
        return f"files: the folder's files add up to {total} bytes, more than {MAX_FOLDER_BYTES}"
    if PLAYLIST_NAME not in seen:
        return f"files: an HLS folder has {PLAYLIST_NAME} at its root"
    return files


def _declared_file_problem(path: str, size: int, seen: set[str]) -> str | None:
    if not _is_folder_path(path):
        return f"{path} is not {_PATH_RULE}"
    extension = posixpath.splitext(path)[1]
    if extension not in FOLDER_TYPES:
        known = ", ".join(FOLDER_TYPES)
        return f"{path} does not end in an HLS file extension ({known})"
    if path in seen:
        return f"{path} is declared more than once"
    limit = MAX_PLAYLIST_BYTES if extension == ".m3u8" else MAX_SEGMENT_BYTES
    if not 1 <= size <= limit:
        kind = "a playlist" if extension == ".m3u8" else "a segment"
        return f"{path} has {size} bytes; {kind} is 1 to {limit} bytes"
    return None


@dataclass(frozen=True, slots=True)
class _Uri:
    line: int  # index into _Scan.lines
    start: int  # where the URI's text is in that line
    end: int
    path: str  # resolved to a folder path


@dataclass(frozen=True, slots=True)
class _Attribute:
    name: str
    value: str  # without its quotes
    quoted: bool
    start: int  # where the value (inside any quotes) is in its line
    end: int


@dataclass(slots=True)
class _Scan:
    lines: list[str]  # decoded, each with its own line ending
    uris: list[_Uri]
    duration_seconds: float = 0.0
    first_segment_line: int | None = None
    first_variant_line: int | None = None
    largest: tuple[int, int] | None = None


def parse_playlist(path: str, text: bytes) -> Playlist:
    """What the playlist at this folder path names and how long it plays. Raises MediaRejected
    (saying what is wrong and on which line) for a playlist that is not self-contained plain
    RFC 8216: see _scan."""
    scan = _scan(path, text)
    width, height = scan.largest or (None, None)
    return Playlist(
        references=tuple(dict.fromkeys(uri.path for uri in scan.uris)),
        duration_seconds=scan.duration_seconds,
        is_master=scan.first_variant_line is not None,
        width=width,
        height=height,
    )


def rewrite_playlist(path: str, text: bytes, link_of: Callable[[str], str]) -> bytes:
    """The playlist with every URI replaced by link_of(its folder path); everything else is left
    byte-identical. Raises MediaRejected as parse_playlist does."""
    scan = _scan(path, text)
    lines = list(scan.lines)
    for uri in reversed(scan.uris):  # right to left, so earlier offsets on a line stay valid
        link = link_of(uri.path)
        if any(char in link for char in '"\r\n'):
            raise ValueError(f"a link cannot be written into a playlist: {link!r}")
        line = lines[uri.line]
        lines[uri.line] = line[: uri.start] + link + line[uri.end :]
    return "".join(lines).encode()


def _scan(path: str, text: bytes) -> _Scan:
    """Reads the playlist line by line, rejecting: text that is not UTF-8; a first line that is
    not #EXTM3U; a URI that is absolute, carries '?', '#' or '%', or resolves outside the folder
    or to a path no folder file can have; an #EXTINF duration that is not a non-negative number;
    a key whose METHOD is not NONE; a master playlist with #EXTINF segments; an unreadable
    attribute list on a tag that may carry a URI, a URI attribute that is not quoted, and a
    RESOLUTION that is not WxH."""
    scan = _Scan(lines=_split_lines(path, text), uris=[])
    if not scan.lines or _content(scan.lines[0]).strip() != "#EXTM3U":
        raise MediaRejected(f"{path} line 1: a playlist starts with #EXTM3U")
    for index, line in enumerate(scan.lines):
        content = _content(line)
        if not content.strip():
            continue
        if not content.startswith("#"):
            start = len(content) - len(content.lstrip())
            end = len(content.rstrip())
            _add_uri(scan, path, index, start, end)
        elif content.startswith("#EXT"):
            _scan_tag(scan, path, index, content)
    segment, variant = scan.first_segment_line, scan.first_variant_line
    if segment is not None and variant is not None:
        raise MediaRejected(
            f"{path} line {max(segment, variant)}: a playlist is either a master playlist "
            f"(a variant stream on line {variant}) or a media playlist (#EXTINF on line {segment})"
        )
    return scan


def _split_lines(path: str, text: bytes) -> list[str]:
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as error:
        line = text.count(b"\n", 0, error.start) + 1
        raise MediaRejected(f"{path} line {line}: a playlist is UTF-8 text") from error
    pieces = decoded.split("\n")  # not splitlines: only \n (or \r\n) ends an HLS line
    lines = [piece + "\n" for piece in pieces[:-1]]
    return [*lines, pieces[-1]] if pieces[-1] else lines


def _content(line: str) -> str:
    return line.rstrip("\r\n")


def _scan_tag(scan: _Scan, path: str, index: int, content: str) -> None:
    where = f"{path} line {index + 1}"
    name, has_value, value = content[1:].partition(":")
    if name == "EXTINF":
        scan.duration_seconds += _duration(where, value)
        if scan.first_segment_line is None:
            scan.first_segment_line = index + 1
        return
    if name in _VARIANT_TAGS and scan.first_variant_line is None:
        scan.first_variant_line = index + 1
    attributes = _attributes(content, len(name) + 2) if has_value else []
    if attributes is None:
        # a URI a player would find but this reader could not would escape the checks
        if name in _URI_TAGS or "URI=" in value:
            raise MediaRejected(f"{where}: the attribute list of #{name} cannot be read")
        return
    for attribute in attributes:
        if attribute.name == "URI":
            if not attribute.quoted:
                raise MediaRejected(f'{where}: a URI attribute is a quoted string (URI="...")')
            _add_uri(scan, path, index, attribute.start, attribute.end)
    if name in _KEY_TAGS:
        _check_unencrypted(where, name, attributes)
    if name in _VARIANT_TAGS:
        _note_resolution(scan, where, attributes)


def _attributes(line: str, start: int) -> list[_Attribute] | None:
    """The attribute list from line[start:], or None when it is not one."""
    found: list[_Attribute] = []
    position = start
    while position < len(line):
        match = _ATTRIBUTE.match(line, position)
        if match is None:
            return None
        value_start, value_end = match.span(2)
        quoted = match.group(2).startswith('"')
        if quoted:
            value_start, value_end = value_start + 1, value_end - 1
        value = line[value_start:value_end]
        found.append(_Attribute(match.group(1), value, quoted, value_start, value_end))
        position = match.end()
        if position < len(line) and line[position] != ",":
            return None
        position += 1
    return found


def _add_uri(scan: _Scan, path: str, index: int, start: int, end: int) -> None:
    where = f"{path} line {index + 1}"
    uri = _content(scan.lines[index])[start:end]
    scan.uris.append(_Uri(index, start, end, _resolve(where, path, uri)))


def _resolve(where: str, playlist_path: str, uri: str) -> str:
    """The folder path a relative URI in the playlist at playlist_path names."""
    if not uri:
        raise MediaRejected(f"{where}: a URI is empty")
    if _SCHEME.match(uri) or uri.startswith("/"):
        raise MediaRejected(f"{where}: {uri} is an absolute URI; name the folder's files by path")
    if any(char in uri for char in _UNSUPPORTED_URI_CHARS):
        raise MediaRejected(f"{where}: {uri} has a '?', '#' or '%'; name folder files plainly")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(playlist_path), uri))
    if resolved == ".." or resolved.startswith("../"):
        raise MediaRejected(f"{where}: {uri} is outside the folder")
    if not _is_folder_path(resolved):
        raise MediaRejected(f"{where}: {uri} names {resolved}, which is not {_PATH_RULE}")
    return resolved


def _duration(where: str, value: str) -> float:
    text = value.partition(",")[0].strip()
    if _DURATION.fullmatch(text) is None or not math.isfinite(float(text)):
        raise MediaRejected(f"{where}: the #EXTINF duration {text} is not a non-negative number")
    return float(text)


def _check_unencrypted(where: str, name: str, attributes: list[_Attribute]) -> None:
    methods = [attribute.value for attribute in attributes if attribute.name == "METHOD"]
    if methods != ["NONE"]:
        method = methods[0] if methods else "missing"
        raise MediaRejected(
            f"{where}: #{name} METHOD is {method}; encrypted HLS is not supported (only NONE)"
        )


def _note_resolution(scan: _Scan, where: str, attributes: list[_Attribute]) -> None:
    for attribute in attributes:
        if attribute.name != "RESOLUTION":
            continue
        match = _RESOLUTION.fullmatch(attribute.value)
        if match is None:
            raise MediaRejected(f"{where}: RESOLUTION={attribute.value} is not WIDTHxHEIGHT")
        width, height = int(match.group(1)), int(match.group(2))
        if scan.largest is None or width * height > scan.largest[0] * scan.largest[1]:
            scan.largest = (width, height)


def check_file_head(content_type: str, head: bytes) -> None:
    """Raises MediaRejected unless the file's leading bytes (HEAD_BYTES of them) look like the
    folder file type it was declared as."""
    if not _starts_like(content_type, head):
        raise MediaRejected(f"the file's contents are not {content_type}")


def _starts_like(content_type: str, head: bytes) -> bool:
    match content_type:
        case "application/vnd.apple.mpegurl":
            return head.startswith(b"#EXTM3U")
        case "video/mp2t":
            return head[:1] == b"\x47"  # the MPEG-TS sync byte
        case "video/iso.segment":
            return head[4:8] in _FRAGMENT_BOXES
        case "video/mp4":
            return head[4:8] == b"ftyp"
        case "text/vtt":
            return head.removeprefix(_UTF8_BOM).startswith(b"WEBVTT")
        case "audio/aac":
            is_adts = len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0
            return is_adts or head.startswith(b"ID3")
    return False
