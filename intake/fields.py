"""Form fields shared by the client's and the staff's forms."""

from __future__ import annotations

from typing import Any

from wtforms import SelectMultipleField, TextAreaField, widgets


class CheckboxesField(SelectMultipleField):
    """Several checkboxes: a multiple choice that works without JavaScript."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class TextBoxField(TextAreaField):
    """A text box whose line breaks are one character each, as the browser counts them.

    Browsers send each line break of a text box as two characters (CR LF) while its
    maxlength counts one, so a box the browser let the client fill to its limit would
    otherwise fail the same limit on the server.
    """

    data: str | None

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Take the posted text with its line breaks as LF."""
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = self.data.replace("\r\n", "\n").replace("\r", "\n")
