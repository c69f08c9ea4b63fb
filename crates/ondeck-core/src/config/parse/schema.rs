//! The keys of each table of the file, declared once: one enum per table, whose serde-derived
//! names are the keys as written (`AwsProfile` is `aws_profile`). The checker reads a table
//! through its enum, so a key is added by adding a variant and reading it; the names that
//! "unknown key" messages and "did you mean" offer come from the same derive.

use serde::Deserialize;
use serde::de::value::{Error as ValueError, StrDeserializer};
use serde::de::{self, Deserializer, Visitor};

/// A table's key enum.
pub(super) trait TableKeys: for<'de> Deserialize<'de> + Copy + Ord + 'static {
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

/// Declares a table's keys: `table_keys!(ProfileKey { AwsProfile, Region, ... })`.
macro_rules! table_keys {
    ($(#[$doc:meta])* $name:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub(super) enum $name {
            $($variant),+
        }

        impl $crate::config::parse::schema::TableKeys for $name {
            fn names() -> &'static [&'static str] {
                static NAMES: std::sync::OnceLock<&'static [&'static str]> =
                    std::sync::OnceLock::new();
                NAMES.get_or_init($crate::config::parse::schema::variant_names::<$name>)
            }
        }
    };
}

table_keys!(
    /// The top of the file.
    TopKey { DefaultProfile, ExecClient, Keymap, Profiles }
);

table_keys!(
    /// `[profiles.NAME]`.
    ProfileKey {
        AwsProfile,
        Region,
        EndpointUrl,
        Cluster,
        Owner,
        Subnets,
        SecurityGroups,
        AssignPublicIp,
        RefreshBusySecs,
        RefreshSteadySecs,
        LogBufferLines,
        Prices,
        ExecClient,
        ExecutionRoleArn,
        TaskRoleArn,
        LogGroup,
        LogStreamPrefix,
        Templates,
    }
);

table_keys!(
    /// `[profiles.NAME.prices]`.
    PriceKey { VcpuHour, GbHour }
);

table_keys!(
    /// `[profiles.NAME.templates.NAME]`. Its `containers` tables are read by ondeck-templates.
    TemplateKey {
        TaskDefinitions,
        Containers,
        Compose,
        ComposeProfiles,
        Cpu,
        Memory,
        Description,
        Ttl,
        Spot,
        Env,
        Exec,
        Shell,
        ExecContainer,
        Links,
    }
);

/// The variant names serde derived for `T`, taken from the list it hands a deserializer.
pub(super) fn variant_names<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
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
