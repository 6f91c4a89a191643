//! The agent's name: `<instance-id>__<13 random alphanumerics>`, as agent-aws-stack names agents,
//! so operators find the instance from the name in Semaphore's UI.

/// A fresh name for the agent on `instance_id`.
pub fn random_name(instance_id: &str) -> String {
    let suffix: String = std::iter::repeat_with(fastrand::alphanumeric).take(13).collect();
    format!("{instance_id}__{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_valid_for_the_agent() {
        let (a, b) = (random_name("i-0123456789abcdef0"), random_name("i-0123456789abcdef0"));
        assert_ne!(a, b);
        assert!(a.starts_with("i-0123456789abcdef0__") && a.len() == 34);
        // The agent accepts 8–80 characters of [a-zA-Z0-9-_/+].
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || "-_/+".contains(c)));
    }
}
