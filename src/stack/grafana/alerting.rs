//! Where alerts go: the `GrafanaFolder`s the rule groups live in, the Slack `GrafanaContactPoint`
//! (webhook URL from a Secret through `valuesFrom`), the users' contact points, and the one
//! `GrafanaNotificationPolicy` (Grafana keeps a single policy tree per organisation: this object
//! owns it) that routes to them.

use super::{instance_selector, namespace, rules, InstanceSelector, GRAFANA_API};
use crate::spec::{MatchOp, ReceiverSpec, SecretKeyRef, SlackSpec};
use crate::stack::object::object;
use crate::stack::Context;
use serde::Serialize;
use serde_yaml_ng::Value;

/// The folder of the stack's default rules (and of user groups that name none).
pub const STACK_FOLDER: &str = "monitoring-stack";
pub const STACK_FOLDER_TITLE: &str = "Monitoring stack";
/// Object name of the notification policy.
pub const POLICY_NAME: &str = "monitoring-stack";
/// The Slack setting that holds the incoming-webhook URL; the `valuesFrom` target path and the
/// setting are the same constant, so the operator cannot silently drop the value.
pub const SLACK_URL_SETTING: &str = "url";

#[derive(Serialize)]
struct Body<S> {
    spec: S,
}
impl<S: serde::Serialize> crate::stack::object::SerdeBody for Body<S> {}

pub fn objects(ctx: &Context) -> Vec<Value> {
    let mut out: Vec<Value> = rules::folders(ctx)
        .iter()
        .map(|name| folder(ctx, name))
        .collect();
    let alerting = &ctx.spec().grafana.alerting;
    let slack = &alerting.slack;
    if slack.enabled {
        out.push(contact_point(
            ctx,
            SlackSpec::CONTACT_POINT,
            vec![Receiver {
                kind: "slack".to_string(),
                settings: crate::json::json!({ "recipient": slack.channel.as_str() }),
                values_from: vec![ValueFrom::secret(SLACK_URL_SETTING, &slack.webhook_secret)],
                disable_resolve_message: false,
            }],
        ));
    }
    for point in &alerting.contact_points {
        let receivers = point.receivers.iter().map(Receiver::from_spec).collect();
        out.push(contact_point(ctx, point.name.as_str(), receivers));
    }
    out.extend(policy(ctx));
    out
}

fn folder(ctx: &Context, name: &str) -> Value {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Spec<'a> {
        instance_selector: InstanceSelector,
        uid: &'a str,
        title: &'a str,
    }
    let title = if name == STACK_FOLDER {
        STACK_FOLDER_TITLE
    } else {
        name
    };
    object(
        GRAFANA_API,
        "GrafanaFolder",
        ctx.meta(name, Some(namespace(ctx))),
        Body {
            spec: Spec {
                instance_selector: instance_selector(ctx),
                uid: name,
                title,
            },
        },
    )
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Receiver {
    #[serde(rename = "type")]
    kind: String,
    settings: serde_json::Value,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    values_from: Vec<ValueFrom>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    disable_resolve_message: bool,
}

impl Receiver {
    fn from_spec(spec: &ReceiverSpec) -> Receiver {
        Receiver {
            kind: spec.kind.clone(),
            settings: crate::stack::object::into_json(Value::Mapping(spec.settings.clone())),
            values_from: spec
                .secrets
                .iter()
                .map(|(path, secret)| ValueFrom::secret(path, secret))
                .collect(),
            disable_resolve_message: spec.disable_resolve_message,
        }
    }
}

/// A contact-point `valuesFrom`: the operator SETS the setting at `targetPath` from the Secret.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ValueFrom {
    target_path: String,
    value_from: SecretSource,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SecretSource {
    secret_key_ref: KeyRef,
}

#[derive(Serialize)]
struct KeyRef {
    name: String,
    key: String,
}

impl ValueFrom {
    fn secret(target_path: &str, secret: &SecretKeyRef) -> ValueFrom {
        ValueFrom {
            target_path: target_path.to_string(),
            value_from: SecretSource {
                secret_key_ref: KeyRef {
                    name: secret.name.to_string(),
                    key: secret.key.to_string(),
                },
            },
        }
    }
}

fn contact_point(ctx: &Context, name: &str, receivers: Vec<Receiver>) -> Value {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Spec<'a> {
        name: &'a str,
        instance_selector: InstanceSelector,
        receivers: Vec<Receiver>,
    }
    object(
        GRAFANA_API,
        "GrafanaContactPoint",
        ctx.meta(name, Some(namespace(ctx))),
        Body {
            spec: Spec {
                name,
                instance_selector: instance_selector(ctx),
                receivers,
            },
        },
    )
}

/// The policy tree: everything no child route takes to the root receiver (`rootReceiver`, else
/// Slack, else the first user contact point without matchers: one with matchers never gets
/// alerts its matchers exclude), grouped and repeated as the spec says; one child route per
/// user contact point with matchers.
/// No policy at all when there is no contact point (Grafana keeps its default).
fn policy(ctx: &Context) -> Option<Value> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Spec<'a> {
        instance_selector: InstanceSelector,
        route: Route<'a>,
    }
    #[derive(Serialize)]
    struct Route<'a> {
        receiver: &'a str,
        group_by: Vec<&'a str>,
        group_wait: &'a str,
        group_interval: &'a str,
        repeat_interval: &'a str,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        routes: Vec<ChildRoute<'a>>,
    }
    #[derive(Serialize)]
    struct ChildRoute<'a> {
        receiver: &'a str,
        object_matchers: Vec<[&'a str; 3]>,
        #[serde(rename = "continue")]
        continue_matching: bool,
    }
    let alerting = &ctx.spec().grafana.alerting;
    let root = alerting.root_receiver()?;
    let routes = alerting
        .contact_points
        .iter()
        .filter(|point| !point.matchers.is_empty())
        .map(|point| ChildRoute {
            receiver: point.name.as_str(),
            object_matchers: point
                .matchers
                .iter()
                .map(|m| [m.label.as_str(), match_op(m.op), m.value.as_str()])
                .collect(),
            continue_matching: point.continue_matching,
        })
        .collect();
    Some(object(
        GRAFANA_API,
        "GrafanaNotificationPolicy",
        ctx.meta(POLICY_NAME, Some(namespace(ctx))),
        Body {
            spec: Spec {
                instance_selector: instance_selector(ctx),
                route: Route {
                    receiver: root,
                    group_by: alerting.group_by.iter().map(|l| l.as_str()).collect(),
                    group_wait: alerting.group_wait.as_str(),
                    group_interval: alerting.group_interval.as_str(),
                    repeat_interval: alerting.repeat_interval.as_str(),
                    routes,
                },
            },
        },
    ))
}

fn match_op(op: MatchOp) -> &'static str {
    match op {
        MatchOp::Equal => "=",
        MatchOp::NotEqual => "!=",
        MatchOp::Regex => "=~",
        MatchOp::NotRegex => "!~",
    }
}
