//! The `monitoring-stack` command: argument handling and I/O only; the work is in the library.

use monitoring_stack::krm::results::{stderr_summary, FnResult};
use monitoring_stack::{output_dir, process, render};
use serde::Deserialize as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
monitoring-stack: expand a MonitoringStack (monitoring-stack.dev/v1alpha1) into the manifests of a
Flux-deployed Grafana, Loki, Mimir and Alloy monitoring stack.

USAGE:
    monitoring-stack                       KRM function: ResourceList on stdin, ResourceList on stdout
                                           (kpt fn render/eval, kustomize generators)
    monitoring-stack render FILE           print the manifests FILE's MonitoringStack expands to
    monitoring-stack render FILE --output-dir DIR
                                           write them as a folder tree (one folder per component);
                                           stale files it generated before are removed, others kept;
                                           a file it did not generate (or a symbolic link) where it
                                           writes is refused: nothing is written (exit 2)
    monitoring-stack render FILE --output-dir DIR --check
                                           change nothing; exit 1 with a unified diff when DIR
                                           differs from what FILE renders (a CI drift check)
    monitoring-stack render FILE --report  print, per source, what the collectors will scrape or read,
                                           at what interval, and which metric names pass the
                                           allow-lists (a cost estimate before deploying)
    monitoring-stack CONFIG                kustomize legacy exec plugin call (CONFIG is the
                                           generator's config file; manifests on stdout)
    monitoring-stack prerequisites FILE    print what the cluster must already have for FILE's stack
                                           (APIs, StorageClass, COSI classes, Secrets, ...) as a
                                           Markdown table
    monitoring-stack fleet FLEET [--output-dir DIR [--check]]
                                           check that the stacks of a fleet file (kind: Fleet: a
                                           central stack, its edges, the Secrets each cluster has)
                                           fit together: hosts, tenants, cluster labels, Secrets;
                                           with --output-dir, write each cluster's tree to
                                           DIR/<stack name>/ (or --check it)
    monitoring-stack schema [--crd | --reference]
                                           print the spec's JSON Schema, its CRD, or the Markdown
                                           field reference (all generated from the types)
    monitoring-stack --help | --version

FILE may be - for stdin. Exit status: 0 success, 1 invalid input (errors on stderr and, in KRM
mode, as results) or drift found by --check, 2 usage or I/O error.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => krm_function(),
        ["--help" | "-h" | "help"] => {
            emit(USAGE);
            ExitCode::SUCCESS
        }
        ["--version" | "-V"] => {
            emit(&format!("monitoring-stack {}\n", env!("CARGO_PKG_VERSION")));
            ExitCode::SUCCESS
        }
        ["schema"] => {
            emit(&to_pretty_json(
                &monitoring_stack::spec::schema::json_schema(),
            ));
            ExitCode::SUCCESS
        }
        ["schema", "--crd"] => {
            emit(&monitoring_stack::yaml::to_string(&to_yaml(
                &monitoring_stack::spec::schema::crd(),
            )));
            ExitCode::SUCCESS
        }
        ["schema", "--reference"] => {
            emit(&monitoring_stack::spec::schema::reference_markdown());
            ExitCode::SUCCESS
        }
        ["prerequisites", file] => prerequisites_command(file),
        ["fleet", file] => fleet_command(file, None, false),
        ["fleet", file, "--output-dir" | "-o", dir] => {
            fleet_command(file, Some(Path::new(dir)), false)
        }
        ["fleet", file, "--output-dir" | "-o", dir, "--check"] => {
            fleet_command(file, Some(Path::new(dir)), true)
        }
        ["render", rest @ ..] => match parse_render(rest) {
            Ok(options) => render_command(&options),
            Err(message) => usage_error(&message),
        },
        [config] if !config.starts_with('-') => render_command(&RenderOptions {
            file: config.to_string(),
            dir: None,
            check: false,
            report: false,
        }),
        _ => usage_error(&format!("unexpected arguments: {}", args.join(" "))),
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth a panic.
fn emit(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

fn to_pretty_json(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

fn to_yaml(value: &serde_json::Value) -> serde_yaml_ng::Value {
    serde_yaml_ng::to_value(value).unwrap_or(serde_yaml_ng::Value::Null)
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("monitoring-stack: {message}\n\n{USAGE}");
    ExitCode::from(2)
}

struct RenderOptions {
    file: String,
    dir: Option<PathBuf>,
    check: bool,
    report: bool,
}

fn parse_render(args: &[&str]) -> Result<RenderOptions, String> {
    let mut file = None;
    let mut dir = None;
    let mut check = false;
    let mut report = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match *arg {
            "--output-dir" | "-o" => match rest.next() {
                Some(d) => dir = Some(PathBuf::from(d)),
                None => return Err("--output-dir needs a directory".into()),
            },
            flag if flag.starts_with("--output-dir=") => {
                dir = Some(PathBuf::from(&flag["--output-dir=".len()..]));
            }
            "--check" => check = true,
            "--report" => report = true,
            "-" => file = Some("-".to_string()),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            path if file.is_none() => file = Some(path.to_string()),
            extra => return Err(format!("unexpected argument {extra}")),
        }
    }
    let file = file.ok_or("render needs a FILE (or - for stdin)")?;
    if check && dir.is_none() {
        return Err("--check compares against a directory: add --output-dir DIR".into());
    }
    if report && dir.is_some() {
        return Err("--report prints a summary instead of the manifests: drop --output-dir".into());
    }
    Ok(RenderOptions {
        file,
        dir,
        check,
        report,
    })
}

/// Input is read up to one byte past the limit: enough for the library to report the limit,
/// without holding an unbounded input in memory.
fn read_limit() -> u64 {
    monitoring_stack::yaml::limits::max_input_bytes() as u64 + 1
}

fn read_input(file: &str) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if file == "-" {
        std::io::stdin()
            .take(read_limit())
            .read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(file)?
            .take(read_limit())
            .read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}

fn krm_function() -> ExitCode {
    let mut input = Vec::new();
    if let Err(error) = std::io::stdin().take(read_limit()).read_to_end(&mut input) {
        eprintln!("monitoring-stack: cannot read stdin: {error}");
        return ExitCode::from(2);
    }
    let output = process(&input);
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(output.yaml.as_bytes())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::from(2);
    }
    eprint!("{}", output.stderr);
    if output.failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn prerequisites_command(file: &str) -> ExitCode {
    let input = match read_input(file) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("monitoring-stack: cannot read {file}: {error}");
            return ExitCode::from(2);
        }
    };
    match monitoring_stack::prerequisites(&input) {
        Ok(table) => {
            emit(&monitoring_stack::stack::prerequisites::markdown(&table));
            ExitCode::SUCCESS
        }
        Err(results) => {
            eprint!("{}", stderr_summary(&results));
            ExitCode::from(1)
        }
    }
}

/// `fleet`: load, render and check every cluster of a fleet file; write or check the trees.
fn fleet_command(file: &str, dir: Option<&Path>, check: bool) -> ExitCode {
    let rendered = match monitoring_stack::fleet::load(Path::new(file)) {
        Ok(rendered) => rendered,
        Err(problems) => {
            for problem in &problems {
                eprintln!(
                    "monitoring-stack: {}",
                    monitoring_stack::krm::results::one_line(problem.clone())
                );
            }
            eprintln!(
                "monitoring-stack: the fleet does not fit: {} problem(s)",
                problems.len()
            );
            return ExitCode::from(1);
        }
    };
    let Some(dir) = dir else {
        let names: Vec<&str> = rendered.iter().map(|r| r.folder.as_str()).collect();
        eprintln!(
            "monitoring-stack: {file}: {} cluster(s) fit together ({})",
            rendered.len(),
            names.join(", ")
        );
        return ExitCode::SUCCESS;
    };
    let mut drift = false;
    for cluster in &rendered {
        let tree = dir.join(&cluster.folder);
        if check {
            match output_dir::plan(&tree, &cluster.objects) {
                Ok(plan) if plan.is_clean() => {}
                Ok(plan) => {
                    emit(&plan.diff());
                    drift = true;
                }
                Err(error) => return io_error(&tree, &error),
            }
        } else if let Err(error) = output_dir::write_tree(&tree, &cluster.objects) {
            return io_error(&tree, &error);
        }
    }
    if drift {
        eprintln!(
            "monitoring-stack: {} differs from the render of {file}: run `monitoring-stack fleet {file} --output-dir {}`",
            dir.display(),
            dir.display()
        );
        return ExitCode::from(1);
    }
    eprintln!(
        "monitoring-stack: {}: {} cluster tree(s) {}",
        dir.display(),
        rendered.len(),
        if check { "up to date" } else { "written" }
    );
    ExitCode::SUCCESS
}

/// The collection report of every MonitoringStack in `input` (already validated by `render`).
fn report_command(input: &[u8]) -> ExitCode {
    let text = String::from_utf8_lossy(input);
    let mut out = String::new();
    for document in serde_yaml_ng::Deserializer::from_str(&text) {
        let Ok(value) = serde_yaml_ng::Value::deserialize(document) else {
            continue;
        };
        let is_stack = value.get("apiVersion").and_then(|v| v.as_str())
            == Some(monitoring_stack::spec::API_VERSION)
            && value.get("kind").and_then(|v| v.as_str()) == Some("MonitoringStack");
        if !is_stack {
            continue;
        }
        match monitoring_stack::spec::parse_stack(&value) {
            Ok(stack) => {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(&monitoring_stack::stack::report::markdown(&stack));
            }
            Err(errors) => {
                for error in errors {
                    eprintln!("monitoring-stack: {}: {}", error.path, error.message);
                }
                return ExitCode::from(1);
            }
        }
    }
    emit(&out);
    ExitCode::SUCCESS
}

fn render_command(options: &RenderOptions) -> ExitCode {
    let file = options.file.as_str();
    let input = match read_input(file) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("monitoring-stack: cannot read {file}: {error}");
            return ExitCode::from(2);
        }
    };
    let objects = match render(&input) {
        Ok(objects) => objects,
        Err(results) => {
            let results: Vec<FnResult> = results
                .into_iter()
                .map(|mut r| {
                    if r.file.is_none() && file != "-" {
                        r.file = Some(monitoring_stack::krm::results::FileRef {
                            path: file.to_string(),
                            index: None,
                        });
                    }
                    r
                })
                .collect();
            eprint!("{}", stderr_summary(&results));
            return ExitCode::from(1);
        }
    };
    if options.report {
        return report_command(&input);
    }
    match (&options.dir, options.check) {
        (None, _) => {
            emit(&output_dir::stream(&objects));
            ExitCode::SUCCESS
        }
        (Some(dir), true) => match output_dir::plan(dir, &objects) {
            Ok(plan) if plan.is_clean() => {
                eprintln!("monitoring-stack: {} is up to date", dir.display());
                ExitCode::SUCCESS
            }
            Ok(plan) => {
                emit(&plan.diff());
                if !plan.refused.is_empty() {
                    eprint!(
                        "monitoring-stack: a render would refuse to write:\n{}",
                        plan.refusals(dir)
                    );
                }
                let action = if plan.refused.is_empty() {
                    "run"
                } else {
                    "move the refused paths away, then run"
                };
                eprintln!(
                    "monitoring-stack: {} differs from the render of {file}: {} file(s) to write, {} to remove, {} refused; {action} `monitoring-stack render {file} --output-dir {}`",
                    dir.display(),
                    plan.writes.len(),
                    plan.removes.len(),
                    plan.refused.len(),
                    dir.display()
                );
                ExitCode::from(1)
            }
            Err(error) => io_error(dir, &error),
        },
        (Some(dir), false) => match output_dir::write_tree(dir, &objects) {
            Ok(plan) => {
                eprintln!(
                    "monitoring-stack: {}: {} written, {} removed, {} unchanged",
                    dir.display(),
                    plan.writes.len(),
                    plan.removes.len(),
                    plan.unchanged
                );
                ExitCode::SUCCESS
            }
            Err(error) => io_error(dir, &error),
        },
    }
}

/// Exit 2: the directory cannot be brought up to date (an I/O error, or paths it refuses to
/// touch: files it did not generate, links).
fn io_error(dir: &Path, error: &std::io::Error) -> ExitCode {
    if output_dir::is_refusal(error) {
        eprintln!(
            "monitoring-stack: refusing to write to {}: {error}",
            dir.display()
        );
    } else {
        eprintln!(
            "monitoring-stack: cannot write to {}: {error}",
            dir.display()
        );
    }
    ExitCode::from(2)
}
