"""Read dates written for people ("Updated on 4 March 2024", "12.03.2024") in many languages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

# Month names and their usual abbreviations, nominative and genitive forms.
_MONTHS: dict[int, tuple[str, ...]] = {
    1: ("january", "jan", "januar", "janvier", "janv", "enero", "ene", "gennaio", "gen", "janeiro",
        "januari", "januar", "stycznia", "styczeń", "января", "январь", "leden", "ledna", "ocak",
        "tammikuuta", "jänner", "ianuarie"),
    2: ("february", "feb", "februar", "février", "févr", "fevrier", "febrero", "febbraio",
        "fevereiro", "fev", "februari", "lutego", "luty", "февраля", "февраль", "únor", "února",
        "şubat", "helmikuuta", "februarie"),
    3: ("march", "mar", "märz", "maerz", "mars", "marzo", "março", "marco", "maart", "marca",
        "marzec", "марта", "март", "březen", "března", "mart", "maaliskuuta", "martie", "mrt"),
    4: ("april", "apr", "avril", "avr", "abril", "abr", "aprile", "kwietnia", "kwiecień",
        "апреля", "апрель", "duben", "dubna", "nisan", "huhtikuuta", "aprilie"),
    5: ("may", "mai", "mayo", "maggio", "mag", "maio", "mei", "maja", "maj", "мая", "май",
        "květen", "května", "mayıs", "toukokuuta", "mei"),
    6: ("june", "jun", "juni", "juin", "junio", "giugno", "giu", "junho", "czerwca", "czerwiec",
        "июня", "июнь", "červen", "června", "haziran", "kesäkuuta", "iunie"),
    7: ("july", "jul", "juli", "juillet", "juil", "julio", "luglio", "lug", "julho", "lipca",
        "lipiec", "июля", "июль", "červenec", "července", "temmuz", "heinäkuuta", "iulie"),
    8: ("august", "aug", "août", "aout", "agosto", "ago", "augustus", "sierpnia", "sierpień",
        "августа", "август", "srpen", "srpna", "ağustos", "elokuuta", "augusti"),
    9: ("september", "sep", "sept", "septembre", "septiembre", "settembre", "set", "setembro",
        "września", "wrzesień", "сентября", "сентябрь", "září", "eylül", "syyskuuta",
        "septembrie"),
    10: ("october", "oct", "oktober", "okt", "octobre", "octubre", "ottobre", "ott", "outubro",
         "out", "października", "październik", "октября", "октябрь", "říjen", "října", "ekim",
         "lokakuuta", "octombrie"),
    11: ("november", "nov", "novembre", "noviembre", "novembro", "listopada", "listopad",
         "ноября", "ноябрь", "listopadu", "kasım", "marraskuuta", "noiembrie"),
    12: ("december", "dec", "dezember", "dez", "décembre", "decembre", "déc", "diciembre", "dic",
         "dicembre", "dezembro", "grudnia", "grudzień", "декабря", "декабрь", "prosinec",
         "prosince", "aralık", "joulukuuta", "decembrie"),
}
# Ukrainian, and Arabic: the names of the Gregorian months, and the Levantine ones (two of
# them two words long: "كانون الأول" is December).
_MORE_MONTHS: dict[int, tuple[str, ...]] = {
    1: ('січня', 'січень', 'يناير', 'كانون الثاني'),
    2: ('лютого', 'лютий', 'فبراير', 'شباط'),
    3: ('березня', 'березень', 'مارس', 'آذار'),
    4: ('квітня', 'квітень', 'أبريل', 'إبريل', 'نيسان'),
    5: ('травня', 'травень', 'مايو', 'أيار'),
    6: ('червня', 'червень', 'يونيو', 'حزيران'),
    7: ('липня', 'липень', 'يوليو', 'تموز'),
    8: ('серпня', 'серпень', 'أغسطس', 'آب'),
    9: ('вересня', 'вересень', 'سبتمبر', 'أيلول'),
    10: ('жовтня', 'жовтень', 'أكتوبر', 'تشرين الأول'),
    11: ('листопада', 'листопад', 'نوفمبر', 'تشرين الثاني'),
    12: ('грудня', 'грудень', 'ديسمبر', 'كانون الأول'),
}
_MONTH_OF = {
    name: number for table in (_MONTHS, _MORE_MONTHS) for number, names in table.items() for name in names
}
MONTH_NAMES = frozenset(name for name in _MONTH_OF if " " not in name)
_MONTH = "(" + "|".join(sorted(map(re.escape, _MONTH_OF), key=len, reverse=True)) + r")\.?"
_DAY_NUMBER = r"(\d{1,2})"
_DAY = _DAY_NUMBER + r"(?:st|nd|rd|th|er|º|\.)?"
_YEAR = r"((?:19|20)\d{2})"
# A month name only where the rest of its date follows: a lookahead over any word and the
# date's tail spares the regex engine trying each of the ~250 month names at every word.
# (Every character a month name matches, case-insensitively, is a letter: [^\W\d_], but
# the space of the two-word Arabic names.)
_NAME = r"(?:[^\W\d_]+ )?[^\W\d_]+"
_WORD_THEN_DAY_YEAR = rf"(?={_NAME}\.?\s+\d{{1,2}}(?:st|nd|rd|th|er|º|\.)?,?\s+(?:19|20)\d{{2}}\b)"
_WORD_THEN_YEAR = rf"(?={_NAME}\.?\s*(?:de\s+)?,?\s*(?:19|20)\d{{2}}\b)"

_JALALI_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر",
                  "دی", "بهمن", "اسفند")

# Each pattern, the kind of date it reads, and a character every match holds ("" for
# none): most texts lack the separators, and a test for one costs a hundredth of a search.
_PATTERNS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    # ISO 8601, also as a timestamp printed whole ("2022-11-23T08:10+02:00").
    (re.compile(rf"\b{_YEAR}-(\d{{1,2}})-(\d{{1,2}})(?:\b|(?=T\d))"), "ymd", "-"),
    (re.compile(rf"\b{_YEAR}/(\d{{1,2}})/(\d{{1,2}})\b"), "ymd", "/"),
    # Year first with dots, as East Asian and Hungarian pages print it ("2025.12.17",
    # "2025. 12. 17."); not a version number's longer run ("2019.1.2.3").
    (re.compile(rf"(?<![\d.]){_YEAR}\.\s?(\d{{1,2}})\.\s?(\d{{1,2}})\b(?!\.\d)"), "ymd", "."),
    (re.compile(rf"{_YEAR}\s*年\s*(\d{{1,2}})\s*月\s*(\d{{1,2}})\s*日"), "ymd", "年"),
    (re.compile(rf"{_YEAR}\s*년\s*(\d{{1,2}})\s*월\s*(\d{{1,2}})\s*일"), "ymd", "년"),
    (re.compile(rf"(?<![\w.]){_WORD_THEN_DAY_YEAR}{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.I), "mdy-name", ""),
    # Year first, as bibliographic records print it ("2023 Jan 7", citation_publication_date).
    (re.compile(rf"\b{_YEAR}\s+{_MONTH}\s+{_DAY_NUMBER}\b(?![.:,]?\d|,?\s+(?:19|20)\d\d)", re.I),
     "ymd-name", ""),
    (re.compile(rf"(?<![\w.]){_DAY}\s*(?:de\s+)?{_WORD_THEN_YEAR}{_MONTH}\s*(?:de\s+)?,?\s*{_YEAR}\b", re.I),
     "dmy-name", ""),
    (re.compile(rf"(?<![\d.]){_DAY_NUMBER}\.(\d{{1,2}})\.{_YEAR}\b"), "dmy", "."),
    # The Solar Hijri calendar of Iranian and Afghan pages ("۱۲ آذر ۱۴۰۴", 3 December 2025).
    (re.compile(rf"(?<!\d){_DAY_NUMBER}\s+({'|'.join(_JALALI_MONTHS)})\s+(1[34]\d\d)\b"), "jalali", ""),
    (re.compile(rf"(?<![\d/]){_DAY_NUMBER}/(\d{{1,2}})/{_YEAR}\b"), "slash", "/"),
    # The same with dashes ("Post time: 01-04-2024", <time datetime="02-12-2025">); not the
    # end of a longer run of numbers (a reference, a phone number).
    (re.compile(rf"(?<![\d/-]){_DAY_NUMBER}-(\d{{1,2}})-{_YEAR}\b(?!-\d)"), "slash", "-"),
)

_UPDATED = re.compile(
    r"update|modified|revised|aktualisiert|geändert|mis à jour|actualizad|aggiornat"
    r"|atualizad|bijgewerkt|zaktualizowano|aktualizacja|aktualizováno|aktualizované|обновлен|оновлен"
    r"|güncelle|päivitetty|uppdaterad|opdateret|更新|수정|تحديث|עודכן|به‌روز|بروزرسانی",
    re.I,
)


@dataclass(frozen=True)
class TextDate:
    """A date written in text, and what it shows of the order its page writes numeric dates in."""

    value: str  # YYYY-MM-DD
    updated: bool  # a label calls it an update
    # The other reading of a numeric date both of whose numbers could be the month
    # ("03/10/2023": 3 October or 10 March), else None.
    other_reading: str | None = None
    # Whether it is written day first: by its numbers (True for "13/10/2023", False for
    # "10/13/2023") or by a month's name ("3 October 2023", "October 3, 2023"); None when it
    # shows neither (ISO, "03/10/2023").
    day_first: bool | None = None
    numeric: bool = False  # day_first is told by numbers, not a month's name


def find_text_date(text: str, *, month_first: bool) -> tuple[str, bool] | None:
    """The first date written in `text` as YYYY-MM-DD, and whether a label calls it an update."""
    found = read_text_date(text, month_first=month_first)
    return None if found is None else (found.value, found.updated)


def read_text_date(text: str, *, month_first: bool) -> TextDate | None:
    """find_text_date's date, with what it shows of its page's order for numeric dates."""
    found = _first_date(text, month_first)
    if found is None:
        return None
    start, _, value, kind, groups = found
    updated = bool(_UPDATED.search(text[max(0, start - 40):start]))
    if kind == "slash":
        first, second = int(groups[0] or 0), int(groups[1] or 0)
        if first <= 12 and second <= 12 and first != second:
            other = _to_iso(groups, kind, not month_first)
            return TextDate(value, updated, other_reading=other, numeric=True)
        day_first = True if first > 12 else False if second > 12 else None
        return TextDate(value, updated, day_first=day_first, numeric=True)
    if kind in ("dmy-name", "mdy-name"):
        return TextDate(value, updated, day_first=kind == "dmy-name")
    return TextDate(value, updated)


# The label right before a date that names it the publication: "Published on", "Posted:",
# "Veröffentlicht am", "Publié le". Not "Last published" (an author's latest post).
_PUBLISHED_WORD = (
    r"(?:published|posted|publié|publiée|publicado|publicada|pubblicato|pubblicata"
    r"|veröffentlicht|gepubliceerd|opublikowano|опубликовано|опубліковано|julkaistu|publicerad"
    r"|yayınlanma|yayımlanma|نشر|انتشار|פורסם|发布|發佈|公開|입력)"
)
_LABEL_END = r"(?:\s+(?:on|am|le|el|il|em|op|den|at|في))?\W{0,3}$"
# The same label as a noun: "Post time:", "Publish date", "Publication date".
_PUBLISHED_NOUN = r"(?:post(?:ing)?|publish(?:ing)?|publication)\s+(?:date|time)"
_PUBLISHED_LABEL = re.compile(
    rf"(?<!last )\b(?:{_PUBLISHED_WORD}|{_PUBLISHED_NOUN}){_LABEL_END}", re.I
)
# The labels alone, wherever they are: "Posted on" once per teaser of a list.
_PUBLISHED_LABELS = re.compile(rf"(?<!last )\b(?:{_PUBLISHED_WORD}|{_PUBLISHED_NOUN})", re.I)
# "This article was originally published on ...": a note inside prose, yet a dateline.
_ORIGINAL_LABEL = re.compile(
    rf"\b(?:originally|first|initially|ursprünglich|erstmals|initialement|originalmente)"
    rf"\s+{_PUBLISHED_WORD}{_LABEL_END}",
    re.I,
)


def publication_label(text: str, *, month_first: bool) -> str | None:
    """How the words right before the first date in `text` name it: "original", "published" or None."""
    found = _first_date(text, month_first)
    if found is None:
        return None
    before = text[max(0, found[0] - 40):found[0]]
    if _ORIGINAL_LABEL.search(before):
        return "original"
    if _PUBLISHED_LABEL.search(before):
        return "published"
    return None


def labelled_dates(text: str, *, month_first: bool) -> int:
    """How many dates of `text` follow a publication label ("Published Publish date 15
    November 2018" holds one; "Posted on March 3, 2024 ... Posted on March 4, 2024" two)."""
    pieces = _PUBLISHED_LABELS.split(text)[1:]  # each from a label to the next
    return sum(_first_date(piece, month_first) is not None for piece in pieces)


# A dateline holds a date and a few words around it ("Published on", "By Jane Doe",
# "at 9:06 am CST"); a date with this many words beside it is part of a sentence.
SENTENCE_WORDS = 8
_WORD = re.compile(r"[^\W\d_]{2,}")


def in_sentence(text: str, *, month_first: bool) -> bool:
    """Whether the first date written in `text` sits inside running prose, not a dateline."""
    return date_in_sentence(text, month_first=month_first) is True


def date_in_sentence(text: str, *, month_first: bool) -> bool | None:
    """in_sentence(text), or None when `text` holds no date: one read for both questions."""
    words = words_beside_date(text, month_first=month_first)
    return None if words is None else words >= SENTENCE_WORDS


def words_beside_date(text: str, *, month_first: bool) -> int | None:
    """How many words `text` holds besides its first date; None when it holds no date."""
    found = _first_date(text, month_first)
    if found is None:
        return None
    start, end = found[0], found[1]
    return len(_WORD.findall(text[:start] + " " + text[end:]))


# Arabic-Indic and Persian digits ("٣ ديسمبر ٢٠٢٥"), read as the ASCII ones: one character
# for one, so a match's offsets stay those of the text.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
_OTHER_DIGIT = re.compile("[٠-٩۰-۹]")


# A date's start and end in the text, its value, its kind and the numbers and names read.
_Found = tuple[int, int, str, str, tuple[str | None, ...]]


def _first_date(text: str, month_first: bool) -> _Found | None:
    if not text.isascii() and _OTHER_DIGIT.search(text):
        text = text.translate(_DIGITS)
    if "19" not in text and "20" not in text and (text.isascii() or ("13" not in text and "14" not in text)):
        return None  # every pattern holds a year: spare the nine searches
    best: _Found | None = None
    for pattern, kind, needs in _PATTERNS:
        if needs not in text:
            continue
        match = pattern.search(text)
        if match is None or (best is not None and match.start() >= best[0]):
            continue
        groups = match.groups()
        value = _to_iso(groups, kind, month_first)
        if value:
            best = (match.start(), match.end(), value, kind, groups)
    return best


def _month_number(name: str) -> int:
    number = _MONTH_OF.get(name.lower())
    if number is None:
        # re.I matched a case form that lower() does not map back: "ARALIK" is "aralık"
        # (Turkish dotless i), whose upper case is a plain "I".
        number = next(n for month, n in _MONTH_OF.items() if re.fullmatch(re.escape(month), name, re.I))
    return number


def _to_iso(groups: tuple[str | None, ...], kind: str, month_first: bool) -> str | None:
    parts = [g or "" for g in groups]
    if kind == "ymd":
        year, month, day = parts
    elif kind == "mdy-name":
        name, day, year = parts
        month = str(_month_number(name))
    elif kind == "ymd-name":
        year, name, day = parts
        month = str(_month_number(name))
    elif kind == "dmy-name":
        day, name, year = parts
        month = str(_month_number(name))
    elif kind == "dmy":
        day, month, year = parts
    elif kind == "jalali":
        return _from_jalali(int(parts[2]), _JALALI_MONTHS.index(parts[1]) + 1, int(parts[0]))
    else:
        first, second, year = parts
        if int(first) > 12 or (not month_first and int(second) <= 12):
            day, month = first, second
        else:
            month, day = first, second
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def _from_jalali(year: int, month: int, day: int) -> str | None:
    """A Solar Hijri date as the Gregorian YYYY-MM-DD (the 33-year leap cycle's arithmetic)."""
    if not 1 <= day <= (31 if month <= 6 else 30):
        return None
    year += 1595
    days = (
        365 * year + year // 33 * 8 + (year % 33 + 3) // 4 + day
        + ((month - 1) * 31 if month <= 6 else (month - 7) * 30 + 186)
    )
    return date.fromordinal(days - 356033).isoformat()
