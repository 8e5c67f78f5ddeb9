//! The UI's TypeScript types are generated from the Rust types. This test fails when the
//! committed files in `ui/src/bindings/` are stale; `OPSDECK_BLESS_BINDINGS=1 cargo test -p
//! opsdeck-core --test ts_bindings` regenerates them.

use std::path::{Path, PathBuf};

use opsdeck_core::{api, engine, state, status, store};
use ts_rs::TS;

fn export_all(dir: &Path) {
    api::Request::export_all_to(dir).expect("export");
    api::Overview::export_all_to(dir).expect("export");
    api::CheckDetail::export_all_to(dir).expect("export");
    api::History::export_all_to(dir).expect("export");
    api::FigureHistory::export_all_to(dir).expect("export");
    api::QueueList::export_all_to(dir).expect("export");
    api::Stats::export_all_to(dir).expect("export");
    api::ApiError::export_all_to(dir).expect("export");
    api::About::export_all_to(dir).expect("export");
    api::Credentials::export_all_to(dir).expect("export");
    api::CreatedToken::export_all_to(dir).expect("export");
    opsdeck_core::access::Caller::export_all_to(dir).expect("export");
    opsdeck_core::sharing::SharingStatus::export_all_to(dir).expect("export");
    opsdeck_core::toast::DesktopPreferences::export_all_to(dir).expect("export");
    opsdeck_core::estate::EstateFile::export_all_to(dir).expect("export");
    engine::Event::export_all_to(dir).expect("export");
    status::CheckResult::export_all_to(dir).expect("export");
    state::Transition::export_all_to(dir).expect("export");
    store::Uptime::export_all_to(dir).expect("export");
    opsdeck_core::probe::rabbitmq::QueueDetails::export_all_to(dir).expect("export");
    opsdeck_core::alerting::AlertsState::export_all_to(dir).expect("export");
    api::Timeline::export_all_to(dir).expect("export");
    api::ChannelView::export_all_to(dir).expect("export");
    opsdeck_core::alerting::notification::Notification::export_all_to(dir).expect("export");
    opsdeck_core::cab::Board::export_all_to(dir).expect("export");
    opsdeck_core::cab::CabDetail::export_all_to(dir).expect("export");
    opsdeck_core::cab::Uploaded::export_all_to(dir).expect("export");
    opsdeck_core::cab::Promoted::export_all_to(dir).expect("export");
    opsdeck_core::cab::audit::Verification::export_all_to(dir).expect("export");
    api::AuditPage::export_all_to(dir).expect("export");
    api::AuditCsv::export_all_to(dir).expect("export");
    api::CabDownload::export_all_to(dir).expect("export");
    api::EpicorPage::export_all_to(dir).expect("export");
}

fn files(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "ts"))
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read_to_string(e.path()).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn typescript_bindings_are_current() {
    let committed: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings");
    let fresh = tempfile::tempdir().expect("tempdir");
    export_all(fresh.path());
    if std::env::var_os("OPSDECK_BLESS_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&committed);
        std::fs::create_dir_all(&committed).expect("create bindings dir");
        for (name, text) in files(fresh.path()) {
            std::fs::write(committed.join(name), text).expect("write binding");
        }
    }
    assert_eq!(
        files(&committed),
        files(fresh.path()),
        "ui/src/bindings is stale: run OPSDECK_BLESS_BINDINGS=1 cargo test -p opsdeck-core --test ts_bindings"
    );
}
