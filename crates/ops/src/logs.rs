//! `agent-stack logs`: the log groups the images write (docs/images.md, "Logs"), for the stack's
//! instances, merged by time and prefixed with the instance id. The groups are shared by every
//! stack in the account and region; each instance writes streams named after its id (and
//! `<id>-watch` for the watcher on macOS and Windows), so the stack's instances select its lines.

use std::collections::HashSet;
use std::time::Duration;

use agent_stack_aws::logs::LogEvent;
use agent_stack_aws::Error as AwsError;
use agent_stack_config::time::utc_text;
use agent_stack_template::ids;
use serde::Serialize;

use crate::{Error, Stacks};

/// A log group the images write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogGroup {
    Agent,
    Health,
    CloudInit,
    CloudInitOutput,
    System,
}

impl LogGroup {
    pub const ALL: [LogGroup; 5] = [LogGroup::Agent, LogGroup::Health, LogGroup::CloudInit, LogGroup::CloudInitOutput, LogGroup::System];

    /// The CloudWatch Logs group.
    pub fn name(self) -> &'static str {
        match self {
            LogGroup::Agent => "/semaphore/agent",
            LogGroup::Health => "/semaphore/agent/health",
            LogGroup::CloudInit => "/semaphore/cloud-init",
            LogGroup::CloudInitOutput => "/semaphore/cloud-init/output",
            LogGroup::System => "/semaphore/system",
        }
    }

    /// How lines of this group are labelled.
    pub fn label(self) -> &'static str {
        match self {
            LogGroup::Agent => "agent",
            LogGroup::Health => "health",
            LogGroup::CloudInit => "cloud-init",
            LogGroup::CloudInitOutput => "cloud-init-output",
            LogGroup::System => "system",
        }
    }
}

/// `--since`: a whole number and a unit, `s`, `m`, `h` or `d` (`90s`, `15m`, `1h`, `2d`).
pub fn parse_since(text: &str) -> Result<Duration, String> {
    let allowed = "a whole number and s, m, h or d, such as 90s, 15m, 1h or 2d";
    let unit = text.chars().last().ok_or_else(|| format!("--since is empty; allowed: {allowed}"))?;
    let seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return Err(format!("--since {text:?} has no unit; allowed: {allowed}")),
    };
    let number: u64 =
        text[..text.len() - 1].parse().map_err(|_| format!("--since {text:?} is not a number of units; allowed: {allowed}"))?;
    if number == 0 || number > 30 * 86_400 / seconds {
        return Err(format!("--since {text:?} is out of range; allowed: 1s to 30d (the groups keep 30 days)"));
    }
    Ok(Duration::from_secs(number * seconds))
}

/// Whether an agent log line says its registration failed: the agent's retry line for the
/// `Register` task, or its final error (semaphoreci/agent's retry and listener packages).
pub fn is_registration_failure(message: &str) -> bool {
    message.contains("[Register] attempt") || message.contains("[Register] failed after") || message.contains("failed to register agent")
}

/// One line of output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    /// RFC 3339, UTC.
    pub time: String,
    pub timestamp_ms: i64,
    pub instance: String,
    pub group: &'static str,
    pub message: String,
    pub registration_failure: bool,
    #[serde(skip)]
    pub id: String,
}

impl LogLine {
    pub fn new(group: LogGroup, event: LogEvent) -> LogLine {
        let message = event.message.trim_end().to_string();
        LogLine {
            time: utc_text(u64::try_from(event.timestamp / 1_000).unwrap_or(0)),
            timestamp_ms: event.timestamp,
            instance: instance_of(&event.stream).to_string(),
            group: group.label(),
            registration_failure: group == LogGroup::Agent && is_registration_failure(&message),
            message,
            id: event.id,
        }
    }

    /// `TIME INSTANCE GROUP MESSAGE`; a registration failure is marked (and red on a terminal).
    pub fn text(&self, color: bool) -> String {
        let line = format!("{} {} {:<17} {}", self.time, self.instance, self.group, self.message);
        match (self.registration_failure, color) {
            (false, _) => line,
            (true, false) => format!("{line}  <<< REGISTRATION FAILED"),
            (true, true) => format!("\x1b[1;31m{line}  <<< REGISTRATION FAILED\x1b[0m"),
        }
    }
}

/// The instance a stream belongs to (`i-…` or the watcher's `i-…-watch`).
pub fn instance_of(stream: &str) -> &str {
    stream.strip_suffix("-watch").unwrap_or(stream)
}

/// The streams of these instances.
pub fn streams_for(instances: &[String]) -> Vec<String> {
    instances.iter().flat_map(|id| [id.clone(), format!("{id}-watch")]).collect()
}

/// What `--follow` has shown: each poll asks again from the newest time seen (events of the same
/// millisecond may arrive late) and shows only events it has not shown.
#[derive(Debug)]
pub struct Tail {
    seen: HashSet<String>,
    start_ms: i64,
}

impl Tail {
    pub fn new(start_ms: i64) -> Tail {
        Tail { seen: HashSet::new(), start_ms }
    }

    /// Where the next poll starts.
    pub fn start_ms(&self) -> i64 {
        self.start_ms
    }

    /// The lines not shown yet, oldest first.
    pub fn take(&mut self, mut lines: Vec<LogLine>) -> Vec<LogLine> {
        lines.retain(|l| self.seen.insert(format!("{}/{}/{}", l.group, l.instance, l.id)));
        sort(&mut lines);
        if let Some(last) = lines.last() {
            self.start_ms = self.start_ms.max(last.timestamp_ms);
        }
        lines
    }
}

/// Oldest first; the same millisecond by instance, then group.
pub fn sort(lines: &mut [LogLine]) {
    lines.sort_by(|a, b| (a.timestamp_ms, &a.instance, a.group).cmp(&(b.timestamp_ms, &b.instance, b.group)));
}

/// Where the lines come from.
pub trait LogSource: Stacks {
    /// The group's instances: members and the recently terminated.
    async fn group_instances(&self, group: &str) -> Result<Vec<String>, AwsError>;
    /// `None` when the log group does not exist.
    async fn log_events(&self, group: &str, streams: &[String], start_ms: i64) -> Result<Option<Vec<LogEvent>>, AwsError>;
}

/// One read of the logs.
#[derive(Debug, Default)]
pub struct Fetched {
    pub lines: Vec<LogLine>,
    /// Instances whose streams were read.
    pub instances: Vec<String>,
    /// Log groups that do not exist yet.
    pub missing_groups: Vec<&'static str>,
}

/// The lines of `groups` from `start_ms` on, for `instance` or all of the stack's instances.
pub async fn fetch<C: LogSource>(
    cloud: &C,
    stack: &str,
    instance: Option<&str>,
    groups: &[LogGroup],
    start_ms: i64,
) -> Result<Fetched, Error> {
    let instances = match instance {
        Some(id) => vec![id.to_string()],
        None => {
            let group = cloud.physical_id(stack, ids::AUTO_SCALING_GROUP).await?.ok_or_else(|| {
                Error::Refused(format!(
                    "stack {stack} has no Auto Scaling group: deploy it first (`agent-stack deploy`), or pass --instance"
                ))
            })?;
            cloud.group_instances(&group).await?
        }
    };
    let mut fetched = Fetched { instances: instances.clone(), ..Fetched::default() };
    if instances.is_empty() {
        return Ok(fetched);
    }
    let streams = streams_for(&instances);
    for &group in groups {
        match cloud.log_events(group.name(), &streams, start_ms).await? {
            Some(events) => fetched.lines.extend(events.into_iter().map(|e| LogLine::new(group, e))),
            None => fetched.missing_groups.push(group.name()),
        }
    }
    sort(&mut fetched.lines);
    Ok(fetched)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, stream: &str, timestamp: i64, message: &str) -> LogEvent {
        LogEvent { id: id.into(), stream: stream.into(), timestamp, message: message.into() }
    }

    #[test]
    fn since_takes_a_number_and_a_unit() {
        assert_eq!(parse_since("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_since("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_since("1h"), Ok(Duration::from_secs(3_600)));
        assert_eq!(parse_since("2d"), Ok(Duration::from_secs(172_800)));
        for bad in ["", "1", "h", "1.5h", "-1h", "0m", "31d", "1w"] {
            assert!(parse_since(bad).is_err_and(|e| e.contains("--since")), "{bad}");
        }
    }

    #[test]
    fn the_agents_registration_failures_are_recognized() {
        // The lines semaphoreci/agent writes when /register fails (pkg/retry, pkg/listener).
        assert!(is_registration_failure(
            "ERRO[0001] [Register] attempt [1] failed with [register request to https://org.semaphoreci.com/api/v1/self_hosted_agents/register got HTTP 401: Unauthorized] - retrying in 1s"
        ));
        assert!(is_registration_failure("failed to register agent: [Register] failed after [30] attempts - giving up: …"));
        assert!(!is_registration_failure("INFO[0001] Agent registered name=i-0abc__x"));
        let line = LogLine::new(LogGroup::Agent, event("1", "i-1", 0, "[Register] attempt [1] failed with [...]\n"));
        assert!(line.registration_failure && line.text(false).ends_with("<<< REGISTRATION FAILED"));
        assert!(line.text(true).starts_with("\x1b[1;31m"));
        // Only the agent's own log: the same words elsewhere are not its registration.
        assert!(!LogLine::new(LogGroup::System, event("2", "i-1", 0, "failed to register agent")).registration_failure);
    }

    #[test]
    fn lines_name_their_instance_and_merge_by_time() {
        let a = LogLine::new(LogGroup::System, event("1", "i-2-watch", 2_000, "watch"));
        let b = LogLine::new(LogGroup::Agent, event("2", "i-1", 1_000, "agent\n"));
        assert_eq!((a.instance.as_str(), a.time.as_str()), ("i-2", "1970-01-01T00:00:02Z"));
        assert_eq!(b.text(false), "1970-01-01T00:00:01Z i-1 agent             agent");
        let mut lines = vec![a.clone(), b.clone()];
        sort(&mut lines);
        assert_eq!(lines, vec![b, a]);
        assert_eq!(streams_for(&["i-1".into()]), ["i-1", "i-1-watch"]);
    }

    #[test]
    fn following_shows_each_event_once() {
        let mut tail = Tail::new(500);
        let first = vec![LogLine::new(LogGroup::Agent, event("a", "i-1", 1_000, "one"))];
        assert_eq!(tail.take(first.clone()).len(), 1);
        assert_eq!(tail.start_ms(), 1_000);
        // The next poll starts at the newest time seen and returns that event again, and a late one.
        let again = vec![first[0].clone(), LogLine::new(LogGroup::Agent, event("b", "i-1", 1_000, "late"))];
        let shown = tail.take(again);
        assert_eq!(shown.iter().map(|l| l.message.as_str()).collect::<Vec<_>>(), ["late"]);
    }
}
