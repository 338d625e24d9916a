"""The client's own answers as they read them back, in their language (review page and copy)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import format_date, gettext

from .. import phones
from ..questionnaire import Definition, Item, Page
from ..questionnaire import answers as wording
from ..questionnaire.conditions import is_answered, visible_items, visible_pages
from ..questionnaire.model import DECLINED
from ..scoring import Result, score


@dataclass(frozen=True)
class Section:
    """One page of the questionnaire with the client's answer to each question on it."""

    page: Page
    answers: tuple[tuple[Item, str], ...]


def sections(definition: Definition, answers: Mapping[str, Any]) -> list[Section]:
    """Every page and question the client was shown, with their answers as text."""
    return [
        Section(
            page,
            tuple(
                (item, answer_text(definition, item, answers.get(item.id)))
                for item in visible_items(definition, page, answers)
            ),
        )
        for page in visible_pages(definition, answers)
    ]


@dataclass(frozen=True)
class Gaps:
    """Parts of the therapist's profile that will read "not scored", and the questions the
    client left blank (never those they chose not to answer) that would let them be scored."""

    parts: int
    total: int
    pages: tuple[tuple[Page, tuple[Item, ...]], ...]


def profile_gaps(
    definition: Definition, answers: Mapping[str, Any], results: Sequence[Result] | None = None
) -> Gaps:
    """What the review page offers to go back to before sending; answering stays optional.

    results: each questionnaire's scores, for an intake that asks several (definition is then
    the walk through all of them, which scores nothing itself).
    """
    dimensions = [
        d for r in (results if results is not None else [score(definition, answers)])
        for d in r.dimensions
    ]  # fmt: skip
    shown = {
        item.id: (page, item)
        for page in visible_pages(definition, answers)
        for item in visible_items(definition, page, answers)
    }
    blank: set[str] = set()
    parts = 0
    for dimension in dimensions:
        if dimension.status != "not_scored":
            continue
        open_items = {
            i
            for i in dimension.missing
            if i in shown and answers.get(i) != DECLINED and not is_answered(answers.get(i))
        }
        if open_items:
            parts += 1
            blank |= open_items
    pages: dict[str, tuple[Page, list[Item]]] = {}
    for item_id, (page, item) in shown.items():
        if item_id in blank:
            pages.setdefault(page.id, (page, []))[1].append(item)
    return Gaps(
        parts=parts,
        total=len(dimensions),
        pages=tuple((page, tuple(items)) for page, items in pages.values()),
    )


def answer_text(definition: Definition, item: Item, value: Any) -> str:
    """An answer as the client gave it: option labels, dates in their language, blanks named.

    Never fails: a stored value that no longer reads (a hand-made record, an older rule)
    is shown as it is, so the client can always open their own review and copy.
    """
    try:
        return wording.answer_text(definition, item, value, _words())
    except Exception:
        return str(value)


def _words() -> wording.Words:
    """The answer words in the client's language (looked up per request)."""
    return wording.Words(
        declined=gettext("Preferred not to answer"),
        not_answered=gettext("Not answered"),
        agreed=gettext("Agreed"),
        not_agreed=gettext("Not agreed"),
        yes=gettext("Yes"),
        no=gettext("No"),
        ruler=lambda value: gettext("%(value)s out of 10", value=value),
        scale_value=False,
        date=lambda value: format_date(value, "long"),
    )


def contact_summary(contact: Any) -> list[tuple[str, str]]:
    """The contact step's answers as the client reads them back (question, answer)."""
    if contact is None:
        return [(gettext("How the clinic may reach you"), gettext("Not answered"))]
    if contact.declined:
        return [(gettext("How the clinic may reach you"), gettext("You would rather not say"))]

    def yes_no(value: bool | None) -> str:
        if value is None:
            return gettext("Not answered")
        return gettext("Yes") if value else gettext("No")

    return [
        (gettext("Phone number"), phones.display(contact.phone) or gettext("Not answered")),
        (
            gettext("If you do not answer, may we leave a message that says who is calling?"),
            yes_no(contact.voicemail_ok),
        ),
        (gettext("May we send you text messages?"), yes_no(contact.texts_ok)),
        (gettext("Email"), contact.email or gettext("Not answered")),
        (
            gettext("Is there a time or a way that is best, or one we should avoid?"),
            contact.safe_times or gettext("Not answered"),
        ),
    ]
