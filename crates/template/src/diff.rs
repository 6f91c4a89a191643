//! Differences between two templates, resource by resource and property by property.

use std::collections::BTreeSet;

use serde_json::Value;

/// JSON-pointer paths at which `a` and `b` differ (arrays of different length differ as a whole).
pub fn changed_paths(a: &Value, b: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(a, b, "", &mut out);
    out
}

fn walk(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = format!("{path}/{k}");
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => walk(u, v, &p, out),
                    _ => out.push(p),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                walk(u, v, &format!("{path}/{i}"), out);
            }
        }
        _ if a == b => {}
        _ => out.push(if path.is_empty() { "/".into() } else { path.into() }),
    }
}

/// How one resource differs between the deployed and the new template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceDiff {
    Added {
        logical_id: String,
        resource_type: String,
    },
    Removed {
        logical_id: String,
        resource_type: String,
    },
    /// `paths` are property paths (`/Properties/...`) and top-level attributes such as `/DependsOn`.
    Modified {
        logical_id: String,
        resource_type: String,
        paths: Vec<String>,
    },
}

impl ResourceDiff {
    pub fn logical_id(&self) -> &str {
        match self {
            ResourceDiff::Added { logical_id, .. }
            | ResourceDiff::Removed { logical_id, .. }
            | ResourceDiff::Modified { logical_id, .. } => logical_id,
        }
    }

    pub fn resource_type(&self) -> &str {
        match self {
            ResourceDiff::Added { resource_type, .. }
            | ResourceDiff::Removed { resource_type, .. }
            | ResourceDiff::Modified { resource_type, .. } => resource_type,
        }
    }
}

/// Resource-level differences, in logical-ID order; template parameters, outputs and metadata
/// are compared separately by the caller if needed.
pub fn diff_resources(deployed: &Value, new: &Value) -> Vec<ResourceDiff> {
    let empty = serde_json::Map::new();
    let old = deployed["Resources"].as_object().unwrap_or(&empty);
    let new = new["Resources"].as_object().unwrap_or(&empty);
    let ids: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let kind = |r: &Value| r["Type"].as_str().unwrap_or_default().to_string();
    ids.into_iter()
        .filter_map(|id| match (old.get(id), new.get(id)) {
            (None, Some(n)) => Some(ResourceDiff::Added { logical_id: id.clone(), resource_type: kind(n) }),
            (Some(o), None) => Some(ResourceDiff::Removed { logical_id: id.clone(), resource_type: kind(o) }),
            (Some(o), Some(n)) => {
                let paths: Vec<String> = changed_paths(o, n).into_iter().filter(|p| !p.starts_with("/Metadata")).collect();
                (!paths.is_empty()).then(|| ResourceDiff::Modified { logical_id: id.clone(), resource_type: kind(n), paths })
            }
            (None, None) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_added_removed_and_modified_properties() {
        let old = json!({ "Resources": {
            "a": { "Type": "AWS::SSM::Parameter", "Properties": { "Value": "1", "Tags": { "x": "y" } } },
            "b": { "Type": "AWS::IAM::Role", "Properties": {} },
            "c": { "Type": "AWS::S3::Bucket", "Properties": {}, "Metadata": { "x": 1 } },
        }});
        let new = json!({ "Resources": {
            "a": { "Type": "AWS::SSM::Parameter", "Properties": { "Value": "2", "Tags": { "x": "y" } } },
            "c": { "Type": "AWS::S3::Bucket", "Properties": {}, "Metadata": { "x": 2 } },
            "d": { "Type": "AWS::Logs::LogGroup", "Properties": {} },
        }});
        assert_eq!(
            diff_resources(&old, &new),
            vec![
                ResourceDiff::Modified {
                    logical_id: "a".into(),
                    resource_type: "AWS::SSM::Parameter".into(),
                    paths: vec!["/Properties/Value".into()]
                },
                ResourceDiff::Removed { logical_id: "b".into(), resource_type: "AWS::IAM::Role".into() },
                ResourceDiff::Added { logical_id: "d".into(), resource_type: "AWS::Logs::LogGroup".into() },
            ]
        );
        assert!(diff_resources(&new, &new).is_empty());
    }

    #[test]
    fn arrays_of_different_length_differ_as_a_whole() {
        assert_eq!(changed_paths(&json!({ "a": [1, 2] }), &json!({ "a": [1] })), vec!["/a"]);
        assert_eq!(changed_paths(&json!({ "a": [1, 2] }), &json!({ "a": [1, 3] })), vec!["/a/1"]);
    }
}
