//! WATCH-based optimistic locking on a dedicated connection.

use std::ops::Deref;

use crate::client::Client;
use crate::error::Result;
use crate::pipeline::Pipeline;

/// A connection of its own with keys WATCHed, handed to the body of
/// [`Client::watching`] (clones share the connection). Its command methods (through `Deref<Target = Client>`)
/// read on the watched connection; [`multi`](Self::multi) starts the
/// transaction that EXEC runs only if no watched key changed.
#[derive(Clone)]
pub struct Watch {
    connection: Client,
}

impl Watch {
    pub(crate) fn new(connection: Client) -> Watch {
        Watch { connection }
    }

    pub(crate) async fn run<R, F, Fut>(
        &self,
        watch: crate::Raw<'static, ()>,
        body: &mut F,
    ) -> Result<R>
    where
        F: FnMut(Watch) -> Fut,
        Fut: std::future::Future<Output = Result<R>>,
    {
        self.connection.set_watching(true);
        let frame = self
            .connection
            .send_encoded(&encode(watch))
            .await
            .map_err(|_| {
                crate::Error::closed(crate::Outcome::Unknown, "the watched connection stopped")
            })??;
        crate::client::decode_frame::<crate::shape::Okay>(&frame, "WATCH".into())?;
        body(self.clone()).await
    }

    /// A MULTI/EXEC transaction on the watched connection. Its `execute` fails
    /// with [`ErrorKind::WatchConflict`](crate::ErrorKind::WatchConflict) when a
    /// watched key changed; [`Client::watching`] then runs the body again.
    pub fn multi(&self) -> Pipeline<'_, ()> {
        self.connection.transaction()
    }

    /// Forgets the watched keys, so the connection can be lent again. UNWATCH
    /// runs always: a body may end without EXEC (an error, an early return, a
    /// transaction built and dropped), and after EXEC it is harmless. When it
    /// fails the WATCH flag stays and the pool closes the connection.
    pub(crate) async fn unwatch(self) {
        let unwatch = encode(crate::Raw::<()>::new("UNWATCH"));
        if let Ok(Ok(frame)) = self.connection.send_encoded(&unwatch).await
            && !frame.starts_with(b"-")
        {
            self.connection.set_watching(false);
        }
    }
}

/// The encoding of WATCH and UNWATCH, sent past `send` so that they do not
/// mark the pooled connection as changed: the WATCH flag tracks them instead.
fn encode(command: crate::Raw<'_, ()>) -> bytes::BytesMut {
    use crate::Command;
    let mut buf = bytes::BytesMut::new();
    let mut w = crate::resp::ArgWriter::begin(&mut buf);
    command.write_args(&mut w);
    w.finish();
    buf
}

impl Deref for Watch {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.connection
    }
}
