//! CloudWatch Logs: the events of the instances' log streams (`agent-stack logs`).

use aws_sdk_cloudwatchlogs::Client;

use crate::Error;

/// One log event, as FilterLogEvents returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    pub id: String,
    pub stream: String,
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    pub message: String,
}

/// The events of `streams` (every stream when empty) in `group` from `start_ms` on, every page,
/// oldest first within each page. `Ok(None)` when the group does not exist (nothing has written
/// to it yet).
pub async fn events(
    config: &aws_config::SdkConfig,
    group: &str,
    streams: &[String],
    start_ms: i64,
) -> Result<Option<Vec<LogEvent>>, Error> {
    let client = Client::new(config);
    let mut events = Vec::new();
    // FilterLogEvents takes at most 100 stream names per call.
    let batches: Vec<Option<Vec<String>>> =
        if streams.is_empty() { vec![None] } else { streams.chunks(100).map(|b| Some(b.to_vec())).collect() };
    for batch in batches {
        let mut pages =
            client.filter_log_events().log_group_name(group).set_log_stream_names(batch).start_time(start_ms).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                Err(e) => {
                    let err = Error::from_sdk(format!("FilterLogEvents {group}"), &e);
                    return if err.is_not_found() { Ok(None) } else { Err(err) };
                }
            };
            events.extend(page.events().iter().map(|e| LogEvent {
                id: e.event_id().unwrap_or_default().to_string(),
                stream: e.log_stream_name().unwrap_or_default().to_string(),
                timestamp: e.timestamp().unwrap_or(0),
                message: e.message().unwrap_or_default().to_string(),
            }));
        }
    }
    Ok(Some(events))
}
