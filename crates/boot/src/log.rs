//! One line per event on stdout, with a UTC timestamp: cloud-init, systemd and the health-check
//! log file keep it as is, and the CloudWatch agent ships it.

use std::time::SystemTime;

use aws_smithy_types::date_time::{DateTime, Format};

/// Prints `<RFC 3339 time> <message>`.
pub fn say(message: &str) {
    let now = DateTime::from(SystemTime::now()).fmt(Format::DateTime).unwrap_or_default();
    println!("{now} {message}");
}
