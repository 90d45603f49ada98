"""Line-level cleanup of extracted text: the headline and byline repeated, and in-body furniture."""

from __future__ import annotations

import re

from lxml import html as lxml_html

from archive.extraction.textdates import MONTH_NAMES, SENTENCE_WORDS, words_beside_date

# Each pattern names one kind of furniture, in the languages we archive most. A line
# is dropped only when it is short and matches: an article paragraph that merely
# mentions donations or newsletters is longer and stays.
FURNITURE_LINES = re.compile(
    "|".join(
        [
            # "Read more:", "Related:", links to other articles
            r"^(?:also read|read (?:more|next|also)|related(?: articles?| stories| posts?)?"
            r"|see also|more on this|recommended|you (?:may|might) also like|further reading"
            r"|lire aussi|à lire aussi|voir aussi|lesen sie auch|mehr zum thema|auch interessant"
            r"|leia (?:também|mais)|lee también|leer más|leggi anche|czytaj (?:też|także)"
            r"|zobacz (?:też|także)|читайте также|смотрите также|lees ook|läs också|les også"
            r"|læs også|lue myös|te puede interesar|lea también|veja também|leggi pure|читайте також"
            r"|(?:i|i̇)lgili haber(?:ler)?|اقرأ أيضا|إقرأ أيضا|اقرأ أيضاً|إقرأ أيضاً|بیشتر بخوانید"
            r"|بخوانید|עוד בנושא|קראו עוד|קראו גם|相关阅读|延伸阅读|相关新闻|推荐阅读|関連記事"
            r"|あわせて読みたい|관련\s?기사|함께 보면 좋은 기사)\s*[:：»>|-]",
            r"^read (?:our|the) (?:full|complete|in-depth) .{0,80}review\W*$",
            # affiliate disclosures
            r"\b(?:affiliate (?:links?|commission|partner)|we (?:may )?(?:earn|receive) (?:a )?"
            r"(?:small )?(?:commission|compensation)|may receive (?:a )?commission"
            r"|provision(?:slinks?)?\b.{0,40}\b(?:erhalten|verdienen)|lien(?:s)? affilié"
            r"|enlaces? de afiliados?|link di affiliazione)",
            # newsletter and subscription prompts
            r"^(?:sign up|subscribe|join|get|register)\b.{0,80}\b(?:newsletter|inbox|updates"
            r"|e-?mails?)\b",
            r"^(?:newsletter|abonnieren sie|inscrivez-vous|abonnez-vous|suscríbete|iscriviti|zapisz się"
            r"|подпишитесь|подписывайтесь|підписуйтесь|assine)\b",
            r"^(?:cet article est réservé aux abonnés|dieser artikel ist nur für abonnenten"
            r"|este artículo es exclusivo para suscriptores|questo articolo è riservato agli abbonati)",
            r"\bthanks? (?:you )?for (?:subscribing|signing up|reading)\b",
            # donation and membership appeals
            r"\b(?:please )?(?:consider )?(?:mak(?:e|ing) a donation|donate (?:now|today)"
            r"|support (?:our|us|independent) (?:\w+ )?(?:journalism|work|reporting)"
            r"|become a (?:member|supporter|patron)|unterstützen sie (?:uns|unser)"
            r"|soutenez(?:-nous| notre)|apoya (?:nuestro|a)|sostieni)"
            r"|\b(?:readers|supporters|members) like you\b|\bchip in (?:today|now|what you can|\$)",
            r"^republish (?:this|our) (?:article|story|stories|work)\b|^before you go\W*$",
            # comment policies and prompts
            r"^(?:leave a (?:comment|reply)|comments? (?:are|is) (?:closed|moderated)"
            r"|your email address will not be published|join the (?:conversation|discussion)"
            r"|we welcome (?:your )?comments|comments are (?:reviewed|moderated|welcome)"
            r"|(?:please )?(?:read|see|follow|review) our (?:comment(?:ing|s)? (?:policy|guidelines)"
            r"|community (?:guidelines|standards))"
            # and prompts for readers' tips
            r"|(?:have|got|do you have) a (?:news )?tip\b)",
            # tag and category lines under the body: a label, then a list (no second sentence)
            r"^(?:tags|tagged(?: with)?|topics|related topics|filed under|categories|category"
            r"|posted in|schlagwörter|themen|mots-clés|étiquettes|etiquetas|temas)\s*:"
            r"(?:[^.!?]|\.(?!\s))*$",
            # copyright and reprint notices
            r"^(?:©|ⓒ|\(c\)|copyright\b)",
            r"\ball rights reserved\b|\bmay not be (?:reproduced|republished|redistributed)\b"
            r"|무단\s?전재|재배포\s?금지|版权所有|版權所有|禁止转载|無断転載",
            # the editor's credit Chinese pages close with: "（责任编辑：刘洋）"
            r"^[（(]?(?:责任编辑|責任編輯)\s*[:：]",
            # tables of contents, ad labels and date labels standing alone on a line
            r"^(?:table of contents|contents|in this article|on this page|jump to|skip to"
            r"|inhaltsverzeichnis|inhalt|sommaire|table des matières|índice|indice|contenido"
            r"|spis treści|содержание)\W*$",
            r"^(?:advertisement|sponsored|ad|anzeige|werbung|publicité|publicidad|pubblicità"
            r"|reklama|реклама)\W*$",
            r"^(?:last )?(?:updated|published|posted|modified)(?: on| at)?\W*$",
            # reading time, and an author box's heading left without its box
            r"^\d+\s*(?:min(?:ute)?s?|mins?)\.?\s*(?:read|de lecture|de lectura|di lettura"
            r"|leestijd|lesezeit|czytania|чтения)\W*$",
            r"^(?:reading time|lesezeit|temps de lecture|tiempo de lectura|tempo di lettura"
            r"|leestijd|czas czytania|время чтения)\s*:?\s*\d+\s*(?:min\w*)?\W*$",
            r"^(?:about the (?:author|writer|reviewer|expert)s?|über (?:den|die) autor(?:in)?"
            r"|à propos de l'auteur|sobre el autor|sull'autore)\W*$",
            # share and call-to-action buttons that trafilatura kept as text
            r"^(?:share (?:this|on)|click here to|tap here to|follow us on)\b",
            # a button or link label alone on its line
            r"^(?:read more|learn more|see more|show more|load more|view more|continue reading"
            r"|back to top|download now|book a (?:free )?demo|contact us|get started|written by"
            r"|listen to this article|print|email|share|subscribe(?: now| today)?|sign in|log in"
            r"|donate(?: now| today)?|give (?:now|today)|mehr lesen|weiterlesen|mehr erfahren"
            r"|lire la suite|en savoir plus|leer más|ver más|leia mais|saiba mais|leggi di più"
            r"|scopri di più|czytaj dalej|читать далее|lees meer|läs mer|les mer|læs mere"
            r"|lue lisää)\W*$",
            # links to other articles announced without a separator
            r"^(?:related (?:articles?|stories|posts|reading)|you (?:may|might) (?:also )?"
            r"(?:like|enjoy|be interested))\b.{0,60}$",
            # notes on the article's own history and prompts at its end
            r"^this (?:article|story|post) (?:was|is) (?:originally )?(?:published|written|edited"
            r"|exclusive|reviewed|produced)\b|^if you (?:liked|enjoyed|found) this\b",
        ]
    ),
)
_MAX_FURNITURE_WORDS = 60
# Only four patterns above may match past a line's start (affiliate disclosures, thanks,
# donation appeals, rights notices), and each holds one of these words: a line without any
# is tested at its start alone. Searching the whole pattern along every line cost 25 µs a
# line, 2 ms a page; this costs 2.5 µs. A new pattern that is not anchored at ^ must put
# one of its words here.
_ANYWHERE_WORDS = (
    "affili", "afiliad", "commission", "compensation", "provision", "thank", "donat", "support ",
    "become a ", "like you", "chip in", "unterstützen sie", "soutenez", "apoya ", "sostieni",
    "rights reserved", "may not be ",
    "무단", "재배포", "版权所有", "版權所有", "禁止转载", "無断転載",
)


def is_furniture_line(line: str) -> bool:
    # Lower-casing and a case-sensitive search is three times faster than re.I, and
    # every pattern above is written in lower case.
    lowered = line.lower()
    if FURNITURE_LINES.match(lowered) is not None:
        return True
    for word in _ANYWHERE_WORDS:
        if word in lowered:
            return FURNITURE_LINES.search(lowered) is not None
    return False
_DATE_LINE = re.compile(
    r"^(?:(?:last )?updated|published|posted|modified|on|date)?\s*:?\s*"
    r"(?:\w+,?\s+)?\w+\.?\s+\d{1,2},?\s+\d{4}|^\d{1,2}[./ ]\w+[./ ]\d{2,4}",
    re.I,
)
_LABEL_LINE = re.compile(
    r"^(?:back to|zurück zu|retour|volver a|torna a)\b|^(?:by|von|par|por|written by)\s",
    re.I,
)


# Classes of a standfirst printed above the body, not of the body's own first paragraph.
_STANDFIRST_CLASS = re.compile(r"summary|dek|excerpt|standfirst|subtitle|subhead|intro|lede|lead|teaser|desc")
_BODY_PARAGRAPH_CHARS = 80


def standfirst_of(tree: lxml_html.HtmlElement, description: str | None, text: str) -> str | None:
    """The page's description as a standfirst to drop from the text's top, or None.

    Many sites copy the body's first paragraph into the description; printed among the
    body's paragraphs it is the lede, and it stays.
    """
    said = _norm(description or "")
    if not said or not any(_norm(line) == said for line in text.split("\n", 8)[:8]):
        return description  # not at the top of the text: nothing to decide
    size = len(description or "")
    for p in tree.iter("p"):
        content = p.text_content()
        # Only a paragraph about as long can say the same: the length test spares the
        # normalisation of every other paragraph.
        if not 0.8 * size <= len(content) <= 1.25 * size or _norm(content) != said:
            continue
        parent = p.getparent()
        if parent is None or _STANDFIRST_CLASS.search(p.get("class", "").lower()):
            continue
        if any(
            sibling is not p and sibling.tag == "p"
            and len(sibling.text_content()) > _BODY_PARAGRAPH_CHARS
            for sibling in parent
        ):
            return None
    return description


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


_PLACEHOLDER = re.compile(r"^\[[A-Z0-9_ -]+\]$|^\{\{.*\}\}$")
_PLACEHOLDER_OPENERS = ("[", "{")
# Every form ends with a digit (which clean_lines checks first).
_BARE_DATE = re.compile(
    r"^(?:(?:posted|published|updated|last updated)(?: on)?:?\s*)?"
    r"(?:(?:\w+,?\s+)?\w+\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d{1,2}\.?\s+\w+\.?\s+\d{4}"
    r"|\d{4}-\d\d-\d\d|\d{1,2}[./]\d{1,2}[./]\d{2,4})$",
    re.I,
)


def clean_lines(
    text: str, *, title: str | None, authors: list[str], standfirst: str | None = None
) -> str:
    lines = [line for line in text.split("\n") if line.strip()]
    lines = _drop_leading_header(lines, title, authors, standfirst)
    lines = _drop_repeated_runs(lines)
    kept = []
    for line in lines:
        stripped = line.strip().lstrip("-•*· ").strip()
        # Cheap tests first, on every line of every page: a line this short cannot hold
        # more words; a placeholder opens with a bracket and a date ends with a digit.
        # (Splitting at most _MAX_FURNITURE_WORDS times counts the words up to one more:
        # a paragraph is not cut into all its words.)
        if (
            len(stripped) <= 2 * _MAX_FURNITURE_WORDS
            or len(stripped.split(None, _MAX_FURNITURE_WORDS)) <= _MAX_FURNITURE_WORDS
        ) and is_furniture_line(stripped):
            continue
        if stripped[:1] in _PLACEHOLDER_OPENERS and _PLACEHOLDER.match(stripped):
            continue
        if stripped[-1:].isdecimal() and _BARE_DATE.match(stripped):
            continue
        kept.append(line)
    return "\n".join(kept)


# A line of this many words met twice is the same sentence printed twice; a run of such
# lines is a second copy of the text (responsive layouts print the body once per screen
# size, sliders repeat their slides). Single repeated lines are often meant: a refrain, a
# recurring instruction in a recipe or plan.
_REPEAT_MIN_WORDS = 8
_REPEAT_MIN_RUN = 4


def _drop_repeated_runs(lines: list[str]) -> list[str]:
    """Drop runs of long lines that already appeared earlier in the text."""
    seen: set[str] = set()
    repeated = []
    for line in lines:
        key = line.strip()
        long = key.count(" ") >= _REPEAT_MIN_WORDS - 1
        repeated.append(long and key in seen)
        if long:
            seen.add(key)
    if sum(repeated) < _REPEAT_MIN_RUN:
        return lines
    keep = [True] * len(lines)
    start = 0
    while start < len(lines):
        if not repeated[start]:
            start += 1
            continue
        # A run: repeated long lines, with short lines (headings, labels) between them.
        end, count, last = start, 0, start
        while end < len(lines) and (repeated[end] or len(lines[end].split()) < _REPEAT_MIN_WORDS):
            if repeated[end]:
                count, last = count + 1, end
            end += 1
        if count >= _REPEAT_MIN_RUN:
            keep[start : last + 1] = [False] * (last + 1 - start)
        start = end
    return [line for line, kept in zip(lines, keep, strict=True) if kept]


_BYLINE_WORDS = re.compile(
    r"\b(?:by|von|par|por|door|av|and|und|et|y|written|posted|published|updated|on|am|le|el)\b",
    re.I,
)


def _only_date_and_names(line: str, names: set[str]) -> bool:
    """A line that holds nothing but a printed date and the byline's names."""
    if not names or not any(n and n in _norm(line) for n in names):
        return False
    rest = _norm(line)
    for name in names:
        rest = rest.replace(name, " ")
    rest = _BYLINE_WORDS.sub(" ", rest)
    rest = re.sub(r"\b\d{1,4}\b", " ", rest)
    left = [w for w in rest.split() if w not in MONTH_NAMES and w not in ("de", "of", "the")]
    return len(left) <= 2


# Prose, not a dateline: a sentence's end (a word, then its full stop: "... the council met.",
# not "2025 г."), two sentences ("Originally published in 2022. Last updated ..."), or a
# heading's colon ("Effective beginning 6/2/2025:").
_SENTENCE_END = re.compile(r"[^\W\d_]{3,}[.!?。]\s*$|[.!?]\s+[^\W\d_]|:\s*$")


def _dateline(line: str) -> bool:
    """A line of dates and the few words around them, in any language _DATE_LINE does not
    read: "Opublikowano: 3 grudnia 2025, 18:40", "Valencia, 3 de diciembre de 2025 - 12:45",
    "입력 2025년 12월 3일 10:15 수정 2025년 12월 3일 14:00". A date alone is not one: pages
    print it under the headline as part of the article ("2024-11-06")."""
    # (Which of 03/04 is the month does not matter here: only whether a date is written.)
    words = words_beside_date(line, month_first=False)
    return words is not None and 1 <= words < SENTENCE_WORDS and not _SENTENCE_END.search(line)


def _drop_leading_header(
    lines: list[str], title: str | None, authors: list[str], standfirst: str | None
) -> list[str]:
    """Drop the headline, standfirst, byline and date lines that open the text."""
    title_norm = _norm(title or "")
    standfirst_norm = _norm(standfirst or "")
    names = {_norm(a) for a in authors}
    start = 0
    for line in lines[:8]:
        normed = _norm(line)
        words = len(line.split())
        if standfirst_norm and normed == standfirst_norm:
            start += 1
            continue
        if words >= 25:
            break
        header = (
            (title_norm and normed == title_norm)
            or (words <= 14 and _only_date_and_names(line, names))
            or (names and (normed in names or _norm(line.split(" ", 1)[-1]) in names))
            or (words <= 8 and bool(_DATE_LINE.match(line.strip())))
            or (words <= 14 and _dateline(line))
            or (words <= 6 and bool(_LABEL_LINE.match(line.strip())))
        )
        if not header:
            break
        start += 1
    return lines[start:]
