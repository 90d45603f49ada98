"""Who wrote the article: names from JSON-LD, meta tags and the byline the page shows."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from archive.extraction.page import Page, text_of
from archive.extraction.shown import ShownByline, ShownDate, names_beside_dates

_WS = re.compile(r"\s+")
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\b,?"
_DATE = (
    rf"(?:{_WEEKDAY}\s*)?(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?(?:\s+\d{{4}})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\.?\s+{_MONTH},?\s+\d{{4}}|\d{{4}}-\d\d-\d\d\S*"
    rf"|\d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}})"
)
# Leading labels and dates before the names: "Updated Jan 8, 2026 Written by", "Dec 17, 2025".
_LEADING_NOISE = re.compile(
    rf"^(?:(?:{_DATE}|(?:last|updated|published|posted|on|at)\b|[:,|•·-])\s*)+(?=\S)", re.I
)
_BYLINE_PREFIX = re.compile(
    r"^(?:[\w-]+\s+){0,4}?(?:by|von|par|por|di|door|av|af|przez|oleh)\s*:?\s+"
    r"|^(?:authors?|contributors?|autor(?:in|innen|en|es|as|a|zy|i)?|auteurs?|autore|автор[ыа]?|text|texte"
    r"|texto|yazar|yazan|muhabir"
    r"|كتب|نویسنده)\s*:?\s+"
    r"|^(?:بقلم|מאת|作者|记者|記者)\s*[:：]?\s*",
    re.I,
)
# The word for reporter after the name: "김민수 기자", "山田太郎記者".
_REPORTER_SUFFIX = re.compile(r"\s*(?:기자|記者|记者|특파원|特派員)$")
# A Chinese byline writes names of two to four Han characters side by side: "张伟 李娜".
_HAN_NAMES = re.compile(r"[\u4e00-\u9fff]{2,4}(?:\s+[\u4e00-\u9fff]{2,4})+")
_INNER_BY = re.compile(
    r"(?:^|[\s—–|•·,])(?:written by|posted by|by|von|par|por|door|av|przez)\s*:?\s+"
    r"(?=(?-i:[A-ZÀ-ÞА-Я]))"
    # "2025年12月03日 09:30 来源：例子网 记者 张伟": the label in a line of source and date.
    r"|(?:^|\s)(?:作者|记者|記者)\s*[:：]?\s*",
    re.I,
)
# A label that says the value beside it is the author: "Written by", "Author", "Autor:".
_AUTHOR_LABEL = re.compile(
    r"^(?:(?:written|posted|article|story|text|words)\s+)?by\s*:?$|^(?:authors?|autor(?:in|es|a)?|auteur|autore)\s*:?$",
    re.I,
)
_NAME_SPLIT = re.compile(
    r"\s*(,|;|&|、|，|\band\b|\bund\b|\bet\b|\by\b|\bи\b|\bog\b|\ben\b|\be\b|\bi\b|\bve\b|\bта\b|\bі\b)\s*"
)
# A news agency or desk credited after the names: "By Jane Doe, Associated Press".
_AGENCY = re.compile(r"\b(?:press|news|agency|agence|agentur|agencia|agenzia|newswire|wire)$", re.I)
# Wire services known by their initials, which a degree's shape would let through ("By Jane
# Doe, AFP" is the agency's copy, "Jane Doe, MD" a physician).
_AGENCY_INITIALS = frozenset(
    {"AP", "AFP", "DPA", "EFE", "ANSA", "UPI", "TASS", "RIA", "PA", "AAP", "CP", "PTI", "ANI",
     "IANS", "KNA", "APA", "ATS", "SDA", "PAP", "MTI", "CTK", "BTA", "AA", "IRNA", "KUNA",
     "WAM", "SPA", "QNA", "CNA", "VNA", "PNA", "CNN", "BBC", "NPR"}
)
_DEGREE_SHAPE = re.compile(r"(?:[A-Z][A-Za-z]?\.?){1,4}|(?:Ph|Ed|Pharm|Psy)\.?\s?D\.?|Esq\.?")
_NOT_NAME = re.compile(r"\d|@|https?:|www\.|\.com\b|[|•·/\\{}<>=#:]", re.I)
# Where the names end: a separator, a date, a reading time, a label, a place ("in Science").
_BYLINE_END = re.compile(
    rf"\s(?:[|•·]|-|–|—)\s|\s(?:on|le|am|el|il)\s+(?:{_WEEKDAY}|{_MONTH}|\d)|\s+(?:in|at)\s+(?-i:[A-Z])"
    r"|\s\S+@\S+"  # the author's e-mail address after the name
    r"|\s(?:编辑|編輯|责任编辑|責任編輯|来源|來源)\s*[:：]"  # "张伟 编辑：李娜": the editor's credit
    # "Par Claire Dubois avec AFP", "Von Anna Schneider mit Material von dpa": the credit
    # that follows the names. (English "with" joins two names: see _LONG_PARTICLES.)
    r"|\s(?:avec|mit|con|com|met)\s"
    r"|\bupdated\b|\bpublished\b|\bposted\b|\blast\b|\bmin(?:ute)?s?\b|\bread\b|\breviewed\b"
    r"|\bedited\b|\bfact[- ]checked\b|\bon behalf of\b|\b(?:19|20)\d\d\b|\b\d{1,2}[./]\d{1,2}\b"
    rf"|{_DATE}",
    re.I,
)
# Job titles printed after a name; they are not names.
_ROLE = re.compile(
    r"\b(?:senior|chief|head|lead|managing|contributing|associate|deputy|executive|"
    r"editor|writer|reporter|correspondent|columnist|contributor|journalist|"
    r"expert|specialist|analyst|director|manager|founder|co-founder|ceo|cto|president|"
    r"officer|consultant|attorney|lawyer|professor|researcher|scientist|strategist|"
    r"photographer|producer|intern|coordinator|designer|developer|engineer|advis[eo]r|"
    r"coach|nutritionist|dietitian|physician|nurse|therapist|"
    r"redakteur(?:in)?|rédact(?:eur|rice)|journaliste|periodista|redattore|корреспондент)\b",
    re.I,
)
# A job title in brackets ("Lance Ryan (Content Manager)"), or a bracket left open where
# the byline was cut. Other brackets are the name's: "Paramita (Guha) Ghosh".
_ASIDE = re.compile(r"\s*\((?:[^()]*\)|[^()]*$)")
# Long lower-case words are not in names ("Personal finance"); particles are short
# ("van", "de", "bin") but for these, and "with" joins two names.
_LONG_PARTICLES = frozenset({"della", "delle", "degli", "dello", "with"})
# What templates print when the author field is empty.
# Words a byline slot holds when it names nobody: CMS defaults, the day printed beside it,
# the share buttons after it. ("Staff" stays: reviewed bylines keep it as the author.)
_PLACEHOLDER_NAMES = frozenset(
    {"undefined", "null", "none", "unknown", "admin", "administrator", "webmaster",
     "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
     "facebook", "twitter", "instagram", "linkedin", "youtube", "tiktok", "whatsapp", "pinterest",
     "email", "share", "print"}
)
# A company's legal form ends an organisation's name: "Kneib Dentistry PC", "Acme Inc".
_LEGAL_FORM = re.compile(r"\s(?:inc|llc|ltd|gmbh|corp|corporation|pc|pllc|plc)\.?$", re.I)
_ORGANISATION_TYPES = ("organization", "newsmediaorganization", "corporation", "ngo")
_BESIDE_HEADLINE = 40
_NEAR_HEADLINE = 300


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def split_names(raw: str) -> list[str]:
    """Names in a byline string: labels, dates, roles and reading times cut, one name per entry."""
    raw = _WS.sub(" ", unescape(raw)).strip()
    inner = _INNER_BY.search(raw[:80])
    if inner is not None:
        # "2. März 2024 — Von Katrin Vogel": the names follow the "by" word.
        raw = raw[inner.end():]
    raw = _LEADING_NOISE.sub("", raw)
    if inner is None:
        # (After an inner "by", another "by" in the rest is a credit's: "Von Anna Schneider
        # mit Material von dpa" is not by dpa.)
        raw = _BYLINE_PREFIX.sub("", raw)
    end = _BYLINE_END.search(raw)
    if end is not None:
        raw = raw[: end.start()]
    raw = _ASIDE.sub(_job_title_aside, raw)
    names: list[str] = []
    for after_comma, part in _split_parts(raw):
        part = _BYLINE_PREFIX.sub("", part.strip(" .|-–—:")).strip(" .|-–—:")
        if not part:
            continue
        if after_comma and names and _postnominal(part):
            names[-1] += f", {part}"  # "Jane Doe, MD, MPH": her degrees, part of her name
            continue
        if after_comma and names and " " in names[0] and (" " not in part or _AGENCY.search(part)):
            # "By Jane Doe, Reuters", "Von Anna Schneider, Berlin": after a full name, one
            # word (or an agency's name) past a comma is where it was written or whose wire
            # it came from, not a second author.
            break
        part = _REPORTER_SUFFIX.sub("", part)
        role = _ROLE.search(part)
        # "SFist Contributor", "Community Editor": one word and a job title are a desk's pen
        # name, kept whole.
        pen_name = not names and len(part.split()) == 2 and role is not None and role.start() > 0
        if role is not None and not pen_name:
            # "Keith Barry Senior Autos Reporter": keep the name before the job title.
            part = part[: role.start()].strip(" ,.-")
            if len(part.split()) < 2:
                if names:
                    # "Jane Doe, Senior Director, Content & Marketing, Acme Institute": after
                    # the name's job title come its department and employer, not more names.
                    break
                continue
        if _lower_case_words(part) or (names and not names[0].islower() and _lower_case_phrase(part)):
            continue
        if not part or _NOT_NAME.search(part) or len(part.split()) > 5 or len(part) < 2:
            continue
        if part.lower() in _PLACEHOLDER_NAMES:
            continue
        if _BYLINE_PREFIX.match(part + " x") and len(part.split()) <= 2:
            continue  # a label alone ("By", "Written by"): the name is in the next element
        names.append(_without_initials(part))
    return names


def _postnominal(part: str) -> bool:
    """A degree or certification printed after a name: "MD", "Ph.D.", "RD", "CFP®", "MSc"."""
    bare = part.rstrip("®*†™ ")
    return (
        bool(_DEGREE_SHAPE.fullmatch(bare))
        and sum(c.isalpha() for c in bare) <= 5  # "REUTERS" is no degree
        and sum(c.isupper() for c in bare) >= 2 - bare.startswith(("Esq", "Ph", "Ed", "Pharm", "Psy"))
        and bare.replace(".", "").upper() not in _AGENCY_INITIALS
    )


def _split_parts(raw: str) -> list[tuple[bool, str]]:
    """The byline cut where one name ends and the next begins; each part says whether a
    comma came before it."""
    pieces = _NAME_SPLIT.split(raw)  # part, separator, part, separator, ..., part
    parts: list[tuple[bool, str]] = []
    for n in range(0, len(pieces), 2):
        after_comma = n > 0 and pieces[n - 1] in (",", "，")
        part = pieces[n]
        parts.extend((after_comma, p) for p in
                     (part.split() if _HAN_NAMES.fullmatch(part.strip()) else [part]))
    return parts


def _without_initials(name: str) -> str:
    """ "CM Craig McCarthy" -> "Craig McCarthy": the avatar's initials printed before the name."""
    first, _, rest = name.partition(" ")
    initials = "".join(w[0] for w in rest.split() if w[:1].isupper())
    return rest if len(first) > 1 and first.isupper() and first == initials else name


def _job_title_aside(aside: re.Match[str]) -> str:
    closed = aside.group().endswith(")")
    return "" if not closed or _ROLE.search(aside.group()) else aside.group()


def _lower_case_phrase(part: str) -> bool:
    # What follows a name after a comma and opens with a long lower-case word is its role
    # or whereabouts: "envoyée spéciale à Kiev", "inviata a Genova", "enviado especial".
    first = part.split(" ", 1)[0]
    return len(first) > 3 and first.isalpha() and first.islower()


def _lower_case_words(part: str) -> bool:
    # "Personal finance"; a name all in lower case ("jane doe") is still a name.
    words = part.split()
    return len(words) > 1 and words[0][:1].isupper() and any(
        len(w) > 3 and w.isalpha() and w.islower() and w not in _LONG_PARTICLES for w in words[1:]
    )


def _ld_people(value: Any, nodes: dict[str, dict[str, Any]]) -> list[str]:
    """The people an author value names; an Organization is the publisher, not a byline."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, str):
            names.extend(split_names(item))
        elif isinstance(item, dict):
            if "name" not in item and isinstance(item.get("@id"), str) and item["@id"] in nodes:
                # {"@id": ".../#author"}: the Person is stated once elsewhere in the graph.
                item = nodes[item["@id"]]
            kind = item.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            is_org = any(isinstance(k, str) and k.lower() in _ORGANISATION_TYPES for k in kinds)
            name = item.get("name")
            if not is_org and isinstance(name, str):
                names.extend(split_names(name))
    return [name for name in names if not _LEGAL_FORM.search(name)]


def _looks_like_login(name: str) -> bool:
    # "andrew.keaveney", "kffnirmitap": CMS account names, not the byline's name
    return " " not in name and (name.islower() or "." in name or "_" in name)


def _ld_nodes(page: Page) -> dict[str, dict[str, Any]]:
    return {obj["@id"]: obj for obj in page.json_ld if isinstance(obj.get("@id"), str) and "name" in obj}


def _structured_names(page: Page) -> list[str]:
    nodes = _ld_nodes(page)
    for obj in page.ld_articles():
        # The first article that names people is the page's; more are teasers of other articles.
        names = _ld_people(obj.get("author"), nodes)
        if names:
            return names
    names = []
    for key in ("author", "article:author", "parsely-author", "sailthru.author",
                "dc.creator", "dcterms.creator", "citation_author", "byl"):
        for raw in page.meta.get(key, ()):
            if not raw.startswith("http"):
                names.extend(n for n in split_names(raw) if not _LEGAL_FORM.search(n))
        if names:
            return names
    return _labelled_meta_names(page)


def _labelled_meta_names(page: Page) -> list[str]:
    """twitter:label1 "Written by" with twitter:data1 "Jane Doe": the pair names the author."""
    for number in range(1, 5):
        label = page.meta_first(f"twitter:label{number}") or ""
        data = page.meta_first(f"twitter:data{number}")
        if data and _AUTHOR_LABEL.match(label.strip()):
            return split_names(data)
    return []


def _shown_names(
    bylines: list[ShownByline], limit: int | None = _NEAR_HEADLINE
) -> tuple[list[str], int, bool]:
    for byline in bylines:
        if limit is not None and byline.distance > limit:
            break
        names = [n for linked in byline.linked_names for n in split_names(linked)]
        names = names or split_names(byline.text)
        if names:
            return names, byline.distance, byline.labelled
    return [], _NEAR_HEADLINE + 1, False


def _same_people(names: list[str], others: list[str]) -> bool:
    """Whether two lists share a name, one spelling containing the other ("Jane Doe MD")."""
    normed = [_norm(n) for n in others]
    return any(a in b or b in a for a in map(_norm, names) for b in normed if a and b)


# No byline names more people than this: a hostile page's thousands stay out of the index.
MAX_AUTHORS = 50


def find_authors(
    page: Page, sitename: str | None, bylines: list[ShownByline], dates: list[ShownDate]
) -> list[str]:
    """Author names; the structured statement first, the printed byline when it is better."""
    site = _norm(sitename or "")
    structured = _structured_names(page)
    shown, shown_distance, labelled = _shown_names(bylines)
    if not shown:
        shown, shown_distance, labelled = _shown_names(names_beside_dates(dates, _BESIDE_HEADLINE))
    beside = shown_distance <= _BESIDE_HEADLINE
    # The site's own name or a CMS login in the author field is not a byline.
    weak = not structured or all(
        _looks_like_login(n) or (site and _norm(n) == site) for n in structured
    )
    # Nor is the account that posted the article when the page prints "By" others, by their
    # full names, beside the headline.
    overruled = (
        beside and labelled and all(" " in n for n in shown) and not _same_people(shown, structured)
    )
    if structured and not ((weak or overruled) and shown):
        names = structured
    elif shown and (beside or not structured):
        names = shown
    else:
        names = structured or shown
    if not names:
        # Nothing beside the headline: a byline that says it is one ("By Jane Doe",
        # "Authors: ...") further down, where an article's footer prints it. One word
        # there is more often a filter ("By Category") than a name.
        names, _, _ = _shown_names([b for b in bylines if b.labelled], limit=None)
        if not all(" " in name for name in names):
            names = []
    if not names:
        for el in page.tree.xpath('//*[@rel="author"]'):
            names = split_names(text_of(el))
            if names:
                break
    return list(dict.fromkeys(names))[:MAX_AUTHORS]  # `not in` a list was quadratic
