//! `flowsleuth flowlogs`: VPC Flow Log queries and conversion.

use clap::Args;

/// `flowsleuth flowlogs`.
#[derive(Debug, Args)]
pub(crate) struct FlowlogsArgs {}

/// Runs `flowsleuth flowlogs`.
pub(crate) fn run(_args: &FlowlogsArgs) -> anyhow::Result<()> {
    anyhow::bail!("flowlogs: not built yet")
}
