"""Just enough of `kustomize build` to render deploy/overlays/<env> in the tests.

kustomize is not installed on the project's machines (and nothing is downloaded), so the tests
render the overlays with this: `resources` (files and directories), `components`, `patches`
(strategic merge, with or without a `target`), `images` and `namespace`. It refuses anything
else a kustomization might say, so a manifest that starts using another feature fails loudly
here instead of being rendered wrongly.

Strategic merge as kustomize does it for the fields the manifests patch: maps merge key by key,
the lists below merge item by item on their merge key (as the Kubernetes API declares them),
every other list is replaced whole; custom resources (KEDA) get plain JSON merge (lists
replaced). A patch may not add a container: a container name in a patch that the target lacks
is a typo, and an error here.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Doc = dict[str, Any]

SUPPORTED_KEYS = {
    "Kustomization": {
        "apiVersion",
        "kind",
        "namespace",
        "resources",
        "components",
        "patches",
        "images",
    },
    "Component": {"apiVersion", "kind", "resources", "patches"},
}
KUSTOMIZATION_API = {
    "Kustomization": "kustomize.config.k8s.io/v1beta1",
    "Component": "kustomize.config.k8s.io/v1alpha1",
}
# patchMergeKey of the lists the manifests patch (k8s.io/api types); other lists are replaced.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "topologySpreadConstraints": "topologyKey",
}
CLUSTER_SCOPED = {"Namespace"}
POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}


class KustomizeError(Exception):
    pass


@dataclass(frozen=True)
class Kustomization:
    path: Path  # the directory
    spec: Doc

    @property
    def kind(self) -> str:
        return str(self.spec.get("kind", "Kustomization"))

    def resources(self) -> list[Path]:
        return [self.path / entry for entry in self.spec.get("resources", [])]

    def components(self) -> list[Path]:
        return [self.path / entry for entry in self.spec.get("components", [])]

    def patch_files(self) -> list[Path]:
        return [self.path / patch["path"] for patch in self.spec.get("patches", [])]


def load_yaml_documents(path: Path) -> list[Doc]:
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def load_kustomization(directory: Path) -> Kustomization:
    file = directory / "kustomization.yaml"
    if not file.is_file():
        raise KustomizeError(f"{directory}: no kustomization.yaml")
    docs = load_yaml_documents(file)
    if len(docs) != 1:
        raise KustomizeError(f"{file}: expected one document, found {len(docs)}")
    spec = docs[0]
    kind = spec.get("kind", "Kustomization")
    if kind not in SUPPORTED_KEYS:
        raise KustomizeError(f"{file}: kind {kind!r} is not a Kustomization or Component")
    if spec.get("apiVersion") != KUSTOMIZATION_API[kind]:
        raise KustomizeError(f"{file}: a {kind} is {KUSTOMIZATION_API[kind]}")
    unsupported = set(spec) - SUPPORTED_KEYS[kind]
    if unsupported:
        raise KustomizeError(f"{file}: fields the test renderer does not support: {unsupported}")
    for patch in spec.get("patches", []):
        if set(patch) - {"path", "target"} or "path" not in patch:
            raise KustomizeError(f"{file}: a patch is a `path` with an optional `target`")
    return Kustomization(directory, spec)


def group_of(api_version: str) -> str:
    return api_version.split("/")[0] if "/" in api_version else ""


def resource_id(doc: Doc) -> tuple[str, str, str]:
    return (group_of(doc["apiVersion"]), doc["kind"], doc["metadata"]["name"])


def is_builtin(doc: Doc) -> bool:
    group = group_of(doc["apiVersion"])
    return group == "" or "." not in group or group.endswith(".k8s.io")


def strategic_merge(base: Doc, patch: Doc, *, builtin: bool) -> Doc:
    merged = copy.deepcopy(base)
    _merge_into(merged, patch, builtin=builtin, where="")
    return merged


def _merge_into(target: Doc, patch: Doc, *, builtin: bool, where: str) -> None:
    for key, value in patch.items():
        here = f"{where}.{key}"
        if isinstance(key, str) and key.startswith("$"):
            raise KustomizeError(f"{here}: patch directives are not supported")
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge_into(target[key], value, builtin=builtin, where=here)
        elif builtin and key in MERGE_KEYS and isinstance(target.get(key), list):
            target[key] = _merge_list(target[key], value, MERGE_KEYS[key], key, here)
        else:
            target[key] = copy.deepcopy(value)


def _merge_list(items: list[Doc], patch_items: list[Doc], merge_key: str, field: str, where: str):
    merged = copy.deepcopy(items)
    by_key = {item[merge_key]: item for item in merged}
    for patch_item in patch_items:
        key = patch_item[merge_key]
        if key in by_key:
            _merge_into(by_key[key], patch_item, builtin=True, where=f"{where}[{key}]")
        elif field in {"containers", "initContainers"}:
            raise KustomizeError(f"{where}: the patch names container {key!r}, the target has none")
        else:
            merged.append(copy.deepcopy(patch_item))
    return merged


def _label_selector_matches(selector: str, labels: dict[str, str]) -> bool:
    for term in selector.split(","):
        if "=" not in term or "!" in term or " in " in term:
            raise KustomizeError(f"label selector {selector!r}: only key=value terms are supported")
        key, value = (part.strip() for part in term.split("=", 1))
        if labels.get(key) != value.lstrip("="):
            return False
    return True


def select(resources: list[Doc], target: dict[str, str]) -> list[Doc]:
    unsupported = set(target) - {"group", "version", "kind", "name", "labelSelector"}
    if unsupported:
        raise KustomizeError(f"patch target fields not supported: {unsupported}")
    chosen = []
    for doc in resources:
        api = doc["apiVersion"]
        if "group" in target and group_of(api) != target["group"]:
            continue
        if "version" in target and api.split("/")[-1] != target["version"]:
            continue
        if "kind" in target and doc["kind"] != target["kind"]:
            continue
        # kustomize anchors a target's name: it is the regular expression ^(?:name)$.
        if "name" in target and not re.fullmatch(f"(?:{target['name']})", doc["metadata"]["name"]):
            continue
        labels = doc["metadata"].get("labels", {})
        if "labelSelector" in target and not _label_selector_matches(
            target["labelSelector"], labels
        ):
            continue
        chosen.append(doc)
    return chosen


def apply_patch(resources: list[Doc], patch: Doc, target: dict[str, str] | None) -> list[Doc]:
    if target is None:
        matches = [doc for doc in resources if resource_id(doc) == resource_id(patch)]
        if len(matches) != 1:
            raise KustomizeError(f"patch {resource_id(patch)}: {len(matches)} resources match")
    else:
        matches = select(resources, target)
        if not matches:
            raise KustomizeError(f"patch target {target}: no resource matches")
    chosen = {id(doc) for doc in matches}
    out = []
    for doc in resources:
        if id(doc) in chosen:
            # With a target, the patch's own name is not used: each match gets the patch.
            named = copy.deepcopy(patch)
            named.setdefault("metadata", {})["name"] = doc["metadata"]["name"]
            doc = strategic_merge(doc, named, builtin=is_builtin(doc))
        out.append(doc)
    return out


def _set_images(doc: Doc, images: list[dict[str, str]]) -> Doc:
    if doc["kind"] not in POD_TEMPLATE_KINDS:
        return doc
    doc = copy.deepcopy(doc)
    pod = doc["spec"]["template"]["spec"]
    for container in pod.get("containers", []) + pod.get("initContainers", []):
        name = re.split(r"[:@]", container["image"], maxsplit=1)[0]
        for image in images:
            if image["name"] == name:
                tag = image.get("newTag", container["image"].partition(":")[2])
                container["image"] = f"{image.get('newName', name)}:{tag}"
    return doc


def _set_namespace(doc: Doc, namespace: str) -> Doc:
    doc = copy.deepcopy(doc)
    if doc["kind"] == "Namespace":
        doc["metadata"]["name"] = namespace
    elif doc["kind"] not in CLUSTER_SCOPED:
        doc["metadata"]["namespace"] = namespace
    return doc


def _load_resource(path: Path) -> list[Doc]:
    if path.is_dir():
        kustomization = load_kustomization(path)
        if kustomization.kind != "Kustomization":
            raise KustomizeError(f"{path}: a resource directory must be a Kustomization")
        return build(path)
    if not path.is_file():
        raise KustomizeError(f"{path}: no such file or directory")
    return load_yaml_documents(path)


def load_patch(path: Path) -> Doc:
    if not path.is_file():
        raise KustomizeError(f"{path}: no such patch file")
    docs = load_yaml_documents(path)
    if len(docs) != 1:
        # Some kustomize versions read one strategic-merge patch per `path` only.
        raise KustomizeError(f"{path}: a patch file holds exactly one document")
    return docs[0]


def _apply_patches(kustomization: Kustomization, resources: list[Doc]) -> list[Doc]:
    for entry in kustomization.spec.get("patches", []):
        patch = load_patch(kustomization.path / entry["path"])
        resources = apply_patch(resources, patch, entry.get("target"))
    return resources


def build(directory: Path) -> list[Doc]:
    """The resources `kustomize build directory` would print, in order."""
    kustomization = load_kustomization(directory)
    if kustomization.kind != "Kustomization":
        raise KustomizeError(f"{directory}: only a Kustomization can be built")
    resources: list[Doc] = []
    for path in kustomization.resources():
        resources.extend(_load_resource(path))
    for path in kustomization.components():
        component = load_kustomization(path)
        if component.kind != "Component":
            raise KustomizeError(f"{path}: listed under components but is not a Component")
        for resource in component.resources():
            resources.extend(_load_resource(resource))
        resources = _apply_patches(component, resources)
    resources = _apply_patches(kustomization, resources)
    if kustomization.spec.get("images"):
        resources = [_set_images(doc, kustomization.spec["images"]) for doc in resources]
    if kustomization.spec.get("namespace"):
        resources = [_set_namespace(doc, kustomization.spec["namespace"]) for doc in resources]
    seen: set[tuple[str, str, str]] = set()
    for doc in resources:
        if resource_id(doc) in seen:
            raise KustomizeError(f"{directory}: {resource_id(doc)} is defined twice")
        seen.add(resource_id(doc))
    return resources
