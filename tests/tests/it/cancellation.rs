//! Cancellation safety: a caller that drops its reply future at any point
//! never shifts another caller's reply.

use std::future::{IntoFuture, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use redtyped::Raw;

use crate::support::each_protocol;

fn nonce(tag: &str, i: usize) -> String {
    format!("{}:{tag}:{i}", redtyped_tests::unique_key("nonce"))
}

/// Polls `future` up to `times` times, yielding to the runtime between polls,
/// and reports whether it completed.
async fn poll_times<F: std::future::Future>(future: std::pin::Pin<&mut F>, times: usize) -> bool {
    let mut future = future;
    for _ in 0..times {
        let done = poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx).is_ready())).await;
        if done {
            return true;
        }
        tokio::task::yield_now().await;
    }
    false
}

#[tokio::test]
async fn dropping_a_reply_future_at_every_poll_point_shifts_nothing() {
    each_protocol(|client| async move {
        for polls in 0..12 {
            {
                let dropped = nonce("dropped", polls);
                let future = pin!(client.echo::<String>(&dropped).into_future());
                poll_times(future, polls).await;
            }
            let fresh = nonce("fresh", polls);
            let echoed: String = client.echo(&fresh).await.unwrap();
            assert_eq!(
                echoed, fresh,
                "after dropping a future polled {polls} times"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn commands_built_but_never_awaited_are_never_sent() {
    each_protocol(|client| async move {
        let key = redtyped_tests::unique_key("never-sent");
        drop(client.set(&key, "v"));
        let got: Option<String> = client.get(&key).await.unwrap();
        assert_eq!(got, None);
    })
    .await;
}

#[tokio::test]
async fn replies_stay_matched_while_slow_commands_are_abandoned() {
    each_protocol(|client| async move {
        // A slow command holds the connection; callers behind it give up at
        // different moments; everyone who waits gets their own reply.
        let slow = client.send(Raw::<()>::new("DEBUG").arg("SLEEP").arg("0.2"));
        let mut waiting = Vec::new();
        for i in 0..200 {
            let nonce = nonce("batch", i);
            let future = client.echo::<String>(nonce.clone()).into_future();
            if i % 3 == 0 {
                drop(future); // given up before its first poll
            } else if i % 3 == 1 {
                let mut task = tokio::spawn(future);
                // Given up after the slow command has certainly been written.
                let _ = tokio::time::timeout(Duration::from_millis(1), &mut task).await;
                task.abort();
            } else {
                waiting.push((nonce, tokio::spawn(future)));
            }
        }
        drop(slow);
        for (nonce, task) in waiting {
            assert_eq!(task.await.unwrap().unwrap(), nonce);
        }
        let fresh = nonce("after", 0);
        assert_eq!(client.echo::<String>(&fresh).await.unwrap(), fresh);
    })
    .await;
}

#[tokio::test]
async fn many_concurrent_callers_each_get_their_own_reply() {
    each_protocol(|client| async move {
        let tasks: Vec<_> = (0..64)
            .map(|t| {
                let client = client.clone();
                tokio::spawn(async move {
                    for i in 0..50 {
                        let nonce = nonce(&format!("task{t}"), i);
                        let echoed: String = client.echo(&nonce).await.unwrap();
                        assert_eq!(echoed, nonce);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    })
    .await;
}
