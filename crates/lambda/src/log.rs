//! Structured JSON log lines (CloudWatch Logs Insights reads their fields). Never pass a secret.

use serde_json::{json, Value};

fn line(level: &str, message: &str, fields: &Value) {
    let mut out = json!({ "level": level, "message": message });
    if let (Some(out), Some(fields)) = (out.as_object_mut(), fields.as_object()) {
        out.extend(fields.clone());
    }
    println!("{out}");
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
