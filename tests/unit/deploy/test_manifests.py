"""deploy/: every manifest against its schema, the project's own rules, and the four overlays.

Kubernetes kinds are validated with kubernetes_validate's bundled strict schemas, with sockets
blocked while it runs (the schemas ship inside the package: nothing is fetched). KEDA's custom
resources are validated against the small schemas below, which cover the fields we use.
kustomize is not installed on the project's machines, so the overlays are rendered by
`kustomize_lite` and the rendered output goes through the same checks as the base.
"""

from __future__ import annotations

import copy
import functools
import importlib.resources
import importlib.util
import re
import socket
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
from django.core.management import get_commands

from tests.unit.deploy import kustomize_lite as kl
from trading.outbox import EXECUTION_REPORTS

Doc = dict[str, Any]

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"
# A version the installed kubernetes-validate ships schemas for (1.25 ... 1.37 in 1.37.0).
K8S_VERSION = "1.33.0"
ENVIRONMENTS = ("test", "dev", "staging", "prod")
VENUE_QUEUES = ("venue.SIM-A", "venue.SIM-B")
IMAGE = "backoffice"


# The seed's footprints (architecture-overview.md, "Description" and "Environment lanes").
@dataclass(frozen=True)
class Footprint:
    nodes: int
    vcpu: int  # per node
    gib: int  # per node
    zones: int
    simulator: bool


FOOTPRINTS = {
    "test": Footprint(nodes=2, vcpu=2, gib=4, zones=1, simulator=True),  # 2x t3.medium
    "dev": Footprint(nodes=4, vcpu=2, gib=8, zones=2, simulator=True),  # 4x t3.large
    "staging": Footprint(nodes=8, vcpu=2, gib=8, zones=2, simulator=False),  # 8x m5.large
    "prod": Footprint(nodes=24, vcpu=4, gib=16, zones=3, simulator=False),  # 24x m6i.xlarge
}
# Requests at every autoscaler's maximum stay within this share of the nodes: the rest is for
# the kubelet, DaemonSets (logs, metrics, tracing agents), KEDA and the ingress controller.
HEADROOM = Decimal("0.75")

# Secrets are created out of band (docs/deployment.md, "Secrets"), never committed.
EXTERNAL_SECRETS = {
    "backoffice-secrets",
    "foundationdb-cluster-file",
    "backoffice-keda-redis",
    "backoffice-tls",
}
# ConfigMap keys that are not Django settings: read by Python itself or by manage.py/celery.
RUNTIME_KEYS = {"DJANGO_SETTINGS_MODULE", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"}

# Entry points: manage.py commands, the Celery app, the ASGI app, the simulator's module.
PROCESS_ENTRY_POINTS = {
    "manage.py run_outbox_publisher",
    "manage.py run_ingest",
    "manage.py run_projector",
    "celery -A wiring.celery worker",
    "gunicorn wiring.wsgi:application",
    "uvicorn wiring.asgi:application",
    "python -m venues.simulator",
}
JOB_ENTRY_POINTS = {"manage.py migrate"}

# --- KEDA: the fields these manifests use (keda.sh/v1alpha1) --------------------------------

_DIGITS = {"type": "string", "pattern": "^[0-9]+$"}  # KEDA trigger metadata is map[string]string
_BOOL = {"enum": ["true", "false"]}
_NAME = {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_METADATA = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": _NAME,
        "namespace": _NAME,
        "labels": _STRING_MAP,
        "annotations": _STRING_MAP,
    },
}
_REDIS_TRIGGER = {
    "type": "object",
    "required": ["type", "metadata", "authenticationRef"],
    "additionalProperties": False,
    "properties": {
        "type": {"const": "redis"},
        "metadata": {
            "type": "object",
            "required": ["listName", "listLength"],
            "additionalProperties": False,
            "properties": {
                "listName": {"type": "string", "minLength": 1},
                "listLength": _DIGITS,
                "activationListLength": _DIGITS,
                "databaseIndex": _DIGITS,
                "enableTLS": _BOOL,
            },
        },
        "authenticationRef": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {"name": _NAME},
        },
    },
}
_KAFKA_TRIGGER = {
    "type": "object",
    "required": ["type", "metadata"],
    "additionalProperties": False,
    "properties": {
        "type": {"const": "kafka"},
        "metadata": {
            "type": "object",
            "required": ["consumerGroup", "lagThreshold"],
            "oneOf": [
                {"required": ["bootstrapServers"]},
                {"required": ["bootstrapServersFromEnv"]},
            ],
            "additionalProperties": False,
            "properties": {
                "bootstrapServers": {"type": "string", "minLength": 1},
                "bootstrapServersFromEnv": {"type": "string", "pattern": "^[A-Z_][A-Z0-9_]*$"},
                "consumerGroup": {"type": "string", "minLength": 1},
                "topic": {"type": "string", "minLength": 1},
                "lagThreshold": _DIGITS,
                "activationLagThreshold": _DIGITS,
                "offsetResetPolicy": {"enum": ["earliest", "latest"]},
                "allowIdleConsumers": _BOOL,
            },
        },
        "authenticationRef": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {"name": _NAME},
        },
    },
}
SCALED_OBJECT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "keda.sh/v1alpha1"},
        "kind": {"const": "ScaledObject"},
        "metadata": _METADATA,
        "spec": {
            "type": "object",
            "required": ["scaleTargetRef", "minReplicaCount", "maxReplicaCount", "triggers"],
            "additionalProperties": False,
            "properties": {
                "scaleTargetRef": {
                    "type": "object",
                    "required": ["name"],
                    "additionalProperties": False,
                    "properties": {
                        "apiVersion": {"const": "apps/v1"},
                        "kind": {"const": "Deployment"},
                        "name": _NAME,
                    },
                },
                "pollingInterval": {"type": "integer", "minimum": 1},
                "cooldownPeriod": {"type": "integer", "minimum": 0},
                "minReplicaCount": {"type": "integer", "minimum": 0},
                "maxReplicaCount": {"type": "integer", "minimum": 1},
                "advanced": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "horizontalPodAutoscalerConfig": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {"behavior": {"type": "object"}},
                        }
                    },
                },
                "triggers": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"oneOf": [_REDIS_TRIGGER, _KAFKA_TRIGGER]},
                },
            },
        },
    },
}
TRIGGER_AUTHENTICATION_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "keda.sh/v1alpha1"},
        "kind": {"const": "TriggerAuthentication"},
        "metadata": _METADATA,
        "spec": {
            "type": "object",
            "required": ["secretTargetRef"],
            "additionalProperties": False,
            "properties": {
                "secretTargetRef": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["parameter", "name", "key"],
                        "additionalProperties": False,
                        "properties": {
                            "parameter": {"type": "string", "minLength": 1},
                            "name": _NAME,
                            "key": {"type": "string", "minLength": 1},
                        },
                    },
                }
            },
        },
    },
}
KEDA_SCHEMAS = {
    "ScaledObject": SCALED_OBJECT_SCHEMA,
    "TriggerAuthentication": TRIGGER_AUTHENTICATION_SCHEMA,
}


# --- loading ---------------------------------------------------------------------------------


def yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml"})


def kustomization_dirs() -> list[Path]:
    return sorted(p.parent for p in DEPLOY.rglob("kustomization.yaml"))


def rel(path: Path) -> str:
    return str(path.relative_to(DEPLOY))


def resource_files() -> list[Path]:
    """Files listed under `resources` by some kustomization (the base's and components')."""
    files: set[Path] = set()
    for directory in kustomization_dirs():
        files.update(p for p in kl.load_kustomization(directory).resources() if p.is_file())
    return sorted(files)


def source_documents() -> list[tuple[str, Doc]]:
    return [
        (f"{rel(path)}#{doc['kind']}/{doc['metadata']['name']}", doc)
        for path in resource_files()
        for doc in kl.load_yaml_documents(path)
    ]


@functools.cache
def rendered(name: str) -> tuple[Doc, ...]:
    directory = DEPLOY / "base" if name == "base" else DEPLOY / "overlays" / name
    return tuple(kl.build(directory))


MANIFEST_SETS = ("base", *ENVIRONMENTS)


def of_kind(docs: tuple[Doc, ...], kind: str) -> list[Doc]:
    return [doc for doc in docs if doc["kind"] == kind]


def by_name(docs: tuple[Doc, ...], kind: str) -> dict[str, Doc]:
    return {doc["metadata"]["name"]: doc for doc in of_kind(docs, kind)}


def workloads(docs: tuple[Doc, ...]) -> list[Doc]:
    return [doc for doc in docs if doc["kind"] in {"Deployment", "Job"}]


def containers(docs: tuple[Doc, ...]) -> Iterator[tuple[Doc, Doc, Doc]]:
    for workload in workloads(docs):
        pod = workload["spec"]["template"]["spec"]
        for container in pod["containers"] + pod.get("initContainers", []):
            yield workload, pod, container


def label(doc: Doc) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def validate(doc: Doc) -> None:
    """Raise if `doc` is not a valid object of its kind (strict: no unknown fields)."""
    if doc["apiVersion"].startswith("keda.sh/"):
        jsonschema.Draft202012Validator(KEDA_SCHEMAS[doc["kind"]]).validate(doc)
    else:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def entry_point(command: list[str]) -> str | None:
    match command:
        case ["python", "manage.py", name, *_]:
            return f"manage.py {name}"
        case ["celery", "-A", "wiring.celery", "worker", *_]:
            return "celery -A wiring.celery worker"
        case ["gunicorn", "wiring.wsgi:application", *_]:
            return "gunicorn wiring.wsgi:application"
        case ["uvicorn", "wiring.asgi:application", *_]:
            return "uvicorn wiring.asgi:application"
        case ["python", "-m", "venues.simulator", *_]:
            return "python -m venues.simulator"
    return None


def option(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")
_FACTORS = {
    None: Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
}


def quantity(value: object) -> Decimal:
    match = _QUANTITY.match(str(value))
    assert match, f"{value!r} is not a Kubernetes quantity"
    return Decimal(match.group(1)) * _FACTORS[match.group(2)]


def autoscaler_bounds(docs: tuple[Doc, ...], deployment: Doc) -> tuple[int, int] | None:
    name = deployment["metadata"]["name"]
    for hpa in of_kind(docs, "HorizontalPodAutoscaler"):
        if hpa["spec"]["scaleTargetRef"]["name"] == name:
            return hpa["spec"].get("minReplicas", 1), hpa["spec"]["maxReplicas"]
    for scaled in of_kind(docs, "ScaledObject"):
        if scaled["spec"]["scaleTargetRef"]["name"] == name:
            return scaled["spec"].get("minReplicaCount", 0), scaled["spec"]["maxReplicaCount"]
    return None


def replica_bounds(docs: tuple[Doc, ...], workload: Doc) -> tuple[int, int]:
    if workload["kind"] == "Job":
        return 1, 1
    bounds = autoscaler_bounds(docs, workload)
    if bounds is not None:
        return bounds
    replicas = workload["spec"].get("replicas", 1)
    return replicas, replicas


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def component(doc: Doc) -> str:
    return doc["metadata"]["labels"]["app.kubernetes.io/component"]


@pytest.fixture(scope="module", autouse=True)
def _schemas_read_once() -> Iterator[None]:
    """kubernetes_validate re-reads its 1.4 MB definitions file for every object: read it once."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            kubernetes_validate.utils,
            "schema_contents",
            functools.cache(kubernetes_validate.utils.schema_contents),
        )
        yield


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Validation must work offline: any attempt to open a connection fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the manifest checks tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


# --- the schemas ------------------------------------------------------------------------------


def test_kubernetes_schemas_ship_inside_the_package() -> None:
    version = K8S_VERSION.rsplit(".", 1)[0]
    assert version in {v.rsplit(".", 1)[0] for v in kubernetes_validate.utils.all_versions()}
    schemas = importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema"
    strict = schemas / f"v{K8S_VERSION}-local-strict"
    for name in ("_definitions.json", "deployment-apps-v1.json", "job-batch-v1.json"):
        assert (strict / name).is_file(), f"{name} is not bundled for {K8S_VERSION}"


@pytest.mark.usefixtures("no_network")
def test_strict_validation_rejects_unknown_fields() -> None:
    deployment = next(doc for _, doc in source_documents() if doc["kind"] == "Deployment")
    validate(deployment)
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError, match="replica"):
        validate(broken)


@pytest.mark.parametrize("schema", KEDA_SCHEMAS.values(), ids=KEDA_SCHEMAS.keys())
def test_keda_schemas_are_valid_json_schemas(schema: Doc) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)


def test_keda_schema_rejects_what_keda_would() -> None:
    scaled = next(
        doc
        for _, doc in source_documents()
        if doc["kind"] == "ScaledObject" and doc["spec"]["triggers"][0]["type"] == "redis"
    )
    validate(scaled)
    unquoted = copy.deepcopy(scaled)  # trigger metadata is map[string]string in KEDA's CRD
    unquoted["spec"]["triggers"][0]["metadata"]["listLength"] = 8
    with pytest.raises(
        jsonschema.ValidationError, match="not valid under any of the given schemas"
    ):
        validate(unquoted)
    typo = kl.strategic_merge(scaled, {"spec": {"maxReplicas": 3}}, builtin=False)
    with pytest.raises(jsonschema.ValidationError, match="maxReplicas"):
        validate(typo)


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize(
    ("where", "doc"), source_documents(), ids=[w for w, _ in source_documents()]
)
def test_every_resource_document_validates(where: str, doc: Doc) -> None:
    validate(doc)


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("name", MANIFEST_SETS)
def test_every_rendered_document_validates(name: str) -> None:
    errors = []
    for doc in rendered(name):
        try:
            validate(doc)
        except (jsonschema.ValidationError, kubernetes_validate.SchemaNotFoundError) as error:
            errors.append(f"{label(doc)}: {getattr(error, 'message', error)}")
    assert not errors, "\n".join(errors)


# --- the files under deploy/ -------------------------------------------------------------------


@pytest.mark.parametrize("path", yaml_files(), ids=rel)
def test_every_yaml_file_parses_and_is_used(path: Path) -> None:
    docs = kl.load_yaml_documents(path)
    assert docs, f"{rel(path)} holds no document"
    for doc in docs:
        assert isinstance(doc, dict) and {"apiVersion", "kind"} <= set(doc), rel(path)
    if path.name == "kustomization.yaml":
        return
    used = set()
    for directory in kustomization_dirs():
        kustomization = kl.load_kustomization(directory)
        used.update(kustomization.resources() + kustomization.patch_files())
    assert path in {p.resolve() for p in used}, f"no kustomization uses {rel(path)}"


@pytest.mark.parametrize("directory", kustomization_dirs(), ids=rel)
def test_kustomization_references_exist(directory: Path) -> None:
    kustomization = kl.load_kustomization(directory)
    for path in kustomization.resources():
        assert path.is_file() or (path / "kustomization.yaml").is_file(), f"missing {path}"
    for path in kustomization.components():
        assert kl.load_kustomization(path).kind == "Component", f"{path} is not a Component"
    for path in kustomization.patch_files():
        kl.load_patch(path)  # exists, one document
    for image in kustomization.spec.get("images", []):
        assert image["name"] == IMAGE
        assert image.get("newTag") not in {None, "", "latest"}, "pin the image tag"


# --- the project's rules, on the base and on every rendered overlay ---------------------------


@pytest.mark.parametrize("name", MANIFEST_SETS)
def test_commands_name_real_entry_points(name: str) -> None:
    for workload, _, container in containers(rendered(name)):
        assert "args" not in container, f"{label(workload)}: the whole argv goes in `command`"
        point = entry_point(container["command"])
        allowed = JOB_ENTRY_POINTS if workload["kind"] == "Job" else PROCESS_ENTRY_POINTS
        assert point in allowed, f"{label(workload)}: {container['command']} is no entry point"


def _entry_point_exists(point: str) -> bool:
    bin_dir = Path(sys.executable).parent
    if point.startswith("manage.py "):
        return point.split()[1] in get_commands()
    if point == "celery -A wiring.celery worker":
        source = (REPO / "wiring" / "celery.py").read_text()
        return (bin_dir / "celery").exists() and bool(re.search(r"^app = Celery\(", source, re.M))
    if point in {"gunicorn wiring.wsgi:application", "uvicorn wiring.asgi:application"}:
        server, target = point.split()
        source = (REPO / "wiring" / f"{target.split(':')[0].split('.')[1]}.py").read_text()
        return (bin_dir / server).exists() and bool(re.search(r"^application = ", source, re.M))
    if point == "python -m venues.simulator":
        spec = importlib.util.find_spec("venues.simulator")
        return spec is not None and (
            spec.submodule_search_locations is None
            or importlib.util.find_spec("venues.simulator.__main__") is not None
        )
    raise AssertionError(f"unknown entry point {point}")


@pytest.mark.parametrize("point", sorted(PROCESS_ENTRY_POINTS | JOB_ENTRY_POINTS))
def test_entry_points_exist_in_the_project(point: str) -> None:
    assert _entry_point_exists(point), f"{point} is not in the project"


@pytest.mark.parametrize("name", MANIFEST_SETS)
def test_one_pool_and_one_scaled_object_per_venue_queue(name: str) -> None:
    docs = rendered(name)
    pools = [d for d in of_kind(docs, "Deployment") if component(d) == "venue-pool"]
    queues = {}
    for pool in pools:
        (container,) = pool["spec"]["template"]["spec"]["containers"]
        command = container["command"]
        assert entry_point(command) == "celery -A wiring.celery worker"
        queue = option(command, "-Q")
        assert "," not in queue, f"{label(pool)}: one queue per pool"
        assert pool["metadata"]["name"] == "venue-" + queue.removeprefix("venue.").lower()
        assert option(command, "-n") == f"{pool['metadata']['name']}@%h"
        queues[queue] = pool["metadata"]["name"]
    assert sorted(queues) == sorted(VENUE_QUEUES) and len(pools) == len(VENUE_QUEUES)

    scalers: Counter[str] = Counter()
    for scaled in of_kind(docs, "ScaledObject"):
        for trigger in scaled["spec"]["triggers"]:
            if trigger["type"] == "redis":
                queue = trigger["metadata"]["listName"]
                scalers[queue] += 1
                assert scaled["spec"]["scaleTargetRef"]["name"] == queues[queue]
                # A pool also follows its venue's stream: it may never scale to zero.
                assert scaled["spec"]["minReplicaCount"] >= 1
    assert scalers == Counter(VENUE_QUEUES)


@pytest.mark.parametrize("name", MANIFEST_SETS)
def test_kafka_scalers_watch_what_the_consumers_read(name: str) -> None:
    docs = rendered(name)
    sources = "\n".join(
        p.read_text()
        for d in ("kernel", "infra", "trading", "backoffice", "realtime", "wiring")
        for p in (REPO / d).rglob("*.py")
    )
    deployments = by_name(docs, "Deployment")
    kafka = {}
    for scaled in of_kind(docs, "ScaledObject"):
        for trigger in scaled["spec"]["triggers"]:
            if trigger["type"] == "kafka":
                kafka[scaled["spec"]["scaleTargetRef"]["name"]] = trigger["metadata"]
    assert set(kafka) == {"ingest", "projector"}
    assert kafka["ingest"]["topic"] == EXECUTION_REPORTS
    for target, metadata in kafka.items():
        (container,) = deployments[target]["spec"]["template"]["spec"]["containers"]
        assert entry_point(container["command"]) == f"manage.py run_{target}"
        assert f'"{metadata["consumerGroup"]}"' in sources, (
            f"no consumer joins group {metadata['consumerGroup']}"
        )


@pytest.mark.parametrize("name", MANIFEST_SETS)
def test_images_are_pinned(name: str) -> None:
    for workload, _, container in containers(rendered(name)):
        repository, _, tag = container["image"].partition(":")
        assert repository == IMAGE, f"{label(workload)}: one image, {IMAGE}"
        assert tag and tag != "latest", f"{label(workload)}: pin the tag ({container['image']})"
        assert container.get("imagePullPolicy") == "IfNotPresent"


@pytest.mark.parametrize("name", MANIFEST_SETS)
def test_every_container_has_requests_and_limits(name: str) -> None:
    for workload, _, container in containers(rendered(name)):
        resources = container.get("resources", {})
        for resource in ("cpu", "memory"):
            request = resources.get("requests", {}).get(resource)
            limit = resources.get("limits", {}).get(resource)
            assert request is not None and limit is not None, f"{label(workload)}: {resource}"
            assert quantity(request) <= quantity(limit), f"{label(workload)}: {resource}"


@pytest.mark.parametrize("name", MANIFEST_SETS)
def test_containers_run_unprivileged(name: str) -> None:
    for workload, pod, container in containers(rendered(name)):
        context = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
        assert context.get("runAsNonRoot") is True, label(workload)
        assert context.get("readOnlyRootFilesystem") is True, label(workload)
        assert context.get("allowPrivilegeEscalation") is False, label(workload)
        assert context.get("capabilities", {}).get("drop") == ["ALL"], label(workload)
        assert pod.get("automountServiceAccountToken") is False, label(workload)
        mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
        assert "/tmp" in mounts, f"{label(workload)}: a writable /tmp (VAR_DIR lives there)"


@pytest.mark.parametrize("name", MANIFEST_SETS)
def test_http_processes_have_probes_on_their_ports(name: str) -> None:
    for workload, _, container in containers(rendered(name)):
        ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
        if not ports:
            continue
        for probe in ("readinessProbe", "livenessProbe"):
            assert probe in container, f"{label(workload)} serves HTTP: it needs a {probe}"
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            action = container.get(probe, {})
            port = (action.get("httpGet") or action.get("tcpSocket") or {}).get("port")
            if probe in container:
                assert port in ports, f"{label(workload)}: {probe} port {port!r}"
        if component(workload) == "web":
            assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"


def _check_pod_references(docs: tuple[Doc, ...], workload: Doc) -> None:
    pod = workload["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] in by_name(docs, "ServiceAccount"), label(workload)
    config_maps = by_name(docs, "ConfigMap")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for volume in volumes.values():
        if "secret" in volume:
            assert volume["secret"]["secretName"] in EXTERNAL_SECRETS, label(workload)
    for container in pod["containers"]:
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                assert source["configMapRef"]["name"] in config_maps, label(workload)
            if "secretRef" in source:
                assert source["secretRef"]["name"] in EXTERNAL_SECRETS, label(workload)
        for mount in container.get("volumeMounts", []):
            assert mount["name"] in volumes, f"{label(workload)}: volume {mount['name']}"


def _container_env_keys(docs: tuple[Doc, ...], deployment: Doc) -> set[str]:
    config_maps = by_name(docs, "ConfigMap")
    keys: set[str] = set()
    for container in deployment["spec"]["template"]["spec"]["containers"]:
        keys.update(e["name"] for e in container.get("env", []))
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                keys.update(config_maps[source["configMapRef"]["name"]]["data"])
    return keys


@pytest.mark.parametrize("name", MANIFEST_SETS)
def test_references_resolve(name: str) -> None:
    docs = rendered(name)
    deployments = by_name(docs, "Deployment")
    services = by_name(docs, "Service")
    for workload in workloads(docs):
        template_labels = workload["spec"]["template"]["metadata"]["labels"]
        if workload["kind"] == "Deployment":
            assert selects(workload["spec"]["selector"]["matchLabels"], template_labels)
        _check_pod_references(docs, workload)
    for service in services.values():
        backends = [
            d
            for d in deployments.values()
            if selects(service["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
        ]
        assert len(backends) == 1, f"{label(service)} selects {len(backends)} Deployments"
        (container,) = backends[0]["spec"]["template"]["spec"]["containers"]
        names = {p["name"] for p in container["ports"]}
        assert all(p["targetPort"] in names for p in service["spec"]["ports"]), label(service)
    for ingress in of_kind(docs, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                ports = {p["name"] for p in services[backend["name"]]["spec"]["ports"]}
                assert backend["port"]["name"] in ports, label(ingress)
    for pdb in of_kind(docs, "PodDisruptionBudget"):
        selector = pdb["spec"]["selector"]["matchLabels"]
        matched = [
            d
            for d in deployments.values()
            if selects(selector, d["spec"]["template"]["metadata"]["labels"])
        ]
        assert len(matched) == 1, f"{label(pdb)} covers {len(matched)} Deployments"
    auths = by_name(docs, "TriggerAuthentication")
    for auth in auths.values():
        assert {ref["name"] for ref in auth["spec"]["secretTargetRef"]} <= EXTERNAL_SECRETS
    for scaler in of_kind(docs, "HorizontalPodAutoscaler") + of_kind(docs, "ScaledObject"):
        target = deployments.get(scaler["spec"]["scaleTargetRef"]["name"])
        assert target is not None, f"{label(scaler)} scales nothing"
        if scaler["kind"] == "HorizontalPodAutoscaler":
            assert scaler["spec"]["minReplicas"] <= scaler["spec"]["maxReplicas"], label(scaler)
            continue
        assert scaler["spec"]["minReplicaCount"] <= scaler["spec"]["maxReplicaCount"], label(scaler)
        for trigger in scaler["spec"]["triggers"]:
            if "authenticationRef" in trigger:
                assert trigger["authenticationRef"]["name"] in auths, label(scaler)
            from_env = trigger["metadata"].get("bootstrapServersFromEnv")
            if from_env:
                assert from_env in _container_env_keys(docs, target), label(scaler)


@pytest.mark.parametrize("name", MANIFEST_SETS)
def test_autoscaled_deployments_leave_replicas_to_the_autoscaler(name: str) -> None:
    docs = rendered(name)
    targets = Counter(
        s["spec"]["scaleTargetRef"]["name"]
        for s in of_kind(docs, "HorizontalPodAutoscaler") + of_kind(docs, "ScaledObject")
    )
    assert all(count == 1 for count in targets.values()), (
        f"two autoscalers on one target: {targets}"
    )
    for deployment in of_kind(docs, "Deployment"):
        if deployment["metadata"]["name"] in targets:
            # `kubectl apply` would reset the autoscaler's choice on every rollout.
            assert "replicas" not in deployment["spec"], label(deployment)


@pytest.mark.parametrize("name", MANIFEST_SETS)
def test_config_keys_are_settings_the_platform_reads(name: str) -> None:
    read = set(re.findall(r'"([A-Z][A-Z0-9_]+)"', (REPO / "wiring" / "settings.py").read_text()))
    read |= set(
        re.findall(r'"([A-Z][A-Z0-9_]+)"', (REPO / "infra" / "bus" / "kafka.py").read_text())
    )
    read |= set(
        re.findall(r'"([A-Z][A-Z0-9_]+)"', (REPO / "infra" / "security_settings.py").read_text())
    )
    for config_map in of_kind(rendered(name), "ConfigMap"):
        unknown = set(config_map["data"]) - read - RUNTIME_KEYS
        assert not unknown, f"{label(config_map)}: nothing reads {sorted(unknown)}"
        for key in ("FDB_CLUSTER_FILE", "KAFKA_BOOTSTRAP_SERVERS", "DJANGO_ALLOWED_HOSTS"):
            assert config_map["data"].get(key), f"{label(config_map)}: {key}"
        assert "localhost" in config_map["data"]["DJANGO_ALLOWED_HOSTS"].split(","), (
            "the probes send Host: localhost"
        )


def test_the_deployment_doc_names_every_secret() -> None:
    doc = (REPO / "docs" / "deployment.md").read_text()
    for secret in EXTERNAL_SECRETS:
        assert f"`{secret}`" in doc, f"docs/deployment.md does not say how to create {secret}"


# --- the overlays against the seed's environments ----------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_overlay_namespace_and_simulator(env: str) -> None:
    docs = rendered(env)
    (namespace,) = of_kind(docs, "Namespace")
    assert namespace["metadata"]["name"] == f"backoffice-{env}"
    assert all(
        d["metadata"].get("namespace") == f"backoffice-{env}"
        for d in docs
        if d["kind"] != "Namespace"
    )
    simulators = [
        d
        for d in workloads(docs)
        for c in d["spec"]["template"]["spec"]["containers"]
        if entry_point(c["command"]) == "python -m venues.simulator"
    ]
    if FOOTPRINTS[env].simulator:
        (simulator,) = simulators
        assert simulator["spec"]["replicas"] == 1, "the books live in one process"
        assert simulator["spec"]["strategy"]["type"] == "Recreate"
    else:
        assert not simulators, f"the venue simulator is for Test and Dev only, not {env}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_overlay_fits_the_seed_footprint(env: str) -> None:
    docs = rendered(env)
    footprint = FOOTPRINTS[env]
    cpu = memory = Decimal(0)
    for workload, _, container in containers(docs):
        _, most = replica_bounds(docs, workload)
        cpu += most * quantity(container["resources"]["requests"]["cpu"])
        memory += most * quantity(container["resources"]["requests"]["memory"])
    assert cpu <= HEADROOM * footprint.nodes * footprint.vcpu, f"{env}: {cpu} vCPU at full scale"
    assert memory <= HEADROOM * footprint.nodes * footprint.gib * 2**30, f"{env}: memory"


def _zone_constraints(deployment: Doc) -> list[Doc]:
    spread = deployment["spec"]["template"]["spec"].get("topologySpreadConstraints", [])
    return [c for c in spread if c["topologyKey"] == "topology.kubernetes.io/zone"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_overlay_matches_the_environment_lane(env: str) -> None:
    docs = rendered(env)
    zones = FOOTPRINTS[env].zones
    pdbs = of_kind(docs, "PodDisruptionBudget")
    for deployment in of_kind(docs, "Deployment"):
        least, _ = replica_bounds(docs, deployment)
        role = component(deployment)
        spread = _zone_constraints(deployment)
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        covered = [p for p in pdbs if selects(p["spec"]["selector"]["matchLabels"], pod_labels)]
        for pdb in covered:
            # A budget that can never be met blocks every node drain.
            if "minAvailable" in pdb["spec"]:
                assert pdb["spec"]["minAvailable"] < least, label(pdb)
            else:
                assert pdb["spec"]["maxUnavailable"] not in (0, "0%"), label(pdb)
        if env == "test":
            assert least == 1 and not spread, f"{env}: one replica, one zone ({label(deployment)})"
        elif env == "dev" and role != "venue-simulator":
            assert least == 2, f"dev runs 2 replicas of {label(deployment)}"
            assert [c["whenUnsatisfiable"] for c in spread] == ["ScheduleAnyway"]
        elif env in {"staging", "prod"}:
            assert [c["whenUnsatisfiable"] for c in spread] == ["DoNotSchedule"], label(deployment)
            # One pod per zone at least; the publisher is one active + one standby by design.
            assert least >= (2 if role == "outbox-publisher" else zones), label(deployment)
            assert len(covered) == 1, f"{env}: {label(deployment)} needs a PodDisruptionBudget"


def test_prod_scales_further_than_staging() -> None:
    def maxima(env: str) -> dict[str, int]:
        docs = rendered(env)
        return {
            d["metadata"]["name"]: replica_bounds(docs, d)[1] for d in of_kind(docs, "Deployment")
        }

    staging, prod = maxima("staging"), maxima("prod")
    assert staging.keys() == prod.keys()
    scaled = {
        s["spec"]["scaleTargetRef"]["name"] for s in of_kind(rendered("prod"), "ScaledObject")
    }
    for name in scaled | {"web"}:
        assert prod[name] > staging[name], f"prod's {name} scales no further than staging's"


# --- the renderer itself ------------------------------------------------------------------------


def test_renderer_merges_containers_by_name_and_replaces_custom_lists() -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "a"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [{"name": "x", "image": "i:1"}, {"name": "y", "image": "i:1"}]
                }
            }
        },
    }
    patch = {
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "y", "resources": {"limits": {"cpu": "1"}}}]}
            }
        }
    }
    merged = kl.strategic_merge(deployment, patch, builtin=True)
    assert [c["name"] for c in merged["spec"]["template"]["spec"]["containers"]] == ["x", "y"]
    assert merged["spec"]["template"]["spec"]["containers"][1]["image"] == "i:1"
    with pytest.raises(kl.KustomizeError, match="container 'z'"):
        kl.strategic_merge(
            deployment,
            {"spec": {"template": {"spec": {"containers": [{"name": "z"}]}}}},
            builtin=True,
        )
    scaled = {"spec": {"triggers": [{"type": "redis"}, {"type": "kafka"}]}}
    replaced = kl.strategic_merge(
        scaled, {"spec": {"triggers": [{"type": "kafka"}]}}, builtin=False
    )
    assert replaced["spec"]["triggers"] == [{"type": "kafka"}]


def test_renderer_anchors_target_names() -> None:
    docs = [
        {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": n}}
        for n in ("ingest", "ingest-replay", "projector")
    ]
    chosen = kl.select(
        docs, {"group": "keda.sh", "kind": "ScaledObject", "name": "ingest|projector"}
    )
    assert [d["metadata"]["name"] for d in chosen] == ["ingest", "projector"]
