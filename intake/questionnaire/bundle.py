"""Several questionnaires asked through one link: one combined walk, each part scored alone.

Pure. The client walks one definition made of every part's pages in order (one welcome and
consent, one progress bar, one contact step, one safety question), and every answer is kept
under its item id, which is unique across the parts. Each part is then scored with its own
definition on its own answers. A safety item that another part's safety item stands for
(`safety.stands_for`) is not asked: that part reads the one answer instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .model import Definition, Text


class BundleError(ValueError):
    """The questionnaires cannot be asked as one intake; each problem says why.

    positions: for each problem, the (0-based) position of the questionnaire it belongs
    beside (a form shows it next to that choice), or None when it belongs to none.
    """

    def __init__(self, problems: Sequence[str], positions: Sequence[int | None] = ()):
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)
        self.positions = tuple(positions) or (None,) * len(self.problems)


@dataclass(frozen=True)
class Bundle:
    """The parts of one intake in order, and the one definition the client walks through."""

    parts: tuple[Definition, ...]
    combined: Definition
    # A safety item that is not asked -> the item whose answer stands for it.
    stand_ins: Mapping[str, str] = field(default_factory=dict)
    # Page id -> position of its part (0-based).
    page_part: Mapping[str, int] = field(default_factory=dict)

    def part_answers(self, position: int, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers one part is scored on: its own items, and any stood-for safety item."""
        return part_answers(self.parts[position], answers, self.stand_ins)

    def part_of_page(self, page_id: str) -> Definition | None:
        """The part a page of the combined definition comes from."""
        position = self.page_part.get(page_id)
        return None if position is None else self.parts[position]


def part_answers(
    definition: Definition, answers: Mapping[str, Any], stand_ins: Mapping[str, str]
) -> dict[str, Any]:
    """One part's answers out of the intake's: its items only, stood-for items filled in."""
    out = {}
    for item in definition.items():
        source = stand_ins.get(item.id, item.id)
        if source in answers:
            out[item.id] = answers[source]
    return out


def stand_ins(parts: Sequence[Definition]) -> dict[str, str]:
    """Which safety items are not asked, and the item that answers each (by stands_for)."""
    by_id = {d.id: d for d in parts}
    out: dict[str, str] = {}
    for part in parts:
        if part.safety is None:
            continue
        for other_id in part.safety.stands_for:
            other = by_id.get(other_id)
            if other is None or other is part or other.safety is None:
                continue
            if other.safety.item in out or part.safety.item in out:
                continue  # two that stand for each other: the first declared wins
            out[other.safety.item] = part.safety.item
    return out


def problems(parts: Sequence[Definition]) -> list[str]:
    """Why these questionnaires cannot be one intake (an empty list when they can)."""
    return [text for _, text in placed_problems(parts)]


def placed_problems(parts: Sequence[Definition]) -> list[tuple[int, str]]:
    """problems(), each with the position of the part it is said beside: the later of the
    parts it names (the choice that made it a problem)."""
    found: list[tuple[int, str]] = []
    if not parts:
        return [(0, "choose at least one questionnaire")]
    keys = [d.id for d in parts]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        found.append((keys.index(key, keys.index(key) + 1), f"'{key}' is chosen twice"))
    pages: dict[str, str] = {}
    items: dict[str, str] = {}
    for n, part in enumerate(parts):
        for page in part.pages:
            if page.id in pages and pages[page.id] != part.id:
                found.append(
                    (n, f"'{pages[page.id]}' and '{part.id}' both have a page '{page.id}'")
                )
            pages.setdefault(page.id, part.id)
            for item in page.items:
                if item.id in items and items[item.id] != part.id:
                    found.append(
                        (n, f"'{items[item.id]}' and '{part.id}' both have a question '{item.id}'")
                    )
                items.setdefault(item.id, part.id)
    scales: dict[str, tuple[str, Any]] = {}
    for n, part in enumerate(parts):
        for name, scale in part.scales.items():
            if name in scales and scales[name][1] != scale:
                found.append(
                    (
                        n,
                        f"'{scales[name][0]}' and '{part.id}' define the scale '{name}'"
                        " differently",
                    )
                )
            scales.setdefault(name, (part.id, scale))
    profiles = [n for n, d in enumerate(parts) if any(not dim.is_sum for dim in d.dimensions)]
    if len(profiles) > 1:
        found.append(
            (
                profiles[1],
                f"{' and '.join(repr(parts[n].id) for n in profiles)} each give a profile;"
                " an intake's brief has one (choose one of them)",
            )
        )
    replaced = stand_ins(parts)
    owners = {d.safety.item: n for n, d in enumerate(parts) if d.safety is not None}
    for gone, kept in replaced.items():
        old, new = parts[owners[gone]], parts[owners[kept]]
        given = {o.value for o in new.item(kept).options or ()}
        wanted = {o.value for o in old.item(gone).options or ()}
        if not wanted <= given:
            found.append(
                (
                    max(owners[gone], owners[kept]),
                    f"'{new.id}' cannot answer for the safety question of '{old.id}':"
                    " their answers differ",
                )
            )
    asked = [
        n for n, d in enumerate(parts) if d.safety is not None and d.safety.item not in replaced
    ]
    if len(asked) > 1:
        found.append(
            (
                asked[1],
                f"{' and '.join(repr(parts[n].id) for n in asked)} each ask their own safety"
                " question; a client is asked one (declare in one safety.stands_for the others)",
            )
        )
    language = parts[0].language
    missing = [n for n, part in enumerate(parts) if language not in part.offered_languages]
    if missing:
        found.append(
            (
                missing[0],
                f"every questionnaire must be offered in '{language}',"
                f" the language of '{parts[0].id}'",
            )
        )
    return found


def combine(parts: Sequence[Definition]) -> Bundle:
    """The bundle of these questionnaires, in this order (BundleError when they cannot be one)."""
    if found := placed_problems(parts):
        raise BundleError([text for _, text in found], [n for n, _ in found])
    first = parts[0]
    if len(parts) == 1:
        return Bundle(parts=(first,), combined=first, page_part={p.id: 0 for p in first.pages})
    replaced = stand_ins(parts)
    languages = [
        lang for lang in first.offered_languages if all(lang in d.offered_languages for d in parts)
    ]
    dumped = [part.model_dump()["pages"] for part in parts]
    # Questions shown on a stood-for safety answer (its follow-ups) are asked right after the
    # item that answers it: a condition reads earlier answers only.
    followers: dict[str, list[dict[str, Any]]] = {}
    for part_pages in dumped:
        for page in part_pages:
            for item in page["items"]:
                if gone := _refers(item.get("show_if"), replaced):
                    followers.setdefault(replaced[gone], []).append(item)
    moved = {id(item) for items in followers.values() for item in items}
    pages: list[dict[str, Any]] = []
    page_part: dict[str, int] = {}
    for position, part_pages in enumerate(dumped):
        for page in part_pages:
            items = []
            for item in page["items"]:
                if item["id"] in replaced or id(item) in moved:
                    continue
                items.append(item)
                items.extend(followers.get(item["id"], ()))
            if not items:
                continue
            pages.append(_renamed({**page, "items": items}, replaced))
            page_part[page["id"]] = position
    asked = [d.safety for d in parts if d.safety is not None and d.safety.item not in replaced]
    safety = None
    if asked:
        safety = asked[0].model_dump()
        # Follow-up questions of a questionnaire whose safety item is stood for still follow
        # the one safety answer.
        if safety["follow_ups"] is None:
            safety["follow_ups"] = next(
                (
                    d.safety.model_dump()["follow_ups"]
                    for d in parts
                    if d.safety is not None and d.safety.follow_ups is not None
                ),
                None,
            )
    scales: dict[str, Any] = {}
    for part in parts:
        scales.update(part.model_dump()["scales"])
    data = {
        "id": first.id,
        "version": first.version,
        "title": first.title.source(),
        "language": first.language,
        "languages": languages,
        "description": first.description.source() if first.description else None,
        "copyright": _joined([d.copyright for d in parts]),
        "consent": next((d.consent.model_dump() for d in parts if d.consent is not None), None),
        "scales": scales,
        "bands": [],
        "pages": pages,
        "safety": safety,
        "adult_item": next((d.adult_item for d in parts if d.adult_item), None),
    }
    combined = Definition.model_validate(data, context={"languages": tuple(languages)})
    return Bundle(parts=tuple(parts), combined=combined, stand_ins=replaced, page_part=page_part)


def _refers(condition: Any, ids: Mapping[str, str]) -> str:
    """The first of these item ids a dumped condition reads ('' when none)."""
    if isinstance(condition, dict):
        if condition.get("item") in ids:
            return str(condition["item"])
        for value in condition.values():
            if found := _refers(value, ids):
                return found
    elif isinstance(condition, list | tuple):
        for value in condition:
            if found := _refers(value, ids):
                return found
    return ""


def _renamed(node: Any, renames: Mapping[str, str]) -> Any:
    """A dumped page with conditions on a stood-for item reading the item that answers it."""
    if isinstance(node, dict):
        out = {key: _renamed(value, renames) for key, value in node.items()}
        if isinstance(out.get("item"), str) and out["item"] in renames:
            out["item"] = renames[out["item"]]
        return out
    if isinstance(node, list | tuple):
        return [_renamed(value, renames) for value in node]
    return node


def _joined(texts: Sequence[Text | None]) -> Text | None:
    """The parts' copyright lines as one text, in every language any of them gives."""
    given = [t for t in texts if t is not None]
    if not given:
        return None
    languages = {lang for t in given for lang in t.translations} or {""}
    if languages == {""}:
        return Text(" ".join(str(t) for t in given))
    return Text({lang: " ".join(t.in_language(lang) for t in given) for lang in sorted(languages)})
