//! Membership commands: invites, removing members, roles, leaving, and this person's
//! devices. (`join` talks to the network: it is in `net.rs`.)

use std::time::Duration;

use anyhow::Context;
use mutual_auth::Role;
use mutual_node::Node;
use mutual_node::view::{DeviceView, InviteView};
use serde::Serialize;

use super::format_time;
use crate::args::{DeviceCommand, InviteCommand, MemberRole};
use crate::output::Output;
use crate::render::short;

pub(crate) fn role(role: MemberRole) -> Role {
    match role {
        MemberRole::Member => Role::Member,
        MemberRole::Admin => Role::Admin,
    }
}

/// A duration as people write it: `30s`, `30m`, `12h`, `7d`, `2w` (jiff's friendly format).
pub(crate) fn duration(text: &str, what: &str) -> anyhow::Result<Duration> {
    let bad = || format!("“{text}” is not a duration for {what} (write 30m, 12h, 7d or 2w)");
    let span: jiff::Span = text.trim().parse().with_context(bad)?;
    let signed = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .with_context(bad)?;
    let duration = Duration::try_from(signed).ok().filter(|d| !d.is_zero());
    duration.with_context(bad)
}

/// What `invite create --json` prints.
#[derive(Serialize)]
struct CreatedJson<'a> {
    id: String,
    code: &'a str,
    meetup_code: &'a str,
    expires_at: i64,
}

pub(crate) fn invite(node: &mut Node, command: InviteCommand, out: &Output) -> anyhow::Result<()> {
    match command {
        InviteCommand::Create {
            group,
            role: granted,
            uses,
            expires,
            qr,
        } => {
            let group = node.resolve_group(&group)?;
            let valid_for = duration(&expires, "--expires")?;
            let invite = node.create_invite(&group, role(granted), uses, valid_for)?;
            let created = CreatedJson {
                id: invite.invite.to_string(),
                code: &invite.code,
                meetup_code: &invite.meetup_code,
                expires_at: i64::try_from(invite.expires_at).unwrap_or(i64::MAX),
            };
            out.show(&created, |c| {
                let mut s = String::new();
                say!(s, "{}", c.code);
                if qr {
                    s.push_str(&qr_text(c.code));
                }
                s
            })?;
            if !out.is_json() {
                out.note(&format!(
                    "Meetup code (same network as an online member): {}\n\
                     Valid until {} UTC for {}; `mutual invite revoke {} {}` cancels it.",
                    invite.meetup_code,
                    format_time(created.expires_at / 1000),
                    uses_text(uses),
                    short(&group.to_string()),
                    short(&created.id),
                ));
            }
            Ok(())
        }
        InviteCommand::List { group } => {
            let group = node.resolve_group(&group)?;
            out.show(&node.invites(&group)?, |invites| print_invites(invites))
        }
        InviteCommand::Revoke { group, invite } => {
            let group = node.resolve_group(&group)?;
            let revoked = node.revoke_invite(&group, &invite)?;
            out.done(format!("Revoked invite {}.", short(&revoked)))
        }
    }
}

pub(crate) fn device(node: &mut Node, command: DeviceCommand, out: &Output) -> anyhow::Result<()> {
    match command {
        DeviceCommand::Link { qr } => {
            let link = node.create_link()?;
            #[derive(Serialize)]
            struct LinkJson<'a> {
                code: &'a str,
                groups: Vec<String>,
                expires_at: i64,
            }
            let json = LinkJson {
                code: &link.code,
                groups: link.groups.iter().map(ToString::to_string).collect(),
                expires_at: i64::try_from(link.expires_at).unwrap_or(i64::MAX),
            };
            out.show(&json, |j| {
                let mut s = String::new();
                say!(s, "{}", j.code);
                if qr {
                    s.push_str(&qr_text(j.code));
                }
                s
            })?;
            if !out.is_json() {
                out.note(&format!(
                    "On your other laptop, in a new data directory: `mutual init --name NAME`, \
                     then `mutual join CODE`. Valid until {} UTC, once. Keep it to yourself: it \
                     carries your member key.",
                    format_time(json.expires_at / 1000)
                ));
            }
            Ok(())
        }
        DeviceCommand::List => out.show(&node.devices()?, |devices| print_devices(devices)),
        DeviceCommand::Unlink { device } => {
            let groups = node.unlink_device(&device)?;
            out.done(format!(
                "Unlinked {} in {}.",
                device.trim(),
                match groups.len() {
                    1 => "1 group".to_owned(),
                    n => format!("{n} groups"),
                }
            ))
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
            i.created_by,
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
