from types import SimpleNamespace

from claims.highlights import runs


def claim(pk, start, end, status="draft"):
    return SimpleNamespace(pk=pk, start=start, end=end, status=status)


def test_runs_cover_the_whole_text_in_order():
    text = "abcdefghij"
    result = runs(text, [claim(1, 2, 5)])
    assert "".join(r.text for r in result) == text
    assert [(r.start, r.end, r.claim_ids) for r in result] == [(0, 2, ""), (2, 5, "1"), (5, 10, "")]


def test_overlapping_claims_share_the_run_they_both_cover():
    result = runs("abcdefghij", [claim(1, 1, 6), claim(2, 4, 8)])
    assert [(r.start, r.end, r.claim_ids) for r in result] == [
        (0, 1, ""),
        (1, 4, "1"),
        (4, 6, "1 2"),
        (6, 8, "2"),
        (8, 10, ""),
    ]


def test_a_nested_claim_is_drawn_on_top_of_the_claim_around_it():
    result = runs("abcdefghij", [claim(1, 0, 10), claim(2, 3, 5, "reviewed")])
    middle = next(r for r in result if r.start == 3)
    assert (middle.end, middle.claim_ids, middle.top.status, middle.depth) == (5, "1 2", "reviewed", 2)
    assert [r.claim_ids for r in result] == ["1", "1 2", "1"]


def test_claims_with_the_same_span_are_both_kept():
    result = runs("abcdef", [claim(1, 1, 3), claim(2, 1, 3)])
    assert [(r.start, r.end, r.claim_ids) for r in result] == [(0, 1, ""), (1, 3, "1 2"), (3, 6, "")]
