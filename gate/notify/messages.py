"""What the channel reads: short, redacted, pointing at the sign-off page.

Slack incoming webhooks (and Mattermost/Rocket.Chat's compatible ones) take ``{"text": ...}``;
``blocks`` give Slack a nicer layout and are ignored elsewhere. No secret may reach a chat
channel, so everything built from the run goes through the redaction pass.
"""

from __future__ import annotations

from typing import Final

from gate.redact import redact
from gate.report.matrix import decide_explanation
from gate.report.run_view import Run

ICONS: Final = {"GO": ":white_check_mark:", "NO-GO": ":no_entry:", "ROLLBACK": ":rotating_light:",
                "MONITOR": ":eyes:", "HOTFIX": ":wrench:"}  # fmt: skip


def message_text(event: str, run: Run) -> str:
    """The plain-text message for ``event`` (start | verdict | end)."""
    signoff = (run.run_dir / "signoff.html").resolve()
    target = f" on {run.target}" if run.target else ""
    if event == "start":
        text = (
            f":construction: FreeSport migration window started: run {run.run_id}{target}. "
            f"Updates follow here; the sign-off page will be {signoff}"
        )
    else:
        decision = decide_explanation(run)
        icon = ICONS.get(run.verdict, ":grey_question:")
        deciding = decision.deciding_check or "none (every check passed)"
        head = "verdict reached" if event == "verdict" else "migration window ended"
        text = (
            f"{icon} FreeSport {head}: *{run.verdict}* — run {run.run_id}{target}\n"
            f"Deciding check: {deciding}\nMatrix row: {decision.matrix_row}\nSign-off page: {signoff}"
        )
    return redact(text)


def payload(event: str, run: Run, channel: str | None = None) -> dict[str, object]:
    """The JSON body posted to the incoming webhook."""
    text = message_text(event, run)
    body: dict[str, object] = {
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }
    if channel:
        body["channel"] = channel
    return body
