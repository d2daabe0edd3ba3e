"""The author's own files, as she would get them wrong: an SVG, an animated GIF, a photo path
that leads out of the post's folder, a brand logo that is not there."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from support import REPO, Result

Crier = Callable[..., Result]


def _post(folder: Path, image: str, alt: str = "A picture") -> Path:
    path = folder / "post.md"
    path.write_text(f"---\ntitle: Sleep\nimages:\n  - {{path: {image}, alt: \"{alt}\"}}\n---\n"
                    "A short post about sleep and mood.\n", encoding="utf-8")
    return path


def _png(path: Path) -> None:
    Image.new("RGB", (1600, 900), (40, 90, 160)).save(path, format="PNG")


def test_an_svg_is_named_as_such_with_how_to_convert_it(crier: Crier, cli_env: Path) -> None:
    (cli_env / "chart.svg").write_text(
        '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" '
        'height="10"><rect width="10" height="10"/></svg>\n', encoding="utf-8")
    post = _post(cli_env, "chart.svg")
    result = crier("queue", "add", str(post), "--now", "--platforms", "x")
    assert result.code == 1
    assert "is an SVG drawing" in result.err and "export it as PNG" in result.err
    assert "damaged" not in result.err
    assert json.loads(crier("queue", "list", "--json").out) == []


def test_an_animated_gif_is_sent_as_its_first_frame_and_the_author_is_told(
    crier: Crier, cli_env: Path,
) -> None:
    frames = [Image.new("RGB", (800, 450), colour) for colour in ((200, 0, 0), (0, 200, 0))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=200)
    (cli_env / "moving.gif").write_bytes(buffer.getvalue())
    post = _post(cli_env, "moving.gif")
    result = crier("queue", "add", str(post), "--now", "--platforms", "x,bluesky")
    assert result.code == 0, result.err
    notes = [line for line in result.out.splitlines() if "is animated" in line]
    assert notes == ["note: moving.gif is animated (2 frames); only its first frame is sent, "
                     "as a still picture"]


@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink"])
def test_a_photo_outside_the_posts_folder_is_refused(
    crier: Crier, cli_env: Path, tmp_path_factory: pytest.TempPathFactory, how: str,
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "private.png"
    _png(elsewhere)
    folder = cli_env / "posts"
    folder.mkdir()
    if how == "dotdot":
        written = "../../" + "/".join(elsewhere.parts[-2:])
        (folder / written).resolve()  # it does lead to the file
    elif how == "absolute":
        written = str(elsewhere)
    else:
        (folder / "innocent.png").symlink_to(elsewhere)
        written = "innocent.png"
    post = _post(folder, written)
    for argv in (("queue", "add", str(post), "--now", "--platforms", "x"),
                 ("preview", str(post), "--images", str(cli_env / "out"))):
        result = crier(*argv)
        assert result.code == 1, (how, argv)
        assert "outside the post's folder" in result.err
    assert json.loads(crier("queue", "list", "--json").out) == []


def test_a_photo_inside_the_posts_folder_is_fine(crier: Crier, cli_env: Path) -> None:
    (cli_env / "pictures").mkdir()
    _png(cli_env / "pictures" / "ok.png")
    result = crier("queue", "add", str(_post(cli_env, "pictures/ok.png")), "--now",
                   "--platforms", "x")
    assert result.code == 0, result.err


def _brand_with(folder: Path, extra: str) -> Path:
    text = (REPO / "brand.toml").read_text(encoding="utf-8")
    text = text.replace('[author]\nname = ', '[author]\nname = ', 1)
    path = folder / "brand.toml"
    path.write_text(text + "\n" + extra, encoding="utf-8")
    return path


def test_a_missing_logo_is_reported_with_the_other_brand_errors_at_her_path(
    crier: Crier, cli_env: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    mine = cli_env / "my-brand"
    mine.mkdir()
    brand = _brand_with(mine, '[logo]\npath = "my-logo.png"\n')
    broken = brand.read_text(encoding="utf-8").replace(
        'max_lateness_minutes = 120', 'max_lateness_minutes = "soon"')
    brand.write_text(broken, encoding="utf-8")
    monkeypatch.setenv("CRIER_BRAND", str(brand))
    post = REPO / "examples" / "glutamate.md"
    for argv in (("preview", str(post)), ("preview", str(post), "--platform", "x"),
                 ("queue", "add", str(post), "--now")):
        result = crier(*argv)
        assert result.code == 1, argv
        assert "2 problem(s)" in result.err
        assert f"logo.path: {mine / 'my-logo.png'} not found" in result.err
        assert "max_lateness_minutes" in result.err
        assert "assets/" not in result.err.split("logo.path:")[1].splitlines()[0]


def test_a_logo_beside_the_brand_file_is_found(crier: Crier, cli_env: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    mine = cli_env / "my-brand"
    mine.mkdir()
    _png(mine / "my-logo.png")
    monkeypatch.setenv("CRIER_BRAND", str(_brand_with(mine, '[logo]\npath = "my-logo.png"\n')))
    result = crier("preview", str(REPO / "examples" / "glutamate.md"), "--platform",
                   "linkedin", "--images", str(cli_env / "out"))
    assert result.code == 0, result.err


@pytest.mark.parametrize(("char", "named"), [("\0", "a NUL byte (U+0000)"),
                                             ("\x07", "a control character (U+0007)"),
                                             ("\x1b", "a control character (U+001B)")])
@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres",
                                                              marks=pytest.mark.postgres)])
def test_a_control_character_is_refused_at_parse_time_with_line_and_column(
    crier: Crier, cli_env: Path, char: str, named: str, database: str,
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
) -> None:
    if database == "postgres":
        monkeypatch.setenv("CRIER_DATABASE_URL", request.getfixturevalue("postgres_url"))
    post = cli_env / "post.md"
    post.write_text(f"---\ntitle: Sleep\n---\nA short post\nabout sl{char}eep.\n",
                    encoding="utf-8")
    result = crier("queue", "add", str(post), "--now", "--platforms", "x")
    assert result.code == 1 and "Traceback" not in result.err
    assert f"{named} at line 5, column 9" in result.err
    assert json.loads(crier("queue", "list", "--json").out) == []
    tabbed = cli_env / "tabbed.md"
    tabbed.write_text("---\ntitle: Sleep\n---\r\nA short\tpost.\r\n", encoding="utf-8")
    assert crier("queue", "add", str(tabbed), "--now", "--platforms", "x").code == 0
