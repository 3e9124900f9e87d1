"""docs/operations.md stays true: the commands, environment variables and metrics it
names exist. Each check is also run on a made-up text, to show that it can fail."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "operations.md"
SETTINGS = ROOT / "nomad_web" / "settings.py"

# The metrics /metrics exports: the names nomad_web/metrics.py defines (a counter is
# exported with "_total" after its name).
_DEFINED = set(re.findall(r'"(nomad_[a-z0-9_]+)"', (ROOT / "nomad_web" / "metrics.py").read_text()))
METRICS = frozenset(_DEFINED | {f"{name}_total" for name in _DEFINED})

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
INLINE = re.compile(r"`([^`\n]+)`")
COMMAND = re.compile(r"manage\.py\s+([a-z][a-z0-9_]*)")
# A whole code span that is a variable: `NAME`, `NAME=value`, `$NAME`, `PREFIX_<NAME>`.
VARIABLE_SPAN = re.compile(
    r"\$?\{?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_(?:[A-Z0-9]+|<[A-Z]+>))\}?(?:=.*)?"
)
# Inside longer code: an assignment (NAME=…) or a shell reference ($NAME, ${NAME}).
VARIABLE_IN_CODE = re.compile(
    r"(?<![\w.$])([A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9])=|\$\{?([A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9])"
)
# nomad_<name>, but not a path or module (nomad_web/…, nomad_web.settings).
METRIC = re.compile(r"(?<![\w/.-])(nomad_[a-z0-9_]*[a-z0-9])(?![\w/.-])")
PACKAGES = frozenset({"nomad_web"})


def code_of(text: str) -> list[str]:
    """The fenced blocks and the inline code spans (outside the blocks) of a Markdown text."""
    blocks = FENCE.findall(text)
    outside = FENCE.sub("", text)
    return blocks + INLINE.findall(outside)


def mentioned_commands(text: str) -> set[str]:
    return set(COMMAND.findall(text))


def mentioned_variables(text: str) -> set[str]:
    names: set[str] = set()
    for code in code_of(text):
        whole = VARIABLE_SPAN.fullmatch(code.strip())
        if whole:
            names.add(whole.group(1))
        for assigned, referenced in VARIABLE_IN_CODE.findall(code):
            names.add(assigned or referenced)
    return names


def mentioned_metrics(text: str) -> set[str]:
    return set(METRIC.findall(text)) - PACKAGES


def settings_variables() -> tuple[set[str], set[str]]:
    """(names read by env(), env_bool(), env_list()), (prefixes of families of names such
    as NOMAD_SEAL_KEY_PASSWORD_<NAME>), from the settings module's source."""
    tree = ast.parse(SETTINGS.read_text())
    names: set[str] = set()
    prefixes: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"env", "env_bool", "env_list"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and re.fullmatch(r"[A-Z][A-Z0-9_]*_", node.value)
        ):
            prefixes.add(node.value)
    return names, prefixes


def unknown_commands(text: str) -> set[str]:
    return mentioned_commands(text) - set(get_commands())


def unknown_variables(text: str) -> set[str]:
    names, prefixes = settings_variables()
    unknown = set()
    for name in mentioned_variables(text):
        base = name.removesuffix("_FILE")  # every variable may come from NAME_FILE
        if base in names:
            continue
        if any(base.startswith(prefix) for prefix in prefixes):
            continue
        unknown.add(name)
    return unknown


def unknown_metrics(text: str) -> set[str]:
    return mentioned_metrics(text) - METRICS


def doc() -> str:
    return DOC.read_text()


# --- The document ---


def test_it_names_only_existing_management_commands() -> None:
    found = mentioned_commands(doc())
    assert {"sweep_side_effects", "relay_outbox", "generate_seal_certificate"} <= found
    assert unknown_commands(doc()) == set()


def test_it_names_only_variables_the_settings_read() -> None:
    found = mentioned_variables(doc())
    assert {"DATABASE_URL", "SWEEP_ALERT_SECONDS", "NOMAD_SEAL_KEY_PASSWORD_<NAME>"} <= found
    assert unknown_variables(doc()) == set()


def test_it_names_only_exported_metrics() -> None:
    found = mentioned_metrics(doc())
    assert {"nomad_outbox_backlog", "nomad_consumer_lag"} <= found
    assert unknown_metrics(doc()) == set()


def test_the_readme_links_it() -> None:
    assert "docs/operations.md" in (ROOT / "README.md").read_text()


# --- Each check can fail ---


def test_an_unknown_command_is_reported() -> None:
    text = "Run `python manage.py sweep_everything` then `.venv/bin/python manage.py migrate`."
    assert unknown_commands(text) == {"sweep_everything"}


def test_an_unknown_variable_is_reported_in_text_and_in_code() -> None:
    text = (
        "Set `NOMAD_MADE_UP_SECONDS`, `S3_BUCKET_NAME=x` and `SECRET_KEY`.\n"
        '```sh\nNOMAD_OTHER_THING=1 python manage.py check\necho "$NOMAD_THIRD_ONE"\n```\n'
        "Families: `NOMAD_SEAL_KEY_PASSWORD_<NAME>`, `NOMAD_SEAL_KEY_PASSWORD_VERT_LOGIS`; "
        "from a file: `SECRET_KEY_FILE`; metrics: `METRICS_TOKEN`."
    )
    assert unknown_variables(text) == {
        "NOMAD_MADE_UP_SECONDS",
        "S3_BUCKET_NAME",
        "NOMAD_OTHER_THING",
        "NOMAD_THIRD_ONE",
    }


def test_an_unknown_metric_is_reported() -> None:
    text = (
        "Alert on `nomad_outbox_backlog` and `nomad_outbox_size{topic}`; "
        "`nomad_web/sweeps.py` and `nomad_web.settings` are not metrics."
    )
    assert unknown_metrics(text) == {"nomad_outbox_size"}
