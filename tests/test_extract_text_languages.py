"""Main-text rules of extract_article for pages in other languages and scripts."""

from __future__ import annotations

import pytest

from archive.extract import extract_article
from archive.extraction.cleanup import clean_lines
from tests.test_extract_text import ARTICLE_PARAGRAPHS, paragraphs

PERSIAN_PARAGRAPHS = [
    "سخنگوی دولت اعلام کرد که قیمت بنزین در سال آینده به صورت پلکانی افزایش خواهد یافت و "
    "سهمیه ماهانه خانوارها حفظ می\u200cشود.",
    "به گفته وی، این تصمیم پس از بررسی\u200cهای کارشناسی و با هدف کاهش مصرف سوخت گرفته شده است.",
    "کارشناسان اقتصادی نسبت به پیامدهای تورمی این تصمیم هشدار داده\u200cاند و مجلس نیز قرار است "
    "جزئیات این طرح را در هفته آینده بررسی کند.",
]


def test_zero_width_non_joiners_of_persian_words_are_kept() -> None:
    # "می‌شود" spelt with a ZWNJ; without it the two parts join into another spelling.
    html = (
        "<html lang='fa' dir='rtl'><head><title>افزایش قیمت بنزین</title></head><body>"
        f"<article><h1>افزایش قیمت بنزین</h1>{paragraphs(PERSIAN_PARAGRAPHS)}</article></body></html>"
    )
    text = extract_article(html.encode(), "https://news.example.ir/news/123").text or ""
    assert "می\u200cشود" in text
    assert "بررسی\u200cهای" in text
    assert "داده\u200cاند" in text


@pytest.mark.parametrize(
    "furniture",
    [
        "Te puede interesar: Las claves del nuevo plan de vivienda",
        "Читайте також: Як підготуватися до відключень світла",
        "İlgili Haber: Deprem çantasında neler olmalı?",
        "اقرأ أيضا: أبرز الإصدارات الجديدة هذا العام",
        "بیشتر بخوانید: نرخ تورم در ماه گذشته",
        "עוד בנושא: מה כולל חוק ההסדרים החדש",
        "相关阅读：北京明年将再开通三条地铁线路",
        "関連記事：週末は全国的に冷え込み",
        "관련기사: 이번 주말 전국 한파 예상",
        "Abonnez-vous pour recevoir nos alertes.",
        "Подписывайтесь на наш канал в Telegram.",
        "ⓒ 예시일보 무단전재 및 재배포 금지",
        "（责任编辑：刘洋）",
    ],
)
def test_furniture_lines_in_other_languages_are_dropped(furniture: str) -> None:
    text = "The council approved the budget after a long debate on Tuesday evening."
    cleaned = clean_lines(f"{text}\n{furniture}\n{text} Again.", title=None, authors=[])
    assert cleaned == f"{text}\n{text} Again."


JAPANESE_PARAGRAPHS = [
    "気象庁は3日、東京都心で初雪を観測したと発表した。平年より1カ月ほど早く、昨年より2カ月早い観測となった。",
    "上空に強い寒気が流れ込んだ影響で、関東地方の山沿いでは積雪となった所もある。",
    "気象庁は路面の凍結による交通障害に注意するよう呼びかけている。",
    "この冬は寒気の影響を受けやすく、降雪量は平年並みか多くなる見込みだ。",
]


def test_a_short_japanese_story_keeps_its_paragraphs_and_not_the_whole_article_element() -> None:
    # 140 characters of four paragraphs: under trafilatura's 250-character limit, but some
    # 100 words. Its baseline rescue took the <article>'s whole text on one line.
    html = (
        "<html lang='ja'><head><title>東京で初雪</title></head><body><article><h1>東京で初雪</h1>"
        "<div class='meta'><time>2025年12月3日 午前10時15分</time></div>"
        f"{paragraphs(JAPANESE_PARAGRAPHS)}</article></body></html>"
    )
    text = extract_article(html.encode(), "https://news.example.jp/articles/k123").text
    assert text == "\n".join(JAPANESE_PARAGRAPHS)


@pytest.mark.parametrize(
    "dateline",
    [
        "Opublikowano: 3 grudnia 2025, 18:40",
        "Valencia, 3 de diciembre de 2025 - 12:45 CET",
        "3 декабря 2025 г., 12:15 Обновлено: 4 декабря 2025 г., 10:00",
        "입력 2025년 12월 3일 10:15 수정 2025년 12월 3일 14:00",
    ],
)
def test_a_dateline_in_another_language_does_not_open_the_text(dateline: str) -> None:
    text = "\n".join([dateline, *ARTICLE_PARAGRAPHS])
    assert clean_lines(text, title=None, authors=[]) == "\n".join(ARTICLE_PARAGRAPHS)


def test_a_short_dated_sentence_opening_the_text_is_kept() -> None:
    text = "\n".join(["On 3 December 2025 the council met.", *ARTICLE_PARAGRAPHS])
    assert clean_lines(text, title=None, authors=[]) == text
