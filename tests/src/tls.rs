//! Test certificates, generated at test time: a CA, a server certificate for
//! `localhost` and `127.0.0.1`, and a client certificate, all signed by the CA.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use tempfile::TempDir;

/// PEM files for a TLS test: pass to [`ServerBuilder::tls`](crate::ServerBuilder::tls)
/// and point the client at [`ca`](Self::ca) (and the client pair).
///
/// ```no_run
/// let files = redtyped_tests::TlsFiles::generate();
/// let server = redtyped_tests::Server::builder().tls(&files).start();
/// let url = format!("rediss://127.0.0.1:{}?tls_ca={}", server.tls_port().unwrap(), files.ca().display());
/// # let _ = url;
/// ```
#[derive(Debug)]
pub struct TlsFiles {
    dir: TempDir,
}

fn write(dir: &Path, name: &str, pem: &str) {
    std::fs::write(dir.join(name), pem).unwrap_or_else(|e| panic!("writing {name}: {e}"));
}

impl TlsFiles {
    /// Generates a fresh CA with a server and a client certificate.
    pub fn generate() -> TlsFiles {
        let dir = tempfile::Builder::new()
            .prefix("redtyped-tls-")
            .tempdir()
            .expect("temp dir");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "redtyped test CA");
        let ca_key = KeyPair::generate().expect("CA key");
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
        write(dir.path(), "ca.pem", &ca_cert.pem());
        let issuer = Issuer::new(ca_params, ca_key);

        let server_params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .expect("server params");
        let server_key = KeyPair::generate().expect("server key");
        let server_cert = server_params
            .signed_by(&server_key, &issuer)
            .expect("server certificate");
        write(dir.path(), "server.pem", &server_cert.pem());
        write(dir.path(), "server.key", &server_key.serialize_pem());

        let mut client_params =
            CertificateParams::new(Vec::<String>::new()).expect("client params");
        client_params
            .distinguished_name
            .push(DnType::CommonName, "redtyped test client");
        let client_key = KeyPair::generate().expect("client key");
        let client_cert = client_params
            .signed_by(&client_key, &issuer)
            .expect("client certificate");
        write(dir.path(), "client.pem", &client_cert.pem());
        write(dir.path(), "client.key", &client_key.serialize_pem());
        TlsFiles { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The CA certificate (PEM).
    pub fn ca(&self) -> PathBuf {
        self.path("ca.pem")
    }

    /// The server certificate and key (PEM).
    pub fn server(&self) -> (PathBuf, PathBuf) {
        (self.path("server.pem"), self.path("server.key"))
    }

    /// The client certificate and key (PEM).
    pub fn client(&self) -> (PathBuf, PathBuf) {
        (self.path("client.pem"), self.path("client.key"))
    }
}
