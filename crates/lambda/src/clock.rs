//! Wall-clock time for the tick loop.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agent_stack_scaler::Clock;

/// The system clock and tokio's timer.
pub struct SystemClock;

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)).unwrap_or(0)
}

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        now_ms()
    }

    async fn sleep_until_ms(&self, at_ms: u64) {
        let now = now_ms();
        if at_ms > now {
            tokio::time::sleep(Duration::from_millis(at_ms - now)).await;
        }
    }
}
