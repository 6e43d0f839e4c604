//! The expansion: one validated MonitoringStack → the ordered objects of the seed's folder tree.
//!
//! Each component module builds its own folder (namespace, HelmRelease, CRs); `control_plane`
//! then adds the Flux sources and one Flux `Kustomization` per component folder. Components never
//! parse YAML and never see the ResourceList.

pub mod allow_lists;
mod alloy;
pub mod central;
mod control_plane;
mod endpoints;
mod exporters;
pub mod flux;
mod grafana;
mod loki;
mod mimir;
pub mod mixins;
pub mod object;
pub mod prerequisites;
pub mod report;
pub mod storage;

use crate::spec::{Layout, MonitoringStack, MonitoringStackSpec, ValidGrafana};
use object::{Meta, MANAGED_BY_LABEL, MANAGED_BY_VALUE, STACK_ANNOTATION};
use serde_yaml_ng::Value;

/// One generated object and the file (relative to the package root) it belongs in.
#[derive(Debug, Clone)]
pub struct Generated {
    pub path: String,
    pub object: Value,
}

/// What the expansion of one stack reads: the stack and its spec.
pub struct Context<'a> {
    stack: &'a MonitoringStack,
}

impl<'a> Context<'a> {
    pub fn new(stack: &'a MonitoringStack) -> Self {
        Context { stack }
    }

    pub fn spec(&self) -> &'a MonitoringStackSpec {
        &self.stack.spec
    }

    /// Grafana's validated required fields: `Some` exactly when Grafana is on.
    pub fn grafana(&self) -> Option<&'a ValidGrafana> {
        self.stack.grafana.as_ref()
    }

    pub fn stack_name(&self) -> &'a str {
        self.stack.name.as_str()
    }

    /// Metadata with this stack's ownership marks.
    pub fn meta(&self, name: &str, namespace: Option<&str>) -> Meta {
        Meta::owned(self.stack_name(), name, namespace)
    }

    /// A component's Namespace: Istio ambient when the mesh is on, and the Pod Security level
    /// the cluster enforces (and audits and warns about) for everything that lands in it.
    pub fn namespace(&self, name: &str, pod_security: PodSecurity) -> Value {
        let mut meta = self.meta(name, None);
        if self.spec().cluster.istio_ambient {
            meta = meta.label("istio.io/dataplane-mode", "ambient");
        }
        object::object(
            "v1",
            "Namespace",
            pod_security.mark(meta),
            crate::json::json!({}),
        )
    }
}

/// The Pod Security Standard a namespace enforces.
#[derive(Debug, Clone, Copy)]
pub enum PodSecurity {
    Restricted,
    /// Admits anything: only for pods that must reach the host, with the reason stated on the
    /// namespace (annotation [`POD_SECURITY_REASON`]).
    Privileged(&'static str),
}

/// Annotation stating why a namespace is not `restricted`.
pub const POD_SECURITY_REASON: &str = "monitoring-stack.dev/pod-security-reason";

impl PodSecurity {
    /// `enforce`, `audit` and `warn` at the same level, so the cluster refuses what the stack
    /// promises never to run and says so in the audit log and to `kubectl apply`.
    pub fn mark(self, mut meta: Meta) -> Meta {
        let level = match self {
            PodSecurity::Restricted => "restricted",
            PodSecurity::Privileged(reason) => {
                meta = meta.annotation(POD_SECURITY_REASON, reason);
                "privileged"
            }
        };
        for mode in ["enforce", "audit", "warn"] {
            meta = meta.label(&format!("pod-security.kubernetes.io/{mode}"), level);
        }
        meta
    }
}

/// The folder of one component, as the control plane needs to know it.
pub struct Component {
    /// Folder name, and name of the Flux Kustomization that applies it.
    pub folder: &'static str,
    pub namespace: String,
    /// Folders (components) whose Kustomizations must be ready before this one.
    pub depends_on: Vec<&'static str>,
    /// The chart its HelmRelease installs (the control plane declares the source).
    pub chart: Option<flux::PinnedChart>,
    /// The HelmRelease sits in `<folder>/release/` and is applied by a second Kustomization
    /// that waits for the folder's own (storage, credentials Job) to be ready.
    pub staged: bool,
    pub objects: Vec<Generated>,
}

impl Component {
    /// A component in `folder` and `namespace` that waits for the folders in `depends_on`, with
    /// no chart of its own (its objects are CRs for an operator) until a builder sets one.
    fn new(folder: &'static str, namespace: &str, depends_on: Vec<&'static str>) -> Component {
        Component {
            folder,
            namespace: namespace.to_string(),
            depends_on,
            chart: None,
            staged: false,
            objects: Vec::new(),
        }
    }

    fn file(&self, name: &str) -> String {
        format!("{}/{name}", self.folder)
    }

    /// Adds an object to `<folder>/<file>`.
    fn push(&mut self, file: &str, object: Value) {
        let path = self.file(file);
        self.objects.push(Generated { path, object });
    }
}

/// Expands one stack into its objects, in a stable order: control plane first, then each
/// component folder (namespace first).
pub fn expand(stack: &MonitoringStack) -> Vec<Generated> {
    let ctx = Context::new(stack);
    let mut components: Vec<Component> = [
        grafana::operator(&ctx),
        grafana::grafana(&ctx),
        loki::build(&ctx),
        mimir::build(&ctx),
        alloy::operator(&ctx),
        alloy::collectors(&ctx),
        alloy::node_logs(&ctx),
        exporters::kube_state_metrics(&ctx),
        exporters::node_exporter(&ctx),
    ]
    .into_iter()
    .flatten()
    .collect();
    // A dependency on a switched-off component is dropped: there is nothing to wait for.
    let present: Vec<&'static str> = components.iter().map(|c| c.folder).collect();
    for component in &mut components {
        component.depends_on.retain(|d| present.contains(d));
    }

    let mut out = control_plane::build(&ctx, &components);
    for component in components {
        out.extend(component.objects);
    }
    for generated in &mut out {
        if has_placeholder(&generated.object) {
            disable_flux_substitution(&mut generated.object);
        }
    }
    out
}

/// Annotation that keeps Flux's post-build substitution away from an object whose `${VAR}`s
/// are meant for the component at start-up, or are shell syntax (Flux 2.9 fails the whole
/// Kustomization on an unset variable).
pub const SUBSTITUTE_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/substitute";

/// Whether any string in the object holds `${`, which Flux's substitution would rewrite.
fn has_placeholder(value: &Value) -> bool {
    match value {
        // Most strings hold no `$` at all: one byte search (the slice's memchr, without a
        // `char` searcher to set up for each string) rules them out.
        Value::String(text) => text.as_bytes().contains(&b'$') && text.contains("${"),
        Value::Sequence(items) => items.iter().any(has_placeholder),
        Value::Mapping(map) => map
            .iter()
            .any(|(k, v)| has_placeholder(k) || has_placeholder(v)),
        Value::Tagged(tagged) => has_placeholder(&tagged.value),
        _ => false,
    }
}

fn disable_flux_substitution(object: &mut Value) {
    let annotations = object
        .get_mut("metadata")
        .and_then(Value::as_mapping_mut)
        .map(|m| {
            m.entry("annotations".into())
                .or_insert_with(|| Value::Mapping(Default::default()))
        })
        .and_then(Value::as_mapping_mut);
    if let Some(annotations) = annotations {
        annotations.insert(SUBSTITUTE_ANNOTATION.into(), "disabled".into());
    }
}

/// The ownership marks of a stack's objects, for upsert and prune.
pub fn owner(stack_name: &str) -> crate::krm::ownership::Owner<'_> {
    crate::krm::ownership::Owner {
        label_key: MANAGED_BY_LABEL,
        label_value: MANAGED_BY_VALUE,
        annotation_key: STACK_ANNOTATION,
        annotation_value: stack_name,
    }
}

/// Whether the layout has Flux Kustomizations per folder.
pub fn uses_flux_kustomizations(spec: &MonitoringStackSpec) -> bool {
    spec.layout == Layout::Flux
}

/// Subfolder of a staged component's HelmRelease.
pub const RELEASE_FOLDER: &str = "release";

/// A component folder holding its Namespace and one HelmRelease; modules add their own objects.
pub(crate) struct ChartFolder<'a> {
    pub folder: &'static str,
    pub namespace: &'a str,
    pub chart: flux::PinnedChart,
    pub values: serde_json::Value,
    pub extra: &'a crate::spec::ExtraValues,
    /// Needs the prometheus-operator CRDs (it creates ServiceMonitors or PodMonitors).
    pub uses_monitor_crds: bool,
    pub depends_on: Vec<&'static str>,
    /// See [`Component::staged`].
    pub staged: bool,
    /// Extra labels of the namespace (Pod Security levels).
    pub pod_security: PodSecurity,
}

impl<'a> ChartFolder<'a> {
    /// The folder of a component that is one chart (an operator or an exporter): its namespace,
    /// the pinned chart (or the spec's version), `values` with the spec's resources, its raw
    /// values merged last. Its release creates ServiceMonitors or PodMonitors, so it waits for
    /// the monitor CRDs; nothing else waits or is staged unless the caller says so.
    pub fn of_chart<D: crate::spec::ChartDefaults>(
        folder: &'static str,
        spec: &'a crate::spec::ChartSpec<D>,
        chart: crate::versions::Chart,
        values: serde_json::Value,
    ) -> Self {
        ChartFolder {
            folder,
            namespace: spec.namespace.as_str(),
            chart: flux::PinnedChart::new(chart, spec.chart_version.as_ref()),
            values: with_resources(values, "resources", &spec.resources),
            extra: &spec.values,
            uses_monitor_crds: true,
            depends_on: Vec::new(),
            staged: false,
            pod_security: PodSecurity::Restricted,
        }
    }

    pub fn build(self, ctx: &Context) -> Component {
        let release_depends_on = if self.uses_monitor_crds && ctx.spec().prometheus_crds.enabled {
            vec![control_plane::PROMETHEUS_CRDS]
        } else {
            Vec::new()
        };
        let release = flux::helm_release(
            ctx,
            flux::Release {
                name: self.folder,
                namespace: self.namespace,
                chart: &self.chart,
                values: object::from_json(self.values),
                extra: self.extra,
                depends_on: release_depends_on,
            },
        );
        let mut component = Component {
            chart: Some(self.chart),
            staged: self.staged,
            ..Component::new(self.folder, self.namespace, self.depends_on)
        };
        component.push(
            "namespace.yaml",
            ctx.namespace(self.namespace, self.pod_security),
        );
        let file = if self.staged {
            format!("{RELEASE_FOLDER}/helmrelease.yaml")
        } else {
            "helmrelease.yaml".to_string()
        };
        component.push(&file, release);
        component
    }
}

/// A pod security context that only sets the seccomp profile Pod Security "restricted" asks
/// for; Helm merges it into the chart's own context (user, group, fsGroup stay the chart's).
pub(crate) fn restricted_seccomp() -> serde_json::Value {
    crate::json::json!({ "seccompProfile": { "type": "RuntimeDefault" } })
}

/// `resources` for a chart's values, or nothing when the spec sets none (the chart's default).
pub(crate) fn with_resources(
    mut values: serde_json::Value,
    key: &str,
    resources: &crate::spec::Resources,
) -> serde_json::Value {
    if !resources.is_empty() {
        if let Some(map) = values.as_object_mut() {
            map.insert(key.to_string(), crate::json::json!(resources));
        }
    }
    values
}
