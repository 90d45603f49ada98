"""Seeded generation of plausible English (and one Russian) news text for the demo site."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cache
from string import Formatter

SECTIONS: dict[str, str] = {
    "politics": "Politics",
    "business": "Business",
    "culture": "Culture",
    "science": "Science",
}

# Fictional places and organisations keep the site obviously synthetic but still read like news.
PLACES = [
    "Northbridge", "Valmora", "Eastport", "Larkhaven", "Corvin", "Stellmark", "Brisdale",
    "Port Aldren", "Kessing", "Marrowgate", "Halden", "Sorrento Bay",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "March", "April", "June", "September", "October", "November"]
FIRST_NAMES = [
    "Helena", "Marcus", "Ingrid", "Tobias", "Amara", "Viktor", "Lucia", "Owen", "Priya",
    "Rafael", "Greta", "Samuel", "Yara", "Dmitri", "Colette", "Henrik",
]
LAST_NAMES = [
    "Voss", "Adeyemi", "Carrow", "Lindgren", "Moreau", "Tanaka", "Halloway", "Serrano",
    "Kowalczyk", "Ferrante", "Okonjo", "Brandvold", "Quist", "Marchetti",
]


@dataclass(frozen=True)
class Vocabulary:
    """The slot fillers that give one section its subject matter."""

    actors: list[str]
    topics: list[str]
    orgs: list[str]
    roles: list[str]
    metrics: list[str]
    documents: list[str]
    tags: list[str]


VOCABULARY: dict[str, Vocabulary] = {
    "politics": Vocabulary(
        actors=["the prime minister", "opposition leaders", "the interior ministry",
                "regional governors", "the parliamentary speaker", "the finance committee"],
        topics=["the budget bill", "electoral reform", "the border agreement", "pension reform",
                "the coalition talks", "the new housing law", "the regional autonomy plan"],
        orgs=["the Electoral Commission", "the Constitutional Court", "the Ministry of Justice",
              "the Civic Forum party", "the Federal Audit Office"],
        roles=["a senior lawmaker", "a government spokesperson", "an opposition deputy",
               "a political analyst"],
        metrics=["voter turnout", "public approval of the cabinet", "the number of registered parties"],
        documents=["a revised draft", "a compromise proposal", "the final report"],
        tags=["Elections", "Parliament", "Government", "Diplomacy", "Reform"],
    ),
    "business": Vocabulary(
        actors=["the central bank", "shipping companies", "the largest retailers",
                "energy producers", "the trade ministry", "local manufacturers"],
        topics=["the interest rate decision", "the steel tariff", "the port expansion",
                "fuel prices", "the merger of the two carriers", "the new export rules"],
        orgs=["the Chamber of Commerce", "the Northbridge Stock Exchange", "the Statistics Bureau",
              "the Competition Authority", "the National Bank"],
        roles=["a senior economist", "a market strategist", "the company's chief executive",
               "an industry analyst"],
        metrics=["consumer spending", "industrial output", "the average mortgage rate",
                 "freight volumes"],
        documents=["a quarterly outlook", "a restructuring plan", "the annual accounts"],
        tags=["Economy", "Markets", "Energy", "Trade", "Banking"],
    ),
    "culture": Vocabulary(
        actors=["the national theatre", "independent publishers", "the city museum",
                "festival organisers", "the film academy", "the culture ministry"],
        topics=["the autumn film festival", "the restoration of the old opera house",
                "the new literature prize", "the touring jazz programme",
                "funding for public libraries", "the retrospective of modern painters"],
        orgs=["the Arts Council", "the Valmora Philharmonic", "the Heritage Foundation",
              "the Writers' Union", "the Museum of Modern Art"],
        roles=["a veteran critic", "the festival's artistic director", "a curator",
               "a theatre producer"],
        metrics=["ticket sales", "museum attendance", "the number of translated books"],
        documents=["a new programme", "a shortlist", "a ten-year strategy"],
        tags=["Film", "Theatre", "Books", "Music", "Museums"],
    ),
    "science": Vocabulary(
        actors=["researchers at the polytechnic", "the space agency", "a team of geologists",
                "the national observatory", "climate scientists", "the health institute"],
        topics=["the satellite launch", "the glacier survey", "the vaccine trial",
                "the fusion experiment", "the coral reef study", "the new particle detector"],
        orgs=["the Academy of Sciences", "the Institute of Oceanography", "the Marrowgate Observatory",
              "the Agency for Research Funding", "the Polar Research Centre"],
        roles=["a lead author of the study", "an astrophysicist", "a marine biologist",
               "the project's chief engineer"],
        metrics=["average sea temperatures", "the rate of glacier loss", "research funding"],
        documents=["a peer-reviewed paper", "a preliminary dataset", "an independent review"],
        tags=["Climate", "Space", "Health", "Research", "Oceans"],
    ),
}

SENTENCES = [
    "{Actor} said on {day} that {topic} would be decided within weeks.",
    "The announcement follows {n} months of negotiations in {place}.",
    "Officials in {place} estimate that {topic} could cost up to {money}.",
    "Critics argue that {topic} has been rushed and lacks public scrutiny.",
    "According to figures published by {org}, {metric} rose by {pct} percent last year.",
    "A spokesperson for {org} declined to comment on the details of {topic}.",
    "{Document} is expected from {actor} before the end of {month}.",
    "Supporters say {topic} will benefit residents of {place} and {place2} alike.",
    "The debate over {topic} has divided opinion since it was first raised in {month}.",
    "In {place}, several hundred people gathered on {day} to follow the discussion.",
    "{Org} warned that {metric} could fall sharply if no agreement is reached.",
    "It is the first time in {n} years that {topic} has drawn so much attention.",
    "Data released on {day} showed {metric} at the highest level since {year}.",
    "{Actor} rejected claims on {day} that {topic} had been agreed in advance.",
    "The plan was welcomed by {org}, which called it a long overdue step.",
    "Local media in {place} reported that {document} had already been circulated.",
    "Analysts cautioned that the effect of {topic} may not be visible until next year.",
    "{Actor} also pledged an additional {money} for programmes in {place}.",
    "Earlier this year, {org} published {document} that outlined similar goals.",
    "Residents interviewed in {place} were divided over what {topic} will mean for them.",
]
QUOTES = [
    "We cannot afford to wait another year for {topic}, and neither can the people of {place}",
    "This is a serious test for {org}, and the coming weeks will show whether it is ready",
    "Nobody expected {metric} to change this quickly, and we are still studying why",
    "The details of {topic} matter more than the headlines suggest",
    "Every delay on {topic} costs us credibility with the public",
]
SUBHEADINGS = [
    "What happens next", "Questions over {topic}", "Reaction in {place}",
    "A long road to agreement", "Numbers behind the decision", "Concerns from {org}",
]
TITLES = [
    "{Place} Moves Closer to Deal on {Topic}",
    "{Org} Raises Doubts Over {Topic}",
    "New Plan for {Topic} Unveiled in {Place}",
    "Row Over {Topic} Deepens in {Place}",
    "{Topic} Faces Fresh Delays, Officials Say",
    "{Place} Residents Weigh In on {Topic}",
    "What {Topic} Means for {Place}",
    "{Org} Backs {Topic} After Months of Debate",
]
DESCRIPTIONS = [
    "{Actor} insisted {topic} is on track, but critics in {place} are not convinced.",
    "The dispute over {topic} has drawn in {org} and officials from {place}.",
    "A closer look at {topic} and what it could mean for {place}.",
]

# The one Russian article: served in windows-1251 to exercise charset handling.
RUSSIAN_TITLE = "В Вальморе открылась выставка современной живописи"
RUSSIAN_SLUG = "v-valmore-otkrylas-vystavka-sovremennoy-zhivopisi"
RUSSIAN_DESCRIPTION = "Городской музей показывает работы сорока художников из шести стран."
RUSSIAN_PARAGRAPHS = [
    "В субботу в городском музее Вальморы открылась выставка современной живописи, "
    "на которой представлены работы сорока художников из шести стран.",
    "По словам организаторов, подготовка экспозиции заняла почти два года, а часть картин "
    "привезли из частных коллекций, которые раньше никогда не показывались публике.",
    "Новые имена на старой сцене",
    "Куратор выставки отметила, что молодые авторы всё чаще обращаются к теме памяти и "
    "городского пространства, и именно это объединяет большинство работ.",
    "Мы хотели показать, что современное искусство говорит с каждым, кто готов слушать",
    "В первый же день музей посетили более трёх тысяч человек, а у входа выстроилась очередь.",
    "Выставка продлится до конца месяца, после чего её планируют показать в Истпорте "
    "и Ларкхейвене.",
]
RUSSIAN_SUBHEADING_INDEX = 2
RUSSIAN_QUOTE_INDEX = 4


def slugify(text: str) -> str:
    """Lowercase ASCII slug, the way news sites build URL paths from headlines."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@cache
def _fields(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in Formatter().parse(template) if name)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _title_case(text: str) -> str:
    small = {"a", "an", "the", "of", "for", "to", "in", "on", "and", "at", "with"}
    words = text.split()
    return " ".join(w if (i and w in small) else _cap(w) for i, w in enumerate(words))


class TextGenerator:
    """Fills templates from one section's vocabulary with a seeded random source."""

    def __init__(self, rng: random.Random, section: str) -> None:
        self.rng = rng
        self.vocab = VOCABULARY[section]
        # One story keeps returning to its own topic, place and players, as real ones do.
        self.main = {"actor": rng.choice(self.vocab.actors), "topic": rng.choice(self.vocab.topics),
                     "org": rng.choice(self.vocab.orgs), "place": rng.choice(PLACES)}
        self._deck: list[str] = []

    def _value(self, name: str, focus: float, chosen: dict[str, str]) -> str:
        r, v = self.rng, self.vocab
        if name in self.main and r.random() < focus:
            return self.main[name]
        if name == "place2":
            return r.choice([p for p in PLACES if p != chosen.get("place")])
        pools = {"actor": v.actors, "topic": v.topics, "org": v.orgs, "metric": v.metrics,
                 "document": v.documents, "place": PLACES, "day": DAYS, "month": MONTHS}
        if name in pools:
            return r.choice(pools[name])
        if name == "n":
            return str(r.randint(2, 14))
        if name == "pct":
            return f"{r.randint(2, 19)}.{r.randint(0, 9)}"
        if name == "money":
            return f"{r.randint(12, 950)} million euros"
        return str(r.randint(1998, 2019))   # year

    def _slots(self, template: str, focus: float) -> dict[str, str]:
        # Only the slots the template uses are drawn: generation must stay fast at 2,000+ articles.
        chosen: dict[str, str] = {}
        for field_name in _fields(template):
            name = field_name[0].lower() + field_name[1:]
            if name not in chosen:
                chosen[name] = self._value(name, focus, chosen)
            chosen[field_name] = _cap(chosen[name]) if field_name[0].isupper() else chosen[name]
        return chosen

    def _sentence_template(self) -> str:
        # Deal templates from a shuffled deck so one story does not repeat a sentence shape.
        if not self._deck:
            self._deck = self.rng.sample(SENTENCES, len(SENTENCES))
        return self._deck.pop()

    def fill(self, template: str, title: bool = False, focus: float = 0.6) -> str:
        if not title:
            return template.format(**self._slots(template, focus))
        slots = self._slots(template, focus=1.0)
        # Headlines drop the leading article: "Row Over Steel Tariff", not "Row Over The ...".
        slots = {k: _title_case(re.sub(r"^the ", "", val, flags=re.I)) if k[0].isupper() else val
                 for k, val in slots.items()}
        return template.format(**slots)

    def title(self) -> str:
        return self.fill(self.rng.choice(TITLES), title=True)

    def description(self) -> str:
        return self.fill(self.rng.choice(DESCRIPTIONS), focus=1.0)

    def paragraph(self) -> str:
        count = self.rng.randint(2, 4)
        return " ".join(self.fill(self._sentence_template()) for _ in range(count))

    def quote(self) -> str:
        speaker = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
        role = self.rng.choice(self.vocab.roles)
        return f'"{self.fill(self.rng.choice(QUOTES))}," said {speaker}, {role}.'

    def subheading(self) -> str:
        return _cap(self.fill(self.rng.choice(SUBHEADINGS)))

    def body(self) -> tuple[list[str], int, int]:
        """Paragraphs with a subheading and a quote among them, and the index of each."""
        count = self.rng.randint(5, 10)
        paragraphs: list[str] = []
        while len(paragraphs) < count:
            candidate = self.paragraph()
            if candidate not in paragraphs:
                paragraphs.append(candidate)
        subheading_index = self.rng.randint(2, min(3, count - 2))
        paragraphs.insert(subheading_index, self.subheading())
        quote_index = self.rng.randint(subheading_index + 2, len(paragraphs))
        paragraphs.insert(quote_index, self.quote())
        return paragraphs, subheading_index, quote_index
