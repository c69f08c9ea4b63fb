//! Compose port syntax: `80`, `8080:80`, `127.0.0.1:8080:80/udp`, `[::1]:8080:80`, ranges.

use crate::model::Protocol;

/// A short-syntax port: `[host_ip:][published:]target[/protocol]`, ranges allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ShortPort {
    pub(super) host_ip: Option<String>,
    pub(super) published: Option<PortRange>,
    pub(super) targets: PortRange,
    pub(super) protocol: Protocol,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PortRange {
    pub(super) first: u16,
    pub(super) last: u16,
}

impl PortRange {
    pub(super) fn ports(self) -> impl Iterator<Item = u16> {
        self.first..=self.last
    }

    pub(super) fn len(self) -> usize {
        usize::from(self.last - self.first) + 1
    }
}

impl std::fmt::Display for PortRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}-{}", self.first, self.last)
        }
    }
}

pub(super) fn parse_short_port(text: &str) -> Result<ShortPort, String> {
    let (address, protocol) = match text.rsplit_once('/') {
        Some((address, "tcp")) => (address, Protocol::Tcp),
        Some((address, "udp")) => (address, Protocol::Udp),
        Some((_, other)) => {
            return Err(format!("protocol `{other}` in `{text}` is not tcp or udp"));
        }
        None => (text, Protocol::Tcp),
    };
    // An IPv6 host address is written in brackets: `[::1]:8080:80`.
    let (host_ip, rest) = match address.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once("]:") {
            Some((ip, rest)) => (Some(ip.to_string()), rest),
            None => return Err(format!("`{text}` has an unclosed `[`")),
        },
        None => (None, address),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let (host_ip, published, target) = match (host_ip, parts.as_slice()) {
        (None, [target]) => (None, None, *target),
        (host_ip, [published, target]) if host_ip.is_some() || !published.contains('.') => {
            (host_ip, Some(*published), *target)
        }
        (None, [host_ip, published, target]) => {
            (Some(host_ip.to_string()), Some(*published), *target)
        }
        _ => {
            return Err(format!(
                "`{text}` is not a port such as \"80\", \"8080:80\" or \"127.0.0.1:8080:80/udp\""
            ));
        }
    };
    let targets = parse_range(target)?;
    let published = match published.filter(|published| !published.is_empty()) {
        Some(published) => Some(parse_range(published)?),
        None => None,
    };
    if let Some(published) = published
        && published.len() != targets.len()
        && published.len() != 1
    {
        return Err(format!(
            "`{text}`: the published and container ranges differ in length"
        ));
    }
    Ok(ShortPort {
        host_ip,
        published,
        targets,
        protocol,
    })
}

pub(super) fn parse_range(text: &str) -> Result<PortRange, String> {
    let number = |part: &str| match part.trim().parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(format!("`{part}` is not a port number (1–65535)")),
    };
    match text.split_once('-') {
        Some((first, last)) => {
            let (first, last) = (number(first)?, number(last)?);
            if first > last {
                return Err(format!("the range `{text}` runs backwards"));
            }
            Ok(PortRange { first, last })
        }
        None => number(text).map(|port| PortRange {
            first: port,
            last: port,
        }),
    }
}

#[cfg(test)]
mod tests;
