//! `monitoring-stack render FILE --report`: what the stack will collect, before it is deployed.
//! Per source: the collector, what is scraped or read, the interval, and which metric families
//! pass its allow-list — so a platform team sees the cost before the first sample.

use super::allow_lists::{self, Source};
use super::alloy::{events, metrics, node_logs};
use crate::spec::MonitoringStack;
use std::fmt::Write as _;

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub source: String,
    pub collector: &'static str,
    pub target: String,
    /// Scrape interval; `-` for streams (logs, events).
    pub interval: String,
    /// `job` label of its series or streams.
    pub job: String,
    /// The metric names its allow-list keeps; `None`: everything the target exposes.
    pub kept: Option<Vec<String>>,
}

/// The rows for one stack, in collection order.
pub fn rows(stack: &MonitoringStack) -> Vec<Row> {
    let spec = &stack.spec;
    let mut rows = Vec::new();
    if !spec.alloy.enabled {
        return rows;
    }
    let alloy = &spec.alloy;
    let loki = spec.ships_logs();
    let row = |source: &str, collector, target: &str, interval: &str, job: &str| Row {
        source: source.to_string(),
        collector,
        target: target.to_string(),
        interval: interval.to_string(),
        job: job.to_string(),
        kept: None,
    };
    if alloy.logs.runs(loki) {
        rows.push(row(
            "pod logs",
            "alloy-logs",
            "every container of every node, through the Kubernetes API",
            "-",
            "<namespace>/<container>",
        ));
    }
    if alloy.events.runs(loki) {
        let target = if alloy.events.namespaces.is_empty() {
            "Kubernetes events of every namespace".to_string()
        } else {
            let names: Vec<&str> = alloy.events.namespaces.iter().map(|n| n.as_str()).collect();
            format!("Kubernetes events of {}", names.join(", "))
        };
        rows.push(row("events", "alloy-events", &target, "-", events::JOB));
    }
    if alloy.node_logs.enabled && loki {
        let units: Vec<&str> = alloy.node_logs.units.iter().map(|u| u.as_str()).collect();
        rows.push(row(
            "node journal",
            "alloy-node-logs",
            &format!("systemd journal of every node: {}", units.join(", ")),
            "-",
            node_logs::JOB,
        ));
    }
    let m = &alloy.metrics;
    if !m.runs(spec.ships_metrics()) {
        return rows;
    }
    let interval = m.scrape_interval.as_str();
    let lists = &m.allow_lists;
    let listed = |mut row: Row, source: Source| {
        row.kept = allow_lists::kept(lists, source);
        row
    };
    rows.push(row(
        "ServiceMonitors and PodMonitors",
        "alloy-metrics",
        "every monitor in the cluster (the stack's own components included)",
        &format!("{interval} unless the monitor sets one"),
        "per monitor",
    ));
    if m.scrape_kubelet {
        rows.push(listed(
            row(
                "kubelet",
                "alloy-metrics",
                "every node, :10250/metrics",
                interval,
                "kubelet",
            ),
            Source::Kubelet,
        ));
    }
    if m.scrape_cadvisor {
        rows.push(listed(
            row(
                "cAdvisor",
                "alloy-metrics",
                "every node, :10250/metrics/cadvisor",
                interval,
                "cadvisor",
            ),
            Source::Cadvisor,
        ));
    }
    if m.control_plane.api_server {
        rows.push(listed(
            row(
                "API server",
                "alloy-metrics",
                "each endpoint of the `kubernetes` Service, https /metrics",
                interval,
                metrics::API_SERVER_JOB,
            ),
            Source::ApiServer,
        ));
    }
    for job in metrics::pod_jobs(m) {
        rows.push(row(
            job.job,
            "alloy-metrics",
            &format!(
                "`{}` pods in kube-system, {}:{}/metrics",
                job.selector,
                if job.https { "https" } else { "http" },
                job.port
            ),
            interval,
            job.job,
        ));
    }
    if m.annotation_autodiscovery {
        rows.push(row(
            "annotated pods",
            "alloy-metrics",
            "running pods annotated prometheus.io/scrape or k8s.grafana.com/scrape",
            interval,
            metrics::ANNOTATIONS_JOB,
        ));
    }
    if spec.kube_state_metrics.enabled {
        rows.push(listed(
            row(
                "kube-state-metrics",
                "alloy-metrics (chart ServiceMonitor)",
                "the kube-state-metrics Service",
                interval,
                Source::KubeStateMetrics.job(),
            ),
            Source::KubeStateMetrics,
        ));
    }
    if spec.node_exporter.enabled {
        rows.push(listed(
            row(
                "node-exporter",
                "alloy-metrics (chart ServiceMonitor)",
                "every node's node-exporter",
                interval,
                Source::NodeExporter.job(),
            ),
            Source::NodeExporter,
        ));
    }
    for scrape in &m.extra_scrapes {
        let targets: Vec<&str> = scrape.targets.iter().map(|t| t.as_str()).collect();
        rows.push(row(
            &format!("extra scrape {}", scrape.name.as_str()),
            "alloy-metrics",
            &format!(
                "{}://{}{}",
                scrape.scheme.as_str(),
                targets.join(", "),
                scrape.metrics_path.as_str()
            ),
            scrape.interval.as_ref().map_or(interval, |i| i.as_str()),
            scrape.name.as_str(),
        ));
    }
    rows
}

/// The report as Markdown: a summary table, then each allow-list's metric names.
pub fn markdown(stack: &MonitoringStack) -> String {
    let rows = rows(stack);
    let mut out = format!(
        "# Collection of MonitoringStack {}\n\n",
        stack.name.as_str()
    );
    if rows.is_empty() {
        out.push_str("Nothing is collected (spec.alloy.enabled: false).\n");
        return out;
    }
    out.push_str("| source | collector | what | interval | job | metric names kept |\n");
    out.push_str("| --- | --- | --- | --- | --- | --- |\n");
    for row in &rows {
        let kept = match &row.kept {
            Some(names) => format!("{} (allow-list)", names.len()),
            None if row.interval == "-" => "-".to_string(),
            None => "all".to_string(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            row.source, row.collector, row.target, row.interval, row.job, kept
        );
    }
    for row in rows.iter().filter(|r| r.kept.is_some()) {
        let _ = writeln!(
            out,
            "\n## {} (job `{}`): kept metric names\n",
            row.source, row.job
        );
        for name in row.kept.iter().flatten() {
            let _ = writeln!(out, "- {name}");
        }
    }
    out
}
