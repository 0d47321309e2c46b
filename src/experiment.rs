//! Experiments: sweep points × replications, run in parallel, aggregated into confidence
//! intervals. Results do not depend on the number of threads.
