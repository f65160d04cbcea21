"""planner.report._once: a rendered macro placed as it is gives the text branca's second Jinja pass gives."""

from __future__ import annotations

import pytest
from branca.element import Element

from planner.report._once import _Verbatim, placed


@pytest.mark.parametrize(
    "text",
    [
        "var a = 1;\n",
        "var a = 1;\n\n",
        "\r\nline one\r\nline two\rline three\n",
        "no newline at the end",
        "",
        "\n",
        "   (function () { var rows = [[1,2],[3,4]]; })();\r\n",
        'var s = "a } b %} c #} d }}";\n',  # closers without an opener are plain text for Jinja too
        "{{ 1 + 1 }} and {% if true %}yes{% endif %}{# comment #}\n",  # Jinja syntax: branca's path
    ],
)
def test_placed_equals_the_jinja_pass(text: str) -> None:
    element = placed(text)
    assert element.render() == Element(text).render()
    assert isinstance(element, _Verbatim) == ("{{" not in text and "{%" not in text and "{#" not in text)
