"""Bar charts drawn as inline SVG by the templates, from figures the reports computed.

Python lays the bars out, so that templates only copy coordinates: numbers
are formatted here with a decimal point, never by the template engine, which
would write French decimal commas into SVG attributes. Colours come from CSS
classes (the CSP forbids inline styles). Every chart carries a title, a
description and the table of its figures, for screen readers and for anyone
who would rather read than look.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeData, SafeString, mark_safe

from ardoise.core.formats import format_amount

# Room for the labels around the bars, in SVG user units.
AXIS_HEIGHT = 22
VALUE_HEIGHT = 16
TOP_MARGIN = 8


def _number(value: float) -> str:
    return "%.1f" % value


@dataclass(frozen=True)
class Bar:
    x: str
    y: str
    width: str
    height: str
    css: str
    title: str  # read by screen readers and shown on hover


@dataclass(frozen=True)
class Label:
    x: str
    y: str
    text: str
    anchor: str = "middle"  # SVG text-anchor: start, middle or end
    css: str = ""


@dataclass(frozen=True)
class Series:
    """One kind of bar in a column chart, with its legend."""

    name: str
    css: str


@dataclass(frozen=True)
class Chart:
    """An SVG chart and the table of its figures."""

    title: str
    description: str
    width: int
    height: int
    bars: list[Bar]
    labels: list[Label]
    header: list[str]
    rows: list[list[str]]
    legend: list[Series] = field(default_factory=list)

    @property
    def view_box(self) -> str:
        return "0 0 %s %s" % (self.width, self.height)

    @property
    def shapes(self) -> SafeString:
        """Return the SVG elements of the bars and labels, built as one string.

        String formatting rather than template loops: a chart has dozens of
        shapes of six attributes each, which the template engine renders far
        more slowly. Every value is escaped here, by the standard library's
        ``html.escape``: Django's ``escape`` gives the same text but checks
        each argument for a lazy translation first, which costs more than the
        escaping.
        """
        bars = [
            '<rect x="%s" y="%s" width="%s" height="%s" class="%s"><title>%s</title></rect>\n    '
            % tuple(escape(str(value)) for value in (bar.x, bar.y, bar.width, bar.height, bar.css, bar.title))
            for bar in self.bars
        ]
        labels = [
            '<text x="%s" y="%s" text-anchor="%s" class="%s">%s</text>\n    '
            % tuple(escape(str(value)) for value in (label.x, label.y, label.anchor, label.css, label.text))
            for label in self.labels
        ]
        return mark_safe("".join(bars + labels))

    @property
    def table_head(self) -> SafeString:
        """Return the header cells of the table of figures, escaped, as ``shapes`` builds the SVG."""
        cells = ['<th scope="col">%s</th>' % _cell(self.header[0])] if self.header else []
        cells += ['<th scope="col" class="num">%s</th>' % _cell(label) for label in self.header[1:]]
        return mark_safe("".join(cells))

    @property
    def table_body(self) -> SafeString:
        """Return the rows of the table of figures, the first cell of each a row header, escaped."""
        rows = [
            "<tr>%s%s</tr>"
            % (
                '<th scope="row">%s</th>' % _cell(row[0]),
                "".join('<td class="num">%s</td>' % _cell(value) for value in row[1:]),
            )
            for row in self.rows
            if row
        ]
        return mark_safe("".join(rows))


def _cell(value: str) -> str:
    """Escape the text of a table cell as the template engine would: text marked safe stays as it is."""
    return value if isinstance(value, SafeData) else escape(str(value))


def column_chart(
    title: str,
    description: str,
    groups: Sequence[tuple[str, Sequence[Decimal]]],
    series: Sequence[Series],
    *,
    currency: str = "EUR",
    width: int = 720,
    height: int = 240,
    show_values: bool = False,
) -> Chart:
    """Draw one group of vertical bars per label, one bar per series; negative values draw no bar.

    ``show_values`` writes each amount above its bar, for charts with few bars.
    """
    highest = max((value for _label, values in groups for value in values), default=Decimal(0))
    scale = float(highest) if highest > 0 else 1.0
    plot_height = height - AXIS_HEIGHT - TOP_MARGIN - (VALUE_HEIGHT if show_values else 0)
    slot = width / max(len(groups), 1)
    bar_width = slot * 0.7 / max(len(series), 1)
    baseline = height - AXIS_HEIGHT

    bars: list[Bar] = []
    labels: list[Label] = []
    for index, (label, values) in enumerate(groups):
        left = index * slot + slot * 0.15
        for position, (serie, value) in enumerate(zip(series, values, strict=True)):
            bar_height = max(float(value), 0.0) / scale * plot_height
            x = left + position * bar_width
            text = "%s, %s : %s" % (label, serie.name, format_amount(value, currency))
            bars.append(
                Bar(
                    _number(x),
                    _number(baseline - bar_height),
                    _number(bar_width - 2),
                    _number(bar_height),
                    serie.css,
                    text,
                )
            )
            if show_values and value:
                labels.append(
                    Label(
                        _number(x + bar_width / 2),
                        _number(baseline - bar_height - 4),
                        format_amount(value, currency),
                        css="chart-value",
                    )
                )
        labels.append(Label(_number(index * slot + slot / 2), _number(height - 6), label, css="chart-axis"))

    rows = [[label, *(format_amount(value, currency) for value in values)] for label, values in groups]
    return Chart(
        title=title,
        description=description,
        width=width,
        height=height,
        bars=bars,
        labels=labels,
        header=["", *(serie.name for serie in series)],
        rows=rows,
        legend=list(series) if len(series) > 1 else [],
    )


def bar_chart(
    title: str,
    description: str,
    rows: Sequence[tuple[str, Decimal, str]],
    value_header: str,
    *,
    currency: str = "EUR",
    width: int = 720,
    row_height: int = 26,
    label_width: int = 230,
    value_text: Sequence[str] | None = None,
) -> Chart:
    """Draw one horizontal bar per row (label, value, CSS class), the label on its left and the value on its right.

    ``value_text`` replaces the amounts written beside the bars (days instead of euros, for instance).
    """
    texts = list(value_text) if value_text is not None else [format_amount(value, currency) for _l, value, _c in rows]
    highest = max((value for _label, value, _css in rows), default=Decimal(0))
    scale = float(highest) if highest > 0 else 1.0
    # Room for the widest value, at about 7 units per character of the 12-unit font.
    value_room = max((len(text) for text in texts), default=0) * 7 + 12
    plot_width = width - label_width - value_room
    height = max(len(rows), 1) * row_height + TOP_MARGIN

    bars: list[Bar] = []
    labels: list[Label] = []
    for index, ((label, value, css), text) in enumerate(zip(rows, texts, strict=True)):
        top = TOP_MARGIN + index * row_height
        length = max(float(value), 0.0) / scale * plot_width
        middle = top + row_height / 2
        bars.append(
            Bar(
                _number(label_width),
                _number(top + 4),
                _number(length),
                _number(row_height - 8),
                css,
                "%s : %s" % (label, text),
            )
        )
        labels.append(Label(_number(label_width - 8), _number(middle + 4), _shorten(label), "end", "chart-axis"))
        labels.append(Label(_number(label_width + length + 6), _number(middle + 4), text, "start", "chart-value"))

    return Chart(
        title=title,
        description=description,
        width=width,
        height=height,
        bars=bars,
        labels=labels,
        header=["", value_header],
        rows=[[label, text] for (label, _value, _css), text in zip(rows, texts, strict=True)],
    )


def _shorten(label: str, length: int = 32) -> str:
    """Cut a long customer name for the axis; the full name stays in the bar's title and the table."""
    return label if len(label) <= length else label[: length - 1] + "…"
