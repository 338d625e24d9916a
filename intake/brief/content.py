"""Build the brief as a value: exactly what the therapist's document shows, nothing more.

Pure: it reads a definition, the stored answers and the stored scoring result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from babel import Locale, UnknownLocaleError

from ..questionnaire.answers import answer_text
from ..questionnaire.conditions import is_answered, seen_answers, visible_items, visible_pages
from ..questionnaire.model import Definition, Dimension, Rounding
from ..scoring import NEVER_IMPUTED, DimensionScore, Result

# Openers quote the client; a long answer is cut so the suggestion stays readable.
QUOTE_CHARS = 160
HOW_CHARS = 70
STRONG_FROM = 70.0


@dataclass(frozen=True)
class Meta:
    """Facts about the intake that are not answers: who, where, when."""

    clinic_name: str
    client_name: str
    invited_on: date | None
    submitted_on: datetime | None
    generated_on: datetime
    language: str = "en"
    flagged_urgent: bool = False
    answered_in: str = "en"

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
    """A question and the client's own answer to it, as text."""

    prompt: str
    text: str


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


def build_brief(
    definition: Definition, answers: Mapping[str, Any], result: Result, meta: Meta
) -> Brief:
    """Assemble the brief from a definition, the stored answers and the stored result."""
    seen = seen_answers(definition, answers)
    layout = definition.brief
    own_words = _quotes(definition, layout.own_words, seen)
    by_id = {d.id: d for d in definition.dimensions}
    totals = {d.id for d in definition.dimensions if d.is_sum}
    profile = tuple(_profile_line(definition, d) for d in result.dimensions if d.id not in totals)
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
        openers=_openers(definition, result, own_words),
        expectations=_quotes(definition, layout.expectations, seen),
        background=_quotes(definition, layout.background, seen),
        practical=_quotes(definition, layout.practical, seen),
        appendix=_appendix(definition, seen, _shown_with_totals(definition)),
        measures=measures,
        patterns_checked=bool(definition.flags),
        copyright=definition.copyright,
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


def _was_shown(definition: Definition, item_id: str, seen: Mapping[str, Any]) -> bool:
    page = definition.page_of(item_id)
    if page not in visible_pages(definition, seen):
        return False
    return any(i.id == item_id for i in visible_items(definition, page, seen))


def _profile_line(definition: Definition, d: DimensionScore) -> ProfileLine:
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
    )


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
    definition: Definition, result: Result, own_words: tuple[Quote, ...]
) -> tuple[str, ...]:
    """Two or three first-session topics: the client's own words, then the lowest dimensions."""
    openers: list[str] = []
    words = next(
        (q for q in own_words if q.text not in ("Not answered", "Preferred not to answer")), None
    )
    if words:
        openers.append(
            f"Start from their own words about “{words.prompt.rstrip('?')}”: “{_cut(words.text)}”"
        )
    by_id = {d.id: d for d in definition.dimensions}
    profile = [d for d in result.dimensions if d.id in by_id and not by_id[d.id].is_sum]
    if not profile and not own_words:
        # A questionnaire of totals only (such as the PHQ-9): its topics are its answers,
        # and openers are never drawn from the low end of a symptom scale.
        return tuple(openers)
    scored = sorted((d for d in profile if d.score is not None), key=lambda d: d.score or 0)
    for d in scored:
        if len(openers) >= 3:
            break
        dim = by_id[d.id]
        if dim.opener and (d.score or 0) < STRONG_FROM:
            openers.append(f"{dim.label}: {dim.opener}")
    if len(openers) < 2:
        hopes = own_words[1] if len(own_words) > 1 else None
        if hopes and hopes.text not in ("Not answered", "Preferred not to answer"):
            openers.append(f"What they hope will be different: “{_cut(hopes.text)}”")
        else:
            openers.append("Ask what they would like to be different after our work together.")
    return tuple(openers)


def _cut(text: str, limit: int = QUOTE_CHARS) -> str:
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
