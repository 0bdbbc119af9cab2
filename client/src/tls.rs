//! TLS connections through rustls (ring provider): the server's certificate is
//! verified against the system's roots plus an optional CA of the user's.

use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

use crate::config::Tls;
use crate::error::{Error, ErrorKind, Outcome, Result};

fn tls_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Tls, Outcome::NotSent, message)
}

fn client_config(settings: &Tls) -> Result<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        // A system root rustls cannot use is skipped, as browsers do.
        let _ = roots.add(cert);
    }
    if let Some(path) = &settings.ca_file {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| tls_error(format!("cannot read CA file {}: {e}", path.display())))?;
        if certs.is_empty() {
            return Err(tls_error(format!(
                "no certificate in CA file {}",
                path.display()
            )));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| tls_error(format!("CA file {}: {e}", path.display())))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(e.to_string()))?
        .with_root_certificates(roots);
    match &settings.client_cert {
        None => Ok(builder.with_no_client_auth()),
        Some((cert_path, key_path)) => {
            let certs = CertificateDer::pem_file_iter(cert_path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| {
                    tls_error(format!(
                        "cannot read client certificate {}: {e}",
                        cert_path.display()
                    ))
                })?;
            let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| {
                tls_error(format!(
                    "cannot read client key {}: {e}",
                    key_path.display()
                ))
            })?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| tls_error(format!("client certificate: {e}")))
        }
    }
}

/// Runs the TLS handshake over a connected socket, verifying the server as `host`
/// (or the configured server name).
pub(crate) async fn handshake(
    stream: TcpStream,
    host: &str,
    settings: &Tls,
) -> Result<TlsStream<TcpStream>> {
    let config = client_config(settings)?;
    let name = settings.server_name.as_deref().unwrap_or(host).to_string();
    let server_name = ServerName::try_from(name.clone())
        .map_err(|_| tls_error(format!("`{name}` is not a valid server name")))?;
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(server_name, stream)
        .await
        .map_err(|e| tls_error(format!("TLS handshake with {name} failed: {e}")).with_source(e))
}
