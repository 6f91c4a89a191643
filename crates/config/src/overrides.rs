//! `SEMAPHORE_AGENT_ASG_LAUNCH_TEMPLATE_OVERRIDES_JSON`: launch template overrides of the ASG's
//! MixedInstancesPolicy, accepted in CloudFormation's PascalCase or agent-aws-stack's (CDK) camelCase
//! and normalised to PascalCase. Unknown keys and wrong value types are errors: agent-aws-stack
//! silently dropped PascalCase keys, leaving `"Overrides":[{}]`.

use serde_json::{Map, Value};

/// The expected shape of a JSON value.
enum Shape {
    Object(&'static [(&'static str, Shape)]),
    Array(&'static Shape),
    Str,
    /// A string in CloudFormation, also accepted as a JSON number.
    NumericStr,
    Int,
    Num,
    Bool,
}

use Shape::*;

const INT_RANGE: Shape = Object(&[("Min", Int), ("Max", Int)]);
const NUM_RANGE: Shape = Object(&[("Min", Num), ("Max", Num)]);
const STRINGS: Shape = Array(&Str);

const INSTANCE_REQUIREMENTS: Shape = Object(&[
    ("AcceleratorCount", INT_RANGE),
    ("AcceleratorManufacturers", STRINGS),
    ("AcceleratorNames", STRINGS),
    ("AcceleratorTotalMemoryMiB", INT_RANGE),
    ("AcceleratorTypes", STRINGS),
    ("AllowedInstanceTypes", STRINGS),
    ("BareMetal", Str),
    ("BaselineEbsBandwidthMbps", INT_RANGE),
    ("BaselinePerformanceFactors", Object(&[("Cpu", Object(&[("References", Array(&Object(&[("InstanceFamily", Str)])))]))])),
    ("BurstablePerformance", Str),
    ("CpuManufacturers", STRINGS),
    ("ExcludedInstanceTypes", STRINGS),
    ("InstanceGenerations", STRINGS),
    ("LocalStorage", Str),
    ("LocalStorageTypes", STRINGS),
    ("MaxSpotPriceAsPercentageOfOptimalOnDemandPrice", Int),
    ("MemoryGiBPerVCpu", NUM_RANGE),
    ("MemoryMiB", INT_RANGE),
    ("NetworkBandwidthGbps", NUM_RANGE),
    ("NetworkInterfaceCount", INT_RANGE),
    ("OnDemandMaxPricePercentageOverLowestPrice", Int),
    ("RequireHibernateSupport", Bool),
    ("SpotMaxPricePercentageOverLowestPrice", Int),
    ("TotalLocalStorageGB", NUM_RANGE),
    ("VCpuCount", INT_RANGE),
]);

const OVERRIDE: Shape = Object(&[
    ("ImageId", Str),
    ("InstanceRequirements", INSTANCE_REQUIREMENTS),
    ("InstanceType", Str),
    ("LaunchTemplateSpecification", Object(&[("LaunchTemplateId", Str), ("LaunchTemplateName", Str), ("Version", NumericStr)])),
    ("WeightedCapacity", NumericStr),
]);

/// Most overrides an Auto Scaling group accepts.
const MAX_OVERRIDES: usize = 40;

/// Parses the JSON text (one object or a list of objects) into CloudFormation overrides.
pub fn parse(text: &str) -> Result<Vec<Value>, Vec<String>> {
    let value: Value = serde_json::from_str(text).map_err(|e| vec![format!("is not valid JSON: {e}")])?;
    let items = match value {
        Value::Array(items) if items.is_empty() => return Err(vec!["is an empty list; give at least one override object".into()]),
        Value::Array(items) if items.len() > MAX_OVERRIDES => {
            return Err(vec![format!("has {} overrides; at most {MAX_OVERRIDES} are allowed", items.len())])
        }
        Value::Array(items) => items,
        single => vec![single],
    };
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let path = format!("override[{i}]");
        if let Some(v) = normalize(item, &OVERRIDE, &path, &mut errors) {
            if v.as_object().is_some_and(Map::is_empty) {
                errors.push(format!("{path} is empty; set InstanceType or InstanceRequirements"));
            }
            out.push(v);
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// CDK's camelCase spelling of a CloudFormation property name.
fn camel(pascal: &str) -> String {
    let mut chars = pascal.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

fn normalize(value: Value, shape: &Shape, path: &str, errors: &mut Vec<String>) -> Option<Value> {
    let mismatch = |errors: &mut Vec<String>, what: &str, value: &Value| {
        errors.push(format!("{path} must be {what}, got {value}"));
        None
    };
    match (shape, value) {
        (Object(fields), Value::Object(map)) => {
            let mut out = Map::new();
            for (key, v) in map {
                let field = fields.iter().find(|(name, _)| *name == key || camel(name) == key);
                match field {
                    Some((name, inner)) => {
                        if out.contains_key(*name) {
                            errors.push(format!("{path}.{name} is given twice (PascalCase and camelCase)"));
                        } else if let Some(v) = normalize(v, inner, &format!("{path}.{name}"), errors) {
                            out.insert((*name).to_string(), v);
                        }
                    }
                    None => {
                        let allowed: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
                        errors.push(format!("{path}: unknown key {key:?}; allowed: {}", allowed.join(", ")));
                    }
                }
            }
            Some(Value::Object(out))
        }
        (Array(inner), Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                out.push(normalize(item, inner, &format!("{path}[{i}]"), errors)?);
            }
            Some(Value::Array(out))
        }
        (Str, v @ Value::String(_)) | (Bool, v @ Value::Bool(_)) => Some(v),
        (NumericStr, v @ Value::String(_)) => Some(v),
        (NumericStr, Value::Number(n)) => Some(Value::String(n.to_string())),
        (Int, v @ Value::Number(_)) if v.is_u64() || v.is_i64() => Some(v),
        (Num, v @ Value::Number(_)) => Some(v),
        (Object(_), v) => mismatch(errors, "an object", &v),
        (Array(_), v) => mismatch(errors, "a list", &v),
        (Str, v) | (NumericStr, v) => mismatch(errors, "a string", &v),
        (Int, v) => mismatch(errors, "a whole number", &v),
        (Num, v) => mismatch(errors, "a number", &v),
        (Bool, v) => mismatch(errors, "true or false", &v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn camel_case_as_agent_aws_stack_wrote_it_becomes_pascal_case() {
        let got = parse(r#"{"instanceRequirements": {"vCpuCount": {"min": 2, "max": 4}, "memoryMiB": {"min": 4096}}}"#);
        let want = json!([{"InstanceRequirements": {"VCpuCount": {"Min": 2, "Max": 4}, "MemoryMiB": {"Min": 4096}}}]);
        assert_eq!(got, Ok(want.as_array().cloned().unwrap_or_default()));
    }

    #[test]
    fn pascal_case_is_kept_not_dropped() {
        let got = parse(r#"[{"InstanceType": "c5.large", "WeightedCapacity": 2}, {"InstanceType": "c6i.large"}]"#);
        let want = vec![json!({"InstanceType": "c5.large", "WeightedCapacity": "2"}), json!({"InstanceType": "c6i.large"})];
        assert_eq!(got, Ok(want));
    }

    #[test]
    fn unknown_keys_are_named_with_their_path() {
        let errors = parse(r#"{"instanceRequirements": {"vcpus": {"min": 2}}}"#).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("override[0].InstanceRequirements: unknown key \"vcpus\""), "{}", errors[0]);
    }

    #[test]
    fn wrong_types_and_empty_input_are_errors() {
        assert!(parse(r#"{"InstanceRequirements": {"VCpuCount": {"Min": "two"}}}"#).unwrap_err()[0]
            .contains("VCpuCount.Min must be a whole number"));
        assert!(parse("[]").is_err());
        assert!(parse("{}").unwrap_err()[0].contains("is empty"));
        assert!(parse("not json").unwrap_err()[0].contains("not valid JSON"));
        assert!(parse(r#""c5.large""#).unwrap_err()[0].contains("must be an object"));
        assert!(parse(r#"{"InstanceType":"a","instanceType":"b"}"#).unwrap_err()[0].contains("given twice"));
    }
}
