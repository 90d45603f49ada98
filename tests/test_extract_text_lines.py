"""Line rules of the main text (cleanup.clean_lines): tag lines, buttons and reader appeals
alone on a line are furniture; sentences that only resemble them stay."""

from __future__ import annotations

import pytest

from archive.extraction.cleanup import clean_lines


def test_clean_lines_judges_furniture_lines_of_sixty_words_at_most() -> None:
    # Words are counted up to one past the limit (cleanup.clean_lines): 60 is furniture, 61 prose.
    sixty = "Copyright " + " ".join(["word"] * 59)
    assert clean_lines(f"Body text here.\n{sixty}", title=None, authors=[]) == "Body text here."
    kept = f"Body text here.\n{sixty} more"
    assert clean_lines(kept, title=None, authors=[]) == kept


@pytest.mark.parametrize(
    "furniture",
    [
        "Tags: transit, city council, Water Street",
        "Filed Under: News, Local Government",
        "Topics: Transit, City Council",
        "Subscribe",
        "Sign in",
        "Donate today",
        "Give now",
        "Before you go...",
        "Independent local journalism depends on readers like you.",
        "This story is funded by readers like you. Please chip in what you can.",
        "Republish this article for free under a Creative Commons license.",
        "We welcome comments that are civil. Comments are reviewed before they appear.",
        "Please read our community guidelines before commenting.",
        "Have a tip about city hall? Email us at tips@example.org.",
        "Got a news tip? Reach us securely on Signal.",
    ],
)
def test_tag_lines_buttons_and_reader_appeals_are_dropped(furniture: str) -> None:
    text = "The council approved the budget after a long debate on Tuesday evening."
    cleaned = clean_lines(f"{text}\n{furniture}\n{text} Again.", title=None, authors=[])
    assert cleaned == f"{text}\n{text} Again."


@pytest.mark.parametrize(
    "line",
    [
        "Topics: the panel discussed housing. Then it turned to the budget and the bus lane.",
        "This article is republished from a partner newsroom under a Creative Commons license.",
        "Neighbours chip in to rebuild the barn that burned down in the spring storm.",
        "But one last bit of encouragement before you go: start early.",
    ],
)
def test_sentences_that_only_resemble_tag_lines_or_appeals_stay(line: str) -> None:
    text = "The council approved the budget after a long debate on Tuesday evening."
    cleaned = clean_lines(f"{text}\n{line}", title=None, authors=[])
    assert cleaned == f"{text}\n{line}"
