//! Port forwards as the dashboard knows them (the runtime owns the sockets and sessions and
//! reports back), the template's links filled in with real addresses, and the detail pane's
//! items — links, forwards, then containers — that `o`, `x`, `y`, `s`, `[` and `]` act on.

use super::forward_dialog::{ForwardChoice, ForwardDialog, port_choices};
use super::{AppState, Effect, Mode};
use ondeck_core::instances::Instance;
use ondeck_core::instances::identity::InstanceId;
use ondeck_core::model::{Container, Task, TaskState};
use ondeck_core::ops::endpoints;

pub type ForwardId = u64;

/// Where a forward goes: one port of one running container, and the local port asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardTarget {
    pub instance: InstanceId,
    pub task_arn: String,
    pub container: String,
    pub runtime_id: String,
    pub remote_port: u16,
    /// 0: any free port.
    pub local_port: u16,
}

/// What a forward has carried so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ForwardStats {
    /// Bytes from local clients to the container.
    pub sent: u64,
    /// Bytes from the container back to local clients.
    pub received: u64,
    /// Local connections open now.
    pub connections: usize,
    /// Connections the container refused: nothing listens on the port there.
    pub refused: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActiveForward {
    pub(crate) id: ForwardId,
    pub(crate) target: ForwardTarget,
    /// The local port once listening; `None` while the session opens.
    pub(crate) listening: Option<u16>,
    pub(crate) stats: ForwardStats,
}

impl ActiveForward {
    /// `localhost:15432 → db:5432`.
    pub(crate) fn route(&self) -> String {
        let local = match self.listening {
            Some(port) => port.to_string(),
            None => "…".to_string(),
        };
        format!(
            "localhost:{local} → {}:{}",
            self.target.container, self.target.remote_port
        )
    }
}

/// The forwards open or opening, and the detail pane's item cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Forwards {
    pub(crate) list: Vec<ActiveForward>,
    next_id: ForwardId,
    /// Index into the selected instance's [`DetailItem`]s (kept in range when used); None
    /// until `[` or `]` moves it, when it rests on the first link or forward.
    cursor: Option<usize>,
}

/// One thing in the detail pane that keys can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DetailItem<'a> {
    /// A template link; `url` is `None` while one of its addresses is not known.
    Link {
        name: &'a str,
        url: Option<String>,
    },
    Forward(&'a ActiveForward),
    /// A container of a live task: chosen only by moving onto it, so that `s` on an
    /// instance still asks which container when nothing was chosen.
    Container {
        task: &'a Task,
        container: &'a Container,
    },
}

impl AppState {
    /// `F`: the forward dialog for the selected instance, its ports prefilled.
    pub(super) fn open_forward_dialog(&mut self) {
        let Some(instance) = self.selected_instance() else {
            return self.info("nothing selected to forward to");
        };
        let preferred = self
            .profile
            .templates
            .get(&instance.template)
            .and_then(|template| template.exec_container.as_deref());
        let choices = port_choices(instance, &self.definitions, preferred);
        if choices.is_empty() {
            let text = if instance
                .tasks
                .iter()
                .all(|task| task.last_status == TaskState::Stopped)
            {
                "no running task to forward to"
            } else {
                "no container port to forward: the task definition maps none"
            };
            return self.info(text);
        }
        self.mode = Mode::Forward(ForwardDialog::new(choices));
    }

    pub(super) fn start_forward(&mut self, choice: ForwardChoice, effects: &mut Vec<Effect>) {
        let (Some(instance), Some(runtime_id)) = (
            self.selected_instance().map(Instance::id),
            choice.port.runtime_id.clone(),
        ) else {
            return self.info("the instance went away before the forward opened");
        };
        let target = ForwardTarget {
            instance,
            task_arn: choice.port.task_arn,
            container: choice.port.container,
            runtime_id,
            remote_port: choice.port.port,
            local_port: choice.local_port,
        };
        self.forwards.next_id += 1;
        let id = self.forwards.next_id;
        let forward = ActiveForward {
            id,
            target: target.clone(),
            listening: None,
            stats: ForwardStats::default(),
        };
        self.info(format!("opening {}", forward.route()));
        self.forwards.list.push(forward);
        effects.push(Effect::StartForward { id, target });
    }

    pub(super) fn forward_started(&mut self, id: ForwardId, result: Result<u16, String>) {
        let Some(at) = self.forwards.list.iter().position(|f| f.id == id) else {
            return;
        };
        match result {
            Ok(port) => {
                let forward = &mut self.forwards.list[at];
                forward.listening = Some(port);
                let text = format!("forwarding {}", forward.route());
                self.info(text);
            }
            Err(why) => {
                self.forwards.list.remove(at);
                self.error(why, false);
            }
        }
        self.dirty = true;
    }

    pub(super) fn forward_stats(&mut self, id: ForwardId, stats: ForwardStats) {
        if let Some(forward) = self.forwards.list.iter_mut().find(|f| f.id == id)
            && forward.stats != stats
        {
            forward.stats = stats;
            self.dirty = true;
        }
    }

    /// The runtime lost the forward (the session dropped): say so, with what to do.
    pub(super) fn forward_ended(&mut self, id: ForwardId, why: String) {
        let Some(at) = self.forwards.list.iter().position(|f| f.id == id) else {
            return;
        };
        let forward = self.forwards.list.remove(at);
        self.error(
            format!(
                "{} closed: {why}; press F to open it again",
                forward.route()
            ),
            false,
        );
        self.dirty = true;
    }

    /// Every forward closed, as when the profile they were opened under is left: its
    /// instances are no longer listed, so they could be neither seen nor closed. How many.
    pub(super) fn close_all_forwards(&mut self, effects: &mut Vec<Effect>) -> usize {
        let closed = std::mem::take(&mut self.forwards.list);
        self.forwards.cursor = None;
        for forward in &closed {
            effects.push(Effect::StopForward { id: forward.id });
        }
        closed.len()
    }

    /// Forwards to an instance being destroyed, or to a task no longer running, are closed.
    pub(super) fn close_stale_forwards(&mut self, effects: &mut Vec<Effect>, snapshot: bool) {
        let destroyed: Vec<InstanceId> = effects
            .iter()
            .filter_map(|effect| match effect {
                Effect::Destroy { target, .. } => Some(target.clone()),
                _ => None,
            })
            .collect();
        let instances = &self.instances;
        let task_alive = |target: &ForwardTarget| {
            instances.iter().any(|instance| {
                instance.is(&target.instance)
                    && instance.tasks.iter().any(|task| {
                        task.task_arn == target.task_arn && task.last_status != TaskState::Stopped
                    })
            })
        };
        let (stale, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.forwards.list)
            .into_iter()
            .partition(|forward| {
                destroyed.contains(&forward.target.instance)
                    || (snapshot && self.loaded && !task_alive(&forward.target))
            });
        self.forwards.list = kept;
        for forward in stale {
            effects.push(Effect::StopForward { id: forward.id });
            self.dirty = true;
        }
    }

    /// The selected instance's items: its template's links, then its forwards.
    pub(crate) fn detail_items<'a>(&'a self, instance: &'a Instance) -> Vec<DetailItem<'a>> {
        let mut items: Vec<DetailItem<'a>> = Vec::new();
        if let Some(template) = self.profile.templates.get(&instance.template) {
            for (name, link) in &template.links {
                let url = ondeck_core::links::render(link, |container, port| {
                    self.address(instance, container, port)
                });
                items.push(DetailItem::Link { name, url });
            }
        }
        items.extend(
            self.forwards
                .list
                .iter()
                .filter(|forward| instance.is(&forward.target.instance))
                .map(DetailItem::Forward),
        );
        for task in &instance.tasks {
            if task.last_status == TaskState::Stopped {
                continue;
            }
            items.extend(
                task.containers
                    .iter()
                    .map(|container| DetailItem::Container { task, container }),
            );
        }
        items
    }

    /// The cursor among the selected instance's items, in range. Before it is moved it rests
    /// on the first item unless that is a container.
    pub(crate) fn item_cursor(&self, items: &[DetailItem<'_>]) -> Option<usize> {
        match self.forwards.cursor {
            Some(at) => (!items.is_empty()).then(|| at.min(items.len() - 1)),
            None => items
                .first()
                .is_some_and(|item| !matches!(item, DetailItem::Container { .. }))
                .then_some(0),
        }
    }

    /// The container the detail pane's cursor is on, if it is on one.
    pub(crate) fn chosen_container<'a>(
        &'a self,
        instance: &'a Instance,
    ) -> Option<(&'a Task, &'a Container)> {
        let items = self.detail_items(instance);
        match self.item_cursor(&items).map(|at| &items[at]) {
            Some(DetailItem::Container { task, container }) => Some((*task, *container)),
            _ => None,
        }
    }

    pub(super) fn step_item(&mut self, forward: bool) {
        let Some(instance) = self.selected_instance() else {
            return;
        };
        let items = self.detail_items(instance);
        let count = items.len();
        if count == 0 {
            return self.info("nothing to pick here: the instance has no running container");
        }
        self.forwards.cursor = Some(match self.item_cursor(&items) {
            Some(at) if forward => (at + 1) % count,
            Some(at) => (at + count - 1) % count,
            None if forward => 0,
            None => count - 1,
        });
    }

    /// `o`: the selected link (or a forward's local address) onto the clipboard.
    pub(super) fn copy_link(&mut self, effects: &mut Vec<Effect>) {
        let Some(instance) = self.selected_instance() else {
            return self.info("nothing selected");
        };
        let items = self.detail_items(instance);
        let copied = match self.item_cursor(&items).map(|at| &items[at]) {
            None | Some(DetailItem::Container { .. }) => Err(
                "no link selected: ] and [ pick one; the template's `links` name them".to_string(),
            ),
            Some(DetailItem::Link { name, url: None }) => Err(format!(
                "link {name} has no address yet: its container is not running"
            )),
            Some(DetailItem::Link { url: Some(url), .. }) => Ok(url.clone()),
            Some(DetailItem::Forward(forward)) => match forward.listening {
                Some(port) => Ok(format!("127.0.0.1:{port}")),
                None => Err("the forward is still opening".to_string()),
            },
        };
        match copied {
            Ok(text) => {
                self.info(format!("copied {text}"));
                effects.push(Effect::Copy(text));
            }
            Err(why) => self.info(why),
        }
    }

    /// `x`: close the selected forward.
    pub(super) fn close_selected_forward(&mut self, effects: &mut Vec<Effect>) {
        let Some(instance) = self.selected_instance() else {
            return self.info("nothing selected");
        };
        let items = self.detail_items(instance);
        let id = match self.item_cursor(&items).map(|at| &items[at]) {
            Some(DetailItem::Forward(forward)) => forward.id,
            _ => return self.info("no forward selected: ] and [ pick one in the detail pane"),
        };
        if let Some(at) = self.forwards.list.iter().position(|f| f.id == id) {
            let forward = self.forwards.list.remove(at);
            self.info(format!("closed {}", forward.route()));
        }
        effects.push(Effect::StopForward { id });
    }

    /// `y`: the endpoint of the chosen container — the selected forward's local end, else
    /// the container the cursor is on, else the template's `exec_container`, else the first
    /// essential container with a port.
    pub(super) fn copy_endpoint(&mut self, effects: &mut Vec<Effect>) {
        let Some(instance) = self.selected_instance() else {
            return self.info("nothing selected");
        };
        let items = self.detail_items(instance);
        if let Some(DetailItem::Forward(forward)) = self.item_cursor(&items).map(|at| &items[at])
            && let Some(port) = forward.listening
        {
            let text = format!("127.0.0.1:{port}");
            self.info(format!("copied {text} ({})", forward.route()));
            effects.push(Effect::Copy(text));
            return;
        }
        let preferred = self
            .chosen_container(instance)
            .map(|(_, container)| container.name.clone())
            .or_else(|| {
                self.profile
                    .templates
                    .get(&instance.template)
                    .and_then(|template| template.exec_container.clone())
            });
        let essential = |container: &str| {
            instance.tasks.iter().any(|task| {
                self.definitions
                    .get(&task.task_definition_arn)
                    .is_some_and(|definition| {
                        definition
                            .containers
                            .iter()
                            .any(|c| c.name == container && c.essential)
                    })
            })
        };
        let found = endpoints(instance, &self.definitions);
        let chosen = found
            .iter()
            .find(|endpoint| Some(&endpoint.container) == preferred.as_ref())
            .or_else(|| found.iter().find(|endpoint| essential(&endpoint.container)))
            .or_else(|| found.first());
        match chosen {
            Some(endpoint) => {
                let text = format!("{}:{}", endpoint.ip, endpoint.port);
                self.info(format!("copied {endpoint}"));
                effects.push(Effect::Copy(text));
            }
            None => self.info("no endpoint yet: the instance has no running task with a port"),
        }
    }

    /// Each forward's route, local port once listening, and figures, in the order opened.
    #[cfg(any(test, feature = "fixtures"))]
    pub fn forwards_listed(&self) -> Vec<(String, Option<u16>, ForwardStats)> {
        self.forwards
            .list
            .iter()
            .map(|forward| (forward.route(), forward.listening, forward.stats))
            .collect()
    }

    /// The detail pane's cursor is on a forward.
    #[cfg(any(test, feature = "fixtures"))]
    pub fn forward_selected(&self) -> bool {
        self.selected_instance().is_some_and(|instance| {
            let items = self.detail_items(instance);
            self.item_cursor(&items)
                .is_some_and(|at| matches!(items[at], DetailItem::Forward(_)))
        })
    }

    /// Where `container:port` of the instance is reached from here: the local end of a
    /// forward to it, else the private IP of its running task.
    fn address(&self, instance: &Instance, container: &str, port: u16) -> Option<String> {
        let forwarded = self.forwards.list.iter().find_map(|forward| {
            if !instance.is(&forward.target.instance) {
                return None;
            }
            (forward.target.container == container && forward.target.remote_port == port)
                .then_some(forward.listening)
                .flatten()
        });
        if let Some(local) = forwarded {
            return Some(format!("127.0.0.1:{local}"));
        }
        instance
            .tasks
            .iter()
            .filter(|task| task.last_status != TaskState::Stopped)
            .find(|task| {
                self.definitions
                    .get(&task.task_definition_arn)
                    .is_some_and(|definition| {
                        definition.containers.iter().any(|c| c.name == container)
                    })
            })
            .and_then(|task| task.private_ip.as_ref())
            .map(|ip| format!("{ip}:{port}"))
    }
}

#[cfg(test)]
mod tests;
