"""The window's steps against the runbook's budgets, drawn as an inline SVG (no JS, no fonts).

A rehearsal's steps take seconds where the runbook allows minutes, so a shared time axis
would show invisible bars. Each step is a bullet bar instead: the track is the step's
budget, the fill is its duration (capped, with an overflow mark when over budget); a last
row compares the whole window with the runbook's 1 h 45 min.
"""

from __future__ import annotations

from html import escape
from typing import Final

from gate.report.run_view import Step
from gate.window.budgets import WINDOW_BUDGET_S, human_duration

ROW_H: Final = 30
LABEL_W: Final = 190
BAR_W: Final = 420
TEXT_W: Final = 330
WIDTH: Final = LABEL_W + BAR_W + TEXT_W
COLOURS: Final = {"ok": "#16a34a", "over": "#d97706", "failed": "#dc2626", "unknown": "#94a3b8"}


def _offset(seconds: float) -> str:
    """``+1:09`` / ``+1:02:03``: a compact start offset from the first step."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"+{hours}:{minutes:02d}:{secs:02d}" if hours else f"+{minutes}:{secs:02d}"


def _state(step: Step) -> str:
    if step.failed:
        return "failed"
    if step.duration_s is None:
        return "unknown"
    return "over" if step.over_budget else "ok"


def _row(y: int, label: str, start: str, duration: float | None, budget: float | None, state: str) -> str:
    colour = COLOURS[state]
    track = f'<rect x="{LABEL_W}" y="{y + 8}" width="{BAR_W}" height="14" rx="3" fill="#e5e7eb"/>'
    if budget and duration is not None:
        ratio = duration / budget
        fill_w = max(2.0, min(ratio, 1.0) * BAR_W)
        pct = f"{ratio * 100:.0f}%" if ratio >= 0.01 else "<1%"
        text = f"{human_duration(duration)} of {human_duration(budget)} ({pct})"
    elif duration is not None:
        fill_w, text = 2.0, f"{human_duration(duration)} (no budget in the runbook)"
    else:
        fill_w, text = 0.0, "not run"
    fill = f'<rect x="{LABEL_W}" y="{y + 8}" width="{fill_w:.1f}" height="14" rx="3" fill="{colour}"/>'
    over = ""
    if budget and duration is not None and duration > budget:
        over = f'<path d="M{LABEL_W + BAR_W - 8} {y + 4} l8 11 l-8 11 z" fill="{colour}"/>'
    if state == "failed":
        text += " — FAILED"
    elif state == "over":
        text += " — over budget"
    return (
        f'<g class="step step-{state}">'
        f'<text x="4" y="{y + 20}" font-size="13" fill="#111827">{escape(label)}</text>'
        f'<text x="{LABEL_W - 8}" y="{y + 20}" font-size="11" fill="#6b7280" text-anchor="end">{escape(start)}</text>'
        f"{track}{fill}{over}"
        f'<text x="{LABEL_W + BAR_W + 8}" y="{y + 20}" font-size="12" fill="#374151">{escape(text)}</text></g>'
    )


def timeline_svg(steps: list[Step]) -> str:
    """An accessible SVG chart of ``steps`` (empty-state text when the window never ran)."""
    if not steps:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="40" viewBox="0 0 {WIDTH} 40">'
            '<title>No window steps recorded</title>'
            '<text x="4" y="24" font-size="13" fill="#6b7280">No window step was run (the run stopped before the window).</text></svg>'
        )
    origin = min((s.started_at for s in steps if s.started_at), default=None)
    rows: list[str] = []
    y = 24
    for step in steps:
        start = _offset((step.started_at - origin).total_seconds()) if origin and step.started_at else ""
        rows.append(_row(y, step.name, start, step.duration_s, step.budget_s, _state(step)))
        y += ROW_H
    total = sum(s.duration_s or 0.0 for s in steps)
    ended = [s.started_at.timestamp() + (s.duration_s or 0) for s in steps if s.started_at]
    elapsed = max(ended) - origin.timestamp() if origin and ended else total
    state = "failed" if any(s.failed for s in steps) else ("over" if elapsed > WINDOW_BUDGET_S else "ok")
    y += 6
    rows.append(f'<line x1="0" y1="{y}" x2="{WIDTH}" y2="{y}" stroke="#d1d5db"/>')
    rows.append(_row(y + 4, "whole window", "", elapsed, float(WINDOW_BUDGET_S), state))
    height = y + ROW_H + 12
    header = (
        f'<text x="4" y="14" font-size="11" fill="#6b7280">step</text>'
        f'<text x="{LABEL_W - 8}" y="14" font-size="11" fill="#6b7280" text-anchor="end">start</text>'
        f'<text x="{LABEL_W}" y="14" font-size="11" fill="#6b7280">duration against the runbook budget (track = budget)</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="timeline" width="100%" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">'
        f"<title>Window steps against the runbook budget</title>{header}{''.join(rows)}</svg>"
    )
