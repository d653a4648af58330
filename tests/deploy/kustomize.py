"""A small renderer of the kustomizations in deploy/kubernetes, for checks that must run where no
kustomize or kubectl binary is installed (neither is packaged in Debian).

It does only what those kustomizations use, and refuses anything else, so it can never render a
file differently by skipping a field it does not know: ``resources`` (files and directories with
a kustomization), ``namespace``, ``images`` (``newName``/``newTag``) and ``patches`` given by
``path`` as strategic-merge patches, with lists of named items (containers, env, volumes, ports)
merged by name. Where ``kubectl`` is installed, test_kubernetes.py also checks that it renders
the same resources as ``kubectl kustomize``.
"""
import copy
import os

import yaml

KNOWN = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass",
                  "CustomResourceDefinition", "PriorityClass"}
POD_TEMPLATES = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}


class Unsupported(ValueError):
    pass


def load_yaml(path):
    with open(path) as f:
        return [doc for doc in yaml.safe_load_all(f) if doc]


def key(resource):
    return resource["kind"], resource["metadata"]["name"]


def render(directory):
    """Every resource of the kustomization in ``directory``, in the order kustomize reads them."""
    kustomization = load_yaml(os.path.join(directory, "kustomization.yaml"))[0]
    unknown = set(kustomization) - KNOWN
    if unknown:
        raise Unsupported(f"{directory}: this renderer does not do {sorted(unknown)}")
    resources = []
    for entry in kustomization.get("resources", []):
        path = os.path.normpath(os.path.join(directory, entry))
        resources += render(path) if os.path.isdir(path) else load_yaml(path)
    seen = set()
    for resource in resources:
        if key(resource) in seen:
            raise ValueError(f"{directory}: {key(resource)} twice")
        seen.add(key(resource))
    for patch in kustomization.get("patches", []):
        if set(patch) != {"path"}:
            raise Unsupported(f"{directory}: only patches given by path, not {patch}")
        for document in load_yaml(os.path.join(directory, patch["path"])):
            targets = [r for r in resources if key(r) == key(document)]
            if len(targets) != 1:
                raise ValueError(f"{directory}: patch {patch['path']} names {key(document)}, found {len(targets)}")
            merged = strategic_merge(targets[0], document)
            targets[0].clear()
            targets[0].update(merged)
    for image in kustomization.get("images", []):
        for resource in resources:
            for container in containers(resource):
                set_image(container, image)
    if "namespace" in kustomization:
        for resource in resources:
            set_namespace(resource, kustomization["namespace"])
    return resources


def strategic_merge(base, patch):
    """Maps merge key by key; lists whose items all have a ``name`` merge item by item, the
    patch's items first; any other value, lists included, is replaced; ``None`` removes the key."""
    if isinstance(base, dict) and isinstance(patch, dict):
        if any(k.startswith("$") for k in patch):
            raise Unsupported(f"patch directives: {[k for k in patch if k.startswith('$')]}")
        merged = copy.deepcopy(base)
        for k, value in patch.items():
            if value is None:
                merged.pop(k, None)
            elif k in merged:
                merged[k] = strategic_merge(merged[k], value)
            else:
                merged[k] = copy.deepcopy(value)
        return merged
    if isinstance(base, list) and isinstance(patch, list) and named(base) and named(patch):
        # kustomize puts the patch's items first (merged into the base's of the same name)
        by_name = {item["name"]: item for item in base}
        patched = [strategic_merge(by_name[item["name"]], item) if item["name"] in by_name else copy.deepcopy(item)
                   for item in patch]
        names = {item["name"] for item in patch}
        return patched + [copy.deepcopy(item) for item in base if item["name"] not in names]
    return copy.deepcopy(patch)


def named(items):
    return bool(items) and all(isinstance(i, dict) and "name" in i for i in items)


def pod_spec(resource):
    if resource["kind"] in POD_TEMPLATES:
        return resource["spec"]["template"]["spec"]
    if resource["kind"] == "CronJob":
        return resource["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return None


def containers(resource):
    spec = pod_spec(resource)
    if spec is None:
        return []
    return spec.get("initContainers", []) + spec.get("containers", [])


def set_image(container, image):
    name, _, tag = container["image"].partition(":")
    if name != image["name"]:
        return
    name = image.get("newName", name)
    tag = image.get("newTag", tag)
    container["image"] = f"{name}:{tag}" if tag else name


def set_namespace(resource, namespace):
    if resource["kind"] == "Namespace":
        return
    if resource["kind"] not in CLUSTER_SCOPED:
        resource["metadata"]["namespace"] = namespace
    if resource["kind"] in ("RoleBinding", "ClusterRoleBinding"):
        for subject in resource.get("subjects", []):
            if subject["kind"] == "ServiceAccount" and subject.get("namespace") in (None, "default"):
                subject["namespace"] = namespace
