"""trafilatura 2.3.1's extraction sequence, run for our options without the work it wastes on our trees.

`run_trafilatura(tree, url, ...)` returns what `bare_extraction(tree, options=...).text`
(stripped) returns for the options of `extraction_options`, and costs about a third less:
on 793 real pages extract_text went from 15.0 to 10.7 ms a page, extract_article from
35.0 to 28.4 (interleaved A/B, same output on every page). What it leaves out:
- bare_extraction deep-copies the tree, and its raw-tree prunes call back into Python for
  every element; they run here only when an id or class could match them (39 of 793 pages),
  and so do the teaser and caption prunes (their contains() tests cost 0.4 ms a fast pass);
- the fast pass's backup copy, which only the external comparison reads, and the copy for
  the wild-text recovery, rebuilt only on the few pages where it runs;
- OVERALL_DISCARD_XPATH and BODY_XPATH[0], whose re:test predicates call into Python for
  every element, are the same tests in Python on a tag-filtered walk, each distinct id or
  class tested once (trafilatura_xpaths.py);
- a second link-density round that would see the tree its first round left untouched;
- in the recall pass, the main extraction a whole-page pass's recall retry already made;
- in the external comparison (readability, jusText) and html2txt, the work trafilatura_fallback.py
  describes (jusText's calls went from 30 to 4.5 ms, html2txt's from 4.9 to 1.7).
One change on purpose: the baseline rescue weighs Han and kana as the words they are
(see stage 3 in _sequence).
(The teaser and caption gates, the walks, the skipped round and the shared retry took
run_trafilatura from 8.69 to 7.55 ms a page on 265 dev pages; interleaved A/B.)

This is trafilatura's code (Apache-2.0) restated, so it is tied to the pinned version:
tests/test_extract_trafilatura_pass.py compares it with bare_extraction on the test pages,
and fails if an upgrade changes what trafilatura does.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from copy import copy
from typing import NamedTuple

from lxml import etree
from lxml import html as lxml_html
from trafilatura.baseline import baseline
from trafilatura.core import (
    ESCALATION_ACCEPT_RATIO,
    ESCALATION_JUSTEXT_RATIO,
    ESCALATION_MAX_LENGTH,
    ESCALATION_PAGE_SHARE,
    _forum_thread_page,
)
from trafilatura.htmlprocessing import (
    convert_tags,
    link_density_test_tables,
    process_node,
    prune_unwanted_nodes,
)
from trafilatura.main_extractor import (
    CODES_QUOTES,
    NOT_AT_THE_END,
    REBUILT_BLOCKS,
    _elem_text,
    handle_textelem,
    recover_wild_text,
)
from trafilatura.settings import (
    INLINE_CONSUMING,
    INLINE_FORMATTABLE,
    MIN_DUPLICATE_LENGTH,
    TAG_CATALOG,
    Extractor,
)
from trafilatura.utils import SPACING_PROTECTED, text_chars_test
from trafilatura.xml import delete_element
from trafilatura.xpaths import (
    BODY_XPATH,
    DISCARD_IMAGE_ELEMENTS,
    RAW_TREE_PRUNE_XPATH,
    REMOVE_COMMENTS_AND_LISTS_XPATH,
    TEASER_DISCARD_XPATH,
)

from archive.extraction.textfix import unspaced_chars
from archive.extraction.trafilatura_fallback import (
    compare_extraction,
    html2txt,
    justext_rescue,
    may_hold_cookie_banner,
)
from archive.extraction.trafilatura_main import (
    delete_by_link_density,
    plain_copy,
    prune_discarded,
    tree_cleaning,
    xmltotxt,
)
from archive.extraction.trafilatura_xpaths import article_frame

# Built once: an Extractor reads its numbers from a ConfigParser, 0.1 ms each time. Each
# page gets a shallow copy, so the copies share the mutable fields (date_params with the
# worker's start date as max_date, the author and URL blacklists): nothing reads them
# with metadata off, which is why this is safe. Turning metadata on needs fresh ones.
_OPTIONS = {
    (recall, fast): Extractor(
        output_format="python", comments=False, tables=True, dedup=False, with_metadata=False,
        recall=recall, fast=fast,
    )
    for recall in (False, True)
    for fast in (False, True)
}


def extraction_options(url: str, *, recall: bool = False, fast: bool = False) -> Extractor:
    # One options object per page; dedup stays off: trafilatura's dedup cache is
    # process-wide, so results would depend on what the worker extracted before.
    options = copy(_OPTIONS[recall, fast])
    options.url = url
    options.source = url.encode("utf-8", "replace").decode("utf-8")  # as Extractor(url=url) sets it
    return options


# Every id and every class on the page, read in C as plain strings (two expressions: their
# union costs a sort into document order, which no gate reads).
_IDS = etree.XPath("//@id", smart_strings=False)
_CLASSES = etree.XPath("//@class", smart_strings=False)
# What an id or class must contain for trafilatura's raw-tree prunes (RAW_TREE_PRUNE_XPATH,
# REMOVE_COMMENTS_AND_LISTS_XPATH) to match: "[Cc]omment", "comol", "disqus_thread",
# "dsq-comments", "mvp-post-add-(box|wrap)", "infinite-?scroll", "elementor-share-buttons".
_PRUNE_HOOKS = ("omment", "comol", "disqus_thread", "dsq-comments", "mvp-post-add-", "infinite",
                "elementor-share-buttons")
# ... for TEASER_DISCARD_XPATH ("teaser" once its T is lowered) and DISCARD_IMAGE_ELEMENTS ("caption").
_TEASER_HOOK, _CAPTION_HOOK = "easer", "caption"
# Attribute values holding every hook: every gated XPath runs (the tests compare both ways);
# "cookiebot" is a cookie banner for basic_cleaning.
EVERY_HOOK = "\n".join([*_PRUNE_HOOKS, _TEASER_HOOK, _CAPTION_HOOK, "cookiebot"])


def page_attributes(tree: lxml_html.HtmlElement) -> str:
    """Every id and class value in `tree`, one a line: what run_trafilatura's gates read."""
    return "\n".join([*_IDS(tree), *_CLASSES(tree)])


class _Gates(NamedTuple):
    """Which of trafilatura's id and class XPaths can match anything on the page.

    Their predicates cost a Python callback (the raw-tree prunes, 1.6 ms a pass) or a
    contains() per element of each tree they are given (the teaser and caption prunes,
    0.4 ms a fast pass), and on most pages no id or class comes near them: the raw-tree
    prunes match nothing on 756 of 793 dev pages. trafilatura only removes attributes
    from the page, so a page's values hold those of every tree made from it.
    """

    prune: bool
    teasers: bool
    captions: bool
    attributes: str

    @classmethod
    def of(cls, attributes: str) -> _Gates:
        return cls(any(hook in attributes for hook in _PRUNE_HOOKS), _TEASER_HOOK in attributes,
                   _CAPTION_HOOK in attributes, attributes)

    @property
    def cookies(self) -> bool:
        """basic_cleaning's cookie-banner test (trafilatura_fallback.clean_basically): read
        only where basic_cleaning runs (0.1 ms, on 1 pass in 6)."""
        return may_hold_cookie_banner(self.attributes)


class _Made(NamedTuple):
    """A main extraction in recall mode (stages 1-2) and the page tree it was made from."""

    tree: lxml_html.HtmlElement
    body: etree._Element
    text: str


# What one pass made that another on the same page can take as it is (see _sequence).
SharedWork = dict[bool, _Made]


def run_trafilatura(
    tree: lxml_html.HtmlElement,
    url: str,
    *,
    recall: bool = False,
    fast: bool = False,
    attributes: str | None = None,
    shared: SharedWork | None = None,
) -> str:
    """bare_extraction(tree, options=extraction_options(...)).text, stripped, for our options.

    trafilatura_sequence inlined for comments off (the only branches we reach), less the
    work it would waste on our trees: the copy bare_extraction makes for prunes that
    match nothing (the tree is only read after them), the XPaths that cannot match
    (`attributes`: page_attributes of `tree`, read here if None; tests pass EVERY_HOOK),
    and in the fast pass the pre-conversion backup only the external comparison reads.

    `shared`, one dict given to the passes on the same tree, unchanged in between: the
    recall retry of a balanced pass is the recall pass's main extraction, kept there for it.
    """
    options = extraction_options(url, recall=recall, fast=fast)
    gates = _Gates.of(page_attributes(tree) if attributes is None else attributes)
    try:
        body, text = _sequence(tree, options, gates, {} if shared is None else shared)
    except (TypeError, ValueError):  # bare_extraction discards the page on these
        return ""
    if len(text) < options.min_output_size and options.min_output_comm_size > 0:
        return ""  # no comments are extracted: too short
    return xmltotxt(body).strip()  # formatting is off


def _sequence(
    tree: lxml_html.HtmlElement, options: Extractor, gates: _Gates, shared: SharedWork
) -> tuple[etree._Element, str]:
    """trafilatura.core.trafilatura_sequence (2.3.1), comments off and never in precision mode.

    The main text's body and its plain text; `tree` is left as it is. `shared` holds the
    main extraction in recall mode once a recall retry made it, by options.fast (the
    options are then the same: Extractor(recall=True) differs in its focus only); what
    is taken from it is only read (xmltotxt copies what it would change).
    """
    page = tree
    made = shared.get(options.fast)
    # Readability's summaries of `tree`, which nothing below changes: the recall retry's
    # comparison takes the main extraction's (19 of 88 runs on the dev pages, ~0.25 ms a page).
    summaries: dict[etree._Element, str] = {}
    is_forum = _forum_thread_page(tree)
    if gates.prune:
        tree = prune_unwanted_nodes(copy(tree), RAW_TREE_PRUNE_XPATH)
        if not is_forum:
            tree = prune_unwanted_nodes(tree, REMOVE_COMMENTS_AND_LISTS_XPATH)
    if options.focus == "recall" and made is not None and made.tree is page:
        body, text = made.body, made.text
    else:
        body, text = _extract_and_compare(tree, options, gates, summaries)
    # 3. Baseline rescue on the uncleaned tree, kept only if it adds text. (Not trafilatura's
    # test: its size limit counts characters as an alphabet writes them, and a Chinese or
    # Japanese story of several paragraphs under 250 characters became the baseline's one
    # line of the whole <article>, headline, dateline and related links included.)
    if len(text) + 2 * unspaced_chars(text) < options.min_extracted_size:
        b_body, b_text, b_len = baseline(tree)
        if b_len > len(text):
            body, text = b_body, b_text
    # 4. Recall escalation of a short text covering little of the page.
    if (
        options.focus == "balanced"
        and 0 < len(text) < ESCALATION_MAX_LENGTH
        and len(text) < ESCALATION_PAGE_SHARE * len(html2txt(tree, gates.cookies))
    ):
        r_options = copy(options)
        r_options.focus = "recall"
        r_text = j_text = ""
        with suppress(Exception):  # as trafilatura: a failed candidate is no candidate
            # trafilatura's _recall_retry
            r_body, r_text = _extract_and_compare(tree, r_options, gates, summaries)
            shared[options.fast] = _Made(page, r_body, r_text)
        if not options.fast:
            with suppress(Exception):
                j_body, j_text = justext_rescue(copy(tree), options, gates.cookies)
        if len(j_text) > len(r_text) and len(j_text) > ESCALATION_JUSTEXT_RATIO * len(text):
            body, text = j_body, j_text
        elif len(r_text) >= options.min_extracted_size and len(r_text) > ESCALATION_ACCEPT_RATIO * len(text):
            body, text = r_body, r_text
    return body, text


def _extract_and_compare(
    tree: lxml_html.HtmlElement, options: Extractor, gates: _Gates,
    summaries: dict[etree._Element, str] | None = None,
) -> tuple[etree._Element, str]:
    """Stages 1-2: the main extractor, then the external comparison unless in fast mode."""
    cleaned = _cleaned(tree, options)
    body, text = _extract_content(cleaned, options, gates, lambda: _cleaned(tree, options))
    if not options.fast:
        # The cleaned tree before conversion, which trafilatura copies for the comparison,
        # is read by jusText only: made again on the few pages where it runs.
        body, text = compare_extraction(
            tree, lambda: tree_cleaning(copy(tree), options), body, text, options, gates.cookies,
            summaries,
        )
    return body, text


_FRAMES = [article_frame, *BODY_XPATH[1:]]
# The tags handle_textelem does anything with: it discards the others ("done" among them:
# two in five of those it is given) without changing them, and so do REBUILT_BLOCKS' tail
# rule and the rest of _extract_main's loop.
_HANDLED = frozenset({"list", *CODES_QUOTES, "head", "p", "lb", *INLINE_CONSUMING, "table", "graphic", "div"})
assert REBUILT_BLOCKS <= _HANDLED


# The rest is trafilatura 2.3.1's main extractor (main_extractor.extract_content, _extract,
# prune_unwanted_sections) as it runs with our options (never precision, no images or
# links), calling prune_discarded instead of pruning with OVERALL_DISCARD_XPATH.


def _prune_sections(
    tree: etree._Element, potential_tags: set[str], options: Extractor, gates: _Gates
) -> etree._Element:
    """prune_unwanted_sections: rule-based deletion of targeted document sections."""
    tree = prune_discarded(tree)
    if "graphic" not in potential_tags and gates.captions:
        tree = prune_unwanted_nodes(tree, DISCARD_IMAGE_ELEMENTS)
    if options.focus != "recall" and gates.teasers:
        tree = prune_unwanted_nodes(tree, TEASER_DISCARD_XPATH)
    # Two rounds over divs, lists and paragraphs. A call of the second round sees the tree
    # its twin of the first round saw when nothing was deleted since: it deletes nothing.
    removed: list[bool] = []
    for call, tagname in enumerate(("div", "list", "p") * 2):
        if call >= 3 and not any(removed[call - 3:]):
            removed.append(False)
            continue
        removed.append(delete_by_link_density(tree, tagname, backtracking=tagname == "div"))
    if "table" in potential_tags:
        # collected before deleting: removing a table mid-iteration can skip the next one
        boilerplate_tables = [elem for elem in tree.iter("table") if link_density_test_tables(elem) is True]
        for elem in boilerplate_tables:
            delete_element(elem, keep_tail=False)
    etree.strip_tags(tree, "span", *(() if "ref" in potential_tags else ("ref",)))
    return tree


def _extract_main(
    tree: etree._Element, options: Extractor, gates: _Gates
) -> tuple[etree._Element, str, set[str]]:
    """_extract: the first content frame BODY_XPATH finds that yields text, converted."""
    potential_tags = set(TAG_CATALOG)
    if options.tables is True:
        potential_tags.update(["table", "td", "th", "tr"])
    result_body = etree.Element("body")
    for expr in _FRAMES:
        subtree = next((s for s in expr(tree) if s is not None), None)
        if subtree is None:
            continue
        subtree = _prune_sections(subtree, potential_tags, options, gates)
        if len(subtree) == 0:
            continue
        ptest = subtree.xpath("//p//text()")
        if not ptest or len("".join(ptest)) < options.min_extracted_size * 3:
            potential_tags.add("div")
        subelems = subtree.xpath(".//*")
        tags = {e.tag for e in subelems}
        inline = tags <= INLINE_FORMATTABLE | {"lb"}
        if tags == {"lb"} or (subtree.tag == "div" and "div" in potential_tags and inline):
            subelems = [subtree]
        lead, start = None, len(result_body)
        divs = "div" in potential_tags
        if subelems != [subtree] and text_chars_test(subtree.text):
            lead = etree.Element("p")
            lead.text = subtree.text
            lead = process_node(lead, options)
        for elem in subelems:
            tag = elem.tag
            if tag not in _HANDLED or (tag == "div" and not divs and "w3-code" not in elem.get("class", "")):
                continue  # handle_textelem would discard it untouched
            # an element already moved into result_body with its parent is not emitted twice
            if elem.getroottree().getroot() is result_body:
                continue
            tail = elem.tail
            processed_elem = handle_textelem(elem, potential_tags, options)
            if processed_elem is not None:
                result_body.append(processed_elem)
                if elem.getroottree().getroot() is not result_body:
                    elem.tag = "done"
            left_behind = processed_elem is None or processed_elem.tail is None
            if tag in REBUILT_BLOCKS and text_chars_test(tail) and left_behind:
                tail_elem = etree.Element("p")
                tail_elem.text = tail
                if process_node(tail_elem, options) is not None:
                    result_body.append(tail_elem)
        while len(result_body) > 0 and (result_body[-1].tag in NOT_AT_THE_END):
            delete_element(result_body[-1], keep_tail=False)
        if sum(e.tag != "graphic" for e in result_body) > 1:
            if lead is not None:
                result_body.insert(start, lead)
            break
    temp_text = " ".join(result_body.itertext()).strip()
    return result_body, temp_text, potential_tags


def _cleaned(tree: lxml_html.HtmlElement, options: Extractor) -> lxml_html.HtmlElement:
    """The tree the main extractor starts from: cleaned and converted, as often as asked the same."""
    return convert_tags(tree_cleaning(plain_copy(tree, hollow_head=True), options), options, options.url)


def _extract_content(
    cleaned_tree: etree._Element, options: Extractor, gates: _Gates, clean_again: Callable[[], etree._Element]
) -> tuple[etree._Element, str]:
    """extract_content: the main frame's text, else the wild text recovered around it.

    trafilatura deep-copies the cleaned tree first for the recovery, which runs on few
    pages; `clean_again` rebuilds that same tree when it does.
    """
    order = list(cleaned_tree.iter())
    result_body, temp_text, potential_tags = _extract_main(cleaned_tree, options, gates)
    if len(result_body) == 0 or len(temp_text) < options.min_extracted_size:
        backup_tree = clean_again()
        try:
            pairs = zip(order, backup_tree.iter(), strict=True)
            consumed = {twin for elem, twin in pairs if elem.tag == "done"}
        except ValueError as exc:
            # Not a ValueError: run_trafilatura turns those into an empty text, as trafilatura
            # does; this is our restatement gone wrong and must show as an extraction error.
            raise RuntimeError("trafilatura's recovery tree differs from the extracted one") from exc
        result_body = recover_wild_text(backup_tree, result_body, options, potential_tags, consumed)
        temp_text = " ".join(result_body.itertext()).strip()
    previous = None
    for el in list(result_body):
        current = _elem_text(el)
        if current and current == previous and len(current) > MIN_DUPLICATE_LENGTH:
            delete_element(el, keep_tail=False)
        else:
            previous = current
    etree.strip_elements(result_body, "done")
    etree.strip_tags(result_body, "div")
    for linebreak in result_body.iter("lb"):
        if (
            linebreak.tail
            and not text_chars_test(linebreak.tail)
            and not any(anc.tag in SPACING_PROTECTED for anc in linebreak.iterancestors())
        ):
            linebreak.tail = None
    return result_body, temp_text
