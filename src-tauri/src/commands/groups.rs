//! Groups and their people: creating, members and roles, invites and joining, devices.

use std::time::Duration;

use mutual_auth::Role;
use mutual_node::runtime::{JoinError, JoinStep, Joined, Look, Request, Response};
use mutual_node::view::{AdditionView, DeviceView, GroupSummary, GroupView, InviteView, Voted};
use serde::{Deserialize, Serialize};

use super::{Reply, State};
use crate::error::AppError;

/// A role as the UI sends it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum MemberRole {
    /// Edits documents; invites unless the group limits it to admins.
    Member,
    /// Also adds and removes members, changes roles.
    Admin,
}

impl From<MemberRole> for Role {
    fn from(role: MemberRole) -> Role {
        match role {
            MemberRole::Member => Role::Member,
            MemberRole::Admin => Role::Admin,
        }
    }
}

/// Every group of this device.
#[tauri::command]
#[specta::specta]
pub async fn groups(state: State<'_>) -> Reply<Vec<GroupSummary>> {
    state.with_node(|node| node.groups()).await
}

/// The groups someone added this device to without its owner's say, waiting for an answer.
#[tauri::command]
#[specta::specta]
pub async fn pending_additions(state: State<'_>) -> Reply<Vec<AdditionView>> {
    state.with_node(|node| node.pending_additions()).await
}

/// Accepts being added to a group: it arrives from the member who offered it.
#[tauri::command]
#[specta::specta]
pub async fn accept_addition(state: State<'_>, group: String) -> Reply<()> {
    state
        .with_node(move |node| node.accept_addition(&group).map(drop))
        .await
}

/// Ignores being added to a group: it is listed no more, and nothing of it is fetched.
#[tauri::command]
#[specta::specta]
pub async fn ignore_addition(state: State<'_>, group: String) -> Reply<()> {
    state
        .with_node(move |node| node.ignore_addition(&group).map(drop))
        .await
}

/// Creates a group with this person as its first admin; returns its id.
#[tauri::command]
#[specta::specta]
pub async fn create_group(state: State<'_>, name: String) -> Reply<String> {
    state
        .with_node(move |node| node.create_group(&name).map(|id| id.to_string()))
        .await
}

/// A group with its members and documents.
#[tauri::command]
#[specta::specta]
pub async fn group(state: State<'_>, group: String) -> Reply<GroupView> {
    state
        .with_node(move |node| node.group(&node.resolve_group(&group)?))
        .await
}

/// Renames a group.
#[tauri::command]
#[specta::specta]
pub async fn rename_group(state: State<'_>, group: String, name: String) -> Reply<()> {
    state
        .with_node(move |node| node.rename_group(&node.resolve_group(&group)?, &name))
        .await
}

/// Removes a member and their devices (admins).
#[tauri::command]
#[specta::specta]
pub async fn remove_member(state: State<'_>, group: String, member: String) -> Reply<()> {
    state
        .with_node(move |node| {
            node.remove_member(&node.resolve_group(&group)?, &member)
                .map(|_| ())
        })
        .await
}

/// Changes a member's role (admins).
#[tauri::command]
#[specta::specta]
pub async fn set_role(
    state: State<'_>,
    group: String,
    member: String,
    role: MemberRole,
) -> Reply<()> {
    state
        .with_node(move |node| node.set_role(&node.resolve_group(&group)?, &member, role.into()))
        .await
}

/// Votes for a member as an admin (electors); a majority of the electors makes them one.
#[tauri::command]
#[specta::specta]
pub async fn vote_admin(state: State<'_>, group: String, member: String) -> Reply<Voted> {
    state
        .with_node(move |node| node.vote_admin(&node.resolve_group(&group)?, &member))
        .await
}

/// Leaves a group.
#[tauri::command]
#[specta::specta]
pub async fn leave_group(state: State<'_>, group: String) -> Reply<()> {
    state
        .with_node(move |node| node.leave(&node.resolve_group(&group)?))
        .await
}

/// An invite just made: its codes, and its QR code as SVG.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct NewInvite {
    /// The invite's id (to revoke it).
    pub id: String,
    /// The full code: works across networks.
    pub code: String,
    /// The meetup code: to read aloud on the same network.
    pub meetup_code: String,
    /// Unix ms from which it is refused.
    pub expires_at: f64,
    /// The full code as a QR code (an SVG document).
    pub qr_svg: String,
}

/// Creates an invite granting `role`, usable `uses` times for `hours` hours.
#[tauri::command]
#[specta::specta]
pub async fn create_invite(
    state: State<'_>,
    group: String,
    role: MemberRole,
    uses: u32,
    hours: u32,
) -> Reply<NewInvite> {
    if hours == 0 {
        return Err(AppError::Invalid(
            "an invite must be valid for an hour at least".into(),
        ));
    }
    let valid_for = Duration::from_secs(u64::from(hours) * 3600);
    let invite = state
        .with_node(move |node| {
            node.create_invite(&node.resolve_group(&group)?, role.into(), uses, valid_for)
        })
        .await?;
    Ok(NewInvite {
        id: invite.invite.to_string(),
        qr_svg: qr_svg(&invite.code),
        code: invite.code,
        meetup_code: invite.meetup_code,
        // Unix milliseconds fit a JavaScript number exactly for 285,000 years.
        expires_at: invite.expires_at as f64,
    })
}

/// The code as a QR code, in SVG.
fn qr_svg(code: &str) -> String {
    // Upper case is QR's compact alphanumeric mode: a smaller symbol to scan.
    match qrcode::QrCode::new(code.to_ascii_uppercase().as_bytes()) {
        Ok(qr) => qr
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(240, 240)
            .build(),
        Err(_) => String::new(),
    }
}

/// A group's invites with their state.
#[tauri::command]
#[specta::specta]
pub async fn invites(state: State<'_>, group: String) -> Reply<Vec<InviteView>> {
    state
        .with_node(move |node| node.invites(&node.resolve_group(&group)?))
        .await
}

/// Revokes an invite.
#[tauri::command]
#[specta::specta]
pub async fn revoke_invite(state: State<'_>, group: String, invite: String) -> Reply<()> {
    state
        .with_node(move |node| {
            node.revoke_invite(&node.resolve_group(&group)?, &invite)
                .map(|_| ())
        })
        .await
}

/// Looks at what a code opens: a member's offer, checked against the group's signed
/// membership log (who is in it, whose device answered). Nothing is saved.
#[tauri::command]
#[specta::specta]
pub async fn look_before_joining(
    state: State<'_>,
    code: String,
    name: Option<String>,
) -> Reply<Look> {
    match join_step(&state, code, name, JoinStep::Look).await? {
        Response::Looked(look) => Ok(look),
        _ => Err(AppError::Stopped),
    }
}

/// Joins what the person saw in `look` (or links this device, with a link code); answers
/// once the group has arrived, or with why it failed.
#[tauri::command]
#[specta::specta]
pub async fn join(
    state: State<'_>,
    code: String,
    name: Option<String>,
    look: Look,
) -> Reply<Joined> {
    match join_step(&state, code, name, JoinStep::Confirm(look)).await? {
        Response::Joined(joined) => Ok(joined),
        _ => Err(AppError::Stopped),
    }
}

/// One step of a join: its answer, or the failure as the app shows it.
async fn join_step(
    state: &State<'_>,
    code: String,
    name: Option<String>,
    step: JoinStep,
) -> Reply<Response> {
    let request = Request::Join {
        code,
        name,
        timeout_ms: 60_000,
        step,
    };
    match state.request(request).await? {
        Response::JoinFailed(error) => Err(error.into()),
        Response::Error(message) => Err(AppError::Join(JoinError::Failed(message))),
        response => Ok(response),
    }
}

/// This person's devices.
#[tauri::command]
#[specta::specta]
pub async fn devices(state: State<'_>) -> Reply<Vec<DeviceView>> {
    state.with_node(|node| node.devices()).await
}

/// A code that links another laptop to this person.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct NewLink {
    /// The code (it carries the member key).
    pub code: String,
    /// Unix ms from which it is refused.
    pub expires_at: f64,
    /// The code as a QR code (an SVG document).
    pub qr_svg: String,
}

/// Makes a code to link another laptop (valid one hour, once).
#[tauri::command]
#[specta::specta]
pub async fn link_device(state: State<'_>) -> Reply<NewLink> {
    let link = state.with_node(|node| node.create_link()).await?;
    Ok(NewLink {
        qr_svg: qr_svg(&link.code),
        code: link.code,
        expires_at: link.expires_at as f64,
    })
}

/// Unlinks one of this person's devices.
#[tauri::command]
#[specta::specta]
pub async fn unlink_device(state: State<'_>, device: String) -> Reply<()> {
    state
        .with_node(move |node| node.unlink_device(&device).map(|_| ()))
        .await
}

/// Exports a group into the person's documents folder: all of it as JSON, each assembly's
/// minutes as Markdown. Returns the files written.
#[tauri::command]
#[specta::specta]
pub async fn export_group(state: State<'_>, group: String) -> Reply<Vec<String>> {
    let base = super::documents_dir(&state);
    state
        .with_node(move |node| {
            let group = node.resolve_group(&group)?;
            let name = node.group(&group)?.name;
            let dir = base.join(format!("Mutual export {}", name.replace('/', "_")));
            let files = node.export_group_to(&group, &dir)?;
            Ok(files.iter().map(|f| f.display().to_string()).collect())
        })
        .await
}
