pub mod aws;
pub mod config;
pub mod instances;
pub mod runtime;
pub mod state;
pub mod ui;
