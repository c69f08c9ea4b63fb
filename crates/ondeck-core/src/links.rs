//! Links a template names (`links = { web = "http://{endpoint:web:8080}/" }`), filled in with
//! an instance's real addresses: a container's private IP, or the local end of a forward.

/// One `{endpoint:CONTAINER:PORT}` in a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder<'a> {
    pub container: &'a str,
    pub port: u16,
}

/// The pieces of a link: literal text and placeholders, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Endpoint(Placeholder<'a>),
}

/// Splits a link into its pieces; the error says what is wrong with the first bad placeholder.
pub fn pieces(link: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut pieces = Vec::new();
    let mut rest = link;
    while let Some(start) = rest.find('{') {
        if start > 0 {
            pieces.push(Piece::Text(&rest[..start]));
        }
        let after = &rest[start + 1..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("`{}` has no closing `}}`", &rest[start..]))?;
        let inner = &after[..end];
        let spec = inner
            .strip_prefix("endpoint:")
            .ok_or_else(|| format!("`{{{inner}}}` is not a placeholder ondeck knows"))?;
        let (container, port) = spec
            .rsplit_once(':')
            .ok_or_else(|| format!("`{{{inner}}}` needs a container and a port"))?;
        if container.is_empty() {
            return Err(format!("`{{{inner}}}` names no container"));
        }
        let port = port
            .parse::<u16>()
            .ok()
            .filter(|port| *port > 0)
            .ok_or_else(|| format!("`{port}` in `{{{inner}}}` is not a port (1–65535)"))?;
        pieces.push(Piece::Endpoint(Placeholder { container, port }));
        rest = &after[end + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

/// Checks a link as config validation does.
pub fn check(link: &str) -> Result<(), String> {
    pieces(link).map(drop)
}

/// The link with each placeholder replaced by `address(container, port)` (`host:port`); `None`
/// when one of them has no address yet.
pub fn render(link: &str, address: impl Fn(&str, u16) -> Option<String>) -> Option<String> {
    let mut out = String::with_capacity(link.len());
    for piece in pieces(link).ok()? {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Endpoint(placeholder) => {
                out.push_str(&address(placeholder.container, placeholder.port)?);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests;
