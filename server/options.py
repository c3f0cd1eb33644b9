"""Command-line options made from the settings (``server/config.py``): one option per ``Config`` field.

An option's text is read exactly as its ``GENAI_KG_*`` variable's is (``config.read``). An option left off
the command line leaves that variable (or the default) in force: options default to None, and only those
given override the environment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import Field
from pathlib import Path
from typing import Any

import click

from .config import Config, _kind, env_name, option_name, read, setting_fields

Command = Callable[..., Any]


def _option(f: Field[Any]) -> Callable[[Command], Command]:
    kind = _kind(f)
    shown = f.metadata["shown"]
    default = shown if shown is not None else _default_text(f)
    text = f"{f.metadata['help']} [env {env_name(f)}; default: {default}]"
    if kind is bool:
        return click.option(
            option_name(f) + "/" + option_name(f).replace("--", "--no-", 1), f.name, default=None, help=text
        )
    metavar = {int: "N", float: "S", Path: "DIR"}.get(kind, "TEXT")
    return click.option(option_name(f), f.name, default=None, metavar=metavar, help=text)


def _default_text(f: Field[Any]) -> str:
    value = getattr(Config(), f.name)
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None or value == ():
        return "none"
    if isinstance(value, tuple):
        return str(f.metadata["separator"]).join(value)
    return str(value)


def setting_options(*, location: bool) -> Callable[[Command], Command]:
    """Options for the settings where the graph lives (``location``), or for every other command-line setting."""
    chosen = [f for f in setting_fields().values() if f.metadata["cli"] and f.metadata["location"] == location]

    def decorate(command: Command) -> Command:
        for f in reversed(chosen):
            command = _option(f)(command)
        return command

    return decorate


def given_settings(options: dict[str, Any]) -> dict[str, Any]:
    """The settings the command line gave (options not None), read as their fields' types."""
    fields = setting_fields()
    given: dict[str, Any] = {}
    for name, value in options.items():
        if name not in fields or value is None:
            continue
        try:
            given[name] = read(fields[name], value) if isinstance(value, str) else value
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint=option_name(fields[name])) from error
    return given


def configured(options: dict[str, Any], **more: Any) -> Config:
    """The environment's settings with the command line's on top (and ``more`` on top of both)."""
    try:
        return Config.from_env(**given_settings(options), **more)
    except ValueError as error:
        raise click.UsageError(str(error)) from error
