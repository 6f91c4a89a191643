//! Retries with jitter, as agent-aws-stack's start script does (up to 30 tries, 0.75–5 s apart):
//! right after launch the instance profile and SSM may not answer yet.

use std::future::Future;
use std::time::Duration;

/// Tries `op` up to `attempts` times (at least once), sleeping 0.75–5 s between failures.
pub async fn with_jitter<T, F, Fut>(what: &str, attempts: u32, mut op: F) -> Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let attempts = attempts.max(1);
    let mut tried = 0;
    loop {
        tried += 1;
        match op().await {
            Ok(value) => return Ok(value),
            Err(e) if tried >= attempts => return Err(format!("{what}: {e} (tried {tried} times)")),
            Err(e) => {
                crate::say(&format!("{what}: {e}; trying again ({tried}/{attempts})"));
                tokio::time::sleep(Duration::from_millis(fastrand::u64(750..=5_000))).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_the_attempts_and_says_why() {
        let mut calls = 0;
        let result: Result<(), String> = with_jitter("reading x", 3, || {
            calls += 1;
            async { Err("denied".to_string()) }
        })
        .await;
        assert_eq!(calls, 3);
        assert_eq!(result.unwrap_err(), "reading x: denied (tried 3 times)");
    }

    #[tokio::test(start_paused = true)]
    async fn returns_the_first_success() {
        let mut calls = 0;
        let result = with_jitter("reading x", 30, || {
            calls += 1;
            let n = calls;
            async move {
                if n < 3 {
                    Err("not yet".to_string())
                } else {
                    Ok(n)
                }
            }
        })
        .await;
        assert_eq!(result, Ok(3));
    }
}
