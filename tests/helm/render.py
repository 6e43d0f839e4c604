#!/usr/bin/env python3
"""Renders Helm charts offline with real Helm (the PyPI package helm-python-sdk: Helm v4 through its
C ABI), for the deployability tests (tests/deployability.rs, tests/support/helm.rs).

stdin:  {"charts": DIR, "kube_version": "v1.32.0", "api_versions": [...],
         "jobs": [{"chart": NAME, "release": NAME, "namespace": NS, "values": {...}}, ...]}
stdout: {"results": [{"manifests": {TEMPLATE: TEXT}, "crds": [TEXT], "schema_error": MSG|null}
                     | {"error": MSG}, ...]}   (one result per job, in order)

Every chart is loaded once. A chart's `fail`, a template error or malformed values come back as
that job's "error", exactly as Helm words it. NOTES.txt and templates that render to nothing are
left out. `--probe` only checks that the package imports (exit 0) and prints its version.
"""
import json
import os
import shutil
import sys
import tempfile

try:
    import helm_python
    from helm_python import _native
except ImportError as error:  # the Rust side turns this into a loud skip (or a CI failure)
    print(f"helm-python-sdk is not importable: {error}", file=sys.stderr)
    sys.exit(3)


def load(directory):
    """Loads a chart as its published archive would hold it. The reference copies lost their
    symlinks: grafana-operator's `charts/crds/crds` (-> ../../files/crds, its CRDs) is a small
    file holding the link's target. `helm package` follows symlinks, so such a file is replaced
    by a copy of the folder it names, in a temporary copy of the chart."""
    links = []
    for parent, _, files in os.walk(directory):
        for name in files:
            path = os.path.join(parent, name)
            if os.path.getsize(path) > 256:
                continue
            with open(path, "rb") as handle:
                text = handle.read().decode("utf-8", "replace").strip()
            target = os.path.normpath(os.path.join(parent, text))
            if text and "\n" not in text and os.path.isdir(target):
                links.append((os.path.relpath(path, directory), os.path.relpath(target, directory)))
    if not links:
        return helm_python.Chart.load(directory)
    copy = os.path.join(tempfile.mkdtemp(prefix="chart-"), os.path.basename(directory))
    shutil.copytree(directory, copy)
    for link, target in links:
        os.chmod(os.path.dirname(os.path.join(copy, link)), 0o755)
        os.remove(os.path.join(copy, link))
        shutil.copytree(os.path.join(copy, target), os.path.join(copy, link))
    return helm_python.Chart.load(copy)


def render(chart, values, job, request):
    # Chart.render() has no capabilities argument; the native call takes them with the options.
    options = {
        "name": job["release"],
        "namespace": job["namespace"],
        "is_install": True,
        "kube_version": request.get("kube_version", "v1.32.0"),
        "api_versions": request.get("api_versions", []),
    }
    text = _native.call_string("helm_render", chart._raw(), json.dumps(values), json.dumps(options))
    return json.loads(text)


def main():
    if sys.argv[1:] == ["--probe"]:
        print(helm_python.__version__)
        return
    request = json.load(sys.stdin)
    charts = {}
    results = []
    for job in request["jobs"]:
        try:
            name = job["chart"]
            if name not in charts:
                charts[name] = load(f"{request['charts']}/{name}")
            chart = charts[name]
            values = job.get("values") or {}
            schema_error = None
            try:
                chart.validate_schema(values)
            except helm_python.HelmError as error:
                schema_error = str(error)
            manifests = {
                path: text
                for path, text in render(chart, values, job, request).items()
                if not path.endswith("NOTES.txt") and text.strip()
            }
            crds = [crd["data"] for crd in chart.crds]
            results.append({"manifests": manifests, "crds": crds, "schema_error": schema_error})
        except helm_python.HelmError as error:
            results.append({"error": str(error)})
    json.dump({"results": results}, sys.stdout)


main()
