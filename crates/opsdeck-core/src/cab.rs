//! The CAB file release workflow: CAB files (Epicor Solution Workbench packages) kept in a
//! Bitbucket repository, installed in test environments, approved, and promoted to the
//! restricted "GHA Mods - New CABs" destination. This part talks to Bitbucket; the catalogue,
//! approvals, promotion and audit build on it.

pub mod bitbucket;
