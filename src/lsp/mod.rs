//! The language server (`pipesim lsp`): diagnostics as the user types, hover, go to
//! definition, completion, signature help, document and workspace symbols, formatting, quick
//! fixes, find references, highlights and rename, over LSP on stdio.
//!
//! Architecture: one thread handles messages in order ([`Server::run`]). Documents are synced
//! in full; each change rescans the document ([`scan`], tolerant, for editor features) and marks
//! it for checking; the front end ([`diagnostics`]) runs once no further message is waiting, so
//! a burst of keystrokes costs one check.
//!
//! Invariants: the server never dies on a document's text. Every request and notification
//! handler runs under `catch_unwind`; a panic becomes an `InternalError` response (or is
//! logged, for a notification) and the server goes on. Positions are UTF-16 ([`position`]).
//! Logs go to stderr; stdout carries only the protocol.

pub mod completion;
pub mod diagnostics;
pub mod docs;
pub mod document;
pub mod formatting;
pub mod hover;
pub mod navigate;
pub mod position;
pub mod references;
pub mod scan;
pub mod signature;
pub mod symbols;
#[cfg(test)]
mod tests;

use document::Document;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{self as notif, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CompletionOptions, GotoDefinitionResponse, HoverProviderCapability, InitializeParams, OneOf,
    PublishDiagnosticsParams, ServerCapabilities, ServerInfo, TextDocumentSyncCapability,
    TextDocumentSyncKind, Url,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A request that panics, so a test can check a panic becomes an error response.
#[cfg(test)]
const TEST_PANIC: &str = "pipesim/testPanic";

/// How the session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// `shutdown` then `exit`, as the protocol asks.
    Clean,
    /// `exit` without `shutdown`, or the client went away.
    Abrupt,
}

pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".to_string(), "=".to_string(), "(".to_string()]),
            ..CompletionOptions::default()
        }),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(lsp_types::CodeActionProviderCapability::Options(
            lsp_types::CodeActionOptions {
                code_action_kinds: Some(vec![
                    lsp_types::CodeActionKind::QUICKFIX,
                    lsp_types::CodeActionKind::SOURCE_FIX_ALL,
                ]),
                ..lsp_types::CodeActionOptions::default()
            },
        )),
        references_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        document_highlight_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(lsp_types::RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: lsp_types::WorkDoneProgressOptions::default(),
        })),
        signature_help_provider: Some(lsp_types::SignatureHelpOptions {
            trigger_characters: Some(vec!["(".to_string(), ",".to_string()]),
            ..lsp_types::SignatureHelpOptions::default()
        }),
        ..ServerCapabilities::default()
    }
}

/// Runs a session on `connection`: the initialize handshake, then messages until `exit`.
pub fn serve(connection: &Connection) -> Result<Ending, String> {
    let initialize_data = serde_json::json!({
        "capabilities": capabilities(),
        "serverInfo": ServerInfo {
            name: "pipesim".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        },
    });
    let (id, params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let params: InitializeParams = serde_json::from_value(params).unwrap_or_default();
    connection
        .initialize_finish(id, initialize_data)
        .map_err(|e| e.to_string())?;
    let snippets = params
        .capabilities
        .text_document
        .and_then(|t| t.completion)
        .and_then(|c| c.completion_item)
        .and_then(|i| i.snippet_support)
        .unwrap_or(false);
    // The workspace folders, where rename and find references look for a module's importers.
    #[allow(deprecated)] // `root_uri` is how clients without workspace folders give the root.
    let roots = params
        .workspace_folders
        .iter()
        .flatten()
        .map(|folder| &folder.uri)
        .chain(params.root_uri.as_ref())
        .filter_map(|uri| uri.to_file_path().ok())
        .collect();
    let mut server = Server {
        connection,
        roots,
        documents: HashMap::new(),
        pending_checks: BTreeSet::new(),
        results: HashMap::new(),
        completion: completion::Options { snippets },
        shutdown_requested: false,
    };
    Ok(server.run())
}

struct Server<'a> {
    connection: &'a Connection,
    roots: Vec<std::path::PathBuf>,
    documents: HashMap<Url, Document>,
    /// Documents changed since their last check.
    pending_checks: BTreeSet<Url>,
    /// For each open document, what its last check found, by file (itself and its imports).
    results: HashMap<Url, BTreeMap<Url, Vec<lsp_types::Diagnostic>>>,
    completion: completion::Options,
    shutdown_requested: bool,
}

impl Server<'_> {
    fn run(&mut self) -> Ending {
        loop {
            let message = if self.pending_checks.is_empty() {
                match self.connection.receiver.recv() {
                    Ok(message) => message,
                    Err(_) => return Ending::Abrupt,
                }
            } else {
                // Check only once the client has nothing more queued: typing sends bursts.
                match self.connection.receiver.try_recv() {
                    Ok(message) => message,
                    Err(e) if e.is_empty() => {
                        self.run_pending_checks();
                        continue;
                    }
                    Err(_) => return Ending::Abrupt,
                }
            };
            match message {
                Message::Request(request) => self.on_request(request),
                Message::Notification(notification)
                    if notification.method == notif::Exit::METHOD =>
                {
                    return if self.shutdown_requested {
                        Ending::Clean
                    } else {
                        Ending::Abrupt
                    };
                }
                Message::Notification(notification) => self.on_notification(notification),
                Message::Response(_) => {}
            }
        }
    }

    fn send(&self, message: impl Into<Message>) {
        // A send fails only when the client is gone; the receive loop then ends the session.
        let _ = self.connection.sender.send(message.into());
    }

    fn on_request(&mut self, request: Request) {
        let id = request.id.clone();
        if self.shutdown_requested {
            self.send(Response::new_err(
                id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".to_string(),
            ));
            return;
        }
        let response = match catch_unwind(AssertUnwindSafe(|| self.dispatch(request))) {
            Ok(response) => response,
            Err(panic) => {
                let reason = panic_message(&panic);
                crate::to_stderr!("pipesim lsp: internal error while handling a request: {reason}");
                Response::new_err(
                    id,
                    ErrorCode::InternalError as i32,
                    format!("internal error: {reason}"),
                )
            }
        };
        self.send(response);
    }

    fn dispatch(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        match request.method.as_str() {
            req::Shutdown::METHOD => {
                self.shutdown_requested = true;
                Response::new_ok(id, ())
            }
            req::HoverRequest::METHOD => self.handle::<req::HoverRequest>(request, |s, p| {
                let position = p.text_document_position_params;
                let doc = s.documents.get(&position.text_document.uri)?;
                let context = navigate::Context {
                    doc,
                    open: &s.documents,
                };
                hover::hover(&context, doc.offset(position.position))
            }),
            req::GotoDefinition::METHOD => self.handle::<req::GotoDefinition>(request, |s, p| {
                let position = p.text_document_position_params;
                let doc = s.documents.get(&position.text_document.uri)?;
                let context = navigate::Context {
                    doc,
                    open: &s.documents,
                };
                let resolved = context.resolve_at(doc.offset(position.position))?;
                let location = resolved.module_location().or_else(|| resolved.location())?;
                Some(GotoDefinitionResponse::Scalar(location))
            }),
            req::Completion::METHOD => self.handle::<req::Completion>(request, |s, p| {
                let position = p.text_document_position;
                let doc = s.documents.get(&position.text_document.uri)?;
                let context = navigate::Context {
                    doc,
                    open: &s.documents,
                };
                let items =
                    completion::complete(&context, doc.offset(position.position), s.completion);
                Some(lsp_types::CompletionResponse::Array(items))
            }),
            req::DocumentSymbolRequest::METHOD => {
                self.handle::<req::DocumentSymbolRequest>(request, |s, p| {
                    let doc = s.documents.get(&p.text_document.uri)?;
                    Some(lsp_types::DocumentSymbolResponse::Nested(
                        symbols::document_symbols(doc),
                    ))
                })
            }
            req::SignatureHelpRequest::METHOD => {
                self.handle::<req::SignatureHelpRequest>(request, |s, p| {
                    let position = p.text_document_position_params;
                    let doc = s.documents.get(&position.text_document.uri)?;
                    let context = navigate::Context {
                        doc,
                        open: &s.documents,
                    };
                    signature::signature_help(&context, doc.offset(position.position))
                })
            }
            req::CodeActionRequest::METHOD => {
                // The fixes come from the last check: make it the current text's.
                self.run_pending_checks();
                self.handle::<req::CodeActionRequest>(request, |s, p| {
                    let uri = p.text_document.uri;
                    let published = s
                        .results
                        .get(&uri)
                        .and_then(|files| files.get(&uri))
                        .into_iter()
                        .flatten();
                    let mut actions = diagnostics::code_actions(p.range, published);
                    // "Fix all" only where asked for (`source`, `source.fixAll`): it checks
                    // the document again for each fix it tries.
                    let fix_all = lsp_types::CodeActionKind::SOURCE_FIX_ALL;
                    let asked = p.context.only.as_ref().is_some_and(|kinds| {
                        kinds.iter().any(|kind| {
                            fix_all.as_str() == kind.as_str()
                                || fix_all.as_str().starts_with(&format!("{}.", kind.as_str()))
                        })
                    });
                    if asked {
                        let doc = s.documents.get(&uri)?;
                        actions.extend(
                            diagnostics::fix_all(doc, &s.documents)
                                .map(lsp_types::CodeActionOrCommand::CodeAction),
                        );
                    }
                    Some(actions)
                })
            }
            req::References::METHOD => self.handle::<req::References>(request, |s, p| {
                let position = p.text_document_position;
                let doc = s.documents.get(&position.text_document.uri)?;
                let (_, found) = references::find(doc, &s.scope(), doc.offset(position.position))?;
                let locations = found
                    .into_iter()
                    .filter(|r| p.context.include_declaration || !r.declaration)
                    .filter_map(|r| s.location(&r))
                    .collect();
                Some(locations)
            }),
            req::WorkspaceSymbolRequest::METHOD => {
                self.handle::<req::WorkspaceSymbolRequest>(request, |s, p| {
                    let found = symbols::workspace_symbols(&p.query, &s.documents, &s.roots);
                    Some(lsp_types::WorkspaceSymbolResponse::Flat(found))
                })
            }
            req::DocumentHighlightRequest::METHOD => {
                self.handle::<req::DocumentHighlightRequest>(request, |s, p| {
                    let position = p.text_document_position_params;
                    let doc = s.documents.get(&position.text_document.uri)?;
                    let found =
                        references::in_document(doc, &s.scope(), doc.offset(position.position))?;
                    let highlights = found
                        .into_iter()
                        .map(|r| lsp_types::DocumentHighlight {
                            range: doc.range(r.start, r.end),
                            kind: Some(if r.declaration {
                                lsp_types::DocumentHighlightKind::WRITE
                            } else {
                                lsp_types::DocumentHighlightKind::READ
                            }),
                        })
                        .collect();
                    Some(highlights)
                })
            }
            req::PrepareRenameRequest::METHOD => {
                self.handle_fallible::<req::PrepareRenameRequest>(request, |s, p| {
                    let Some(doc) = s.documents.get(&p.text_document.uri) else {
                        return Ok(None);
                    };
                    let found = references::prepare(doc, &s.scope(), doc.offset(p.position))?;
                    Ok(found.map(|(range, placeholder)| {
                        lsp_types::PrepareRenameResponse::RangeWithPlaceholder {
                            range,
                            placeholder,
                        }
                    }))
                })
            }
            req::Rename::METHOD => self.handle_fallible::<req::Rename>(request, |s, p| {
                let position = p.text_document_position;
                let Some(doc) = s.documents.get(&position.text_document.uri) else {
                    return Ok(None);
                };
                references::rename(doc, &s.scope(), doc.offset(position.position), &p.new_name)
            }),
            req::Formatting::METHOD => self.handle::<req::Formatting>(request, |s, p| {
                let doc = s.documents.get(&p.text_document.uri)?;
                formatting::format(doc)
            }),
            #[cfg(test)]
            TEST_PANIC => panic!("a deliberate panic, for the test of panic handling"),
            method => Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("`{method}` is not supported"),
            ),
        }
    }

    /// Decodes a request's parameters, runs `handler`, encodes its result.
    fn handle<R: req::Request>(
        &self,
        request: Request,
        handler: impl FnOnce(&Self, R::Params) -> R::Result,
    ) -> Response {
        match serde_json::from_value::<R::Params>(request.params) {
            Ok(params) => Response::new_ok(request.id, handler(self, params)),
            Err(e) => Response::new_err(
                request.id,
                ErrorCode::InvalidParams as i32,
                format!("invalid parameters for `{}`: {e}", R::METHOD),
            ),
        }
    }

    /// Like [`Server::handle`], for a handler that can refuse with a message for the user
    /// (a rename that would change the scenario's meaning).
    fn handle_fallible<R: req::Request>(
        &self,
        request: Request,
        handler: impl FnOnce(&Self, R::Params) -> Result<R::Result, String>,
    ) -> Response {
        match serde_json::from_value::<R::Params>(request.params) {
            Ok(params) => match handler(self, params) {
                Ok(result) => Response::new_ok(request.id, result),
                Err(message) => {
                    Response::new_err(request.id, ErrorCode::RequestFailed as i32, message)
                }
            },
            Err(e) => Response::new_err(
                request.id,
                ErrorCode::InvalidParams as i32,
                format!("invalid parameters for `{}`: {e}", R::METHOD),
            ),
        }
    }

    fn scope(&self) -> references::Scope<'_> {
        references::Scope {
            open: &self.documents,
            roots: &self.roots,
        }
    }

    /// Where a reference is, as a location in its file.
    fn location(&self, reference: &references::Reference) -> Option<lsp_types::Location> {
        let range = match self.documents.get(&reference.uri) {
            Some(doc) => doc.range(reference.start, reference.end),
            None => {
                let text = std::fs::read_to_string(reference.uri.to_file_path().ok()?).ok()?;
                let index = position::LineIndex::new(&text);
                index.range(&text, reference.start, reference.end)
            }
        };
        Some(lsp_types::Location::new(reference.uri.clone(), range))
    }

    fn on_notification(&mut self, notification: Notification) {
        let method = notification.method.clone();
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| self.notification(notification))) {
            crate::to_stderr!(
                "pipesim lsp: internal error while handling `{method}`: {}",
                panic_message(&panic)
            );
        }
    }

    fn notification(&mut self, notification: Notification) {
        match notification.method.as_str() {
            notif::DidOpenTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(
                    notification.params,
                ) {
                    let item = p.text_document;
                    let doc = Document::new(item.uri.clone(), item.text, item.version);
                    self.documents.insert(item.uri.clone(), doc);
                    self.pending_checks.insert(item.uri);
                }
            }
            notif::DidChangeTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(
                    notification.params,
                ) {
                    let uri = p.text_document.uri;
                    if let Some(doc) = self.documents.get_mut(&uri) {
                        for change in p.content_changes {
                            doc.apply_change(change.range, &change.text);
                        }
                        doc.version = p.text_document.version;
                        // Other open documents may import this one.
                        self.pending_checks.extend(self.documents.keys().cloned());
                    }
                }
            }
            notif::DidSaveTextDocument::METHOD => {
                // An open module is read as the editor has it, saved or not; a save changes
                // nothing the checks see, unless the editor changed the text as it saved.
                self.pending_checks.extend(self.documents.keys().cloned());
            }
            notif::DidCloseTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(
                    notification.params,
                ) {
                    let uri = p.text_document.uri;
                    self.documents.remove(&uri);
                    self.pending_checks.remove(&uri);
                    // A module closed without saving is read from disk again by its importers.
                    self.pending_checks.extend(self.documents.keys().cloned());
                    for file in self.results.remove(&uri).unwrap_or_default().into_keys() {
                        self.publish(&file);
                    }
                    self.publish(&uri);
                }
            }
            _ => {}
        }
    }

    fn run_pending_checks(&mut self) {
        for uri in std::mem::take(&mut self.pending_checks) {
            let result =
                catch_unwind(AssertUnwindSafe(|| {
                    let doc = self.documents.get(&uri)?;
                    let checked = diagnostics::check(doc, &self.documents)?;
                    let loads = match &checked.analysis.scenario {
                        Some(scenario) if !checked.has_errors() => {
                            crate::analysis::load::resource_loads(scenario)
                        }
                        _ => Vec::new(),
                    };
                    let lowered = checked.analysis.scenario.as_ref().map(|scenario| {
                        document::LoweredMetrics {
                            reported: crate::analysis::paths::metric_names(
                                &scenario.resources,
                                &scenario.pipelines,
                            ),
                            templates: scenario
                                .pipelines
                                .iter()
                                .map(|p| (p.name.clone(), p.deadline_var.is_some()))
                                .collect(),
                        }
                    });
                    Some((diagnostics::by_file(doc, &checked), loads, lowered))
                }));
            let files = match result {
                Ok(Some((found, loads, lowered))) => {
                    if let Some(doc) = self.documents.get_mut(&uri) {
                        doc.loads = loads;
                        if let Some(lowered) = lowered {
                            doc.lowered = lowered;
                        }
                    }
                    found
                }
                Ok(None) => continue,
                Err(panic) => {
                    crate::to_stderr!(
                        "pipesim lsp: internal error while checking `{uri}`: {}",
                        panic_message(&panic)
                    );
                    continue;
                }
            };
            let previous = self.results.insert(uri.clone(), files).unwrap_or_default();
            let touched: BTreeSet<Url> = previous
                .into_keys()
                .chain(self.results[&uri].keys().cloned())
                .collect();
            for file in touched {
                self.publish(&file);
            }
        }
    }

    /// Publishes what is known about `file`. An open file shows its own check (its unsaved
    /// text is what the user sees); a file that is not open shows what the checks of the open
    /// documents importing it found, without repeats.
    fn publish(&self, file: &Url) {
        let mut diagnostics: Vec<lsp_types::Diagnostic> = Vec::new();
        let version = self.documents.get(file).map(|doc| doc.version);
        let sources: Vec<&BTreeMap<Url, Vec<lsp_types::Diagnostic>>> = match version {
            Some(_) => self.results.get(file).into_iter().collect(),
            None => self.results.values().collect(),
        };
        for found in sources.into_iter().filter_map(|r| r.get(file)).flatten() {
            if !diagnostics.contains(found) {
                diagnostics.push(found.clone());
            }
        }
        let params = PublishDiagnosticsParams {
            uri: file.clone(),
            diagnostics,
            version,
        };
        self.send(Notification::new(
            notif::PublishDiagnostics::METHOD.to_string(),
            params,
        ));
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_string())
}
