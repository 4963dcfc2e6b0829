//! Membership commands: invites, removing members, roles, leaving, and this person's
//! devices. (`join` talks to the network: it is in `net.rs`.)

use mutual_auth::Role;
use mutual_node::view::{DeviceView, InviteView};
use mutual_node::{Command as Ask, Reply};
use serde::Serialize;

use super::{count, format_time, unexpected};
use crate::args::{DeviceCommand, InviteCommand, MemberRole};
use crate::output::Output;
use crate::render::{line, short};
use crate::target::Target;

pub(crate) fn role(role: MemberRole) -> Role {
    match role {
        MemberRole::Member => Role::Member,
        MemberRole::Admin => Role::Admin,
    }
}

/// What `invite create --json` prints.
#[derive(Serialize)]
struct CreatedJson {
    id: String,
    code: String,
    meetup_code: String,
    expires_at: i64,
}

pub(crate) fn invite(
    target: &mut Target,
    command: InviteCommand,
    out: &Output,
) -> anyhow::Result<()> {
    match command {
        InviteCommand::Create {
            group,
            role: granted,
            uses,
            expires,
            qr,
        } => {
            let ask = Ask::CreateInvite {
                group,
                role: role(granted),
                uses,
                valid_for_secs: expires.as_secs(),
            };
            let (group, created) = match target.execute(ask)? {
                Reply::Invite {
                    group,
                    id,
                    code,
                    meetup_code,
                    expires_at,
                } => (
                    group,
                    CreatedJson {
                        id,
                        code,
                        meetup_code,
                        expires_at,
                    },
                ),
                other => return unexpected(other),
            };
            out.show(&created, |c| {
                let mut s = String::new();
                say!(s, "{}", c.code);
                if qr {
                    s.push_str(&qr_text(&c.code));
                }
                s
            })?;
            if !out.is_json() {
                out.note(&format!(
                    "Meetup code (same network as an online member): {}\n\
                     Valid until {} UTC for {}; `mutual invite revoke {} {}` cancels it.",
                    created.meetup_code,
                    format_time(created.expires_at / 1000),
                    uses_text(uses),
                    short(&group),
                    short(&created.id),
                ));
            }
            Ok(())
        }
        InviteCommand::List { group } => match target.execute(Ask::Invites { group })? {
            Reply::Invites { invites } => out.show(&invites, |invites| print_invites(invites)),
            other => unexpected(other),
        },
        InviteCommand::Revoke { group, invite } => {
            let revoked = super::created(target.execute(Ask::RevokeInvite { group, invite })?)?;
            out.done(format!("Revoked invite {}.", short(&revoked)))
        }
    }
}

pub(crate) fn device(
    target: &mut Target,
    command: DeviceCommand,
    out: &Output,
) -> anyhow::Result<()> {
    match command {
        DeviceCommand::Link { qr } => {
            #[derive(Serialize)]
            struct LinkJson {
                code: String,
                groups: Vec<String>,
                expires_at: i64,
            }
            let json = match target.execute(Ask::CreateLink)? {
                Reply::Link {
                    code,
                    groups,
                    expires_at,
                } => LinkJson {
                    code,
                    groups,
                    expires_at,
                },
                other => return unexpected(other),
            };
            out.show(&json, |j| {
                let mut s = String::new();
                say!(s, "{}", j.code);
                if qr {
                    s.push_str(&qr_text(&j.code));
                }
                s
            })?;
            if !out.is_json() {
                out.note(&format!(
                    "On your other laptop, in a new data directory: `mutual init --name NAME`, \
                     then `mutual join`, and paste the code when asked (not on the command line: \
                     your shell would keep it). Valid until {} UTC, once. Keep it to yourself: \
                     it carries your member key.",
                    format_time(json.expires_at / 1000)
                ));
            }
            Ok(())
        }
        DeviceCommand::List => match target.execute(Ask::Devices)? {
            Reply::Devices { devices } => out.show(&devices, |devices| print_devices(devices)),
            other => unexpected(other),
        },
        DeviceCommand::Unlink { device } => {
            match target.execute(Ask::UnlinkDevice {
                device: device.clone(),
            })? {
                Reply::Unlinked { groups } => out.done(format!(
                    "Unlinked {} in {}.",
                    device.trim(),
                    count(groups, "group")
                )),
                other => unexpected(other),
            }
        }
    }
}

fn uses_text(uses: u32) -> String {
    if uses == 1 {
        "one person".to_owned()
    } else {
        format!("{uses} people")
    }
}

/// The code as a QR code drawn with half blocks, two modules per character row.
fn qr_text(code: &str) -> String {
    // Upper case is QR's compact alphanumeric mode: a smaller symbol to scan.
    match qrcode::QrCode::new(code.to_ascii_uppercase().as_bytes()) {
        Ok(qr) => {
            let mut s = qr
                .render::<qrcode::render::unicode::Dense1x2>()
                .dark_color(qrcode::render::unicode::Dense1x2::Light)
                .light_color(qrcode::render::unicode::Dense1x2::Dark)
                .build();
            s.push('\n');
            s
        }
        Err(e) => format!("(no QR code: {e})\n"),
    }
}

fn print_invites(invites: &[InviteView]) -> String {
    let mut s = String::new();
    if invites.is_empty() {
        say!(
            s,
            "No invites. Create one with `mutual invite create GROUP`."
        );
    }
    for i in invites {
        let purpose = if i.link {
            "links a device of".to_owned()
        } else {
            format!("{} invite by", i.role)
        };
        say!(
            s,
            "{}  {:<8}  {purpose} {}, {}/{} used, until {} UTC",
            short(&i.id),
            i.status,
            line(&i.created_by),
            i.uses,
            i.max_uses,
            format_time(i.expires_at / 1000)
        );
    }
    s
}

fn print_devices(devices: &[DeviceView]) -> String {
    let mut s = String::new();
    for d in devices {
        let this = if d.this_device { "  (this device)" } else { "" };
        say!(
            s,
            "{}{this}  in {}",
            d.peer_id,
            match d.groups.len() {
                1 => "1 group".to_owned(),
                n => format!("{n} groups"),
            }
        );
    }
    s
}

pub(super) fn print_additions(additions: &[mutual_node::view::AdditionView]) -> String {
    let mut s = String::new();
    if additions.is_empty() {
        say!(s, "Nobody added this device to a group it does not hold.");
    }
    for a in additions {
        say!(
            s,
            "{}  “{}”, added by {} on {} UTC",
            short(&a.group),
            line(&a.name),
            line(&a.added_by),
            format_time(a.added_at / 1000)
        );
    }
    if !additions.is_empty() {
        say!(
            s,
            "Join one with `mutual group accept GROUP`, or `mutual group ignore GROUP`."
        );
    }
    s
}
