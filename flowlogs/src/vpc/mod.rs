//! Security groups and network ACLs: load `describe-*` dumps, evaluate, explain, reach.
