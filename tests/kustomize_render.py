"""A small kustomize for the tests: renders deploy/'s kustomizations without kubectl.

It handles exactly the features deploy/ uses, in kustomize's order, and refuses any other
(a new field in a kustomization.yaml fails here until it is handled):

- ``resources``: YAML files and folders holding a kustomization.yaml;
- ``patches``: strategic merge patches from a file (one or more documents), each applied to
  the object of its own kind and name or, with a ``target``, to every object of the target's
  kind, name and labels; lists of containers, init containers and env merge by ``name``
  (the patch's items first, then the others, as kustomize orders them), other lists are
  replaced, and ``null`` deletes a field;
- ``namespace``; ``labels`` (``includeSelectors: false``; ``includeTemplates`` puts them on
  pod templates too); ``images`` (``newName``, ``newTag``).

tests/test_deploy_cluster.py compares the output with ``kubectl kustomize`` where kubectl is
installed.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

Object = dict[str, Any]

KNOWN_FIELDS = {"apiVersion", "kind", "namespace", "labels", "resources", "images", "patches"}
CLUSTER_SCOPED = {"Namespace"}
# Objects whose spec.template is a pod template.
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
# Lists a strategic merge patch merges item by item (their patchMergeKey); the rest it replaces.
MERGE_BY_NAME = {"containers", "initContainers", "env"}
REPLACED = {"envFrom", "command", "args"}


def render(folder: Path) -> list[Object]:
    kustomization: Object = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unknown = set(kustomization) - KNOWN_FIELDS
    if unknown:
        raise NotImplementedError(f"{folder}: kustomization fields {sorted(unknown)}")
    objects: list[Object] = []
    for resource in kustomization.get("resources", []):
        path = folder / resource
        if path.is_dir():
            objects.extend(render(path))
        else:
            objects.extend(_documents(path))
    for patch in kustomization.get("patches", []):
        _apply_patch(objects, folder, patch)
    if "namespace" in kustomization:
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = kustomization["namespace"]
    for entry in kustomization.get("labels", []):
        _add_labels(objects, entry)
    for image in kustomization.get("images", []):
        _set_image(objects, image)
    return objects


def _documents(path: Path) -> list[Object]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _apply_patch(objects: list[Object], folder: Path, entry: Object) -> None:
    if set(entry) - {"path", "target"}:
        raise NotImplementedError(f"patch fields {sorted(entry)}")
    for patch in _documents(folder / entry["path"]):
        if "target" in entry:
            chosen = [obj for obj in objects if _is_target(obj, entry["target"])]
        else:
            chosen = [
                obj
                for obj in objects
                if obj["kind"] == patch["kind"]
                and obj["metadata"]["name"] == patch["metadata"]["name"]
                and obj["metadata"].get("namespace") == patch["metadata"].get("namespace")
            ]
        if not chosen:
            raise LookupError(f"{entry['path']}: no object for {patch['kind']}")
        body = {key: value for key, value in patch.items() if key not in ("apiVersion", "kind")}
        body["metadata"] = {
            k: v for k, v in body.get("metadata", {}).items() if k not in ("name", "namespace")
        }
        for obj in chosen:
            merged = merge(obj, body)
            obj.clear()
            obj.update(merged)


def _is_target(obj: Object, target: Object) -> bool:
    if set(target) - {"kind", "name", "labelSelector"}:
        raise NotImplementedError(f"patch target fields {sorted(target)}")
    if "kind" in target and obj["kind"] != target["kind"]:
        return False
    if "name" in target and obj["metadata"]["name"] != target["name"]:
        return False
    labels = obj["metadata"].get("labels", {})
    for requirement in target.get("labelSelector", "").split(","):
        if requirement:
            key, value = requirement.split("=")
            if labels.get(key.strip()) != value.strip():
                return False
    return True


def merge(original: Any, patch: Any, field: str = "") -> Any:
    """A strategic merge patch of ``patch`` onto ``original`` (both left unchanged)."""
    if isinstance(patch, dict) and isinstance(original, dict):
        merged = copy.deepcopy(original)
        for key, value in patch.items():
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = merge(merged[key], value, key)
            else:
                merged[key] = copy.deepcopy(value)
        return merged
    if isinstance(patch, list):
        if field in MERGE_BY_NAME and isinstance(original, list):
            return _merge_by_name(original, patch, field)
        if field not in REPLACED:
            raise NotImplementedError(f"strategic merge of the list {field!r}")
    return copy.deepcopy(patch)


def _merge_by_name(original: list[Object], patch: list[Object], field: str) -> list[Object]:
    existing = {item["name"]: item for item in original}
    patched = [merge(existing.get(item["name"], {}), item, field) for item in patch]
    names = {item["name"] for item in patch}
    return patched + [copy.deepcopy(item) for item in original if item["name"] not in names]


def pod_template(obj: Object) -> Object | None:
    if obj["kind"] in WORKLOADS:
        template: Object = obj["spec"]["template"]
        return template
    return None


def _add_labels(objects: list[Object], entry: Object) -> None:
    if entry.get("includeSelectors", False):
        raise NotImplementedError("labels with includeSelectors")
    if set(entry) - {"pairs", "includeSelectors", "includeTemplates"}:
        raise NotImplementedError(f"labels fields {sorted(entry)}")
    for obj in objects:
        obj["metadata"].setdefault("labels", {}).update(entry["pairs"])
        template = pod_template(obj)
        if entry.get("includeTemplates", False) and template is not None:
            template.setdefault("metadata", {}).setdefault("labels", {}).update(entry["pairs"])


def _set_image(objects: list[Object], image: Object) -> None:
    if set(image) - {"name", "newName", "newTag"}:
        raise NotImplementedError(f"images fields {sorted(image)}")
    for obj in objects:
        template = pod_template(obj)
        if template is None:
            continue
        spec = template["spec"]
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            name, _, tag = container["image"].partition(":")
            if name == image["name"]:
                container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag)}"
