"""Progress of an indexing run: totals counted up front, one bar with a total, rate and ETA on
a terminal, one line per stage otherwise."""

from __future__ import annotations

import io
from pathlib import Path

from dalil.indexer.build.progress import Plan, RunProgress, plan_run
from dalil.indexer.settings import load_settings
from dalil.web.cli.main import main


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _corpus(root: Path, n: int) -> Path:
    root.mkdir()
    for i in range(n):
        (root / f"r{i}.txt").write_text(
            f"Release number {i}\n\nThe ministry announced plan {i} for the ports and the "
            f"railways of the country.\n\nA second paragraph about budget line {i} and its "
            "oversight by the council.\n",
            encoding="utf-8",
        )
    return root


def test_plan_counts_new_changed_and_unchanged(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DALIL_CONFIG", str(tmp_path / "none.toml"))
    corpus = _corpus(tmp_path / "corpus", 4)
    settings = load_settings(index=tmp_path / "idx", encoders="hash-test", threads=1)
    first = plan_run(settings, [corpus], files=4)
    assert (first.files, first.releases, first.new, first.changed, first.unchanged) == (
        4,
        4,
        4,
        0,
        0,
    )
    assert first.to_embed == 8  # two paragraphs each
    index = str(tmp_path / "idx")
    assert main(["index", str(corpus), "--index", index, "--encoders", "hash-test"]) == 0
    (corpus / "r0.txt").write_text("Release zero\n\nNow about something else.\n", "utf-8")
    again = plan_run(settings, [corpus], files=4)
    assert (again.new, again.changed, again.unchanged, again.to_embed) == (0, 1, 3, 1)
    assert plan_run(settings, [corpus], files=4, fresh=True).to_embed == 7


def test_lines_per_stage_when_not_a_terminal() -> None:
    out = io.StringIO()
    plan = Plan(files=2, releases=3, new=3, changed=0, unchanged=0, to_embed=10)
    progress = RunProgress(["e5-small", "use-m3"], enabled=True, plan=plan, stream=out)
    for _ in range(3):
        progress.read()
    progress.queued(10)
    for name in ("e5-small", "use-m3"):
        progress.encoded(name, 10)
    progress.close()
    lines = out.getvalue().splitlines()
    assert lines[0] == (
        "to do: 2 file(s), 3 release(s): 3 new, 0 changed, 0 unchanged; 10 paragraph(s) to embed"
    )
    assert lines[1] == "embedding 10 paragraph(s) with e5-small, use-m3"
    assert lines[-1].startswith("embedded 10 paragraph(s) in ")


def test_one_bar_with_total_rate_and_eta_on_a_terminal() -> None:
    out = Terminal()
    plan = Plan(files=1, releases=2, new=2, changed=0, unchanged=0, to_embed=40)
    progress = RunProgress(["use-m3"], enabled=True, plan=plan, stream=out, refresh_seconds=0)
    progress.read(2)
    progress.queued(40)
    for done in (8, 16, 40):
        progress.encoded("use-m3", done)
    shown = out.getvalue()
    assert "to do: 1 file(s), 2 release(s)" in shown
    progress.close()
    frames = [f for f in out.getvalue().replace("\r", "\n").splitlines() if "embedding:" in f]
    assert frames and "/40 [" in frames[0]  # the total from the start
    assert any("40/40" in f and "releases 2/2" in f for f in frames)
    assert all("paragraphs/s" in f or "?" in f for f in frames)  # a rate (or not yet one)


def test_total_grows_while_reading_without_a_plan() -> None:
    out = Terminal()
    progress = RunProgress(["use-m3"], enabled=True, stream=out, refresh_seconds=0)
    progress.read()
    progress.queued(5)
    progress.encoded("use-m3", 5)
    progress.queued(7)
    progress.encoded("use-m3", 7)
    progress.close()
    frames = out.getvalue().replace("\r", "\n")
    assert "(reading...)" in frames and "12/12" in frames


def test_disabled_shows_nothing() -> None:
    out = Terminal()
    progress = RunProgress(["use-m3"], enabled=False, stream=out)
    progress.read()
    progress.queued(3)
    progress.encoded("use-m3", 3)
    progress.close()
    assert out.getvalue() == ""
