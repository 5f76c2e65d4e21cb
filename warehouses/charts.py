"""The product page's chart of Quantity Available over time, drawn server-side as inline SVG
(no JavaScript library): each warehouse a step line, since a level holds until it changes."""

from dataclasses import dataclass
from datetime import datetime

from warehouses.selectors import ChartSeries

WIDTH = 720
HEIGHT = 220
MARGIN_LEFT = 48
MARGIN_RIGHT = 12
MARGIN_TOP = 12
MARGIN_BOTTOM = 28
COLOURS = ("#1d4ed8", "#137333", "#a15c07", "#7c3aed", "#b3261e", "#0e7490", "#4b5563")


@dataclass(frozen=True)
class ChartLine:
    label: str
    colour: str
    points: str  # the SVG polyline's "x,y x,y ..."
    last_value: int
    is_enabled: bool


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    lines: tuple[ChartLine, ...]
    y_ticks: tuple[tuple[float, int], ...]  # (y, value)
    x_labels: tuple[tuple[float, str], ...]  # (x, text)
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int


def history_chart(series: list[ChartSeries], *, now: datetime) -> Chart | None:
    """Scale every warehouse's points into one plot, the time axis ending at `now`."""
    points = [point for line in series for point in line.points]
    if not points:
        return None
    start = min(at for at, _ in points)
    end = max(now, max(at for at, _ in points))
    span = max((end - start).total_seconds(), 1.0)
    top_value = max(max(value for _, value in points), 1)
    left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    top, bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM

    def x_of(at: datetime) -> float:
        return round(left + (at - start).total_seconds() / span * (right - left), 1)

    def y_of(value: int) -> float:
        return round(bottom - value / top_value * (bottom - top), 1)

    lines = []
    for index, line in enumerate(series):
        coordinates: list[str] = []
        previous_y = None
        for at, value in line.points:
            x, y = x_of(at), y_of(value)
            if previous_y is not None:
                coordinates.append(f"{x},{previous_y}")
            coordinates.append(f"{x},{y}")
            previous_y = y
        coordinates.append(f"{right},{previous_y}")
        lines.append(
            ChartLine(
                label=line.warehouse.name,
                colour=COLOURS[index % len(COLOURS)],
                points=" ".join(coordinates),
                last_value=line.points[-1][1],
                is_enabled=line.warehouse.is_enabled,
            )
        )
    ticks = sorted({0, top_value // 2, top_value})
    label_format = "%Y-%m-%d" if span > 2 * 86400 else "%m-%d %H:%M"
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        lines=tuple(lines),
        y_ticks=tuple((y_of(value), value) for value in ticks),
        x_labels=((left, start.strftime(label_format)), (right, end.strftime(label_format))),
        plot_left=left,
        plot_right=right,
        plot_top=top,
        plot_bottom=bottom,
    )
