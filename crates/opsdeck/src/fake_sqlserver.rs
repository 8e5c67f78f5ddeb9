//! A small fake of SQL Server speaking TDS 7.4 (no SQL Server can run here), enough for
//! opsdeck's three read-only queries: PRELOGIN (answering that it has no TLS, or that it
//! requires it), LOGIN7 (checking the user and the password, refusing with error 18456 as SQL
//! Server does), and SQL batches answered with COLMETADATA, ROW and DONE tokens by recognising
//! which of opsdeck's queries was sent. The token layouts follow Microsoft's [MS-TDS]
//! specification. It runs no SQL: anything else is refused with error 208, as an unknown object.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the fake server is, and how it behaves.
#[derive(Debug, Clone)]
pub struct FakeSqlServer {
    pub username: String,
    pub password: String,
    /// `14.0.3456.2`
    pub product_version: String,
    pub product_level: String,
    /// `CU31`, or none.
    pub update_level: Option<String>,
    pub update_reference: Option<String>,
    pub edition: String,
    pub database: String,
    pub compatibility_level: i32,
    pub state: String,
    pub recovery_model: String,
    pub data_kb: i64,
    pub log_kb: i64,
    /// (finished, as the server formats it; age in minutes) of the last full, differential
    /// and log backup.
    pub last_full: Option<(String, i32)>,
    pub last_diff: Option<(String, i32)>,
    pub last_log: Option<(String, i32)>,
    /// The login may not read `msdb.dbo.backupset` (error 229).
    pub deny_backup_history: bool,
    /// Answer PRELOGIN with "encryption required" (and then speak no TLS).
    pub require_encryption: bool,
    /// Added before every answer, as a server far away or busy.
    pub delay: std::time::Duration,
}

impl FakeSqlServer {
    /// SQL Server 2017 CU31 with a healthy Epicor database backed up ten hours ago.
    pub fn sql2017(username: &str, password: &str, database: &str) -> Self {
        FakeSqlServer {
            username: username.into(),
            password: password.into(),
            product_version: "14.0.3456.2".into(),
            product_level: "RTM".into(),
            update_level: Some("CU31".into()),
            update_reference: Some("KB5016884".into()),
            edition: "Standard Edition (64-bit)".into(),
            database: database.into(),
            compatibility_level: 140,
            state: "ONLINE".into(),
            recovery_model: "FULL".into(),
            data_kb: 52_428_800,
            log_kb: 4_194_304,
            last_full: Some(("2026-12-04T22:00:13.000".into(), 600)),
            last_diff: None,
            last_log: Some(("2026-12-05T07:45:00.000".into(), 15)),
            deny_backup_history: false,
            require_encryption: false,
            delay: std::time::Duration::ZERO,
        }
    }
}

/// A running fake; dropping it stops it.
#[derive(Debug)]
pub struct RunningSqlServer {
    pub addr: SocketAddr,
    state: Arc<Mutex<FakeSqlServer>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RunningSqlServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RunningSqlServer {
    pub async fn start(server: FakeSqlServer, ip: IpAddr) -> std::io::Result<RunningSqlServer> {
        let listener = TcpListener::bind(SocketAddr::new(ip, 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(server));
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let snapshot = shared.lock().unwrap_or_else(|p| p.into_inner()).clone();
                tokio::spawn(async move {
                    let _ = session(stream, snapshot).await;
                });
            }
        });
        Ok(RunningSqlServer { addr, state, task })
    }

    /// Change the server for the connections that follow.
    pub fn update(&self, change: impl FnOnce(&mut FakeSqlServer)) {
        change(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()));
    }
}

// Packet types ([MS-TDS] 2.2.3.1.1).
const SQL_BATCH: u8 = 0x01;
const TABULAR_RESULT: u8 = 0x04;
const LOGIN7: u8 = 0x10;
const PRELOGIN: u8 = 0x12;

/// One message from the client: its packet type and payload (packets joined until EOM).
async fn read_message(stream: &mut TcpStream) -> std::io::Result<(u8, Vec<u8>)> {
    let mut payload = Vec::new();
    loop {
        let mut header = [0u8; 8];
        stream.read_exact(&mut header).await?;
        let length = u16::from_be_bytes([header[2], header[3]]) as usize;
        let mut body = vec![0u8; length.saturating_sub(8)];
        stream.read_exact(&mut body).await?;
        payload.extend_from_slice(&body);
        if header[1] & 0x01 == 0x01 {
            return Ok((header[0], payload));
        }
    }
}

async fn answer_after(
    stream: &mut TcpStream,
    server: &FakeSqlServer,
    payload: &[u8],
) -> std::io::Result<()> {
    if !server.delay.is_zero() {
        tokio::time::sleep(server.delay).await;
    }
    write_message(stream, payload).await
}

async fn write_message(stream: &mut TcpStream, payload: &[u8]) -> std::io::Result<()> {
    // One packet per 4,000 bytes, as the default packet size allows.
    let chunks: Vec<&[u8]> = payload.chunks(4000).collect();
    let last = chunks.len().saturating_sub(1);
    for (i, chunk) in chunks.iter().enumerate() {
        let mut packet = Vec::with_capacity(chunk.len() + 8);
        packet.push(TABULAR_RESULT);
        packet.push(if i == last { 0x01 } else { 0x00 });
        packet.extend_from_slice(&((chunk.len() + 8) as u16).to_be_bytes());
        packet.extend_from_slice(&[0, 0, (i + 1) as u8, 0]);
        packet.extend_from_slice(chunk);
        stream.write_all(&packet).await?;
    }
    if payload.is_empty() {
        stream
            .write_all(&[TABULAR_RESULT, 0x01, 0, 8, 0, 0, 1, 0])
            .await?;
    }
    stream.flush().await
}

async fn session(mut stream: TcpStream, server: FakeSqlServer) -> std::io::Result<()> {
    let (kind, _) = read_message(&mut stream).await?;
    if kind != PRELOGIN {
        return Ok(());
    }
    answer_after(
        &mut stream,
        &server,
        &prelogin_response(server.require_encryption),
    )
    .await?;
    let (kind, payload) = read_message(&mut stream).await?;
    if kind != LOGIN7 {
        // A TLS handshake inside PRELOGIN packets: this server speaks no TLS, and hangs up.
        return Ok(());
    }
    let (user, password) = login_credentials(&payload);
    if user != server.username || password != server.password {
        let mut out = error_token(18456, 14, &format!("Login failed for user '{user}'."));
        out.extend(done(0x0002, 0));
        answer_after(&mut stream, &server, &out).await?;
        return Ok(());
    }
    let mut out = login_ack();
    out.extend(done(0, 0));
    answer_after(&mut stream, &server, &out).await?;
    loop {
        let (kind, payload) = read_message(&mut stream).await?;
        if kind != SQL_BATCH {
            continue;
        }
        let text = batch_text(&payload);
        answer_after(&mut stream, &server, &answer(&server, &text)).await?;
    }
}

fn prelogin_response(require_encryption: bool) -> Vec<u8> {
    // Options: VERSION (6 bytes), ENCRYPTION (1), INSTOPT (1), THREADID (0), MARS (1).
    let options: [(u8, Vec<u8>); 5] = [
        (0x00, vec![14, 0, 0x0D, 0x80, 0, 0]),
        (0x01, vec![if require_encryption { 0x03 } else { 0x02 }]),
        (0x02, vec![0]),
        (0x03, Vec::new()),
        (0x04, vec![0]),
    ];
    let mut offset = options.len() * 5 + 1;
    let mut head = Vec::new();
    let mut data = Vec::new();
    for (token, value) in &options {
        head.push(*token);
        head.extend_from_slice(&(offset as u16).to_be_bytes());
        head.extend_from_slice(&(value.len() as u16).to_be_bytes());
        offset += value.len();
        data.extend_from_slice(value);
    }
    head.push(0xFF);
    head.extend(data);
    head
}

fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn from_utf16(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

/// The user name and password of a LOGIN7 message ([MS-TDS] 2.2.6.4): offsets and lengths (in
/// characters) at 40 and 44; the password's bytes are obfuscated (nibbles swapped, XOR 0xA5).
fn login_credentials(payload: &[u8]) -> (String, String) {
    let field = |at: usize| -> Vec<u8> {
        let Some(pair) = payload.get(at..at + 4) else {
            return Vec::new();
        };
        let offset = u16::from_le_bytes([pair[0], pair[1]]) as usize;
        let chars = u16::from_le_bytes([pair[2], pair[3]]) as usize;
        payload
            .get(offset..offset + chars * 2)
            .map(<[u8]>::to_vec)
            .unwrap_or_default()
    };
    let user = from_utf16(&field(40));
    let password: Vec<u8> = field(44)
        .into_iter()
        .map(|b| {
            let b = b ^ 0xA5;
            b.rotate_left(4)
        })
        .collect();
    (user, from_utf16(&password))
}

/// The SQL text of a batch: after ALL_HEADERS, whose total length comes first.
fn batch_text(payload: &[u8]) -> String {
    let skip = payload
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .unwrap_or(0);
    from_utf16(payload.get(skip..).unwrap_or_default())
}

fn b_varchar(text: &str) -> Vec<u8> {
    let mut out = vec![text.encode_utf16().count() as u8];
    out.extend(utf16(text));
    out
}

fn us_varchar(text: &str) -> Vec<u8> {
    let mut out = (text.encode_utf16().count() as u16).to_le_bytes().to_vec();
    out.extend(utf16(text));
    out
}

fn login_ack() -> Vec<u8> {
    let mut body = vec![0x01];
    body.extend_from_slice(&0x7400_0004u32.to_be_bytes());
    body.extend(b_varchar("Microsoft SQL Server"));
    body.extend_from_slice(&[14, 0, 0x0D, 0x80]);
    let mut out = vec![0xAD];
    out.extend_from_slice(&(body.len() as u16).to_le_bytes());
    out.extend(body);
    out
}

fn error_token(number: i32, class: u8, message: &str) -> Vec<u8> {
    let mut body = number.to_le_bytes().to_vec();
    body.push(1);
    body.push(class);
    body.extend(us_varchar(message));
    body.extend(b_varchar("SQL01"));
    body.extend(b_varchar(""));
    body.extend_from_slice(&1i32.to_le_bytes());
    let mut out = vec![0xAA];
    out.extend_from_slice(&(body.len() as u16).to_le_bytes());
    out.extend(body);
    out
}

fn done(status: u16, rows: u64) -> Vec<u8> {
    let mut out = vec![0xFD];
    out.extend_from_slice(&status.to_le_bytes());
    out.extend_from_slice(&0xC1u16.to_le_bytes());
    out.extend_from_slice(&rows.to_le_bytes());
    out
}

/// A value of one result column.
enum Cell {
    Text(Option<String>),
    Int(Option<i32>),
    BigInt(Option<i64>),
}

impl Cell {
    fn type_info(&self) -> Vec<u8> {
        match self {
            // NVARCHAR(4000) with a Latin1_General collation.
            Cell::Text(_) => vec![0xE7, 0x40, 0x1F, 0x09, 0x04, 0xD0, 0x00, 0x34],
            Cell::Int(_) => vec![0x26, 4],
            Cell::BigInt(_) => vec![0x26, 8],
        }
    }

    fn value(&self) -> Vec<u8> {
        match self {
            Cell::Text(None) => vec![0xFF, 0xFF],
            Cell::Text(Some(t)) => {
                let bytes = utf16(t);
                let mut out = (bytes.len() as u16).to_le_bytes().to_vec();
                out.extend(bytes);
                out
            }
            Cell::Int(None) | Cell::BigInt(None) => vec![0],
            Cell::Int(Some(v)) => {
                let mut out = vec![4];
                out.extend_from_slice(&v.to_le_bytes());
                out
            }
            Cell::BigInt(Some(v)) => {
                let mut out = vec![8];
                out.extend_from_slice(&v.to_le_bytes());
                out
            }
        }
    }
}

/// One result set of one row.
fn one_row(columns: Vec<(&str, Cell)>) -> Vec<u8> {
    let mut out = vec![0x81];
    out.extend_from_slice(&(columns.len() as u16).to_le_bytes());
    for (name, cell) in &columns {
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&0x0001u16.to_le_bytes()); // nullable
        out.extend(cell.type_info());
        out.extend(b_varchar(name));
    }
    out.push(0xD1);
    for (_, cell) in &columns {
        out.extend(cell.value());
    }
    out.extend(done(0x0010, 1));
    out
}

fn answer(s: &FakeSqlServer, sql: &str) -> Vec<u8> {
    let text = |v: &str| Cell::Text(Some(v.to_string()));
    if sql.contains("SERVERPROPERTY('ProductVersion')") {
        let major = s.product_version.split('.').next().unwrap_or_default();
        return one_row(vec![
            ("product_version", text(&s.product_version)),
            ("major_version", text(major)),
            ("product_level", text(&s.product_level)),
            ("update_level", Cell::Text(s.update_level.clone())),
            ("update_reference", Cell::Text(s.update_reference.clone())),
            ("edition", text(&s.edition)),
        ]);
    }
    if sql.contains("FROM sys.databases") {
        return one_row(vec![
            ("name", text(&s.database)),
            (
                "compatibility_level",
                Cell::Int(Some(s.compatibility_level)),
            ),
            ("state", text(&s.state)),
            ("recovery_model", text(&s.recovery_model)),
            ("data_kb", Cell::BigInt(Some(s.data_kb))),
            ("log_kb", Cell::BigInt(Some(s.log_kb))),
        ]);
    }
    if sql.contains("msdb.dbo.backupset") {
        if s.deny_backup_history {
            let mut out = error_token(
                229,
                14,
                "The SELECT permission was denied on the object 'backupset', database 'msdb', schema 'dbo'.",
            );
            out.extend(done(0x0002, 0));
            return out;
        }
        let at = |b: &Option<(String, i32)>| Cell::Text(b.as_ref().map(|(t, _)| t.clone()));
        let age = |b: &Option<(String, i32)>| Cell::Int(b.as_ref().map(|(_, a)| *a));
        return one_row(vec![
            ("last_full", at(&s.last_full)),
            ("full_age", age(&s.last_full)),
            ("last_diff", at(&s.last_diff)),
            ("diff_age", age(&s.last_diff)),
            ("last_log", at(&s.last_log)),
            ("log_age", age(&s.last_log)),
        ]);
    }
    let mut out = error_token(208, 16, "Invalid object name.");
    out.extend(done(0x0002, 0));
    out
}
