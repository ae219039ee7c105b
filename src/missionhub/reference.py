"""Reference docs generated from code, so they cannot drift: settings and the CLI.

`python -m missionhub.reference` rewrites docs/settings.md and docs/cli.md; a test fails when the
committed files differ from what this produces.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from missionhub.settings import PROJECT_ROOT, Settings

DOCS = PROJECT_ROOT / "docs"


def settings_markdown() -> str:
    lines = [
        "# Settings",
        "",
        "Generated from `missionhub.settings.Settings` by `python -m missionhub.reference`.",
        "Set each as an environment variable (or in `.env`). `DATABASE_URL` is also read as is.",
        "",
        "| variable | default | meaning |",
        "| --- | --- | --- |",
    ]
    for name, field in Settings.model_fields.items():
        lines.append(
            f"| `MISSIONHUB_{name.upper()}` | {_shown(name, field.default)} | {field.description} |"
        )
    return "\n".join(lines) + "\n"


def _shown(name: str, default: Any) -> str:
    if name == "secret_key":
        return "(a development value; must be set in production)"
    if isinstance(default, Path):
        return (
            f"`{default.relative_to(PROJECT_ROOT.parent)}` (beside the project)"
            if not default.is_relative_to(PROJECT_ROOT)
            else f"`{default.relative_to(PROJECT_ROOT)}` (in the project)"
        )
    if name == "database_url":
        return "SQLite file `var/missionhub.db` in the project"
    value = getattr(default, "value", default)
    return "not set" if value is None else f"`{value}`"


def _command_help(command: Any, path: list[str]) -> list[str]:
    """Markdown for one command and its sub-commands (duck-typed: Typer vendors click)."""
    ctx = command.context_class(command, info_name=" ".join(path))
    out = [f"## `{' '.join(path)}`", "", (command.help or "").strip().split("\n\n")[0], ""]
    records = [p.get_help_record(ctx) for p in command.params if p.name != "help"]
    rows = [r for r in records if r]
    if rows:
        out += ["| parameter | help |", "| --- | --- |"]
        out += [f"| `{name.replace('|', '/')}` | {text.replace('|', '/')} |" for name, text in rows]
        out.append("")
    for name in sorted(getattr(command, "commands", {})):
        out += _command_help(command.commands[name], [*path, name])
    return out


def cli_markdown() -> str:
    from missionhub.cli import app

    command = typer.main.get_command(app)
    header = [
        "# Command line",
        "",
        "Generated from the `missionhub` command by `python -m missionhub.reference`.",
        "",
    ]
    return "\n".join(header + _command_help(command, ["missionhub"])).rstrip() + "\n"


def write() -> None:
    (DOCS / "settings.md").write_text(settings_markdown())
    (DOCS / "cli.md").write_text(cli_markdown())


if __name__ == "__main__":
    write()
