"""deploy/prometheus/alerts.yaml against the code and the docs: every metric an alert reads is
in the real /metrics of the running pieces, and every runbook_url names a section of
docs/runbooks.md. promtool, when installed, checks the rules and runs their unit tests."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ops_support import running_gateway, running_services, samples

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "deploy" / "prometheus" / "alerts.yaml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "alerts.test.yaml"
RUNBOOKS = ROOT / "docs" / "runbooks.md"
RUNBOOK_PREFIX = "docs/runbooks.md#"
# Metric names as PromQL writes them: before a selector or range, or a careplane_ name anywhere.
METRIC = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{|\b(careplane_[a-z0-9_]+)\b")
# Made by Prometheus itself for every scrape target, not by the pieces.
SCRAPE_METRICS = {"up"}


def rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def metric_names(expr: str) -> set[str]:
    return {selector or name for selector, name in METRIC.findall(expr)}


def anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives the headings: lower case, punctuation dropped, spaces as -."""
    found = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", markdown, re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def test_every_rule_is_complete_and_points_at_its_runbook_section():
    sections = anchors(RUNBOOKS.read_text())
    names = [rule["alert"] for rule in rules()]
    assert len(names) == len(set(names)) >= 10
    for rule in rules():
        name = rule["alert"]
        assert rule["for"], name
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        annotations = rule["annotations"]
        assert annotations["summary"] and annotations["description"], name
        url = annotations["runbook_url"]
        assert url == f"{RUNBOOK_PREFIX}{name.lower()}", f"{name}: {url}"
        assert url.removeprefix(RUNBOOK_PREFIX) in sections, f"{name}: no section {url}"


def test_the_alerts_cover_what_operations_need():
    read = set().union(*(metric_names(rule["expr"]) for rule in rules()))
    assert {
        "up",
        "careplane_http_requests_total",
        "careplane_sla_timer_lag_seconds",
        "careplane_outbox_oldest_pending_age_seconds",
        "careplane_notify_deliveries_pending",
        "careplane_notify_deliveries_oldest_due_seconds",
        "careplane_notify_deliveries_failed",
        "careplane_metrics_sampled_timestamp_seconds",
    } <= read


async def test_every_metric_an_alert_reads_is_served_by_the_pieces(provision_database, tmp_path):
    served: set[str] = set()
    async with (
        running_services(provision_database, tmp_path) as services,
        running_gateway() as gateway,
    ):
        for service in services.values():
            assert (await service.client.get("/healthz")).status_code == 200
            await service.sample()
        assert (await gateway.get("/healthz")).status_code == 200
        for client in (*(s.client for s in services.values()), gateway):
            found = await samples(client)
            served |= set(found)
            status_labels = {
                dict(labels).get("status") for labels in found["careplane_http_requests_total"]
            }
            assert "200" in status_labels  # the 5xx rules select on this label
    for rule in rules():
        for name in metric_names(rule["expr"]) - SCRAPE_METRICS:
            assert name in served, f"{rule['alert']} reads {name}, which no piece serves"


def test_promtool_accepts_the_rules_and_their_unit_tests_pass_when_installed():
    """promtool (Debian's prometheus package) is optional: without it the checks above stand."""
    promtool = shutil.which("promtool")
    checks = (["check", "rules", str(RULES)], ["test", "rules", str(RULE_TESTS)])
    tested = yaml.safe_load(RULE_TESTS.read_text())
    assert tested["rule_files"] == [RULES.name]
    alerts_tested = {
        case["alertname"] for test in tested["tests"] for case in test["alert_rule_test"]
    }
    assert alerts_tested <= {rule["alert"] for rule in rules()}
    if promtool is None:
        return
    for args in checks:
        result = subprocess.run(
            [promtool, *args], capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
