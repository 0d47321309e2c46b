//! `pipesim export` and `output::influx::send_run` against real servers the tests start
//! themselves: Debian's InfluxDB 1.x (`influxd`, v1 write API, read back with InfluxQL) and
//! VictoriaMetrics (the v2 write API, read back with its export API).
//! Each server listens on a free loopback port, keeps its data in a temporary directory and
//! is killed when its guard is dropped. A missing server binary fails the test with the
//! name of the script that installs it.

use pipesim::cli::InfluxArgs;
use pipesim::output::influx::{self, Destination, SendOptions};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const INSTALL_SCRIPT: &str = "scripts/install-test-deps.sh";

/// The calendar start the test runs declare: 2019-03-04T00:00:00Z.
const START: &str = "2019-03-04T00:00:00Z";
const START_NS: i64 = 1_551_657_600_000_000_000;

fn require_binary(path: &str) -> PathBuf {
    let binary = PathBuf::from(path);
    assert!(
        binary.exists(),
        "`{path}` is missing: run `{INSTALL_SCRIPT}` (it installs the servers these tests start)"
    );
    binary
}

/// A loopback port no other test of this process has been given, below the kernel's ephemeral
/// range. A port from binding `127.0.0.1:0` is ephemeral: between the probe closing it and the
/// server binding it, any outgoing connection (the tests' own HTTP requests among them) may take
/// it as its local port, and the server then fails with "address already in use". CI saw that.
fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    // 20000..32768 lies below Linux's default ephemeral range (32768..61000). The start depends
    // on the process so that two test processes at once are unlikely to probe the same ports.
    const FIRST: u32 = 20_000;
    const COUNT: u32 = 12_768;
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let _ = NEXT.compare_exchange(
        u32::MAX,
        std::process::id().wrapping_mul(97) % COUNT,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    for _ in 0..COUNT {
        let port = (FIRST + NEXT.fetch_add(1, Ordering::SeqCst) % COUNT) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port in {FIRST}..{}", FIRST + COUNT);
}

/// A blocking HTTP request for the tests' own queries.
fn http(method: &str, url: &str, body: Option<String>) -> Result<(u16, String), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        let mut request = match method {
            "GET" => client.get(url),
            _ => client.post(url),
        };
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| e.to_string())?;
        Ok((status, text))
    })
}

fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            write!(out, "%{byte:02X}").unwrap();
        }
    }
    out
}

/// A server process, killed on drop.
struct Server {
    child: Option<Child>,
    port: u16,
    log: PathBuf,
}

impl Server {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn wait_ready(&mut self, path: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = format!("{}{path}", self.url());
        loop {
            if let Ok((status, _)) = http("GET", &url, None) {
                if status < 300 {
                    return;
                }
            }
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!(
                        "the server exited ({status}) before answering; its log:\n{}",
                        std::fs::read_to_string(&self.log).unwrap_or_default()
                    );
                }
            }
            assert!(
                Instant::now() < deadline,
                "the server did not answer `{url}` within 30 s; its log:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// InfluxDB 1.x with every directory inside `data_dir`.
fn start_influxdb(data_dir: &Path, port: u16) -> Server {
    start_influxdb_with(data_dir, port, false)
}

/// InfluxDB 1.x, requiring user names and passwords when `auth`.
fn start_influxdb_with(data_dir: &Path, port: u16, auth: bool) -> Server {
    let binary = require_binary("/usr/bin/influxd");
    let config = data_dir.join("influxdb.conf");
    let root = data_dir.display();
    let rpc_port = free_port();
    std::fs::write(
        &config,
        format!(
            "reporting-enabled = false\n\
             bind-address = \"127.0.0.1:{rpc_port}\"\n\
             [meta]\n  dir = \"{root}/meta\"\n\
             [data]\n  dir = \"{root}/data\"\n  wal-dir = \"{root}/wal\"\n  query-log-enabled = false\n\
             [monitor]\n  store-enabled = false\n\
             [continuous_queries]\n  enabled = false\n\
             [http]\n  bind-address = \"127.0.0.1:{port}\"\n  log-enabled = false\n  auth-enabled = {auth}\n"
        ),
    )
    .unwrap();
    let log = data_dir.join("influxd.log");
    let log_file = std::fs::File::create(&log).unwrap();
    let child = Command::new(binary)
        .arg("run")
        .arg("-config")
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .spawn()
        .expect("cannot start influxd");
    let mut server = Server {
        child: Some(child),
        port,
        log,
    };
    server.wait_ready("/ping");
    server
}

fn influxql(server: &Server, database: &str, query: &str) -> Value {
    let url = format!(
        "{}/query?db={}&epoch=ns&q={}",
        server.url(),
        url_encode(database),
        url_encode(query)
    );
    let (status, text) = http("POST", &url, None).unwrap();
    assert_eq!(status, 200, "{query}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// VictoriaMetrics, keeping everything (the test data is from 2019).
fn start_victoria_metrics(data_dir: &Path) -> Server {
    let binary = require_binary("/usr/bin/victoria-metrics");
    let port = free_port();
    let log = data_dir.join("victoria-metrics.log");
    let log_file = std::fs::File::create(&log).unwrap();
    let child = Command::new(binary)
        .arg(format!(
            "-storageDataPath={}",
            data_dir.join("vm").display()
        ))
        .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
        .arg("-retentionPeriod=100y")
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .spawn()
        .expect("cannot start victoria-metrics");
    let mut server = Server {
        child: Some(child),
        port,
        log,
    };
    server.wait_ready("/health");
    server
}

// ---------------------------------------------------------------------------------------------
// A small run directory in the contract format, written by the test as real files.

/// One trace row: column values as written, plus what the test expects back.
pub(crate) struct Row {
    pub(crate) values: Vec<String>,
    /// Exact nanoseconds from the scenario start of the row's timestamp.
    offset_ns: i64,
}

pub(crate) struct Trace {
    pub(crate) file: &'static str,
    pub(crate) measurement: &'static str,
    pub(crate) header: &'static [&'static str],
    tags: &'static [&'static str],
    integers: &'static [&'static str],
    strings: &'static [&'static str],
    pub(crate) rows: Vec<Row>,
}

/// Seconds with nanosecond digits, exactly as a CSV writer would print them.
fn seconds(ns: i64) -> String {
    let text = format!("{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}

/// A float as the CSV writer prints it (Rust's shortest round-trip form).
fn float(value: f64) -> String {
    format!("{value}")
}

/// A tiny deterministic generator (SplitMix64), so the run is varied but reproducible.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
}

/// Builds the traces of a run with `points` sweep points, `replications` replications and
/// `pipelines` pipelines each, with rows that share series and timestamps on purpose.
pub(crate) fn make_traces(points: u32, replications: u32, pipelines: u32) -> Vec<Trace> {
    let mut rng = Lcg(42);
    let templates = ["classic", "edge"];
    let mut arrivals = Vec::new();
    let mut pipeline_rows = Vec::new();
    let mut steps = Vec::new();
    let mut resources = Vec::new();
    let mut links = Vec::new();
    let mut models = Vec::new();
    for point in 0..points {
        for replication in 0..replications {
            let mut time_ns: i64 = 0;
            let mut cpu_events = Vec::new();
            let mut pipeline_ends = Vec::new();
            for id in 0..pipelines {
                // Every fifth pipeline arrives together with the one before it.
                if id % 5 != 4 {
                    time_ns += 1 + rng.below(90_000_000_000) as i64 + 123_456_789;
                }
                let template = if id % 5 == 4 {
                    templates[((id - 1) % 2) as usize]
                } else {
                    templates[(id % 2) as usize]
                };
                let pr = [point.to_string(), replication.to_string()];
                arrivals.push(Row {
                    values: vec![
                        pr[0].clone(),
                        pr[1].clone(),
                        seconds(time_ns),
                        "0".into(),
                        id.to_string(),
                        template.into(),
                    ],
                    offset_ns: time_ns,
                });
                let wait_ns = rng.below(5_000_000_000) as i64;
                let service_ns = 1 + rng.below(600_000_000_000) as i64;
                let start = time_ns + wait_ns;
                let end = start + service_ns;
                let bytes = (rng.below(1 << 40) as f64) * 1.5;
                // The step on cpu, then a pure transfer (no resource).
                steps.push(Row {
                    values: vec![
                        pr[0].clone(),
                        pr[1].clone(),
                        id.to_string(),
                        template.into(),
                        "preprocess".into(),
                        "preprocess".into(),
                        "cpu".into(),
                        (1 + id % 3).to_string(),
                        seconds(time_ns),
                        seconds(start),
                        seconds(end),
                        seconds(wait_ns),
                        seconds(service_ns),
                        float(bytes),
                    ],
                    offset_ns: end,
                });
                steps.push(Row {
                    values: vec![
                        pr[0].clone(),
                        pr[1].clone(),
                        id.to_string(),
                        template.into(),
                        "upload".into(),
                        "task".into(),
                        "".into(),
                        "0".into(),
                        seconds(end),
                        seconds(end),
                        seconds(end + 1_000_000),
                        "0".into(),
                        "0.001".into(),
                        float(bytes / 3.0),
                    ],
                    offset_ns: end + 1_000_000,
                });
                links.push(Row {
                    values: vec![
                        pr[0].clone(),
                        pr[1].clone(),
                        "storage".into(),
                        id.to_string(),
                        template.into(),
                        "preprocess".into(),
                        "read".into(),
                        seconds(time_ns),
                        seconds(time_ns + wait_ns / 2),
                        float(bytes),
                    ],
                    offset_ns: time_ns + wait_ns / 2,
                });
                // The cpu slot is taken at `start` and given back at `end`.
                cpu_events.push((start, 1i64, id));
                cpu_events.push((end, -1i64, id));
                let outcome = match id % 7 {
                    3 => "rejected",
                    6 => "unfinished",
                    _ => "completed",
                };
                if outcome == "unfinished" {
                    // Unfinished: no start, end or makespan ("NaN" or empty, both seen in CSVs).
                    let missing = if id % 2 == 0 { "NaN" } else { "" };
                    pipeline_ends.push(Row {
                        values: vec![
                            pr[0].clone(),
                            pr[1].clone(),
                            id.to_string(),
                            template.into(),
                            seconds(time_ns),
                            missing.into(),
                            missing.into(),
                            seconds(wait_ns),
                            missing.into(),
                            outcome.into(),
                        ],
                        offset_ns: time_ns,
                    });
                } else {
                    pipeline_rows.push(Row {
                        values: vec![
                            pr[0].clone(),
                            pr[1].clone(),
                            id.to_string(),
                            template.into(),
                            seconds(time_ns),
                            seconds(start),
                            seconds(end),
                            seconds(wait_ns),
                            seconds(end - time_ns),
                            outcome.into(),
                        ],
                        offset_ns: end,
                    });
                }
                if outcome == "completed" {
                    models.push(Row {
                        values: vec![
                            pr[0].clone(),
                            pr[1].clone(),
                            seconds(end),
                            id.to_string(),
                            template.into(),
                            "1".into(),
                            "deployed".into(),
                            float(0.8 + rng.below(1000) as f64 / 10_000.0),
                            id.to_string(),
                        ],
                        offset_ns: end,
                    });
                }
            }
            // The engine emits unfinished pipelines when the run stops, after the others.
            pipeline_rows.extend(pipeline_ends);
            // The pool's state after each change, in time order; a grab is written as two rows
            // at the same instant (the queue shrinks, then the slot is taken), as the engine
            // does when one event changes both: one series, one time, two points to keep.
            cpu_events.sort();
            let mut busy = 0i64;
            for (time, delta, id) in cpu_events {
                let row = |busy: i64, queue: u32| Row {
                    values: vec![
                        point.to_string(),
                        replication.to_string(),
                        seconds(time),
                        "cpu".into(),
                        busy.to_string(),
                        "64".into(),
                        queue.to_string(),
                    ],
                    offset_ns: time,
                };
                if delta > 0 {
                    resources.push(row(busy, id % 3));
                }
                busy += delta;
                resources.push(row(busy, id % 4));
            }
        }
    }
    // The engine writes rows when they happen (steps, transfers and pipelines when they end,
    // unfinished pipelines when the run stops): order each (point, replication) by time, stably.
    for rows in [
        &mut steps,
        &mut links,
        &mut models,
        &mut resources,
        &mut arrivals,
    ] {
        rows.sort_by_key(|r| (r.values[0].clone(), r.values[1].clone(), r.offset_ns));
    }
    pipeline_rows.sort_by_key(|r| {
        (
            r.values[0].clone(),
            r.values[1].clone(),
            r.values[9] == "unfinished",
            r.offset_ns,
        )
    });
    vec![
        Trace {
            file: "pipelines.csv",
            measurement: "pipeline",
            header: &[
                "point",
                "replication",
                "id",
                "template",
                "arrival",
                "start",
                "end",
                "wait",
                "makespan",
                "outcome",
            ],
            tags: &["template", "outcome"],
            integers: &["id"],
            strings: &[],
            rows: pipeline_rows,
        },
        Trace {
            file: "steps.csv",
            measurement: "step",
            header: &[
                "point",
                "replication",
                "pipeline_id",
                "template",
                "step",
                "kind",
                "resource",
                "units",
                "ready",
                "start",
                "end",
                "wait",
                "service",
                "bytes",
            ],
            tags: &["template", "step", "kind", "resource"],
            integers: &["pipeline_id", "units"],
            strings: &[],
            rows: steps,
        },
        Trace {
            file: "resources.csv",
            measurement: "resource",
            header: &[
                "point",
                "replication",
                "time",
                "resource",
                "busy",
                "capacity",
                "queue",
            ],
            tags: &["resource"],
            integers: &["busy", "capacity", "queue"],
            strings: &[],
            rows: resources,
        },
        Trace {
            file: "links.csv",
            measurement: "link",
            header: &[
                "point",
                "replication",
                "link",
                "pipeline_id",
                "template",
                "step",
                "direction",
                "start",
                "end",
                "bytes",
            ],
            tags: &["link", "template", "step", "direction"],
            integers: &["pipeline_id"],
            strings: &[],
            rows: links,
        },
        Trace {
            file: "models.csv",
            measurement: "model",
            header: &[
                "point",
                "replication",
                "time",
                "model",
                "template",
                "version",
                "event",
                "accuracy",
                "pipeline_id",
            ],
            tags: &["template"],
            integers: &["model", "version", "pipeline_id"],
            strings: &["event"],
            rows: models,
        },
        Trace {
            file: "arrivals.csv",
            measurement: "arrival",
            header: &[
                "point",
                "replication",
                "time",
                "source",
                "pipeline_id",
                "template",
            ],
            tags: &["template", "source"],
            integers: &["pipeline_id"],
            strings: &[],
            rows: arrivals,
        },
    ]
}

/// Writes a run directory named `name` under `root`.
fn write_run(root: &Path, name: &str, traces: &[Trace]) -> PathBuf {
    write_run_with_points(root, name, traces, "[]")
}

/// Writes a run directory with the given summary.json `points` array.
pub(crate) fn write_run_with_points(
    root: &Path,
    name: &str,
    traces: &[Trace],
    points: &str,
) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(dir.join("traces")).unwrap();
    std::fs::write(
        dir.join("summary.json"),
        format!(
            r#"{{"pipesim": "0.1.0", "scenario": "growth", "seed": 7, "start": "{START}", "points": {points}}}"#
        ),
    )
    .unwrap();
    std::fs::write(dir.join("manifest.json"), r#"{"version": "0.1.0"}"#).unwrap();
    for trace in traces {
        let mut file = std::fs::File::create(dir.join("traces").join(trace.file)).unwrap();
        writeln!(file, "{}", trace.header.join(",")).unwrap();
        for row in &trace.rows {
            writeln!(file, "{}", row.values.join(",")).unwrap();
        }
    }
    dir
}

/// What a server should hold for one row: tags, fields, exact timestamp.
#[derive(Debug, Clone, PartialEq)]
struct ExpectedPoint {
    tags: BTreeMap<String, String>,
    fields: BTreeMap<String, Value>,
    time_ns: i64,
}

/// The points a trace should become, computed here independently of the exporter: the k-th row
/// of a series at a given time moves k ns later (the data has no rows 1 ns apart, where the
/// exporter's cheaper rule for rows in time order would differ).
fn expected_points(trace: &Trace, run: &str) -> Vec<ExpectedPoint> {
    expected_points_of(trace, "growth", run, START_NS)
}

/// As [`expected_points`], for any scenario name and calendar start.
fn expected_points_of(
    trace: &Trace,
    scenario: &str,
    run: &str,
    start_ns: i64,
) -> Vec<ExpectedPoint> {
    let mut seen: HashMap<(BTreeMap<String, String>, i64), i64> = HashMap::new();
    let mut points = Vec::new();
    for row in &trace.rows {
        let mut tags = BTreeMap::new();
        tags.insert("scenario".to_string(), scenario.to_string());
        tags.insert("run".to_string(), run.to_string());
        let mut fields = BTreeMap::new();
        for (column, value) in trace.header.iter().zip(&row.values) {
            let column = column.to_string();
            if column == "point" || column == "replication" || trace.tags.contains(&column.as_str())
            {
                if !value.is_empty() {
                    tags.insert(column, value.clone());
                }
            } else if column == "time"
                || value.is_empty()
                || value == "NaN"
                || value == "18446744073709551615"
            {
                // No value (`u64::MAX` is the engine's "no pipeline").
            } else if trace.integers.contains(&column.as_str()) {
                fields.insert(column, Value::from(value.parse::<i64>().unwrap()));
            } else if trace.strings.contains(&column.as_str()) {
                fields.insert(column, Value::from(value.clone()));
            } else {
                fields.insert(column, Value::from(value.parse::<f64>().unwrap()));
            }
        }
        let row_ns = start_ns + row.offset_ns;
        let earlier = seen.entry((tags.clone(), row_ns)).or_insert(0);
        let time_ns = row_ns + *earlier;
        *earlier += 1;
        points.push(ExpectedPoint {
            tags,
            fields,
            time_ns,
        });
    }
    points
}

/// Every point of `measurement` in InfluxDB 1.x, as tags, fields and time.
fn influxdb_points(server: &Server, database: &str, trace: &Trace) -> Vec<ExpectedPoint> {
    let answer = influxql(
        server,
        database,
        &format!("SELECT * FROM \"{}\"", trace.measurement),
    );
    let Some(series) = answer["results"][0]["series"].as_array() else {
        return Vec::new();
    };
    let mut points = Vec::new();
    for one in series {
        let columns: Vec<&str> = one["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        for values in one["values"].as_array().unwrap() {
            let mut point = ExpectedPoint {
                tags: BTreeMap::new(),
                fields: BTreeMap::new(),
                time_ns: 0,
            };
            for (column, value) in columns.iter().zip(values.as_array().unwrap()) {
                let column = column.to_string();
                if column == "time" {
                    point.time_ns = value.as_i64().unwrap();
                } else if value.is_null() {
                } else if ["scenario", "run", "point", "replication"].contains(&column.as_str())
                    || trace.tags.contains(&column.as_str())
                {
                    point
                        .tags
                        .insert(column, value.as_str().unwrap().to_string());
                } else if trace.integers.contains(&column.as_str()) {
                    point
                        .fields
                        .insert(column, Value::from(value.as_i64().unwrap()));
                } else if value.is_number() {
                    // `0` and `0.0` are the same float field.
                    point
                        .fields
                        .insert(column, Value::from(value.as_f64().unwrap()));
                } else {
                    point.fields.insert(column, value.clone());
                }
            }
            points.push(point);
        }
    }
    points
}

fn sort_points(points: &mut [ExpectedPoint]) {
    points.sort_by(|a, b| (&a.tags, a.time_ns).cmp(&(&b.tags, b.time_ns)));
}

fn v1_args(url: &str, database: &str) -> InfluxArgs {
    InfluxArgs {
        influx: Some(url.to_string()),
        influx_org: None,
        influx_bucket: None,
        influx_db: Some(database.to_string()),
    }
}

fn quick_options() -> SendOptions {
    SendOptions {
        batch_lines: 97,
        retries: 2,
        first_backoff: Duration::from_millis(50),
        ..SendOptions::default()
    }
}

fn v1_destination(url: &str, database: &str) -> Destination {
    Destination::from_args_and_credentials(&v1_args(url, database), None, None, None).unwrap()
}

/// When a request arrived, its head (request line and headers) and its body.
type PeerRequest = (std::time::Instant, String, Vec<u8>);

/// An HTTP peer standing in for a rate-limiting server (a real one cannot be made to answer
/// 429 on demand): the first request is told to come back in two seconds, the second is
/// accepted. Gives its URL, and then each request's arrival, head and body.
fn throttling_peer() -> (String, std::thread::JoinHandle<Vec<PeerRequest>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let peer = std::thread::spawn(move || {
        let mut requests = Vec::new();
        for answer in [
            "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n",
        ] {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream);
            let (mut head, mut length) = (String::new(), 0);
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap();
                }
                if line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            requests.push((std::time::Instant::now(), head, body));
            reader.get_mut().write_all(answer.as_bytes()).unwrap();
        }
        requests
    });
    (url, peer)
}

#[test]
fn a_server_that_asks_to_retry_later_is_given_the_time_it_asks_for() {
    // Both APIs: the client must wait the two seconds, not its own 50 ms backoff, and send
    // the same batch again, to the right endpoint with the right credentials.
    let temp = tempfile::tempdir().unwrap();
    let traces = make_traces(1, 1, 3);
    let run_dir = write_run(temp.path(), "throttled", &traces);
    let options = || SendOptions {
        batch_lines: 100_000,
        ..quick_options()
    };
    for api in ["v1", "v2"] {
        let (url, peer) = throttling_peer();
        let destination = match api {
            "v1" => v1_destination(&url, "pipesim"),
            _ => Destination::V2 {
                url: format!("{url}/prefix"),
                org: "lab".into(),
                bucket: "runs".into(),
                token: Some("secret".into()),
            },
        };
        let report = influx::send_run_with(&run_dir, &destination, options()).unwrap();
        assert!(report.complete(), "{api}: {report}");
        let requests = peer.join().unwrap();
        let (first, second) = (&requests[0], &requests[1]);
        assert_eq!(first.2, second.2, "{api}: the same batch, sent again");
        let waited = second.0 - first.0;
        assert!(
            waited >= Duration::from_secs(2),
            "{api}: retried after {waited:?}, asked to wait 2 s"
        );
        let head = second.1.to_ascii_lowercase();
        match api {
            "v1" => assert!(
                head.starts_with("post /write?db=pipesim&precision=ns "),
                "{head}"
            ),
            _ => {
                assert!(
                    head.starts_with("post /prefix/api/v2/write?bucket=runs&org=lab&precision=ns "),
                    "{head}"
                );
                assert!(head.contains("authorization: token secret"), "{head}");
            }
        }
    }
}

// A run directory name with a space and a comma: both must survive as the `run` tag.
const RUN_NAME: &str = "growth 2019,a=b";

#[test]
fn influxdb_1_holds_every_row_of_every_trace_exactly() {
    let temp = tempfile::tempdir().unwrap();
    let mut server = start_influxdb(temp.path(), free_port());
    influxql(&server, "", "CREATE DATABASE pipesim");
    let traces = make_traces(2, 2, 40);
    let run_dir = write_run(temp.path(), RUN_NAME, &traces);

    let report = influx::send_run_with(
        &run_dir,
        &v1_destination(&server.url(), "pipesim"),
        quick_options(),
    )
    .unwrap();
    assert!(report.complete(), "{report}");
    assert!(
        report.shifted_rows > 0,
        "the run has rows sharing a series and a time"
    );
    for trace in &traces {
        assert_eq!(
            report.sent[trace.measurement],
            trace.rows.len() as u64,
            "{}",
            trace.measurement
        );
        let mut expected = expected_points(trace, RUN_NAME);
        let mut actual = influxdb_points(&server, "pipesim", trace);
        sort_points(&mut expected);
        sort_points(&mut actual);
        assert_eq!(
            actual.len(),
            expected.len(),
            "{}: points stored",
            trace.measurement
        );
        for (a, e) in actual.iter().zip(&expected) {
            assert_eq!(a, e, "{}", trace.measurement);
        }
    }
    // Field types as the dashboard queries them: integers stay integers.
    let types = influxql(&server, "pipesim", "SHOW FIELD KEYS FROM \"step\"");
    let types: BTreeMap<String, String> = types["results"][0]["series"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v[0].as_str().unwrap().to_string(),
                v[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(types["units"], "integer");
    assert_eq!(types["wait"], "float");

    // Sending the same run again changes nothing: same timestamps and tags, same points.
    let again = influx::send_run_with(
        &run_dir,
        &v1_destination(&server.url(), "pipesim"),
        quick_options(),
    )
    .unwrap();
    assert!(again.complete(), "{again}");
    let count = influxql(
        &server,
        "pipesim",
        "SELECT COUNT(\"busy\") FROM \"resource\"",
    );
    let resources = traces.iter().find(|t| t.measurement == "resource").unwrap();
    assert_eq!(
        count["results"][0]["series"][0]["values"][0][1],
        Value::from(resources.rows.len())
    );
    server.stop();
}

#[test]
fn influxdb_1_errors_are_clear_and_not_retried() {
    let temp = tempfile::tempdir().unwrap();
    let server = start_influxdb(temp.path(), free_port());
    let traces = make_traces(1, 1, 10);
    let run_dir = write_run(temp.path(), "small", &traces);

    // No such database: the server's message, nothing sent, the command to retry later.
    let started = Instant::now();
    let report = influx::send_run_with(
        &run_dir,
        &v1_destination(&server.url(), "nowhere"),
        SendOptions::default(),
    )
    .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a 404 is final, not retried"
    );
    let failure = report.failure.clone().unwrap();
    assert!(
        failure.contains("404") && failure.contains("database not found"),
        "{failure}"
    );
    assert_eq!(report.total_sent(), 0);
    let total: u64 = traces.iter().map(|t| t.rows.len() as u64).sum();
    assert_eq!(report.total_not_sent(), total);

    // A field whose type conflicts with what the database holds: a 400 with the server's words.
    influxql(&server, "", "CREATE DATABASE typed");
    let (status, text) = http(
        "POST",
        &format!("{}/write?db=typed&precision=ns", server.url()),
        Some(format!("step,point=0 units=1.5 {START_NS}\n")),
    )
    .unwrap();
    assert_eq!(status, 204, "{text}");
    let report = influx::send_run_with(
        &run_dir,
        &v1_destination(&server.url(), "typed"),
        SendOptions::default(),
    )
    .unwrap();
    let failure = report.failure.clone().unwrap();
    assert!(
        failure.contains("400") && failure.contains("field type conflict"),
        "{failure}"
    );

    // Malformed trace: the file and line, before anything is sent.
    let broken = temp.path().join("broken");
    let traces = make_traces(1, 1, 3);
    write_run(temp.path(), "broken", &traces);
    let steps = broken.join("traces/steps.csv");
    let text = std::fs::read_to_string(&steps).unwrap();
    let broken_line = 1 + text
        .lines()
        .position(|l| l.contains("preprocess,preprocess,cpu,1,"))
        .unwrap();
    let text = text.replacen(
        "preprocess,preprocess,cpu,1,",
        "preprocess,preprocess,cpu,one,",
        1,
    );
    std::fs::write(&steps, text).unwrap();
    let error = influx::send_run_with(
        &broken,
        &v1_destination(&server.url(), "typed"),
        SendOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains(&format!("steps.csv` line {broken_line}:"))
            && error.contains("column `units`: `one` is not an integer"),
        "{error}"
    );
}

#[test]
fn an_export_interrupted_by_a_stopped_server_can_be_repeated_without_losing_a_point() {
    let temp = tempfile::tempdir().unwrap();
    let port = free_port();
    let data = temp.path().join("influxdb");
    std::fs::create_dir(&data).unwrap();
    let server = Arc::new(Mutex::new(Some(start_influxdb(&data, port))));
    influxql(
        server.lock().unwrap().as_ref().unwrap(),
        "",
        "CREATE DATABASE pipesim",
    );
    let traces = make_traces(2, 1, 150);
    let total: u64 = traces.iter().map(|t| t.rows.len() as u64).sum();
    let run_dir = write_run(temp.path(), "interrupted", &traces);

    // Stop the server for good after the third batch it accepted.
    let batches = Arc::new(Mutex::new(0u32));
    let options = SendOptions {
        batch_lines: 100,
        retries: 2,
        first_backoff: Duration::from_millis(50),
        after_batch: Some(Box::new({
            let server = Arc::clone(&server);
            let batches = Arc::clone(&batches);
            move |_| {
                let mut batches = batches.lock().unwrap();
                *batches += 1;
                if *batches == 3 {
                    if let Some(mut server) = server.lock().unwrap().take() {
                        server.stop();
                    }
                }
            }
        })),
        ..SendOptions::default()
    };
    let url = format!("http://127.0.0.1:{port}");
    let report =
        influx::send_run_with(&run_dir, &v1_destination(&url, "pipesim"), options).unwrap();
    assert!(!report.complete());
    assert_eq!(report.total_sent(), 300, "{report}");
    assert_eq!(
        report.total_sent() + report.total_not_sent(),
        total,
        "{report}"
    );
    let failure = report.failure.clone().unwrap();
    assert!(failure.contains("gave up after 3 attempts"), "{failure}");
    let message = report.to_string();
    assert!(
        message.contains("not sent:") && message.contains("step "),
        "{message}"
    );
    // The run directory is untouched.
    for trace in &traces {
        let text = std::fs::read_to_string(run_dir.join("traces").join(trace.file)).unwrap();
        assert_eq!(text.lines().count(), trace.rows.len() + 1);
    }

    // The server comes back with its data; a second export sends everything.
    let restarted = start_influxdb(&data, port);
    let report =
        influx::send_run_with(&run_dir, &v1_destination(&url, "pipesim"), quick_options()).unwrap();
    assert!(report.complete(), "{report}");
    for trace in &traces {
        let mut expected = expected_points(trace, "interrupted");
        let mut actual = influxdb_points(&restarted, "pipesim", trace);
        sort_points(&mut expected);
        sort_points(&mut actual);
        assert_eq!(actual.len(), expected.len(), "{}", trace.measurement);
        assert!(
            actual == expected,
            "{}: stored points differ",
            trace.measurement
        );
    }
}

fn pipesim(args: &[&str], envs: &[(&str, &str)]) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pipesim"));
    command
        .args(args)
        .env_remove("INFLUX_TOKEN")
        .env_remove("INFLUX_USERNAME")
        .env_remove("INFLUX_PASSWORD");
    for (k, v) in envs {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_export_command_reports_success_and_failure() {
    let temp = tempfile::tempdir().unwrap();
    let server = start_influxdb(temp.path(), free_port());
    influxql(&server, "", "CREATE DATABASE pipesim");
    let traces = make_traces(1, 1, 8);
    let run_dir = write_run(temp.path(), "cli", &traces);
    let run = run_dir.to_str().unwrap();
    let url = server.url();

    let (code, stderr) = pipesim(
        &["export", run, "--influx", &url, "--influx-db", "pipesim"],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    let total: usize = traces.iter().map(|t| t.rows.len()).sum();
    assert!(
        stderr.contains(&format!("sent {total} points to {url}")),
        "{stderr}"
    );

    let (code, stderr) = pipesim(
        &["export", run, "--influx", &url, "--influx-db", "missing"],
        &[],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("database not found"), "{stderr}");
    assert!(
        stderr.contains(&format!("{total} points were not sent")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "`pipesim export {run} --influx {url} --influx-db missing`"
        )),
        "{stderr}"
    );

    // No server at all: retried, then the same advice.
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let (code, stderr) = pipesim(
        &[
            "export",
            run,
            "--influx",
            &nowhere,
            "--influx-db",
            "pipesim",
        ],
        &[],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("gave up after 6 attempts"), "{stderr}");
    assert!(stderr.contains("points were not sent"), "{stderr}");

    let (code, stderr) = pipesim(&["export", run, "--influx", &url], &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("`--influx-db DB`"), "{stderr}");

    let (code, stderr) = pipesim(
        &[
            "export",
            temp.path().join("absent").to_str().unwrap(),
            "--influx",
            &url,
            "--influx-db",
            "pipesim",
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("is not a directory"), "{stderr}");
}

/// A run with `--trace none` has nothing to send: exporting it fails at once (no server is
/// asked), where it used to print "sent 0 points" and exit 0, passing a CI step that
/// exported nothing.
#[test]
fn exporting_a_run_without_traces_fails_and_says_why() {
    let temp = tempfile::tempdir().unwrap();
    let scenario = temp.path().join("tiny.pipesim");
    std::fs::write(
        &scenario,
        "scenario tiny { horizon = 1d  seed = 2 }\n\
         resource cpu { kind = pool  capacity = 2 }\n\
         pipeline job { task { on = cpu  duration = 10min } }\n\
         arrivals a { rate = 2/h  pipeline = job }\n",
    )
    .unwrap();
    let run_dir = temp.path().join("run");
    let (code, stderr) = pipesim(
        &[
            "run",
            scenario.to_str().unwrap(),
            "--trace",
            "none",
            "--out",
            run_dir.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let (code, stderr) = pipesim(
        &[
            "export",
            run_dir.to_str().unwrap(),
            "--influx",
            &nowhere,
            "--influx-db",
            "pipesim",
        ],
        &[],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("has no traces to send: it was run with `--trace none`"),
        "{stderr}"
    );
    assert!(!stderr.contains("attempts"), "no server is asked: {stderr}");
}

/// VictoriaMetrics' export: one JSON line per series.
fn victoria_series(server: &Server, selector: &str) -> Vec<Value> {
    let url = format!(
        "{}/api/v1/export?match[]={}",
        server.url(),
        url_encode(selector)
    );
    let (status, text) = http("GET", &url, None).unwrap();
    assert_eq!(status, 200, "{text}");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_v2_api_reaches_victoria_metrics() {
    let temp = tempfile::tempdir().unwrap();
    let server = start_victoria_metrics(temp.path());
    let traces = make_traces(1, 2, 30);
    let run_dir = write_run(temp.path(), RUN_NAME, &traces);

    // A token is sent as `Authorization: Token ...`; VictoriaMetrics ignores it.
    let (code, stderr) = pipesim(
        &[
            "export",
            run_dir.to_str().unwrap(),
            "--influx",
            &server.url(),
            "--influx-org",
            "team",
            "--influx-bucket",
            "sims",
        ],
        &[("INFLUX_TOKEN", "secret-token")],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("secret-token"));
    let (status, text) = http(
        "GET",
        &format!("{}/internal/force_flush", server.url()),
        None,
    )
    .unwrap();
    assert_eq!(status, 200, "{text}");

    // VictoriaMetrics keeps numbers as `MEASUREMENT_FIELD` series with millisecond times.
    for trace in &traces {
        let expected = expected_points(trace, RUN_NAME);
        let mut expected_samples: Vec<(BTreeMap<String, String>, String, i64, f64)> = Vec::new();
        for point in &expected {
            for (field, value) in &point.fields {
                if value.is_number() {
                    expected_samples.push((
                        point.tags.clone(),
                        format!("{}_{field}", trace.measurement),
                        point.time_ns.div_euclid(1_000_000),
                        value.as_f64().unwrap(),
                    ));
                }
            }
        }
        let mut actual_samples = Vec::new();
        for series in victoria_series(
            &server,
            &format!("{{__name__=~\"{}_.*\"}}", trace.measurement),
        ) {
            let mut tags = BTreeMap::new();
            let mut name = String::new();
            for (key, value) in series["metric"].as_object().unwrap() {
                match key.as_str() {
                    "__name__" => name = value.as_str().unwrap().to_string(),
                    "db" => assert_eq!(value, "sims"),
                    _ => {
                        tags.insert(key.clone(), value.as_str().unwrap().to_string());
                    }
                }
            }
            let values = series["values"].as_array().unwrap();
            let timestamps = series["timestamps"].as_array().unwrap();
            for (value, timestamp) in values.iter().zip(timestamps) {
                actual_samples.push((
                    tags.clone(),
                    name.clone(),
                    timestamp.as_i64().unwrap(),
                    value.as_f64().unwrap(),
                ));
            }
        }
        // String fields (outcome, event) are not numbers: leave them out of the comparison.
        let string_fields: Vec<String> = trace
            .strings
            .iter()
            .map(|s| format!("{}_{s}", trace.measurement))
            .collect();
        actual_samples.retain(|(_, name, _, _)| !string_fields.contains(name));
        let key =
            |s: &(BTreeMap<String, String>, String, i64, f64)| (s.0.clone(), s.1.clone(), s.2);
        expected_samples.sort_by(|a, b| (key(a), a.3).partial_cmp(&(key(b), b.3)).unwrap());
        actual_samples.sort_by(|a, b| (key(a), a.3).partial_cmp(&(key(b), b.3)).unwrap());
        assert_eq!(
            actual_samples.len(),
            expected_samples.len(),
            "{}",
            trace.measurement
        );
        for (actual, expected) in actual_samples.iter().zip(&expected_samples) {
            assert_eq!(key(actual), key(expected), "{}", trace.measurement);
            // VictoriaMetrics stores a float as a decimal mantissa and exponent: it comes back
            // within about 12 significant digits (0.8805000000000001 as 0.8805, 699.593512121
            // as 699.5935121209), so compare to a relative 1e-12.
            let tolerance = 1e-12 * expected.3.abs().max(f64::MIN_POSITIVE);
            assert!(
                (actual.3 - expected.3).abs() <= tolerance,
                "{}: {actual:?} != {expected:?}",
                trace.measurement
            );
        }
    }
}

/// A scenario small enough to compare every trace row, with every kind of row: pools, a link,
/// a model that drifts and a monitor that retrains it, two sweep points, two replications.
pub(crate) const TINY_SCENARIO: &str = r#"// Every trace kind in a few simulated hours.
scenario tiny {
  start   = "2019-01-07T00:00:00Z"
  horizon = 6h
  seed    = 3
}

resource cpu     { kind = pool  capacity = 2 }
resource gpu     { kind = pool  capacity = 1 }
resource storage { kind = link  bandwidth = 100MB/s }

dataset asset {
  size = round(lognormal(median = 50000, sigma = 1.0)) * 1000B
}

pipeline job {
  data = asset
  preprocess { on = cpu  reads = asset.size from storage  duration = exponential(mean = 2min) }
  train      { on = gpu  duration = exponential(mean = 10min)  accuracy = 0.9 }
  validate   { on = cpu  duration = 30s  pass = 0.8 }
  model      { drift = 10%/d }
}

monitor stale { every = 1h  when = model.accuracy < 0.895  retrain = true }

arrivals triggers {
  rate     = 6/h
  pipeline = job
}

experiment {
  replications = 2
  sweep gpu.capacity = [1, 2]
}
"#;

/// The traces of a run directory written by `pipesim run`, as the expectations above use them.
/// Timestamps come from the CSV's decimal text through the exporter's own exact conversion
/// (tested on its own in `output::influx`), since binary floats cannot give them exactly.
fn read_traces(run_dir: &Path) -> Vec<Trace> {
    let mut traces = make_traces(0, 0, 0);
    for trace in &mut traces {
        let time_columns: &[&str] = match trace.measurement {
            "pipeline" => &["end", "arrival"],
            "step" | "link" => &["end"],
            _ => &["time"],
        };
        let mut reader = csv::Reader::from_path(run_dir.join("traces").join(trace.file)).unwrap();
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(
            header, trace.header,
            "{}: the contract's columns",
            trace.file
        );
        for record in reader.records() {
            let values: Vec<String> = record.unwrap().iter().map(String::from).collect();
            let offset_ns = time_columns
                .iter()
                .find_map(|c| {
                    let i = header.iter().position(|h| h == c).unwrap();
                    influx::seconds_text_to_nanos(&values[i])
                })
                .expect("every row has a time") as i64;
            trace.rows.push(Row { values, offset_ns });
        }
    }
    traces
}

/// Runs [`TINY_SCENARIO`] into `DIR/tiny-run` with every trace, sending it to a new
/// InfluxDB 1.x (database `pipesim`); the server, the run directory and pipesim's stderr.
fn run_tiny_into_influxdb(dir: &Path) -> (Server, PathBuf, String) {
    let server = start_influxdb(dir, free_port());
    influxql(&server, "", "CREATE DATABASE pipesim");
    let scenario = dir.join("tiny.pipesim");
    std::fs::write(&scenario, TINY_SCENARIO).unwrap();
    let run_dir = dir.join("tiny-run");
    let (code, stderr) = pipesim(
        &[
            "run",
            scenario.to_str().unwrap(),
            "--out",
            run_dir.to_str().unwrap(),
            "--trace",
            "all",
            "--influx",
            &server.url(),
            "--influx-db",
            "pipesim",
        ],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    (server, run_dir, stderr)
}

#[test]
fn pipesim_run_with_influx_sends_every_trace_row() {
    let temp = tempfile::tempdir().unwrap();
    let (server, run_dir, stderr) = run_tiny_into_influxdb(temp.path());
    let traces = read_traces(&run_dir);
    let total: usize = traces.iter().map(|t| t.rows.len()).sum();
    assert!(stderr.contains(&format!("sent {total} points")), "{stderr}");
    for trace in &traces {
        assert!(
            !trace.rows.is_empty(),
            "the scenario writes {} rows",
            trace.file
        );
        let replications: std::collections::BTreeSet<&str> =
            trace.rows.iter().map(|r| r.values[1].as_str()).collect();
        assert_eq!(replications.len(), 2, "{}: --trace all", trace.file);
        // 2019-01-07T00:00:00Z, the scenario's `start`.
        let mut expected = expected_points_of(trace, "tiny", "tiny-run", 1_546_819_200_000_000_000);
        let mut actual = influxdb_points(&server, "pipesim", trace);
        sort_points(&mut expected);
        sort_points(&mut actual);
        assert_eq!(actual.len(), expected.len(), "{}", trace.measurement);
        for (a, e) in actual.iter().zip(&expected) {
            assert_eq!(a, e, "{}", trace.measurement);
        }
    }
}

#[test]
fn influxdb_1_credentials_come_from_the_environment() {
    let temp = tempfile::tempdir().unwrap();
    let server = start_influxdb_with(temp.path(), free_port(), true);
    // With authentication on, the first user may be created without credentials.
    let query = |q: &str, credentials: &str| {
        http(
            "POST",
            &format!("{}/query?{credentials}q={}", server.url(), url_encode(q)),
            None,
        )
        .unwrap()
    };
    let (status, text) = query(
        "CREATE USER admin WITH PASSWORD 's3cret p,w' WITH ALL PRIVILEGES",
        "",
    );
    assert_eq!(status, 200, "{text}");
    let (status, text) = query("CREATE DATABASE pipesim", "u=admin&p=s3cret%20p%2Cw&");
    assert_eq!(status, 200, "{text}");
    let traces = make_traces(1, 1, 5);
    let run_dir = write_run(temp.path(), "secured", &traces);
    let run = run_dir.to_str().unwrap();
    let url = server.url();

    let (code, stderr) = pipesim(
        &["export", run, "--influx", &url, "--influx-db", "pipesim"],
        &[],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("401"), "{stderr}");
    assert!(
        stderr.contains("INFLUX_USERNAME and INFLUX_PASSWORD"),
        "{stderr}"
    );

    let (code, stderr) = pipesim(
        &["export", run, "--influx", &url, "--influx-db", "pipesim"],
        &[
            ("INFLUX_USERNAME", "admin"),
            ("INFLUX_PASSWORD", "s3cret p,w"),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stderr.contains("s3cret"),
        "the password is never printed: {stderr}"
    );
    let (status, text) = query(
        "SELECT COUNT(\"busy\") FROM \"resource\"",
        "u=admin&p=s3cret%20p%2Cw&db=pipesim&",
    );
    assert_eq!(status, 200, "{text}");
    let resources = traces.iter().find(|t| t.measurement == "resource").unwrap();
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        answer["results"][0]["series"][0]["values"][0][1],
        Value::from(resources.rows.len())
    );
}

/// A scripted HTTP peer (`flaky_server.py`): answers each write with the next status given.
fn start_flaky_server(dir: &Path, statuses: &[u16]) -> (Server, PathBuf) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/flaky_server.py");
    let port = free_port();
    let requests = dir.join("requests.jsonl");
    let log = dir.join("flaky.log");
    let child = Command::new("python3")
        .arg(script)
        .arg(port.to_string())
        .arg(&requests)
        .args(statuses.iter().map(|s| s.to_string()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("python3 is needed: run `scripts/install-test-deps.sh`");
    let mut server = Server {
        child: Some(child),
        port,
        log,
    };
    server.wait_ready("/ping");
    (server, requests)
}

fn logged_requests(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn server_errors_and_429_are_retried_and_other_refusals_are_not() {
    let temp = tempfile::tempdir().unwrap();
    let traces = make_traces(1, 1, 6);
    let total: u64 = traces.iter().map(|t| t.rows.len() as u64).sum();
    let run_dir = write_run(temp.path(), "flaky", &traces);
    let options = || SendOptions {
        batch_lines: 100_000,
        retries: 2,
        first_backoff: Duration::from_millis(10),
        ..SendOptions::default()
    };

    // 503, then 429, then accepted: one batch, three attempts, everything sent.
    let dir = temp.path().join("retried");
    std::fs::create_dir(&dir).unwrap();
    let (server, requests) = start_flaky_server(&dir, &[503, 429, 204]);
    let report =
        influx::send_run_with(&run_dir, &v1_destination(&server.url(), "db"), options()).unwrap();
    assert!(report.complete(), "{report}");
    assert_eq!(report.total_sent(), total);
    let log = logged_requests(&requests);
    let statuses: Vec<i64> = log.iter().map(|r| r["status"].as_i64().unwrap()).collect();
    assert_eq!(statuses, vec![503, 429, 204]);
    assert!(log.iter().all(|r| r["lines"].as_u64() == Some(total)));
    assert_eq!(log[0]["path"], "/write?db=db&precision=ns");

    // 400: final at once, with the server's words.
    let dir = temp.path().join("refused");
    std::fs::create_dir(&dir).unwrap();
    let (server, requests) = start_flaky_server(&dir, &[400]);
    let report =
        influx::send_run_with(&run_dir, &v1_destination(&server.url(), "db"), options()).unwrap();
    let failure = report.failure.clone().unwrap();
    assert!(
        failure.contains("400 Bad Request: scripted 400"),
        "{failure}"
    );
    assert_eq!(logged_requests(&requests).len(), 1, "a 400 is not retried");
    assert_eq!(report.total_not_sent(), total);

    // 500 for ever: the first try and two retries, then the report.
    let dir = temp.path().join("down");
    std::fs::create_dir(&dir).unwrap();
    let (server, requests) = start_flaky_server(&dir, &[500]);
    let report =
        influx::send_run_with(&run_dir, &v1_destination(&server.url(), "db"), options()).unwrap();
    let failure = report.failure.clone().unwrap();
    assert!(
        failure.contains("scripted 500") && failure.contains("gave up after 3 attempts"),
        "{failure}"
    );
    assert_eq!(logged_requests(&requests).len(), 3);
}

/// The Grafana dashboard in `deploy/grafana/`: every query it makes, its variables' and its
/// panels', answers from a real run exported to InfluxDB 1.x, once Grafana's macros and
/// variables are substituted as Grafana substitutes them (a variable inside `/^...$/` becomes
/// its value, `(a|b)` for several, or the `allValue` `.*` for All).
#[test]
fn the_grafana_dashboard_s_queries_answer_from_a_real_run() {
    let temp = tempfile::tempdir().unwrap();
    let (server, _, _) = run_tiny_into_influxdb(temp.path());

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/grafana/pipesim-influxdb1.json");
    let dashboard: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // The scenario's calendar: `start` 2019-01-07T00:00:00Z and a day past its 6 h horizon.
    let start_ns: i64 = 1_546_819_200_000_000_000;
    let end_ns = start_ns + 30 * 3_600 * 1_000_000_000;
    let substitute = |query: &str, point: &str, replication: &str| {
        query
            .replace(
                "$timeFilter",
                &format!("time >= {start_ns} AND time <= {end_ns}"),
            )
            .replace("$__interval", "10m")
            .replace("$scenario", "tiny")
            .replace("$run", "tiny-run")
            .replace("$point", point)
            .replace("$replication", replication)
    };
    let series = |query: &str| -> Vec<Value> {
        let answer = influxql(&server, "pipesim", query);
        let result = &answer["results"][0];
        assert!(result.get("error").is_none(), "{query}: {answer}");
        result["series"].as_array().cloned().unwrap_or_default()
    };

    // The variables list what the run holds.
    let variables = dashboard["templating"]["list"].as_array().unwrap();
    let listed = |name: &str| -> Vec<String> {
        let variable = variables.iter().find(|v| v["name"] == name).unwrap();
        let query = substitute(variable["query"].as_str().unwrap(), ".*", ".*");
        series(&query)
            .iter()
            .flat_map(|s| s["values"].as_array().unwrap().clone())
            .map(|pair| pair[1].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(listed("scenario"), ["tiny"]);
    assert_eq!(listed("run"), ["tiny-run"]);
    assert_eq!(listed("point"), ["0", "1"]);
    assert_eq!(listed("replication"), ["0", "1"]);
    assert_eq!(variables[0]["type"], "datasource");

    // Every panel draws something, for all points and for one.
    let panels = dashboard["panels"].as_array().unwrap();
    let mut ids = std::collections::BTreeSet::new();
    for panel in panels {
        let title = panel["title"].as_str().unwrap();
        assert!(
            ids.insert(panel["id"].as_u64().unwrap()),
            "{title}: duplicate id"
        );
        assert!(panel["gridPos"]["w"].as_u64().unwrap() > 0, "{title}");
        for target in panel["targets"].as_array().unwrap() {
            assert_eq!(target["rawQuery"], true, "{title}");
            assert_eq!(target["datasource"]["uid"], "${datasource}", "{title}");
            let query = target["query"].as_str().unwrap();
            for (point, replication) in [(".*", ".*"), ("1", "0"), ("(0|1)", "1")] {
                let query = substitute(query, point, replication);
                let unsubstituted = query.match_indices('$').any(|(i, _)| {
                    query[i + 1..].starts_with(|c: char| c.is_alphabetic() || c == '_')
                });
                assert!(!unsubstituted, "{title}: {query}");
                let found = series(&query);
                let values = found
                    .iter()
                    .flat_map(|s| s["values"].as_array().unwrap().clone())
                    .filter(|row| row[1].is_number())
                    .count();
                assert!(values > 0, "{title} draws nothing: {query}");
            }
        }
    }
    assert!(panels.len() >= 10, "{} panels", panels.len());
}
