//! A loopback TLS front for the plain-HTTP stand-ins (moto, the Semaphore stub), so that a child
//! process meets TLS as it does in production: a test-only CA made at run time, a server
//! certificate for `127.0.0.1` and `localhost` signed by it, and a proxy that terminates TLS and
//! forwards the bytes to the stand-in. The child trusts the CA the way a user trusts a company CA:
//! a PEM bundle named by `SSL_CERT_FILE` ([`TestCa::write_bundle`]).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{crypto::aws_lc_rs, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// Where the system's roots are on Debian and Ubuntu; other systems fall back to the CA alone.
const SYSTEM_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// A CA that exists only for this test run, and the server configuration of a certificate it signed.
pub struct TestCa {
    pem: String,
    server: Arc<ServerConfig>,
}

impl TestCa {
    /// A new CA (ECDSA P-256) and a server certificate for `127.0.0.1`, `::1` and `localhost`.
    pub fn generate() -> TestCa {
        let fail = |e: rcgen::Error| -> ! { panic!("test CA: {e}") };
        let ca_key = KeyPair::generate().unwrap_or_else(|e| fail(e));
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap_or_else(|e| fail(e));
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name.push(DnType::CommonName, "agent-stack test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let ca_cert = ca.self_signed(&ca_key).unwrap_or_else(|e| fail(e));
        let issuer = Issuer::new(ca, ca_key);

        let names = ["127.0.0.1", "::1", "localhost"].map(String::from).to_vec();
        let mut leaf = CertificateParams::new(names).unwrap_or_else(|e| fail(e));
        leaf.distinguished_name.push(DnType::CommonName, "localhost");
        leaf.use_authority_key_identifier_extension = true;
        let leaf_key = KeyPair::generate().unwrap_or_else(|e| fail(e));
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap_or_else(|e| fail(e));

        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let server = ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .and_then(|b| b.with_no_client_auth().with_single_cert(vec![leaf_cert.der().clone(), ca_cert.der().clone()], key))
            .unwrap_or_else(|e| panic!("test TLS server config: {e}"));
        TestCa { pem: ca_cert.pem(), server: Arc::new(server) }
    }

    /// The CA certificate, PEM.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// Writes a bundle for `SSL_CERT_FILE`: the system's roots (when found) followed by this CA,
    /// as a user adds a company CA, so that loading it costs what loading the system store costs.
    pub fn write_bundle(&self, path: &Path) {
        let mut bundle = std::fs::read_to_string(SYSTEM_BUNDLE).unwrap_or_default();
        if !bundle.is_empty() && !bundle.ends_with('\n') {
            bundle.push('\n');
        }
        bundle.push_str(&self.pem);
        std::fs::write(path, bundle).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// Starts a TLS front on a free loopback port that forwards to `upstream` (`host:port`).
    pub async fn front(&self, upstream: &str) -> TlsFront {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("bind: {e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("addr: {e}"));
        let (accepted, sent) = (Arc::new(Mutex::new(Vec::new())), Arc::new(Mutex::new(Vec::new())));
        let (acceptor, upstream, seen, log) =
            (TlsAcceptor::from(self.server.clone()), upstream.to_string(), accepted.clone(), sent.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                seen.lock().unwrap_or_else(|p| p.into_inner()).push(Instant::now());
                tokio::spawn(forward(acceptor.clone(), client, upstream.clone(), log.clone()));
            }
        });
        TlsFront { addr, accepted, sent, task }
    }
}

/// One connection: the TLS handshake, then bytes both ways until either side closes. What the
/// client sends is logged with the time it arrived.
async fn forward(acceptor: TlsAcceptor, client: TcpStream, upstream: String, log: Arc<Mutex<Vec<(Instant, String)>>>) {
    let _ = client.set_nodelay(true);
    let Ok(tls) = acceptor.accept(client).await else { return };
    let Ok(plain) = TcpStream::connect(&upstream).await else { return };
    let _ = plain.set_nodelay(true);
    let (mut from_client, mut to_client) = tokio::io::split(tls);
    let (mut from_upstream, mut to_upstream) = plain.into_split();
    let requests = async {
        let mut buf = vec![0u8; 16 * 1024];
        while let Ok(n @ 1..) = from_client.read(&mut buf).await {
            log.lock().unwrap_or_else(|p| p.into_inner()).push((Instant::now(), String::from_utf8_lossy(&buf[..n]).into_owned()));
            if to_upstream.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = to_upstream.shutdown().await;
    };
    let answers = async {
        let _ = tokio::io::copy(&mut from_upstream, &mut to_client).await;
        let _ = to_client.shutdown().await;
    };
    tokio::join!(requests, answers);
}

/// A running TLS front; it stops when dropped.
pub struct TlsFront {
    pub addr: SocketAddr,
    accepted: Arc<Mutex<Vec<Instant>>>,
    sent: Arc<Mutex<Vec<(Instant, String)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl TlsFront {
    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// When each TCP connection was accepted, oldest first.
    pub fn accepted(&self) -> Vec<Instant> {
        self.accepted.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// When bytes containing `marker` (an API action's name, say) first reached the front after `since`.
    pub fn first_sent(&self, marker: &str, since: Instant) -> Option<Instant> {
        let sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        sent.iter().find(|(t, text)| *t >= since && text.contains(marker)).map(|(t, _)| *t)
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.task.abort();
    }
}
