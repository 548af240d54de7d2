"""deploy/compose.yaml against the code, the way tests/test_deploy_manifests.py checks the
Kubernetes manifests (whose helpers it reuses): every variable is a setting of its piece, the
secrets come from the env file, the URLs name compose services and routes the pieces serve.
Pure and fast: YAML and text only; Docker is not needed."""

from __future__ import annotations

import functools
import json
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

import test_deploy_manifests as manifests

DEPLOY = manifests.DEPLOY
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / "compose.env.example"
INIT_SCRIPT = DEPLOY / "compose" / "create-databases.sh"
PIECES = manifests.PIECES
SERVICES = manifests.SERVICES
MAIL_CATCHER = "mailpit"
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}
VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


@functools.cache
def raw() -> str:
    return COMPOSE.read_text()


@functools.cache
def operator_env() -> dict[str, str]:
    """What an operator writes into deploy/.env: the Kubernetes test's stand-ins for the
    secrets, and a database password per service."""
    secrets = manifests.replaced_secrets()
    values = {name: secrets[name] for name in _required_variables() if name in secrets}
    for name in ("POSTGRES_PASSWORD", *(f"{s.upper()}_DB_PASSWORD" for s in SERVICES)):
        values[name] = f"pw-{name.lower().replace('_', '-')}-0123456789"
    return values


def _required_variables() -> set[str]:
    return {m["name"] for m in VARIABLE.finditer(raw()) if m["op"] in (":?", "?")}


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's variable substitution, for the forms this file uses."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        given = env.get(name)
        if op in (":?", "?"):
            if not given:
                raise LookupError(f"{name}: {arg}")
            return given
        if op in (":-", "-"):
            return given if given else arg
        return given or ""

    return VARIABLE.sub(one, value)


@functools.cache
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(raw())
    return loaded


def services() -> dict[str, Any]:
    found: dict[str, Any] = compose()["services"]
    return found


def environment(service: str) -> dict[str, str]:
    """The service's environment after substitution from ``operator_env``."""
    env = services()[service].get("environment", {})
    assert isinstance(env, dict), f"{service}: environment as a mapping"
    return {name: interpolate(str(value), operator_env()) for name, value in env.items()}


def piece_of(service: str) -> str:
    return service.removesuffix("-migrate")


def test_every_secret_comes_from_the_env_file_and_is_documented():
    example = {
        line.split("=", 1)[0]
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line and not line.startswith("#")
    }
    used = {m["name"] for m in VARIABLE.finditer(raw())}
    assert used == example, (
        f"in compose.yaml only: {used - example}; in the example only: {example - used}"
    )
    # The secrets have no default: compose refuses to start without them.
    required = _required_variables()
    assert {
        "POSTGRES_PASSWORD",
        "CONTRACTS_JWT_PRIVATE_KEY",
        "CONTRACTS_LICENSE_PRIVATE_KEY",
        "NOTIFY_ENCRYPTION_KEYS",
        "TICKETS_INBOUND_REPLY_SECRET",
        *(f"{p.upper()}_CLIENT_SECRET" for p in PIECES),
        *(f"{s.upper()}_DB_PASSWORD" for s in SERVICES),
    } <= required
    for name in required:
        assert not re.search(rf"\$\{{{name}:?-", raw()), f"{name} is a secret: no default"
    # A missing one stops compose with its message.
    with pytest.raises(LookupError, match="CONTRACTS_JWT_PRIVATE_KEY"):
        interpolate(str(services()["contracts"]["environment"]["CONTRACTS_JWT_PRIVATE_KEY"]), {})


@pytest.mark.parametrize("service", [*PIECES, *(f"{s}-migrate" for s in SERVICES)])
def test_every_variable_is_a_field_of_its_pieces_settings(service: str):
    piece = piece_of(service)
    fields = manifests.settings_class(piece).model_fields
    own = manifests.prefix(piece)
    for name in environment(service):
        if name in manifests.NOT_SETTINGS.get(piece, set()):
            continue
        assert name.startswith(own), f"{service}: {name} lacks the prefix {own}"
        assert name.removeprefix(own).lower() in fields, f"{service}: {name} is no setting"


@pytest.mark.parametrize("piece", PIECES)
def test_required_and_local_address_settings_are_given(piece: str):
    env = environment(piece)
    for name, field in manifests.settings_class(piece).model_fields.items():
        variable = f"{manifests.prefix(piece)}{name.upper()}"
        if field.is_required():
            assert variable in env, f"{piece}: {variable} is required"
        default = field.get_default(call_default_factory=True)
        if "127.0.0.1" in json.dumps(default, default=str):
            assert variable in env, f"{piece}: {name} keeps {default}"


@pytest.mark.parametrize("piece", PIECES)
def test_the_environment_makes_valid_production_settings(
    piece: str, monkeypatch: pytest.MonkeyPatch
):
    """Every value parses, and the secrets are the operator's (production refuses defaults)."""
    settings = manifests.build_settings(piece, environment(piece), monkeypatch)
    assert settings.env.value == "production" and settings.log_json is True


def test_contracts_knows_every_pieces_client_secret():
    clients = json.loads(environment("contracts")["CONTRACTS_SERVICE_CLIENTS"])
    for piece in PIECES:
        env = environment(piece)
        client_id = env[f"{manifests.prefix(piece)}CLIENT_ID"]
        assert clients[client_id] == env[f"{manifests.prefix(piece)}CLIENT_SECRET"], piece


def _target(url: str) -> tuple[str, str]:
    """(piece, path) of a URL between the pieces: a compose service on the image's port."""
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.hostname in PIECES, url
    assert parts.hostname in services(), url
    assert parts.port == manifests.PORT, url
    return parts.hostname, parts.path or "/"


@pytest.mark.parametrize("piece", PIECES)
def test_urls_between_pieces_name_a_service_and_a_real_route(piece: str):
    env = environment(piece)
    p = manifests.prefix(piece)
    assert _target(env[f"{p}JWKS_URL"]) == ("contracts", "/.well-known/jwks.json")
    assert _target(env[f"{p}TOKEN_URL"]) == ("contracts", "/auth/token")
    for other in PIECES:
        if f"{p}{other.upper()}_URL" in env:
            assert _target(env[f"{p}{other.upper()}_URL"]) == (other, "/")
    if piece in SERVICES:
        for receiver, url in json.loads(env[f"{p}OUTBOX_TARGETS"]).items():
            assert receiver != piece and _target(url) == (receiver, "/v1/events")
    for name, value in env.items():
        if value.startswith("http://") and urlsplit(value).hostname in PIECES:
            target, path = _target(value)
            assert path == "/" or manifests.serves(target, path), (
                f"{name}: {target} serves no {path}"
            )


def test_outbox_targets_match_the_kubernetes_wiring():
    """The same receivers and event filters as the ConfigMaps (a new handler's type must
    reach its inbox on both)."""
    for service in SERVICES:
        env = environment(service)
        config = manifests.one("ConfigMap", f"{service}-config")["data"]
        for name in ("OUTBOX_TARGETS", "OUTBOX_EVENT_TYPES"):
            variable = f"{manifests.prefix(service)}{name}"
            if variable in config:
                assert json.loads(env[variable]) == json.loads(config[variable]), variable


def test_databases_are_the_ones_the_init_script_creates():
    script = INIT_SCRIPT.read_text()
    (listed,) = re.findall(r"^for service in ([a-z ]+); do$", script, re.MULTILINE)
    assert listed.split() == list(SERVICES)
    assert "CREATE DATABASE" in script and "_DB_PASSWORD" in script
    mount = f"./{INIT_SCRIPT.relative_to(DEPLOY)}:/docker-entrypoint-initdb.d/{INIT_SCRIPT.name}:ro"
    assert mount in services()["postgres"]["volumes"]
    postgres = services()["postgres"]
    assert postgres["image"].startswith("postgres:15")
    for service in SERVICES:
        url = make_url(environment(service)[f"{service.upper()}_DATABASE_URL"])
        assert url.drivername == "postgresql+asyncpg"
        assert (url.host, url.port) == ("postgres", 5432)
        assert url.database == url.username == f"careplane_{service}"
        assert url.password == operator_env()[f"{service.upper()}_DB_PASSWORD"]
        assert postgres["environment"][f"{service.upper()}_DB_PASSWORD"].startswith(
            f"${{{service.upper()}_DB_PASSWORD:?"
        )


@pytest.mark.parametrize("service", SERVICES)
def test_a_migration_step_runs_before_each_service(service: str):
    migrate = services()[f"{service}-migrate"]
    piece = services()[service]
    assert migrate["command"] == ["python", "/app/migrate.py", "upgrade"]
    assert (DEPLOY / "docker" / "migrate.py").is_file()
    assert migrate["image"] == piece["image"] and migrate["build"] == piece["build"]
    assert migrate["restart"] == "no"
    assert environment(f"{service}-migrate") == {
        name: value
        for name, value in environment(service).items()
        if name.endswith("_DATABASE_URL")
    }
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert (
        piece["depends_on"][f"{service}-migrate"]["condition"] == "service_completed_successfully"
    )


@pytest.mark.parametrize("piece", PIECES)
def test_each_piece_is_built_from_the_dockerfile_with_its_name(piece: str):
    build = services()[piece]["build"]
    context = (DEPLOY / build["context"]).resolve()
    assert context == manifests.ROOT
    assert (context / build["dockerfile"]).resolve() == manifests.DOCKERFILE
    assert build["args"] == {"PIECE": piece}
    assert services()[piece]["user"] == f"{manifests.UID}:{manifests.UID}"


def test_depends_on_targets_exist_and_long_running_services_have_healthchecks():
    for name, service in services().items():
        for target, condition in service.get("depends_on", {}).items():
            assert target in services(), f"{name} depends on unknown {target}"
            waits_for = condition["condition"]
            if waits_for == "service_healthy":
                assert "healthcheck" in services()[target], f"{name} waits on {target}'s health"
            if waits_for == "service_completed_successfully":
                assert services()[target]["restart"] == "no", target
        if service.get("restart") != "no":
            assert "healthcheck" in service, f"{name} has no healthcheck"
    for piece in PIECES:
        check = " ".join(services()[piece]["healthcheck"]["test"])
        assert f"127.0.0.1:{manifests.PORT}/readyz" in check


def test_notify_sends_mail_to_the_mail_catcher():
    env = environment("notify")
    catcher = services()[MAIL_CATCHER]
    assert env["NOTIFY_SMTP_HOST"] == MAIL_CATCHER
    smtp_bind = catcher["environment"]["MP_SMTP_BIND_ADDR"]
    assert smtp_bind.rsplit(":", 1)[1] == env["NOTIFY_SMTP_PORT"]
    assert env["NOTIFY_SMTP_START_TLS"] == "false"
    assert services()["notify"]["depends_on"][MAIL_CATCHER]["condition"] == "service_healthy"


def test_only_the_gateway_and_the_mail_page_are_published_on_the_loopback():
    published = {
        name: [interpolate(str(port), operator_env()) for port in service.get("ports", [])]
        for name, service in services().items()
        if service.get("ports")
    }
    assert published == {"gateway": ["127.0.0.1:8000:8000"], MAIL_CATCHER: ["127.0.0.1:8025:8025"]}


def test_tickets_keeps_attachments_on_a_volume_it_owns():
    env = environment("tickets")
    directory = env["TICKETS_ATTACHMENTS_DIR"]
    assert f"attachments:{directory}" in services()["tickets"]["volumes"]
    owner = services()["attachments-owner"]
    assert owner["command"] == ["chown", f"{manifests.UID}:{manifests.UID}", directory]
    assert services()["tickets"]["depends_on"]["attachments-owner"]["condition"] == (
        "service_completed_successfully"
    )


def test_contracts_believes_forwarded_addresses_from_the_pieces_network_only():
    subnet = compose()["networks"]["careplane"]["ipam"]["config"][0]["subnet"]
    trusted = json.loads(environment("contracts")["CONTRACTS_TRUSTED_PROXIES"])
    assert trusted == [interpolate(subnet, operator_env())]
