//! `flowsleuth explain` and `flowsleuth reach`: security groups and network ACLs.

use clap::Args;

/// `flowsleuth explain`.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {}

/// `flowsleuth reach`.
#[derive(Debug, Args)]
pub(crate) struct ReachArgs {}

/// Runs `flowsleuth explain`.
pub(crate) fn run_explain(_args: &ExplainArgs) -> anyhow::Result<()> {
    anyhow::bail!("explain: not built yet")
}

/// Runs `flowsleuth reach`.
pub(crate) fn run_reach(_args: &ReachArgs) -> anyhow::Result<()> {
    anyhow::bail!("reach: not built yet")
}
