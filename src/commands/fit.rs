//! `pipesim fit TRACE.csv`: fits the workload model of [`crate::fit`] to a recorded trace and
//! writes it as a `.pipesim` module (to stdout, or atomically to `--output`).

use crate::cli::{Exit, FitArgs};
use crate::fit::{self, FitOptions};

pub fn main(args: &FitArgs) -> Exit {
    let trace = match fit::read_trace(&args.trace, &args.time_column, &args.duration_columns) {
        Ok(trace) => trace,
        Err(e) => return super::fail(e),
    };
    let import_path = args
        .output
        .as_ref()
        .and_then(|p| p.file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "fitted.pipesim".to_string());
    let options = FitOptions {
        profile: !args.no_profile,
        import_path,
        ..FitOptions::default()
    };
    let fitted = match fit::fit_trace(&trace, &options) {
        Ok(fitted) => fitted,
        Err(e) => return super::fail(format!("cannot fit `{}`: {e}", args.trace.display())),
    };
    let trace_name = args
        .trace
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| args.trace.display().to_string());
    let module = fit::render_module(&trace_name, &trace, &fitted, &options);
    match &args.output {
        None => super::print_out(&module),
        Some(path) => {
            if let Err(e) = crate::output::write_atomically(path, module.as_bytes()) {
                return super::fail(format!("cannot write `{}`: {e}", path.display()));
            }
            crate::to_stderr!("wrote {}", path.display());
        }
    }
    Exit::Success
}
