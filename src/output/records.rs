//! `replications.jsonl`: the raw metric values of every replication a run directory holds, one
//! JSON object a line, in work-list order:
//!
//! ```text
//! {"point":0,"replication":0,"metrics":{"pipeline.arrived":412.0,"pipeline.wait.mean":93.2,...},
//!  "wait_batches":{"warmup":172800.0,"width":25920.0,"count":[31,40,...],"wait":[212.5,...],
//!  "unfinished":[0,...]}}
//! ```
//!
//! `wait_batches` (one line in the file, wrapped here) holds the completed pipelines' waits
//! summed by arrival time after `warmup` ([`WaitBatches`]), for the warm-up check, or
//! `{"warmup":...,"unsteady":"why"}` where the workload has no steady state. Runs written
//! before it existed have none, and are not checked.
//!
//! Invariants: values are written with the shortest representation that reads back to the
//! same `f64` (serde_json with `float_roundtrip`), so a summary computed from the file equals
//! one computed from memory; a value that is not finite (undefined in that replication) is
//! `null` and reads back as NaN. Metrics keep the engine's order.

use crate::experiment::WorkItem;
use crate::sim::batches::WaitBatches;
use std::io::{BufRead, Write};
use std::path::Path;

pub const FILE_NAME: &str = "replications.jsonl";

/// One replication's metric values.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub item: WorkItem,
    pub metrics: Vec<(String, f64)>,
    pub wait_batches: Option<WaitBatches>,
}

impl Record {
    /// The value as the file stores it: non-finite values become NaN, as they read back.
    pub fn normalised(mut self) -> Record {
        for (_, value) in &mut self.metrics {
            if !value.is_finite() {
                *value = f64::NAN;
            }
        }
        self
    }

    fn to_json(&self) -> serde_json::Value {
        let metrics: serde_json::Map<String, serde_json::Value> = self
            .metrics
            .iter()
            .map(|(name, value)| (name.clone(), serde_json::Value::from(*value)))
            .collect();
        let mut json = serde_json::json!({
            "point": self.item.point,
            "replication": self.item.replication,
            "metrics": metrics,
        });
        if let Some(batches) = &self.wait_batches {
            json["wait_batches"] = match &batches.unsteady {
                Some(reason) => serde_json::json!({
                    "warmup": batches.warmup,
                    "unsteady": reason,
                }),
                None => serde_json::json!({
                    "warmup": batches.warmup,
                    "width": batches.width,
                    "count": batches.count,
                    "wait": batches.wait,
                    "unfinished": batches.unfinished,
                }),
            };
        }
        json
    }

    fn from_json(value: &serde_json::Value) -> Option<Record> {
        let point = value.get("point")?.as_u64()? as usize;
        let replication = u32::try_from(value.get("replication")?.as_u64()?).ok()?;
        let metrics = value
            .get("metrics")?
            .as_object()?
            .iter()
            .map(|(name, value)| match value {
                serde_json::Value::Null => Some((name.clone(), f64::NAN)),
                other => other.as_f64().map(|v| (name.clone(), v)),
            })
            .collect::<Option<Vec<_>>>()?;
        let wait_batches = match value.get("wait_batches") {
            None => None,
            Some(batches) => Some(batches_from_json(batches)?),
        };
        Some(Record {
            item: WorkItem { point, replication },
            metrics,
            wait_batches,
        })
    }
}

fn batches_from_json(value: &serde_json::Value) -> Option<WaitBatches> {
    let warmup = value.get("warmup")?.as_f64()?;
    if let Some(reason) = value.get("unsteady") {
        return Some(WaitBatches {
            warmup,
            unsteady: Some(reason.as_str()?.to_string()),
            ..WaitBatches::default()
        });
    }
    let width = value.get("width")?.as_f64()?;
    let numbers = |key: &str| value.get(key)?.as_array();
    let count = numbers("count")?
        .iter()
        .map(serde_json::Value::as_u64)
        .collect::<Option<Vec<_>>>()?;
    let unfinished = numbers("unfinished")?
        .iter()
        .map(serde_json::Value::as_u64)
        .collect::<Option<Vec<_>>>()?;
    let wait = numbers("wait")?
        .iter()
        .map(serde_json::Value::as_f64)
        .collect::<Option<Vec<_>>>()?;
    (count.len() == wait.len() && count.len() == unfinished.len()).then_some(WaitBatches {
        warmup,
        unsteady: None,
        width,
        count,
        wait,
        unfinished,
    })
}

/// Writes `records` to `path`, one line each.
pub fn write(path: &Path, records: &[Record]) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for record in records {
        serde_json::to_writer(&mut out, &record.to_json())?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// Reads the records of a run directory.
pub fn read(run_dir: &Path) -> Result<Vec<Record>, String> {
    let path = run_dir.join(FILE_NAME);
    let file = std::fs::File::open(&path).map_err(|e| {
        format!(
            "cannot read `{}`: {e} (is `{}` a run directory written by `pipesim run`?)",
            path.display(),
            run_dir.display()
        )
    })?;
    let mut records = Vec::new();
    for (number, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str(&line)
            .ok()
            .and_then(|value| Record::from_json(&value))
            .ok_or_else(|| {
                format!(
                    "`{}` line {} is not a replication record",
                    path.display(),
                    number + 1
                )
            })?;
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_to_the_same_bits() {
        let dir = tempfile::tempdir().unwrap();
        let records = vec![
            Record {
                item: WorkItem {
                    point: 0,
                    replication: 0,
                },
                metrics: vec![
                    ("z.first".to_string(), 0.1 + 0.2),
                    ("a.second".to_string(), 1e-300 / 3.0),
                    ("undefined".to_string(), f64::NAN),
                ],
                wait_batches: Some(WaitBatches {
                    warmup: 60.0,
                    unsteady: Some("arrivals `replay` replay a recorded trace".into()),
                    ..WaitBatches::default()
                }),
            },
            Record {
                item: WorkItem {
                    point: 3,
                    replication: 7,
                },
                metrics: vec![("z.first".to_string(), 123456789.12345679)],
                wait_batches: Some(WaitBatches {
                    warmup: 7.5,
                    unsteady: None,
                    width: 0.1 + 0.2,
                    count: vec![3, 0, u64::MAX],
                    wait: vec![1e-300 / 3.0, 0.0, 123456789.12345679],
                    unfinished: vec![0, 2, 1],
                }),
            },
        ];
        write(&dir.path().join(FILE_NAME), &records).unwrap();
        let back = read(dir.path()).unwrap();
        assert_eq!(back.len(), 2);
        for (written, read) in records.iter().zip(&back) {
            assert_eq!(written.item, read.item);
            assert_eq!(written.wait_batches, read.wait_batches);
            let names: Vec<_> = read.metrics.iter().map(|(n, _)| n.as_str()).collect();
            let expected: Vec<_> = written.metrics.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, expected, "metric order is kept");
            for ((_, a), (_, b)) in written.metrics.iter().zip(&read.metrics) {
                assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
            }
        }
    }

    #[test]
    fn a_damaged_line_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(FILE_NAME),
            "{\"point\":0,\"replication\":0,\"metrics\":{}}\n{\"point\":\n",
        )
        .unwrap();
        let message = read(dir.path()).unwrap_err();
        assert!(message.contains("line 2"), "{message}");
    }
}
