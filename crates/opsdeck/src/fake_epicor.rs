//! A protocol-faithful fake of the Epicor REST API (no Epicor server can run here), built from
//! the documented shapes: REST v1 at `/{instance}/api/v1/{Service}/{Method or EntitySet}`,
//! REST v2 at `/{instance}/api/v2/odata/{Company}/{Service}/…` with `x-api-key` required on
//! every call, Basic auth or a bearer token from `/{instance}/TokenResource.svc/`, OData
//! collections as `{ "value": [...] }` (v1 with `odata.metadata`, v2 with `@odata.context`),
//! method calls as `{ "returnObj": …, "parameters": {} }`, and errors as Epicor's error body
//! (`HttpStatus`, `ReasonPhrase`, `ErrorMessage`, `ErrorType`, `CorrelationId`). A service
//! the version lacks answers 404 as ASP.NET Web API does. Service names match in any case,
//! as on a real server. One fake serves many instances, each with its own behaviour.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine as _;
use serde_json::{json, Value};

/// One Epicor instance (`/{instance}`) and how it behaves.
#[derive(Debug, Clone)]
pub struct FakeInstance {
    pub instance: String,
    /// Whether REST v2 is there (10.2.700 and later).
    pub v2: bool,
    pub version: String,
    pub app_patch: String,
    pub framework_patch: String,
    pub username: String,
    pub password: String,
    /// Required on every v2 call.
    pub api_key: String,
    /// Whether `TokenResource.svc` issues tokens.
    pub token_auth: bool,
    pub token_lifetime: Duration,
    pub companies: Vec<(String, String)>,
    /// `GetInstalledSolutions` rows.
    pub solutions: Vec<Value>,
    /// Whether the version has `HealthCheckSvc`, `ProductVersionSvc` and
    /// `ExportPackageSvc.GetInstalledSolutions` (older 10.x lack them).
    pub has_health: bool,
    pub has_product_versions: bool,
    pub has_installed_solutions: bool,
    pub app_alive: bool,
    pub database_alive: bool,
    pub report_server_alive: bool,
    /// Added before every answer.
    pub delay: Duration,
    /// Every call fails with this status and an Epicor error body.
    pub fail_with: Option<u16>,
    /// Accept and never answer.
    pub hang: bool,
    /// Answer every call with an HTML page and 200, as a proxy's sign-in page does.
    pub html_instead: bool,
    /// With `fail_with`: quote the request's credentials in the error, as a careless debug
    /// page does.
    pub echo_credentials: bool,
}

impl FakeInstance {
    /// A healthy Kinetic instance with REST v1 and v2.
    pub fn kinetic(instance: &str, username: &str, password: &str, api_key: &str) -> Self {
        FakeInstance {
            instance: instance.to_string(),
            v2: true,
            version: "11.2.400".into(),
            app_patch: "11.2.400.12".into(),
            framework_patch: "4.2.400.12".into(),
            username: username.into(),
            password: password.into(),
            api_key: api_key.into(),
            token_auth: true,
            token_lifetime: Duration::from_secs(3600),
            companies: vec![("GHA".into(), "GHA Ltd".into())],
            solutions: Vec::new(),
            has_health: true,
            has_product_versions: true,
            has_installed_solutions: true,
            app_alive: true,
            database_alive: true,
            report_server_alive: true,
            delay: Duration::ZERO,
            fail_with: None,
            hang: false,
            html_instead: false,
            echo_credentials: false,
        }
    }

    /// An older Epicor 10.1 on premises: REST v1 only, no health or installed-solution
    /// methods, no product-version service.
    pub fn epicor_10_1(instance: &str, username: &str, password: &str) -> Self {
        FakeInstance {
            v2: false,
            version: "10.1.600".into(),
            app_patch: "10.1.600.18".into(),
            framework_patch: "3.1.600.18".into(),
            token_auth: false,
            has_health: false,
            has_product_versions: false,
            has_installed_solutions: false,
            ..FakeInstance::kinetic(instance, username, password, "")
        }
    }
}

/// A solution row as `GetInstalledSolutions` lists it.
pub fn solution(company: &str, id: &str, file: &str, build: i64, by: &str, on: &str) -> Value {
    json!({
        "CompanyID": company, "SolutionID": id, "Description": format!("{id} customisations"),
        "FileName": file, "BuildIteration": build, "SolutionReference": "",
        "ChangedBy": by, "ChangedOn": on,
    })
}

#[derive(Debug, Default)]
struct Shared {
    instances: Mutex<HashMap<String, FakeInstance>>,
    tokens: Mutex<HashMap<String, (String, Instant)>>,
    /// Requests seen, as `METHOD path`, for tests.
    log: Mutex<Vec<String>>,
}

/// A running fake; dropping it stops it.
#[derive(Debug)]
pub struct FakeEpicor {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeEpicor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeEpicor {
    pub async fn start(instances: Vec<FakeInstance>, ip: IpAddr) -> std::io::Result<FakeEpicor> {
        let shared = Arc::new(Shared::default());
        {
            let mut map = shared.instances.lock().unwrap_or_else(|p| p.into_inner());
            for i in instances {
                map.insert(i.instance.to_ascii_lowercase(), i);
            }
        }
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, 0)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeEpicor { addr, shared, task })
    }

    /// The `url` of an instance, as `[[epicor]]` takes it.
    pub fn url(&self, instance: &str) -> String {
        format!("http://{}/{instance}", self.addr)
    }

    /// Change an instance while it runs.
    pub fn update(&self, instance: &str, change: impl FnOnce(&mut FakeInstance)) {
        let mut map = self
            .shared
            .instances
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(i) = map.get_mut(&instance.to_ascii_lowercase()) {
            change(i);
        }
    }

    /// Let every issued token lapse, as after the server's token lifetime.
    pub fn expire_tokens(&self) {
        self.shared
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Requests seen so far (`POST /Live/TokenResource.svc/` …).
    pub fn requests(&self) -> Vec<String> {
        self.shared
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

fn error(status: u16, message: &str, kind: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        code,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        json!({
            "HttpStatus": status,
            "ReasonPhrase": "REST Api Exception",
            "ErrorMessage": message,
            "ErrorType": kind,
            "CorrelationId": "7d0c5e0e-6c1a-4f3e-9a55-2f1b1f6f0a11",
            "ErrorDetails": [ { "Message": message, "Type": "Error", "Table": "", "Field": "", "Program": "", "Method": "" } ],
        })
        .to_string(),
    )
        .into_response()
}

fn not_found(uri: &Uri) -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        json!({ "Message": format!("No HTTP resource was found that matches the request URI '{uri}'.") })
            .to_string(),
    )
        .into_response()
}

fn ok(body: Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    _body: Bytes,
) -> Response {
    shared
        .log
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(format!("{method} {}", uri.path()));
    let segments: Vec<String> = uri
        .path()
        .trim_matches('/')
        .split('/')
        .map(|s| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        })
        .collect();
    let Some(instance_name) = segments.first() else {
        return not_found(&uri);
    };
    let Some(inst) = shared
        .instances
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&instance_name.to_ascii_lowercase())
        .cloned()
    else {
        return not_found(&uri);
    };
    if inst.hang {
        std::future::pending::<()>().await;
    }
    if !inst.delay.is_zero() {
        tokio::time::sleep(inst.delay).await;
    }
    let rest: Vec<&str> = segments[1..].iter().map(String::as_str).collect();
    let lower: Vec<String> = rest.iter().map(|s| s.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();

    // Token sign-in.
    if lower.first() == Some(&"tokenresource.svc") {
        if method != Method::POST {
            return error(
                405,
                "The requested resource does not support http method 'GET'.",
                "",
            );
        }
        if !inst.token_auth {
            return not_found(&uri);
        }
        let user = headers.get("username").and_then(|v| v.to_str().ok());
        let pass = headers.get("password").and_then(|v| v.to_str().ok());
        if user != Some(inst.username.as_str()) || pass != Some(inst.password.as_str()) {
            return error(
                401,
                "Incorrect username or password.",
                "Ice.Common.UnauthorizedAccessException",
            );
        }
        let token = format!("tok-{:016x}", rand::random::<u64>());
        shared
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                token.clone(),
                (inst.instance.clone(), Instant::now() + inst.token_lifetime),
            );
        return ok(json!({
            "AccessToken": token,
            "ExpiresIn": inst.token_lifetime.as_secs(),
            "RefreshToken": "",
            "TokenType": "Bearer",
        }));
    }

    // `api/v1/{Service}/{tail}` or `api/v2/odata/{Company}/{Service}/{tail}`.
    let (v2, service, tail) = match lower.as_slice() {
        ["api", "v1", svc, tail] => (false, svc.to_string(), tail.to_string()),
        ["api", "v2", "odata", _company, svc, tail] => (true, svc.to_string(), tail.to_string()),
        _ => return not_found(&uri),
    };
    if v2 && !inst.v2 {
        return not_found(&uri);
    }
    // Authentication: Basic or a bearer token this instance issued; v2 also needs the key.
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let signed_in = if let Some(b64) = authorization.strip_prefix("Basic ") {
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .is_some_and(|pair| pair == format!("{}:{}", inst.username, inst.password))
    } else if let Some(token) = authorization.strip_prefix("Bearer ") {
        shared
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(token)
            .is_some_and(|(i, until)| *i == inst.instance && Instant::now() < *until)
    } else {
        false
    };
    if v2 {
        let key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
        if key != Some(inst.api_key.as_str()) {
            return error(
                401,
                "Invalid API Key.",
                "Ice.Common.UnauthorizedAccessException",
            );
        }
    }
    if !signed_in {
        return error(401, "Authorization has been denied for this request.", "");
    }
    if inst.html_instead {
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!DOCTYPE html><html><head><title>Sign in</title></head><body>Sign in to continue</body></html>",
        )
            .into_response();
    }
    if let Some(status) = inst.fail_with {
        let mut message = "We apologize, but an unexpected internal problem occurred.".to_string();
        if inst.echo_credentials {
            let key = headers
                .get("x-api-key")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            message.push_str(&format!(
                " Request: Authorization: {authorization}; x-api-key: {key}; password {}",
                inst.password
            ));
        }
        return error(status, &message, "Ice.Common.ServerException");
    }
    let collection = |rows: Vec<Value>, set: &str| {
        let mut body = json!({ "value": rows });
        if v2 {
            body["@odata.context"] = json!(format!("{}/$metadata#{set}", uri.path()));
        } else {
            body["odata.metadata"] =
                json!(format!("{}/$metadata#Epicor.RestApi.{set}", uri.path()));
        }
        ok(body)
    };
    let method_result = |value: Value| ok(json!({ "returnObj": value, "parameters": {} }));
    let is_post = method == Method::POST;
    match (service.as_str(), tail.as_str(), is_post) {
        ("ice.lib.sessionmodsvc", "getpatchlevel", true) => {
            method_result(json!(inst.framework_patch))
        }
        ("ice.lib.sessionmodsvc", "getpatchlevelapp", true) => method_result(json!(inst.app_patch)),
        ("ice.bo.productversionsvc", "productversions", false) if inst.has_product_versions => {
            collection(
                vec![
                    json!({"SystemCode":"ICE","SystemVersion":inst.framework_patch,"ReleaseOrder":0,"ReleaseDate":"2023-09-01T00:00:00","SysRevID":0,"SysRowID":"00000000-0000-0000-0000-000000000000","BitFlag":0,"RowMod":""}),
                    json!({"SystemCode":"ERP","SystemVersion":inst.version,"ReleaseOrder":1,"ReleaseDate":"2023-09-01T00:00:00","SysRevID":0,"SysRowID":"00000000-0000-0000-0000-000000000001","BitFlag":0,"RowMod":""}),
                ],
                "ProductVersions",
            )
        }
        ("ice.bo.companysvc", "companies", false) => collection(
            inst.companies
                .iter()
                .map(|(id, name)| json!({ "Company1": id, "Name": name, "SysRowID": "00000000-0000-0000-0000-000000000000" }))
                .collect(),
            "Companies",
        ),
        ("ice.bo.healthchecksvc", "erpalive", true) if inst.has_health => {
            if inst.app_alive {
                method_result(json!(true))
            } else {
                error(500, "The application server is not responding.", "Ice.Common.ServerException")
            }
        }
        ("ice.bo.healthchecksvc", "databasealive", true) if inst.has_health => {
            if inst.database_alive {
                method_result(json!(4))
            } else {
                error(500, "A network-related or instance-specific error occurred while establishing a connection to SQL Server.", "Ice.Common.ServerException")
            }
        }
        ("ice.bo.healthchecksvc", "reportserveralive", true) if inst.has_health => {
            if inst.report_server_alive {
                method_result(json!(true))
            } else {
                error(500, "The report server did not answer.", "Ice.Common.ServerException")
            }
        }
        ("ice.bo.exportpackagesvc", "getinstalledsolutions", true)
            if inst.has_installed_solutions =>
        {
            method_result(Value::Array(inst.solutions.clone()))
        }
        _ => not_found(&uri),
    }
}
