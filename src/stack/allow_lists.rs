//! The metric allow-lists: per noisy source, the metric names kept by default. Each list is the
//! set the shipped dashboards, recording rules and alerts read (the vendored kubernetes-, node-,
//! Loki-, Mimir- and Alloy-mixins in vendor/mixins/, and the stack's own alert rules), so a
//! default stack stores what it shows and nothing else.
//! `tests/allow_lists.rs` parses every PromQL expression the stack ships and fails on a metric a
//! list drops: a new dashboard or rule that reads a dropped metric must add it here.
//!
//! Adjust a list by editing its table below (one name a line: each table is one string, which
//! is 8 bytes a name smaller in the WebAssembly modules than a slice of `&str`); users add names
//! through
//! `spec.alloy.metrics.allowLists.<source>` or switch the lists off with `enabled: false`.
//!
//! Where a list applies: Alloy's own scrapes (kubelet, cAdvisor, API server) pass a
//! `prometheus.relabel` (keep on `__name__`) between scrape and remote write; the charts'
//! ServiceMonitors (kube-state-metrics, node-exporter) carry the same keep rule as
//! `metricRelabelings`.

use crate::spec::{AllowListsSpec, MetricName};

/// The sources with an allow-list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Cadvisor,
    Kubelet,
    ApiServer,
    KubeStateMetrics,
    NodeExporter,
}

impl Source {
    pub const ALL: [Source; 5] = [
        Source::Cadvisor,
        Source::Kubelet,
        Source::ApiServer,
        Source::KubeStateMetrics,
        Source::NodeExporter,
    ];

    /// The `job` label of its series (what the mixins select on).
    pub fn job(self) -> &'static str {
        match self {
            Source::Cadvisor => "cadvisor",
            Source::Kubelet => "kubelet",
            Source::ApiServer => "apiserver",
            Source::KubeStateMetrics => "kube-state-metrics",
            Source::NodeExporter => "node-exporter",
        }
    }

    /// The spec field of its user additions (under `spec.alloy.metrics.allowLists`).
    pub fn field(self) -> &'static str {
        match self {
            Source::Cadvisor => "cadvisor",
            Source::Kubelet => "kubelet",
            Source::ApiServer => "apiServer",
            Source::KubeStateMetrics => "kubeStateMetrics",
            Source::NodeExporter => "nodeExporter",
        }
    }

    /// The built-in list.
    pub fn defaults(self) -> std::str::SplitAsciiWhitespace<'static> {
        names(match self {
            Source::Cadvisor => CADVISOR,
            Source::Kubelet => KUBELET,
            Source::ApiServer => API_SERVER,
            Source::KubeStateMetrics => KUBE_STATE_METRICS,
            Source::NodeExporter => NODE_EXPORTER,
        })
    }

    fn additions(self, spec: &AllowListsSpec) -> &[MetricName] {
        match self {
            Source::Cadvisor => &spec.cadvisor,
            Source::Kubelet => &spec.kubelet,
            Source::ApiServer => &spec.api_server,
            Source::KubeStateMetrics => &spec.kube_state_metrics,
            Source::NodeExporter => &spec.node_exporter,
        }
    }
}

/// The names of a table: one a line.
fn names(table: &'static str) -> std::str::SplitAsciiWhitespace<'static> {
    table.split_ascii_whitespace()
}

/// Kept from every allow-listed scrape whatever the list: the scrape's own health series
/// (`up` feeds the target-down and no-metrics alerts; the `scrape_*` series are what a cost
/// estimate reads).
pub const ALWAYS_KEPT: &str = "
up
scrape_duration_seconds
scrape_samples_scraped
scrape_samples_post_metric_relabeling
scrape_series_added
";

/// cAdvisor (`/metrics/cadvisor` on each kubelet): the kubernetes-mixin's container CPU,
/// memory, network and filesystem panels and its `node_namespace_pod_container:*` rules.
pub const CADVISOR: &str = "
container_cpu_cfs_periods_total
container_cpu_cfs_throttled_periods_total
container_cpu_usage_seconds_total
container_fs_reads_bytes_total
container_fs_reads_total
container_fs_writes_bytes_total
container_fs_writes_total
container_memory_cache
container_memory_rss
container_memory_swap
container_memory_usage_bytes
container_memory_working_set_bytes
container_network_receive_bytes_total
container_network_receive_packets_dropped_total
container_network_receive_packets_total
container_network_transmit_bytes_total
container_network_transmit_packets_dropped_total
container_network_transmit_packets_total
container_spec_cpu_period
container_spec_cpu_quota
container_spec_memory_limit_bytes
machine_cpu_cores
machine_memory_bytes
";

/// The kubelet (`/metrics`): the kubernetes-mixin's kubelet dashboard, its volume, PLEG,
/// certificate and eviction alerts, and the stack's own volume alerts.
pub const KUBELET: &str = "
go_goroutines
kubelet_certificate_manager_client_expiration_renew_errors
kubelet_certificate_manager_client_ttl_seconds
kubelet_certificate_manager_server_ttl_seconds
kubelet_cgroup_manager_duration_seconds_bucket
kubelet_cgroup_manager_duration_seconds_count
kubelet_evictions
kubelet_node_config_error
kubelet_node_name
kubelet_pleg_relist_duration_seconds_bucket
kubelet_pleg_relist_duration_seconds_count
kubelet_pleg_relist_interval_seconds_bucket
kubelet_pod_start_duration_seconds_bucket
kubelet_pod_start_duration_seconds_count
kubelet_pod_worker_duration_seconds_bucket
kubelet_pod_worker_duration_seconds_count
kubelet_running_containers
kubelet_running_pods
kubelet_runtime_operations_duration_seconds_bucket
kubelet_runtime_operations_errors_total
kubelet_runtime_operations_total
kubelet_server_expiration_renew_errors
kubelet_volume_stats_available_bytes
kubelet_volume_stats_capacity_bytes
kubelet_volume_stats_inodes
kubelet_volume_stats_inodes_free
kubelet_volume_stats_inodes_used
kubelet_volume_stats_used_bytes
kubernetes_build_info
process_cpu_seconds_total
process_resident_memory_bytes
rest_client_request_duration_seconds_bucket
rest_client_requests_total
storage_operation_duration_seconds_bucket
storage_operation_duration_seconds_count
storage_operation_errors_total
volume_manager_total_volumes
";

/// The API server (`/metrics` through the `kubernetes` Service): the kubernetes-mixin's API
/// server dashboard, availability/SLO recording rules (the `_sli_` histograms, not the far
/// larger `apiserver_request_duration_seconds_bucket`) and its certificate, aggregated-API and
/// termination alerts.
pub const API_SERVER: &str = "
aggregator_unavailable_apiservice
aggregator_unavailable_apiservice_total
apiserver_client_certificate_expiration_seconds_bucket
apiserver_client_certificate_expiration_seconds_count
apiserver_current_inflight_requests
apiserver_request_sli_duration_seconds_bucket
apiserver_request_sli_duration_seconds_count
apiserver_request_sli_duration_seconds_sum
apiserver_request_terminations_total
apiserver_request_total
apiserver_storage_objects
apiserver_storage_size_bytes
go_goroutines
kubernetes_build_info
process_cpu_seconds_total
process_resident_memory_bytes
workqueue_adds_total
workqueue_depth
workqueue_queue_duration_seconds_bucket
";

/// kube-state-metrics: the kubernetes-mixin's workload, resource and capacity dashboards and
/// its apps, resource, storage and system alerts.
pub const KUBE_STATE_METRICS: &str = "
kube_cronjob_info
kube_cronjob_next_schedule_time
kube_cronjob_status_last_schedule_time
kube_daemonset_metadata_generation
kube_daemonset_status_current_number_scheduled
kube_daemonset_status_desired_number_scheduled
kube_daemonset_status_number_available
kube_daemonset_status_number_misscheduled
kube_daemonset_status_number_ready
kube_daemonset_status_observed_generation
kube_daemonset_status_updated_number_scheduled
kube_deployment_metadata_generation
kube_deployment_spec_replicas
kube_deployment_status_condition
kube_deployment_status_observed_generation
kube_deployment_status_replicas
kube_deployment_status_replicas_available
kube_deployment_status_replicas_updated
kube_endpoint_address
kube_horizontalpodautoscaler_info
kube_horizontalpodautoscaler_spec_max_replicas
kube_horizontalpodautoscaler_spec_min_replicas
kube_horizontalpodautoscaler_spec_target_metric
kube_horizontalpodautoscaler_status_current_replicas
kube_horizontalpodautoscaler_status_desired_replicas
kube_job_failed
kube_job_owner
kube_job_spec_completions
kube_job_status_active
kube_job_status_failed
kube_job_status_start_time
kube_job_status_succeeded
kube_namespace_status_phase
kube_node_info
kube_node_role
kube_node_spec_taint
kube_node_spec_unschedulable
kube_node_status_allocatable
kube_node_status_capacity
kube_node_status_condition
kube_persistentvolume_status_phase
kube_persistentvolumeclaim_access_mode
kube_persistentvolumeclaim_info
kube_persistentvolumeclaim_labels
kube_persistentvolumeclaim_resource_requests_storage_bytes
kube_persistentvolumeclaim_status_phase
kube_pod_completion_time
kube_pod_container_info
kube_pod_container_resource_limits
kube_pod_container_resource_requests
kube_pod_container_resource_requests_cpu_cores
kube_pod_container_resource_requests_memory_bytes
kube_pod_container_status_last_terminated_reason
kube_pod_container_status_restarts_total
kube_pod_container_status_running
kube_pod_container_status_terminated_reason
kube_pod_container_status_waiting
kube_pod_container_status_waiting_reason
kube_pod_info
kube_pod_init_container_info
kube_pod_owner
kube_pod_spec_volumes_persistentvolumeclaims_info
kube_pod_start_time
kube_pod_status_phase
kube_pod_status_ready
kube_pod_status_reason
kube_poddisruptionbudget_status_current_healthy
kube_poddisruptionbudget_status_desired_healthy
kube_replicaset_owner
kube_resourcequota
kube_state_metrics_list_total
kube_state_metrics_shard_ordinal
kube_state_metrics_total_shards
kube_state_metrics_watch_total
kube_statefulset_metadata_generation
kube_statefulset_replicas
kube_statefulset_status_current_revision
kube_statefulset_status_observed_generation
kube_statefulset_status_replicas
kube_statefulset_status_replicas_available
kube_statefulset_status_replicas_ready
kube_statefulset_status_replicas_updated
kube_statefulset_status_update_revision
";

/// node-exporter: the node-mixin's dashboards (USE method, nodes) and alerts (filesystem,
/// network, clock, RAID, conntrack, file descriptors), the kubernetes-mixin's `node:*` rules and
/// the stack's own node-disk alerts.
pub const NODE_EXPORTER: &str = "
node_arp_entries
node_bonding_active
node_bonding_slaves
node_boot_time_seconds
node_context_switches_total
node_cpu_seconds_total
node_disk_io_time_seconds_total
node_disk_io_time_weighted_seconds_total
node_disk_read_bytes_total
node_disk_read_time_seconds_total
node_disk_reads_completed_total
node_disk_write_time_seconds_total
node_disk_writes_completed_total
node_disk_written_bytes_total
node_exporter_build_info
node_filefd_allocated
node_filefd_maximum
node_filesystem_avail_bytes
node_filesystem_device_error
node_filesystem_files
node_filesystem_files_free
node_filesystem_free_bytes
node_filesystem_readonly
node_filesystem_size_bytes
node_hwmon_temp_celsius
node_hwmon_temp_crit_alarm_celsius
node_hwmon_temp_crit_celsius
node_hwmon_temp_max_celsius
node_intr_total
node_load1
node_load15
node_load5
node_md_disks
node_md_disks_required
node_md_state
node_memory_Buffers_bytes
node_memory_Cached_bytes
node_memory_HardwareCorrupted_bytes
node_memory_MemAvailable_bytes
node_memory_MemFree_bytes
node_memory_MemTotal_bytes
node_memory_Slab_bytes
node_memory_SwapFree_bytes
node_memory_SwapTotal_bytes
node_netstat_TcpExt_TCPSynRetrans
node_netstat_Tcp_OutSegs
node_netstat_Tcp_RetransSegs
node_network_info
node_network_mtu_bytes
node_network_receive_bytes_total
node_network_receive_drop_total
node_network_receive_errs_total
node_network_receive_packets_total
node_network_speed_bytes
node_network_transmit_bytes_total
node_network_transmit_drop_total
node_network_transmit_errs_total
node_network_transmit_packets_total
node_network_up
node_nf_conntrack_entries
node_nf_conntrack_entries_limit
node_os_info
node_systemd_service_restart_total
node_systemd_unit_state
node_textfile_scrape_error
node_time_seconds
node_timex_estimated_error_seconds
node_timex_maxerror_seconds
node_timex_offset_seconds
node_timex_sync_status
node_uname_info
node_vmstat_oom_kill
node_vmstat_pgmajfault
process_max_fds
process_open_fds
";

/// The names kept from `source` (built-in list, the user's additions and [`ALWAYS_KEPT`],
/// sorted, without duplicates), or `None` when the allow-lists are off.
pub fn kept(spec: &AllowListsSpec, source: Source) -> Option<Vec<String>> {
    if !spec.enabled {
        return None;
    }
    let mut names: Vec<String> = names(ALWAYS_KEPT)
        .chain(source.defaults())
        .map(|name| name.to_string())
        .chain(
            source
                .additions(spec)
                .iter()
                .map(|n| n.as_str().to_string()),
        )
        .collect();
    names.sort_unstable();
    names.dedup();
    Some(names)
}

/// The relabel regex that matches exactly `names` (Alloy and Prometheus anchor it; metric names
/// hold no regex metacharacters).
pub fn regex(names: &[String]) -> String {
    names.join("|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_sorted_valid_names_without_duplicates() {
        for source in Source::ALL {
            let list: Vec<&str> = source.defaults().collect();
            let mut sorted = list.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted, list, "{source:?}: keep the table sorted, once each");
            for name in list.iter().copied().chain(names(ALWAYS_KEPT)) {
                assert!(MetricName::parse(name).is_ok(), "{name}");
            }
        }
    }

    #[test]
    fn additions_join_the_list_and_the_switch_turns_it_off() {
        let mut spec = AllowListsSpec {
            kubelet: vec![MetricName::parse("kubelet_extra").expect("valid")],
            ..AllowListsSpec::default()
        };
        let kept = kept(&spec, Source::Kubelet).expect("on by default");
        assert!(kept.contains(&"kubelet_extra".to_string()));
        assert!(kept.contains(&"up".to_string()));
        assert_eq!(
            kept.len(),
            names(KUBELET).count() + names(ALWAYS_KEPT).count() + 1,
            "{kept:?}"
        );
        spec.enabled = false;
        assert_eq!(super::kept(&spec, Source::Kubelet), None);
    }
}
