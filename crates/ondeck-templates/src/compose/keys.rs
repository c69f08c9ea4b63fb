//! Which compose service keys ondeck turns into the task definition, which have no effect on
//! Fargate (a warning), and which it refuses (an error), with the reason.

/// Keys read into the task definition (`privileged`, `restart` and `scale` only with values
/// that change nothing: false, "no", 1).
pub const SUPPORTED_SERVICE_KEYS: &[&str] = &[
    "image",
    "build",
    "ports",
    "expose",
    "environment",
    "env_file",
    "command",
    "entrypoint",
    "depends_on",
    "healthcheck",
    "deploy",
    "mem_limit",
    "mem_reservation",
    "cpus",
    "user",
    "working_dir",
    "stop_grace_period",
    "read_only",
    "init",
    "tty",
    "stdin_open",
    "cap_add",
    "cap_drop",
    "platform",
    "profiles",
    "privileged",
    "restart",
    "scale",
    "x-ondeck",
];

pub const PRIVILEGED: &str =
    "Fargate cannot run privileged containers; remove it (add single capabilities with cap_add)";

const HOST_NETWORK: &str = "Fargate tasks have their own network interface (awsvpc); the \
    containers of one task reach each other on localhost";

/// Refused whatever their value: Fargate (or ondeck) cannot do what they ask.
pub const REFUSED_SERVICE_KEYS: &[(&str, &str)] = &[
    (
        "volumes",
        "volumes are not supported: Fargate cannot mount folders from your machine, and named volumes would not outlive the task; remove them",
    ),
    (
        "volumes_from",
        "Fargate cannot share volumes between containers this way; remove it",
    ),
    ("tmpfs", "Fargate does not support tmpfs mounts; remove it"),
    ("network_mode", HOST_NETWORK),
    (
        "links",
        "links are not needed: the containers of one Fargate task reach each other on localhost; remove it",
    ),
    (
        "external_links",
        "Fargate tasks cannot link to containers outside the task; remove it",
    ),
    (
        "extra_hosts",
        "Fargate tasks (awsvpc) cannot add /etc/hosts entries; remove it",
    ),
    (
        "hostname",
        "Fargate tasks (awsvpc) cannot set a host name; remove it",
    ),
    (
        "domainname",
        "Fargate tasks (awsvpc) cannot set a domain name; remove it",
    ),
    (
        "dns",
        "Fargate tasks (awsvpc) use the VPC's DNS servers; remove it",
    ),
    (
        "dns_search",
        "Fargate tasks (awsvpc) use the VPC's DNS settings; remove it",
    ),
    (
        "dns_opt",
        "Fargate tasks (awsvpc) use the VPC's DNS settings; remove it",
    ),
    (
        "mac_address",
        "Fargate assigns the network interface; remove it",
    ),
    (
        "devices",
        "Fargate cannot pass host devices to a container; remove it",
    ),
    (
        "device_cgroup_rules",
        "Fargate cannot pass host devices to a container; remove it",
    ),
    ("gpus", "Fargate has no GPUs; remove it"),
    (
        "pid",
        "Fargate tasks cannot share the host's or another container's process namespace; remove it",
    ),
    (
        "ipc",
        "Fargate tasks cannot share IPC namespaces; remove it",
    ),
    (
        "uts",
        "Fargate tasks cannot share the host's UTS namespace; remove it",
    ),
    (
        "userns_mode",
        "Fargate does not support user namespace settings; remove it",
    ),
    (
        "cgroup",
        "Fargate does not support cgroup namespace settings; remove it",
    ),
    (
        "cgroup_parent",
        "Fargate does not support cgroup settings; remove it",
    ),
    (
        "security_opt",
        "Fargate does not support security options (seccomp, AppArmor, SELinux labels); remove it",
    ),
    (
        "sysctls",
        "kernel parameters are not supported by ondeck's templates; remove it",
    ),
    (
        "ulimits",
        "ulimits are not supported by ondeck's templates; remove it",
    ),
    (
        "shm_size",
        "Fargate does not support a shared memory size; remove it",
    ),
    (
        "oom_kill_disable",
        "Fargate does not support OOM killer settings; remove it",
    ),
    (
        "oom_score_adj",
        "Fargate does not support OOM killer settings; remove it",
    ),
    ("mem_swappiness", "Fargate tasks have no swap; remove it"),
    ("memswap_limit", "Fargate tasks have no swap; remove it"),
    (
        "cpu_shares",
        "use deploy.resources.limits.cpus for a container's CPU; remove it",
    ),
    (
        "cpu_quota",
        "use deploy.resources.limits.cpus for a container's CPU; remove it",
    ),
    (
        "cpu_period",
        "use deploy.resources.limits.cpus for a container's CPU; remove it",
    ),
    (
        "cpu_count",
        "use deploy.resources.limits.cpus for a container's CPU; remove it",
    ),
    (
        "cpu_percent",
        "use deploy.resources.limits.cpus for a container's CPU; remove it",
    ),
    (
        "cpu_rt_runtime",
        "Fargate does not support real-time CPU scheduling; remove it",
    ),
    (
        "cpu_rt_period",
        "Fargate does not support real-time CPU scheduling; remove it",
    ),
    (
        "cpuset",
        "Fargate does not pin containers to CPUs; remove it",
    ),
    (
        "blkio_config",
        "Fargate does not support block I/O limits; remove it",
    ),
    (
        "storage_opt",
        "Fargate does not support storage driver options; remove it",
    ),
    (
        "isolation",
        "Fargate Linux tasks have one isolation; remove it",
    ),
    ("runtime", "Fargate has one container runtime; remove it"),
    (
        "group_add",
        "ECS cannot add supplementary groups; remove it",
    ),
    (
        "credential_spec",
        "Fargate Linux tasks do not use credential specs; remove it",
    ),
    (
        "secrets",
        "compose secrets are files; for ECS secrets (Secrets Manager / SSM) use `x-ondeck: { secrets: { NAME: arn } }`",
    ),
    (
        "configs",
        "compose configs are not supported; bake them into the image or pass them as environment",
    ),
    (
        "extends",
        "`extends` is not supported; write the service out in full (YAML anchors work)",
    ),
    (
        "stop_signal",
        "ECS stops containers with the image's STOPSIGNAL; set it in the image and remove it here",
    ),
    (
        "post_start",
        "ECS has no container lifecycle hooks; remove it",
    ),
    (
        "pre_stop",
        "ECS has no container lifecycle hooks; remove it",
    ),
    ("use_api_socket", "Fargate has no Docker socket; remove it"),
    ("models", "compose models are not supported; remove it"),
    ("provider", "compose providers are not supported; remove it"),
];

/// Accepted with a warning: they change nothing on Fargate.
pub const IGNORED_SERVICE_KEYS: &[(&str, &str)] = &[
    (
        "container_name",
        "is not used: ondeck names each container after its service",
    ),
    (
        "labels",
        "is not used: ondeck does not register Docker labels",
    ),
    (
        "label_file",
        "is not used: ondeck does not register Docker labels",
    ),
    ("annotations", "is not used on Fargate"),
    (
        "logging",
        "is not used: ondeck sends every container's output to CloudWatch Logs (awslogs) so that it can show it",
    ),
    (
        "networks",
        "is not used: the containers of one Fargate task share one network and reach each other on localhost",
    ),
    (
        "pull_policy",
        "is not used: Fargate pulls the image every time a task starts",
    ),
    (
        "develop",
        "is not used: compose watch is for local development",
    ),
    (
        "attach",
        "is not used: ondeck always collects every container's logs",
    ),
];

#[cfg(test)]
mod tests;
