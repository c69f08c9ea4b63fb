//! Live Tail: a StartLiveTail session as a stream of updates, each event named by its stream.

use aws_sdk_cloudwatchlogs as logs;

use ondeck_core::model::RawLogEvent;
use ondeck_core::{CloudError, LiveTail, LiveTailUpdate};

use crate::SdkCloud;
use crate::error::{Api, classify};

impl SdkCloud {
    /// Open a session for up to 100 streams of `group`; its updates end with the session.
    pub(crate) async fn open_live_tail(
        &self,
        group: &str,
        streams: &[String],
    ) -> Result<LiveTail, CloudError> {
        if self.custom_endpoint {
            return Err(CloudError::Refused(format!(
                "Live Tail is not offered by {}; polling instead",
                self.endpoint
            )));
        }
        let group_arn = self.log_group_arn(group).ok_or_else(|| {
            CloudError::Refused("Live Tail needs the account id; polling instead".into())
        })?;
        let answer = self
            .logs
            .start_live_tail()
            .log_group_identifiers(group_arn)
            .set_log_stream_names(Some(streams.iter().take(100).cloned().collect()))
            .send()
            .await
            .map_err(|err| self.classify(Api::Logs, "StartLiveTail", err))?;
        let receiver = answer.response_stream;
        let endpoint = self.endpoint.clone();
        let cluster = self.cluster.clone();
        let aws_profile = self.aws_profile.clone();
        let updates = futures::stream::unfold(receiver, move |mut receiver| {
            let endpoint = endpoint.clone();
            let cluster = cluster.clone();
            let aws_profile = aws_profile.clone();
            async move {
                loop {
                    match receiver.recv().await {
                        Ok(Some(logs::types::StartLiveTailResponseStream::SessionUpdate(
                            update,
                        ))) => {
                            let sampled =
                                update.session_metadata().is_some_and(|meta| meta.sampled());
                            let events = update
                                .session_results()
                                .iter()
                                .map(|event| {
                                    (
                                        event.log_stream_name().unwrap_or_default().to_string(),
                                        RawLogEvent {
                                            timestamp: event.timestamp().unwrap_or_default(),
                                            ingestion_time: event
                                                .ingestion_time()
                                                .unwrap_or_default(),
                                            message: event
                                                .message()
                                                .unwrap_or_default()
                                                .to_string(),
                                        },
                                    )
                                })
                                .collect();
                            return Some((Ok(LiveTailUpdate { events, sampled }), receiver));
                        }
                        Ok(Some(_)) => continue,
                        Ok(None) => return None,
                        Err(err) => {
                            let err = classify(
                                &Api::Logs.action("StartLiveTail"),
                                false,
                                &endpoint,
                                &cluster,
                                aws_profile.as_deref(),
                                err,
                            );
                            return Some((Err(err), receiver));
                        }
                    }
                }
            }
        });
        Ok(Box::pin(updates))
    }

    pub(crate) fn log_group_arn(&self, group: &str) -> Option<String> {
        let account = self.account_id.lock().expect("account lock").clone()?;
        let partition = if self.region.starts_with("cn-") {
            "aws-cn"
        } else if self.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        };
        Some(format!(
            "arn:{partition}:logs:{}:{account}:log-group:{group}",
            self.region
        ))
    }
}
