use serde_json::json;
use time::macros::date;

use super::sql::{facts_from, BackupRow, DatabaseRow, ServerRow};
use super::*;
use crate::config::Config;

fn spec_with_sql() -> EpicorSpec {
    let config = Config::parse(
        "[[epicor]]\nid = \"erp-live\"\nurl = \"https://erp.example.com/ERP11Live\"\napi = \"v1\"\n\
         username = \"svc\"\npassword = { secret = \"epicor-live\" }\n\
         sql = { host = \"sql01\", database = \"ERP11Live\", username = \"opsdeck_ro\", password = { secret = \"sql-live\" } }\n",
        "t.toml",
    )
    .expect("valid");
    config.epicor[0].spec.clone()
}

/// Rows as SQL Server 2017 CU31 returns them for a healthy Epicor database.
fn rows_2017() -> (ServerRow, DatabaseRow, BackupRow) {
    (
        ServerRow {
            product_version: Some("14.0.3456.2".into()),
            major_version: Some("14".into()),
            product_level: Some("RTM".into()),
            update_level: Some("CU31".into()),
            update_reference: Some("KB5016884".into()),
            edition: Some("Standard Edition (64-bit)".into()),
        },
        DatabaseRow {
            name: Some("ERP11Live".into()),
            compatibility_level: Some(130),
            state: Some("ONLINE".into()),
            recovery_model: Some("FULL".into()),
            data_kb: Some(52_428_800),
            log_kb: Some(4_194_304),
        },
        BackupRow {
            last_full: Some("2026-12-04T22:00:13.000".into()),
            full_age: Some(600),
            last_diff: None,
            diff_age: None,
            last_log: Some("2026-12-05T07:45:00.000".into()),
            log_age: Some(15),
        },
    )
}

fn healthy_info() -> EnvironmentInfo {
    let (s, d, b) = rows_2017();
    let mut info = EnvironmentInfo {
        id: "erp-live".into(),
        name: "Epicor Live".into(),
        url: "https://erp.example.com/ERP11Live".into(),
        version: Some("11.2.400".into()),
        patch_level: Some("11.2.400.12".into()),
        health: vec![
            HealthFact {
                name: "app server".into(),
                ok: true,
                detail: None,
            },
            HealthFact {
                name: "database".into(),
                ok: true,
                detail: Some("answers in 4 ms".into()),
            },
        ],
        companies: vec![Company {
            id: "GHA".into(),
            name: "GHA Ltd".into(),
        }],
        sql: Some(facts_from("sql01:1433", s, d, Some(b))),
        ..EnvironmentInfo::default()
    };
    for p in [
        "sign-in",
        "version",
        "health",
        "companies",
        "solutions",
        "sql",
    ] {
        info.report(p, PartState::Ok, None);
    }
    info
}

#[test]
fn sql_rows_map_to_facts() {
    let (s, d, b) = rows_2017();
    let f = facts_from("sql01:1433", s, d, Some(b));
    assert_eq!(f.product, "SQL Server 2017");
    assert_eq!(f.product_label(), "SQL Server 2017 CU31");
    assert_eq!(f.major_version, Some(14));
    assert_eq!(f.database.compatibility_level, Some(130));
    assert_eq!(f.database.server_compatibility_level, Some(140));
    assert_eq!(f.database.data_mb, Some(51_200));
    assert_eq!(f.database.log_mb, Some(4_096));
    assert_eq!(
        f.database.last_full_backup.as_ref().map(|b| b.age_minutes),
        Some(600)
    );
    assert!(f.database.last_differential_backup.is_none());
    assert_eq!(
        f.lifecycle.as_ref().map(|l| l.extended_end.as_str()),
        Some("2027-10-12")
    );
    // Before 2012 there is no ProductMajorVersion: the version string tells.
    let old = facts_from(
        "sql",
        ServerRow {
            product_version: Some("10.50.6000.34".into()),
            ..ServerRow::default()
        },
        DatabaseRow::default(),
        None,
    );
    assert_eq!(old.major_version, Some(10));
    assert_eq!(old.product, "SQL Server (version 10)");
    assert!(old.lifecycle.is_none());
}

#[test]
fn a_healthy_environment_is_up_with_a_summary() {
    let mut info = healthy_info();
    assess(&mut info, &spec_with_sql(), date!(2026 - 12 - 05));
    assert_eq!(info.status, Status::Up, "{:?}", info.problems);
    assert_eq!(
        info.message,
        "Epicor 11.2.400 (patch 11.2.400.12) · 1 company · 0 solutions · SQL Server 2017 CU31"
    );
    // Compatibility level below the server's, and the approaching end of support, are notes.
    assert!(
        info.warnings
            .iter()
            .any(|w| w.contains("compatibility level 130, below 140")),
        "{:?}",
        info.warnings
    );
    assert!(
        info.warnings
            .iter()
            .any(|w| w.contains("leaves extended support on 2027-10-12")),
        "{:?}",
        info.warnings
    );
}

#[test]
fn old_backups_degrade_then_take_the_environment_down() {
    let spec = spec_with_sql();
    let mut info = healthy_info();
    if let Some(sql) = &mut info.sql {
        sql.database.last_full_backup = Some(sql::BackupTime {
            finished: "2026-12-03T20:00:00.000".into(),
            age_minutes: 30 * 60,
        });
    }
    assess(&mut info, &spec, date!(2026 - 12 - 05));
    assert_eq!(info.status, Status::Degraded);
    assert!(
        info.message
            .contains("finished 1day 6h ago (degraded after 1day 2h)"),
        "{}",
        info.message
    );

    if let Some(sql) = &mut info.sql {
        if let Some(b) = sql.database.last_full_backup.as_mut() {
            b.age_minutes = 60 * 60;
        }
    }
    assess(&mut info, &spec, date!(2026 - 12 - 05));
    assert_eq!(info.status, Status::Down);

    // A recent differential backup counts.
    if let Some(sql) = &mut info.sql {
        sql.database.last_differential_backup = Some(sql::BackupTime {
            finished: "2026-12-05T02:00:00.000".into(),
            age_minutes: 300,
        });
    }
    assess(&mut info, &spec, date!(2026 - 12 - 05));
    assert_eq!(info.status, Status::Up, "{:?}", info.problems);

    // Full recovery model without log backups.
    if let Some(sql) = &mut info.sql {
        sql.database.last_log_backup = None;
    }
    assess(&mut info, &spec, date!(2026 - 12 - 05));
    assert_eq!(info.status, Status::Degraded);
    assert!(info.message.contains("never backed up"), "{}", info.message);

    // No backup at all; a history that cannot be read says so instead.
    if let Some(sql) = &mut info.sql {
        sql.database.recovery_model = "SIMPLE".into();
        sql.database.last_full_backup = None;
        sql.database.last_differential_backup = None;
    }
    assess(&mut info, &spec, date!(2026 - 12 - 05));
    assert_eq!(info.status, Status::Down);
    assert!(
        info.message.contains("no full backup on record"),
        "{}",
        info.message
    );
    if let Some(sql) = &mut info.sql {
        sql.database.backup_history_error = Some("SELECT permission denied on backupset".into());
    }
    assess(&mut info, &spec, date!(2026 - 12 - 05));
    assert_eq!(info.status, Status::Degraded);
    assert!(
        info.message.contains("cannot be checked"),
        "{}",
        info.message
    );
}

#[test]
fn failures_rank_by_what_they_stop() {
    let spec = spec_with_sql();
    let mut info = healthy_info();
    info.health.push(HealthFact {
        name: "report server".into(),
        ok: false,
        detail: Some("no report server".into()),
    });
    assess(&mut info, &spec, date!(2026 - 12 - 05));
    assert_eq!(info.status, Status::Degraded);
    info.health[1].ok = false;
    assess(&mut info, &spec, date!(2026 - 12 - 05));
    assert_eq!(info.status, Status::Down);
    assert!(
        info.message.starts_with("the database is not alive"),
        "{}",
        info.message
    );
    assert!(info.message.ends_with("(and 1 more)"), "{}", info.message);

    // Parts the version lacks are not failures.
    let mut info = healthy_info();
    info.parts
        .retain(|p| p.part != "solutions" && p.part != "health");
    info.report(
        "solutions",
        PartState::NotAvailable,
        Some("not available on this version".into()),
    );
    info.report("health", PartState::NotAvailable, None);
    info.health.clear();
    assess(&mut info, &spec, date!(2026 - 12 - 05));
    assert_eq!(info.status, Status::Up, "{:?}", info.problems);
    assert!(!info.message.contains("solutions"), "{}", info.message);

    // SQL Server that cannot be asked: the ERP still answers, so degraded.
    let mut info = healthy_info();
    info.sql = None;
    info.parts.retain(|p| p.part != "sql");
    info.report("sql", PartState::Failed, Some("connection refused".into()));
    assess(&mut info, &spec, date!(2026 - 12 - 05));
    assert_eq!(info.status, Status::Degraded);
    assert_eq!(info.message, "SQL Server: connection refused");
}

#[test]
fn rest_shapes_are_read_as_epicor_sends_them() {
    // TokenResource.svc: JSON in either casing, or XML.
    assert_eq!(
        rest::token_of(br#"{"AccessToken":"abc","ExpiresIn":3600,"TokenType":"Bearer"}"#),
        Some(("abc".into(), Some(3600)))
    );
    assert_eq!(
        rest::token_of(br#"{"accessToken":"abc","expiresIn":"1200"}"#),
        Some(("abc".into(), Some(1200)))
    );
    assert_eq!(
        rest::token_of(b"<Token><AccessToken>xyz</AccessToken><ExpiresIn>60</ExpiresIn></Token>"),
        Some(("xyz".into(), Some(60)))
    );
    assert_eq!(rest::token_of(br#"{"AccessToken":""}"#), None);

    let rows = vec![
        json!({"SystemCode":"ICE","SystemVersion":"4.2.400","ReleaseOrder":0}),
        json!({"SystemCode":"ERP","SystemVersion":"11.2.300","ReleaseOrder":1}),
        json!({"SystemCode":"ERP","SystemVersion":"11.2.400","ReleaseOrder":2}),
    ];
    assert_eq!(rest::version_of(&rows).as_deref(), Some("11.2.400"));

    let err = br#"{"HttpStatus":400,"ReasonPhrase":"REST Api Exception","ErrorMessage":"Part is required.","ErrorType":"Ice.Common.BusinessObjectException","CorrelationId":"c0ffee"}"#;
    assert_eq!(
        rest::error_of(err).as_deref(),
        Some("Part is required. (correlation id c0ffee)")
    );
    assert_eq!(
        rest::error_of(br#"{"Message":"No HTTP resource was found"}"#).as_deref(),
        Some("No HTTP resource was found")
    );

    let solutions = rest::installed_solutions(&json!([
        {"CompanyID":"GHA","SolutionID":"GHA_Parts","Description":"Part mods","FileName":"C:\\CABs\\GHA_Parts_v3.cab",
         "BuildIteration":3,"SolutionReference":"","ChangedBy":"manager","ChangedOn":"2026-11-30T10:00:00"},
        {"CompanyID":"GHA","SolutionID":"","FileName":"junk.cab"},
        {"CompanyID":"GHA","SolutionID":"GHA_Orders","BuildIteration":"7","FileName":null}
    ]));
    assert_eq!(solutions.len(), 2);
    assert_eq!(solutions[0].build_iteration, Some(3));
    assert_eq!(solutions[1].build_iteration, Some(7));
    assert_eq!(solutions[1].file_name, "");
    // The same rows inside a tableset.
    let in_tableset = rest::installed_solutions(&json!({"SolutionList": [
        {"CompanyID":"GHA","SolutionID":"GHA_Parts","BuildIteration":3}
    ]}));
    assert_eq!(in_tableset.len(), 1);
}

#[test]
fn comparison_flags_drift_and_links_solutions_to_cabs() {
    let mut test = healthy_info();
    test.id = "erp-test".into();
    test.patch_level = Some("11.2.400.14".into());
    test.solutions = vec![
        InstalledSolution {
            solution_id: "GHA_Parts".into(),
            file_name: "C:\\CABs\\GHA_Parts_v4.cab".into(),
            build_iteration: Some(4),
            ..InstalledSolution::default()
        },
        InstalledSolution {
            solution_id: "GHA_Orders".into(),
            build_iteration: Some(2),
            ..InstalledSolution::default()
        },
    ];
    let mut live = healthy_info();
    live.solutions = vec![InstalledSolution {
        solution_id: "gha_parts".into(),
        file_name: "GHA_Parts_v3.cab".into(),
        build_iteration: Some(3),
        ..InstalledSolution::default()
    }];
    let mut dark = healthy_info();
    dark.id = "erp-dev".into();
    dark.parts.retain(|p| p.part != "solutions");
    dark.report("solutions", PartState::NotAvailable, None);
    let cabs = vec!["GHA_Parts_v4.cab".to_string(), "GHA_Orders.cab".to_string()];
    let c = drift::compare(&[test, live, dark], &cabs);
    assert_eq!(c.columns, ["erp-test", "erp-live", "erp-dev"]);
    let patch = c
        .facts
        .iter()
        .find(|f| f.label == "Patch level")
        .expect("row");
    assert!(patch.drift);
    let version = c
        .facts
        .iter()
        .find(|f| f.label == "Epicor version")
        .expect("row");
    assert!(!version.drift);
    assert_eq!(c.solutions.len(), 2);
    let orders = &c.solutions[0];
    assert_eq!(orders.solution_id, "GHA_Orders");
    // Missing in Live; Dev's list is unknown, so it is not counted as missing.
    assert_eq!(orders.missing_in, ["erp-live"]);
    assert_eq!(orders.cab.as_deref(), Some("GHA_Orders.cab"));
    let parts = &c.solutions[1];
    assert!(parts.drift);
    assert_eq!(
        parts.values[0].as_deref(),
        Some("build 4 · GHA_Parts_v4.cab")
    );
    assert_eq!(
        parts.values[1].as_deref(),
        Some("build 3 · GHA_Parts_v3.cab")
    );
    assert_eq!(parts.values[2], None);
    assert_eq!(parts.cab.as_deref(), Some("GHA_Parts_v4.cab"));
}
