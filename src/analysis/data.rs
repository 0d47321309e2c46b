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
use std::sync::{Arc, Mutex};

/// A CSV file with a header row.
///
/// The cells are kept in one string, trimmed, rather than as a `String` per cell: a trace of
/// 82,000 rows is then three allocations instead of half a million, and reading a column
/// in another order than the file's (a replay reads rows in time order) does not chase a
/// pointer per row.
pub struct Table {
    /// The path as shown in messages.
    pub name: String,
    pub headers: Vec<String>,
    /// Every cell's text, one after the other.
    text: String,
    /// Where each cell ends in `text`; a cell starts where the one before it ends.
    cell_ends: Vec<u32>,
    /// Where each row's cells start in `cell_ends`, and one more entry, the end of the last.
    row_starts: Vec<u32>,
}

impl Table {
    pub fn row_count(&self) -> usize {
        self.row_starts.len() - 1
    }

    /// The (trimmed) text of `row`'s `column`, or `None` where the row is shorter.
    pub fn cell(&self, row: usize, column: usize) -> Option<&str> {
        let (first, end) = (
            self.row_starts[row] as usize,
            self.row_starts[row + 1] as usize,
        );
        let index = first + column;
        if index >= end {
            return None;
        }
        let start = match index {
            0 => 0,
            _ => self.cell_ends[index - 1] as usize,
        };
        Some(&self.text[start..self.cell_ends[index] as usize])
    }
}

/// Tables already parsed, with the bytes they were parsed from.
///
/// Why: one `check` analyses a scenario once and then once per sweep value, `run` once more
/// per sweep point, and the language server at every edit; a replayed trace of 82,000 rows
/// took 70 ms to parse each time. A file is still read every time, and its table is reused
/// only if its bytes are the same, so an edited file is never served stale.
static PARSED: Mutex<Vec<ParsedFile>> = Mutex::new(Vec::new());

/// A file's full path, the bytes it held, and the table parsed from them.
type ParsedFile = (PathBuf, Vec<u8>, Arc<Table>);

/// How many files [`PARSED`] keeps (the most recently parsed).
const PARSED_FILES: usize = 8;

fn cached_table(full: &PathBuf, bytes: &[u8]) -> Option<Arc<Table>> {
    let parsed = PARSED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    parsed
        .iter()
        .find(|(path, kept, _)| path == full && kept.as_slice() == bytes)
        .map(|(_, _, table)| Arc::clone(table))
}

fn keep_table(full: PathBuf, bytes: Vec<u8>, table: &Arc<Table>) {
    let mut parsed = PARSED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    parsed.retain(|(path, _, _)| *path != full);
    if parsed.len() >= PARSED_FILES {
        parsed.remove(0);
    }
    parsed.push((full, bytes, Arc::clone(table)));
}

impl Analyzer<'_> {
    /// Reads `path` relative to the file of `module`.
    pub fn read_csv(&mut self, module: usize, path: &str, span: Span) -> Option<Arc<Table>> {
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
                let d = match crate::workspace::nearest_file(&base, path) {
                    Some(nearest) => fail("no such file")
                        .help(format!(
                            "did you mean `{nearest}`? Data file paths are relative to the file that names them"
                        ))
                        .replacement(nearest),
                    None => fail("no such file"),
                };
                self.diags.push(d);
                return None;
            }
            Err(e) => {
                self.diags.push(fail(&e.to_string().to_lowercase()));
                return None;
            }
        };
        // (`name` is made from `full`, so a cached table has the right one.)
        if let Some(table) = cached_table(&full, &bytes) {
            return Some(table);
        }
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
        let (mut text, mut cell_ends, mut row_starts) = (String::new(), Vec::new(), vec![0u32]);
        let mut record = csv::StringRecord::new();
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    if record.iter().all(|c| c.is_empty()) {
                        continue;
                    }
                    for cell in &record {
                        text.push_str(cell);
                        cell_ends.push(text.len() as u32);
                    }
                    row_starts.push(cell_ends.len() as u32);
                    if text.len() > u32::MAX as usize || cell_ends.len() > u32::MAX as usize {
                        self.diags
                            .push(fail("it holds more than 4 GiB or 4 billion cells of data"));
                        return None;
                    }
                }
                Err(e) => {
                    self.diags.push(fail(&format!("not CSV ({e})")));
                    return None;
                }
            }
        }
        let table = Arc::new(Table {
            name,
            headers,
            text,
            cell_ends,
            row_starts,
        });
        keep_table(full, bytes, &table);
        Some(table)
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
        let headers: Vec<&str> = table.headers.iter().map(String::as_str).collect();
        let help = match (
            other_separator(&headers),
            did_you_mean(column, headers.iter().copied()),
        ) {
            (Some(separator), _) => separator_help(headers[0], separator),
            (None, Some(h)) => format!("{h} the columns are {listed}"),
            (None, None) => format!("the columns are {listed}"),
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
    ) -> Option<(crate::ir::ArrivalProcess, Arc<Table>, Vec<usize>)> {
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
            // `time_colum = ..`: reported as an unknown attribute.
            None if entries.misspelt.iter().any(|m| m == "time_column") => return None,
            None => {
                let listed = table
                    .headers
                    .iter()
                    .map(|h| format!("`{h}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                // The one column whose cells are date-times is most likely the times.
                let dated: Vec<usize> = (0..table.headers.len())
                    .filter(|&c| {
                        let cells = (0..table.row_count().min(20))
                            .filter_map(|row| table.cell(row, c))
                            .collect::<Vec<_>>();
                        !cells.is_empty()
                            && cells.iter().all(|cell| parse_date_time(cell).is_some())
                    })
                    .collect();
                let help = match dated.as_slice() {
                    [only] => format!(
                        "name the column of trigger times: `{}` holds date-times (the columns are {listed})",
                        table.headers[*only]
                    ),
                    _ => format!("name the column of trigger times, one of {listed}"),
                };
                let before = self.diags.0.len();
                self.missing(name_span, "a replayed trace", "time_column", help);
                // The one column of date-times, written after `trace`.
                if let ([only], Some(trace_attr), true) = (
                    dated.as_slice(),
                    entries.get("trace"),
                    self.diags.0.len() > before,
                ) {
                    let column = &table.headers[*only];
                    let written = format!("time_column = \"{column}\"");
                    let edit = self.attribute_after(trace_attr, &written);
                    if let Some(d) = self.diags.0.last_mut() {
                        d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
                            title: format!("Add `{written}`"),
                            edits: vec![edit],
                        }];
                    }
                }
                return None;
            }
        };
        let index = self.find_column(&table, &column, column_span)?;
        // Each time with its row, so a `row { }` block reads the row of each time kept.
        let mut times: Vec<(f64, usize)> = Vec::with_capacity(table.row_count());
        let mut calendar = false;
        for row in 0..table.row_count() {
            let cell = table.cell(row, index).unwrap_or("");
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
        let split = |times: Vec<(f64, usize)>, table: Arc<Table>| {
            let (times, kept): (Vec<f64>, Vec<usize>) = times.into_iter().unzip();
            (crate::ir::ArrivalProcess::Replay { times }, table, kept)
        };
        let scenario_lost = self.program.modules[0].ast.scenario_lost;
        if (calendar && self.start_broken) || scenario_lost {
            // Already reported: without a start (or horizon), rows cannot be placed; say
            // nothing more.
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
        if times.is_empty() && self.scenario_start_misspelt() {
            // `star = ..` in the scenario: the rows are judged against the default start.
            return None;
        }
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

/// The separator a file whose header row is one column seems to use instead of commas
/// (`submit;duration` from a spreadsheet in a locale that writes decimal commas), for a
/// help that says so rather than offering the whole row as a column name.
pub fn other_separator(headers: &[&str]) -> Option<char> {
    let [header] = headers else {
        return None;
    };
    [';', '\t', '|'].into_iter().find(|&c| header.contains(c))
}

/// What to say about a file whose header row `header` separates its columns by `separator`.
pub fn separator_help(header: &str, separator: char) -> String {
    let shown = if separator == '\t' {
        "tabs".to_string()
    } else {
        format!("`{separator}`")
    };
    format!(
        "the header row `{}` seems to separate its columns with {shown}: pipesim reads \
         comma-separated values (with decimal points), so save the file as CSV with commas",
        header.escape_default()
    )
}

/// Seconds since the Unix epoch of `YYYY-MM-DD HH:MM:SS[.fff]` (UTC) or an RFC 3339 date-time.
pub fn parse_date_time(text: &str) -> Option<i64> {
    if let Some(seconds) = parse_plain_date_time(text) {
        return Some(seconds);
    }
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

/// The usual form of a trace's times, `YYYY-MM-DD HH:MM:SS` (or with `T`), read without
/// `chrono`'s general format parser, which took most of the time of checking a scenario that
/// replays a large trace. `None` for anything else, including out-of-range fields, which
/// [`parse_date_time`] then leaves to `chrono`; where this answers, it answers as `chrono`
/// does (a test compares them).
fn parse_plain_date_time(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b' ' | b'T')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        b[range].iter().try_fold(0i64, |value, &d| {
            d.is_ascii_digit().then(|| value * 10 + i64::from(d - b'0'))
        })
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day < 1 || day > month_days || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // Days from 1970-01-01 to the date (Howard Hinnant's `days_from_civil`).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

#[cfg(test)]
mod tests {
    use super::{parse_date_time, parse_plain_date_time};

    #[test]
    fn plain_date_times_read_as_chrono_reads_them() {
        use rand::{Rng, SeedableRng};
        let chrono = |text: &str| {
            ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
                .iter()
                .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
                .map(|t| t.and_utc().timestamp())
        };
        let mut rng = crate::sim::rng::Stream::seed_from_u64(5);
        let mut answered = 0;
        for _ in 0..100_000 {
            // Fields a little beyond their ranges, so invalid dates are tried too.
            let text = format!(
                "{:04}-{:02}-{:02}{}{:02}:{:02}:{:02}",
                rng.random_range(0..10_000),
                rng.random_range(0..14),
                rng.random_range(0..33),
                if rng.random() { ' ' } else { 'T' },
                rng.random_range(0..25),
                rng.random_range(0..61),
                rng.random_range(0..61),
            );
            let ours = parse_plain_date_time(&text);
            if ours.is_some() {
                answered += 1;
                assert_eq!(ours, chrono(&text), "{text}");
            }
            assert_eq!(parse_date_time(&text), chrono(&text), "{text}");
        }
        assert!(answered > 50_000, "the fast path answered {answered}");
        for text in [
            "2016-02-29 12:00:00",
            "1900-02-28 00:00:00",
            "2000-02-29T23:59:59",
        ] {
            assert_eq!(parse_plain_date_time(text), chrono(text), "{text}");
        }
        for text in [
            "2019-02-29 00:00:00",
            "1900-02-29 00:00:00",
            "2019-1-07 00:00:00",
        ] {
            assert_eq!(parse_plain_date_time(text), None, "{text}");
        }
    }

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
