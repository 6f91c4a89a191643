//! Small helpers for writing CloudFormation JSON: intrinsic functions, resources, tags.

use agent_stack_config::Tag;
use serde_json::{json, Value};

pub fn ref_(id: &str) -> Value {
    json!({ "Ref": id })
}

pub fn get_att(id: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [id, attribute] })
}

/// `Fn::Sub` of a string using `${AWS::Partition}`-style pseudo parameters.
pub fn sub(text: impl Into<String>) -> Value {
    json!({ "Fn::Sub": text.into() })
}

/// A resource of `kind` with `properties`.
pub fn resource(kind: &str, properties: Value) -> Value {
    json!({ "Type": kind, "Properties": properties })
}

/// Adds `DependsOn` (sorted, so output is deterministic regardless of call order).
pub fn depends_on(mut resource: Value, ids: &[&str]) -> Value {
    let mut ids: Vec<&str> = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    resource["DependsOn"] = json!(ids);
    resource
}

/// Tags as a list of `{Key, Value}`, the form most resource types take.
pub fn tag_list(tags: &[Tag]) -> Value {
    Value::Array(tags.iter().map(|t| json!({ "Key": t.key, "Value": t.value })).collect())
}

/// Tags as a `{key: value}` map, the form SSM parameters take.
pub fn tag_map(tags: &[Tag]) -> Value {
    Value::Object(tags.iter().map(|t| (t.key.clone(), Value::String(t.value.clone()))).collect())
}

/// Sets `Properties.Tags` when there are any.
pub fn with_tags(mut resource: Value, tags: Value) -> Value {
    let empty = match &tags {
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => true,
    };
    if !empty {
        resource["Properties"]["Tags"] = tags;
    }
    resource
}

/// An ARN in the stack's own partition, region and account: `arn:…:<service>:<region>:<account>:<rest>`.
pub fn own_arn(service: &str, rest: &str) -> Value {
    sub(format!("arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{rest}"))
}

/// Escapes `${` in user text placed inside `Fn::Sub`.
pub fn sub_escape(text: &str) -> String {
    text.replace("${", "${!")
}

/// Logical IDs a value refers to through `Ref` or `Fn::GetAtt` (pseudo parameters excluded).
pub fn referenced_ids(value: &Value, out: &mut std::collections::BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(id)) = map.get("Ref") {
                if !id.starts_with("AWS::") {
                    out.insert(id.clone());
                }
            }
            if let Some(Value::String(id)) = map.get("Fn::GetAtt").and_then(|v| v.get(0)) {
                out.insert(id.clone());
            }
            map.values().for_each(|v| referenced_ids(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| referenced_ids(v, out)),
        _ => {}
    }
}

/// Drops `DependsOn` entries that a `Ref`/`Fn::GetAtt` in the properties already implies.
pub fn prune_implied_dependencies(resource: &mut Value) {
    let mut implied = std::collections::BTreeSet::new();
    referenced_ids(&resource["Properties"], &mut implied);
    let Some(obj) = resource.as_object_mut() else { return };
    if let Some(Value::Array(deps)) = obj.get_mut("DependsOn") {
        deps.retain(|d| d.as_str().is_some_and(|id| !implied.contains(id)));
        if deps.is_empty() {
            obj.remove("DependsOn");
        }
    }
}
