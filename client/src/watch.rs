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
        self.connection.send(watch).await?;
        body(self.clone()).await
    }

    /// A MULTI/EXEC transaction on the watched connection. Its `execute` fails
    /// with [`ErrorKind::WatchConflict`](crate::ErrorKind::WatchConflict) when a
    /// watched key changed; [`Client::watching`] then runs the body again.
    pub fn multi(&self) -> Pipeline<'_, ()> {
        self.connection.transaction()
    }

    /// The connection, cleaned for reuse, or `None` when it cannot be trusted
    /// clean. UNWATCH runs always: a body may end without EXEC (an error, an
    /// early return, a transaction built and dropped), and after EXEC it is harmless.
    pub(crate) async fn into_clean(self) -> Option<Client> {
        self.connection.send(crate::cmd::unwatch()).await.ok()?;
        Some(self.connection)
    }
}

impl Deref for Watch {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.connection
    }
}
