//! The server's decision at each agent sync (`semaphore-api.md`), as a pure function over what
//! the server knows; the stub's `/sync` handler gathers the input and applies the answer.

use std::time::Duration;

/// The states the agent reports at each sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentState {
    WaitingForJobs,
    StartingJob,
    RunningJob,
    StoppingJob,
    FinishedJob,
}

impl AgentState {
    /// The state as the agent sends it (`waiting-for-jobs`, …); `None` for anything else.
    pub fn parse(text: &str) -> Option<AgentState> {
        Some(match text {
            "waiting-for-jobs" => AgentState::WaitingForJobs,
            "starting-job" => AgentState::StartingJob,
            "running-job" => AgentState::RunningJob,
            "stopping-job" => AgentState::StoppingJob,
            "finished-job" => AgentState::FinishedJob,
            _ => return None,
        })
    }
}

/// Whether, and how long ago, the agent reported an interruption (SIGTERM).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interruption {
    None,
    /// A running job still goes on.
    InGracePeriod,
    GracePeriodOver,
}

/// Why the server tells an agent to shut down, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownReason {
    Idle,
    JobFinished,
    Requested,
    Interrupted,
}

impl ShutdownReason {
    pub fn name(self) -> &'static str {
        match self {
            ShutdownReason::Idle => "idle",
            ShutdownReason::JobFinished => "job-finished",
            ShutdownReason::Requested => "requested",
            ShutdownReason::Interrupted => "interrupted",
        }
    }
}

/// The server's answer to a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncAction {
    Continue,
    /// Take the oldest queued job of the agent's type.
    RunJob,
    /// Stop the agent's job.
    StopJob,
    /// The job is done; the agent is idle again.
    WaitForJobs,
    Shutdown(ShutdownReason),
}

impl SyncAction {
    /// The `action` field of the answer.
    pub fn name(self) -> &'static str {
        match self {
            SyncAction::Continue => "continue",
            SyncAction::RunJob => "run-job",
            SyncAction::StopJob => "stop-job",
            SyncAction::WaitForJobs => "wait-for-jobs",
            SyncAction::Shutdown(_) => "shutdown",
        }
    }
}

/// What the server knows about an agent at a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncInput {
    pub state: AgentState,
    /// The agent type is disabled: its agents are asked to stop.
    pub disabled: bool,
    pub interruption: Interruption,
    /// The agent registered with `single_job` (disconnect after its job).
    pub single_job: bool,
    /// A job of the agent's type is queued.
    pub job_queued: bool,
    /// `idle_timeout` of the registration; zero means never.
    pub idle_timeout: Duration,
    /// Time since the agent's state last changed.
    pub idle_for: Duration,
}

/// The server's decision table, in the documented order.
pub fn decide(input: &SyncInput) -> SyncAction {
    match input.state {
        AgentState::WaitingForJobs => match stop_requested(input) {
            Some(reason) => SyncAction::Shutdown(reason),
            None if input.job_queued => SyncAction::RunJob,
            None if input.idle_timeout.is_zero() || input.idle_for < input.idle_timeout => SyncAction::Continue,
            None => SyncAction::Shutdown(ShutdownReason::Idle),
        },
        AgentState::RunningJob if input.disabled || input.interruption == Interruption::GracePeriodOver => SyncAction::StopJob,
        AgentState::RunningJob | AgentState::StartingJob | AgentState::StoppingJob => SyncAction::Continue,
        AgentState::FinishedJob if input.single_job => SyncAction::Shutdown(ShutdownReason::JobFinished),
        AgentState::FinishedJob => stop_requested(input).map_or(SyncAction::WaitForJobs, SyncAction::Shutdown),
    }
}

/// A shutdown the operator (a disabled type) or the instance (an interruption) asked for, in that order.
fn stop_requested(input: &SyncInput) -> Option<ShutdownReason> {
    if input.disabled {
        Some(ShutdownReason::Requested)
    } else if input.interruption != Interruption::None {
        Some(ShutdownReason::Interrupted)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AgentState::*;
    use Interruption::{GracePeriodOver, InGracePeriod};

    fn input(state: AgentState) -> SyncInput {
        SyncInput {
            state,
            disabled: false,
            interruption: Interruption::None,
            single_job: false,
            job_queued: false,
            idle_timeout: Duration::ZERO,
            idle_for: Duration::ZERO,
        }
    }

    #[test]
    fn states_parse_from_their_wire_names_only() {
        for (text, state) in [
            ("waiting-for-jobs", WaitingForJobs),
            ("starting-job", StartingJob),
            ("running-job", RunningJob),
            ("stopping-job", StoppingJob),
            ("finished-job", FinishedJob),
        ] {
            assert_eq!(AgentState::parse(text), Some(state));
        }
        assert_eq!(AgentState::parse("Running-Job"), None);
        assert_eq!(AgentState::parse(""), None);
    }

    #[test]
    fn the_decision_table() {
        let minute = Duration::from_secs(60);
        let cases: Vec<(&str, SyncInput, SyncAction)> = vec![
            ("idle, nothing queued, no timeout", input(WaitingForJobs), SyncAction::Continue),
            ("a queued job", SyncInput { job_queued: true, ..input(WaitingForJobs) }, SyncAction::RunJob),
            (
                "disabled before a queued job",
                SyncInput { disabled: true, job_queued: true, interruption: InGracePeriod, ..input(WaitingForJobs) },
                SyncAction::Shutdown(ShutdownReason::Requested),
            ),
            (
                "interrupted gets no job",
                SyncInput { interruption: InGracePeriod, job_queued: true, ..input(WaitingForJobs) },
                SyncAction::Shutdown(ShutdownReason::Interrupted),
            ),
            (
                "idle less than the timeout",
                SyncInput { idle_timeout: minute, idle_for: minute / 2, ..input(WaitingForJobs) },
                SyncAction::Continue,
            ),
            (
                "idle for the timeout",
                SyncInput { idle_timeout: minute, idle_for: minute, ..input(WaitingForJobs) },
                SyncAction::Shutdown(ShutdownReason::Idle),
            ),
            ("running", input(RunningJob), SyncAction::Continue),
            (
                "running, interrupted within the grace period",
                SyncInput { interruption: InGracePeriod, ..input(RunningJob) },
                SyncAction::Continue,
            ),
            ("running, grace period over", SyncInput { interruption: GracePeriodOver, ..input(RunningJob) }, SyncAction::StopJob),
            ("running, disabled", SyncInput { disabled: true, ..input(RunningJob) }, SyncAction::StopJob),
            ("starting, disabled", SyncInput { disabled: true, ..input(StartingJob) }, SyncAction::Continue),
            ("stopping, grace over", SyncInput { interruption: GracePeriodOver, ..input(StoppingJob) }, SyncAction::Continue),
            ("finished", SyncInput { job_queued: true, ..input(FinishedJob) }, SyncAction::WaitForJobs),
            (
                "finished, single job, disabled",
                SyncInput { single_job: true, disabled: true, ..input(FinishedJob) },
                SyncAction::Shutdown(ShutdownReason::JobFinished),
            ),
            (
                "finished, disabled and interrupted",
                SyncInput { disabled: true, interruption: InGracePeriod, ..input(FinishedJob) },
                SyncAction::Shutdown(ShutdownReason::Requested),
            ),
            (
                "finished, interrupted",
                SyncInput { interruption: InGracePeriod, ..input(FinishedJob) },
                SyncAction::Shutdown(ShutdownReason::Interrupted),
            ),
        ];
        for (name, input, want) in cases {
            assert_eq!(decide(&input), want, "{name}");
        }
    }

    #[test]
    fn wire_names() {
        assert_eq!(SyncAction::Shutdown(ShutdownReason::JobFinished).name(), "shutdown");
        assert_eq!(ShutdownReason::JobFinished.name(), "job-finished");
        assert_eq!(SyncAction::WaitForJobs.name(), "wait-for-jobs");
    }
}
