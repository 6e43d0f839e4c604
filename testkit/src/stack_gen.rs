//! A grammar of `MonitoringStack` specs driven by the fuzzer's bytes: every field of the spec,
//! mostly with values the validators accept (so the run reaches the cross-field checks and the
//! expansion), sometimes with edge cases, wrong types or arbitrary text (so each validator sees
//! hostile input), wrapped in a ResourceList with unrelated items, a second stack, or the output
//! of an earlier run (so upsert and prune run on real owned objects).

use arbitrary::{Result, Unstructured};
use serde_yaml_ng::{Mapping, Value};

/// Strings every free-text field is tried with now and then.
const TRICKY: &[&str] = &[
    "",
    " ",
    "yes",
    "no",
    "on",
    "0755",
    "12:30",
    "2024-01-01",
    "1e3",
    "0x1F",
    ".inf",
    "~",
    "null",
    "${VAR}",
    "$${VAR}",
    "{{ .Values.x }}",
    "a\nb",
    "line\n",
    "\t",
    "ü-ß-日本",
    "\"quoted\"",
    "'",
    "#comment",
    "- item",
    "key: value",
    "---",
    "a\u{85}b",
    "\u{feff}bom",
    "\\",
    "é",
    "-",
    "a-",
    "A",
    "x.y",
];

pub struct Gen<'a, 'b> {
    u: &'b mut Unstructured<'a>,
}

fn s(text: &str) -> Value {
    Value::String(text.to_string())
}

/// How [`fields`](Gen::fields) makes one field's value.
type FieldGen<'f, G> = &'f mut dyn FnMut(&mut G) -> Result<Value>;

impl<'a, 'b> Gen<'a, 'b> {
    pub fn new(u: &'b mut Unstructured<'a>) -> Self {
        Gen { u }
    }

    fn chance(&mut self, percent: u8) -> Result<bool> {
        Ok(self.u.int_in_range(0..=99u8)? < percent)
    }

    /// Mostly one of `good`; sometimes a tricky string, arbitrary text or a wrong type.
    fn text(&mut self, good: &[&str]) -> Result<Value> {
        Ok(match self.u.int_in_range(0..=99u8)? {
            0..=86 => s(self.u.choose(good)?),
            87..=92 => s(self.u.choose(TRICKY)?),
            93..=96 => {
                let text: String = self.u.arbitrary()?;
                Value::String(text.chars().take(80).collect())
            }
            _ => self.wrong_type()?,
        })
    }

    fn wrong_type(&mut self) -> Result<Value> {
        Ok(match self.u.int_in_range(0..=5u8)? {
            0 => Value::Bool(self.u.arbitrary()?),
            1 => Value::Number(self.u.int_in_range(-5i64..=100)?.into()),
            2 => Value::Number(0.5.into()),
            3 => Value::Sequence(vec![s("a")]),
            4 => Value::Mapping(Mapping::from_iter([(s("a"), s("b"))])),
            _ => Value::Null,
        })
    }

    fn boolean(&mut self) -> Result<Value> {
        Ok(if self.chance(95)? {
            Value::Bool(self.u.arbitrary()?)
        } else {
            self.text(&["true", "yes"])?
        })
    }

    fn count(&mut self, max: u32) -> Result<Value> {
        Ok(if self.chance(95)? {
            Value::Number(self.u.int_in_range(0..=max)?.into())
        } else {
            self.wrong_type()?
        })
    }

    fn label(&mut self) -> Result<Value> {
        self.text(&[
            "main",
            "loki",
            "mimir",
            "grafana",
            "alloy",
            "monitoring",
            "flux-system",
            "kube-system",
            "observability",
            "a",
            "x-1",
            "grafana-operator",
        ])
    }

    fn subdomain(&mut self) -> Result<Value> {
        self.text(&[
            "garage-ssd",
            "ssd-replicated-retain",
            "letsencrypt",
            "grafana.example.com",
            "a.b.c",
            "nginx",
            "x",
        ])
    }

    fn quantity(&mut self) -> Result<Value> {
        self.text(&[
            "10Gi", "500m", "1", "1.5", "2Mi", "0", "1e3", "100Ki", "1.5Gi",
        ])
    }

    fn duration(&mut self) -> Result<Value> {
        self.text(&["10m", "30s", "1h30m", "5m", "0s", "1h", "90s", "2h45m10s"])
    }

    fn retention(&mut self) -> Result<Value> {
        self.text(&["30d", "744h", "2w", "1y", "0s", "7d", "1h30m"])
    }

    fn chart_version(&mut self) -> Result<Option<Value>> {
        self.maybe(30, |g| {
            g.text(&["7.3.0", "5.6.0-weekly.1", "1.0.0", "0.6.2", "1.0", "v1.2.3"])
        })
    }

    fn label_name(&mut self) -> Result<Value> {
        self.text(&[
            "job",
            "cluster",
            "__name__",
            "team",
            "namespace",
            "pod",
            "le",
        ])
    }

    fn maybe(
        &mut self,
        percent: u8,
        f: impl FnOnce(&mut Self) -> Result<Value>,
    ) -> Result<Option<Value>> {
        Ok(if self.chance(percent)? {
            Some(f(self)?)
        } else {
            None
        })
    }

    fn list(&mut self, max: usize, mut f: impl FnMut(&mut Self) -> Result<Value>) -> Result<Value> {
        let n = self.u.int_in_range(0..=max)?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(f(self)?);
        }
        Ok(Value::Sequence(items))
    }

    /// A mapping of the given optional fields, each present with probability `percent`.
    fn fields(&mut self, percent: u8, fields: &mut [(&str, FieldGen<'_, Self>)]) -> Result<Value> {
        let mut map = Mapping::new();
        for (name, f) in fields.iter_mut() {
            if self.chance(percent)? {
                map.insert(s(name), f(self)?);
            }
        }
        // Now and then a misspelt field.
        if self.chance(2)? {
            map.insert(s("retntion"), s("1d"));
        }
        Ok(Value::Mapping(map))
    }

    fn resources(&mut self) -> Result<Value> {
        let mut amounts = |g: &mut Self| {
            g.fields(
                50,
                &mut [
                    ("cpu", &mut |g| g.quantity()),
                    ("memory", &mut |g| g.quantity()),
                ],
            )
        };
        self.fields(
            50,
            &mut [("requests", &mut amounts.clone()), ("limits", &mut amounts)],
        )
    }

    /// Raw Helm values: small nested maps with keys the charts use.
    fn values(&mut self, depth: u8) -> Result<Value> {
        let keys = [
            "replicas",
            "global",
            "loki",
            "mimir",
            "image",
            "serviceMonitor",
            "enabled",
            "structuredConfig",
            "config",
            "alloy",
            "gateway",
            "resources",
            "spec",
            "deployment",
            "securityContext",
        ];
        let n = self.u.int_in_range(0..=3usize)?;
        let mut map = Mapping::new();
        for _ in 0..n {
            let key = s(self.u.choose(&keys)?);
            let value = if depth < 3 && self.chance(40)? {
                self.values(depth + 1)?
            } else {
                match self.u.int_in_range(0..=3u8)? {
                    0 => Value::Bool(self.u.arbitrary()?),
                    1 => Value::Number(self.u.int_in_range(0..=5u8)?.into()),
                    2 => self.text(&["x", "a.b", "${S3_BUCKET}"])?,
                    _ => Value::Null,
                }
            };
            map.insert(key, value);
        }
        Ok(Value::Mapping(map))
    }

    fn chart_component(&mut self) -> Result<Value> {
        self.fields(
            40,
            &mut [
                ("enabled", &mut |g| g.boolean()),
                ("namespace", &mut |g| g.label()),
                ("chartVersion", &mut |g| {
                    g.chart_version().map(|v| v.unwrap_or(Value::Null))
                }),
                ("resources", &mut |g| g.resources()),
                ("values", &mut |g| g.values(0)),
            ],
        )
    }

    fn secret_ref(&mut self) -> Result<Value> {
        self.fields(
            90,
            &mut [
                ("name", &mut |g| g.subdomain()),
                ("key", &mut |g| {
                    g.text(&["url", "client-secret", "token", "a.b_c-d"])
                }),
            ],
        )
    }

    fn storage(&mut self) -> Result<Value> {
        self.fields(
            40,
            &mut [
                ("bucketClass", &mut |g| g.subdomain()),
                ("bucketAccessClass", &mut |g| g.subdomain()),
                ("cosiApiVersion", &mut |g| g.text(&["v1alpha1", "v1alpha2"])),
                ("fallbackRegion", &mut |g| g.label()),
                ("setupImage", &mut |g| {
                    g.text(&[
                        "docker.io/alpine/k8s:1.32.4",
                        "alpine/k8s@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                        "busybox:latest",
                        "busybox",
                        "registry.local:5000/tools/kubectl:1.31",
                    ])
                }),
            ],
        )
    }

    fn persistence(&mut self) -> Result<Value> {
        self.fields(
            50,
            &mut [
                ("enabled", &mut |g| g.boolean()),
                ("size", &mut |g| g.quantity()),
            ],
        )
    }

    fn backend(&mut self, mimir: bool) -> Result<Value> {
        let mut value = self.fields(
            35,
            &mut [
                ("enabled", &mut |g| g.boolean()),
                ("namespace", &mut |g| g.label()),
                ("chartVersion", &mut |g| {
                    g.chart_version().map(|v| v.unwrap_or(Value::Null))
                }),
                ("retention", &mut |g| g.retention()),
                ("replicas", &mut |g| g.count(5)),
                ("multiTenancy", &mut |g| g.boolean()),
                ("tenant", &mut |g| g.label()),
                ("resources", &mut |g| g.resources()),
                ("persistence", &mut |g| g.persistence()),
                ("storage", &mut |g| g.storage()),
                ("values", &mut |g| g.values(0)),
            ],
        )?;
        if mimir && self.chance(30)? {
            let zones = self.boolean()?;
            if let Value::Mapping(map) = &mut value {
                map.insert(s("zoneAwareness"), zones);
            }
        }
        Ok(value)
    }

    fn relabel_rule(&mut self) -> Result<Value> {
        self.fields(
            50,
            &mut [
                ("action", &mut |g| {
                    g.text(&[
                        "replace",
                        "keep",
                        "drop",
                        "hashmod",
                        "labelmap",
                        "labeldrop",
                        "labelkeep",
                        "lowercase",
                        "uppercase",
                        "keepequal",
                        "dropequal",
                    ])
                }),
                ("sourceLabels", &mut |g| g.list(3, |g| g.label_name())),
                ("separator", &mut |g| g.text(&[";", ",", ""])),
                ("regex", &mut |g| {
                    g.text(&[".*", "kube-.*", "(a|b)", "[invalid", "a{2,}"])
                }),
                ("modulus", &mut |g| g.count(10)),
                ("targetLabel", &mut |g| {
                    g.text(&["team", "__tmp_x", "$1", "${1}_x"])
                }),
                ("replacement", &mut |g| g.text(&["$1", "x", "${1}"])),
            ],
        )
    }

    fn alloy(&mut self) -> Result<Value> {
        let mut logs = |g: &mut Self| {
            g.fields(
                40,
                &mut [
                    ("enabled", &mut |g| g.boolean()),
                    ("excludeNamespaces", &mut |g| g.list(3, |g| g.label())),
                    ("relabelRules", &mut |g| g.list(2, |g| g.relabel_rule())),
                    ("resources", &mut |g| g.resources()),
                    ("values", &mut |g| g.values(0)),
                ],
            )
        };
        let mut metrics = |g: &mut Self| {
            g.fields(
                40,
                &mut [
                    ("enabled", &mut |g| g.boolean()),
                    ("replicas", &mut |g| g.count(4)),
                    ("scrapeInterval", &mut |g| g.duration()),
                    ("scrapeKubelet", &mut |g| g.boolean()),
                    ("scrapeCadvisor", &mut |g| g.boolean()),
                    ("extraScrapes", &mut |g| {
                        g.list(2, |g| {
                            g.fields(
                                80,
                                &mut [
                                    ("name", &mut |g| g.label()),
                                    ("targets", &mut |g| {
                                        g.list(2, |g| {
                                            g.text(&[
                                                "10.0.0.1:9100",
                                                "router.lan:9100",
                                                "host",
                                                "[::1]:9100",
                                            ])
                                        })
                                    }),
                                    ("metricsPath", &mut |g| {
                                        g.text(&["/metrics", "/probe", "metrics"])
                                    }),
                                    ("scheme", &mut |g| g.text(&["http", "https"])),
                                    ("interval", &mut |g| g.duration()),
                                    ("labels", &mut |g| {
                                        let key = g.label_name()?;
                                        let value = g.text(&["a", "b"])?;
                                        Ok(Value::Mapping(Mapping::from_iter([(key, value)])))
                                    }),
                                ],
                            )
                        })
                    }),
                    ("writeRelabelRules", &mut |g| {
                        g.list(2, |g| g.relabel_rule())
                    }),
                    ("resources", &mut |g| g.resources()),
                    ("values", &mut |g| g.values(0)),
                    ("controlPlane", &mut |g| {
                        g.fields(
                            50,
                            &mut [
                                ("apiServer", &mut |g| g.boolean()),
                                ("coreDns", &mut |g| g.boolean()),
                                ("scheduler", &mut |g| g.boolean()),
                                ("controllerManager", &mut |g| g.boolean()),
                                ("etcd", &mut |g| g.boolean()),
                            ],
                        )
                    }),
                    ("allowLists", &mut |g| {
                        g.fields(
                            40,
                            &mut [
                                ("enabled", &mut |g| g.boolean()),
                                ("cadvisor", &mut |g| g.list(2, |g| g.metric_name())),
                                ("kubelet", &mut |g| g.list(2, |g| g.metric_name())),
                                ("apiServer", &mut |g| g.list(2, |g| g.metric_name())),
                                ("kubeStateMetrics", &mut |g| g.list(2, |g| g.metric_name())),
                                ("nodeExporter", &mut |g| g.list(2, |g| g.metric_name())),
                            ],
                        )
                    }),
                    ("annotationAutodiscovery", &mut |g| g.boolean()),
                ],
            )
        };
        let mut events = |g: &mut Self| {
            g.fields(
                40,
                &mut [
                    ("enabled", &mut |g| g.boolean()),
                    ("namespaces", &mut |g| g.list(3, |g| g.label())),
                    ("resources", &mut |g| g.resources()),
                    ("values", &mut |g| g.values(0)),
                ],
            )
        };
        let mut node_logs = |g: &mut Self| {
            g.fields(
                40,
                &mut [
                    ("enabled", &mut |g| g.boolean()),
                    ("namespace", &mut |g| g.label()),
                    ("units", &mut |g| {
                        g.list(3, |g| {
                            g.text(&[
                                "kubelet.service",
                                "containerd.service",
                                "crio.service",
                                "k3s.service",
                                "kubelet",
                            ])
                        })
                    }),
                    ("resources", &mut |g| g.resources()),
                    ("values", &mut |g| g.values(0)),
                ],
            )
        };
        self.fields(
            40,
            &mut [
                ("enabled", &mut |g| g.boolean()),
                ("namespace", &mut |g| g.label()),
                ("logs", &mut logs),
                ("metrics", &mut metrics),
                ("events", &mut events),
                ("nodeLogs", &mut node_logs),
            ],
        )
    }

    fn metric_name(&mut self) -> Result<Value> {
        self.text(&[
            "container_oom_events_total",
            "kubelet_pod_start_sli_duration_seconds_bucket",
            "node_pressure_cpu_waiting_seconds_total",
            "kube_pod_labels",
            "job:up:sum",
            "9bad",
        ])
    }

    fn alert_rule(&mut self) -> Result<Value> {
        self.fields(
            60,
            &mut [
                ("uid", &mut |g| {
                    g.text(&["r1", "high-cpu", "stack-x", "a_b"])
                }),
                ("title", &mut |g| g.text(&["High CPU", "x"])),
                ("datasource", &mut |g| g.text(&["mimir", "loki"])),
                ("expr", &mut |g| {
                    g.text(&[
                        "up == 0",
                        "sum(rate(http_requests_total[5m]))",
                        "sum(count_over_time({app=\"x\"}[5m]))",
                        "(",
                    ])
                }),
                ("above", &mut |g| {
                    Ok(Value::Number(g.u.int_in_range(-1i64..=100)?.into()))
                }),
                ("below", &mut |g| {
                    Ok(Value::Number(
                        (f64::from(g.u.int_in_range(-2i8..=2)?) / 4.0).into(),
                    ))
                }),
                ("for", &mut |g| g.duration()),
                ("severity", &mut |g| {
                    g.text(&["critical", "warning", "info"])
                }),
                ("summary", &mut |g| {
                    g.text(&["it broke", "{{ $labels.pod }}"])
                }),
                ("description", &mut |g| g.text(&["more", "a\nb"])),
                ("labels", &mut |g| {
                    Ok(Value::Mapping(Mapping::from_iter([(
                        g.label_name()?,
                        s("x"),
                    )])))
                }),
                ("annotations", &mut |_g| {
                    Ok(Value::Mapping(Mapping::from_iter([(
                        s("runbook"),
                        s("https://x"),
                    )])))
                }),
                ("noDataState", &mut |g| {
                    g.text(&["OK", "NoData", "Alerting", "KeepLast"])
                }),
            ],
        )
    }

    fn alerting(&mut self) -> Result<Value> {
        self.fields(
            40,
            &mut [
                ("defaultRules", &mut |g| g.boolean()),
                ("slack", &mut |g| {
                    g.fields(
                        50,
                        &mut [
                            ("enabled", &mut |g| g.boolean()),
                            ("channel", &mut |g| g.text(&["#it-alerts", "#a", "alerts"])),
                            ("webhookSecret", &mut |g| g.secret_ref()),
                        ],
                    )
                }),
                ("groupBy", &mut |g| g.list(3, |g| g.label_name())),
                ("groupWait", &mut |g| g.duration()),
                ("groupInterval", &mut |g| g.duration()),
                ("repeatInterval", &mut |g| g.duration()),
                ("ruleGroups", &mut |g| {
                    g.list(2, |g| {
                        g.fields(
                            80,
                            &mut [
                                ("name", &mut |g| g.label()),
                                ("interval", &mut |g| g.duration()),
                                ("folder", &mut |g| g.label()),
                                ("rules", &mut |g| g.list(2, |g| g.alert_rule())),
                            ],
                        )
                    })
                }),
                ("contactPoints", &mut |g| {
                    g.list(2, |g| {
                        g.fields(
                            80,
                            &mut [
                                ("name", &mut |g| g.label()),
                                ("receivers", &mut |g| {
                                    g.list(2, |g| {
                                        g.fields(
                                            70,
                                            &mut [
                                                ("type", &mut |g| {
                                                    g.text(&[
                                                        "slack",
                                                        "email",
                                                        "webhook",
                                                        "pagerduty",
                                                    ])
                                                }),
                                                ("settings", &mut |g| {
                                                    Ok(Value::Mapping(Mapping::from_iter([(
                                                        s("addresses"),
                                                        g.text(&["ops@example.com"])?,
                                                    )])))
                                                }),
                                                ("secrets", &mut |g| {
                                                    let key = g.text(&["url", "integrationKey"])?;
                                                    let secret = g.secret_ref()?;
                                                    Ok(Value::Mapping(Mapping::from_iter([(
                                                        key, secret,
                                                    )])))
                                                }),
                                                ("disableResolveMessage", &mut |g| g.boolean()),
                                            ],
                                        )
                                    })
                                }),
                                ("matchers", &mut |g| {
                                    g.list(2, |g| {
                                        g.fields(
                                            80,
                                            &mut [
                                                ("label", &mut |g| g.label_name()),
                                                ("op", &mut |g| g.text(&["=", "!=", "=~", "!~"])),
                                                ("value", &mut |g| g.text(&["critical", "x.*"])),
                                            ],
                                        )
                                    })
                                }),
                                ("continue", &mut |g| g.boolean()),
                            ],
                        )
                    })
                }),
                ("rootReceiver", &mut |g| g.label()),
            ],
        )
    }

    fn grafana(&mut self) -> Result<Value> {
        let mut value = self.fields(
            35,
            &mut [
                ("enabled", &mut |g| g.boolean()),
                ("namespace", &mut |g| g.label()),
                ("version", &mut |g| {
                    g.text(&["11.3.0", "docker.io/grafana/grafana:11.3.0", "latest"])
                }),
                ("resources", &mut |g| g.resources()),
                ("persistence", &mut |g| g.persistence()),
                ("exposure", &mut |g| {
                    g.fields(
                        50,
                        &mut [
                            ("type", &mut |g| {
                                g.text(&["LoadBalancer", "Ingress", "HTTPRoute"])
                            }),
                            ("loadBalancerClass", &mut |g| {
                                g.text(&["mikrolb", "example.com/lb"])
                            }),
                            ("annotations", &mut |g| {
                                Ok(Value::Mapping(Mapping::from_iter([(
                                    g.text(&["example.com/x", "a"])?,
                                    g.text(&["v", "yes"])?,
                                )])))
                            }),
                            ("ingressClassName", &mut |g| g.subdomain()),
                            ("gateway", &mut |g| {
                                g.fields(
                                    80,
                                    &mut [
                                        ("name", &mut |g| g.subdomain()),
                                        ("namespace", &mut |g| g.label()),
                                        ("sectionName", &mut |g| g.subdomain()),
                                    ],
                                )
                            }),
                        ],
                    )
                }),
                ("tls", &mut |g| {
                    g.fields(
                        50,
                        &mut [
                            ("enabled", &mut |g| g.boolean()),
                            ("clusterIssuer", &mut |g| g.subdomain()),
                        ],
                    )
                }),
                ("oidc", &mut |g| {
                    g.fields(
                        60,
                        &mut [
                            ("issuerUrl", &mut |g| {
                                g.text(&[
                                    "https://idp.example.com/realms/main",
                                    "http://idp/realms/x",
                                    "https://a:8443/b/",
                                ])
                            }),
                            ("clientId", &mut |g| g.text(&["grafana", "x"])),
                            ("clientSecret", &mut |g| g.secret_ref()),
                            ("displayName", &mut |g| g.text(&["Keycloak", "SSO"])),
                            ("scopes", &mut |g| {
                                g.list(3, |g| g.text(&["openid", "email", "roles"]))
                            }),
                            ("groupsClaim", &mut |g| {
                                g.text(&["groups", "realm_access.roles"])
                            }),
                            ("adminGroup", &mut |g| g.text(&["grafana-admins", "admins"])),
                            ("editorGroup", &mut |g| g.text(&["editors"])),
                            ("defaultRole", &mut |g| {
                                g.text(&["Viewer", "Editor", "Admin"])
                            }),
                        ],
                    )
                }),
                ("alerting", &mut |g| g.alerting()),
                ("config", &mut |g| {
                    let section = g.text(&["server", "log", "security"])?;
                    let key = g.text(&["level", "x"])?;
                    let value = match g.u.int_in_range(0..=2u8)? {
                        0 => Value::Bool(true),
                        1 => Value::Number(3.into()),
                        _ => g.text(&["debug", "a b"])?,
                    };
                    Ok(Value::Mapping(Mapping::from_iter([(
                        section,
                        Value::Mapping(Mapping::from_iter([(key, value)])),
                    )])))
                }),
                ("values", &mut |g| g.values(0)),
            ],
        )?;
        // Grafana needs a hostname when it is on: usually give one.
        if self.chance(90)? {
            let hostname = self.text(&["grafana.example.com", "grafana", "g.a.b"])?;
            if let Value::Mapping(map) = &mut value {
                map.insert(s("hostname"), hostname);
            }
        }
        Ok(value)
    }

    /// A whole spec.
    /// A remote endpoint or a destination's connection: URL, tenant, credentials, TLS.
    fn endpoint(&mut self, urls: &[&str]) -> Result<Mapping> {
        let mut map = Mapping::new();
        map.insert(s("url"), self.text(urls)?);
        if self.chance(30)? {
            map.insert(s("tenant"), self.label()?);
        }
        if self.chance(60)? {
            let auth = if self.chance(70)? {
                let mut basic = Mapping::new();
                basic.insert(s("username"), self.text(&["edge-a", "123456", "a:b"])?);
                basic.insert(s("password"), self.secret_ref()?);
                Mapping::from_iter([(s("basic"), Value::Mapping(basic))])
            } else {
                Mapping::from_iter([(s("bearerToken"), self.secret_ref()?)])
            };
            map.insert(s("auth"), Value::Mapping(auth));
        }
        if self.chance(25)? {
            let tls = self.fields(
                50,
                &mut [
                    ("caSecret", &mut |g| g.secret_ref()),
                    ("serverName", &mut |g| g.subdomain()),
                    ("insecureSkipVerify", &mut |g| g.boolean()),
                ],
            )?;
            map.insert(s("tls"), tls);
        }
        Ok(map)
    }

    /// `spec.destinations[]`.
    fn destination(&mut self) -> Result<Value> {
        let kind = *self.u.choose(&["prometheus", "loki"])?;
        let url = if kind == "loki" {
            "https://logs.example.net/loki/api/v1/push"
        } else {
            "https://metrics.example.net/api/prom/push"
        };
        let mut map = self.endpoint(&[url, "http://plain.example.net/push"])?;
        map.insert(s("name"), self.label()?);
        map.insert(s("type"), self.text(&[kind])?);
        if self.chance(40)? {
            map.insert(s("relabelRules"), self.list(2, |g| g.relabel_rule())?);
        }
        Ok(Value::Mapping(map))
    }

    /// The fleet fields (issue 20): a role, and what it needs, over a generated spec. An edge
    /// mostly drops the fields it refuses (sometimes keeps one, to reach the error).
    fn fleet(&mut self, spec: &mut Mapping) -> Result<()> {
        match self.u.int_in_range(0..=9u8)? {
            0 | 1 => {
                spec.insert(s("role"), self.text(&["edge"])?);
                if !self.chance(10)? {
                    for field in ["loki", "mimir", "grafana", "grafanaOperator"] {
                        spec.remove(field);
                    }
                }
                let mut remote = Mapping::new();
                for (signal, url) in [
                    ("logs", "https://loki.central.example.com"),
                    ("metrics", "https://mimir.central.example.com"),
                ] {
                    if self.chance(70)? {
                        let endpoint =
                            self.endpoint(&[url, "https://x.example.com/api/v1/push"])?;
                        remote.insert(s(signal), Value::Mapping(endpoint));
                    }
                }
                spec.insert(s("remote"), Value::Mapping(remote));
            }
            2 => {
                spec.insert(s("role"), self.text(&["central"])?);
                let central = self.fields(
                    70,
                    &mut [
                        ("tenants", &mut |g| g.list(3, |g| g.label())),
                        ("lokiHostname", &mut |g| {
                            g.text(&["loki.central.example.com"])
                        }),
                        ("mimirHostname", &mut |g| {
                            g.text(&["mimir.central.example.com"])
                        }),
                        ("exposure", &mut |g| {
                            let kind = *g.u.choose(&["Ingress", "HTTPRoute", "LoadBalancer"])?;
                            let mut map = Mapping::from_iter([(s("type"), s(kind))]);
                            if kind == "HTTPRoute" || g.chance(5)? {
                                map.insert(
                                    s("gateway"),
                                    Value::Mapping(Mapping::from_iter([
                                        (s("name"), g.subdomain()?),
                                        (s("namespace"), s("gateway-system")),
                                    ])),
                                );
                            }
                            Ok(Value::Mapping(map))
                        }),
                        ("auth", &mut |g| {
                            g.fields(
                                50,
                                &mut [
                                    ("htpasswdSecret", &mut |g| g.subdomain()),
                                    ("clientSecret", &mut |g| g.subdomain()),
                                ],
                            )
                        }),
                    ],
                )?;
                spec.insert(s("central"), central);
            }
            3 => {
                spec.insert(s("role"), self.text(&["standalone"])?);
            }
            _ => {}
        }
        if self.chance(20)? {
            spec.insert(s("destinations"), self.list(3, |g| g.destination())?);
        }
        Ok(())
    }

    pub fn spec(&mut self) -> Result<Value> {
        let mut spec = self.spec_fields()?;
        if let Value::Mapping(map) = &mut spec {
            self.fleet(map)?;
        }
        Ok(spec)
    }

    fn spec_fields(&mut self) -> Result<Value> {
        self.fields(
            45,
            &mut [
                ("layout", &mut |g| g.text(&["flux", "flat"])),
                ("cluster", &mut |g| {
                    g.fields(
                        50,
                        &mut [
                            ("name", &mut |g| g.label()),
                            ("istioAmbient", &mut |g| g.boolean()),
                            ("storageClass", &mut |g| g.subdomain()),
                        ],
                    )
                }),
                ("flux", &mut |g| {
                    g.fields(
                        40,
                        &mut [
                            ("namespace", &mut |g| g.label()),
                            ("interval", &mut |g| g.duration()),
                            ("timeout", &mut |g| g.duration()),
                            ("sourceRef", &mut |g| {
                                g.fields(
                                    60,
                                    &mut [
                                        ("kind", &mut |g| {
                                            g.text(&["GitRepository", "OCIRepository", "Bucket"])
                                        }),
                                        ("name", &mut |g| g.subdomain()),
                                        ("namespace", &mut |g| g.label()),
                                    ],
                                )
                            }),
                            ("path", &mut |g| {
                                g.text(&[
                                    "./k8s/clusters/main/monitoring",
                                    "./",
                                    "k8s",
                                    "../x",
                                    "/abs",
                                ])
                            }),
                        ],
                    )
                }),
                ("grafanaOperator", &mut |g| g.chart_component()),
                ("grafana", &mut |g| g.grafana()),
                ("loki", &mut |g| g.backend(false)),
                ("mimir", &mut |g| g.backend(true)),
                ("alloyOperator", &mut |g| g.chart_component()),
                ("alloy", &mut |g| g.alloy()),
                ("kubeStateMetrics", &mut |g| g.chart_component()),
                ("nodeExporter", &mut |g| g.chart_component()),
                ("prometheusCrds", &mut |g| {
                    g.fields(
                        40,
                        &mut [
                            ("enabled", &mut |g| g.boolean()),
                            ("chartVersion", &mut |g| {
                                g.chart_version().map(|v| v.unwrap_or(Value::Null))
                            }),
                            ("values", &mut |g| g.values(0)),
                        ],
                    )
                }),
            ],
        )
    }

    /// A MonitoringStack object.
    pub fn stack(&mut self, name: &str) -> Result<Value> {
        let spec = self.spec()?;
        let mut metadata = Mapping::from_iter([(s("name"), s(name))]);
        if self.chance(10)? {
            metadata.insert(s("namespace"), self.label()?);
        }
        Ok(Value::Mapping(Mapping::from_iter([
            (s("apiVersion"), s("monitoring-stack.dev/v1alpha1")),
            (s("kind"), s("MonitoringStack")),
            (s("metadata"), Value::Mapping(metadata)),
            (s("spec"), spec),
        ])))
    }

    /// An object that is not this function's: random kinds, names and data, sometimes with
    /// the identity of a generated object or the ownership marks of another stack.
    pub fn unrelated(&mut self) -> Result<Value> {
        let (api_version, kind) = *self.u.choose(&[
            ("v1", "ConfigMap"),
            ("v1", "Namespace"),
            ("apps/v1", "Deployment"),
            ("helm.toolkit.fluxcd.io/v2", "HelmRelease"),
            ("example.com/v1", "Widget"),
        ])?;
        let mut metadata = Mapping::from_iter([(s("name"), self.label()?)]);
        if self.chance(50)? {
            metadata.insert(s("namespace"), self.label()?);
        }
        if self.chance(20)? {
            metadata.insert(
                s("labels"),
                Value::Mapping(Mapping::from_iter([(
                    s("app.kubernetes.io/managed-by"),
                    self.text(&["monitoring-stack", "helm"])?,
                )])),
            );
        }
        if self.chance(20)? {
            metadata.insert(
                s("annotations"),
                Value::Mapping(Mapping::from_iter([
                    (
                        s("monitoring-stack.dev/stack"),
                        self.text(&["other", "main"])?,
                    ),
                    (s("config.kubernetes.io/path"), s("apps/x.yaml")),
                ])),
            );
        }
        let data = self.values(0)?;
        Ok(Value::Mapping(Mapping::from_iter([
            (s("apiVersion"), s(api_version)),
            (s("kind"), s(kind)),
            (s("metadata"), Value::Mapping(metadata)),
            (s("data"), data),
        ])))
    }
}

/// One fuzz input's run(s): optionally an earlier run (another spec of the same stack), whose
/// output becomes the items of the run under test, so replacement and pruning act on real
/// owned objects.
pub struct Scenario {
    stack: Value,
    earlier: Option<Value>,
    second_stack: Option<Value>,
    items: Vec<Value>,
    as_config: bool,
}

/// Builds a ResourceList around `items` and `config`.
pub fn resource_list(items: Vec<Value>, config: Option<Value>) -> String {
    let mut list = Mapping::from_iter([
        (s("apiVersion"), s("config.kubernetes.io/v1")),
        (s("kind"), s("ResourceList")),
        (s("items"), Value::Sequence(items)),
    ]);
    if let Some(config) = config {
        list.insert(s("functionConfig"), config);
    }
    monitoring_stack::yaml::to_string(&Value::Mapping(list))
}

pub fn scenario(u: &mut Unstructured<'_>) -> Result<Scenario> {
    let mut g = Gen::new(u);
    let mut items = Vec::new();
    for _ in 0..g.u.int_in_range(0..=2u8)? {
        items.push(g.unrelated()?);
    }
    let stack = g.stack("main")?;
    let second_stack = if g.chance(10)? {
        let name = if g.chance(50)? { "other" } else { "main" };
        Some(g.stack(name)?)
    } else {
        None
    };
    let as_config = g.chance(75)?;
    let earlier = if g.chance(25)? {
        Some(g.stack("main")?)
    } else {
        None
    };
    Ok(Scenario {
        stack,
        earlier,
        second_stack,
        items,
        as_config,
    })
}

impl Scenario {
    /// The list of the earlier run, if the scenario has one.
    pub fn earlier_list(&self) -> Option<String> {
        let earlier = self.earlier.clone()?;
        Some(self.build(earlier, self.initial_items()))
    }

    /// The list under test: after an earlier run, its output's items (generated objects,
    /// results dropped) with this scenario's stack in place of the earlier one.
    pub fn list(&self, earlier_output: Option<&Value>) -> String {
        let items = match earlier_output.and_then(|o| o.get("items")?.as_sequence()) {
            Some(items) => items.clone(),
            None => self.initial_items(),
        };
        self.build(self.stack.clone(), items)
    }

    fn initial_items(&self) -> Vec<Value> {
        let mut items = self.items.clone();
        items.extend(self.second_stack.clone());
        items
    }

    fn build(&self, stack: Value, mut items: Vec<Value>) -> String {
        if self.as_config {
            return resource_list(items, Some(stack));
        }
        let name = stack.get("metadata").and_then(|m| m.get("name")).cloned();
        // The stack item of the earlier run (the last of that name) is replaced in place.
        let earlier = items.iter().rposition(|item| {
            item.get("kind").and_then(Value::as_str) == Some("MonitoringStack")
                && item.get("metadata").and_then(|m| m.get("name")).cloned() == name
                && self.earlier.is_some()
        });
        match earlier {
            Some(at) => items[at] = stack,
            None => items.push(stack),
        }
        resource_list(items, None)
    }
}
