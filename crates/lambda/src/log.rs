//! Structured JSON log lines (CloudWatch Logs Insights reads their fields). Never pass a secret.
//!
//! The Lambda writes its records here rather than through `tracing`: records are values the tests
//! pin field by field, EMF records must be bare top-level objects, and a tracing-subscriber JSON
//! layer would add its own fields and a dependency tree to the binary for no gain.

use serde_json::{json, Value};

/// One log record: `level`, `message` and the given fields at the top level.
pub fn record(level: &str, message: &str, fields: &Value) -> Value {
    let mut out = json!({ "level": level, "message": message });
    if let (Some(out), Some(fields)) = (out.as_object_mut(), fields.as_object()) {
        out.extend(fields.clone());
    }
    out
}

fn line(level: &str, message: &str, fields: &Value) {
    println!("{}", record(level, message, fields));
}

pub fn info(message: &str, fields: &Value) {
    line("INFO", message, fields);
}

pub fn error(message: &str, fields: &Value) {
    line("ERROR", message, fields);
}

/// Prints a record as it is (EMF records must be top-level JSON objects).
pub fn raw(record: &Value) {
    println!("{record}");
}
