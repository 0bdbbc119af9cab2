//! Spans per command (name and outcome, never arguments) and the counters a
//! user reads from a client.

use std::sync::{Arc, Mutex};

use redtyped_tests::unique_key;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

use crate::support::each_protocol;

/// One span as a subscriber saw it: its name and every field recorded, as text.
#[derive(Debug, Clone)]
struct SeenSpan {
    name: &'static str,
    thread: std::thread::ThreadId,
    fields: Vec<(String, String)>,
}

impl SeenSpan {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A subscriber that keeps the spans made on the threads it watches.
///
/// It is the process's global default, set once: a scoped (thread-local)
/// subscriber is not reliable while other tests of the binary hit the same
/// callsite from their threads, since tracing caches each callsite's
/// interest globally. Other threads are told "not enabled" per span.
#[derive(Clone, Default)]
struct Recorder {
    spans: Arc<Mutex<Vec<SeenSpan>>>,
    watched: Arc<Mutex<Vec<std::thread::ThreadId>>>,
}

impl Recorder {
    /// The process's recorder, installed on first use, now watching this thread.
    fn watch_this_thread() -> Recorder {
        static RECORDER: std::sync::OnceLock<Recorder> = std::sync::OnceLock::new();
        let recorder = RECORDER.get_or_init(|| {
            let recorder = Recorder::default();
            tracing::subscriber::set_global_default(recorder.clone())
                .expect("no other global subscriber in this test binary");
            recorder
        });
        recorder
            .watched
            .lock()
            .unwrap()
            .push(std::thread::current().id());
        recorder.clone()
    }

    /// The spans seen on this thread.
    fn spans_here(&self) -> Vec<SeenSpan> {
        let here = std::thread::current().id();
        self.spans
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.thread == here)
            .cloned()
            .collect()
    }
}

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl tracing::field::Visit for Fields<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
}

impl Subscriber for Recorder {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::sometimes()
    }
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        let here = std::thread::current().id();
        self.watched.lock().unwrap().contains(&here)
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut seen = SeenSpan {
            name: span.metadata().name(),
            thread: std::thread::current().id(),
            fields: Vec::new(),
        };
        span.record(&mut Fields(&mut seen.fields));
        let mut spans = self.spans.lock().unwrap();
        spans.push(seen);
        Id::from_u64(spans.len() as u64)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut spans = self.spans.lock().unwrap();
        let seen = &mut spans[span.into_u64() as usize - 1];
        values.record(&mut Fields(&mut seen.fields));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn every_command_is_a_span_with_its_name_and_outcome_and_no_arguments() {
    let recorder = Recorder::watch_this_thread();
    each_protocol(|client| async move {
        let key = unique_key("traced");
        let secret = "hunter2-value-that-must-not-be-logged";
        client.set(&key, secret).await.unwrap();
        let _: Option<String> = client.get(&key).await.unwrap();
        assert!(client.incr(&key).await.is_err(), "not an integer");
    })
    .await;
    let spans = recorder.spans_here();
    let commands: Vec<(&str, &str)> = spans
        .iter()
        .filter(|s| s.name == "redis.command")
        .map(|s| {
            (
                s.field("command").unwrap(),
                s.field("outcome").unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        commands,
        [
            ("SET", "ok"),
            ("GET", "ok"),
            ("INCR", "server"),
            ("SET", "ok"),
            ("GET", "ok"),
            ("INCR", "server")
        ]
    );
    for span in &spans {
        for (name, value) in &span.fields {
            assert!(
                !value.contains("hunter2") && !value.contains("traced"),
                "span {} field {name} carries an argument: {value}",
                span.name
            );
        }
    }
}

#[tokio::test]
async fn counters_follow_commands_replies_and_in_flight() {
    each_protocol(|client| async move {
        let before = client.stats();
        let key = unique_key("counted");
        let pending: Vec<_> = (0..10)
            .map(|_| client.send(redtyped::cmd::incr(&key)))
            .collect();
        assert_eq!(client.stats().commands_sent, before.commands_sent + 10);
        for p in pending {
            p.await.unwrap();
        }
        let after = client.stats();
        assert_eq!(after.replies_received, before.replies_received + 10);
        assert_eq!(after.in_flight, 0);
        assert_eq!(after.reconnects, 0);
    })
    .await;
}
