"""Khmer word breaking against a bare PyICU line-break pass over the same text."""

from __future__ import annotations

from common import Result, compare, ratio_result


def run(quick: bool = False) -> list[Result]:
    import icu

    from leap_me.khmer import mark_word_breaks

    text = "ការជួញដូរមនុស្ស និងការកេងប្រវ័ញ្ចផ្លូវភេទលើកុមារ " * 2000
    rounds = 2 if quick else 5

    def ours() -> None:
        for _ in range(rounds):
            mark_word_breaks(text)

    def bare() -> None:
        for _ in range(rounds):
            breaker = icu.BreakIterator.createLineInstance(icu.Locale("km_KH"))
            breaker.setText(text)
            list(breaker)

    work_t, floor_t = compare(ours, bare, repeats=5 if quick else 9)
    return [
        ratio_result(
            f"Khmer word breaking ({len(text):,} chars) vs bare ICU BreakIterator",
            work_t,
            floor_t,
            25.0,
        )
    ]
