"""Immutable questionnaire definition: the shape a clinic writes in YAML under forms/."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

# Identifiers appear in URLs, form field names and stored answers, so keep them plain.
ID_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
MAX_VERSION = 1_000_000
MAX_TITLE = 200
Ident = Annotated[str, Field(pattern=ID_PATTERN)]

# Stored in place of a value when the client chose "prefer not to answer".
DECLINED = "__declined__"

LANGUAGE_PATTERN = r"^[a-z]{2}(-[A-Z]{2})?$"
Language = Annotated[str, Field(pattern=LANGUAGE_PATTERN)]
_LANGUAGE_RE = re.compile(LANGUAGE_PATTERN)


# What a Text looks like in a file, as JSON Schema (forms/schema.json names it "Text").
TEXT_JSON_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "minLength": 1},
        {
            "type": "object",
            "description": "The text in each language, such as 'en: ...' and 'es: ...'.",
            "patternProperties": {LANGUAGE_PATTERN: {"type": "string", "minLength": 1}},
            "additionalProperties": False,
            "minProperties": 1,
        },
    ],
}


class Text(str):
    """Text the client reads, in one language, carrying every translation it was given.

    In a file it is either a plain string (the definition's own language only) or a group of
    'language: text' lines. Being a str, it reads as the definition's language wherever text
    is expected; Definition.in_language switches every Text of a definition at once.
    """

    translations: Mapping[str, str]

    def __new__(cls, value: str | Mapping[str, str], prefer: Sequence[str] = ()) -> Text:
        """A Text from a string or a language mapping, shown in the first preferred language."""
        if isinstance(value, Mapping):
            chosen = next((value[lang] for lang in prefer if lang in value), None)
            text = super().__new__(
                cls, chosen if chosen is not None else next(iter(value.values()))
            )
            text.translations = MappingProxyType(dict(value))
        else:
            text = super().__new__(cls, value)
            text.translations = MappingProxyType({})
        return text

    def in_language(self, language: str) -> str:
        """This text in a language, or as it is when that translation is missing."""
        return self.translations.get(language, str(self))

    def source(self) -> str | dict[str, str]:
        """The value as a file gives it: a plain string or a language mapping."""
        return dict(self.translations) if self.translations else str(self)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validate with _validate; dump back to the form the file used."""
        return core_schema.with_info_plain_validator_function(
            cls._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(cls.source),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Text, or one text per language."""
        return {"anyOf": [dict(alternative) for alternative in TEXT_JSON_SCHEMA["anyOf"]]}

    @classmethod
    def _validate(cls, value: Any, info: ValidationInfo) -> Text:
        # The context names the languages to show, most wanted first (see in_language).
        prefer = tuple((info.context or {}).get("languages", ()))
        if isinstance(value, Text):
            value = value.source()
        if isinstance(value, str):
            if not value.strip():
                raise PydanticCustomError("string_too_short", "must not be empty")
            return cls(value, prefer)
        if isinstance(value, Mapping) and value:
            for lang, text in value.items():
                if not isinstance(lang, str) or not _LANGUAGE_RE.match(lang):
                    raise PydanticCustomError(
                        "text_language",
                        "'{lang}' is not a language code such as 'en' or 'en-GB'",
                        {"lang": lang},
                    )
                if not isinstance(text, str) or not text.strip():
                    raise PydanticCustomError(
                        "text_translation",
                        "the '{lang}' text must be non-empty text",
                        {"lang": lang},
                    )
            return cls(value, prefer)
        raise PydanticCustomError("text_type", "should be text or one text per language")


OptionValue = int | str


class Frozen(BaseModel):
    """Base for every definition part: immutable and strict about unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ItemType(StrEnum):
    """The kinds of question a definition may ask."""

    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    AGREEMENT = "agreement"
    RULER = "ruler"
    YES_NO = "yes_no"
    DATE = "date"
    CONSENT = "consent"


NUMERIC_TYPES = frozenset({ItemType.AGREEMENT, ItemType.RULER})
TEXT_TYPES = frozenset({ItemType.SHORT_TEXT, ItemType.LONG_TEXT})

# The comparison operators of the condition language, by their YAML key.
OPERATORS = ("equals", "not_equals", "one_of", "at_least", "at_most", "above", "below", "answered")
SUBJECTS = ("item", "score", "mean", "index")


class Condition(Frozen):
    """A declarative test: all/any of conditions, or one subject compared by one operator.

    Examples: ``{item: smoker, equals: "yes"}``, ``{score: agency, below: 50}``,
    ``{mean: [exp_fix, exp_receive], at_least: 4}``, ``{any: [...]}``.
    A comparison on a missing or declined answer is false (never imputed); so is one on
    a ``mean`` with any of its items missing.
    """

    all: tuple[Condition, ...] | None = None
    any: tuple[Condition, ...] | None = None
    item: Ident | None = None
    score: Ident | None = None
    mean: tuple[Ident, ...] | None = None
    index: Ident | None = None
    equals: OptionValue | bool | None = None
    not_equals: OptionValue | bool | None = None
    one_of: tuple[OptionValue, ...] | None = None
    at_least: float | None = None
    at_most: float | None = None
    above: float | None = None
    below: float | None = None
    answered: bool | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> Condition:
        groups = [k for k in ("all", "any") if getattr(self, k) is not None]
        subjects = [k for k in SUBJECTS if getattr(self, k) is not None]
        ops = [k for k in OPERATORS if getattr(self, k) is not None]
        if groups:
            if len(groups) > 1 or subjects or ops:
                raise ValueError(
                    "a condition is either 'all: [...]', 'any: [...]' or a comparison"
                )
            if not getattr(self, groups[0]):
                raise ValueError(f"'{groups[0]}' needs at least one condition")
            return self
        if len(subjects) != 1:
            raise ValueError(
                "a comparison names exactly one of item, score, mean, index"
                f" (found {', '.join(subjects) or 'none'})"
            )
        if len(ops) != 1:
            raise ValueError(
                f"a comparison uses exactly one of {', '.join(OPERATORS)}"
                f" (found {', '.join(ops) or 'none'})"
            )
        if subjects[0] == "mean" and not self.mean:
            raise ValueError("'mean' needs at least one item")
        return self

    # Cached: every page and save evaluates the questionnaire's conditions several times over.
    @cached_property
    def subject(self) -> tuple[str, Any]:
        """The subject kind and its reference, for a comparison."""
        for key in SUBJECTS:
            value = getattr(self, key)
            if value is not None:
                return key, value
        raise ValueError("not a comparison")

    @cached_property
    def operator(self) -> tuple[str, Any]:
        """The operator name and its operand, for a comparison."""
        for key in OPERATORS:
            value = getattr(self, key)
            if value is not None:
                return key, value
        raise ValueError("not a comparison")

    def referenced_items(self) -> set[str]:
        """Every item id this condition reads, at any depth."""
        found: set[str] = set()
        for child in (self.all or ()) + (self.any or ()):
            found |= child.referenced_items()
        if self.item:
            found.add(self.item)
        if self.mean:
            found.update(self.mean)
        return found


# A code system is named by its URI, as in FHIR: http://loinc.org, http://snomed.info/sct.
SYSTEM_PATTERN = r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$"


class Coding(Frozen):
    """A code from a terminology such as LOINC (FHIR's Coding): what a thing is, for systems."""

    system: str = Field(
        pattern=SYSTEM_PATTERN, description="The code system's URI, such as http://loinc.org."
    )
    code: str = Field(min_length=1, pattern=r"^\S(.*\S)?$")
    display: str | None = Field(default=None, min_length=1)


class Option(Frozen):
    """One choice of a single or multiple choice item."""

    value: OptionValue
    label: Text
    weight: int | float | None = Field(
        default=None,
        description="What this answer adds to a score (FHIR's itemWeight). Default: the value,"
        " when the value is a whole number.",
    )
    code: Coding | None = Field(
        default=None, description="The answer's code, such as a LOINC LA code."
    )

    @property
    def score(self) -> int | float | None:
        """The number this answer scores: its weight, else its value when that is a number."""
        if self.weight is not None:
            return self.weight
        return self.value if isinstance(self.value, int) else None


class Scale(Frozen):
    """An agreement scale: integer points from min to max with a label for each."""

    min: int = 1
    max: int = 5
    labels: tuple[Text, ...]

    @model_validator(mode="after")
    def _labels_fit(self) -> Scale:
        if self.max <= self.min:
            raise ValueError("max must be greater than min")
        if len(self.labels) != self.max - self.min + 1:
            raise ValueError(
                f"needs {self.max - self.min + 1} labels (one per point), got {len(self.labels)}"
            )
        return self


DEFAULT_SCALE = Scale(
    labels=(
        Text({"en": "Strongly disagree", "es": "Totalmente en desacuerdo"}),
        Text({"en": "Disagree", "es": "En desacuerdo"}),
        Text({"en": "Neither agree nor disagree", "es": "Ni de acuerdo ni en desacuerdo"}),
        Text({"en": "Agree", "es": "De acuerdo"}),
        Text({"en": "Strongly agree", "es": "Totalmente de acuerdo"}),
    )
)


class Item(Frozen):
    """One question."""

    id: Ident
    type: ItemType
    prompt: Text
    short: Text | None = Field(
        default=None,
        description="A few words naming what the question asks, in the brief's language, for"
        " sentences built from the answers (e.g. 'has already started').",
    )
    help: Text | None = None
    required: bool = False
    decline: bool = Field(
        default=False, description="Offer 'prefer not to answer' (scored as missing)."
    )
    options: tuple[Option, ...] | None = None
    scale: Ident | None = Field(default=None, description="Name of a scale (agreement items).")
    low_label: Text | None = Field(default=None, description="Ruler: what 0 means.")
    high_label: Text | None = Field(default=None, description="Ruler: what 10 means.")
    max_length: int | None = Field(default=None, gt=0, le=100_000)
    allow_past: bool = Field(
        default=False,
        description="Date items: accept a date before today (e.g. a date of birth). By"
        " default a date is for planning ahead, so one already past is refused.",
    )
    show_if: Condition | None = None
    codes: tuple[Coding, ...] = Field(
        default=(), description="What the question is, for other systems (e.g. its LOINC code)."
    )
    sensitive: bool = Field(
        default=False,
        description="Left out of the client's own copy when they choose to leave out sensitive"
        " answers (the safety item and its follow-ups always are).",
    )

    @model_validator(mode="after")
    def _fits_type(self) -> Item:
        choice = self.type in (ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE)
        if choice and not self.options:
            raise ValueError(f"a {self.type.value} item needs 'options'")
        if not choice and self.options is not None:
            raise ValueError(f"'options' only belongs on choice items, not {self.type.value}")
        if self.options is not None:
            values = [o.value for o in self.options]
            if len(set(values)) != len(values):
                raise ValueError("option values must be unique")
            if DECLINED in values:
                raise ValueError(f"'{DECLINED}' is reserved for 'prefer not to answer'")
        if self.scale is not None and self.type is not ItemType.AGREEMENT:
            raise ValueError("'scale' only belongs on agreement items")
        if self.max_length is not None and self.type not in TEXT_TYPES:
            raise ValueError("'max_length' only belongs on text items")
        if self.decline and self.type is ItemType.CONSENT:
            raise ValueError("a consent item cannot offer 'prefer not to answer'")
        if self.allow_past and self.type is not ItemType.DATE:
            raise ValueError("'allow_past' only belongs on date items")
        return self


class Page(Frozen):
    """A section of the questionnaire, shown as one step of the wizard."""

    id: Ident
    title: Text
    intro: Text | None = None
    show_if: Condition | None = None
    items: tuple[Item, ...] = Field(min_length=1)


class Band(Frozen):
    """A score range with a label.

    On a 0-100 'mean' dimension a band runs from min up to (not including) max, and the top
    band includes 100. On a 'sum' measure bands are whole-number ranges with both ends
    included, as instruments print them (0-4, 5-9).
    """

    id: Ident
    label: str = Field(min_length=1, description="The band's name, as the instrument names it.")
    min: float
    max: float
    meaning: str | None = Field(default=None, description="Plain-language line for the brief.")


class Method(StrEnum):
    """How a dimension or measure turns item answers into one figure."""

    MEAN = "mean"
    SUM = "sum"


class Rounding(StrEnum):
    """How a prorated total becomes a whole number."""

    HALF_UP = "half_up"
    HALF_EVEN = "half_even"
    FLOOR = "floor"
    CEILING = "ceiling"


class Proration(StrEnum):
    """How a total is filled in for missing answers."""

    MEAN_OF_ANSWERED = "mean_of_answered"


class ReliableChange(Frozen):
    """The published figures that say when a change in a total is more than measurement
    error (Jacobson & Truax): the measure's standard deviation and reliability, or a
    published criterion in points. Cite the source in a YAML comment beside them."""

    sd: float | None = Field(default=None, gt=0, description="The published standard deviation.")
    reliability: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="The published reliability (e.g. Cronbach's alpha or test-retest r).",
    )
    points: float | None = Field(
        default=None,
        gt=0,
        description="A published reliable-change criterion in points, instead of sd and"
        " reliability: a change of this many points or more is reliable.",
    )

    @model_validator(mode="after")
    def _one_form(self) -> ReliableChange:
        pair = self.sd is not None and self.reliability is not None
        half = (self.sd is None) != (self.reliability is None)
        if half or pair == (self.points is not None):
            raise ValueError("give either sd and reliability, or points")
        return self


class Dimension(Frozen):
    """A scored measure: a 0-100 profile dimension ('mean') or a total on its own scale ('sum').

    'mean': the mean of the keyed items rescaled to 0-100, prorated when at most max_missing
    (default 1) items are missing and at least min_answered are given. 'sum': the sum of the
    items' weights on the instrument's own scale; with items missing (at most max_missing,
    default 0) it is prorated as the mean of the answered items times the item count, then
    rounded to a whole number; an item listed in never_impute must be answered.
    """

    id: Ident
    label: str = Field(min_length=1)
    description: str = Field(min_length=1)
    method: Method = Field(
        default=Method.MEAN,
        description="'mean': a 0-100 profile dimension; 'sum': a total on its own scale.",
    )
    items: tuple[Ident, ...] = Field(min_length=1)
    reverse: tuple[Ident, ...] = ()
    max_missing: int | None = Field(
        default=None,
        ge=0,
        description="How many items may be missing and the score still given (prorated)."
        " Default: 1 for 'mean', 0 for 'sum'.",
    )
    min_answered: int = Field(default=2, ge=1)
    range: tuple[int, int] | None = Field(
        default=None,
        description="'sum' only: the lowest and highest total, e.g. [0, 27]; checked against"
        " the items' answers. Default: worked out from them.",
    )
    rounding: Rounding | None = Field(
        default=None,
        description="'sum' only: how a prorated total becomes a whole number. Default: half_up.",
    )
    proration: Proration | None = Field(
        default=None,
        description="'sum' only: how missing items are filled in: mean_of_answered (the total"
        " is the mean of the answered items times the number of items). Default:"
        " mean_of_answered.",
    )
    never_impute: tuple[Ident, ...] = Field(
        default=(),
        description="'sum' only: items never filled in; when one is missing the total is not"
        " scored.",
    )
    unscored_items: tuple[Ident, ...] = Field(
        default=(),
        description="'sum' only: questions the brief shows with the total that are not part of"
        " it (such as the PHQ-9's difficulty question).",
    )
    bands: tuple[Band, ...] | None = None
    lines: dict[Ident, str] = Field(
        default_factory=dict, description="Plain-language line for the brief, per band id."
    )
    opener: str | None = Field(
        default=None,
        description="'mean' only: a first-session topic to suggest when this dimension is low.",
    )
    codes: tuple[Coding, ...] = Field(
        default=(), description="What the score is, for other systems (e.g. a LOINC code)."
    )
    reliable_change: ReliableChange | None = Field(
        default=None,
        description="'sum' only: when a change between two totals of one client is reliable"
        " (Jacobson & Truax), from published figures.",
    )
    cutoff: int | None = Field(
        default=None,
        description="'sum' only: the instrument's clinical cut-off (a total at or above it is"
        " in the clinical range), e.g. 10 for the PHQ-9; the trend says when it is crossed.",
    )

    @property
    def is_sum(self) -> bool:
        """Whether this is a total on its own scale rather than a 0-100 profile dimension."""
        return self.method is Method.SUM

    @property
    def allowed_missing(self) -> int:
        """How many items may be missing (the method's default unless the file says)."""
        if self.max_missing is not None:
            return self.max_missing
        return 0 if self.is_sum else 1

    @property
    def rounding_rule(self) -> Rounding:
        """How a prorated total is rounded."""
        return self.rounding or Rounding.HALF_UP


class Index(Frozen):
    """A signed figure: mean of 'plus' items minus mean of 'minus' items, raw values.

    Each side must meet the dimension rule on its own: at most max_missing items missing and
    at least min_answered answered (a side with fewer items needs all of them). Otherwise the
    index is not computed, and no flag can rest on it: one answer is never a side's mean.
    """

    id: Ident
    label: str = Field(min_length=1)
    description: str | None = None
    plus: tuple[Ident, ...] = Field(min_length=1)
    minus: tuple[Ident, ...] = Field(min_length=1)
    plus_label: str | None = Field(
        default=None, description="The brief's name for the 'plus' side, e.g. 'own reasons'."
    )
    minus_label: str | None = Field(
        default=None,
        description="The brief's name for the 'minus' side, e.g. 'outside pressure'.",
    )
    max_missing: int = Field(default=1, ge=0, description="Most items a side may miss.")
    min_answered: int = Field(
        default=2, ge=1, description="Fewest answers a side needs (at most all of its items)."
    )

    def side_counts(self, refs: tuple[str, ...], answered: int) -> bool:
        """Whether one side, with this many of its items answered, is enough to compute."""
        missing = len(refs) - answered
        return missing <= self.max_missing and answered >= min(self.min_answered, len(refs))


class Flag(Frozen):
    """A pattern worth a therapist's attention, raised when its condition holds."""

    id: Ident
    label: str = Field(min_length=1)
    description: str = Field(min_length=1, description="What the client said, in plain words.")
    stance: str | None = Field(default=None, description="A suggested stance for the therapist.")
    when: Condition


FOLLOW_UP_VALUES = ("yes", "no", "rather_not_say")


class SafetyFollowUps(Frozen):
    """Two questions asked only after a positive safety answer, in the manner of the NIMH ASQ.

    Each is a single choice whose option values are exactly yes, no and rather_not_say. They
    change what the crisis page leads with and what the clinic sees; never scored, never a risk
    level.
    """

    now: Ident = Field(description="'Are you having thoughts of ending your life right now?'")
    ever: Ident = Field(description="'Have you ever tried to end your life?'")


class Safety(Frozen):
    """The self-harm item: urgent when its answer reaches the threshold."""

    # Defaults are validated too, so the built-in texts follow the definition's language.
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    item: Ident
    threshold: int = Field(ge=0)
    crisis_title: Text = Text(
        {
            "en": "If you are thinking about harming yourself",
            "es": "Si está pensando en hacerse daño",
        }
    )
    crisis_text: Text
    emergency_number: str = Field(min_length=1)
    follow_ups: SafetyFollowUps | None = Field(
        default=None,
        description="Follow-up items shown after a positive safety answer (values yes, no,"
        " rather_not_say).",
    )
    stands_for: tuple[Ident, ...] = Field(
        default=(),
        description="Questionnaire ids whose safety item this item answers when both are asked"
        " in one intake: theirs is then not asked, and their scoring reads this answer (their"
        " answer values must be among this item's).",
    )
    ask_again: Text = Text(
        {
            "en": "This question helps us look after you. You can answer it now, or leave it"
            " blank and continue.",
            "es": "Esta pregunta nos ayuda a cuidar de usted. Puede responderla ahora, o"
            " dejarla en blanco y continuar.",
        }
    )

    @property
    def asked_items(self) -> tuple[str, ...]:
        """The safety item and its follow-ups: what only the client's own Next saves."""
        if self.follow_ups is None:
            return (self.item,)
        return (self.item, self.follow_ups.now, self.follow_ups.ever)


class Goals(Frozen):
    """The wizard's goals step: the client names one to three goals in their own words and
    rates each 0-10; a later intake of the same client re-rates them."""

    after: Ident = Field(
        description="The question the goals build on (such as 'What do you hope will be"
        " different?'): the step follows its page and shows the client's answer."
    )


class Consent(Frozen):
    """What the client agrees to on the welcome page, signed with their typed name.

    It comes before the first question, so no answer is stored without it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    version: str = Field(
        min_length=1,
        max_length=32,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="Names this wording; stored with every signature. Change it with the text.",
    )
    title: Text = Text({"en": "Your consent", "es": "Su consentimiento"})
    text: Text


class BriefLayout(Frozen):
    """Which items the brief quotes in which section, and the two rulers."""

    own_words: tuple[Ident, ...] = ()
    expectations: tuple[Ident, ...] = ()
    background: tuple[Ident, ...] = ()
    practical: tuple[Ident, ...] = ()
    importance: Ident | None = None
    confidence: Ident | None = None
    gap_flag: Ident | None = Field(
        default=None, description="The flag that marks a wide importance/confidence gap."
    )


ExpectedScore = float | Literal["not_scored"]


class Expectation(Frozen):
    """What scoring an example must give; only the keys given are checked."""

    scores: dict[Ident, ExpectedScore] = Field(default_factory=dict)
    bands: dict[Ident, Ident] = Field(default_factory=dict)
    prorated: tuple[Ident, ...] | None = None
    indices: dict[Ident, float] = Field(default_factory=dict)
    flags: tuple[Ident, ...] | None = None
    urgent: bool | None = None
    safety_unanswered: bool | None = Field(
        default=None,
        description="Whether the safety item is left blank (the clinic is asked to make contact).",
    )


class Example(Frozen):
    """A worked example: an answer set and the scores it must produce."""

    name: str = Field(min_length=1)
    answers: dict[Ident, Any]
    expect: Expectation


class Definition(Frozen):
    """A whole questionnaire, one version of it."""

    id: Ident
    # Versions and titles are stored in indexed columns: bounded here, never a database error.
    version: int = Field(ge=1, le=MAX_VERSION)
    title: Text
    language: Language = Field(
        default="en", description="The language of plain texts, and of the therapist's brief."
    )
    languages: tuple[Language, ...] = Field(
        default=(),
        description="Every language the client may answer in; each client-facing text then"
        " gives one text per language. Default: only 'language'.",
    )
    description: Text | None = None
    copyright: Text | None = Field(
        default=None,
        description="The instrument's copyright or permission line, shown to the client and in"
        " the brief.",
    )
    codes: tuple[Coding, ...] = Field(
        default=(), description="What the questionnaire is, for other systems (e.g. LOINC)."
    )
    consent: Consent | None = Field(
        default=None, description="Consent asked on the welcome page, before any question."
    )
    scales: dict[Ident, Scale] = Field(default_factory=dict)
    bands: tuple[Band, ...] = ()
    pages: tuple[Page, ...] = Field(min_length=1)
    dimensions: tuple[Dimension, ...] = ()
    indices: tuple[Index, ...] = ()
    flags: tuple[Flag, ...] = ()
    safety: Safety | None = None
    adult_item: Ident | None = Field(
        default=None,
        description="A single choice 'Are you 18 or over?' (values yes, no): 'no' on a"
        " self-referral ends the intake kindly and tells the clinic.",
    )
    brief: BriefLayout = BriefLayout()
    goals: Goals | None = Field(
        default=None,
        description="Ask the client for their own goals (a step of the wizard after the named"
        " question's page); a clinic may also ask on every questionnaire, or never.",
    )
    examples: tuple[Example, ...] = ()

    def estimated_minutes(self) -> int:
        """A rough time to complete, for the welcome page, rounded up to 5 minutes.

        Questions shown only on some answers are left out: most clients do not see them.
        Writing takes longest; a choice takes a few seconds to read and tick.
        """
        seconds = {ItemType.LONG_TEXT: 90, ItemType.SHORT_TEXT: 20, ItemType.DATE: 20}
        total = sum(
            seconds.get(item.type, 8)
            for page in self.pages
            if page.show_if is None
            for item in page.items
            if item.show_if is None
        )
        return max(5, -(-total // 300) * 5)

    @property
    def offered_languages(self) -> tuple[str, ...]:
        """The languages a client may answer in, the definition's own first."""
        rest = tuple(lang for lang in self.languages if lang != self.language)
        return (self.language, *rest)

    @field_validator("title")
    @classmethod
    def _short_title(cls, title: Text) -> Text:
        longest = max(len(t) for t in (str(title), *title.translations.values()))
        if longest > MAX_TITLE:
            raise ValueError(f"keep the title under {MAX_TITLE} characters (it has {longest})")
        return title

    def in_language(self, language: str) -> Definition:
        """This definition with every client-facing text in a language it offers.

        Texts without that translation stay in the definition's language (forms check
        reports them). The copy's 'language' names the language its texts are now in.
        """
        if language == self.language or language not in self.offered_languages:
            return self
        cache = self._translated
        if language not in cache:
            data = self.model_dump()
            data["language"] = language
            context = {"languages": (language, self.language)}
            cache[language] = Definition.model_validate(data, context=context)
        return cache[language]

    def items(self) -> tuple[Item, ...]:
        """Every item in page order."""
        return tuple(item for page in self.pages for item in page.items)

    def item(self, item_id: str) -> Item:
        """The item with this id (KeyError if none)."""
        return self._item_index()[item_id]

    def has_item(self, item_id: str) -> bool:
        """Whether an item with this id exists."""
        return item_id in self._item_index()

    def page_of(self, item_id: str) -> Page:
        """The page that holds this item."""
        for page in self.pages:
            if any(i.id == item_id for i in page.items):
                return page
        raise KeyError(item_id)

    def scale_for(self, item: Item) -> tuple[int | float, int | float]:
        """The (min, max) an item's numeric answers range over (choices: their weights)."""
        if item.type is ItemType.RULER:
            return 0, 10
        if item.type is ItemType.AGREEMENT:
            scale = self.scales.get(item.scale or "", DEFAULT_SCALE)
            return scale.min, scale.max
        scores = [o.score for o in item.options or ()]
        if scores and all(s is not None for s in scores):
            numbers = [s for s in scores if s is not None]
            return min(numbers), max(numbers)
        raise ValueError(f"item {item.id} has no numeric scale")

    def is_numeric(self, item: Item) -> bool:
        """Whether an item's answers are numbers a score can use."""
        if item.type in NUMERIC_TYPES:
            return True
        return (
            item.type is ItemType.SINGLE_CHOICE
            and bool(item.options)
            and all(o.score is not None for o in item.options or ())
        )

    def item_value(self, item: Item, value: Any) -> int | float | None:
        """The number an answer scores, or None when blank, declined or not one of its answers.

        Agreement and ruler answers are their point on the scale; a choice scores its
        option's weight (or its value, when that is a whole number). A stored value that does
        not fit the question (an edited definition, a hand-made record) scores nothing rather
        than something outside the scale.
        """
        if value is None or isinstance(value, bool) or value == DECLINED:
            return None
        if item.type in NUMERIC_TYPES:
            whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
            low, high = self.scale_for(item)
            return int(value) if whole and low <= value <= high else None
        for option in item.options or ():
            if option.value == value and type(option.value) is type(value):
                return option.score
        return None

    def scale_labels(self, item: Item) -> tuple[str, ...]:
        """Labels of an agreement item's points, low to high, in this definition's language."""
        labels = self.scales.get(item.scale or "", DEFAULT_SCALE).labels
        return tuple(label.in_language(self.language) for label in labels)

    def bands_for(self, dimension: Dimension) -> tuple[Band, ...]:
        """The bands that apply to a dimension (its own, else the definition's 0-100 ones)."""
        if dimension.is_sum:
            return dimension.bands or ()
        return dimension.bands or self.bands

    def range_of(self, dimension: Dimension) -> tuple[float, float]:
        """The lowest and highest score a dimension can take: 0-100, or a sum's own range."""
        if not dimension.is_sum:
            return 0, 100
        if dimension.range is not None:
            return dimension.range
        return self.items_range(dimension)

    def items_range(self, dimension: Dimension) -> tuple[float, float]:
        """The range a sum's items give (a reversed item spans the same range)."""
        low: float = 0
        high: float = 0
        for item_id in dimension.items:
            a, b = self.scale_for(self.item(item_id))
            low, high = low + a, high + b
        return low, high

    # Cached: seen_answers walks this on every page and save, several times over.
    @cached_property
    def conditions_in_order(
        self,
    ) -> tuple[tuple[Condition | None, tuple[tuple[str, Condition | None], ...]], ...]:
        """Each page's condition, with its items' ids and conditions, in order."""
        return tuple(
            (page.show_if, tuple((item.id, item.show_if) for item in page.items))
            for page in self.pages
        )

    @cached_property
    def _translated(self) -> dict[str, Definition]:
        return {}

    @cached_property
    def _by_id(self) -> dict[str, Item]:
        return {item.id: item for item in self.items()}

    def _item_index(self) -> dict[str, Item]:
        return self._by_id
