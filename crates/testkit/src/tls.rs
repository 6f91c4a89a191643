//! A loopback TLS front for the plain-HTTP stand-ins (moto, the Semaphore stub), so that a child
//! process meets TLS as it does in production: a test-only CA made at run time, a server
//! certificate for `127.0.0.1` and `localhost` signed by it, and a proxy that terminates TLS and
//! relays HTTP/1.1 requests to the stand-in, keeping the client's connection open as a real
//! endpoint does. The child trusts the CA the way a user trusts a company CA:
//! a PEM bundle named by `SSL_CERT_FILE` ([`TestCa::write_bundle`]).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::CONNECTION;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
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

/// One client connection: the TLS handshake, then HTTP/1.1 requests for as long as the client keeps
/// the connection open, as AWS's and Semaphore's endpoints allow. Each request goes to the stand-in
/// on a connection of its own (moto closes its connection after every answer, which a real endpoint
/// does not), and is logged, with its body, at the time it had fully arrived.
async fn forward(acceptor: TlsAcceptor, client: TcpStream, upstream: String, log: Log) {
    let _ = client.set_nodelay(true);
    let Ok(tls) = acceptor.accept(client).await else { return };
    let relay = service_fn(move |request| relay(request, upstream.clone(), log.clone()));
    let _ = http1::Builder::new().serve_connection(TokioIo::new(tls), relay).await;
}

type Log = Arc<Mutex<Vec<(Instant, String)>>>;
type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Passes one request to the stand-in and its answer back, without the stand-in's
/// `Connection: close`; a stand-in that cannot be reached is a 502.
async fn relay(request: Request<Incoming>, upstream: String, log: Log) -> Result<Response<Full<Bytes>>, Infallible> {
    let answer = async {
        let (mut head, body) = request.into_parts();
        let body = body.collect().await?.to_bytes();
        let mut text = format!("{} {}\n", head.method, head.uri);
        for (name, value) in &head.headers {
            text.push_str(&format!("{name}: {}\n", String::from_utf8_lossy(value.as_bytes())));
        }
        text.push_str(&String::from_utf8_lossy(&body));
        log.lock().unwrap_or_else(|p| p.into_inner()).push((Instant::now(), text));
        head.headers.remove(CONNECTION);
        let stream = TcpStream::connect(&upstream).await?;
        stream.set_nodelay(true)?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        let (mut head, body) = sender.send_request(Request::from_parts(head, Full::new(body))).await?.into_parts();
        let body = body.collect().await?.to_bytes();
        head.headers.remove(CONNECTION);
        Ok::<_, Failure>(Response::from_parts(head, Full::new(body)))
    };
    Ok(answer.await.unwrap_or_else(|e| {
        let mut failed = Response::new(Full::new(Bytes::from(format!("TLS front: {e}"))));
        *failed.status_mut() = StatusCode::BAD_GATEWAY;
        failed
    }))
}

/// A running TLS front; it stops when dropped.
pub struct TlsFront {
    pub addr: SocketAddr,
    accepted: Arc<Mutex<Vec<Instant>>>,
    sent: Log,
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
