"""The benchmark scenario `scenarios/bench/year.pipesim` as a SimPy model (the paper's PipeSim
was built on SimPy). Same distributions, same structure, same semantics as pipesim's engine:

- triggers: exponentiated Weibull interarrivals (a = 1.8, c = 0.7, scale = 78 s) drawn in
  profile time and mapped to the calendar through the cumulative hourly multiplier of the
  weekly profile (hours x days, normalised to a mean of 1), from Monday 00:00;
- per pipeline: asset size lognormal(median 200 MB, sigma 1.2), framework choice
  (tensorflow 0.45, sparkml 0.35, sklearn 0.20);
- four steps in order on FIFO pools (cpu 6 slots, gpu 12 slots): preprocess (cpu,
  10 s + size * 0.8 s/GB + exponential(mean 20 s)), train (gpu for tensorflow, else cpu;
  lognormal medians 20, 6, 2 min with sigma 0.9, 0.7, 0.6), validate (cpu, exponential(mean
  90 s), passes with probability 0.95, else the pipeline is rejected), compress (gpu,
  exponential(mean 4 min));
- a pipeline's wait is the sum of its steps' queueing times, its makespan end - arrival; both
  are averaged over the pipelines that completed before the horizon (one year).

Usage: python3 year.py [--replications N] [--first K] [--years Y] [--metrics means|all]
(replications K to K + N - 1). Prints one JSON line per replication (wall and CPU seconds,
arrivals, completed, mean wait, mean makespan; with `--metrics all`, also every metric pipesim
reports of a replication, computed as a SimPy user would, under `metrics`). Requires
`pip install simpy`.
"""

import argparse
import json
import math
import random
import time

import simpy

HOURS = [0.35, 0.30, 0.27, 0.26, 0.28, 0.35, 0.55, 0.85, 1.25, 1.60, 1.80, 1.85,
         1.55, 1.70, 1.85, 1.80, 1.60, 1.30, 1.00, 0.80, 0.65, 0.55, 0.48, 0.40]
DAYS = [1.15, 1.20, 1.20, 1.15, 1.05, 0.55, 0.50]
MINUTE = 60.0


def weekly_multipliers():
    hourly = [d * h for d in DAYS for h in HOURS]
    mean = sum(hourly) / len(hourly)
    return [m / mean for m in hourly]


class ProfileClock:
    """Maps profile time back to real time, walking forward hour by hour (the run starts on
    a Monday at 00:00, so hour k of the run is hour k mod 168 of the week)."""

    def __init__(self, hourly):
        self.hourly = hourly
        self.hour = 0
        self.hour_start = 0.0
        self.profile_at_hour_start = 0.0

    def real_time(self, tau):
        while True:
            m = self.hourly[self.hour % 168]
            end_profile = self.profile_at_hour_start + m * 3600.0
            if m > 0 and tau <= end_profile:
                return self.hour_start + (tau - self.profile_at_hour_start) / m
            self.profile_at_hour_start = end_profile
            self.hour_start += 3600.0
            self.hour += 1


def exponweib(rng, a, c, scale):
    u = rng.random()
    return scale * (-math.log(1.0 - u ** (1.0 / a))) ** (1.0 / c)


def lognormal_median(rng, median, sigma):
    return math.exp(math.log(median) + sigma * rng.gauss(0.0, 1.0))


class Stats:
    def __init__(self):
        self.arrived = 0
        self.completed = 0
        self.rejected = 0
        self.wait_sum = 0.0
        self.makespan_sum = 0.0


def pipeline(env, cpu, gpu, rng, stats):
    arrival = env.now
    size = lognormal_median(rng, 200e6, 1.2)
    u = rng.random()
    framework = "tensorflow" if u < 0.45 else ("sparkml" if u < 0.80 else "sklearn")
    wait = 0.0

    def use(pool, duration):
        nonlocal wait
        with pool.request() as request:
            queued = env.now
            yield request
            wait += env.now - queued
            yield env.timeout(max(0.0, duration))

    yield from use(cpu, 10.0 + size * 0.8 / 1e9 + rng.expovariate(1.0 / 20.0))
    if framework == "tensorflow":
        yield from use(gpu, lognormal_median(rng, 20 * MINUTE, 0.9))
    elif framework == "sparkml":
        yield from use(cpu, lognormal_median(rng, 6 * MINUTE, 0.7))
    else:
        yield from use(cpu, lognormal_median(rng, 2 * MINUTE, 0.6))
    yield from use(cpu, rng.expovariate(1.0 / 90.0))
    if rng.random() >= 0.95:
        stats.rejected += 1
        return
    yield from use(gpu, rng.expovariate(1.0 / (4 * MINUTE)))
    stats.completed += 1
    stats.wait_sum += wait
    stats.makespan_sum += env.now - arrival


# --metrics all: what pipesim's engine reports of every replication, computed the way a SimPy
# user would (the value lists kept, sorted at the end; the pools monitored by wrapping
# `request` and `release`, as SimPy's documentation shows under "Monitoring resources").

STEPS = ["preprocess", "train", "validate", "compress"]


class StepStats:
    def __init__(self):
        self.waits = []
        self.service_sum = 0.0


class PoolMonitor:
    """Time integrals of a pool's busy slots and queue length, and its longest queue: each
    `request` and `release` first adds the time since the last change at the current values."""

    def __init__(self, env, resource):
        self.env = env
        self.resource = resource
        self.last = 0.0
        self.busy_area = 0.0
        self.queue_area = 0.0
        self.queue_max = 0
        for name in ("request", "release"):
            setattr(resource, name, self.wrap(getattr(resource, name)))

    def wrap(self, method):
        def wrapper(*args, **kwargs):
            self.advance()
            result = method(*args, **kwargs)
            self.queue_max = max(self.queue_max, len(self.resource.queue))
            return result
        return wrapper

    def advance(self):
        now = self.env.now
        self.busy_area += self.resource.count * (now - self.last)
        self.queue_area += len(self.resource.queue) * (now - self.last)
        self.last = now


class AllStats(Stats):
    def __init__(self):
        super().__init__()
        self.waits = []
        self.makespans = []
        self.steps = {name: StepStats() for name in STEPS}


# `pipeline` with the recording added: a copy rather than one function with a switch, so
# that the two-means model, whose time is the benchmark's headline, runs as it always has.
def pipeline_all(env, cpu, gpu, rng, stats):
    arrival = env.now
    size = lognormal_median(rng, 200e6, 1.2)
    u = rng.random()
    framework = "tensorflow" if u < 0.45 else ("sparkml" if u < 0.80 else "sklearn")
    wait = 0.0

    def use(step, pool, duration):
        nonlocal wait
        with pool.request() as request:
            queued = env.now
            yield request
            step_wait = env.now - queued
            wait += step_wait
            service = max(0.0, duration)
            yield env.timeout(service)
        record = stats.steps[step]
        record.waits.append(step_wait)
        record.service_sum += service

    yield from use("preprocess", cpu, 10.0 + size * 0.8 / 1e9 + rng.expovariate(1.0 / 20.0))
    if framework == "tensorflow":
        yield from use("train", gpu, lognormal_median(rng, 20 * MINUTE, 0.9))
    elif framework == "sparkml":
        yield from use("train", cpu, lognormal_median(rng, 6 * MINUTE, 0.7))
    else:
        yield from use("train", cpu, lognormal_median(rng, 2 * MINUTE, 0.6))
    yield from use("validate", cpu, rng.expovariate(1.0 / 90.0))
    if rng.random() >= 0.95:
        stats.rejected += 1
        return
    yield from use("compress", gpu, rng.expovariate(1.0 / (4 * MINUTE)))
    stats.completed += 1
    stats.wait_sum += wait
    stats.makespan_sum += env.now - arrival
    stats.waits.append(wait)
    stats.makespans.append(env.now - arrival)


def nearest_rank(values, p):
    return values[min(len(values), max(1, math.ceil(p * len(values)))) - 1]


def summarise(stats, pools, horizon):
    """The metrics pipesim reports, by its names."""
    metrics = {
        "pipeline.arrived": stats.arrived,
        "pipeline.completed": stats.completed,
        "pipeline.rejected": stats.rejected,
        "pipeline.unfinished": stats.arrived - stats.completed - stats.rejected,
    }
    for name, values in [("wait", stats.waits), ("makespan", stats.makespans)]:
        values.sort()
        metrics[f"pipeline.{name}.mean"] = sum(values) / len(values)
        for p in (50, 95, 99):
            metrics[f"pipeline.{name}.p{p}"] = nearest_rank(values, p / 100)
        metrics[f"pipeline.{name}.max"] = values[-1]
    for step, record in stats.steps.items():
        waits = sorted(record.waits)
        metrics[f"step.classic.{step}.count"] = len(waits)
        metrics[f"step.classic.{step}.wait.mean"] = sum(waits) / len(waits)
        metrics[f"step.classic.{step}.wait.p95"] = nearest_rank(waits, 0.95)
        metrics[f"step.classic.{step}.service.mean"] = record.service_sum / len(waits)
    for name, monitor in pools.items():
        monitor.advance()  # to the horizon, where the run stopped
        capacity = monitor.resource.capacity
        metrics[f"resource.{name}.utilization"] = monitor.busy_area / (capacity * horizon)
        metrics[f"resource.{name}.queue.mean"] = monitor.queue_area / horizon
        metrics[f"resource.{name}.queue.max"] = monitor.queue_max
        metrics[f"resource.{name}.capacity.mean"] = capacity
    return metrics


def triggers(env, cpu, gpu, rng, stats, horizon, pipeline=pipeline):
    clock = ProfileClock(weekly_multipliers())
    tau = 0.0
    while True:
        tau += exponweib(rng, 1.8, 0.7, 78.0)
        t = clock.real_time(tau)
        if t >= horizon:
            return
        yield env.timeout(t - env.now)
        stats.arrived += 1
        env.process(pipeline(env, cpu, gpu, rng, stats))


def replication(index, years, all_metrics=False):
    rng = random.Random(1000 + index)
    env = simpy.Environment()
    cpu = simpy.Resource(env, capacity=6)
    gpu = simpy.Resource(env, capacity=12)
    horizon = years * 365 * 86400.0
    if not all_metrics:
        stats = Stats()
        env.process(triggers(env, cpu, gpu, rng, stats, horizon))
        env.run(until=horizon)
        return stats, None
    stats = AllStats()
    pools = {"cpu": PoolMonitor(env, cpu), "gpu": PoolMonitor(env, gpu)}
    env.process(triggers(env, cpu, gpu, rng, stats, horizon, pipeline_all))
    env.run(until=horizon)
    return stats, summarise(stats, pools, horizon)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=1)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--years", type=float, default=1.0)
    parser.add_argument("--metrics", choices=["means", "all"], default="means",
                        help="the two means only, or every metric pipesim reports (in the line's `metrics`)")
    args = parser.parse_args()
    for index in range(args.first, args.first + args.replications):
        started = time.perf_counter()
        cpu_started = time.thread_time()
        stats, metrics = replication(index, args.years, args.metrics == "all")
        cpu_seconds = time.thread_time() - cpu_started
        seconds = time.perf_counter() - started
        line = {
            "engine": "simpy" if metrics is None else "simpy-all",
            "replication": index,
            "seconds": round(seconds, 6),
            "cpu_seconds": round(cpu_seconds, 6),
            "arrived": stats.arrived,
            "completed": stats.completed,
            "wait_mean": stats.wait_sum / stats.completed if stats.completed else float("nan"),
            "makespan_mean": stats.makespan_sum / stats.completed if stats.completed else float("nan"),
        }
        if metrics is not None:
            line["metrics"] = metrics
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
