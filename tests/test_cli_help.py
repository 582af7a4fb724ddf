"""Every CLI command and subcommand documents itself (fails when one lacks help text)."""

import argparse

import pytest

from core.cli.main import build_parser, main


def _walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield path + (name,), helps.get(name), sub
                yield from _walk(sub, path + (name,))


COMMANDS = list(_walk(build_parser()))


def test_the_cli_has_every_contract_command():
    top = {path[0] for path, _, _ in COMMANDS}
    assert {
        "ingest",
        "scenes",
        "endpoints",
        "rationales",
        "predict",
        "score",
        "select",
        "export",
        "import",
        "status",
        "demo",
    } <= top


@pytest.mark.parametrize("path,help_text,parser", COMMANDS, ids=[" ".join(p) for p, _, _ in COMMANDS])
def test_command_and_its_options_have_help(path, help_text, parser):
    assert help_text and help_text.strip(), f"{' '.join(path)} has no help line"
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        assert action.help and action.help.strip(), f"{' '.join(path)}: {action.dest} has no help"


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_unknown_option_exits_2(capsys):
    assert main(["status", "--no-such-option"]) == 2
