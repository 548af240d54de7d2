"""deploy/ as a Kubernetes cluster takes it: the kustomizations rendered in Python
(tests/kustomize_render.py, checked against ``kubectl kustomize`` where kubectl is installed),
every object validated offline against the Kubernetes API schemas of the oldest supported
version and the newest kubernetes-validate ships, and what no schema says: one Deployment
running each service's workers, autoscalers that agree with the disruption budgets, the
network policies' who-reaches-whom, migration Jobs that run once per release, and the
CloudNativePG overlay's clusters and the Secrets its pods read. Pure and fast: no cluster,
no network, no database."""

from __future__ import annotations

import copy
import functools
import importlib
import importlib.util
import ipaddress
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import kubernetes_validate
import pytest
import yaml
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
FOLDERS = {
    "base": DEPLOY / "k8s",
    "example": DEPLOY / "overlays" / "example",
    "cloudnativepg": DEPLOY / "overlays" / "cloudnativepg",
}
NAMESPACE = "careplane"
SERVICES = ("tickets", "contracts", "notify")
PIECES = (*SERVICES, "gateway")
SETTINGS = {
    "tickets": ("tickets.config", "TicketsSettings"),
    "contracts": ("contracts.config", "ContractsSettings"),
    "notify": ("notify.config", "NotifySettings"),
    "gateway": ("careplane_gateway.config", "GatewaySettings"),
}
# deploy/README.md's promise: from this version on, and the newest the validator knows.
OLDEST = "1.27"
VERSIONS = (OLDEST, kubernetes_validate.utils.latest_version())
# Kinds of custom resources (no schema offline): checked field by field below.
CUSTOM = {("postgresql.cnpg.io/v1", "Cluster")}
# The Secret the CloudNativePG operator makes for a cluster's owner, and the keys used.
CNPG_APP_SECRET = "{cluster}-app"
CNPG_PREFIX = "CNPG_"
CNPG_KEYS = {"username", "password", "host", "port", "dbname"}

Object = dict[str, Any]


def _renderer() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "kustomize_render", ROOT / "tests" / "kustomize_render.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


kustomize = _renderer()


@functools.cache
def _rendered(folder: str) -> tuple[Object, ...]:
    return tuple(kustomize.render(FOLDERS[folder]))


def rendered(folder: str) -> list[Object]:
    """A copy: tests may not change one another's objects."""
    return copy.deepcopy(list(_rendered(folder)))


def objects(folder: str, kind: str) -> dict[str, Object]:
    return {o["metadata"]["name"]: o for o in rendered(folder) if o["kind"] == kind}


def pod_labels(obj: Object) -> dict[str, str]:
    labels: dict[str, str] = obj["spec"]["template"]["metadata"]["labels"]
    return labels


def containers(obj: Object) -> list[Object]:
    spec = obj["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def main_container(obj: Object) -> Object:
    (container,) = [
        c
        for c in obj["spec"]["template"]["spec"]["containers"]
        if c["name"] == pod_labels(obj)["app.kubernetes.io/name"]
    ]
    return container


def settings_fields(piece: str) -> dict[str, Any]:
    module, name = SETTINGS[piece]
    fields: dict[str, Any] = getattr(importlib.import_module(module), name).model_fields
    return fields


# -- rendering -----------------------------------------------------------------------------------


def _key(obj: Object) -> tuple[str, str, str]:
    return obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("folder", FOLDERS)
def test_the_renderer_matches_kubectl_kustomize(folder: str) -> None:
    out = subprocess.run(
        ["kubectl", "kustomize", str(FOLDERS[folder])],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    theirs = {_key(o): o for o in yaml.safe_load_all(out.stdout) if o}
    ours = {_key(o): o for o in rendered(folder)}
    assert len(ours) == len(rendered(folder)), "two objects of one kind and name"
    assert set(ours) == set(theirs)
    for key, obj in ours.items():
        assert obj == theirs[key], key


def test_the_renderer_refuses_what_it_does_not_handle(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\nreplicas: []\n")
    with pytest.raises(NotImplementedError, match="replicas"):
        kustomize.render(tmp_path)


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_object_is_in_the_namespace_and_every_pod_is_careplanes(folder: str) -> None:
    for obj in rendered(folder):
        if obj["kind"] == "Namespace":
            assert obj["metadata"]["name"] == NAMESPACE
        else:
            assert obj["metadata"]["namespace"] == NAMESPACE, _key(obj)
        # The egress policies select Careplane's pods by this label (kustomization.yaml).
        if obj["kind"] in ("Deployment", "Job"):
            assert pod_labels(obj)["app.kubernetes.io/part-of"] == "careplane", _key(obj)


# -- schemas -------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("folder", ["example", "cloudnativepg"])
def test_every_object_matches_the_kubernetes_schema(folder: str, version: str) -> None:
    """Strict: an unknown or misspelt field fails too, as ``kubectl apply`` would warn. The
    example overlay holds every object of the base."""
    kinds = {(o["apiVersion"], o["kind"]) for o in rendered(folder)}
    validated = set()
    for obj in rendered(folder):
        kind = (obj["apiVersion"], obj["kind"])
        if kind in CUSTOM:
            continue
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            where = "/".join(map(str, error.path))
            pytest.fail(f"{_key(obj)} at {where}: {error.message} (Kubernetes {version})")
        validated.add(kind)
    assert validated == kinds - CUSTOM
    assert {"Deployment", "HorizontalPodAutoscaler", "NetworkPolicy", "Job"} <= {
        k for _, k in validated
    }


def test_schema_validation_catches_mistakes() -> None:
    """The validator is not vacuous: a misspelt field, a wrong type, a missing field."""
    deployment = objects("example", "Deployment")["tickets-worker"]
    misspelt = copy.deepcopy(deployment)
    misspelt["spec"]["template"]["spec"]["containers"][0]["envFromm"] = []
    wrong_type = copy.deepcopy(deployment)
    wrong_type["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "http"
    missing = objects("example", "HorizontalPodAutoscaler")["notify-worker"]
    del missing["spec"]["maxReplicas"]
    for broken in (misspelt, wrong_type, missing):
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


# -- workers -------------------------------------------------------------------------------------


def _resolved(folder: str, container: Object) -> dict[str, str]:
    """A container's variables from its ConfigMaps and literal values (Secrets left out)."""
    maps = objects(folder, "ConfigMap")
    env: dict[str, str] = {}
    for ref in container.get("envFrom", []):
        if "configMapRef" in ref:
            env |= maps[ref["configMapRef"]["name"]]["data"]
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
    return env


def _runs_workers(folder: str, deployment: Object) -> bool:
    piece = pod_labels(deployment)["app.kubernetes.io/name"]
    env = _resolved(folder, main_container(deployment))
    default = settings_fields(piece)["run_workers"].default
    return {"true": True, "false": False}[
        env.get(f"{piece.upper()}_RUN_WORKERS", str(default)).lower()
    ]


@pytest.mark.parametrize("folder", FOLDERS)
@pytest.mark.parametrize("service", SERVICES)
def test_each_service_runs_its_workers_in_exactly_one_deployment(folder: str, service: str) -> None:
    deployments = [
        d
        for d in objects(folder, "Deployment").values()
        if pod_labels(d)["app.kubernetes.io/name"] == service
    ]
    running = [d["metadata"]["name"] for d in deployments if _runs_workers(folder, d)]
    assert running == [f"{service}-worker"]
    worker = objects(folder, "Deployment")[f"{service}-worker"]
    assert pod_labels(worker)["app.kubernetes.io/component"] == "worker"
    # RUN_WORKERS is set in each Deployment, not left to the default or a shared ConfigMap.
    for deployment in deployments:
        assert f"{service.upper()}_RUN_WORKERS" in {
            e["name"] for e in main_container(deployment)["env"]
        }
        assert (
            f"{service.upper()}_RUN_WORKERS"
            not in objects(folder, "ConfigMap")[f"{service}-config"]["data"]
        )
    assert "run_workers" in settings_fields(service)
    assert "run_workers" not in settings_fields("gateway")


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return selector.items() <= labels.items()


def test_no_worker_is_behind_the_servers_services_or_the_ingress() -> None:
    deployments = objects("example", "Deployment")
    for name, service in objects("example", "Service").items():
        chosen = [
            d
            for d, obj in deployments.items()
            if _selects(service["spec"]["selector"], pod_labels(obj))
        ]
        if name == "tickets-smtp":
            assert chosen == ["tickets-worker"]
        else:
            assert chosen == [name]
    (ingress,) = objects("example", "Ingress").values()
    backends = {
        p["backend"]["service"]["name"]
        for r in ingress["spec"]["rules"]
        for p in r["http"]["paths"]
    }
    assert backends == {"gateway"}


def test_the_smtp_listener_runs_in_tickets_worker_only() -> None:
    """tickets binds TICKETS_INBOUND_SMTP_PORT where it is set: in tickets-worker, whose intake
    worker a stored message wakes at once; tickets-smtp is the way in."""
    deployments = objects("example", "Deployment")
    listening = {
        name: env["TICKETS_INBOUND_SMTP_PORT"]
        for name, obj in deployments.items()
        if "TICKETS_INBOUND_SMTP_PORT" in (env := _resolved("example", main_container(obj)))
    }
    assert set(listening) == {"tickets-worker"}
    port = int(listening["tickets-worker"])
    worker = main_container(deployments["tickets-worker"])
    assert {"name": "smtp", "containerPort": port, "protocol": "TCP"} in worker["ports"]
    assert _resolved("example", worker)["TICKETS_INBOUND_SMTP_HOST"] == "0.0.0.0"  # noqa: S104
    (smtp,) = objects("example", "Service")["tickets-smtp"]["spec"]["ports"]
    assert smtp["targetPort"] == "smtp"
    assert {"inbound_smtp_port", "inbound_smtp_host"} <= set(settings_fields("tickets"))


# -- autoscaling and disruption budgets ------------------------------------------------------------


def _autoscaler(folder: str, deployment: str) -> Object:
    (found,) = [
        h
        for h in objects(folder, "HorizontalPodAutoscaler").values()
        if h["spec"]["scaleTargetRef"]
        == {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment}
    ]
    return found


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_deployment_has_a_cpu_autoscaler_and_a_budget_that_agrees(folder: str) -> None:
    deployments = objects(folder, "Deployment")
    budgets = objects(folder, "PodDisruptionBudget").values()
    assert len(objects(folder, "HorizontalPodAutoscaler")) == len(deployments)
    for name, deployment in deployments.items():
        spec = _autoscaler(folder, name)["spec"]
        assert "replicas" not in deployment["spec"], f"{name}: the autoscaler sets replicas"
        server = pod_labels(deployment)["app.kubernetes.io/component"] == "server"
        assert spec["minReplicas"] >= (2 if server or name == "tickets-worker" else 1), name
        assert spec["minReplicas"] < spec["maxReplicas"] <= 8, name
        (metric,) = spec["metrics"]
        assert metric["type"] == "Resource" and metric["resource"]["name"] == "cpu"
        assert metric["resource"]["target"]["type"] == "Utilization"
        # Utilisation is against the request: every container the metric counts has one.
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert "cpu" in container["resources"]["requests"], name
        (budget,) = [
            b
            for b in budgets
            if _selects(b["spec"]["selector"]["matchLabels"], pod_labels(deployment))
        ]
        # At the autoscaler's minimum a drain can still move one pod; with minAvailable a pod
        # always stays.
        if "minAvailable" in budget["spec"]:
            assert 1 <= budget["spec"]["minAvailable"] < spec["minReplicas"], name
        else:
            assert budget["spec"]["maxUnavailable"] >= 1, name
        if server:
            assert "minAvailable" in budget["spec"], f"{name}: a server keeps a pod"


@pytest.mark.parametrize("folder", ["example", "cloudnativepg"])
def test_the_budgets_select_the_pods_of_one_deployment_each(folder: str) -> None:
    pods = {name: pod_labels(d) for name, d in objects(folder, "Deployment").items()}
    pods |= {name: pod_labels(j) for name, j in objects(folder, "Job").items()}
    for name, budget in objects(folder, "PodDisruptionBudget").items():
        chosen = [
            p
            for p, labels in pods.items()
            if _selects(budget["spec"]["selector"]["matchLabels"], labels)
        ]
        assert chosen == [name]


# -- network policies ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """A pod (namespace and labels) or an address outside the cluster (namespace None)."""

    name: str
    namespace: str | None
    labels: dict[str, str] = field(default_factory=dict, hash=False)
    address: str | None = None


def _matches(selector: Object, labels: dict[str, str]) -> bool:
    """A label selector: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist)."""
    if not _selects(selector.get("matchLabels", {}), labels):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[operator]
        if not ok:
            return False
    return True


def _peer_matches(peer: Object, namespace: str, endpoint: Endpoint) -> bool:
    if "ipBlock" in peer:
        # Only addresses outside the cluster: pods are never taken for an ipBlock (Cilium and
        # others do not, so nothing here may rely on it).
        if endpoint.address is None:
            return False
        address = ipaddress.ip_address(endpoint.address)
        block = peer["ipBlock"]
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(e) for e in block.get("except", [])
        )
    if endpoint.namespace is None:
        return False
    if "namespaceSelector" in peer:
        in_namespace = _matches(
            peer["namespaceSelector"], {"kubernetes.io/metadata.name": endpoint.namespace}
        )
    else:
        in_namespace = endpoint.namespace == namespace
    return in_namespace and _matches(peer.get("podSelector", {}), endpoint.labels)


def _port_matches(rule: Object, port: int, protocol: str) -> bool:
    if "ports" not in rule:
        return True
    for allowed in rule["ports"]:
        assert isinstance(allowed["port"], int), "the evaluator knows port numbers only"
        if allowed["port"] == port and allowed.get("protocol", "TCP") == protocol:
            return True
    return False


def _let_through(
    policies: list[Object], direction: str, own: Endpoint, other: Endpoint, port: int, protocol: str
) -> bool:
    """Whether ``own``'s policies let ``other`` in (Ingress) or let ``own`` out to it (Egress)."""
    if own.namespace is None:
        return True
    peers = "from" if direction == "Ingress" else "to"
    chosen = [
        p
        for p in policies
        if p["metadata"]["namespace"] == own.namespace
        and direction in p["spec"]["policyTypes"]
        and _matches(p["spec"]["podSelector"], own.labels)
    ]
    if not chosen:
        return True
    return any(
        _port_matches(rule, port, protocol)
        and (
            peers not in rule
            or any(_peer_matches(peer, own.namespace, other) for peer in rule[peers])
        )
        for policy in chosen
        for rule in policy["spec"].get(direction.lower(), [])
    )


def allowed(
    policies: list[Object], source: Endpoint, target: Endpoint, port: int, protocol: str = "TCP"
) -> bool:
    return _let_through(policies, "Egress", source, target, port, protocol) and _let_through(
        policies, "Ingress", target, source, port, protocol
    )


def careplane_pods(folder: str) -> list[Endpoint]:
    """One pod of every Deployment and Job, with its rendered labels."""
    return [
        Endpoint(obj["metadata"]["name"], NAMESPACE, pod_labels(obj))
        for kind in ("Deployment", "Job")
        for obj in objects(folder, kind).values()
    ]


INGRESS_CONTROLLER = Endpoint(
    "ingress-nginx", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}
)
PROMETHEUS = Endpoint("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"})
OTHER_POD = Endpoint("a pod of another namespace", "default", {"app": "other"})
STRANGER = Endpoint("the internet", None, address="203.0.113.7")
DATABASE = Endpoint("a managed PostgreSQL", None, address="10.40.0.5")
METADATA = Endpoint("the cloud's metadata service", None, address="169.254.169.254")
KUBE_DNS = Endpoint("kube-dns", "kube-system", {"k8s-app": "kube-dns"})
OUTSIDERS = (INGRESS_CONTROLLER, PROMETHEUS, OTHER_POD, STRANGER)


def _role(endpoint: Endpoint) -> tuple[str, str]:
    return endpoint.labels["app.kubernetes.io/name"], endpoint.labels["app.kubernetes.io/component"]


def _intended_http(source: Endpoint, target: Endpoint) -> bool:
    """Port 8000: who should reach whom (deploy/k8s/networkpolicies.yaml's table)."""
    name, component = _role(target)
    if source is PROMETHEUS:
        return component in ("server", "worker")
    if source.namespace != NAMESPACE:
        return source is INGRESS_CONTROLLER and (name, component) == ("gateway", "server")
    # Inside: the gateway's and the services' server and worker pods call the services' servers.
    return _role(source)[1] in ("server", "worker") and name in SERVICES and component == "server"


@pytest.mark.parametrize("folder", ["example", "cloudnativepg"])
def test_network_policies_let_through_exactly_the_intended_http(folder: str) -> None:
    policies = list(objects(folder, "NetworkPolicy").values())
    pods = careplane_pods(folder)
    seen = {True: 0, False: 0}
    for target in pods:
        for source in [*pods, *OUTSIDERS]:
            expected = _intended_http(source, target)
            assert allowed(policies, source, target, 8000) == expected, (source.name, target.name)
            seen[expected] += 1
    assert seen[True] and seen[False]


def _pod(folder: str, name: str) -> Endpoint:
    (found,) = [p for p in careplane_pods(folder) if p.name == name]
    return found


def test_network_policies_spelled_out() -> None:
    """The matrix above, for the cases people ask about."""
    policies = list(objects("example", "NetworkPolicy").values())
    pod = functools.partial(_pod, "example")
    assert allowed(policies, INGRESS_CONTROLLER, pod("gateway"), 8000)
    assert not allowed(policies, INGRESS_CONTROLLER, pod("tickets"), 8000)
    for service in SERVICES:
        assert allowed(policies, pod("gateway"), pod(service), 8000)
        assert not allowed(policies, pod(service), pod("gateway"), 8000)
        assert not allowed(policies, STRANGER, pod(service), 8000)
        assert not allowed(policies, OTHER_POD, pod(service), 8000)
        assert allowed(policies, PROMETHEUS, pod(f"{service}-worker"), 8000)
        for other in SERVICES:
            assert allowed(policies, pod(f"{service}-worker"), pod(other), 8000)
            assert allowed(policies, pod(service), pod(other), 8000)
    assert not allowed(policies, pod("gateway"), pod("tickets"), 5432)
    assert not allowed(policies, pod("gateway"), pod("tickets-worker"), 8000)


def test_mail_reaches_tickets_worker_on_the_smtp_port_only() -> None:
    policies = list(objects("example", "NetworkPolicy").values())
    pod = functools.partial(_pod, "example")
    for source in (STRANGER, OTHER_POD):
        assert allowed(policies, source, pod("tickets-worker"), 2525)
        assert not allowed(policies, source, pod("tickets"), 2525)
    assert not allowed(policies, STRANGER, pod("tickets-worker"), 8000)


@pytest.mark.parametrize("folder", ["example", "cloudnativepg"])
def test_egress_dns_postgresql_and_the_internet_for_notify_only(folder: str) -> None:
    policies = list(objects(folder, "NetworkPolicy").values())
    for pod in careplane_pods(folder):
        name, _ = _role(pod)
        is_notify = name == "notify" and pod.name != "notify-migrate"
        assert allowed(policies, pod, KUBE_DNS, 53, "UDP"), pod.name
        assert allowed(policies, pod, KUBE_DNS, 53, "TCP"), pod.name
        assert allowed(policies, pod, DATABASE, 5432) == (name in SERVICES), pod.name
        for port in (443, 587, 25):
            assert allowed(policies, pod, STRANGER, port) == is_notify, (pod.name, port)
        assert not allowed(policies, pod, METADATA, 80), pod.name
        if not is_notify:  # notify's ipBlock may take in pod addresses on some plugins
            assert not allowed(policies, pod, OTHER_POD, 8000), pod.name


def test_every_policy_names_its_types_and_numeric_ports() -> None:
    """What the evaluator above assumes, so that it cannot pass by misreading a policy."""
    for folder in ("example", "cloudnativepg"):
        for name, policy in objects(folder, "NetworkPolicy").items():
            types = policy["spec"]["policyTypes"]
            assert set(types) <= {"Ingress", "Egress"} and types, name
            assert set(policy["spec"]) <= {"podSelector", "policyTypes", "ingress", "egress"}, name
            for direction in ("ingress", "egress"):
                for rule in policy["spec"].get(direction, []):
                    assert all(isinstance(p["port"], int) for p in rule.get("ports", [])), name
    names = set(objects("example", "NetworkPolicy"))
    assert {"default-deny-ingress", "default-deny-egress"} <= names
    deny = objects("example", "NetworkPolicy")["default-deny-ingress"]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress"]}


def _cnpg_instance(cluster: str) -> Endpoint:
    labels = {"cnpg.io/cluster": cluster, "cnpg.io/instanceRole": "primary", "role": "primary"}
    return Endpoint(f"{cluster}-1", NAMESPACE, labels)


CNPG_OPERATOR = Endpoint(
    "cnpg-controller-manager", "cnpg-system", {"app.kubernetes.io/name": "cloudnative-pg"}
)


def test_each_service_reaches_its_own_cloudnativepg_cluster_only() -> None:
    policies = list(objects("cloudnativepg", "NetworkPolicy").values())
    pods = careplane_pods("cloudnativepg")
    for cluster in objects("cloudnativepg", "Cluster"):
        instance = _cnpg_instance(cluster)
        owner = cluster.removesuffix("-db")
        for pod in pods:
            expected = pod_name_piece(pod) == owner
            assert allowed(policies, pod, instance, 5432) == expected, (pod.name, cluster)
        # Replication between the instances, the operator's status checks.
        other_instance = _cnpg_instance(cluster)
        assert allowed(policies, other_instance, instance, 5432)
        assert allowed(policies, CNPG_OPERATOR, instance, 8000)
        assert allowed(policies, CNPG_OPERATOR, instance, 5432)
        for outsider in (OTHER_POD, STRANGER, PROMETHEUS, INGRESS_CONTROLLER):
            assert not allowed(policies, outsider, instance, 5432)
        # Careplane's egress rules leave the instances' own traffic alone.
        assert allowed(policies, instance, STRANGER, 443)


def pod_name_piece(pod: Endpoint) -> str:
    return pod.labels["app.kubernetes.io/name"]


# -- migrations ----------------------------------------------------------------------------------


def _delete_then_apply(readme: str) -> list[str]:
    """The commands of deploy/README.md's Apply section, in order."""
    section = readme.split("\n## Apply\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


@pytest.mark.parametrize("folder", ["example", "cloudnativepg"])
def test_migration_jobs_run_once_per_release(folder: str) -> None:
    """A Job's pod template cannot change in place: each release deletes the Jobs of the one
    before (the label below) and applies its own, which run once, within a deadline, and go
    away by themselves a day later."""
    jobs = objects(folder, "Job")
    assert set(jobs) == {f"{s}-migrate" for s in SERVICES}
    deployments = objects(folder, "Deployment")
    for name, job in jobs.items():
        service = name.removesuffix("-migrate")
        spec = job["spec"]
        assert spec["backoffLimit"] >= 1 and spec["activeDeadlineSeconds"] > 0
        assert 0 < spec["ttlSecondsAfterFinished"] <= 7 * 86400
        assert spec["template"]["spec"]["restartPolicy"] == "Never"
        (container,) = spec["template"]["spec"]["containers"]
        for deployment in (service, f"{service}-worker"):
            images = {c["image"] for c in containers(deployments[deployment])}
            assert images == {container["image"]}, deployment
        assert container["image"].startswith(f"registry.example.com/careplane/{service}:")
    commands = _delete_then_apply((DEPLOY / "README.md").read_text())
    delete = next(i for i, c in enumerate(commands) if "delete job" in c)
    apply = next(i for i, c in enumerate(commands) if "apply -k" in c)
    assert delete < apply
    (selector,) = re.findall(r"-l (\S+)", commands[delete])
    key, value = selector.split("=")
    labelled = [
        _key(o)[::2] for o in rendered(folder) if o["metadata"].get("labels", {}).get(key) == value
    ]
    assert sorted(labelled) == sorted(("Job", n) for n in jobs)
    for deployment in deployments.values():
        assert pod_labels(deployment).get(key) != value


# -- the CloudNativePG overlay -------------------------------------------------------------------


def test_cloudnativepg_clusters_have_what_the_operator_requires() -> None:
    """No schema for the custom resource offline: its required fields, checked here."""
    clusters = objects("cloudnativepg", "Cluster")
    assert set(clusters) == {f"{s}-db" for s in SERVICES}
    databases = set()
    for name, cluster in clusters.items():
        assert (cluster["apiVersion"], cluster["kind"]) in CUSTOM
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name) and len(name) <= 50
        spec = cluster["spec"]
        assert isinstance(spec["instances"], int) and spec["instances"] >= 1
        assert re.fullmatch(r"\d+(Mi|Gi|Ti)", spec["storage"]["size"])
        initdb = spec["bootstrap"]["initdb"]
        assert initdb["database"] and initdb["owner"]
        databases.add(initdb["database"])
        assert set(spec) <= {"instances", "imageName", "postgresql", "bootstrap", "storage"}
    assert len(databases) == len(clusters)
    # Nothing of the example's external database is left.
    for secret in objects("cloudnativepg", "Secret").values():
        assert not any(key.endswith("_DATABASE_URL") for key in secret["stringData"])


def _expand(value: str, variables: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion of an env value; an unknown reference stays as it is."""
    return re.sub(r"\$\(([-._a-zA-Z0-9]+)\)", lambda m: variables.get(m[1], m[0]), value)


def _database_containers() -> Iterator[tuple[str, str, Object]]:
    for kind in ("Deployment", "Job"):
        for name, obj in objects("cloudnativepg", kind).items():
            piece = pod_labels(obj)["app.kubernetes.io/name"]
            if piece in SERVICES:
                for container in containers(obj):
                    yield f"{kind}/{name}/{container['name']}", piece, container


def test_cloudnativepg_pods_read_the_database_from_the_operators_secret() -> None:
    clusters = objects("cloudnativepg", "Cluster")
    found = 0
    for where, service, container in _database_containers():
        cluster = clusters[f"{service}-db"]
        initdb = cluster["spec"]["bootstrap"]["initdb"]
        secret = CNPG_APP_SECRET.format(cluster=cluster["metadata"]["name"])
        refs = [r for r in container["envFrom"] if "secretRef" in r]
        assert refs == [{"secretRef": {"name": secret}, "prefix": CNPG_PREFIX}], where
        (url,) = [e for e in container["env"] if e["name"] == f"{service.upper()}_DATABASE_URL"]
        assert set(url) == {"name", "value"}, f"{where}: the URL is built, not read"
        used = set(re.findall(r"\$\(([^)]+)\)", url["value"]))
        assert used == {f"{CNPG_PREFIX}{key}" for key in CNPG_KEYS}, where
        # What the operator puts in the Secret, and what the service then reads.
        values = {
            "username": initdb["owner"],
            "password": "Gd8s0hVb3kPq",
            "host": f"{cluster['metadata']['name']}-rw",
            "port": "5432",
            "dbname": initdb["database"],
        }
        expanded = _expand(url["value"], {f"{CNPG_PREFIX}{k}": v for k, v in values.items()})
        parsed = make_url(expanded)
        assert parsed.drivername == "postgresql+asyncpg", where
        assert (parsed.username, parsed.password) == (values["username"], values["password"])
        assert (parsed.host, parsed.port, parsed.database) == (
            values["host"],
            5432,
            values["dbname"],
        )
        assert parsed.query == {"ssl": "require"}
        assert url["name"].removeprefix(f"{service.upper()}_").lower() in settings_fields(service)
        # No other variable of the container comes from the example's Secret's URL.
        for item in container.get("env", []):
            ref = item.get("valueFrom", {}).get("secretKeyRef", {})
            assert not ref.get("key", "").endswith("_DATABASE_URL"), where
        found += 1
    # Each service: server and worker (init container and main), and the migration Job.
    assert found == len(SERVICES) * 5


def test_cloudnativepg_database_connections_fit_max_connections() -> None:
    """At the autoscalers' maxima every pod's pool full, and one migration Job."""
    deployments = objects("cloudnativepg", "Deployment")
    for name, cluster in objects("cloudnativepg", "Cluster").items():
        service = name.removesuffix("-db")
        limit = int(cluster["spec"]["postgresql"]["parameters"]["max_connections"])
        total = 1
        for deployment in (service, f"{service}-worker"):
            env = _resolved("cloudnativepg", main_container(deployments[deployment]))
            pool = int(env[f"{service.upper()}_DATABASE_POOL_SIZE"])
            pool += int(env[f"{service.upper()}_DATABASE_MAX_OVERFLOW"])
            total += _autoscaler("cloudnativepg", deployment)["spec"]["maxReplicas"] * pool
        assert total <= limit - 3, f"{name}: {total} of {limit} (3 kept for superusers)"
        print(f"{name}: at most {total} connections of max_connections={limit}")


def test_deploy_readme_describes_what_is_included() -> None:
    readme = (DEPLOY / "README.md").read_text()
    assert "Not included: NetworkPolicies" not in readme
    for words in ("HorizontalPodAutoscaler", "NetworkPolicies", "-worker", "cloudnativepg"):
        assert words in readme, words
