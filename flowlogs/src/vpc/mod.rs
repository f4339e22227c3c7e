//! Security groups and network ACLs: load `describe-*` dumps, evaluate, explain, reach.
//!
//! ```no_run
//! use flowlogs::vpc::{Dump, Network, Query};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let net = Network::compile(Dump::load(&["aws-dump/"])?);
//! let q: Query = "tcp 10.0.1.5:43512 -> 10.0.2.7:22".parse()?;
//! let eval = net.evaluate(&q);
//! println!("{}", eval.verdict().as_str());
//! # Ok(()) }
//! ```

mod dump;
mod error;
mod eval;
mod explain;
mod index;
mod model;
mod query;
mod reach;

pub use error::{DumpError, ParseQueryError, UnknownTargetError};
pub use eval::{
    Decision, Endpoint, Evaluation, Missing, Network, Outcome, Query, Skip, StepKind, Verdict,
};
pub use explain::{Explanation, ExplanationNote, ExplanationStep, RuleRef};
pub use model::{
    proto, protocol_name, Direction, Dump, Interface, NaclEntry, NetworkAcl, Peer, PortSpec,
    PrefixList, Route, RouteDest, RouteTable, RuleAction, SecurityGroup, SgRule, Subnet, Vpc,
};
pub use reach::{open_to_world, reach, ReachEntry, ReachQuery, ReachSource, WorldExposure};
