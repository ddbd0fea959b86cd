"""The sign-off page: what the DevOps, Backend and QA leads read and sign after the window.

One self-contained HTML file (inline CSS, inline SVG, no script, no external resource) and
the same content as Markdown for the change ticket. Every string coming from the run goes
through :func:`gate.redact.redact` and then HTML escaping: a check message quoting a
connection URL must not put a password on a page that gets printed and mailed around.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from pathlib import Path
from typing import Final

from gate.checks import ROLLBACK_BUDGET_S
from gate.redact import redact
from gate.report.matrix import MATRIX, decide_explanation
from gate.report.prices_section import load_evidence, price_rows, summary_lines
from gate.report.run_view import Check, Decision, Run, as_list
from gate.report.signoff_css import CSS
from gate.report.timeline import timeline_svg
from gate.report.wayback import Detail, reverse_finding, rollback_summary
from gate.window.budgets import WINDOW_BUDGET_S, human_duration

VERDICT_COLOURS: Final = {
    "GO": "#15803d",
    "NO-GO": "#c2410c",
    "ROLLBACK": "#b91c1c",
    "MONITOR": "#b45309",
    "HOTFIX": "#1d4ed8",
    "INTERRUPTED": "#7e22ce",
}
VERDICT_MEANING: Final = {
    "GO": "Every check passed. The migration stands and the shop is open.",
    "NO-GO": "Stopped before anything changed. Do not start the window: fix the cause, run preflight again.",
    "ROLLBACK": "A critical check failed after the data changed. Restore the pre-migration backup "
    "(scripts/deploy/rollback_production.sh <dump>) and redeploy the previous release.",
    "MONITOR": "A high-severity check failed. Watch errors and response times for 1 h, then decide: rollback or hotfix.",
    "HOTFIX": "A low-severity check failed. The migration stands; fix forward (for example add the missing colours).",
    "INTERRUPTED": "The window's process died with a step unfinished: nothing here is a verdict. Resume it with the "
    "command below (make window-status prints it), roll back, or close it on purpose (make window-close).",
}
SIGNERS: Final = ("DevOps Lead", "Backend Lead", "QA Lead")


def clean(value: object) -> str:
    """Redacted text of ``value`` (not escaped: the HTML writer escapes, Markdown escapes pipes)."""
    return redact("" if value is None else str(value))


def h(value: object) -> str:
    """Redacted and HTML-escaped: the only way run data enters the page."""
    return escape(clean(value), quote=True)


def not_applicable(message: str | None) -> bool:
    """A skip that is no sign-off item: PRE-03/04 inside a rehearsal (gate/preflight/rehearsal.py)."""
    from gate.run import NOT_APPLICABLE

    return bool(message) and NOT_APPLICABLE in str(message)


def manual_items(run: Run) -> list[str]:
    """Skipped checks with their reasons, then the run's own manual items (no duplicates)."""
    items = [f"{c.id} ({c.severity}): {clean(c.message) or 'skipped, no reason recorded'}" for c in run.checks
             if c.outcome == "skipped" and not not_applicable(c.message)]
    seen = {i.split(" ", 1)[0] for i in items}
    items += [clean(i) for i in run.manual_items if i.split(":", 1)[0].split(" ", 1)[0] not in seen]
    return items


def _short(text: str, limit: int = 240) -> str:
    """The first line of a message, cut at ``limit`` (the table below keeps the whole message)."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def _fmt_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if value else "—"


def _counts(run: Run) -> dict[str, int]:
    counts: dict[str, int] = {}
    for check in run.checks:
        counts[check.outcome] = counts.get(check.outcome, 0) + 1
    return counts




def _checks_html(run: Run, decider: str | None) -> str:
    parts: list[str] = []
    for phase, checks in run.checks_by_phase():
        rows = "".join(_check_row(c, c.id == decider) for c in checks)
        parts.append(
            f'<h3>{h(phase)}</h3><table class="checks"><thead><tr><th>check</th><th>outcome</th><th>severity</th>'
            f'<th>message</th><th>duration</th></tr></thead><tbody>{rows}</tbody></table>'
        )
    return "".join(parts) or "<p>No check result recorded.</p>"


def _check_row(check: Check, decider: bool) -> str:
    title = f'<div class="note">{h(check.title)}</div>' if check.title else ""
    return (
        f'<tr class="{"decider" if decider else ""}" data-check="{h(check.id)}"><td class="id">{h(check.id)}</td>'
        f'<td><span class="badge o-{h(check.outcome)}">{h(check.outcome)}</span></td>'
        f'<td class="s-{h(check.severity)}">{h(check.severity)}</td><td>{h(check.message)}{title}</td>'
        f'<td class="num">{h(human_duration(check.duration_s))}</td></tr>'
    )


def _decision_html(run: Run, decision: Decision) -> str:
    check = run.check(decision.deciding_check)
    decider = (
        f"<code>{h(check.id)}</code> ({h(check.severity)}, {h(check.outcome)}) — {h(_short(check.message))}"
        if check
        else (h(decision.deciding_check) if decision.deciding_check else "none: every check passed")
    )
    note = (
        '<p class="note">The gate recorded no matrix row for this run; the report derived it from the checks with '
        "the rule of SPEC.md.</p>"
        if decision.derived
        else ""
    )
    matrix_rows = "".join(
        f'<tr><td class="{"hit" if r.text == decision.matrix_row else ""}">{h(r.problem)}</td><td>{h(r.severity)}</td>'
        f"<td>{h(r.rollback)}</td><td>{h(r.action)}</td><td>{h(r.verdict)}</td></tr>"
        for r in MATRIX
    )
    return (
        f'<dl class="decision"><dt>Deciding check</dt><dd class="deciding-check">{decider}</dd>'
        f'<dt>Matrix row</dt><dd class="matrix-row">{h(decision.matrix_row)}</dd></dl>{note}'
        '<details><summary class="note">The whole Rollback Decision Matrix</summary><table class="matrix"><thead><tr>'
        "<th>problem</th><th>severity</th><th>rollback?</th><th>action</th><th>verdict</th></tr></thead>"
        f"<tbody>{matrix_rows}</tbody></table></details>"
    )


def _backup_html(run: Run) -> str:
    if not run.backup:
        return "<p>No backup recorded for this run (the window stopped before the backup step, or the manifest is missing).</p>"
    backup = run.backup
    size = f"<tr><th>size</th><td>{backup.size_bytes:,} bytes</td></tr>" if backup.size_bytes is not None else ""
    if backup.duration_s is not None:
        size += f"<tr><th>took</th><td>{h(human_duration(backup.duration_s))} (runbook: 10 min)</td></tr>"
    if backup.problem:
        size += f'<tr><th>problem</th><td class="warn">{h(backup.problem)}</td></tr>'

    return (
        f'<table class="backup"><tr><th>file</th><td class="mono">{h(run.backup.path)}</td></tr>'
        f'<tr><th>sha256</th><td class="mono">{h(run.backup.sha256 or "not recorded")}</td></tr>{size}</table>'
    )


def _detail_cell(value: str | list[str]) -> str:
    if isinstance(value, list):
        return "<ul>" + "".join(f"<li>{h(v)}</li>" for v in value) + "</ul>"
    return h(value)


def _details_table(details: list[Detail]) -> str:
    rows = "".join(f"<tr><th>{h(k)}</th><td>{_detail_cell(v)}</td></tr>" for k, v in details)
    return f'<table class="details">{rows}</table>' if rows else ""


def _wayback_html(run: Run) -> str:
    finding = reverse_finding(run.reverse_migration)
    rollback = rollback_summary(run.run_dir)
    if not finding and not rollback:
        return ""
    parts = ["<h2>The way back</h2>"]
    if rollback:
        css = "okbox" if rollback.within_budget else "warn"
        parts.append(f'<p class="{css} rollback"><b>{h(rollback.headline)}</b></p>')
        details: list[Detail] = [("database state", rollback.db_state)] if rollback.db_state else []
        details += [(f"phase {name}", text) for name, text in rollback.phases]
        if rollback.message:
            details.append(("how to continue", rollback.message))
        parts.append(_details_table(details))
    if finding:
        css = "warn" if finding.restore_only else "okbox"
        parts.append(f'<p class="{css} reverse-migration"><b>{h(finding.sentence)}</b></p>')
        parts.append(_details_table(finding.details))
    return "".join(parts)


def _prices_html(run: Run) -> str:
    evidence = load_evidence(run.run_dir)
    if not evidence:
        return "<p>PST-11/12 did not run in this run: prices and stock were not compared with the 1C package.</p>"
    rows = "".join(f'<tr><td>{h(w)}</td><td class="mono">{h(c)}</td><td>{p:,}</td><td>{d:,}</td>'
                   f'<td class="{"" if s == "equal" else "warn"}">{h(s)}</td></tr>' for w, c, p, d, s in price_rows(evidence))
    notes = "".join(f"<li>{h(line)}</li>" for line in summary_lines(evidence))
    return ('<table class="details prices"><thead><tr><th></th><th>column</th><th>1C package</th><th>database</th>'
            f"<th></th></tr></thead><tbody>{rows}</tbody></table><ul>{notes}</ul>")


def _overrides_html(run: Run) -> str:
    """The guard overrides of this run (gate/window/guard.py): who ran a destructive step past a stop, and why."""
    from gate.window.guard import overrides

    found = overrides(run.run_dir)
    if not found:
        return ""
    lis = "".join(f"<li><b>{h(o.get('step'))}</b> run past: {h('; '.join(o.get('overridden', [])))} — "
                  f"reason given: <q>{h(o.get('reason'))}</q> ({h(o.get('at'))})</li>" for o in found)
    return f'<h2>Guard overrides</h2><p class="note">Destructive steps run although this run said stop.</p><ul>{lis}</ul>'


def _settings_warnings_html(run: Run) -> str:
    """Env-file keys that are no setting but look like one (a misspelt DATABASE_URL is ignored, not used)."""
    warnings = [str(w) for w in as_list(run.raw.get("settings_warnings"))]
    if not warnings:
        return ""
    lis = "".join(f"<li>{h(w)}</li>" for w in warnings)
    return ('<h2>Settings warnings</h2><p class="note">Keys of the env file that were ignored: check that each '
            f"setting meant was really given.</p><ul>{lis}</ul>")


def _manual_html(run: Run) -> str:
    items = manual_items(run)
    if not items:
        return "<p>No manual item: every check was verified by the gate.</p>"
    lis = "".join(f'<li><label><input type="checkbox"> {h(i)}</label></li>' for i in items)
    return f'<p class="note">Checks the gate could not verify. Tick each one once a person has verified it.</p><ul class="manual">{lis}</ul>'


def _sign_html(verdict: str) -> str:
    boxes = "".join(
        f"<div><b>{escape(role)}</b><p>Name</p><p>Date</p><p>Signature</p><p>Agrees with {escape(verdict)}: yes / no</p></div>"
        for role in SIGNERS
    )
    return f'<div class="sign">{boxes}</div>'


def render_html(run: Run, report_href: str | None = None) -> str:
    """The complete sign-off page as one HTML string (no script, no external resource)."""
    decision = decide_explanation(run)
    verdict = run.verdict
    colour = VERDICT_COLOURS.get(verdict, "#374151")
    counts = ", ".join(f"{n} {k}" for k, n in sorted(_counts(run).items())) or "no checks"
    report = f' · <a href="{h(report_href)}">Allure report</a>' if report_href else ""
    target = f" · target <code>{h(run.target)}</code>" if run.target else ""
    if run.rehearsal_of:
        target = f" · rehearsal of {h(run.rehearsal_of)} (no target: nothing outside the disposable server was touched)"
        if run.not_applicable:
            target += " · not applicable in a rehearsal: " + "; ".join(h(i.split(':', 1)[0]) for i in run.not_applicable)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-off {h(verdict)} — run {h(run.run_id)}</title><style>{CSS}</style></head>
<body><main>
<h1>FreeSport v13.3 → v13.4 migration — sign-off</h1>
<div class="meta">run <code>{h(run.run_id)}</code>{target} · started {h(_fmt_time(run.started_at))} · finished {h(_fmt_time(run.finished_at))}{report}</div>
<section class="verdict" id="verdict" data-verdict="{h(verdict)}" style="background:{colour}">
<div class="word">{h(verdict)}</div><div class="why"><b>Verdict: {h(verdict)}</b>{h(VERDICT_MEANING.get(verdict, "The run recorded no verdict."))}</div>
</section>
<h2>Why</h2>{_decision_html(run, decision)}
{_overrides_html(run)}
{_settings_warnings_html(run)}
{_wayback_html(run)}
<h2>Backup</h2>{_backup_html(run)}
<h2>Step timeline</h2>
<p class="note">Runbook budgets: window {h(human_duration(WINDOW_BUDGET_S))}, rollback {h(human_duration(ROLLBACK_BUDGET_S))}.</p>
{timeline_svg(run.steps)}
<h2>Prices and stock vs the 1C package</h2>{_prices_html(run)}
<h2>Manual items</h2>{_manual_html(run)}
<h2>Checks by phase</h2><p class="note">{h(counts)}</p>{_checks_html(run, decision.deciding_check)}
<h2>Sign-off</h2><p class="note">We have read this page and agree with the verdict {h(verdict)}.</p>{_sign_html(verdict)}
</main></body></html>
"""


def _md(value: object) -> str:
    return clean(value).replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|").replace("\n", " ")


def render_markdown(run: Run) -> str:
    """The same sign-off as Markdown (for the change ticket); tables, checkboxes, signature lines."""
    decision = decide_explanation(run)
    lines = [
        "# FreeSport v13.3 → v13.4 migration — sign-off",
        "",
        f"Run `{_md(run.run_id)}`" + (f" · rehearsal of {_md(run.rehearsal_of)}" + "".join(
            f" · not applicable in a rehearsal: {_md(i.split(':', 1)[0])}" for i in run.not_applicable)
            if run.rehearsal_of else
                                      f" · target `{_md(run.target)}`" if run.target else "")
        + f" · started {_fmt_time(run.started_at)} · finished {_fmt_time(run.finished_at)}",
        "",
        f"## Verdict: **{_md(run.verdict)}**",
        "",
        _md(VERDICT_MEANING.get(run.verdict, "The run recorded no verdict.")),
        "",
        f"- Deciding check: {_md(decision.deciding_check or 'none: every check passed')}",
        f"- Matrix row: {_md(decision.matrix_row)}" + (" (derived by the report)" if decision.derived else ""),
        "",
    ]
    finding = reverse_finding(run.reverse_migration)
    rollback = rollback_summary(run.run_dir)
    if finding or rollback:
        lines += ["## The way back", ""]
    if rollback:
        lines += [f"**{_md(rollback.headline)}**", ""]
        lines += [f"- database state: {_md(rollback.db_state)}"] if rollback.db_state else []
        lines += [f"- phase {_md(n)}: {_md(t)}" for n, t in rollback.phases] + [""]
    if finding:
        lines += [f"**{_md(finding.sentence)}**", ""]
        for key, value in finding.details:
            lines += [f"- {_md(key)}: {_md(value)}"] if isinstance(value, str) else [f"- {_md(key)}:", *[f"  - {_md(v)}" for v in value]]
        lines.append("")
    lines += ["## Backup", ""]
    if run.backup:
        lines += [f"- File: `{_md(run.backup.path)}`", f"- sha256: `{_md(run.backup.sha256 or 'not recorded')}`", ""]
    else:
        lines += ["No backup recorded for this run.", ""]
    lines += ["## Step timeline", "", "| step | duration | budget | share | state |", "|---|---|---|---|---|"]
    for step in run.steps:
        ratio = step.duration_s / step.budget_s if step.budget_s and step.duration_s is not None else None
        share = "—" if ratio is None else (f"{ratio * 100:.0f}%" if ratio >= 0.01 else "&lt;1%")
        state = "FAILED" if step.failed else ("over budget" if step.over_budget else "ok")
        lines.append(
            f"| {_md(step.name)} | {human_duration(step.duration_s)} | {human_duration(step.budget_s)} | {share} | {state} |"
        )
    if not run.steps:
        lines.append("| (no window step was run) | | | | |")
    lines += ["", "## Prices and stock vs the 1C package", ""]
    evidence = load_evidence(run.run_dir)
    if evidence:
        lines += ["| | column | 1C package | database | |", "|---|---|---|---|---|"]
        lines += [f"| {w} | {_md(c)} | {p} | {d} | {s} |" for w, c, p, d, s in price_rows(evidence)]
        lines += [""] + [f"- {_md(line)}" for line in summary_lines(evidence)]
    else:
        lines.append("PST-11/12 did not run in this run.")
    from gate.window.guard import overrides

    for o in overrides(run.run_dir):
        lines += ["", f"**Guard override:** {_md(o.get('step'))} run past {_md('; '.join(o.get('overridden', [])))} "
                      f"— reason: {_md(o.get('reason'))}"]
    lines += ["", "## Manual items", ""]
    lines += [f"- [ ] {_md(i)}" for i in manual_items(run)] or ["No manual item."]
    lines += ["", "## Checks by phase", ""]
    for phase, checks in run.checks_by_phase():
        lines += [f"### {_md(phase)}", "", "| check | outcome | severity | message | duration |", "|---|---|---|---|---|"]
        lines += [
            f"| {'**' + _md(c.id) + '**' if c.id == decision.deciding_check else _md(c.id)} | {_md(c.outcome)} | "
            f"{_md(c.severity)} | {_md(c.message)} | {human_duration(c.duration_s)} |"
            for c in checks
        ]
        lines.append("")
    lines += ["## Sign-off", "", f"We have read this page and agree with the verdict {_md(run.verdict)}.", ""]
    for role in SIGNERS:
        lines += [f"**{role}** — Name: ____________________  Date: ____________  Signature: ____________________", ""]
    return "\n".join(lines)


def write_signoff(run: Run, report_href: str | None = None) -> tuple[Path, Path]:
    """Write ``signoff.html`` and ``signoff.md`` into the run directory; return their paths."""
    html_path = run.run_dir / "signoff.html"
    md_path = run.run_dir / "signoff.md"
    html_path.write_text(render_html(run, report_href), encoding="utf-8")
    md_path.write_text(render_markdown(run), encoding="utf-8")
    return html_path, md_path
