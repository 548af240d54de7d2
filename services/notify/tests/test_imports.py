"""No import cycles among notify's modules.

Every import counts wherever it is written (a function's body included), so a cycle cannot
hide behind an import tucked inside a function; ``if TYPE_CHECKING:`` imports are for the
type checker and are not followed. What keeps notify free of them: channels never import
routing (an event a channel raises goes back through ``ChannelServices.raise_event``), the
channel plugins are gathered by ``channels/registry.py`` rather than by their base, and the
mail template context lives with the templates (``mail/compose.py``), not in a channel.
"""

from __future__ import annotations

from pathlib import Path

import notify
from careplane_shared.testing.imports import cycles, describe, import_graph, imported_modules

PACKAGE = "notify"
ROOT = Path(notify.__file__).parent


def test_notify_has_no_import_cycle() -> None:
    graph = import_graph(ROOT, PACKAGE)
    assert {"notify.routing", "notify.channels.webhook", "notify.clients.contracts"} <= set(graph)
    found = cycles(graph)
    assert not found, describe(PACKAGE, found)


def test_channels_never_import_routing() -> None:
    graph = import_graph(ROOT, PACKAGE)
    channels = [name for name in graph if name.startswith("notify.channels.")]
    assert "notify.channels.webhook" in channels
    assert not [name for name in channels if "notify.routing" in graph[name]]


def test_an_import_inside_a_function_counts_and_one_for_the_type_checker_does_not() -> None:
    known = {"notify", "notify.channels", "notify.channels.base", "notify.routing"}
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from notify.routing import MailRoute\n"
        "def build():\n"
        "    from .base import Channel\n"
    )
    # A sibling module does not import the package being imported already ...
    found = imported_modules(source, "notify.channels.webhook", known, package=False)
    assert found == {"notify.channels.base"}
    # ... a name taken from the package itself does.
    found = imported_modules(
        source + "from notify.channels import KINDS\n",
        "notify.channels.webhook",
        known,
        package=False,
    )
    assert found == {"notify.channels", "notify.channels.base"}
    graph = {"notify.channels.base": {"notify.channels.webhook"}}
    graph["notify.channels.webhook"] = {"notify.channels.base"}
    assert cycles(graph) == [["notify.channels.base", "notify.channels.webhook"]]
