pub mod aws;
pub mod cli;
pub mod commands;
pub mod config;
pub mod instances;
pub mod logs;
