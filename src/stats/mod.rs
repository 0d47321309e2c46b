//! Statistics over replications: means, Student-t confidence intervals, Welch's t-test.
