//! The keys of each table of the config file, declared once (see
//! [`table_keys`](crate::config::table_keys)): the checker reads a table through its enum.

use crate::table_keys;

table_keys!(
    /// The top of the file.
    pub(super) TopKey { DefaultProfile, ExecClient, Keymap, Profiles }
);

table_keys!(
    /// `[profiles.NAME]`.
    pub(super) ProfileKey {
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
    pub(super) PriceKey { VcpuHour, GbHour }
);

table_keys!(
    /// `[profiles.NAME.templates.NAME]`. Its `containers` tables are read by ondeck-templates.
    pub(super) TemplateKey {
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
        Kind,
    }
);
