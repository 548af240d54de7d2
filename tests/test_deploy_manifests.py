"""deploy/ against the code: the Kubernetes manifests and the Dockerfile must name variables,
routes, modules and files that exist, so that a setting renamed in a config.py or a route moved
fails here rather than in a cluster. Pure and fast: YAML and text parsing and imports only; no
network, no database, no Docker. What a cluster makes of the rendered manifests (schemas,
autoscalers, network policies, the CloudNativePG overlay) is tests/test_deploy_cluster.py's."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import re
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError
from pydantic_settings import BaseSettings
from starlette.routing import Match

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
EXAMPLE = DEPLOY / "overlays" / "example"
CNPG = DEPLOY / "overlays" / "cloudnativepg"
DOCKER = DEPLOY / "docker"
DOCKERFILE = DOCKER / "Dockerfile"

SERVICES = ("tickets", "contracts", "notify")
PIECES = (*SERVICES, "gateway")
# Each service's background workers run in a Deployment of their own (RUN_WORKERS=true).
WORKERS = tuple(f"{s}-worker" for s in SERVICES)
DEPLOYMENTS = (*PIECES, *WORKERS)
# The Python package of each piece: a service's is named after it, the gateway's is not.
PACKAGES = {
    "tickets": "tickets",
    "contracts": "contracts",
    "notify": "notify",
    "gateway": "careplane_gateway",
}
SETTINGS = {
    "tickets": ("tickets.config", "TicketsSettings"),
    "contracts": ("contracts.config", "ContractsSettings"),
    "notify": ("notify.config", "NotifySettings"),
    "gateway": ("careplane_gateway.config", "GatewaySettings"),
}
# Variables a container may set that belong to no settings class (uvicorn reads this one).
NOT_SETTINGS = {"gateway": {"FORWARDED_ALLOW_IPS"}}
PORT = 8000
UID = 10001


def prefix(piece: str) -> str:
    return f"{piece.upper()}_"


# -- loading -------------------------------------------------------------------------------------


def _documents(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                found.append((path.name, doc))
    return found


@functools.cache
def base() -> list[tuple[str, dict[str, Any]]]:
    return _documents(K8S)


@functools.cache
def example() -> list[tuple[str, dict[str, Any]]]:
    return _documents(EXAMPLE)


def objects(kind: str, docs: list[tuple[str, dict[str, Any]]] | None = None) -> dict[str, Any]:
    return {
        d["metadata"]["name"]: d for _, d in (base() if docs is None else docs) if d["kind"] == kind
    }


def one(kind: str, name: str) -> dict[str, Any]:
    found = {**objects(kind), **objects(kind, example())}
    assert name in found, f"no {kind} named {name} in deploy/"
    return found[name]


def pod(kind: str, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = one(kind, name)["spec"]["template"]["spec"]
    return spec


def piece_of(deployment: str) -> str:
    """The piece whose image a Deployment runs: its pods' app.kubernetes.io/name."""
    labels = one("Deployment", deployment)["spec"]["template"]["metadata"]["labels"]
    piece: str = labels["app.kubernetes.io/name"]
    return piece


def main_container(deployment: str) -> dict[str, Any]:
    piece = piece_of(deployment)
    (container,) = [c for c in pod("Deployment", deployment)["containers"] if c["name"] == piece]
    return container


def min_replicas(deployment: str) -> int:
    """The Deployment's least number of pods: its autoscaler's minimum."""
    (autoscaler,) = [
        hpa
        for hpa in objects("HorizontalPodAutoscaler").values()
        if hpa["spec"]["scaleTargetRef"]
        == {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment}
    ]
    minimum: int = autoscaler["spec"]["minReplicas"]
    return minimum


def all_containers() -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(where, pod spec, container) of every Deployment's and Job's containers; ``where`` is
    kind/name/container/piece, the piece being the pod's app.kubernetes.io/name."""
    for kind in ("Deployment", "Job"):
        for name, obj in objects(kind).items():
            spec = obj["spec"]["template"]["spec"]
            piece = obj["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
            for container in [*spec.get("initContainers", []), *spec["containers"]]:
                yield f"{kind}/{name}/{container['name']}/{piece}", spec, container


def env_sources(container: dict[str, Any]) -> dict[str, tuple[str, str, str | None]]:
    """name -> ("configmap", map, key) | ("secret", secret, key) | ("value", value, None)."""
    sources: dict[str, tuple[str, str, str | None]] = {}
    for ref in container.get("envFrom", []):
        assert set(ref) == {"configMapRef"}, "envFrom only for ConfigMaps; Secrets key by key"
        name = ref["configMapRef"]["name"]
        for key in one("ConfigMap", name)["data"]:
            sources[key] = ("configmap", name, key)
    for item in container.get("env", []):
        if "value" in item:
            sources[item["name"]] = ("value", str(item["value"]), None)
        else:
            ref = item["valueFrom"]["secretKeyRef"]
            sources[item["name"]] = ("secret", ref["name"], ref["key"])
    return sources


def resolve(container: dict[str, Any], replace: dict[str, str] | None = None) -> dict[str, str]:
    """The container's environment from the ConfigMaps and the example Secrets; ``replace``
    stands in for the placeholders (by Secret key) the way an operator would."""
    env = {}
    for name, (kind, source, key) in env_sources(container).items():
        if kind == "value":
            env[name] = source
        elif kind == "configmap":
            env[name] = str(one("ConfigMap", source)["data"][key])
        else:
            assert key is not None
            env[name] = (replace or {}).get(key, one("Secret", source)["stringData"][key])
    return env


def settings_class(piece: str) -> type[BaseSettings]:
    module, name = SETTINGS[piece]
    cls: type[BaseSettings] = getattr(importlib.import_module(module), name)
    return cls


def build_settings(piece: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    import os

    for name in list(os.environ):
        if name.startswith(prefix(piece)):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return settings_class(piece)()


def _pem() -> str:
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


@functools.cache
def replaced_secrets() -> dict[str, str]:
    """What an operator puts in place of every placeholder, consistently across Secrets."""
    values = {
        f"{prefix(p)}CLIENT_SECRET": f"a-real-secret-for-{p}-0123456789abcdef" for p in PIECES
    }
    values["CONTRACTS_SERVICE_CLIENTS"] = json.dumps(
        {f"svc-{p}": values[f"{prefix(p)}CLIENT_SECRET"] for p in PIECES}
    )
    values["CONTRACTS_JWT_PRIVATE_KEY"] = _pem()
    values["NOTIFY_ENCRYPTION_KEYS"] = json.dumps([Fernet.generate_key().decode()])
    values["CONTRACTS_LICENSE_PRIVATE_KEY"] = _pem()
    values["TICKETS_INBOUND_REPLY_SECRET"] = "a-real-reply-secret-0123456789abcdef"
    for service in SERVICES:
        values[f"{prefix(service)}DATABASE_URL"] = (
            f"postgresql+asyncpg://careplane:pw@db.internal:5432/careplane_{service}"
        )
    return values


# -- kustomize -----------------------------------------------------------------------------------


def _kustomization(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((folder / "kustomization.yaml").read_text())
    return data


@pytest.mark.parametrize("folder", [K8S, EXAMPLE, CNPG], ids=["base", "example", "cloudnativepg"])
def test_every_yaml_file_is_listed_in_its_kustomization(folder: Path) -> None:
    kustomization = _kustomization(folder)
    resources = kustomization["resources"]
    files = {p.name for p in folder.glob("*.yaml")} - {"kustomization.yaml"}
    listed = {r for r in resources if (folder / r).is_file()}
    assert listed == files
    for resource in resources:
        assert (folder / resource).exists(), f"{folder.name}/kustomization.yaml: {resource}"
    patches = {p["path"] for p in kustomization.get("patches", [])}
    assert patches == {str(p.relative_to(folder)) for p in folder.glob("patches/*.yaml")}


def test_the_base_holds_no_secret_and_the_example_overlay_holds_the_ones_it_needs() -> None:
    assert objects("Secret") == {}
    needed = {
        source
        for _, _, container in all_containers()
        for kind, source, _ in env_sources(container).values()
        if kind == "secret"
    }
    assert needed == {f"{p}-secrets" for p in PIECES}
    assert set(objects("Secret", example())) == needed
    overlay = _kustomization(EXAMPLE)
    assert (EXAMPLE / overlay["resources"][0]).resolve() == K8S.resolve()
    assert {i["name"] for i in overlay["images"]} == {f"careplane/{p}" for p in PIECES}


def test_every_object_is_in_the_namespace() -> None:
    (namespace,) = objects("Namespace")
    assert _kustomization(K8S)["namespace"] == namespace
    for _, doc in [*base(), *example()]:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == namespace, doc["metadata"]["name"]


# -- the Deployments -----------------------------------------------------------------------------


def test_one_deployment_service_and_disruption_budget_per_piece() -> None:
    assert set(objects("Deployment")) == set(DEPLOYMENTS)
    # tickets-smtp: the SMTP listener of tickets-worker (the only worker anything connects to).
    assert set(objects("Service")) == {*PIECES, "tickets-smtp"}
    assert set(objects("PodDisruptionBudget")) == set(DEPLOYMENTS)
    assert set(objects("HorizontalPodAutoscaler")) == set(DEPLOYMENTS)
    assert set(objects("ConfigMap")) == {f"{p}-config" for p in PIECES}


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_deployment_probes_replicas_and_resources(deployment: str) -> None:
    piece = piece_of(deployment)
    # The autoscaler sets the number of pods; two at least for every server.
    assert "replicas" not in one("Deployment", deployment)["spec"]
    assert min_replicas(deployment) >= (2 if deployment in PIECES else 1)
    container = main_container(deployment)
    assert container["image"].split(":")[0] == f"careplane/{piece}"
    port = {p["name"]: p for p in container["ports"]}["http"]
    assert port["containerPort"] == PORT
    expected = {
        "startupProbe": "/healthz",
        "livenessProbe": "/healthz",
        "readinessProbe": "/readyz",
    }
    for probe, path in expected.items():
        get = container[probe]["httpGet"]
        assert get["path"] == path, probe
        assert get["port"] in (port["containerPort"], port["name"]), probe
    limits = container["resources"]["limits"]
    requests = container["resources"]["requests"]
    assert {"cpu", "memory"} <= set(limits) and {"cpu", "memory"} <= set(requests)
    # docs/performance.md: under 150 MB resident after warm-up; the limit leaves room above that.
    assert _mebibytes(limits["memory"]) >= 256
    assert _mebibytes(requests["memory"]) <= _mebibytes(limits["memory"])


def _mebibytes(quantity: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", quantity).groups()  # type: ignore[union-attr]
    return int(number) * (1024 if unit == "Gi" else 1)


@pytest.mark.parametrize("where", [w for w, _, _ in all_containers()])
def test_every_container_runs_as_non_root_on_a_read_only_filesystem(where: str) -> None:
    spec, container = next((s, c) for w, s, c in all_containers() if w == where)
    pod_security = spec["securityContext"]
    assert pod_security["runAsNonRoot"] is True
    assert pod_security["runAsUser"] == UID and pod_security["runAsUser"] != 0
    assert pod_security["seccompProfile"]["type"] == "RuntimeDefault"
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"]["drop"] == ["ALL"]
    assert "limits" in container["resources"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]  # noqa: S108 (the pod's own scratch)
    assert spec["automountServiceAccountToken"] is False
    # Services named tickets, contracts... would inject TICKETS_PORT, CONTRACTS_SERVICE_HOST and
    # so on: variables inside the pieces' own prefixes.
    assert spec["enableServiceLinks"] is False


@pytest.mark.parametrize("piece", PIECES)
def test_service_and_disruption_budget_select_the_deployments_pods(piece: str) -> None:
    """The servers' Services and budgets; the workers' are tests/test_deploy_cluster.py's."""
    labels = one("Deployment", piece)["spec"]["template"]["metadata"]["labels"]
    selector = one("Deployment", piece)["spec"]["selector"]["matchLabels"]
    service = one("Service", piece)["spec"]
    budget = one("PodDisruptionBudget", piece)["spec"]
    for chosen in (selector, service["selector"], budget["selector"]["matchLabels"]):
        assert chosen.items() <= labels.items()
    # Migration Job pods carry the piece's name too; they must not be selected.
    for job in objects("Job").values():
        job_labels = job["spec"]["template"]["metadata"]["labels"]
        assert not service["selector"].items() <= job_labels.items()
    assert service.get("type", "ClusterIP") == "ClusterIP"
    (port,) = service["ports"]
    assert port["port"] == PORT and port["targetPort"] in ("http", PORT)
    assert budget["minAvailable"] < min_replicas(piece)
    # Worker pods are never behind a server's Service.
    for worker in WORKERS:
        worker_labels = one("Deployment", worker)["spec"]["template"]["metadata"]["labels"]
        assert not service["selector"].items() <= worker_labels.items()


def test_only_the_gateway_is_exposed_by_the_ingress() -> None:
    (ingress,) = objects("Ingress").values()
    backends = {
        path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"gateway"}


# -- environment against the settings classes ---------------------------------------------------


@pytest.mark.parametrize("where", [w for w, _, _ in all_containers()])
def test_every_referenced_config_map_and_secret_key_exists(where: str) -> None:
    _, container = next((s, c) for w, s, c in all_containers() if w == where)
    for name, (kind, source, key) in env_sources(container).items():
        if kind == "configmap":
            assert key in one("ConfigMap", source)["data"], name
        elif kind == "secret":
            assert key in one("Secret", source)["stringData"], f"{name}: {source}/{key}"
            assert key == name, "Secret keys are the variables' names"


@pytest.mark.parametrize("where", [w for w, _, _ in all_containers()])
def test_every_variable_is_a_field_of_its_pieces_settings(where: str) -> None:
    """Catches drift: a field renamed in config.py, or a variable with another piece's prefix."""
    spec_piece = where.split("/")[3]
    fields = settings_class(spec_piece).model_fields
    own = prefix(spec_piece)
    _, container = next((s, c) for w, s, c in all_containers() if w == where)
    for name in env_sources(container):
        if name in NOT_SETTINGS.get(spec_piece, set()):
            continue
        assert name.startswith(own), f"{where}: {name} lacks the prefix {own}"
        assert name.removeprefix(own).lower() in fields, f"{where}: {name} is no setting"


@pytest.mark.parametrize("piece", PIECES)
def test_config_map_keys_are_fields_of_the_settings(piece: str) -> None:
    fields = settings_class(piece).model_fields
    for key in one("ConfigMap", f"{piece}-config")["data"]:
        assert key.startswith(prefix(piece)) and key.removeprefix(prefix(piece)).lower() in fields


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_every_setting_whose_default_is_a_local_address_is_set(deployment: str) -> None:
    """The defaults suit a laptop (127.0.0.1); in a cluster each must be given."""
    piece = piece_of(deployment)
    env = env_sources(main_container(deployment))
    for name, field in settings_class(piece).model_fields.items():
        default = field.get_default(call_default_factory=True)
        if "127.0.0.1" in json.dumps(default, default=str):
            assert f"{prefix(piece)}{name.upper()}" in env, f"{piece}: {name} keeps {default}"


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_production_profile_and_json_logs(deployment: str) -> None:
    piece = piece_of(deployment)
    env = resolve(main_container(deployment))
    assert env[f"{prefix(piece)}ENV"] == "production"
    assert env[f"{prefix(piece)}LOG_JSON"] == "true"


@pytest.mark.parametrize("service", SERVICES)
def test_services_read_the_database_url_and_client_secret_from_secrets(service: str) -> None:
    sources = env_sources(main_container(service))
    for name in (f"{prefix(service)}DATABASE_URL", f"{prefix(service)}CLIENT_SECRET"):
        assert sources[name] == ("secret", f"{service}-secrets", name)


def test_contracts_signing_keys_and_service_clients_come_from_its_secret() -> None:
    sources = env_sources(main_container("contracts"))
    for name in ("JWT_PRIVATE_KEY", "LICENSE_PRIVATE_KEY", "SERVICE_CLIENTS"):
        assert sources[f"CONTRACTS_{name}"] == ("secret", "contracts-secrets", f"CONTRACTS_{name}")


def test_gateway_reads_its_client_secret_from_its_secret() -> None:
    sources = env_sources(main_container("gateway"))
    assert sources["GATEWAY_CLIENT_SECRET"] == (
        "secret",
        "gateway-secrets",
        "GATEWAY_CLIENT_SECRET",
    )


def test_every_piece_has_a_service_account_in_contracts() -> None:
    clients = json.loads(
        one("Secret", "contracts-secrets")["stringData"]["CONTRACTS_SERVICE_CLIENTS"]
    )
    for piece in PIECES:
        env = resolve(main_container(piece))
        client_id = env.get(f"{prefix(piece)}CLIENT_ID") or str(
            settings_class(piece).model_fields["client_id"].default
        )
        # contracts' own outbox relay gets its token from contracts too: svc-contracts included.
        assert client_id in clients, f"{piece}: {client_id}"
        assert clients[client_id] == env[f"{prefix(piece)}CLIENT_SECRET"], piece


@functools.cache
def app(piece: str) -> Any:
    """The piece's app, built but not started: no database, no network."""
    kwargs: dict[str, Any] = {"env": "test", "log_json": False}
    if piece == "contracts":  # keys as PEM: nothing generated on disk
        kwargs |= {"jwt_private_key": _pem(), "license_private_key": _pem()}
    module = importlib.import_module(f"{PACKAGES[piece]}.main")
    return module.create_app(settings_class(piece)(**kwargs))


def serves(piece: str, path: str) -> bool:
    """Whether some route of the piece matches the path (any method)."""
    scope = {"type": "http", "path": path, "root_path": "", "method": "GET", "headers": []}
    return any(route.matches(scope)[0] != Match.NONE for route in app(piece).router.routes)


def _target(url: str) -> tuple[str, str]:
    """(piece, path) of an in-cluster URL, checked against the Service it names."""
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.hostname in PIECES, url
    assert parts.port == one("Service", parts.hostname)["spec"]["ports"][0]["port"], url
    return parts.hostname, parts.path or "/"


@pytest.mark.parametrize("piece", PIECES)
def test_in_cluster_urls_name_a_service_and_a_real_route(piece: str) -> None:
    env = resolve(main_container(piece))
    p = prefix(piece)
    assert _target(env[f"{p}JWKS_URL"]) == ("contracts", "/.well-known/jwks.json")
    assert _target(env[f"{p}TOKEN_URL"]) == ("contracts", "/auth/token")
    for other in PIECES:
        if f"{p}{other.upper()}_URL" in env:
            assert _target(env[f"{p}{other.upper()}_URL"]) == (other, "/")
    if piece in SERVICES:
        for receiver, url in json.loads(env[f"{p}OUTBOX_TARGETS"]).items():
            assert receiver != piece and _target(url) == (receiver, "/v1/events")
    for name, value in env.items():
        if value.startswith("http://"):
            target, path = _target(value)
            assert path == "/" or serves(target, path), f"{name}: {target} serves no {path}"


def test_tickets_url_settings_point_at_the_contracts_service() -> None:
    env = resolve(main_container("tickets"))
    assert _target(env["TICKETS_CONTRACTS_URL"]) == ("contracts", "/")
    assert set(json.loads(env["TICKETS_OUTBOX_TARGETS"])) == {"contracts", "notify"}
    assert set(json.loads(resolve(main_container("contracts"))["CONTRACTS_OUTBOX_TARGETS"])) == {
        "tickets",
        "notify",
    }


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_with_the_placeholders_a_piece_refuses_to_start(
    deployment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forgetting to replace an example Secret fails loudly, never with a known secret."""
    env = resolve(main_container(deployment))
    with pytest.raises(ValidationError, match="must be set to a real secret"):
        build_settings(piece_of(deployment), env, monkeypatch)


def test_placeholder_signing_keys_are_refused() -> None:
    from contracts.keyfiles import load_ed25519_key

    secret = one("Secret", "contracts-secrets")["stringData"]
    for key in ("CONTRACTS_JWT_PRIVATE_KEY", "CONTRACTS_LICENSE_PRIVATE_KEY"):
        with pytest.raises(ValueError):
            load_ed25519_key(secret[key], Path("/nonexistent"), may_generate=False, setting=key)


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_with_real_secrets_the_manifests_make_valid_production_settings(
    deployment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every value parses (JSON dicts and lists, booleans, numbers, paths)."""
    piece = piece_of(deployment)
    env = resolve(main_container(deployment), replaced_secrets())
    settings = build_settings(piece, env, monkeypatch)
    assert settings.env.value == "production" and settings.log_json is True
    if piece == "tickets":
        mounts = {m["mountPath"] for m in main_container(deployment)["volumeMounts"]}
        assert str(settings.attachments_dir) in mounts


@pytest.mark.parametrize("deployment", ["tickets", "tickets-worker"])
def test_tickets_attachments_are_on_a_shared_volume(deployment: str) -> None:
    """The server stores uploads; the worker stores the attachments of mail it takes in."""
    volumes = {v["name"]: v for v in pod("Deployment", deployment)["volumes"]}
    claims = [
        v["persistentVolumeClaim"]["claimName"]
        for v in volumes.values()
        if "persistentVolumeClaim" in v
    ]
    (claim,) = claims
    assert one("PersistentVolumeClaim", claim)["spec"]["accessModes"] == ["ReadWriteMany"]


# -- migrations ----------------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_a_migration_job_and_an_init_container_per_service(service: str) -> None:
    job = one("Job", f"{service}-migrate")
    assert job["metadata"]["labels"]["app.kubernetes.io/component"] == "migration"
    assert job["spec"]["template"]["spec"]["restartPolicy"] in ("Never", "OnFailure")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["image"] == main_container(service)["image"]
    assert container["command"] == ["python", "/app/migrate.py", "upgrade"]
    url = f"{prefix(service)}DATABASE_URL"
    assert env_sources(container)[url] == env_sources(main_container(service))[url]
    # The workers, too, start only on a database at their image's head.
    for deployment in (service, f"{service}-worker"):
        (init,) = pod("Deployment", deployment)["initContainers"]
        assert init["image"] == main_container(service)["image"]
        assert init["command"][:3] == ["python", "/app/migrate.py", "wait"]
        assert env_sources(init)[url] == env_sources(main_container(service))[url]
        assert env_sources(main_container(deployment))[url] == env_sources(container)[url]
    assert (ROOT / "services" / service / "alembic.ini").is_file()
    assert (ROOT / "services" / service / "migrations" / "env.py").is_file()
    assert "initContainers" not in pod("Deployment", "gateway")
    assert set(objects("Job")) == {f"{s}-migrate" for s in SERVICES}


def _migrate_script() -> Any:
    spec = importlib.util.spec_from_file_location("careplane_deploy_migrate", DOCKER / "migrate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migrate_script_knows_the_services_and_reads_their_database_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    script = _migrate_script()
    assert set(script.SERVICES) == set(SERVICES)
    monkeypatch.setenv("CAREPLANE_PIECE", "gateway")
    with pytest.raises(SystemExit, match="must be one of"):
        script._target()
    monkeypatch.setenv("CAREPLANE_PIECE", "tickets")
    monkeypatch.setenv("CAREPLANE_SERVICE_DIR", str(ROOT / "services" / "tickets"))
    monkeypatch.setenv("TICKETS_DATABASE_URL", "postgresql+asyncpg://u@db/careplane_tickets")
    assert script._target() == (
        "tickets",
        ROOT / "services" / "tickets",
        "postgresql+asyncpg://u@db/careplane_tickets",
    )


# -- the Dockerfile ------------------------------------------------------------------------------


@functools.cache
def dockerfile() -> str:
    # Joined continuation lines, without comments.
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def _instructions(name: str) -> list[str]:
    return [
        line.split(None, 1)[1]
        for line in dockerfile().splitlines()
        if line.split(None, 1)[:1] == [name]
    ]


def uvicorn_arguments(piece: str) -> list[str]:
    """The arguments the image's CMD gives uvicorn in the piece's image: its shell script,
    run by /bin/sh with ``echo`` in place of ``exec uvicorn``."""
    (cmd,) = _instructions("CMD")
    argv = json.loads(cmd)
    assert argv[:2] == ["/bin/sh", "-c"]
    script = argv[2]
    assert script.count("exec uvicorn ") == 1, script
    shown = subprocess.run(
        ["/bin/sh", "-c", script.replace("exec uvicorn ", "echo ")],
        env={"CAREPLANE_PIECE": piece},
        capture_output=True,
        text=True,
        check=True,
    )
    return shown.stdout.split()


@pytest.mark.parametrize("piece", PIECES)
def test_dockerfile_cmd_names_a_real_app_factory(piece: str) -> None:
    target, *words = uvicorn_arguments(piece)
    module_name, attr = target.split(":")
    assert module_name == f"{PACKAGES[piece]}.main"
    factory = getattr(importlib.import_module(module_name), attr)
    assert callable(factory)
    assert "--factory" in words and "--proxy-headers" in words
    assert words[words.index("--port") + 1] == str(PORT)
    assert words[words.index("--host") + 1] == "0.0.0.0"  # noqa: S104 (in a pod)
    assert "CAREPLANE_PIECE=${PIECE}" in " ".join(_instructions("ENV"))


def test_dockerfile_accepts_exactly_the_pieces_and_installs_one_member() -> None:
    (accepted,) = re.findall(r"(\w+(?:\|\w+)+)\)", dockerfile())
    assert set(accepted.split("|")) == set(PIECES)
    for piece in PIECES:
        folder = ROOT / ("gateway" if piece == "gateway" else f"services/{piece}")
        name = tomllib.loads((folder / "pyproject.toml").read_text())["project"]["name"]
        assert name == f"careplane-{piece}"
    syncs = [r for r in _instructions("RUN") if "uv sync" in r]
    assert len(syncs) == 2
    for sync in syncs:
        for flag in ("--frozen", "--no-dev", "--no-editable", '--package "careplane-${PIECE}"'):
            assert flag in sync
    assert "--no-install-workspace" in syncs[0]


def test_dockerfile_copies_every_workspace_members_pyproject() -> None:
    """The dependency layer must see the whole workspace, or uv cannot read the lock."""
    members = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    copies = _instructions("COPY")
    for member in members["members"]:
        assert f"{member}/pyproject.toml {member}/" in copies, member
    for copy in copies:
        if copy.startswith("--from="):
            continue
        *sources, _ = copy.split()
        for source in sources:
            assert (ROOT / source).exists(), source


def test_dockerfile_runtime_is_non_root_without_healthcheck() -> None:
    (user,) = _instructions("USER")
    assert user == f"{UID}:{UID}"
    assert _instructions("EXPOSE") == [str(PORT)]
    assert _instructions("HEALTHCHECK") == []
    assert "COPY deploy/docker/migrate.py /app/migrate.py" in dockerfile()
    assert "CAREPLANE_SERVICE_DIR=/app/service" in " ".join(_instructions("ENV"))


def test_dockerignore_keeps_what_the_build_copies() -> None:
    lines = (DOCKER / "Dockerfile.dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert patterns[0] == "**"
    for needed in (
        "pyproject.toml",
        "uv.lock",
        "services/",
        "gateway/",
        "deploy/docker/migrate.py",
    ):
        assert f"!{needed}" in patterns
    for excluded in ("**/.venv/", "**/.data/", "**/tests/"):
        assert excluded in patterns
