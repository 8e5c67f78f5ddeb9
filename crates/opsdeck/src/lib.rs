//! The headless face of opsdeck: command line, HTTP server, and the demo estate.

pub mod boot;
pub mod cli;
pub mod demo;
pub mod fake_bitbucket;
pub mod fake_broker;
pub mod fake_epicor;
pub mod fake_sqlserver;
pub mod fakes;
pub mod logging;
pub mod metrics;
pub mod output;
pub mod server;
