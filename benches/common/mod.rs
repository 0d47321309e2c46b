//! What the year benchmark's Rust programs (`year.rs`, `floor.rs`) share: the weekly profile
//! of `scenarios/bench/year.pipesim` and the clock they are timed with.

/// The weekday/hour multipliers of the year scenario's `profile weekly` (hours × days),
/// normalised to a mean of 1 as analysis lowers them; index 0 is Monday 00:00.
pub fn weekly_hourly() -> Vec<f64> {
    let hours = [
        0.35, 0.30, 0.27, 0.26, 0.28, 0.35, 0.55, 0.85, 1.25, 1.60, 1.80, 1.85, 1.55, 1.70, 1.85,
        1.80, 1.60, 1.30, 1.00, 0.80, 0.65, 0.55, 0.48, 0.40,
    ];
    let days = [1.15, 1.20, 1.20, 1.15, 1.05, 0.55, 0.50];
    let mut hourly: Vec<f64> = days
        .iter()
        .flat_map(|d| hours.iter().map(move |h| d * h))
        .collect();
    let mean = hourly.iter().sum::<f64>() / hourly.len() as f64;
    hourly.iter_mut().for_each(|m| *m /= mean);
    hourly
}

/// CPU time of this thread in seconds (Linux: `/proc/thread-self/schedstat`, nanoseconds
/// on CPU), so the figure does not depend on how busy the machine is. Falls back to NaN.
pub fn thread_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |nanoseconds| nanoseconds / 1e9)
}
