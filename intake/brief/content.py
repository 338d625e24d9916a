"""Build the brief as a value: exactly what the therapist's document shows, nothing more.

Pure: it reads a definition, the stored answers and the stored scoring result.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from babel import Locale, UnknownLocaleError

from ..change import History
from ..questionnaire.answers import ENGLISH, answer_text
from ..questionnaire.conditions import (
    Context,
    holds,
    is_answered,
    numeric,
    seen_answers,
    visible_items,
    visible_pages,
)
from ..questionnaire.model import (
    DECLINED,
    NUMERIC_TYPES,
    TEXT_TYPES,
    Condition,
    Definition,
    Dimension,
    Flag,
    ItemType,
    Rounding,
)
from ..scoring import NEVER_IMPUTED, DimensionScore, Result, inputs_scored

# Answer words without the scale's number, for sentences ("mostly true", not "Mostly true (4)").
PLAIN = replace(ENGLISH, scale_value=False)

# Page 1 quotes the client's words within this many characters in all, less room for the
# urgent box and each pattern, and never less than the floor; each quote ends at a sentence
# where it can. Every answer is in full in the appendix. (Measured: tests/test_brief_pdf.py
# fills page 1 with the longest answers on US Letter, urgent, with every pattern.)
PAGE_ONE_BUDGET = 1300
URGENT_ROOM = 250
PATTERN_ROOM = 140
PAGE_ONE_FLOOR = 200
# Less room than this for quotes: page 1 sets each quote on its question's line.
CROWDED_BELOW = 360
# A line break takes a line: counted as this many characters.
LINE_CHARS = 45
HOW_CHARS = 70
STRONG_FROM = 70.0
MISSING_TEXTS = ("Not answered", "Preferred not to answer")


@dataclass(frozen=True)
class Reach:
    """How the clinic may reach the client: what they said on the contact step (or that they
    would rather not, or have not said), and the invitation's details beside it."""

    given: bool = False
    declined: bool = False
    phone: str | None = None  # as people read it, e.g. +1 201-555-0123
    tel: str | None = None  # its tel: URI
    email: str | None = None
    voicemail_ok: bool | None = None
    texts_ok: bool | None = None
    safe_times: str | None = None
    invited_phone: str | None = None
    invited_tel: str | None = None
    invited_email: str | None = None

    @property
    def any_way(self) -> bool:
        """Whether there is any number or address at all (the client's or the invitation's)."""
        return bool(self.phone or self.email or self.invited_phone or self.invited_email)


@dataclass(frozen=True)
class CrisisShown:
    """Exactly what the client was shown after their safety answer, and when."""

    emergency: str | None
    text: str | None
    language: str | None  # the text's language, by name
    page: str  # "support" (straight after the answer) or "done" (after sending)
    at: datetime | None


@dataclass(frozen=True)
class ConsentRecord:
    """The consent the client signed: typed name, time, wording version and language."""

    name: str | None
    at: datetime | None
    version: str | None  # the wording's version, e.g. "2026-11"
    language: str | None  # the wording's language, by name
    invited_name: str

    @property
    def name_differs(self) -> bool:
        """Whether the typed name is not the invited one (case, accents, spacing aside)."""
        return self.name is not None and not names_match(self.name, self.invited_name)


def names_match(one: str | None, other: str | None) -> bool:
    """Whether two names are the same, ignoring case, accents and spacing."""

    def plain(text: str | None) -> str:
        decomposed = unicodedata.normalize("NFKD", text or "")
        letters = "".join(c for c in decomposed if not unicodedata.combining(c))
        return " ".join(letters.casefold().split())

    return plain(one) == plain(other)


@dataclass(frozen=True)
class Meta:
    """Facts about the intake that are not answers: who, where, when, how to reach them."""

    clinic_name: str
    client_name: str
    invited_on: date | None
    submitted_on: datetime | None
    generated_on: datetime
    language: str = "en"
    flagged_urgent: bool = False
    answered_in: str = "en"
    reach: Reach | None = None
    crisis_shown: CrisisShown | None = None
    safety_procedure: str | None = None
    consent: ConsentRecord | None = None

    @property
    def answered_in_name(self) -> str:
        """The client's answering language by name, in the brief's own language."""
        return language_name(self.answered_in, self.language)


def language_name(code: str, in_language: str = "en") -> str:
    """A language code as a name ('es' -> 'Spanish'); the code itself if unknown."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(in_language)
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:] if name else code


@dataclass(frozen=True)
class Quote:
    """A question and the client's own answer to it, as text (and as page 1 quotes it)."""

    prompt: str
    text: str
    # What page 1 quotes: the whole answer, or its start (whole sentences where possible).
    excerpt: str | None = None

    @property
    def short(self) -> str:
        """The answer as page 1 quotes it."""
        return self.text if self.excerpt is None else self.excerpt

    @property
    def cut(self) -> bool:
        """Whether page 1 shows only the start of the answer."""
        return self.short != self.text

    @property
    def answered(self) -> bool:
        """Whether there is an answer (not a blank, not declined)."""
        return self.text not in MISSING_TEXTS


def weight(text: str) -> int:
    """How much room a text takes on the page, in characters (a line break takes a line)."""
    return len(text) + LINE_CHARS * text.count("\n")


def excerpt(text: str, limit: int) -> str:
    """The start of a text that takes at most limit characters of room: whole sentences when
    they fill at least half of it, else whole words (the brief marks the cut). Line breaks
    are kept."""
    if weight(text) <= limit:
        return text
    head, room = "", limit
    for char in text:
        room -= LINE_CHARS + 1 if char == "\n" else 1
        if room < 0:
            break
        head += char
    if text[len(head)] == "\n":
        return head.rstrip()  # a whole line
    ends = [m.end() for m in re.finditer(r"[.!?…](?=\s)|\n", head + " ")]
    if ends and weight(head[: ends[-1]]) >= limit // 2:
        return head[: ends[-1]].rstrip()
    if not text[len(head)].isspace():
        head = head.rsplit(None, 1)[0] if " " in head or "\n" in head else head
    return head.rstrip(" ,;:\n")


def fit(quotes: tuple[Quote, ...], budget: int) -> tuple[Quote, ...]:
    """The quotes with excerpts that share the budget: shortest first take what they need,
    the rest share what is left equally."""
    limits: dict[int, int] = {}
    left = budget
    order = sorted(range(len(quotes)), key=lambda n: weight(quotes[n].text))
    for done, n in enumerate(order):
        share = left // (len(order) - done)
        limits[n] = min(weight(quotes[n].text), share)
        left -= limits[n]
    return tuple(
        replace(q, excerpt=excerpt(q.text, limits[n]) if q.answered else None)
        for n, q in enumerate(quotes)
    )


@dataclass(frozen=True)
class Beside:
    """An index shown beside the dimension it builds on (relative autonomy beside own
    motivation): both sides in plain words, or why it was not computed."""

    label: str
    other: str  # the side set against the dimension, e.g. "outside pressure"
    short: str  # one line for page 1
    long: str  # the details table
    value: float | None


@dataclass(frozen=True)
class ItemAnswer:
    """One rating as the client gave it: what the question asks in a few words, the answer's
    words, and where it sits on the answer scale (as asked and as scored)."""

    id: str
    short: str
    value: int | None  # the answer as given (None: blank or declined)
    word: str  # the answer's words, e.g. "Mostly true", or "not answered"
    keyed: int | None  # its points for the dimension (reverse-keyed items reversed)
    reverse: bool
    low: int
    high: int

    @property
    def answered(self) -> bool:
        """Whether the client gave this rating."""
        return self.value is not None


@dataclass(frozen=True)
class ProfileLine:
    """One readiness dimension as the brief shows it: the answers first, a whole number at
    most, and the band only for the details table."""

    id: str
    label: str
    score: float | None  # a whole number (no false precision), or None: not scored
    band: str | None
    band_label: str | None
    status: str
    line: str  # the sentence built from the answers, never from the band
    how: str
    beside: Beside | None = None
    answers: tuple[ItemAnswer, ...] = ()
    mixed: bool = False  # keyed answers 3 or more points apart
    two_sided: bool = False  # a preference with no better end (the focus of the work)
    ends: tuple[str, str] | None = None  # a two-sided preference's ends, low then high
    note: str | None = None  # a caution beside the answers (e.g. circumstances)
    barriers: tuple[str, ...] = ()  # concrete barriers the client ticked

    @property
    def answered(self) -> int:
        """How many of its ratings the client gave."""
        return sum(a.answered for a in self.answers)


@dataclass(frozen=True)
class BandInfo:
    """A band's range, for the chart's key."""

    id: str
    label: str
    min: float
    max: float


@dataclass(frozen=True)
class FlagNote:
    """A pattern worth attention: what was said and a suggested stance; for some patterns,
    the answers that raised it and the client's own words beside them."""

    id: str
    label: str
    description: str
    stance: str | None
    raised_by: tuple[str, ...] = ()  # e.g. "expects the therapist to sort it out: agree"
    quotes: tuple[Quote, ...] = ()  # whole sentences of the client's own words


@dataclass(frozen=True)
class BlankPage:
    """A page where more than half of the ratings were left blank."""

    title: str
    blank: int
    count: int


@dataclass(frozen=True)
class Strip:
    """Page 1's top strip: safety status, the name used, how to reach the client, when they
    can come and the language they answered in."""

    safety: str | None  # the safety answer in words (even "Not at all"); None: no safety item
    follow_ups: tuple[tuple[str, str], ...]  # ("Right now", "No"), ("Ever tried", "Yes")
    name_used: str
    pronouns: str | None
    availability: str | None
    language_note: str | None  # answered in another language than the brief's


@dataclass(frozen=True)
class Rulers:
    """The importance and confidence rulers and the gap between them."""

    importance: int | None
    confidence: int | None
    gap: int | None
    wide: bool
    note: FlagNote | None = None


@dataclass(frozen=True)
class Safety:
    """The safety item's answer, for the urgent box."""

    urgent: bool
    unanswered: bool
    prompt: str
    answer: str | None
    changed: bool = False


@dataclass(frozen=True)
class MeasureBand:
    """One of a total's bands, as the instrument names it; current marks the client's."""

    id: str
    label: str
    min: int
    max: int
    current: bool


@dataclass(frozen=True)
class MeasureItem:
    """One question of a total: the client's answer and the points it adds (None: blank)."""

    prompt: str
    answer: str
    points: float | None


@dataclass(frozen=True)
class Measure:
    """A total on the instrument's own scale (such as the PHQ-9), in its own section.

    Never worded as the readiness profile: a total, its band as the instrument names it,
    which questions were answered, and how the total was reached or why there is none.
    """

    id: str
    label: str
    description: str
    score: int | None
    low: int
    high: int
    band_label: str | None
    status: str
    answered: int
    count: int
    how: str
    items: tuple[MeasureItem, ...]
    bands: tuple[MeasureBand, ...]
    unscored: tuple[Quote, ...]
    # In an intake that asked several questionnaires: the one this total belongs to, and
    # its copyright line (printed with the total).
    part: str | None = None
    copyright: str | None = None

    @property
    def band_range(self) -> str | None:
        """The client's band as 'min–max', for the sentence beside the total."""
        band = next((b for b in self.bands if b.current), None)
        return f"{band.min}–{band.max}" if band else None


@dataclass(frozen=True)
class AppendixPage:
    """Every answer of one page the client saw."""

    title: str
    answers: tuple[Quote, ...]


@dataclass(frozen=True)
class PartTitle:
    """One questionnaire of an intake that asked several, as the brief's header lists it."""

    title: str
    questionnaire_id: str
    version: int


@dataclass(frozen=True)
class Brief:
    """The whole brief."""

    meta: Meta
    title: str
    questionnaire_id: str
    version: int
    safety: Safety | None
    own_words: tuple[Quote, ...]
    profile: tuple[ProfileLine, ...]
    bands: tuple[BandInfo, ...]
    flags: tuple[FlagNote, ...]
    rulers: Rulers | None
    openers: tuple[str, ...]
    expectations: tuple[Quote, ...]
    background: tuple[Quote, ...]
    practical: tuple[Quote, ...]
    appendix: tuple[AppendixPage, ...]
    measures: tuple[Measure, ...] = ()
    patterns_checked: bool = True  # whether the questionnaire looks for any patterns
    copyright: str | None = None  # the instrument's own line, printed with its total

    # What page 1 quotes in the client's own words: why now and what they hope for, then
    # what they want from the therapist and from themselves (excerpts that fit page 1).
    telling: tuple[Quote, ...] = ()
    # Page 1 is crowded (urgent, several patterns, long answers): each quote then starts on
    # its question's line.
    crowded: bool = False
    # The room (in characters) page 1's quotes were fitted into.
    room: int = PAGE_ONE_BUDGET
    # The client's measures and goals over their intakes up to this one (None: first
    # intake, no goals): its own section after the profile and totals.
    history: History | None = None
    # Every questionnaire of an intake that asked several, in order (empty: just this one).
    parts: tuple[PartTitle, ...] = ()
    strip: Strip | None = None
    # The last resort of a crowded page 1: the profile without its sentences (they are in
    # the details table), so the patterns stay on page 1.
    terse: bool = False
    # Pages where more than half the ratings were left blank, and all ratings blank / asked.
    blank_pages: tuple[BlankPage, ...] = ()
    ratings_blank: int = 0
    ratings_count: int = 0

    @property
    def prorated(self) -> bool:
        """Whether any dimension was prorated (the key is printed only then)."""
        return any(p.status == "prorated" for p in self.profile)

    @property
    def drawn(self) -> tuple[ProfileLine, ...]:
        """The dimensions drawn as answers: those with at least one answer (no empty rows)."""
        return tuple(p for p in self.profile if p.answered or not p.answers)

    @property
    def undrawn(self) -> tuple[ProfileLine, ...]:
        """The dimensions with no answers at all, named in a line instead of drawn."""
        return tuple(p for p in self.profile if p.answers and not p.answered)

    def with_room(self, room: int) -> Brief:
        """The same brief with page 1's quotes fitted into less (or more) room."""
        room = max(PAGE_ONE_FLOOR, room)
        return replace(
            self, telling=fit(self.telling, room), crowded=room < CROWDED_BELOW, room=room
        )


def page_one_candidates(brief: Brief) -> tuple[Brief, ...]:
    """The brief, then versions quoting less on page 1, for a layout to try in turn until
    page 1 holds everything (the estimate of room is usually right the first time)."""
    out = [brief]
    for share in (0.7, 0.45, 0.0):
        smaller = brief.with_room(int(brief.room * share))
        if smaller.room < out[-1].room and (smaller.telling, smaller.crowded) != (
            out[-1].telling,
            out[-1].crowded,
        ):
            out.append(smaller)
    if brief.profile:
        last = replace(out[-1], terse=True)
        out.append(last)
        # Then a pattern's quotes of questions page 1 quotes already (in part) are left to
        # page 1's own words and the appendix.
        shown = {q.prompt for q in last.telling}
        flags = tuple(
            replace(f, quotes=tuple(q for q in f.quotes if q.prompt not in shown))
            for f in last.flags
        )
        if flags != last.flags:
            out.append(replace(last, flags=flags))
    return tuple(out)


def build_brief(
    definition: Definition, answers: Mapping[str, Any], result: Result, meta: Meta
) -> Brief:
    """Assemble the brief from a definition, the stored answers and the stored result."""
    seen = seen_answers(definition, answers)
    layout = definition.brief
    own_words = _quotes(definition, layout.own_words, seen)
    by_id = {d.id: d for d in definition.dimensions}
    totals = {d.id for d in definition.dimensions if d.is_sum}
    profile = tuple(
        _profile_line(definition, d, result, seen) for d in result.dimensions if d.id not in totals
    )
    measures = tuple(
        _measure(definition, by_id[d.id], d, seen) for d in result.dimensions if d.id in totals
    )
    rulers = _rulers(definition, seen, result)
    urgent = result.urgent or meta.flagged_urgent
    # The wide-gap flag is told by the importance/confidence section itself, not twice. A
    # stored result from before the rule is checked again: no pattern rests on a dimension
    # or index that is not scored.
    told = layout.gap_flag if rulers else None
    scores = {d.id: d.score for d in result.dimensions}
    flag_notes = tuple(
        _flag_note(definition, f, seen, result, urgent=urgent)
        for f in definition.flags
        if f.id in result.flags
        and f.id != told
        and inputs_scored(definition, f.when, scores, result.indices)
    )
    wide = rulers is not None and rulers.note is not None
    room = PAGE_ONE_BUDGET - _room_taken(meta, urgent, flag_notes, wide)
    blank_pages, blank, count = _blank_ratings(definition, seen)
    return Brief(
        meta=meta,
        title=definition.title,
        questionnaire_id=definition.id,
        version=definition.version,
        safety=_safety(definition, seen, result, meta.flagged_urgent),
        own_words=own_words,
        profile=profile,
        bands=tuple(BandInfo(b.id, b.label, b.min, b.max) for b in definition.bands),
        flags=flag_notes,
        rulers=rulers,
        openers=_openers(
            definition, seen, result, own_words, urgent=urgent, blank_heavy=bool(blank_pages)
        ),
        expectations=_quotes(definition, layout.expectations, seen),
        background=_quotes(definition, layout.background, seen),
        practical=_quotes(definition, layout.practical, seen),
        appendix=_appendix(definition, seen, _shown_with_totals(definition)),
        measures=measures,
        patterns_checked=bool(definition.flags),
        copyright=definition.copyright,
        telling=_telling(definition, seen, own_words, room, _flag_quoted(flag_notes)),
        crowded=room < CROWDED_BELOW,
        room=max(PAGE_ONE_FLOOR, room),
        strip=_strip(definition, seen, meta) if profile or own_words else None,
        blank_pages=blank_pages,
        ratings_blank=blank,
        ratings_count=count,
    )


def merge_briefs(briefs: Sequence[Brief]) -> Brief:
    """One brief for an intake that asked several questionnaires, each read in its own way.

    The questionnaire with a readiness profile (else the first) gives page 1: its own words,
    profile, rulers, patterns and openers (openers are never drawn from a total). Every
    total of every questionnaire keeps its own section, labelled with its questionnaire and
    copyright line; the appendix lists each questionnaire's pages in turn.
    """
    if len(briefs) == 1:
        return briefs[0]
    main = next((b for b in briefs if b.profile), briefs[0])
    measures = tuple(
        replace(m, part=b.title, copyright=b.copyright) for b in briefs for m in b.measures
    )
    safety = main.safety or next((b.safety for b in briefs if b.safety is not None), None)
    return replace(
        main,
        safety=safety,
        measures=measures,
        flags=main.flags + tuple(f for b in briefs if b is not main for f in b.flags),
        patterns_checked=any(b.patterns_checked for b in briefs),
        appendix=tuple(page for b in briefs for page in b.appendix),
        parts=tuple(PartTitle(b.title, b.questionnaire_id, b.version) for b in briefs),
    )


def _blank_ratings(
    definition: Definition, seen: Mapping[str, Any]
) -> tuple[tuple[BlankPage, ...], int, int]:
    """The pages where more than half of the profile's ratings the client saw were left
    blank, and the blank and asked ratings in all (only the ratings the profile draws: the
    dimensions' and indices' items and the two rulers)."""
    layout = definition.brief
    profiled = (
        {i for d in definition.dimensions if not d.is_sum for i in d.items}
        | {i for x in definition.indices for i in (*x.plus, *x.minus)}
        | {layout.importance, layout.confidence}
    )
    heavy, blank_all, count_all = [], 0, 0
    for page in visible_pages(definition, seen):
        ratings = [
            i
            for i in visible_items(definition, page, seen)
            if i.type in NUMERIC_TYPES and i.id in profiled
        ]
        blank = sum(not is_answered(seen.get(i.id)) for i in ratings)
        blank_all, count_all = blank_all + blank, count_all + len(ratings)
        if ratings and blank * 2 > len(ratings):
            heavy.append(BlankPage(page.title, blank, len(ratings)))
    return tuple(heavy), blank_all, count_all


def _strip(definition: Definition, seen: Mapping[str, Any], meta: Meta) -> Strip:
    """Page 1's top strip, for every brief: the safety answer even when "not at all"."""
    safety_word: str | None = None
    follow: list[tuple[str, str]] = []
    if definition.safety is not None:
        item = definition.item(definition.safety.item)
        value = seen.get(item.id)
        safety_word = _plain_answer(definition, item.id, value) if is_answered(value) else None
        if safety_word is None:
            safety_word = "Not answered" if value is None else "Preferred not to answer"
        ups = definition.safety.follow_ups
        if ups is not None:
            for label, ref in (("Right now", ups.now), ("Ever tried", ups.ever)):
                if definition.has_item(ref) and is_answered(seen.get(ref)):
                    follow.append((label, _plain_answer(definition, ref, seen.get(ref))))
    return Strip(
        safety=safety_word,
        follow_ups=tuple(follow),
        name_used=_name_used(definition, seen) or meta.client_name,
        pronouns=_text_answer(definition, seen, PRONOUN_ITEMS),
        availability=_availability(definition, seen),
        language_note=_language_note(meta),
    )


# Items that hold the name the client uses, when a questionnaire asks it (version 3).
NAME_ITEMS = ("name_used", "preferred_name", "name")
AVAILABILITY_ITEMS = ("availability",)


PRONOUN_ITEMS = ("pronouns",)


def _name_used(definition: Definition, seen: Mapping[str, Any]) -> str | None:
    """The name the client says they use, if the questionnaire asks and they answered."""
    return _text_answer(definition, seen, NAME_ITEMS)


def _text_answer(
    definition: Definition, seen: Mapping[str, Any], refs: tuple[str, ...]
) -> str | None:
    """The first of these questions the client answered in words, spaces tidied."""
    for ref in refs:
        value = seen.get(ref)
        if definition.has_item(ref) and isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return None


def _availability(definition: Definition, seen: Mapping[str, Any]) -> str | None:
    """When the client can come, in words, from the availability item; None without one.

    Never another practical question in its place: the next choice question may ask what
    makes coming hard, and its answer is the opposite of when they can come.
    """
    for ref in (r for r in AVAILABILITY_ITEMS if definition.has_item(r)):
        if is_answered(seen.get(ref)):
            return answer_text(definition, definition.item(ref), seen.get(ref))
    return None


def _language_note(meta: Meta) -> str | None:
    """A line when the client answered in another language than the brief is in."""
    if meta.answered_in.split("-")[0].lower() == meta.language.split("-")[0].lower():
        return None
    name = meta.answered_in_name
    return f"Answered in {name}: a {name}-speaking therapist or an interpreter may be needed."


def _plain_answer(definition: Definition, item_id: str, value: Any) -> str:
    """An answer's words without the scale number, e.g. 'Several days'."""
    item = definition.item(item_id)
    return answer_text(definition, item, value, PLAIN)


def _quotes(
    definition: Definition, ids: tuple[str, ...], seen: Mapping[str, Any]
) -> tuple[Quote, ...]:
    """Items the client saw, with their answers; items never shown are left out."""
    return tuple(
        Quote(definition.item(i).prompt, answer_text(definition, definition.item(i), seen.get(i)))
        for i in ids
        if _was_shown(definition, i, seen)
    )


def _room_taken(meta: Meta, urgent: bool, flags: tuple[FlagNote, ...], wide: bool) -> int:
    """How much of page 1's room for quotes the urgent box and the patterns take, in
    characters: the box with its procedure and contact details, and each pattern."""
    taken = PATTERN_ROOM * (len(flags) + wide)
    taken += sum(len(q.short) for f in flags for q in f.quotes) + 40 * sum(
        len(f.raised_by) for f in flags
    )
    if urgent:
        reach = meta.reach
        taken += URGENT_ROOM + int(0.6 * len(meta.safety_procedure or ""))
        if reach is not None:
            taken += int(0.6 * len(reach.safe_times or ""))
            taken += 100 * bool(reach.invited_phone or reach.invited_email)
    return taken


def _before_texts(definition: Definition) -> tuple[str, ...]:
    """The background's free-text questions about therapy or help before (those named
    'previous...', else the first free-text one): what page 1 and the patterns quote."""
    texts = [i for i in definition.brief.background if definition.item(i).type in TEXT_TYPES]
    return tuple(i for i in texts if i.startswith("previous")) or tuple(texts[:1])


def _flag_quoted(flags: tuple[FlagNote, ...]) -> frozenset[str]:
    """The questions a pattern on page 1 already quotes whole (not quoted twice)."""
    return frozenset(q.prompt for f in flags for q in f.quotes if not q.cut)


def _telling(
    definition: Definition,
    seen: Mapping[str, Any],
    own_words: tuple[Quote, ...],
    room: int,
    quoted: frozenset[str] = frozenset(),
) -> tuple[Quote, ...]:
    """The client's own words page 1 quotes, within the room the rest of page 1 leaves:
    the layout's own words, then what they want from the therapist and from therapy before
    (the free-text expectations and background they answered)."""
    layout = definition.brief
    texts = tuple(
        i for i in layout.expectations if definition.item(i).type in TEXT_TYPES
    ) + _before_texts(definition)
    wants = tuple(q for q in _quotes(definition, texts, seen) if q.answered)
    quotes = own_words + tuple(q for q in wants if q not in own_words and q.prompt not in quoted)
    return fit(quotes, max(PAGE_ONE_FLOOR, room))


def _was_shown(definition: Definition, item_id: str, seen: Mapping[str, Any]) -> bool:
    page = definition.page_of(item_id)
    if page not in visible_pages(definition, seen):
        return False
    return any(i.id == item_id for i in visible_items(definition, page, seen))


# Dimensions read as a preference with no better end, by internal id (version 2 and 3
# keep their ids): 0 = practical and the present, 100 = feelings and the past.
TWO_SIDED = {"openness": ("practical and the present", "feelings and the past")}
# Dimensions whose low answers can reflect real circumstances, with the caution printed.
CIRCUMSTANCES = {
    "agency": "Low answers here can reflect real circumstances (a lost job, illness, caring"
    " for someone), not only how the client sees things."
}
# Dimensions beside which the brief lists the concrete barriers the client ticked.
BARRIERS = frozenset({"commitment"})
# A question without a 'short' is named by the start of its prompt, within this many characters.
PROMPT_CHARS = 44
# Keyed answers this many points apart (or more) make a dimension "mixed".
MIXED_FROM = 3


def whole(score: float | None) -> int | None:
    """A 0-100 score as a whole number (a half rounds up): never a false decimal."""
    return None if score is None else math.floor(score + 0.5)


def item_answers(
    definition: Definition, dim: Dimension, seen: Mapping[str, Any]
) -> tuple[ItemAnswer, ...]:
    """A dimension's ratings as the client gave them, in the dimension's order."""
    out = []
    for ref in dim.items:
        item = definition.item(ref)
        low, high = definition.scale_for(item)
        value = definition.item_value(item, seen.get(ref))
        number = None if value is None else int(value)
        keyed = (
            None
            if number is None
            else (int(low + high) - number if ref in dim.reverse else number)
        )
        word = (
            _plain_answer(definition, ref, seen.get(ref)).lower()
            if number is not None
            else ("preferred not to answer" if seen.get(ref) == DECLINED else "not answered")
        )
        short = item.short.in_language(definition.language) if item.short else None
        out.append(
            ItemAnswer(
                id=ref,
                short=short or f"“{_cut(str(item.prompt), PROMPT_CHARS)}”",
                value=number,
                word=word,
                keyed=keyed,
                reverse=ref in dim.reverse,
                low=int(low),
                high=int(high),
            )
        )
    return tuple(out)


def is_mixed(answers: tuple[ItemAnswer, ...]) -> bool:
    """Whether a dimension's keyed answers are MIXED_FROM or more points apart."""
    keyed = [a.keyed for a in answers if a.keyed is not None]
    return len(keyed) >= 2 and max(keyed) - min(keyed) >= MIXED_FROM


def answer_sentence(answers: tuple[ItemAnswer, ...], mixed: bool) -> str:
    """The sentence beside a dimension, built from its answers only: 'wants something to be
    different: mostly true; has already started: not at all true'. Never from a band."""
    said = "; ".join(f"{a.short}: {a.word}" for a in answers)
    return f"Mixed: {said}." if mixed else f"{said[:1].upper()}{said[1:]}."


def _profile_line(
    definition: Definition, d: DimensionScore, result: Result, seen: Mapping[str, Any]
) -> ProfileLine:
    dim = next(x for x in definition.dimensions if x.id == d.id)
    band = next((b for b in definition.bands_for(dim) if b.id == d.band), None)
    answers = item_answers(definition, dim, seen)
    mixed = is_mixed(answers)
    line = answer_sentence(answers, mixed)
    if d.score is None:
        line = f"Not scored ({len(d.used)} of {len(d.items)} answered). {line}"
    ends = TWO_SIDED.get(d.id)
    return ProfileLine(
        id=d.id,
        label=dim.label,
        score=whole(d.score),
        band=None if ends else d.band,
        band_label=band.label if band and not ends else None,
        status=d.status,
        line=line,
        how=_how(definition, d),
        beside=_beside(definition, dim.label, set(dim.items), result, seen),
        answers=answers,
        mixed=mixed,
        two_sided=ends is not None,
        ends=ends,
        note=CIRCUMSTANCES.get(d.id),
        barriers=_barriers(definition, dim, seen) if d.id in BARRIERS else (),
    )


def _barriers(definition: Definition, dim: Dimension, seen: Mapping[str, Any]) -> tuple[str, ...]:
    """The concrete barriers the client ticked: answered multiple-choice questions on the
    pages that hold the dimension's ratings."""
    pages = {definition.page_of(i).id for i in dim.items}
    ticked: list[str] = []
    for page in definition.pages:
        if page.id not in pages:
            continue
        for item in visible_items(definition, page, seen):
            value = seen.get(item.id)
            when = item.id in AVAILABILITY_ITEMS  # when they can come: the top strip's
            if item.type is ItemType.MULTIPLE_CHOICE and isinstance(value, list) and not when:
                labels = {o.value: str(o.label) for o in item.options or ()}
                ticked += [labels.get(v, str(v)) for v in value if v != DECLINED]
                other = seen.get(f"{item.id}_other")
                if isinstance(other, str) and other.strip():
                    ticked.append(f"“{' '.join(other.split())}”")
    return tuple(ticked)


def _beside(
    definition: Definition,
    label: str,
    items: set[str],
    result: Result,
    seen: Mapping[str, Any],
) -> Beside | None:
    """The index whose 'plus' side is this dimension's items (relative autonomy beside own
    motivation), in plain words: each side's average answer and which weighs more."""
    index = next((i for i in definition.indices if set(i.plus) == items), None)
    if index is None:
        return None
    plus_name, minus_name = _side_names(index, label)
    value = result.indices.get(index.id)
    sides = []
    for refs, name in ((index.plus, plus_name), (index.minus, minus_name)):
        given = [n for n in (numeric(seen.get(r)) for r in refs) if n is not None]
        sides.append((name, refs, given))
    if value is None:
        short_sides = [
            f"{name.lower()}: {len(given)} of {len(refs)} answered" for name, refs, given in sides
        ]
        why = "; ".join(short_sides)
        return Beside(
            index.label,
            minus_name,
            f"not computed ({why}), so no pattern or opener rests on it.",
            f"{index.label}: not computed, too few answers on one side ({why}); no pattern or"
            " opener rests on it.",
            None,
        )
    low, high = definition.scale_for(definition.item(index.plus[0]))
    means = [sum(given) / len(given) for _, _, given in sides]
    weigh = _weighs(value, plus_name, minus_name)
    short = (
        f"{plus_name.lower()} {means[0]:.1f}, {minus_name} {means[1]:.1f} (answers {low}–{high}):"
        f" {weigh}."
    )
    words = [
        f"{name}, on average “{_scale_word(definition, refs[0], mean)}” ({mean:.1f} of {high},"
        f" {len(given)} of {len(refs)} answered)"
        for (name, refs, given), mean in zip(sides, means, strict=True)
    ]
    long = f"{'; '.join(words)}: {weigh} ({index.label.lower()} {value:+.1f})."
    return Beside(index.label, minus_name, short, long[:1].upper() + long[1:], round(value, 2))


def _side_names(index: Any, label: str) -> tuple[str, str]:
    """The two sides' names: the definition's own, else its description's 'A minus B'."""
    found = re.match(r"\s*(.+?) minus (.+?)(?:[,.;(]|$)", index.description or "")
    plus = index.plus_label or (found.group(1) if found else label)
    minus = index.minus_label or (found.group(2) if found else "the other side")
    return plus[:1].upper() + plus[1:], minus[:1].lower() + minus[1:]


def _weighs(value: float, plus: str, minus: str) -> str:
    """Which side weighs more, in words (under one answer step apart: about the same)."""
    if value >= 2:
        return f"{plus.lower()} weigh clearly more"
    if value >= 1:
        return f"{plus.lower()} weigh more"
    if value <= -2:
        return f"{minus} weighs clearly more"
    if value <= -1:
        return f"{minus} weighs more"
    # Under one step apart, but never "the same" when one side is ahead: a pattern may rest
    # on the sign (e.g. "Reasons mostly from outside" below 0), and the words must agree.
    if value < 0:
        return f"{minus} weighs a little more"
    if value > 0:
        return f"{plus.lower()} weigh a little more"
    return "both weigh the same"


def _scale_word(definition: Definition, item_id: str, mean: float) -> str:
    """The answer word nearest an average, e.g. 'Mostly true'."""
    item = definition.item(item_id)
    low, _ = definition.scale_for(item)
    labels = definition.scale_labels(item)
    return labels[min(len(labels) - 1, max(0, int(round(mean) - low)))]


def _how(definition: Definition, d: DimensionScore) -> str:
    """How a score was reached, so a therapist can trust or question the number."""
    used = [i for i in d.items if i not in d.missing]
    low, high = definition.scale_for(definition.item(d.items[0])) if d.items else (1, 5)
    parts = [f"mean of {len(used)} of {len(d.items)} answers ({low}–{high}), rescaled to 0–100"]
    if d.reversed:
        parts.append("reverse-scored: " + _prompts(definition, d.reversed))
    if d.missing:
        parts.append("missing: " + _prompts(definition, d.missing))
    if d.status == "prorated":
        parts.append("prorated from the answers given")
    if d.status == "not_scored":
        parts.append("too few answers to score")
    return "; ".join(parts) + "."


ROUNDING_WORDS = {
    Rounding.HALF_UP: "rounded half up",
    Rounding.HALF_EVEN: "rounded to the nearest whole number (a half to the even one)",
    Rounding.FLOOR: "rounded down",
    Rounding.CEILING: "rounded up",
}


def _measure(
    definition: Definition, dim: Dimension, d: DimensionScore, seen: Mapping[str, Any]
) -> Measure:
    """A total as its own section: the figure, its band, each answer, and how it was reached."""
    low, high = definition.range_of(dim)
    items = tuple(
        MeasureItem(
            prompt=definition.item(i).prompt,
            answer=answer_text(definition, definition.item(i), seen.get(i)),
            points=None if i in d.missing else d.keyed.get(i),
        )
        for i in d.items
    )
    bands = tuple(
        MeasureBand(b.id, b.label, int(b.min), int(b.max), b.id == d.band and d.score is not None)
        for b in definition.bands_for(dim)
    )
    band = next((b for b in bands if b.current), None)
    return Measure(
        id=d.id,
        label=dim.label,
        description=dim.description,
        score=None if d.score is None else int(d.score),
        low=int(low),
        high=int(high),
        band_label=band.label if band else None,
        status=d.status,
        answered=len(d.used),
        count=len(d.items),
        how=_total_how(definition, dim, d),
        items=items,
        bands=bands,
        unscored=_quotes(definition, dim.unscored_items, seen),
    )


def _total_how(definition: Definition, dim: Dimension, d: DimensionScore) -> str:
    """Which questions were answered, and how the total was reached or why there is none."""
    count, answered = len(d.items), len(d.used)
    blank = len(d.missing)
    if d.status == "not_scored" and d.reason == NEVER_IMPUTED:
        kept = [i for i in dim.never_impute if i in d.missing]
        return (
            f"Not scored: {_prompts(definition, tuple(kept))} was left blank, and this question"
            " is never filled in from the other answers. The other answers are shown below."
        )
    if d.status == "not_scored":
        allowed = dim.allowed_missing
        limit = (
            "only when every question is answered"
            if allowed == 0
            else f"only when at most {allowed} {'is' if allowed == 1 else 'are'} blank"
        )
        return (
            f"Not scored: {blank} of {count} questions were left blank; the instrument gives a"
            f" total {limit}. The answers given are shown below."
        )
    if d.status == "prorated":
        exact = f"{d.exact:g}" if d.exact is not None else "?"
        return (
            f"Prorated: {answered} of {count} questions answered; left blank:"
            f" {_prompts(definition, d.missing)}. The total is the mean of the {answered}"
            f" answers times {count}, {exact}, {ROUNDING_WORDS[dim.rounding_rule]} to"
            f" {d.score:g}."
        )
    return f"All {count} questions answered; the total is the sum of the answers."


def _prompts(definition: Definition, ids: tuple[str, ...]) -> str:
    """Item prompts as short quotations, so the reader need not know item ids."""
    return ", ".join(f"“{_cut(definition.item(i).prompt, HOW_CHARS)}”" for i in ids)


def _safety(
    definition: Definition, seen: Mapping[str, Any], result: Result, flagged: bool
) -> Safety | None:
    """The safety box; a flag raised during the intake stays even if the answer changed."""
    if definition.safety is None:
        return None
    item = definition.item(definition.safety.item)
    value = seen.get(item.id)
    return Safety(
        urgent=result.urgent or flagged,
        unanswered=result.safety_unanswered,
        prompt=item.prompt,
        answer=answer_text(definition, item, value) if is_answered(value) else None,
        changed=flagged and not result.urgent,
    )


def _rulers(definition: Definition, seen: Mapping[str, Any], result: Result) -> Rulers | None:
    layout = definition.brief
    if not (layout.importance and layout.confidence):
        return None
    imp, conf = seen.get(layout.importance), seen.get(layout.confidence)
    imp_n = imp if isinstance(imp, int) else None
    conf_n = conf if isinstance(conf, int) else None
    gap = imp_n - conf_n if imp_n is not None and conf_n is not None else None
    wide = layout.gap_flag in result.flags
    flag = next((f for f in definition.flags if f.id == layout.gap_flag), None)
    note = FlagNote(flag.id, flag.label, flag.description, flag.stance) if flag and wide else None
    return Rulers(imp_n, conf_n, gap, wide, note)


# The pattern the readiness model names "Hopes the therapist will lead" (internal id kept):
# its note quotes the answers that raised it and the client's own words about help.
LEAD_FLAG = "take_care_of_me"
URGENT_LEAD = (
    "At a time of risk, being actively looked after is appropriate; this pattern is for later."
)
# Whole sentences of a quote, at most this long (a first sentence longer is not quoted).
QUOTE_CHARS = 110
OPENER_QUOTE = 110


def sentences(text: str, limit: int) -> str | None:
    """The whole sentences a text starts with, within limit characters; None when even the
    first is longer (a quote is never cut mid-sentence)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    ends = [m.end() for m in re.finditer(r"[.!?…](?=\s|$)", flat)]
    fitting = [e for e in ends if e <= limit]
    return flat[: fitting[-1]] if fitting else None


def _reasons(cond: Condition, ctx: Context) -> list[Condition]:
    """The comparisons that make a condition hold: every part of an 'all', the first
    branch of an 'any' that holds."""
    if cond.all is not None:
        return [leaf for c in cond.all for leaf in _reasons(c, ctx)]
    if cond.any is not None:
        branch = next((c for c in cond.any if holds(c, ctx)), None)
        return _reasons(branch, ctx) if branch is not None else []
    return [cond] if holds(cond, ctx) else []


def _flag_note(
    definition: Definition,
    flag: Flag,
    seen: Mapping[str, Any],
    result: Result,
    *,
    urgent: bool,
) -> FlagNote:
    """A raised pattern as the brief tells it. "Hopes the therapist will lead" quotes the
    answers that raised it and the client's own words about help; urgent, its stance begins
    with the urgent override."""
    note = FlagNote(flag.id, flag.label, flag.description, flag.stance)
    if flag.id != LEAD_FLAG:
        return note
    ctx = Context(seen, {d.id: d.score for d in result.dimensions}, result.indices)
    raised: list[str] = []
    for leaf in _reasons(flag.when, ctx):
        kind, ref = leaf.subject
        refs: tuple[str, ...] = ()
        if kind == "item":
            refs = (ref,)
        elif kind == "mean":
            refs = tuple(ref)
        elif kind == "score":
            dim = next((d for d in definition.dimensions if d.id == ref), None)
            value = whole(ctx.scores.get(ref))
            if dim is not None and value is not None:
                raised.append(f"{dim.label.lower()}: {value} of 100")
        for r in refs:
            item = definition.item(r)
            if is_answered(seen.get(r)):
                short = item.short.in_language(definition.language) if item.short else None
                said = f"{short or '“' + _cut(str(item.prompt), PROMPT_CHARS) + '”'}: "
                said += _plain_answer(definition, r, seen.get(r)).lower()
                if said not in raised:
                    raised.append(said)
    layout = definition.brief
    # What they want from the therapist (the expectations' question that names the therapist,
    # else their first free-text one) and what they say about help before.
    wants = [i for i in layout.expectations if definition.item(i).type in TEXT_TYPES]
    from_therapist = [i for i in wants if "therapist" in i][:1] or wants[:1]
    texts = from_therapist + list(_before_texts(definition))
    quotes = []
    for q in _quotes(definition, tuple(texts), seen):
        whole_ = sentences(q.text, QUOTE_CHARS) if q.answered else None
        if whole_:
            quotes.append(replace(q, excerpt=whole_))
    stance = flag.stance
    if urgent:
        stance = f"{URGENT_LEAD} {stance}" if stance else URGENT_LEAD
    return replace(note, stance=stance, raised_by=tuple(raised), quotes=tuple(quotes))


def _openers(
    definition: Definition,
    seen: Mapping[str, Any],
    result: Result,
    own_words: tuple[Quote, ...],
    *,
    urgent: bool = False,
    blank_heavy: bool = False,
) -> tuple[str, ...]:
    """First-session questions, in the second person, from the client's own material: the
    safety follow-up first when urgent, how the form felt when many ratings are blank, then
    what brings them, the rulers, therapy before, what they want to keep. Never from a
    dimension's score (the focus preference has no better end), and a quote is whole
    sentences or none."""
    by_id = {d.id: d for d in definition.dimensions}
    profile = [d for d in result.dimensions if d.id in by_id and not by_id[d.id].is_sum]
    if not profile and not own_words:
        # A questionnaire of totals only (such as the PHQ-9): its topics are its answers,
        # and openers are never drawn from the low end of a symptom scale. When urgent, the
        # urgent box at the top already says to act on the safety answer first.
        return ()
    openers: list[str] = []
    if urgent:
        openers.append(_safety_opener(definition, seen))
    if blank_heavy:
        openers.append(
            "You left quite a few questions blank, and that is fine: how did the form feel"
            " to fill in?"
        )
    layout = definition.brief
    answered = [q for q in own_words if q.answered]
    keep_ids = {i for i in layout.own_words if "keep" in i}
    keep = next((q for q in _quotes(definition, tuple(keep_ids), seen) if q.answered), None)
    brings = next((q for q in answered if q != keep), None)
    if brings:
        said = sentences(brings.text, OPENER_QUOTE)
        openers.append(
            f"You wrote: “{said}” What would you like me to understand about that first?"
            if said
            else f"You wrote about “{brings.prompt.rstrip('?')}”: where would you like to start?"
        )
    ruler = _ruler_opener(definition, seen)
    if ruler:
        openers.append(ruler)
    before = _before_opener(definition, seen)
    if before:
        openers.append(before)
    if keep:
        said = sentences(keep.text, OPENER_QUOTE)
        openers.append(
            f"You would like to keep “{said}” as it is: what does it give you?"
            if said
            else "You told us what you would like to keep as it is: what does it give you?"
        )
    if not openers:
        openers.append("What would you like to be different after our work together?")
    return tuple(openers[:3])


def _safety_opener(definition: Definition, seen: Mapping[str, Any]) -> str:
    """The urgent first opener: the safety follow-up, in the second person."""
    ups = definition.safety.follow_ups if definition.safety else None
    now = seen.get(ups.now) if ups else None
    if now == "yes":
        return (
            "First, your safety: you told us you were having thoughts of ending your life"
            " right now. How are you at this moment, and who is with you?"
        )
    item = definition.item(definition.safety.item) if definition.safety else None
    value = seen.get(item.id) if item else None
    if item is not None and is_answered(value):
        answer = _plain_answer(definition, item.id, value).lower()
        return (
            f"First, your safety: you answered “{answer}” to the question about thoughts of"
            " harming yourself. How are you now, and how have things been since you filled"
            " in the form?"
        )
    return "First, your safety: how are you now, and since you filled in the form?"


def _ruler_opener(definition: Definition, seen: Mapping[str, Any]) -> str | None:
    """The motivational-interviewing ruler question: one step up from their confidence."""
    layout = definition.brief
    target = _ruler_target(definition, seen)
    about = f" about “{target}”" if target else ""
    confidence = seen.get(layout.confidence) if layout.confidence else None
    if isinstance(confidence, int) and not isinstance(confidence, bool) and confidence < 10:
        return (
            f"You put your confidence{about} at {confidence}: what would make it a"
            f" {confidence + 1}?"
        )
    importance = seen.get(layout.importance) if layout.importance else None
    if isinstance(importance, int) and not isinstance(importance, bool) and importance > 0:
        # Importance is asked the other way: why this high, and not lower?
        lower = max(0, importance - 3)
        what = f"the importance of “{target}”" if target else "the importance of this change"
        return f"You put {what} at {importance}: what makes it a {importance} and not a {lower}?"
    return None


def _ruler_target(definition: Definition, seen: Mapping[str, Any]) -> str | None:
    """What the rulers are about, in the client's words: the short answer asked just before
    them on their page ("the main thing you would like to change"), when it is short."""
    ref = definition.brief.importance
    if not ref:
        return None
    page = definition.page_of(ref)
    ids = [i.id for i in page.items]
    before = [i for i in page.items[: ids.index(ref)] if i.type is ItemType.SHORT_TEXT]
    value = seen.get(before[-1].id) if before else None
    if not isinstance(value, str) or not value.strip():
        return None
    said = " ".join(value.split()).rstrip(".")
    return said if len(said) <= OPENER_QUOTE // 2 else None


def _before_opener(definition: Definition, seen: Mapping[str, Any]) -> str | None:
    """An opener from therapy before: their own words about it when whole sentences fit."""
    layout = definition.brief
    for ref in _before_texts(definition):
        value = seen.get(ref)
        if isinstance(value, str) and value.strip():
            said = sentences(value, OPENER_QUOTE)
            if said:
                return (
                    f"About therapy before, you wrote: “{said}” What would you want to be the"
                    " same, or different, this time?"
                )
            return (
                "You told us about therapy before: what helped, and what would you want to be"
                " different this time?"
            )
    for ref in layout.background:
        if seen.get(ref) == "yes":
            return "You have had therapy before: what helped, and what did not?"
    return None


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _shown_with_totals(definition: Definition) -> frozenset[str]:
    """The questions a total's own section already lists with their answers."""
    return frozenset(
        item_id
        for dim in definition.dimensions
        if dim.is_sum
        for item_id in (*dim.items, *dim.unscored_items)
    )


def _appendix(
    definition: Definition, seen: Mapping[str, Any], skip: frozenset[str] = frozenset()
) -> tuple[AppendixPage, ...]:
    """Every page the client saw, with every item they saw; hidden items are left out.

    Questions a total's section lists already (skip) are not repeated, and a page of nothing
    but those is left out.
    """
    pages = []
    for page in visible_pages(definition, seen):
        shown = visible_items(definition, page, seen)
        if shown and all(item.id in skip for item in shown):
            continue
        quotes = tuple(
            Quote(item.prompt, answer_text(definition, item, seen.get(item.id)))
            for item in shown
            if item.id not in skip
        )
        pages.append(AppendixPage(page.title, quotes))
    return tuple(pages)
