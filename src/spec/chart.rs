//! Building blocks shared by the components: container resources, raw Helm values, Secret
//! key references, persistence, and [`ChartSpec`] (a component installed by one Helm chart).

use super::*;
use serde::{Deserialize, Serialize};

/// Container resources, as in a Pod spec, with validated quantities.
#[derive(Debug, Clone, Default, SpecDeserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<ResourceAmounts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<ResourceAmounts>,
}

impl Resources {
    pub fn is_empty(&self) -> bool {
        self.requests.is_none() && self.limits.is_none()
    }
}

#[derive(Debug, Clone, Default, SpecDeserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceAmounts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Quantity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Quantity>,
}

/// Raw Helm values merged last over what the function renders: the escape hatch for any chart
/// value the spec has no field for. Must be a mapping.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExtraValues(pub serde_yaml_ng::Mapping);

impl schemars::JsonSchema for ExtraValues {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ExtraValues".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "description": "Raw values merged last over what the function renders (free-form).",
            "additionalProperties": true,
        })
    }
}

impl<'de> Deserialize<'de> for ExtraValues {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        values::json_mapping(
            deserializer,
            "extra values",
            "Helm values (e.g. {replicas: 2})",
        )
        .map(ExtraValues)
    }
}

/// A reference to one key of a Secret in the component's namespace.
#[derive(Debug, Clone, SpecDeserialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretKeyRef {
    pub name: DnsSubdomain,
    pub key: DataKey,
}

impl SecretKeyRef {
    pub(super) fn fixed(name: &'static str, key: &'static str) -> Self {
        SecretKeyRef {
            name: DnsSubdomain::fixed(name),
            key: DataKey::fixed(key),
        }
    }
}

#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Persistence {
    pub enabled: bool,
    pub size: Quantity,
}

impl Persistence {
    pub(super) fn sized(size: &'static str) -> Self {
        Persistence {
            enabled: true,
            size: Quantity::fixed(size),
        }
    }
}

impl Default for Persistence {
    fn default() -> Self {
        Persistence::sized("10Gi")
    }
}

/// A component installed by one Helm chart: switch, namespace, chart version, resources and raw
/// values.
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default, bound = "")]
pub struct ChartSpec<D: ChartDefaults> {
    /// Generate this component (its folder, Kustomization and chart source).
    pub enabled: bool,
    /// The component's own namespace (the Flux Kustomization's `targetNamespace`).
    pub namespace: DnsLabel,
    /// Overrides the pinned chart version.
    pub chart_version: Option<ChartVersion>,
    /// Requests and limits of the chart's main container.
    pub resources: Resources,
    /// Raw Helm values merged last.
    pub values: ExtraValues,
    #[serde(skip)]
    defaults: std::marker::PhantomData<D>,
}

/// The per-component default of a [`ChartSpec`].
pub trait ChartDefaults {
    const NAMESPACE: &'static str;
}

impl<D: ChartDefaults> Default for ChartSpec<D> {
    fn default() -> Self {
        ChartSpec {
            enabled: true,
            namespace: DnsLabel::fixed(D::NAMESPACE),
            chart_version: None,
            resources: Resources::default(),
            values: ExtraValues::default(),
            defaults: std::marker::PhantomData,
        }
    }
}

macro_rules! chart_component {
    ($alias:ident, $marker:ident, $namespace:literal) => {
        #[derive(Debug, Clone, schemars::JsonSchema)]
        pub struct $marker;
        impl ChartDefaults for $marker {
            const NAMESPACE: &'static str = $namespace;
        }
        pub type $alias = ChartSpec<$marker>;
    };
}
