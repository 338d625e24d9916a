"""Property-based fuzzing (Hypothesis): every client and staff form, posted with generated
values, never answers 500 and never loses or changes a saved answer.

A small sample runs in `make test` on both databases; `python bench/fuzz.py` runs 10,000+.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import Fuzzer, hostile_values

EXAMPLES = 300


@pytest.mark.fuzz
def test_generated_posts_to_every_form(app: Flask, client: Any) -> None:
    fuzzer = Fuzzer(app)
    forms = fuzzer.forms()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def post_one(data: st.DataObject) -> None:
        form = data.draw(st.sampled_from(forms))
        fields = form[2]
        chosen = data.draw(st.lists(st.sampled_from(fields), unique=True)) if fields else []
        values = {name: data.draw(hostile_values()) for name in chosen}
        fuzzer.post(form, values)

    post_one()
    assert fuzzer.posts >= EXAMPLES
    assert fuzzer.problems == [], fuzzer.problems[:10]
    assert (fuzzer.server_errors, fuzzer.lost) == (0, 0)
