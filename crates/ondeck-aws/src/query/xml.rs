//! The XML of a query-protocol answer as a small tree: names without namespaces, and each
//! element's own text with entities resolved.

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) text: String,
    pub(crate) children: Vec<Element>,
}

impl Element {
    /// The direct children named `name`.
    pub(crate) fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |child| child.name == name)
    }

    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }

    /// The text of the direct child `name`, when it has some.
    pub(crate) fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|child| child.text.as_str())
            .filter(|text| !text.is_empty())
    }

    /// The first element named `name` at any depth, this one included (depth first).
    pub(crate) fn find(&self, name: &str) -> Option<&Element> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|child| child.find(name))
    }
}

/// The root element of `text`; an error for anything that is not well-formed XML.
pub(crate) fn parse(text: &str) -> Result<Element, String> {
    // Untrimmed: text around an entity keeps its spaces; each element's text is trimmed
    // once it closes.
    let mut reader = Reader::from_str(text);
    // The elements still open, innermost last; the finished root ends up in `root`.
    let mut open: Vec<Element> = Vec::new();
    let mut root = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|err| format!("at byte {}: {err}", reader.buffer_position()))?;
        match event {
            Event::Start(start) => open.push(Element {
                name: start.local_name().as_ref().to_string(),
                ..Element::default()
            }),
            Event::Empty(start) => {
                let element = Element {
                    name: start.local_name().as_ref().to_string(),
                    ..Element::default()
                };
                close(&mut open, &mut root, element);
            }
            Event::End(_) => {
                let element = open.pop().ok_or("a closing tag without its opening")?;
                close(&mut open, &mut root, element);
            }
            Event::Text(text) => {
                if let Some(element) = open.last_mut() {
                    element.text.push_str(&text.xml10_content());
                }
            }
            Event::CData(data) => {
                if let Some(element) = open.last_mut() {
                    element.text.push_str(&data.xml10_content());
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(ch)) => ch.to_string(),
                    _ => resolve_predefined_entity(&reference)
                        .ok_or_else(|| format!("unknown entity &{};", &*reference))?
                        .to_string(),
                };
                if let Some(element) = open.last_mut() {
                    element.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if !open.is_empty() {
        return Err("the document ends inside an element".into());
    }
    root.ok_or_else(|| "no root element".into())
}

fn close(open: &mut [Element], root: &mut Option<Element>, mut element: Element) {
    element.text = element.text.trim().to_string();
    match open.last_mut() {
        Some(parent) => parent.children.push(element),
        None => {
            root.get_or_insert(element);
        }
    }
}
