"""The yardstick of bench/load.py: a bare Flask + SQLAlchemy app that inserts one row per POST.

Served by the same gunicorn.conf.py as intake, on the same PostgreSQL, with the same pool
settings, so the ratio measures what a client's page save costs beyond the bare minimum.

A second route, POST /keep, does the least a save of answers must: read the client's row
under its lock, change it, commit (no form, CSRF, session or encryption). load.py measures
it too, so the gap between the two yardsticks shows what the read-modify-write itself costs.
"""

from __future__ import annotations

import os

from flask import Flask, redirect, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String, Text, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from werkzeug.wrappers import Response


class Base(DeclarativeBase):
    """The bare app's own declarative base."""


db = SQLAlchemy(model_class=Base)


class Row(db.Model):  # type: ignore[name-defined]
    """One posted form."""

    __tablename__ = "bench_bare_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    client: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int]
    text: Mapped[str] = mapped_column(Text)


class Kept(db.Model):  # type: ignore[name-defined]
    """One client's row, changed in place by every POST /keep."""

    __tablename__ = "bench_bare_kept"

    client: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int]
    text: Mapped[str] = mapped_column(Text)


def create_app() -> Flask:
    """The bare app on INTAKE_DATABASE_URL, pooled as intake is (pool per process, pre-ping)."""
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["INTAKE_DATABASE_URL"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "pool_pre_ping": True,
        "pool_size": 5,
        "max_overflow": 5,
    }
    db.init_app(app)

    @app.post("/save")
    def save() -> Response:
        db.session.add(
            Row(
                client=request.form["client"],
                seq=int(request.form["seq"]),
                text=request.form.get("text", ""),
            )
        )
        db.session.commit()
        return redirect("/saved")

    @app.post("/keep")
    def keep() -> Response:
        client = request.form["client"]
        row = db.session.scalar(select(Kept).where(Kept.client == client).with_for_update())
        if row is None:
            row = Kept(client=client, seq=0, text="")
            db.session.add(row)
        row.seq = int(request.form["seq"])
        row.text = request.form.get("text", "")
        db.session.commit()
        return redirect("/saved")

    with app.app_context():
        db.create_all()
    return app
