"""Build the brief as a value: exactly what the therapist's document shows, nothing more.

Pure: it reads a definition, the stored answers and the stored scoring result.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from babel import Locale, UnknownLocaleError

from ..questionnaire.answers import answer_text
from ..questionnaire.conditions import (
    is_answered,
    numeric,
    seen_answers,
    visible_items,
    visible_pages,
)
from ..questionnaire.model import TEXT_TYPES, Definition, Dimension, Rounding
from ..scoring import NEVER_IMPUTED, DimensionScore, Result

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
class ProfileLine:
    """One readiness dimension as the brief shows it."""

    id: str
    label: str
    score: float | None
    band: str | None
    band_label: str | None
    status: str
    line: str
    how: str
    beside: Beside | None = None


@dataclass(frozen=True)
class BandInfo:
    """A band's range, for the chart's key."""

    id: str
    label: str
    min: float
    max: float


@dataclass(frozen=True)
class FlagNote:
    """A pattern worth attention: what was said and a suggested stance."""

    id: str
    label: str
    description: str
    stance: str | None


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
    # Every questionnaire of an intake that asked several, in order (empty: just this one).
    parts: tuple[PartTitle, ...] = ()

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
    # The wide-gap flag is told by the importance/confidence section itself, not twice.
    told = layout.gap_flag if rulers else None
    flag_notes = tuple(
        FlagNote(f.id, f.label, f.description, f.stance)
        for f in definition.flags
        if f.id in result.flags and f.id != told
    )
    urgent = result.urgent or meta.flagged_urgent
    wide = rulers is not None and rulers.note is not None
    room = PAGE_ONE_BUDGET - _room_taken(meta, urgent, flag_notes, wide)
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
        openers=_openers(definition, result, own_words, urgent=urgent),
        expectations=_quotes(definition, layout.expectations, seen),
        background=_quotes(definition, layout.background, seen),
        practical=_quotes(definition, layout.practical, seen),
        appendix=_appendix(definition, seen, _shown_with_totals(definition)),
        measures=measures,
        patterns_checked=bool(definition.flags),
        copyright=definition.copyright,
        telling=_telling(definition, seen, own_words, room),
        crowded=room < CROWDED_BELOW,
        room=max(PAGE_ONE_FLOOR, room),
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
    if urgent:
        reach = meta.reach
        taken += URGENT_ROOM + int(0.6 * len(meta.safety_procedure or ""))
        if reach is not None:
            taken += int(0.6 * len(reach.safe_times or ""))
            taken += 100 * bool(reach.invited_phone or reach.invited_email)
    return taken


def _telling(
    definition: Definition,
    seen: Mapping[str, Any],
    own_words: tuple[Quote, ...],
    room: int,
) -> tuple[Quote, ...]:
    """The client's own words page 1 quotes, within the room the rest of page 1 leaves:
    the layout's own words, then its free-text expectations that were answered."""
    texts = tuple(
        i for i in definition.brief.expectations if definition.item(i).type in TEXT_TYPES
    )
    wants = tuple(q for q in _quotes(definition, texts, seen) if q.answered)
    quotes = own_words + tuple(q for q in wants if q not in own_words)
    return fit(quotes, max(PAGE_ONE_FLOOR, room))


def _was_shown(definition: Definition, item_id: str, seen: Mapping[str, Any]) -> bool:
    page = definition.page_of(item_id)
    if page not in visible_pages(definition, seen):
        return False
    return any(i.id == item_id for i in visible_items(definition, page, seen))


def _profile_line(
    definition: Definition, d: DimensionScore, result: Result, seen: Mapping[str, Any]
) -> ProfileLine:
    dim = next(x for x in definition.dimensions if x.id == d.id)
    band = next((b for b in definition.bands_for(dim) if b.id == d.band), None)
    line = (
        dim.lines.get(d.band or "", dim.description)
        if d.score is not None
        else (f"Not scored: {len(d.items) - len(d.missing)} of {len(d.items)} questions answered.")
    )
    return ProfileLine(
        id=d.id,
        label=dim.label,
        score=None if d.score is None else round(d.score, 1),
        band=d.band,
        band_label=band.label if band else None,
        status=d.status,
        line=line,
        how=_how(definition, d),
        beside=_beside(definition, dim.label, set(dim.items), result, seen),
    )


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
    return "both weigh about the same"


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


def _openers(
    definition: Definition, result: Result, own_words: tuple[Quote, ...], *, urgent: bool = False
) -> tuple[str, ...]:
    """Two or three first-session topics: safety first when urgent, the client's own words
    (pointed to, never repeated or cut), then the lowest dimensions. None rests on an index."""
    by_id = {d.id: d for d in definition.dimensions}
    profile = [d for d in result.dimensions if d.id in by_id and not by_id[d.id].is_sum]
    if not profile and not own_words:
        # A questionnaire of totals only (such as the PHQ-9): its topics are its answers,
        # and openers are never drawn from the low end of a symptom scale. When urgent, the
        # urgent box at the top already says to act on the safety answer first.
        return ()
    openers: list[str] = []
    if urgent:
        openers.append(
            "Begin with how they are now and since their safety answer (see the urgent box);"
            " the rest can wait."
        )
    words = next((q for q in own_words if q.answered), None)
    if words:
        openers.append(
            f"Start from their answer to “{words.prompt}” (quoted on this page): invite them"
            " to say more, in their own way."
        )
    scored = sorted((d for d in profile if d.score is not None), key=lambda d: d.score or 0)
    for d in scored:
        if len(openers) >= 3:
            break
        dim = by_id[d.id]
        if dim.opener and (d.score or 0) < STRONG_FROM:
            openers.append(f"{dim.label}: {dim.opener}")
    if len(openers) < 2:
        hopes = own_words[1] if len(own_words) > 1 else None
        if hopes and hopes.answered and hopes is not words:
            openers.append(
                f"Ask what would show them that things are changing, from their answer to"
                f" “{hopes.prompt.rstrip('?')}” (quoted on this page)."
            )
        else:
            openers.append("Ask what they would like to be different after our work together.")
    return tuple(openers)


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
