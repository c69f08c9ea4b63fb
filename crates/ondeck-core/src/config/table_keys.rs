//! The keys of a file's table declared once, as an enum whose serde-derived names are the
//! keys as written (`AwsProfile` is `aws_profile`). A reader matches on the enum, so the
//! compiler holds it to every key, and the names that "unknown key" messages and "did you
//! mean" offer come from the same derive.

use serde::Deserialize;
use serde::de::value::{Error as ValueError, StrDeserializer};
use serde::de::{self, Deserializer, Visitor};

/// A table's key enum; declare one with [`table_keys!`](crate::table_keys).
pub trait TableKeys: for<'de> Deserialize<'de> + Copy + Ord + 'static {
    /// Every key of the table, in declaration order, as serde names them.
    fn names() -> &'static [&'static str];

    /// The key a name in the file stands for, if the table has it.
    fn from_name(name: &str) -> Option<Self> {
        Self::deserialize(StrDeserializer::<ValueError>::new(name)).ok()
    }

    fn name(self) -> &'static str {
        Self::names()
            .iter()
            .copied()
            .find(|name| Self::from_name(name) == Some(self))
            .expect("every variant has a serde name")
    }
}

/// Declares a table's keys: `table_keys!(pub(crate) ProfileKey { AwsProfile, Region })`.
/// The calling crate needs serde (with derive) as a dependency.
#[macro_export]
macro_rules! table_keys {
    ($(#[$doc:meta])* $vis:vis $name:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        $vis enum $name {
            $($variant),+
        }

        impl $crate::config::table_keys::TableKeys for $name {
            fn names() -> &'static [&'static str] {
                static NAMES: std::sync::OnceLock<&'static [&'static str]> =
                    std::sync::OnceLock::new();
                NAMES.get_or_init($crate::config::table_keys::variant_names::<$name>)
            }
        }
    };
}

/// The variant names serde derived for `T`, taken from the list it hands a deserializer.
pub fn variant_names<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
    let mut names = None;
    // The capture answers with an error once it has the names; that error is expected.
    let _ = T::deserialize(NameCapture { names: &mut names });
    names.expect("table keys are a serde-derived enum")
}

/// A deserializer that only records the variant names `deserialize_enum` is given.
struct NameCapture<'a> {
    names: &'a mut Option<&'static [&'static str]>,
}

impl<'de> Deserializer<'de> for NameCapture<'_> {
    type Error = ValueError;

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, ValueError> {
        *self.names = Some(variants);
        Err(de::Error::custom("names captured"))
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, ValueError> {
        Err(de::Error::custom("only an enum's names are captured"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}
