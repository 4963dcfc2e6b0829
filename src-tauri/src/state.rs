//! The node inside the app: opened at start, brought online (the runtime: sync, discovery)
//! as soon as this device has an identity, and reached by every command.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mutual_node::Node;
use mutual_node::runtime::{self, Handle, Runtime};
use tauri::AppHandle;
use tauri_specta::Event as _;
use tokio::sync::Mutex;

use crate::error::AppError;
use crate::events::NodeEvent;

/// Where the node is.
enum Inner {
    /// No identity yet (first run): the node is here, offline.
    Offline(Box<Node>),
    /// The runtime owns the node; commands reach it through its handle.
    Online(Handle),
    /// The data directory could not be opened; every command says why.
    Unavailable(String),
}

/// The app's state, shared by its commands.
pub struct AppState {
    dir: PathBuf,
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Opens the data directory `dir`; the node goes online at once if it has an identity.
    /// Going online loads every document into the sync engine, which takes a while with
    /// many: it runs in the background while the window starts, and commands wait for it
    /// (they queue on the state's lock, which the start holds until it is done).
    pub fn open(dir: &Path, app: &AppHandle) -> AppState {
        let starting = Inner::Unavailable("the node is starting".into());
        let (inner, node) = match Node::open(dir) {
            Ok(node) if node.identity().is_ok() => (starting, Some(node)),
            Ok(node) => (Inner::Offline(Box::new(node)), None),
            Err(e) if e.is_busy() => (
                Inner::Unavailable(format!(
                    "another Mutual (the app or `mutual serve`) is using {}; close it first",
                    dir.display()
                )),
                None,
            ),
            Err(e) => (Inner::Unavailable(e.to_string()), None),
        };
        let inner = Arc::new(Mutex::new(inner));
        // The lock of a mutex made just above is free: the start takes it before any
        // command can ask for it.
        if let Some(node) = node
            && let Ok(mut guard) = inner.clone().try_lock_owned()
        {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                *guard = match go_online(node, &app).await {
                    Ok(handle) => Inner::Online(handle),
                    Err(e) => Inner::Unavailable(e.to_string()),
                };
            });
        }
        AppState {
            dir: dir.to_path_buf(),
            inner,
        }
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs `f` on the node: directly while offline, inside the runtime's loop once online
    /// (so what it commits reaches connected members at once).
    pub async fn with_node<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Node) -> Result<T, mutual_node::Error> + Send + 'static,
    ) -> Result<T, AppError> {
        let mut inner = self.inner.lock().await;
        match &mut *inner {
            Inner::Offline(node) => Ok(f(node)?),
            Inner::Online(handle) => {
                let handle = handle.clone();
                drop(inner);
                handle
                    .with_node(f)
                    .await
                    .ok_or(AppError::Stopped)?
                    .map_err(Into::into)
            }
            Inner::Unavailable(why) => Err(AppError::Unavailable(why.clone())),
        }
    }

    /// A request to the runtime (status, join...); refused while offline.
    pub async fn request(&self, request: runtime::Request) -> Result<runtime::Response, AppError> {
        let handle = match &*self.inner.lock().await {
            Inner::Online(handle) => handle.clone(),
            Inner::Offline(_) => return Err(AppError::NoIdentity),
            Inner::Unavailable(why) => return Err(AppError::Unavailable(why.clone())),
        };
        handle.request(request).await.ok_or(AppError::Stopped)
    }

    /// Creates this device's identity, then brings the node online.
    pub async fn init(
        &self,
        name: &str,
        app: &AppHandle,
    ) -> Result<mutual_node::view::WhoAmI, AppError> {
        let mut inner = self.inner.lock().await;
        let Inner::Offline(node) = &mut *inner else {
            return Err(AppError::AlreadyInitialized);
        };
        let me = node.init(name)?;
        let placeholder = Inner::Unavailable("the node is starting".into());
        let Inner::Offline(node) = std::mem::replace(&mut *inner, placeholder) else {
            return Err(AppError::Stopped);
        };
        *inner = Inner::Online(go_online(*node, app).await?);
        Ok(me)
    }
}

/// Starts the runtime on the app's async runtime, and forwards its events to the window.
async fn go_online(node: Node, app: &AppHandle) -> Result<Handle, AppError> {
    let (runtime, mut events) = Runtime::new(node, &runtime::Config::default())
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    let handle = runtime.handle();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        while let Some(event) = events.recv().await {
            // A window that is gone misses events; the node carries on.
            let _ = NodeEvent(event).emit(&app);
        }
    });
    // `mutual` commands on this data directory reach this node through its control socket,
    // as they reach `mutual serve`: the same typed commands, run by the same node.
    tauri::async_runtime::spawn(runtime.run(std::future::pending()));
    Ok(handle)
}
