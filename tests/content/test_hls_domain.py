"""HLS folders (`domain.content.hls`): which declared files make a folder, what its playlists
name and which playlists are refused, the rewrite that turns every URI into a link and leaves
every other byte alone, and the leading bytes each folder file type must start with."""

from __future__ import annotations

import pytest

from domain.content.hls import (
    HEAD_BYTES,
    MAX_FOLDER_BYTES,
    MAX_FOLDER_FILES,
    MAX_PLAYLIST_BYTES,
    MAX_SEGMENT_BYTES,
    PLAYLIST_NAME,
    PLAYLIST_TYPE,
    FolderFile,
    check_file_head,
    folder_files,
    parse_playlist,
    rewrite_playlist,
)
from domain.content.media import MediaRejected

MASTER = (
    b"#EXTM3U\n"
    b"#EXT-X-VERSION:6\n"
    b'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English",DEFAULT=YES,URI="audio/index.m3u8"\n'
    b'#EXT-X-STREAM-INF:BANDWIDTH=2800000,RESOLUTION=1280x720,CODECS="avc1.4d401f,mp4a.40.2"'
    b',AUDIO="aud"\n'
    b"720p/index.m3u8\n"
    b'#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=1920x400,CODECS="avc1.4d401e,mp4a.40.2"'
    b',AUDIO="aud"\n'
    b"wide/index.m3u8\n"
    b'#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=86000,RESOLUTION=640x360,URI="720p/iframes.m3u8"\n'
)
FMP4_MEDIA = (
    b"#EXTM3U\n"
    b"#EXT-X-VERSION:7\n"
    b"#EXT-X-TARGETDURATION:7\n"
    b"#EXT-X-PLAYLIST-TYPE:VOD\n"
    b'#EXT-X-MAP:URI="init.mp4"\n'
    b"#EXTINF:6.006,\n"
    b"seg-001.m4s\n"
    b"#EXTINF:6.006,\n"
    b"seg-002.m4s\n"
    b"#EXT-X-DISCONTINUITY\n"
    b'#EXT-X-MAP:URI="init.mp4"\n'
    b'#EXTINF:3.5,a title, with a comma and URI="elsewhere.ts"\n'
    b"seg-001.m4s\n"
    b"#EXTINF:2\n"
    b"seg-003.m4s\n"
    b"#EXT-X-ENDLIST\n"
)


def test_a_master_playlist_names_its_variants_renditions_and_i_frames() -> None:
    playlist = parse_playlist(PLAYLIST_NAME, MASTER)

    assert playlist.references == (
        "audio/index.m3u8",
        "720p/index.m3u8",
        "wide/index.m3u8",
        "720p/iframes.m3u8",
    )
    assert playlist.is_master
    assert playlist.duration_seconds == 0
    # 1280x720 has more pixels than the wider 1920x400
    assert (playlist.width, playlist.height) == (1280, 720)


def test_an_i_frame_stream_alone_makes_a_master_playlist() -> None:
    text = b'#EXTM3U\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI="iframes.m3u8"\n'

    playlist = parse_playlist(PLAYLIST_NAME, text)

    assert playlist.is_master
    assert playlist.references == ("iframes.m3u8",)
    assert (playlist.width, playlist.height) == (None, None)


def test_a_media_playlist_sums_its_segments_and_names_each_file_once() -> None:
    playlist = parse_playlist(PLAYLIST_NAME, FMP4_MEDIA)

    assert playlist.duration_seconds == pytest.approx(17.512)
    assert playlist.references == ("init.mp4", "seg-001.m4s", "seg-002.m4s", "seg-003.m4s")
    assert not playlist.is_master
    assert (playlist.width, playlist.height) == (None, None)


def test_uris_resolve_against_the_playlists_own_folder() -> None:
    text = (
        b"#EXTM3U\n"
        b'#EXT-X-MAP:URI="init.mp4"\n'
        b"#EXTINF:4,\n"
        b"seg.ts\n"
        b"#EXTINF:4,\n"
        b"./seg-2.ts\n"
        b"#EXTINF:4,\n"
        b"../720p/seg-3.ts\n"
        b"#EXTINF:4,\n"
        b"../audio/a.aac\n"
    )

    playlist = parse_playlist("720p/index.m3u8", text)

    assert playlist.references == (
        "720p/init.mp4",
        "720p/seg.ts",
        "720p/seg-2.ts",
        "720p/seg-3.ts",
        "audio/a.aac",
    )


def test_blank_lines_comments_unencrypted_keys_and_crlf_are_accepted() -> None:
    text = (
        b"#EXTM3U\r\n"
        b"# made by hand\r\n"
        b"\r\n"
        b"#EXT-X-KEY:METHOD=NONE\r\n"
        b"#EXTINF:.5,\r\n"
        b"  seg.ts  \r\n"
        b"#EXTINF:10.,\r\n"
        b"seg.ts"
    )

    playlist = parse_playlist(PLAYLIST_NAME, text)

    assert playlist.references == ("seg.ts",)
    assert playlist.duration_seconds == pytest.approx(10.5)


def _media(line: bytes) -> bytes:
    """A media playlist whose line 3 is the given one."""
    return b"#EXTM3U\n#EXT-X-TARGETDURATION:4\n" + line + b"\n#EXTINF:4,\nseg.ts\n"


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        (PLAYLIST_NAME, b"#EXTM3U\n#EXTINF:4,caf\xe9\nseg.ts\n", "line 2: a playlist is UTF-8"),
        (PLAYLIST_NAME, b"", "line 1: a playlist starts with #EXTM3U"),
        (PLAYLIST_NAME, b"#EXT-X-VERSION:3\n#EXTM3U\n", "line 1: a playlist starts with #EXTM3U"),
        (PLAYLIST_NAME, b"\xef\xbb\xbf#EXTM3U\n", "line 1: a playlist starts with #EXTM3U"),
        (PLAYLIST_NAME, _media(b"https://cdn.example/seg.ts"), "line 3: https://cdn.example"),
        (PLAYLIST_NAME, _media(b"data:video/mp2t;base64,R0c="), "is an absolute URI"),
        (PLAYLIST_NAME, _media(b"/seg.ts"), "line 3: /seg.ts is an absolute URI"),
        (PLAYLIST_NAME, _media(b"//cdn.example/seg.ts"), "line 3: //cdn.example/seg.ts is an abs"),
        (PLAYLIST_NAME, _media(b'#EXT-X-MAP:URI="http://x/init.mp4"'), "line 3: http://x/init"),
        (PLAYLIST_NAME, _media(b"seg.ts?token=1"), "line 3: seg.ts?token=1 has a '?', '#' or '%'"),
        (PLAYLIST_NAME, _media(b"seg.ts#t=1"), "line 3: seg.ts#t=1 has a '?', '#' or '%'"),
        (PLAYLIST_NAME, _media(b"seg%2Ets"), "line 3: seg%2Ets has a '?', '#' or '%'"),
        (PLAYLIST_NAME, _media(b'#EXT-X-MAP:URI="init.mp4?v=2"'), "line 3: init.mp4?v=2 has a"),
        (PLAYLIST_NAME, _media(b"../seg.ts"), "line 3: ../seg.ts is outside the folder"),
        (PLAYLIST_NAME, _media(b"a/../../seg.ts"), "line 3: a/../../seg.ts is outside"),
        ("720p/index.m3u8", _media(b"../../seg.ts"), "line 3: ../../seg.ts is outside"),
        (PLAYLIST_NAME, _media(b'#EXT-X-MAP:URI="../init.mp4"'), "line 3: ../init.mp4 is outside"),
        (PLAYLIST_NAME, _media(b".."), "line 3: .. is outside the folder"),
        (PLAYLIST_NAME, _media(b"Seg.ts"), "line 3: Seg.ts names Seg.ts, which is not a lower"),
        (PLAYLIST_NAME, _media(b"a/b/seg.ts"), "line 3: a/b/seg.ts names a/b/seg.ts, which is"),
        ("720p/index.m3u8", _media(b"b/seg.ts"), "names 720p/b/seg.ts, which is not a lower"),
        (PLAYLIST_NAME, _media(b"seg 1.ts"), "line 3: seg 1.ts names seg 1.ts, which is not"),
        (PLAYLIST_NAME, _media(b"_seg.ts"), "which is not a lower-case relative path"),
        (PLAYLIST_NAME, _media(b"s" * 198 + b".ts"), "which is not a lower-case relative path"),
        (PLAYLIST_NAME, _media(b"."), "line 3: . names ., which is not a lower-case"),
        (PLAYLIST_NAME, _media(b'#EXT-X-MAP:URI=""'), "line 3: a URI is empty"),
        (PLAYLIST_NAME, _media(b"#EXTINF:-1,"), "line 3: the #EXTINF duration -1 is not a non-neg"),
        (PLAYLIST_NAME, _media(b"#EXTINF:abc,"), "the #EXTINF duration abc is not"),
        (PLAYLIST_NAME, _media(b"#EXTINF:,"), "line 3: the #EXTINF duration  is not"),
        (PLAYLIST_NAME, _media(b"#EXTINF:1e3,"), "the #EXTINF duration 1e3 is not"),
        (PLAYLIST_NAME, _media(b"#EXTINF:nan,"), "the #EXTINF duration nan is not"),
        (PLAYLIST_NAME, _media(b"#EXTINF:" + b"9" * 400 + b","), "is not a non-negative number"),
        (
            PLAYLIST_NAME,
            _media(b'#EXT-X-KEY:METHOD=AES-128,URI="key.bin"'),
            "line 3: #EXT-X-KEY METHOD is AES-128; encrypted HLS is not supported",
        ),
        (
            PLAYLIST_NAME,
            _media(b'#EXT-X-KEY:METHOD=SAMPLE-AES,URI="key.bin",KEYFORMAT="identity"'),
            "#EXT-X-KEY METHOD is SAMPLE-AES; encrypted HLS is not supported",
        ),
        (
            PLAYLIST_NAME,
            _media(b'#EXT-X-KEY:URI="key.bin"'),
            "#EXT-X-KEY METHOD is missing; encrypted HLS is not supported",
        ),
        (
            PLAYLIST_NAME,
            b'#EXTM3U\n#EXT-X-SESSION-KEY:METHOD=AES-128,URI="key.bin"\n'
            b"#EXT-X-STREAM-INF:BANDWIDTH=1\n720p/index.m3u8\n",
            "line 2: #EXT-X-SESSION-KEY METHOD is AES-128; encrypted HLS is not supported",
        ),
        (
            PLAYLIST_NAME,
            b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n720p/index.m3u8\n#EXTINF:4,\nseg.ts\n",
            "line 4: a playlist is either a master playlist (a variant stream on line 2) or a "
            "media playlist (#EXTINF on line 4)",
        ),
        (
            PLAYLIST_NAME,
            b"#EXTM3U\n#EXTINF:4,\nseg.ts\n#EXT-X-STREAM-INF:BANDWIDTH=1\n720p/index.m3u8\n",
            "line 4: a playlist is either a master playlist",
        ),
        (
            PLAYLIST_NAME,
            _media(b'#EXT-X-MAP:URI="init.mp4"junk'),
            "line 3: the attribute list of #EXT-X-MAP cannot be read",
        ),
        (
            PLAYLIST_NAME,
            _media(b'#EXT-X-FUTURE-TAG:what is this? URI="http://x/a.ts"'),
            "line 3: the attribute list of #EXT-X-FUTURE-TAG cannot be read",
        ),
        (
            PLAYLIST_NAME,
            _media(b"#EXT-X-MAP:URI=init.mp4"),
            'line 3: a URI attribute is a quoted string (URI="...")',
        ),
        (
            PLAYLIST_NAME,
            b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=wide\n720p/index.m3u8\n",
            "line 2: RESOLUTION=wide is not WIDTHxHEIGHT",
        ),
    ],
)
def test_a_playlist_that_is_not_plain_self_contained_hls_is_rejected(
    path: str, text: bytes, expected: str
) -> None:
    with pytest.raises(MediaRejected) as rejected:
        parse_playlist(path, text)

    assert str(rejected.value).startswith(f"{path} line ")
    assert expected in str(rejected.value)


def test_a_uri_attribute_of_any_tag_is_checked() -> None:
    text = _media(b'#EXT-X-FUTURE-TAG:NAME="x",URI="https://tracker.example/x"')

    with pytest.raises(MediaRejected) as rejected:
        parse_playlist(PLAYLIST_NAME, text)

    assert "line 3: https://tracker.example/x is an absolute URI" in str(rejected.value)


def _link(path: str) -> str:
    return f"https://cdn.example/hls/42/{path}?Expires=1&Signature=a,b"


def test_rewrite_replaces_every_uri_and_keeps_every_other_byte() -> None:
    text = (
        b"#EXTM3U\r\n"
        b"# a comment naming seg.ts stays as it is\r\n"
        b'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Fran\xc3\xa7ais, Canada",'
        b'CHARACTERISTICS="public.accessibility.describes-music-and-sound,x",'
        b'URI="subs/fr.m3u8",LANGUAGE="fr"\r\n'
        b"\r\n"
        b'#EXT-X-STREAM-INF:BANDWIDTH=2800000,CODECS="avc1.4d401f,mp4a.40.2",'
        b'SUBTITLES="subs"\n'
        b"720p/index.m3u8\n"
        b'#EXT-X-I-FRAME-STREAM-INF:CODECS="avc1.4d401f,mp4a.40.2",URI="720p/iframes.m3u8",'
        b"BANDWIDTH=86000\r\n"
        b"\n"
        b"  \t\n"
        b"#EXT-X-STREAM-INF:BANDWIDTH=900000\r\n"
        b"360p/index.m3u8 "
    )

    rewritten = rewrite_playlist(PLAYLIST_NAME, text, _link)

    assert rewritten == (
        b"#EXTM3U\r\n"
        b"# a comment naming seg.ts stays as it is\r\n"
        b'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Fran\xc3\xa7ais, Canada",'
        b'CHARACTERISTICS="public.accessibility.describes-music-and-sound,x",'
        b'URI="https://cdn.example/hls/42/subs/fr.m3u8?Expires=1&Signature=a,b",LANGUAGE="fr"\r\n'
        b"\r\n"
        b'#EXT-X-STREAM-INF:BANDWIDTH=2800000,CODECS="avc1.4d401f,mp4a.40.2",'
        b'SUBTITLES="subs"\n'
        b"https://cdn.example/hls/42/720p/index.m3u8?Expires=1&Signature=a,b\n"
        b'#EXT-X-I-FRAME-STREAM-INF:CODECS="avc1.4d401f,mp4a.40.2",'
        b'URI="https://cdn.example/hls/42/720p/iframes.m3u8?Expires=1&Signature=a,b",'
        b"BANDWIDTH=86000\r\n"
        b"\n"
        b"  \t\n"
        b"#EXT-X-STREAM-INF:BANDWIDTH=900000\r\n"
        b"https://cdn.example/hls/42/360p/index.m3u8?Expires=1&Signature=a,b "
    )


def test_rewrite_links_the_resolved_folder_paths_of_a_subfolder_playlist() -> None:
    text = (
        b'#EXTM3U\r\n#EXT-X-MAP:URI="init.mp4",BYTERANGE="800@0"\r\n'
        b"#EXTINF:4,\r\nseg.ts\r\n#EXTINF:4,\r\n../audio/a.aac\r\n#EXT-X-ENDLIST\r\n"
    )

    rewritten = rewrite_playlist("720p/index.m3u8", text, lambda path: f"/l/{path.upper()}")

    assert rewritten == (
        b'#EXTM3U\r\n#EXT-X-MAP:URI="/l/720P/INIT.MP4",BYTERANGE="800@0"\r\n'
        b"#EXTINF:4,\r\n/l/720P/SEG.TS\r\n#EXTINF:4,\r\n/l/AUDIO/A.AAC\r\n#EXT-X-ENDLIST\r\n"
    )


def test_rewrite_links_every_uri_attribute_of_a_tag_that_repeats_it() -> None:
    text = b'#EXTM3U\n#EXT-X-MAP:URI="init.mp4",BYTERANGE="8@0",URI="seg.m4s"\n'

    rewritten = rewrite_playlist(PLAYLIST_NAME, text, lambda path: f"https://l/{path}")

    assert parse_playlist(PLAYLIST_NAME, text).references == ("init.mp4", "seg.m4s")
    assert rewritten == (
        b'#EXTM3U\n#EXT-X-MAP:URI="https://l/init.mp4",BYTERANGE="8@0",URI="https://l/seg.m4s"\n'
    )


@pytest.mark.parametrize("text", [MASTER, FMP4_MEDIA])
def test_rewriting_each_uri_to_its_own_path_changes_nothing(text: bytes) -> None:
    assert rewrite_playlist(PLAYLIST_NAME, text, lambda path: path) == text


def test_rewrite_refuses_a_playlist_parse_would_reject() -> None:
    with pytest.raises(MediaRejected, match="is outside the folder"):
        rewrite_playlist(PLAYLIST_NAME, _media(b"../seg.ts"), _link)


def test_rewrite_refuses_a_link_that_would_break_the_playlist() -> None:
    with pytest.raises(ValueError, match="cannot be written into a playlist"):
        rewrite_playlist(PLAYLIST_NAME, FMP4_MEDIA, lambda path: f'{path}"\n#EXT-X-ENDLIST')


GOOD_FOLDER = [
    ("index.m3u8", 420),
    ("720p/index.m3u8", 900),
    ("720p/init.mp4", 1200),
    ("720p/seg-001.m4s", 2_000_000),
    ("360p/seg_1.ts", 500_000),
    ("subs/en.vtt", 3000),
    ("audio/a.aac", 90_000),
]


def test_a_good_folder_becomes_its_files_in_the_declared_order() -> None:
    assert folder_files(GOOD_FOLDER) == [
        FolderFile("index.m3u8", PLAYLIST_TYPE, 420),
        FolderFile("720p/index.m3u8", PLAYLIST_TYPE, 900),
        FolderFile("720p/init.mp4", "video/mp4", 1200),
        FolderFile("720p/seg-001.m4s", "video/iso.segment", 2_000_000),
        FolderFile("360p/seg_1.ts", "video/mp2t", 500_000),
        FolderFile("subs/en.vtt", "text/vtt", 3000),
        FolderFile("audio/a.aac", "audio/aac", 90_000),
    ]


def test_a_folder_at_every_limit_is_accepted() -> None:
    many = [(PLAYLIST_NAME, MAX_PLAYLIST_BYTES)]
    many += [(f"s/{n}.ts", 1) for n in range(MAX_FOLDER_FILES - 1)]
    full = [(PLAYLIST_NAME, 1), *[(f"{n}.ts", MAX_SEGMENT_BYTES) for n in range(31)]]
    full.append(("last.ts", MAX_FOLDER_BYTES - 1 - 31 * MAX_SEGMENT_BYTES))
    longest = [(PLAYLIST_NAME, 1), ("a" * 100 + "/" + "b" * 96 + ".ts", 1)]

    assert len(_files(folder_files(many))) == MAX_FOLDER_FILES
    assert sum(file.bytes for file in _files(folder_files(full))) == MAX_FOLDER_BYTES
    assert _files(folder_files(longest))[1].content_type == "video/mp2t"


def _files(result: list[FolderFile] | str) -> list[FolderFile]:
    assert isinstance(result, list), result
    return result


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ([], "files: an HLS folder has 1 to 5000 files, not 0"),
        (
            [(PLAYLIST_NAME, 1)] + [(f"{n}.ts", 1) for n in range(MAX_FOLDER_FILES)],
            "files: an HLS folder has 1 to 5000 files, not 5001",
        ),
        ([*GOOD_FOLDER, ("720p/a.TS", 1)], "files: 720p/a.TS is not a lower-case relative path"),
        ([*GOOD_FOLDER, ("a/b/c.ts", 1)], "files: a/b/c.ts is not a lower-case relative path"),
        ([*GOOD_FOLDER, ("/x.ts", 1)], "files: /x.ts is not a lower-case relative path"),
        ([*GOOD_FOLDER, ("../x.ts", 1)], "files: ../x.ts is not a lower-case relative path"),
        ([*GOOD_FOLDER, ("./x.ts", 1)], "files: ./x.ts is not a lower-case relative path"),
        ([*GOOD_FOLDER, (".x.ts", 1)], "files: .x.ts is not a lower-case relative path"),
        ([*GOOD_FOLDER, ("720p/", 1)], "files: 720p/ is not a lower-case relative path"),
        ([*GOOD_FOLDER, ("a\\b.ts", 1)], "files: a\\b.ts is not a lower-case relative path"),
        ([*GOOD_FOLDER, ("a" * 198 + ".ts", 1)], "files: " + "a" * 198 + ".ts is not a lower"),
        ([*GOOD_FOLDER, ("notes.txt", 1)], "files: notes.txt does not end in an HLS file ext"),
        ([*GOOD_FOLDER, ("720p", 1)], "files: 720p does not end in an HLS file extension"),
        ([*GOOD_FOLDER, ("subs/en.vtt", 5)], "files: subs/en.vtt is declared more than once"),
        ([*GOOD_FOLDER, ("seg.ts", 0)], "files: seg.ts has 0 bytes; a segment is 1 to"),
        ([*GOOD_FOLDER, ("seg.ts", -1)], "files: seg.ts has -1 bytes"),
        (
            [*GOOD_FOLDER, ("seg.ts", MAX_SEGMENT_BYTES + 1)],
            f"files: seg.ts has {MAX_SEGMENT_BYTES + 1} bytes; a segment is 1 to "
            f"{MAX_SEGMENT_BYTES} bytes",
        ),
        (
            [(PLAYLIST_NAME, MAX_PLAYLIST_BYTES + 1)],
            f"files: index.m3u8 has {MAX_PLAYLIST_BYTES + 1} bytes; a playlist is 1 to "
            f"{MAX_PLAYLIST_BYTES} bytes",
        ),
        ([(PLAYLIST_NAME, 0)], "files: index.m3u8 has 0 bytes; a playlist is 1 to"),
        (
            [(PLAYLIST_NAME, 1), *[(f"{n}.ts", MAX_SEGMENT_BYTES) for n in range(32)]],
            f"files: the folder's files add up to {MAX_FOLDER_BYTES + 1} bytes, more than "
            f"{MAX_FOLDER_BYTES}",
        ),
        ([("720p/index.m3u8", 10), ("720p/a.ts", 10)], "files: an HLS folder has index.m3u8"),
        ([("index.m3u8.ts", 10)], "files: an HLS folder has index.m3u8 at its root"),
    ],
)
def test_a_declaration_that_cannot_be_an_hls_folder_says_why(
    declared: list[tuple[str, int]], expected: str
) -> None:
    problem = folder_files(declared)

    assert isinstance(problem, str)
    assert problem.startswith(expected)


@pytest.mark.parametrize(
    ("content_type", "head"),
    [
        (PLAYLIST_TYPE, b"#EXTM3U\n#EXT-X-V"),
        ("video/mp2t", b"\x47\x40\x00\x10\x00\x00\xb0\x0d\x00\x01\xc1\x00\x00\x00\x01\xf0"),
        ("video/iso.segment", b"\x00\x00\x00\x18stypmsdh\x00\x00\x00\x00"),
        ("video/iso.segment", b"\x00\x00\x01\x00moof\x00\x00\x00\x10mfhd"),
        ("video/iso.segment", b"\x00\x00\x00\x2csidx\x00\x00\x00\x00\x00\x00"),
        ("video/iso.segment", b"\x00\x00\x00\x20prft\x00\x00\x00\x00\x00\x00"),
        ("video/iso.segment", b"\x00\x00\x00\x40emsg\x00\x00\x00\x00\x00\x00"),
        ("video/mp4", b"\x00\x00\x00\x1cftypiso6\x00\x00\x00\x00"),
        ("text/vtt", b"WEBVTT\n\n00:00.00"),
        ("text/vtt", b"\xef\xbb\xbfWEBVTT - Fr"),
        ("audio/aac", b"\xff\xf1\x50\x80\x02\x1f\xfc\x21\x00\x49\x90\x02\x19\x00\x23\x80"),
        ("audio/aac", b"\xff\xf9\x50\x80\x02\x1f\xfc\x21\x00\x49\x90\x02\x19\x00\x23\x80"),
        ("audio/aac", b"ID3\x04\x00\x00\x00\x00\x00\x3fPRIV\x00\x00"),
    ],
)
def test_a_file_that_starts_like_its_type_is_accepted(content_type: str, head: bytes) -> None:
    assert len(head) <= HEAD_BYTES
    check_file_head(content_type, head)


@pytest.mark.parametrize(
    ("content_type", "head"),
    [
        (PLAYLIST_TYPE, b"\xef\xbb\xbf#EXTM3U\n"),
        (PLAYLIST_TYPE, b"#EXT-X-VERSION:3\n"),
        ("video/mp2t", b"\x46\x40\x00\x10"),
        ("video/mp2t", b""),
        ("video/iso.segment", b"\x00\x00\x00\x1cftypiso6\x00\x00\x00\x00"),
        ("video/iso.segment", b"\x00\x00\x00\x18mdat\x00\x00\x00\x00"),
        ("video/mp4", b"\x00\x00\x00\x18moof\x00\x00\x00\x10mfhd"),
        ("video/mp4", b"ftyp"),
        ("text/vtt", b"WEBVT"),
        ("text/vtt", b"\xfe\xffWEBVTT\n"),
        ("text/vtt", b"1\n00:00.000 --> 0"),
        ("audio/aac", b"\xff\xfb\x90\x64"),  # an MP3 frame: layer bits set
        ("audio/aac", b"\xff\xe1\x50\x80"),  # not the full 12-bit sync
        ("audio/aac", b"\xff"),
        ("audio/aac", b"ID"),
        ("video/webm", b"\x1a\x45\xdf\xa3\x00\x00\x00\x00"),
    ],
)
def test_a_file_that_does_not_start_like_its_type_is_rejected(
    content_type: str, head: bytes
) -> None:
    with pytest.raises(MediaRejected) as rejected:
        check_file_head(content_type, head)

    assert str(rejected.value) == f"the file's contents are not {content_type}"
