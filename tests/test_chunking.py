"""indexer.chunking: merging short fragments, splitting long ones, sentence boundaries."""

from __future__ import annotations

import random

import pytest

from dalil.indexer.models import Release
from dalil.indexer.text.chunking import split_release, split_sentences, split_text

AR_SENTENCES = [
    "هل تستطيع الدول الأعضاء تعزيز التعاون الأمني في المنطقة؟",
    "أكد الوزير أن المملكة ملتزمة بمكافحة الإرهاب والتطرف بكافة أشكاله.",
    "وأشار إلى أهمية الشراكة مع حلف شمال الأطلسي في إطار مبادرة إسطنبول للتعاون؛",
    "كما استعرض الجانبان تطورات الأوضاع الإقليمية والدولية.",
]


def release(*paragraphs: str, rid: str = "r1") -> Release:
    return Release(id=rid, title="t", paragraphs=paragraphs, origin="test")


def texts(rel: Release, max_chars: int = 1200, min_chars: int = 60) -> list[str]:
    return [p.text for p in split_release(rel, max_chars=max_chars, min_chars=min_chars)]


def test_paragraphs_that_fit_are_kept_as_they_are() -> None:
    paras = ("A" * 100, "B " * 100, "C" * 300)
    assert texts(release(*paras)) == [p.strip() for p in paras]


def test_positions_and_release_id() -> None:
    paras = split_release(
        release("x" * 100, "y" * 100, "z" * 100, rid="rel-7"), max_chars=1200, min_chars=60
    )
    assert [p.position for p in paras] == [0, 1, 2]
    assert {p.release_id for p in paras} == {"rel-7"}


def test_short_fragment_merges_into_the_following_one() -> None:
    out = texts(release("Short heading", "A long enough paragraph " * 5, "Another paragraph " * 5))
    assert len(out) == 2
    assert out[0].startswith("Short heading\nA long enough paragraph")


def test_consecutive_short_fragments_merge_together() -> None:
    out = texts(release("one", "two", "three", "A long enough paragraph " * 5))
    assert out[0].startswith("one\ntwo\nthree\nA long")
    assert len(out) == 1


def test_last_short_fragment_merges_into_the_previous_one() -> None:
    out = texts(release("A long enough paragraph " * 5, "Contact: press office"))
    assert len(out) == 1
    assert out[0].endswith("\nContact: press office")


def test_release_shorter_than_min_chars_still_gives_one_paragraph() -> None:
    assert texts(release("Tiny.", "Also tiny.")) == ["Tiny.\nAlso tiny."]


def test_empty_and_blank_paragraphs_are_dropped() -> None:
    assert texts(release("", "   ", "\n\t", "Real text " * 10)) == [("Real text " * 10).strip()]
    assert split_release(release("", "  "), max_chars=1200, min_chars=60) == []


def test_whitespace_runs_are_normalised() -> None:
    out = texts(release("word   word\t\tword\n\n\n  next   line " + "x" * 60))
    assert out == ["word word word\nnext line " + "x" * 60]


def test_long_arabic_text_splits_at_question_mark_and_full_stop() -> None:
    text = " ".join(AR_SENTENCES * 10)
    out = texts(release(text), max_chars=300, min_chars=60)
    assert len(out) > 1
    assert all(len(p) <= 300 for p in out)
    for piece in out:
        assert piece.endswith(("؟", ".", "؛"))
        assert piece in text  # exact slices, nothing rewritten
    assert " ".join(out) == text


def test_no_paragraph_exceeds_max_chars_and_none_is_empty() -> None:
    rng = random.Random(7)
    words = ["word", "كلمة", "x" * 30, "sentence.", "سؤال؟", "end!", "\n", "a" * 500]
    for _ in range(200):
        paras = [
            " ".join(rng.choice(words) for _ in range(rng.randint(0, 150)))
            for _ in range(rng.randint(1, 6))
        ]
        max_chars = rng.choice([200, 350, 1200])
        min_chars = rng.choice([0, 60, 150])
        out = split_release(release(*paras), max_chars=max_chars, min_chars=min_chars)
        assert [p.position for p in out] == list(range(len(out)))
        assert all(p.text and p.text == p.text.strip() for p in out)
        assert all(len(p.text) <= max_chars for p in out)
        assert "".join("".join(p.text.split()) for p in out) == "".join(
            "".join(q.split()) for q in paras
        )


def test_long_sentence_splits_at_whitespace_never_mid_word() -> None:
    words = [f"word{i:03d}" for i in range(300)]
    out = split_text(" ".join(words), max_chars=200)
    assert all(len(p) <= 200 for p in out)
    assert [w for p in out for w in p.split()] == words


def test_word_longer_than_max_chars_is_cut() -> None:
    out = split_text("a" * 450 + " tail", max_chars=200)
    assert out[:2] == ["a" * 200, "a" * 200]
    assert "".join(out).replace(" ", "") == "a" * 450 + "tail"


def test_short_last_piece_is_balanced_with_the_previous_one() -> None:
    sentences = ["A sentence of about forty characters ok." for _ in range(5)] + ["End."]
    out = split_text(" ".join(sentences), max_chars=205, min_chars=60)
    assert all(len(p) <= 205 for p in out)
    assert len(out[-1]) >= 60


def test_split_sentences_arabic_and_latin_punctuation() -> None:
    text = 'هل حضر الوزير؟ نعم، حضر. وقال: "سنعمل معاً." Really! Yes… ok؛ then\nnew line'
    assert split_sentences(text) == [
        "هل حضر الوزير؟",
        "نعم، حضر.",
        'وقال: "سنعمل معاً."',
        "Really!",
        "Yes…",
        "ok؛",
        "then",
        "new line",
    ]


def test_split_sentences_keeps_decimals_and_handles_edges() -> None:
    assert split_sentences("Growth was 3.5 percent. Fine") == ["Growth was 3.5 percent.", "Fine"]
    assert split_sentences("") == []
    assert split_sentences("  \n ") == []
    assert split_sentences("No terminator") == ["No terminator"]


@pytest.mark.parametrize(("max_chars", "min_chars"), [(0, 0), (100, -1), (100, 200)])
def test_impossible_limits_raise_value_error(max_chars: int, min_chars: int) -> None:
    with pytest.raises(ValueError, match="chars"):
        split_release(release("text"), max_chars=max_chars, min_chars=min_chars)


def test_founding_release_paragraphs(founding_release) -> None:
    from dalil.indexer.readers import read_sources

    (rel,) = read_sources([founding_release])
    out = split_release(rel, max_chars=1200, min_chars=60)
    assert len(out) == 8
    assert [p.text for p in out] == list(rel.paragraphs)
