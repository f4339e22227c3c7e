//! Loading `aws ec2 describe-*` JSON: files recognised by content (top-level key), paginated
//! outputs concatenated, PascalCase or camelCase keys, errors naming the file and JSON path.
//!
//! Unknown keys are ignored (AWS adds fields over time); a document with none of the keys we
//! read is an error. Prefix-list entries (`get-managed-prefix-list-entries`, top-level
//! `Entries`) carry no list id: it comes from a `PrefixListId` key next to `Entries`, or from a
//! `pl-…` in the file name.

use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde_json::Value;

use super::error::DumpError;
use super::model::{
    proto, Direction, Dump, Interface, NaclEntry, NetworkAcl, Peer, PortSpec, PrefixList, Route,
    RouteDest, RouteTable, RuleAction, SecurityGroup, SgRule, Subnet, Vpc,
};

/// The top-level keys we recognise.
const KNOWN: &[&str] = &[
    "SecurityGroups",
    "NetworkAcls",
    "NetworkInterfaces",
    "Subnets",
    "RouteTables",
    "PrefixLists",
    "Entries",
    "Vpcs",
    "Reservations",
];

impl Dump {
    /// Loads every dump file under `paths` (directories are walked recursively; in directories
    /// only files whose content starts with `{` or `[` are read, so READMEs are skipped).
    ///
    /// # Errors
    /// [`DumpError`] naming the file (and the JSON path for bad content).
    pub fn load<P: AsRef<Path>>(paths: &[P]) -> Result<Dump, DumpError> {
        let mut files = Vec::new();
        for p in paths {
            let p = p.as_ref();
            let meta = fs::metadata(p).map_err(|source| DumpError::Io {
                path: p.to_path_buf(),
                source,
            })?;
            if meta.is_dir() {
                walk(p, &mut files)?;
            } else {
                files.push((p.to_path_buf(), true));
            }
        }
        files.sort();
        let mut dump = Dump::default();
        let mut any = false;
        for (path, explicit) in files {
            let text = fs::read_to_string(&path).map_err(|source| DumpError::Io {
                path: path.clone(),
                source,
            })?;
            let first = text.trim_start().as_bytes().first().copied();
            if !explicit && !matches!(first, Some(b'{' | b'[')) {
                continue;
            }
            dump.add_json(&path, &text)?;
            any = true;
        }
        if !any {
            let path = paths
                .first()
                .map_or_else(PathBuf::new, |p| p.as_ref().to_path_buf());
            return Err(DumpError::NoFiles { path });
        }
        Ok(dump)
    }

    /// Adds the documents in `text` (one or more concatenated JSON values) read from `path`.
    ///
    /// # Errors
    /// [`DumpError`] naming `path` and the JSON path.
    pub fn add_json(&mut self, path: &Path, text: &str) -> Result<(), DumpError> {
        let stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
        for (i, doc) in stream.enumerate() {
            let doc = doc.map_err(|source| DumpError::Json {
                path: path.to_path_buf(),
                source,
            })?;
            let root = if i == 0 {
                "$".to_string()
            } else {
                format!("$<document {}>", i + 1)
            };
            let ctx = Ctx { file: path };
            match &doc {
                Value::Array(pages) => {
                    for (j, page) in pages.iter().enumerate() {
                        self.add_page(&ctx, &J::new(page, format!("{root}[{j}]")))?;
                    }
                }
                _ => self.add_page(&ctx, &J::new(&doc, root))?,
            }
        }
        Ok(())
    }

    fn add_page(&mut self, ctx: &Ctx<'_>, page: &J<'_>) -> Result<(), DumpError> {
        let Value::Object(map) = page.v else {
            return Err(ctx.err(page, "expected an object (an AWS CLI describe-* output)"));
        };
        let mut recognised = false;
        for key in KNOWN {
            let Some(node) = page.get(key) else { continue };
            recognised = true;
            let items = node.array(ctx)?;
            for item in &items {
                match *key {
                    "SecurityGroups" => {
                        let g = security_group(ctx, item, &mut self.warnings)?;
                        self.security_groups.push(g);
                    }
                    "NetworkAcls" => {
                        let a = network_acl(ctx, item, &mut self.warnings)?;
                        self.network_acls.push(a);
                    }
                    "NetworkInterfaces" => self.push_interface(interface(ctx, item)?),
                    "Subnets" => self.subnets.push(subnet(ctx, item)?),
                    "RouteTables" => self.route_tables.push(route_table(ctx, item)?),
                    "PrefixLists" => self.add_prefix_list(prefix_list(ctx, item)?),
                    "Vpcs" => self.vpcs.push(vpc(ctx, item)?),
                    "Reservations" => {
                        for inst in item.list(ctx, "Instances")? {
                            let instance_id = inst.opt_str(ctx, "InstanceId")?;
                            for eni in inst.list(ctx, "NetworkInterfaces")? {
                                let mut e = interface(ctx, &eni)?;
                                if e.instance_id.is_none() {
                                    e.instance_id.clone_from(&instance_id);
                                }
                                self.push_interface(e);
                            }
                        }
                    }
                    _ => {}
                }
            }
            if *key == "Entries" {
                let id = match page.opt_str(ctx, "PrefixListId")? {
                    Some(id) => id,
                    None => pl_id_from_name(ctx.file).ok_or_else(|| {
                        ctx.err(
                            &node,
                            "prefix-list entries without a list id: add \"PrefixListId\" next \
                             to \"Entries\" or name the file after the list (pl-….json)",
                        )
                    })?,
                };
                let mut cidrs = Vec::new();
                for item in &items {
                    cidrs.push(item.req_net(ctx, "Cidr")?);
                }
                self.add_prefix_list(PrefixList {
                    id,
                    name: None,
                    entries: Some(cidrs),
                });
            }
        }
        if !recognised {
            let keys: Vec<&str> = map.keys().map(String::as_str).collect();
            return Err(DumpError::Unrecognised {
                path: ctx.file.to_path_buf(),
                keys: keys.join(", "),
            });
        }
        Ok(())
    }

    fn push_interface(&mut self, e: Interface) {
        if self.interfaces.iter().any(|x| x.id == e.id) {
            return;
        }
        self.interfaces.push(e);
    }

    fn add_prefix_list(&mut self, pl: PrefixList) {
        if let Some(existing) = self.prefix_lists.iter_mut().find(|p| p.id == pl.id) {
            if existing.name.is_none() {
                existing.name = pl.name;
            }
            if let Some(mut new) = pl.entries {
                existing
                    .entries
                    .get_or_insert_with(Vec::new)
                    .append(&mut new);
            }
        } else {
            self.prefix_lists.push(pl);
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<(PathBuf, bool)>) -> Result<(), DumpError> {
    let rd = fs::read_dir(dir).map_err(|source| DumpError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in rd {
        let entry = entry.map_err(|source| DumpError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let p = entry.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.is_file() {
            out.push((p, false));
        }
    }
    Ok(())
}

fn pl_id_from_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let start = name.find("pl-")?;
    let id: String = name[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    (id.len() > 3).then_some(id)
}

struct Ctx<'a> {
    file: &'a Path,
}

impl Ctx<'_> {
    fn err(&self, at: &J<'_>, message: impl Into<String>) -> DumpError {
        DumpError::Invalid {
            path: self.file.to_path_buf(),
            json_path: at.path.clone(),
            message: message.into(),
        }
    }
    fn origin(&self, at: &J<'_>) -> String {
        format!("{}: {}", self.file.display(), at.path)
    }
}

/// A JSON value and its path.
struct J<'a> {
    v: &'a Value,
    path: String,
}

impl<'a> J<'a> {
    fn new(v: &'a Value, path: String) -> Self {
        J { v, path }
    }

    /// The member `key` (PascalCase), or its camelCase spelling.
    fn get(&self, key: &str) -> Option<J<'a>> {
        let Value::Object(m) = self.v else {
            return None;
        };
        let v = m.get(key).or_else(|| {
            let mut c = key.chars();
            let camel: String = c
                .next()
                .map(|f| f.to_ascii_lowercase())
                .into_iter()
                .chain(c)
                .collect();
            m.get(&camel)
        })?;
        if v.is_null() {
            return None;
        }
        Some(J::new(v, format!("{}.{key}", self.path)))
    }

    fn array(&self, ctx: &Ctx<'_>) -> Result<Vec<J<'a>>, DumpError> {
        match self.v {
            Value::Array(a) => Ok(a
                .iter()
                .enumerate()
                .map(|(i, v)| J::new(v, format!("{}[{i}]", self.path)))
                .collect()),
            _ => Err(ctx.err(self, "expected an array")),
        }
    }

    /// The array member `key`; absent = empty.
    fn list(&self, ctx: &Ctx<'_>, key: &str) -> Result<Vec<J<'a>>, DumpError> {
        self.get(key)
            .map_or_else(|| Ok(Vec::new()), |n| n.array(ctx))
    }

    fn opt_str(&self, ctx: &Ctx<'_>, key: &str) -> Result<Option<String>, DumpError> {
        match self.get(key) {
            None => Ok(None),
            Some(n) => match n.v {
                Value::String(s) => Ok(Some(s.clone())),
                _ => Err(ctx.err(&n, "expected a string")),
            },
        }
    }

    fn req_str(&self, ctx: &Ctx<'_>, key: &str) -> Result<String, DumpError> {
        self.opt_str(ctx, key)?
            .ok_or_else(|| ctx.err(self, format!("missing {key}")))
    }

    fn opt_bool(&self, ctx: &Ctx<'_>, key: &str) -> Result<Option<bool>, DumpError> {
        match self.get(key) {
            None => Ok(None),
            Some(n) => match n.v {
                Value::Bool(b) => Ok(Some(*b)),
                Value::String(s) if s == "true" || s == "false" => Ok(Some(s == "true")),
                _ => Err(ctx.err(&n, "expected true or false")),
            },
        }
    }

    fn opt_int(&self, ctx: &Ctx<'_>, key: &str) -> Result<Option<i64>, DumpError> {
        match self.get(key) {
            None => Ok(None),
            Some(n) => match n.v {
                Value::Number(x) => x
                    .as_i64()
                    .map(Some)
                    .ok_or_else(|| ctx.err(&n, "expected an integer")),
                Value::String(s) => s
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| ctx.err(&n, format!("expected an integer, found {s:?}"))),
                _ => Err(ctx.err(&n, "expected an integer")),
            },
        }
    }

    fn req_net(&self, ctx: &Ctx<'_>, key: &str) -> Result<IpNet, DumpError> {
        let s = self.req_str(ctx, key)?;
        let at = self.get(key);
        parse_net(&s).ok_or_else(|| {
            ctx.err(
                at.as_ref().unwrap_or(self),
                format!("{s:?} is not an IPv4 or IPv6 CIDR"),
            )
        })
    }

    fn opt_net(&self, ctx: &Ctx<'_>, key: &str) -> Result<Option<IpNet>, DumpError> {
        match self.get(key) {
            None => Ok(None),
            Some(_) => self.req_net(ctx, key).map(Some),
        }
    }
}

/// A CIDR, canonicalised (`10.0.0.5/8` → `10.0.0.0/8`); a bare address is a host route.
pub(crate) fn parse_net(s: &str) -> Option<IpNet> {
    let s = s.trim();
    if let Ok(n) = s.parse::<IpNet>() {
        return Some(n.trunc());
    }
    s.parse::<IpAddr>().ok().map(IpNet::from)
}

/// Protocol text: `-1`/`all` → `None`; names or numbers → the number.
fn protocol(ctx: &Ctx<'_>, at: &J<'_>, s: &str) -> Result<Option<u8>, DumpError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "-1" | "all" => Ok(None),
        "tcp" => Ok(Some(proto::TCP)),
        "udp" => Ok(Some(proto::UDP)),
        "icmp" => Ok(Some(proto::ICMP)),
        "icmpv6" => Ok(Some(proto::ICMPV6)),
        other => other
            .parse::<u8>()
            .map(Some)
            .map_err(|_| ctx.err(at, format!("unknown protocol {s:?}"))),
    }
}

/// Builds the port spec of a rule from a (from, to) pair as the API encodes it.
fn port_spec(
    ctx: &Ctx<'_>,
    at: &J<'_>,
    protocol: Option<u8>,
    from: Option<i64>,
    to: Option<i64>,
    ipv4_only_icmpv6_all: bool,
    warnings: &mut Vec<String>,
) -> Result<PortSpec, DumpError> {
    match protocol {
        None => Ok(PortSpec::All),
        Some(proto::TCP | proto::UDP) => {
            let (Some(f), Some(t)) = (from, to) else {
                if from.is_none() && to.is_none() {
                    return Err(ctx.err(at, "tcp/udp rule without a port range"));
                }
                return Err(ctx.err(at, "port range with only one end"));
            };
            // Some tools write -1/-1 for "all ports" on tcp/udp.
            if f == -1 && t == -1 {
                return Ok(PortSpec::Range(0, u16::MAX));
            }
            let ok = |p: i64| (0..=65535).contains(&p);
            if !ok(f) || !ok(t) {
                return Err(ctx.err(at, format!("port range {f}-{t} outside 0-65535")));
            }
            if f > t {
                return Err(ctx.err(at, format!("impossible port range {f}-{t} (from > to)")));
            }
            Ok(PortSpec::Range(f as u16, t as u16))
        }
        Some(proto::ICMP | proto::ICMPV6) => {
            if protocol == Some(proto::ICMPV6) && ipv4_only_icmpv6_all {
                return Ok(PortSpec::All);
            }
            let ty = from.unwrap_or(-1);
            let code = to.unwrap_or(-1);
            let ok = |v: i64| (-1..=255).contains(&v);
            if !ok(ty) || !ok(code) {
                return Err(ctx.err(at, format!("ICMP type {ty} / code {code} outside -1..255")));
            }
            if ty == -1 && code != -1 {
                warnings.push(format!(
                    "{}: ICMP code {code} without a type matches nothing",
                    ctx.origin(at)
                ));
                return Ok(PortSpec::Nothing);
            }
            let t = (ty >= 0).then_some(ty as u8);
            let c = (code >= 0).then_some(code as u8);
            Ok(PortSpec::Icmp(t, c))
        }
        Some(_) => Ok(PortSpec::All),
    }
}

fn security_group(
    ctx: &Ctx<'_>,
    g: &J<'_>,
    warnings: &mut Vec<String>,
) -> Result<SecurityGroup, DumpError> {
    let id = g.req_str(ctx, "GroupId")?;
    let mut sg = SecurityGroup {
        name: g.opt_str(ctx, "GroupName")?.unwrap_or_default(),
        vpc_id: g.opt_str(ctx, "VpcId")?,
        ingress: Vec::new(),
        egress: Vec::new(),
        id,
    };
    for (key, dir) in [
        ("IpPermissions", Direction::Ingress),
        ("IpPermissionsEgress", Direction::Egress),
    ] {
        for perm in g.list(ctx, key)? {
            let proto_s = perm.req_str(ctx, "IpProtocol").or_else(|e| {
                // A number is accepted too.
                perm.opt_int(ctx, "IpProtocol")?
                    .map(|n| n.to_string())
                    .ok_or(e)
            })?;
            let at = perm.get("IpProtocol");
            let protocol = protocol(ctx, at.as_ref().unwrap_or(&perm), &proto_s)?;
            let ports = port_spec(
                ctx,
                &perm,
                protocol,
                perm.opt_int(ctx, "FromPort")?,
                perm.opt_int(ctx, "ToPort")?,
                false,
                warnings,
            )?;
            let mut push = |peer: Peer, item: &J<'_>| -> Result<(), DumpError> {
                let rule = SgRule {
                    group_id: sg.id.clone(),
                    direction: dir,
                    protocol,
                    ports,
                    peer,
                    description: item.opt_str(ctx, "Description")?,
                    origin: ctx.origin(item),
                };
                match dir {
                    Direction::Ingress => sg.ingress.push(rule),
                    Direction::Egress => sg.egress.push(rule),
                }
                Ok(())
            };
            for r in perm.list(ctx, "IpRanges")? {
                let n = r.req_net(ctx, "CidrIp")?;
                if !matches!(n, IpNet::V4(_)) {
                    return Err(ctx.err(&r, "CidrIp is not an IPv4 CIDR"));
                }
                push(Peer::Cidr(n), &r)?;
            }
            for r in perm.list(ctx, "Ipv6Ranges")? {
                let n = r.req_net(ctx, "CidrIpv6")?;
                if !matches!(n, IpNet::V6(_)) {
                    return Err(ctx.err(&r, "CidrIpv6 is not an IPv6 CIDR"));
                }
                push(Peer::Cidr(n), &r)?;
            }
            for r in perm.list(ctx, "PrefixListIds")? {
                push(Peer::PrefixList(r.req_str(ctx, "PrefixListId")?), &r)?;
            }
            for r in perm.list(ctx, "UserIdGroupPairs")? {
                push(Peer::Group(r.req_str(ctx, "GroupId")?), &r)?;
            }
        }
    }
    Ok(sg)
}

fn network_acl(
    ctx: &Ctx<'_>,
    a: &J<'_>,
    warnings: &mut Vec<String>,
) -> Result<NetworkAcl, DumpError> {
    let id = a.req_str(ctx, "NetworkAclId")?;
    let mut subnets = Vec::new();
    for assoc in a.list(ctx, "Associations")? {
        if let Some(s) = assoc.opt_str(ctx, "SubnetId")? {
            subnets.push(s);
        }
    }
    let mut entries = Vec::new();
    for e in a.list(ctx, "Entries")? {
        let number = e
            .opt_int(ctx, "RuleNumber")?
            .ok_or_else(|| ctx.err(&e, "missing RuleNumber"))?;
        if !(1..=32768).contains(&number) {
            let at = e.get("RuleNumber");
            return Err(ctx.err(
                at.as_ref().unwrap_or(&e),
                format!("rule number {number} outside 1-32766 (32767/32768 for `*`)"),
            ));
        }
        let egress = e
            .opt_bool(ctx, "Egress")?
            .ok_or_else(|| ctx.err(&e, "missing Egress"))?;
        let action = match e.req_str(ctx, "RuleAction")?.to_ascii_lowercase().as_str() {
            "allow" => RuleAction::Allow,
            "deny" => RuleAction::Deny,
            other => {
                let at = e.get("RuleAction");
                return Err(ctx.err(
                    at.as_ref().unwrap_or(&e),
                    format!("RuleAction {other:?} is neither allow nor deny"),
                ));
            }
        };
        let proto_s = e.req_str(ctx, "Protocol").or_else(|err| {
            e.opt_int(ctx, "Protocol")?
                .map(|n| n.to_string())
                .ok_or(err)
        })?;
        let at = e.get("Protocol");
        let protocol = protocol(ctx, at.as_ref().unwrap_or(&e), &proto_s)?;
        let cidr = match (
            e.opt_net(ctx, "CidrBlock")?,
            e.opt_net(ctx, "Ipv6CidrBlock")?,
        ) {
            (Some(n), None) | (None, Some(n)) => n,
            (None, None) => return Err(ctx.err(&e, "entry without CidrBlock or Ipv6CidrBlock")),
            (Some(_), Some(_)) => {
                return Err(ctx.err(&e, "entry with both CidrBlock and Ipv6CidrBlock"))
            }
        };
        let ports = match protocol {
            Some(proto::TCP | proto::UDP) => {
                let pr = e.get("PortRange");
                let (f, t) = match &pr {
                    Some(pr) => (pr.opt_int(ctx, "From")?, pr.opt_int(ctx, "To")?),
                    None => (None, None),
                };
                port_spec(
                    ctx,
                    pr.as_ref().unwrap_or(&e),
                    protocol,
                    f,
                    t,
                    false,
                    warnings,
                )?
            }
            Some(proto::ICMP | proto::ICMPV6) => {
                let tc = e.get("IcmpTypeCode");
                let (t, c) = match &tc {
                    Some(tc) => (tc.opt_int(ctx, "Type")?, tc.opt_int(ctx, "Code")?),
                    None => (None, None),
                };
                port_spec(
                    ctx,
                    tc.as_ref().unwrap_or(&e),
                    protocol,
                    t,
                    c,
                    matches!(cidr, IpNet::V4(_)),
                    warnings,
                )?
            }
            _ => PortSpec::All,
        };
        entries.push(NaclEntry {
            acl_id: id.clone(),
            number: number as u16,
            direction: if egress {
                Direction::Egress
            } else {
                Direction::Ingress
            },
            action,
            protocol,
            ports,
            cidr,
            origin: ctx.origin(&e),
        });
    }
    Ok(NetworkAcl {
        id,
        vpc_id: a.opt_str(ctx, "VpcId")?,
        is_default: a.opt_bool(ctx, "IsDefault")?.unwrap_or(false),
        subnets,
        entries,
    })
}

fn interface(ctx: &Ctx<'_>, e: &J<'_>) -> Result<Interface, DumpError> {
    let id = e.req_str(ctx, "NetworkInterfaceId")?;
    let mut groups = Vec::new();
    for g in e.list(ctx, "Groups")? {
        groups.push(g.req_str(ctx, "GroupId")?);
    }
    let mut addresses: Vec<IpAddr> = Vec::new();
    let mut add = |at: &J<'_>, s: &str| -> Result<(), DumpError> {
        let a: IpAddr = s
            .trim()
            .parse()
            .map_err(|_| ctx.err(at, format!("{s:?} is not an IP address")))?;
        if !addresses.contains(&a) {
            addresses.push(a);
        }
        Ok(())
    };
    if let Some(p) = e.opt_str(ctx, "PrivateIpAddress")? {
        add(e, &p)?;
    }
    for p in e.list(ctx, "PrivateIpAddresses")? {
        if let Some(s) = p.opt_str(ctx, "PrivateIpAddress")? {
            add(&p, &s)?;
        }
    }
    for p in e.list(ctx, "Ipv6Addresses")? {
        if let Some(s) = p.opt_str(ctx, "Ipv6Address")? {
            add(&p, &s)?;
        }
    }
    let instance_id = match e.get("Attachment") {
        Some(att) => att.opt_str(ctx, "InstanceId")?,
        None => None,
    };
    Ok(Interface {
        subnet_id: e.opt_str(ctx, "SubnetId")?,
        vpc_id: e.opt_str(ctx, "VpcId")?,
        groups,
        addresses,
        interface_type: e.opt_str(ctx, "InterfaceType")?,
        instance_id,
        source_dest_check: e.opt_bool(ctx, "SourceDestCheck")?,
        origin: ctx.origin(e),
        id,
    })
}

fn subnet(ctx: &Ctx<'_>, s: &J<'_>) -> Result<Subnet, DumpError> {
    let mut cidrs = Vec::new();
    if let Some(n) = s.opt_net(ctx, "CidrBlock")? {
        cidrs.push(n);
    }
    for a in s.list(ctx, "Ipv6CidrBlockAssociationSet")? {
        if let Some(n) = a.opt_net(ctx, "Ipv6CidrBlock")? {
            cidrs.push(n);
        }
    }
    Ok(Subnet {
        id: s.req_str(ctx, "SubnetId")?,
        vpc_id: s.opt_str(ctx, "VpcId")?,
        cidrs,
    })
}

fn vpc(ctx: &Ctx<'_>, v: &J<'_>) -> Result<Vpc, DumpError> {
    let mut cidrs = Vec::new();
    if let Some(n) = v.opt_net(ctx, "CidrBlock")? {
        cidrs.push(n);
    }
    for a in v.list(ctx, "CidrBlockAssociationSet")? {
        if let Some(n) = a.opt_net(ctx, "CidrBlock")? {
            if !cidrs.contains(&n) {
                cidrs.push(n);
            }
        }
    }
    for a in v.list(ctx, "Ipv6CidrBlockAssociationSet")? {
        if let Some(n) = a.opt_net(ctx, "Ipv6CidrBlock")? {
            cidrs.push(n);
        }
    }
    Ok(Vpc {
        id: v.req_str(ctx, "VpcId")?,
        cidrs,
    })
}

fn route_table(ctx: &Ctx<'_>, t: &J<'_>) -> Result<RouteTable, DumpError> {
    let mut main = false;
    let mut subnets = Vec::new();
    for a in t.list(ctx, "Associations")? {
        if a.opt_bool(ctx, "Main")?.unwrap_or(false) {
            main = true;
        }
        if let Some(s) = a.opt_str(ctx, "SubnetId")? {
            subnets.push(s);
        }
    }
    let mut routes = Vec::new();
    for r in t.list(ctx, "Routes")? {
        let dest = if let Some(n) = r.opt_net(ctx, "DestinationCidrBlock")? {
            RouteDest::Cidr(n)
        } else if let Some(n) = r.opt_net(ctx, "DestinationIpv6CidrBlock")? {
            RouteDest::Cidr(n)
        } else if let Some(p) = r.opt_str(ctx, "DestinationPrefixListId")? {
            RouteDest::PrefixList(p)
        } else {
            return Err(ctx.err(&r, "route without a destination"));
        };
        let mut target = None;
        for key in [
            "GatewayId",
            "NatGatewayId",
            "TransitGatewayId",
            "VpcPeeringConnectionId",
            "NetworkInterfaceId",
            "InstanceId",
            "EgressOnlyInternetGatewayId",
            "LocalGatewayId",
            "CarrierGatewayId",
            "CoreNetworkArn",
        ] {
            if let Some(v) = r.opt_str(ctx, key)? {
                target = Some(v);
                break;
            }
        }
        routes.push(Route {
            dest,
            target: target.unwrap_or_else(|| "unknown".into()),
            state: r.opt_str(ctx, "State")?.unwrap_or_else(|| "active".into()),
        });
    }
    Ok(RouteTable {
        id: t.req_str(ctx, "RouteTableId")?,
        vpc_id: t.opt_str(ctx, "VpcId")?,
        main,
        subnets,
        routes,
    })
}

fn prefix_list(ctx: &Ctx<'_>, p: &J<'_>) -> Result<PrefixList, DumpError> {
    let mut entries = None;
    if p.get("Entries").is_some() {
        let mut v = Vec::new();
        for e in p.list(ctx, "Entries")? {
            v.push(e.req_net(ctx, "Cidr")?);
        }
        entries = Some(v);
    }
    if let Some(c) = p.get("Cidrs") {
        let v = entries.get_or_insert_with(Vec::new);
        for item in c.array(ctx)? {
            match item.v {
                Value::String(s) => v.push(
                    parse_net(s).ok_or_else(|| ctx.err(&item, format!("{s:?} is not a CIDR")))?,
                ),
                _ => return Err(ctx.err(&item, "expected a CIDR string")),
            }
        }
    }
    Ok(PrefixList {
        id: p.req_str(ctx, "PrefixListId")?,
        name: p.opt_str(ctx, "PrefixListName")?,
        entries,
    })
}
