//! Preparing warm-pool instances before AWS stops them. AWS stops (or hibernates) an instance as
//! soon as it has launched into the pool, without waiting for its user data; a launch lifecycle
//! hook holds it in `Warmed:Pending:Wait` until `boot start` has prepared it and completes the
//! action. The same hook holds it again in `Pending:Wait` when it leaves the pool for service,
//! until its agent has started. Shared by the template, which creates the hook with a pool, and
//! the instances, which complete its actions.

/// Name of the launch lifecycle hook on the agents' group (only with a warm pool).
pub const LAUNCH_HOOK_NAME: &str = "semaphore-agent-launch";

/// Seconds AWS waits for an instance to complete its launch action before it goes on (CONTINUE):
/// long enough for a Windows instance's first boot (about four minutes) and the preparation, short
/// enough that an image which never completes it (one without `boot start`) costs little.
pub const LAUNCH_HEARTBEAT_TIMEOUT_S: u32 = 600;
