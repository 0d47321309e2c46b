//! CSV files read at check time: the observed values of `empirical(...)` and the recorded
//! trigger times of replayed traces. Paths are relative to the file that names them.
//!
//! Invariant: every problem (missing file, unreadable bytes, missing column, a value that is
//! not a number) is a diagnostic pointing at the string that names the file or column.

use super::codes;
use super::lower::Analyzer;
use super::resolve::did_you_mean;
use crate::diagnostic::Diagnostic;
use crate::source::{Origin, Span};
use std::path::PathBuf;

/// A CSV file with a header row.
pub struct Table {
    /// The path as shown in messages.
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Analyzer<'_> {
    /// Reads `path` relative to the file of `module`.
    pub fn read_csv(&mut self, module: usize, path: &str, span: Span) -> Option<Table> {
        let file = self.program.modules[module].file;
        let base = match &self.sources.get(file).origin {
            Origin::Disk { shown, .. } => shown.parent().map(PathBuf::from).unwrap_or_default(),
            Origin::Stdlib(_) => {
                self.diags.push(
                    Diagnostic::error(
                        codes::DATA_FILE,
                        format!("the standard library cannot read `{path}`"),
                    )
                    .primary(span, "no files beside the standard library"),
                );
                return None;
            }
            Origin::Inline => PathBuf::new(),
        };
        let full = base.join(path);
        let name = full.display().to_string().replace('\\', "/");
        let name = name.strip_prefix("./").unwrap_or(&name).to_string();
        let fail = |reason: &str| {
            Diagnostic::error(codes::DATA_FILE, format!("cannot read `{name}`: {reason}"))
                .primary(span, "named here")
                .help("data file paths are relative to the file that names them")
        };
        if full.is_dir() {
            self.diags.push(fail("it is a directory"));
            return None;
        }
        let bytes = match std::fs::read(&full) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.diags.push(fail("no such file"));
                return None;
            }
            Err(e) => {
                self.diags.push(fail(&e.to_string().to_lowercase()));
                return None;
            }
        };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(bytes.as_slice());
        let headers: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(str::to_string).collect(),
            Err(e) => {
                self.diags.push(fail(&format!("not CSV ({e})")));
                return None;
            }
        };
        let mut rows = Vec::new();
        for record in reader.records() {
            match record {
                Ok(r) => {
                    if r.iter().all(|c| c.is_empty()) {
                        continue;
                    }
                    rows.push(r.iter().map(str::to_string).collect());
                }
                Err(e) => {
                    self.diags.push(fail(&format!("not CSV ({e})")));
                    return None;
                }
            }
        }
        Some(Table {
            name,
            headers,
            rows,
        })
    }

    /// The index of `column` in `table`, or a diagnostic listing the columns.
    pub fn find_column(&mut self, table: &Table, column: &str, span: Span) -> Option<usize> {
        if let Some(i) = table.headers.iter().position(|h| h == column) {
            return Some(i);
        }
        let listed = table
            .headers
            .iter()
            .map(|h| format!("`{h}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let help = match did_you_mean(column, table.headers.iter().map(String::as_str)) {
            Some(h) => format!("{h} the columns are {listed}"),
            None => format!("the columns are {listed}"),
        };
        self.diags.push(
            Diagnostic::error(
                codes::DATA_FILE,
                format!("`{}` has no column `{column}`", table.name),
            )
            .primary(span, "no such column")
            .help(help),
        );
        None
    }
}

impl Analyzer<'_> {
    /// `arrivals NAME { trace = "x.csv"  time_column = "..." }`: loads the column and places
    /// each time on the scenario's clock (numbers are seconds from the start; date-times are
    /// placed on the calendar relative to `scenario.start`).
    pub fn replay(
        &mut self,
        module: usize,
        prefix: Option<&str>,
        entries: &super::lower::Entries,
        trace: &crate::syntax::ast::Expr,
        name_span: Span,
    ) -> Option<(crate::ir::ArrivalProcess, Table, Vec<usize>)> {
        use crate::syntax::ast::ExprKind;
        let ExprKind::Str(path) = &trace.kind else {
            let t = self.expr(trace, &super::types::Scope::module(module));
            self.expect(&t, super::types::Expect::Str, trace.span, "trace");
            return None;
        };
        let table = self.read_csv(module, path, trace.span)?;
        let column = self.value(prefix, entries, "time_column");
        let (column, column_span) = match column.as_ref().map(|c| (&c.kind, c.span)) {
            Some((ExprKind::Str(c), span)) => (c.clone(), span),
            Some((_, span)) => {
                let c = column.clone().unwrap_or_else(|| trace.clone());
                let t = self.expr(&c, &super::types::Scope::module(module));
                self.expect(&t, super::types::Expect::Str, span, "time_column");
                return None;
            }
            None => {
                let listed = table
                    .headers
                    .iter()
                    .map(|h| format!("`{h}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.missing(
                    name_span,
                    "a replayed trace",
                    "time_column",
                    format!("name the column of trigger times, one of {listed}"),
                );
                return None;
            }
        };
        let index = self.find_column(&table, &column, column_span)?;
        // Each time with its row, so a `row { }` block reads the row of each time kept.
        let mut times: Vec<(f64, usize)> = Vec::with_capacity(table.rows.len());
        let mut calendar = false;
        for (row, record) in table.rows.iter().enumerate() {
            let cell = record.get(index).map(|c| c.trim()).unwrap_or("");
            if let Ok(seconds) = cell.parse::<f64>() {
                if seconds.is_finite() {
                    times.push((seconds, row));
                    continue;
                }
            }
            match parse_date_time(cell) {
                Some(unix) => {
                    calendar = true;
                    times.push(((unix - self.start_unix) as f64, row));
                }
                None => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::NON_NUMERIC_DATA,
                            format!(
                                "`{}` line {}: `{cell}` in column `{column}` is neither seconds nor a date-time",
                                table.name,
                                row + 2
                            ),
                        )
                        .primary(column_span, "this column")
                        .help("write seconds from the scenario start, or date-times such as `2019-03-04 09:30:00` or RFC 3339"),
                    );
                    return None;
                }
            }
        }
        // Stable: rows with equal times keep the file's order.
        times.sort_by(|a, b| a.0.total_cmp(&b.0));
        let split = |times: Vec<(f64, usize)>, table: Table| {
            let (times, kept): (Vec<f64>, Vec<usize>) = times.into_iter().unzip();
            (crate::ir::ArrivalProcess::Replay { times }, table, kept)
        };
        if calendar && self.start_broken {
            // Already reported: without a start, rows cannot be placed; say nothing more.
            return Some(split(times, table));
        }
        let total = times.len();
        let (first, last) = (times.first().map(|t| t.0), times.last().map(|t| t.0));
        let horizon = self.horizon;
        let before = times.iter().filter(|t| t.0 < 0.0).count();
        times.retain(|&(t, _)| t >= 0.0 && (horizon <= 0.0 || t <= horizon));
        let dropped = total - times.len();
        // Rows before the start suggest a different start; rows only after the horizon, a
        // longer horizon.
        let suggestion = match (calendar, first, last) {
            (true, Some(first), _) if before > 0 || times.is_empty() => {
                chrono::DateTime::from_timestamp(self.start_unix + first.floor() as i64, 0).map(
                    |t| {
                        format!(
                            "; `start = \"{}\"` matches the trace's first row",
                            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                        )
                    },
                )
            }
            (_, _, Some(last)) if before == 0 && last > horizon => Some(format!(
                "; `horizon = {}d` covers every row",
                (last / 86400.0).ceil()
            )),
            _ => None,
        }
        .unwrap_or_default();
        let rows = |n: usize| {
            if n == 1 {
                "1 row".to_string()
            } else {
                format!("{n} rows")
            }
        };
        if times.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    codes::TRACE_EMPTY,
                    format!(
                        "no row of `{}` falls inside the scenario's horizon",
                        table.name
                    ),
                )
                .primary(trace.span, format!("{}, all outside", rows(total)))
                .help(format!(
                    "rows must lie between `scenario.start` and `start + horizon`{suggestion}"
                )),
            );
            return None;
        }
        if dropped > 0 {
            self.diags.push(
                Diagnostic::warning(
                    codes::TRACE_ROWS_DROPPED,
                    format!("{dropped} of {total} rows of `{}` fall outside the scenario's horizon and are ignored", table.name),
                )
                .primary(trace.span, format!("{} ignored", rows(dropped)))
                .help(format!("rows must lie between `scenario.start` and `start + horizon`{suggestion}")),
            );
        }
        Some(split(times, table))
    }
}

/// Seconds since the Unix epoch of `YYYY-MM-DD HH:MM:SS[.fff]` (UTC) or an RFC 3339 date-time.
pub fn parse_date_time(text: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp());
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc().timestamp());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::parse_date_time;

    #[test]
    fn date_times_with_and_without_zone() {
        assert_eq!(parse_date_time("2019-01-07T00:00:00Z"), Some(1546819200));
        assert_eq!(parse_date_time("2019-01-07 00:00:00"), Some(1546819200));
        assert_eq!(parse_date_time("2019-01-07 01:00:00.5"), Some(1546822800));
        assert_eq!(
            parse_date_time("2019-01-07T02:00:00+01:00"),
            Some(1546822800)
        );
        assert_eq!(parse_date_time("yesterday"), None);
    }
}
