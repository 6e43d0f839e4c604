//! The `monitoring-stack` command: argument handling and I/O only; the work is in the library.

use monitoring_stack::resource_list::results::{stderr_summary, FnResult};
use monitoring_stack::{output_dir, process, render};
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
                                           write them as a folder tree (one folder per component)
    monitoring-stack CONFIG                kustomize legacy exec plugin call (CONFIG is the
                                           generator's config file; manifests on stdout)
    monitoring-stack --help | --version

FILE may be - for stdin. Exit status: 0 success, 1 invalid input (errors on stderr and, in KRM
mode, as results), 2 usage or I/O error.
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
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        ["--version" | "-V"] => {
            println!("monitoring-stack {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        ["render", rest @ ..] => match parse_render(rest) {
            Ok((file, dir)) => render_command(&file, dir.as_deref()),
            Err(message) => usage_error(&message),
        },
        [config] if !config.starts_with('-') => render_command(config, None),
        _ => usage_error(&format!("unexpected arguments: {}", args.join(" "))),
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("monitoring-stack: {message}\n\n{USAGE}");
    ExitCode::from(2)
}

fn parse_render(args: &[&str]) -> Result<(String, Option<PathBuf>), String> {
    let mut file = None;
    let mut dir = None;
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
            "-" => file = Some("-".to_string()),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            path if file.is_none() => file = Some(path.to_string()),
            extra => return Err(format!("unexpected argument {extra}")),
        }
    }
    file.map(|f| (f, dir))
        .ok_or_else(|| "render needs a FILE (or - for stdin)".into())
}

fn read_input(file: &str) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if file == "-" {
        std::io::stdin().read_to_end(&mut bytes)?;
    } else {
        bytes = std::fs::read(file)?;
    }
    Ok(bytes)
}

fn krm_function() -> ExitCode {
    let mut input = Vec::new();
    if let Err(error) = std::io::stdin().read_to_end(&mut input) {
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

fn render_command(file: &str, dir: Option<&Path>) -> ExitCode {
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
                        r.file = Some(monitoring_stack::resource_list::results::FileRef {
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
    match dir {
        None => {
            print!("{}", output_dir::stream(&objects));
            ExitCode::SUCCESS
        }
        Some(dir) => match output_dir::write_tree(dir, &objects) {
            Ok(files) => {
                eprintln!(
                    "monitoring-stack: wrote {} files to {}",
                    files.len(),
                    dir.display()
                );
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!(
                    "monitoring-stack: cannot write to {}: {error}",
                    dir.display()
                );
                ExitCode::from(2)
            }
        },
    }
}
