//! `pipesim lsp`: the real binary driven over JSON-RPC on stdio, with Content-Length framing,
//! the way an editor drives it. Every read has a timeout so a hang fails the test instead of
//! blocking CI.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(20);

struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    messages: Receiver<Value>,
    /// Notifications received while waiting for something else.
    backlog: Vec<Value>,
    next_id: i64,
}

impl Client {
    fn start(cache: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pipesim"))
            .arg("lsp")
            .env("XDG_CACHE_HOME", cache)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start `pipesim lsp`");
        let stdout = child.stdout.take().unwrap();
        let (sender, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Client {
            child,
            stdin,
            messages,
            backlog: Vec::new(),
            next_id: 1,
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        let stdin = self.stdin.as_mut().expect("stdin open");
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its response's `result` (panics on an error response).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.request_raw(method, params);
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        response["result"].clone()
    }

    fn request_raw(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let message = self.receive(deadline, method);
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                return message;
            }
            self.backlog.push(message);
        }
    }

    /// The next `publishDiagnostics` for `uri`.
    fn diagnostics_for(&mut self, uri: &str) -> Vec<Value> {
        let matches = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        };
        if let Some(i) = self.backlog.iter().position(matches) {
            let m = self.backlog.remove(i);
            return m["params"]["diagnostics"].as_array().unwrap().clone();
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let message = self.receive(deadline, "publishDiagnostics");
            if matches(&message) {
                return message["params"]["diagnostics"].as_array().unwrap().clone();
            }
            self.backlog.push(message);
        }
    }

    fn receive(&mut self, deadline: Instant, waiting_for: &str) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        self.messages
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no answer to `{waiting_for}` within {TIMEOUT:?}"))
    }

    /// Closes stdin after `exit` and waits for the process, with a timeout.
    fn wait_exit(&mut self) -> i32 {
        drop(self.stdin.take());
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().expect("exit code");
            }
            assert!(Instant::now() < deadline, "`pipesim lsp` did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // Never leave a server behind when a test fails half way.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads one Content-Length framed message; None at the end of the stream.
fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn initialize(client: &mut Client, root: &Path) -> Value {
    let root_uri = url(root);
    let result = client.request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": root_uri,
            "capabilities": {
                "textDocument": {"completion": {"completionItem": {"snippetSupport": true}}}
            }
        }),
    );
    client.notify("initialized", json!({}));
    result
}

fn url(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn open(client: &mut Client, uri: &str, text: &str) {
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "pipesim", "version": 1, "text": text}}),
    );
}

/// The LSP position (line, UTF-16 column) of the `nth` occurrence of `needle`, plus `shift`
/// characters.
fn position_of(text: &str, needle: &str, shift: usize) -> Value {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in text"));
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column: usize = text[line_start..offset]
        .chars()
        .map(char::len_utf16)
        .sum::<usize>()
        + shift;
    json!({"line": line, "character": column})
}

fn at(uri: &str, position: Value) -> Value {
    json!({"textDocument": {"uri": uri}, "position": position})
}

fn shutdown_and_exit(client: &mut Client) {
    let result = client.request("shutdown", Value::Null);
    assert_eq!(result, Value::Null);
    client.notify("exit", Value::Null);
    assert_eq!(client.wait_exit(), 0, "exit after shutdown must be 0");
}

const SCENARIO: &str = "// Résumé: a small platform 𝜇.
resource gpu { kind = pool  capacity = 8   policy = sjf }
resource cpu { kind = pool  capacity = 4 }
resource spare { kind = pool }

dataset asset {
  size = lognormal(median = 2GB, sigma = 1.0)
}

pipeline classic {
  data = asset
  train {
    on       = gpu
    duration = exponential(mean = 4min)
  }
  validate after train { on = cpu  duration = 30s  pass = 0.95 }
}
";

#[test]
fn editor_session_hover_definition_completion_symbols() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("platform.pipesim");
    std::fs::write(&path, SCENARIO).unwrap();
    let uri = url(&path);
    let mut client = Client::start(&dir.path().join("cache"));
    let init = initialize(&mut client, dir.path());
    let capabilities = &init["capabilities"];
    assert_eq!(capabilities["textDocumentSync"], 1, "full document sync");
    assert_eq!(capabilities["hoverProvider"], true);
    open(&mut client, &uri, SCENARIO);
    // The file has one mistake: the pool `spare` has no capacity yet.
    let diagnostics = client.diagnostics_for(&uri);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["code"], "E0208");
    assert_eq!(
        diagnostics[0]["range"],
        json!({"start": {"line": 3, "character": 9}, "end": {"line": 3, "character": 14}})
    );

    // Hover on a distribution name explains it with its named parameters.
    let hover = client.request(
        "textDocument/hover",
        at(&uri, position_of(SCENARIO, "exponential", 3)),
    );
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.contains("exponential(mean = …)"), "{value}");
    assert!(value.contains("exponential(rate = …)"), "{value}");

    // Signature help inside the distribution's parentheses.
    let help = client.request(
        "textDocument/signatureHelp",
        at(&uri, position_of(SCENARIO, "exponential(mean", 12)),
    );
    assert_eq!(help["signatures"][0]["label"], "exponential(mean = …)");
    assert_eq!(help["activeParameter"], 0);

    // Hover on a use of a resource shows its declaration.
    let hover = client.request(
        "textDocument/hover",
        at(&uri, position_of(SCENARIO, "on       = gpu", 12)),
    );
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.contains("resource `gpu`"), "{value}");
    assert!(
        value.contains("resource gpu { kind = pool  capacity = 8   policy = sjf }"),
        "{value}"
    );

    // Go to definition: from that use to the declaration's name (line 1, after `resource `).
    let definition = client.request(
        "textDocument/definition",
        at(&uri, position_of(SCENARIO, "on       = gpu", 12)),
    );
    assert_eq!(definition["uri"], uri.as_str());
    assert_eq!(
        definition["range"]["start"],
        json!({"line": 1, "character": 9})
    );
    assert_eq!(
        definition["range"]["end"],
        json!({"line": 1, "character": 12})
    );

    // Completion inside a resource block lists a pool's attributes, `capacity` among them.
    let inside_resource = position_of(SCENARIO, "resource spare { kind = pool }", 29);
    let completion = client.request("textDocument/completion", at(&uri, inside_resource));
    let labels: Vec<&str> = completion
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"capacity"), "{labels:?}");
    assert!(labels.contains(&"policy"), "{labels:?}");
    assert!(
        !labels.contains(&"duration"),
        "a step attribute is not a resource's: {labels:?}"
    );

    // Document symbols: the declarations, and the pipeline's steps under it.
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["gpu", "cpu", "spare", "asset", "classic"]);
    let steps: Vec<&str> = symbols[4]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["train", "validate"]);

    shutdown_and_exit(&mut client);
}

/// Completion at the start of an attribute's value offers what the attribute accepts, as
/// analysis checks it: `policy =` the policies only (a user found every resource and
/// distribution listed after them), `on =` the pools, `data =` the data sets, a duration
/// the distributions, a hover on a policy what it orders by.
#[test]
fn completion_after_an_attribute_offers_what_it_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("platform.pipesim");
    std::fs::write(&path, SCENARIO).unwrap();
    let uri = url(&path);
    let mut client = Client::start(&dir.path().join("cache"));
    initialize(&mut client, dir.path());
    open(&mut client, &uri, SCENARIO);
    let mut labels_at = |needle: &str| -> Vec<String> {
        let (before, after) = needle.split_once('|').unwrap();
        let position = position_of(SCENARIO, &format!("{before}{after}"), before.len());
        let completion = client.request("textDocument/completion", at(&uri, position));
        completion
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        labels_at("policy = |sjf"),
        ["fifo", "sjf", "priority", "edf", "fair_share"]
    );
    assert_eq!(
        labels_at("on       = |gpu"),
        ["gpu", "cpu", "spare", "match", "if"]
    );
    assert_eq!(labels_at("data = |asset"), ["asset"]);
    let duration = labels_at("duration = |exponential");
    assert!(
        duration.iter().any(|l| l == "exponential(mean = …)")
            && duration.iter().any(|l| l == "asset")
            && !duration.iter().any(|l| l == "gpu" || l == "fifo"),
        "{duration:?}"
    );
    let capacity = labels_at("capacity = |4");
    assert!(
        !capacity
            .iter()
            .any(|l| l.starts_with("exponential(") || l == "gpu"),
        "a pool's capacity is a constant: {capacity:?}"
    );
    let hover = client.request(
        "textDocument/hover",
        at(&uri, position_of(SCENARIO, "policy = sjf", 10)),
    );
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(
        value.contains("shortest `estimate`") && value.contains("sampled `duration`"),
        "{value}"
    );
    shutdown_and_exit(&mut client);
}

#[test]
fn exit_without_shutdown_is_code_1_and_requests_after_shutdown_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut client = Client::start(dir.path());
    initialize(&mut client, dir.path());
    client.notify("exit", Value::Null);
    assert_eq!(client.wait_exit(), 1);

    let mut client = Client::start(dir.path());
    initialize(&mut client, dir.path());
    client.request("shutdown", Value::Null);
    let refused = client.request_raw(
        "textDocument/hover",
        at("file:///x.pipesim", json!({"line": 0, "character": 0})),
    );
    assert_eq!(refused["error"]["code"], -32600, "{refused}");
    client.notify("exit", Value::Null);
    assert_eq!(client.wait_exit(), 0);
}

#[test]
fn definition_of_a_standard_library_name_opens_a_read_only_copy() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let text = "import \"std/aiops\" as aiops\n\narrivals triggers {\n  rate     = 12/h\n  pipeline = aiops.edge\n}\n";
    let path = dir.path().join("growth.pipesim");
    std::fs::write(&path, text).unwrap();
    let uri = url(&path);
    let mut client = Client::start(&cache);
    initialize(&mut client, dir.path());
    open(&mut client, &uri, text);

    let definition = client.request(
        "textDocument/definition",
        at(&uri, position_of(text, "aiops.edge", 7)),
    );
    let copy = cache.join("pipesim").join("std").join("aiops.pipesim");
    assert_eq!(definition["uri"], url(&copy));
    let copied = std::fs::read_to_string(&copy).unwrap();
    assert!(std::fs::metadata(&copy).unwrap().permissions().readonly());
    // The range is the name in `pipeline edge {` of the copy.
    let line = definition["range"]["start"]["line"].as_u64().unwrap() as usize;
    let column = definition["range"]["start"]["character"].as_u64().unwrap() as usize;
    assert_eq!(copied.lines().nth(line).unwrap(), "pipeline edge {");
    assert_eq!(column, "pipeline ".len());

    // The import path goes to the module's file.
    let definition = client.request(
        "textDocument/definition",
        at(&uri, position_of(text, "std/aiops", 2)),
    );
    assert_eq!(definition["uri"], url(&copy));
    assert_eq!(
        definition["range"]["start"],
        json!({"line": 0, "character": 0})
    );

    shutdown_and_exit(&mut client);
}

#[test]
fn diagnostics_follow_the_unsaved_text_with_utf16_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.pipesim");
    // On disk the file is clean: the server must check the editor's text, not the file.
    let clean = "resource gpu { kind = pool  capacity = 8 }\n";
    std::fs::write(&path, clean).unwrap();
    let uri = url(&path);
    let typo = "// Résumé 𝜇\nresource gpu { kind = pool  capacity = 8 }\npipeline p {\n  train { /* é𝜇 */ on = gpuu  duration = 5min }\n}\n";
    let mut client = Client::start(dir.path());
    initialize(&mut client, dir.path());
    open(&mut client, &uri, typo);

    let diagnostics = client.diagnostics_for(&uri);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(d["code"], "E0202");
    assert_eq!(d["severity"], 1, "an error");
    assert_eq!(d["source"], "pipesim");
    // `gpuu` starts after 24 characters, one of which (`𝜇`) is two UTF-16 code units.
    assert_eq!(
        d["range"],
        json!({"start": {"line": 3, "character": 25}, "end": {"line": 3, "character": 29}})
    );
    let message = d["message"].as_str().unwrap();
    assert!(message.starts_with("unknown name `gpuu`"), "{message}");
    assert!(message.contains("help: did you mean `gpu`?"), "{message}");

    // Fixing the typo clears the diagnostic.
    let fixed = typo.replace("gpuu", "gpu");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(client.diagnostics_for(&uri), Vec::<Value>::new());

    shutdown_and_exit(&mut client);
}

#[test]
fn a_declaration_nothing_uses_is_faded_as_unnecessary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spare.pipesim");
    let text = "scenario s { horizon = 1d }\n\
                resource gpu { kind = pool  capacity = 8 }\n\
                resource spare { kind = pool  capacity = 2 }\n\
                pipeline p { train { on = gpu  duration = 5min } }\n\
                arrivals a { rate = 1/h  pipeline = p }\n";
    std::fs::write(&path, text).unwrap();
    let uri = url(&path);
    let mut client = Client::start(dir.path());
    initialize(&mut client, dir.path());
    open(&mut client, &uri, text);

    let diagnostics = client.diagnostics_for(&uri);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(d["code"], "W0202");
    assert_eq!(d["severity"], 2, "a warning");
    assert_eq!(d["tags"], json!([1]), "DiagnosticTag::Unnecessary");
    assert_eq!(
        d["range"],
        json!({"start": {"line": 2, "character": 9}, "end": {"line": 2, "character": 14}})
    );
    shutdown_and_exit(&mut client);
}

/// The code actions an editor's light bulb asks for at `cursor` (an empty range there).
fn code_actions_at(client: &mut Client, uri: &str, cursor: Value, diagnostics: &[Value]) -> Value {
    client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": uri},
            "range": {"start": cursor.clone(), "end": cursor},
            "context": {"diagnostics": diagnostics},
        }),
    )
}

/// `text` with LSP `TextEdit`s applied (ranges in UTF-16 columns).
fn apply_edits(text: &str, edits: &[Value]) -> String {
    let mut edits: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            (
                offset_of(text, &e["range"]["start"]),
                offset_of(text, &e["range"]["end"]),
                e["newText"].as_str().unwrap(),
            )
        })
        .collect();
    edits.sort_by_key(|&(start, _, _)| std::cmp::Reverse(start));
    let mut out = text.to_string();
    for (start, end, new) in edits {
        out.replace_range(start..end, new);
    }
    out
}

#[test]
fn a_quick_fix_mends_a_misspelt_name_at_every_use() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.pipesim");
    let text = "resource gpu { kind = pool  capacity = 8 }\n\
                pipeline p {\n  train { on = gpuu  duration = 5min }\n  \
                compress { on = gpuu  duration = 1min }\n}\n";
    std::fs::write(&path, text).unwrap();
    let uri = url(&path);
    let mut client = Client::start(dir.path());
    let init = initialize(&mut client, dir.path());
    assert_eq!(
        init["capabilities"]["codeActionProvider"]["codeActionKinds"],
        json!(["quickfix", "source.fixAll"])
    );
    open(&mut client, &uri, text);
    let diagnostics = client.diagnostics_for(&uri);
    // One error at the first use; the second use is a hint that points back at it, so the
    // editor marks it too.
    let severities: Vec<&Value> = diagnostics.iter().map(|d| &d["severity"]).collect();
    assert_eq!(severities, [1, 4], "{diagnostics:?}");
    let hint = &diagnostics[1];
    assert_eq!(
        hint["range"]["start"],
        position_of(text, "gpuu  duration = 1min", 0)
    );
    assert_eq!(hint["message"], "unknown name `gpuu` (also used here)");
    assert_eq!(
        hint["relatedInformation"][0]["location"]["range"],
        diagnostics[0]["range"]
    );
    // The light bulb at the second use offers the same fixes.
    let second = position_of(text, "gpuu  duration = 1min", 1);
    let there = code_actions_at(&mut client, &uri, second, &diagnostics);
    assert_eq!(
        there[0]["title"],
        "Rename `gpu` to `gpuu` where it is declared"
    );
    assert_eq!(there[1]["title"], "Change `gpuu` to `gpu`");

    // Asked at the cursor on the first use, as an editor's light bulb does.
    let cursor = position_of(text, "gpuu", 2);
    let actions = code_actions_at(&mut client, &uri, cursor.clone(), &diagnostics);
    // Named twice as `gpuu`, and `gpu` named nowhere: the declaration may be the slip, as
    // the help asks, or each use.
    let actions = actions.as_array().unwrap();
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Rename `gpu` to `gpuu` where it is declared",
            "Change `gpuu` to `gpu`"
        ]
    );
    assert!(actions.iter().all(|a| a["kind"] == "quickfix"));
    assert_eq!(actions[0]["isPreferred"], true);
    assert_eq!(actions[1]["isPreferred"], false);
    assert_eq!(actions[1]["diagnostics"][0]["code"], "E0202");
    let edits = |action: &Value| {
        action["edit"]["changes"][uri.as_str()]
            .as_array()
            .unwrap()
            .clone()
    };
    assert_eq!(
        apply_edits(text, &edits(&actions[0])),
        text.replacen("gpu {", "gpuu {", 1)
    );
    let fixed = apply_edits(text, &edits(&actions[1]));
    assert_eq!(fixed, text.replace("gpuu", "gpu"));

    // Applied, the document is clean; away from any diagnostic there is nothing to do.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(client.diagnostics_for(&uri), Vec::<Value>::new());
    let none = code_actions_at(&mut client, &uri, cursor, &[]);
    assert_eq!(none, json!([]));
    shutdown_and_exit(&mut client);
}

/// The byte offset of an LSP position (UTF-16 column) in `text`.
fn offset_of(text: &str, position: &Value) -> usize {
    let line = position["line"].as_u64().unwrap() as usize;
    let character = position["character"].as_u64().unwrap() as usize;
    let line_start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let mut units = 0;
    for (i, c) in text[line_start..].char_indices() {
        if units >= character || c == '\n' {
            return line_start + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

#[test]
fn formatting_gives_the_same_text_as_pipesim_fmt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("messy.pipesim");
    let messy = "// déjà vu 𝜇\nresource gpu {kind=pool capacity=8   policy=sjf}\n\n\n\ndataset asset { size = lognormal(median=2GB,sigma=1.0) }\n";
    std::fs::write(&path, messy).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_pipesim"))
        .args(["fmt", "-"])
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let expected = String::from_utf8(output.stdout).unwrap();
    assert_ne!(expected, messy, "the example must need formatting");

    let uri = url(&path);
    let mut client = Client::start(dir.path());
    let init = initialize(&mut client, dir.path());
    assert_eq!(init["capabilities"]["documentFormattingProvider"], true);
    open(&mut client, &uri, messy);
    let edits = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let mut formatted = messy.to_string();
    let mut edits = edits.as_array().unwrap().clone();
    // Apply from the end so earlier offsets stay valid.
    edits.sort_by_key(|e| std::cmp::Reverse(offset_of(messy, &e["range"]["start"])));
    for edit in edits {
        let start = offset_of(messy, &edit["range"]["start"]);
        let end = offset_of(messy, &edit["range"]["end"]);
        formatted.replace_range(start..end, edit["newText"].as_str().unwrap());
    }
    assert_eq!(formatted, expected);

    // A document with a syntax error gets no edits rather than a mangled file.
    let broken = dir.path().join("broken.pipesim");
    let broken_uri = url(&broken);
    open(&mut client, &broken_uri, "resource gpu { capacity = }\n");
    let edits = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": broken_uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(edits, Value::Null);

    shutdown_and_exit(&mut client);
}

#[test]
fn diagnostics_in_an_imported_module_stay_while_any_importer_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let library = "pipeline edge {\n  train { on = nope  duration = 1min }\n}\n";
    let library_path = dir.path().join("lib.pipesim");
    std::fs::write(&library_path, library).unwrap();
    let library_uri = url(&std::fs::canonicalize(&library_path).unwrap());
    let importer = "import \"lib.pipesim\" as lib\n";
    let (a, b) = (
        url(&dir.path().join("a.pipesim")),
        url(&dir.path().join("b.pipesim")),
    );
    let mut client = Client::start(dir.path());
    initialize(&mut client, dir.path());

    open(&mut client, &a, importer);
    assert_eq!(client.diagnostics_for(&a), Vec::<Value>::new());
    let found = client.diagnostics_for(&library_uri);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["code"], "E0202");
    assert_eq!(
        found[0]["range"]["start"],
        json!({"line": 1, "character": 15})
    );

    open(&mut client, &b, importer);
    client.diagnostics_for(&b);
    assert_eq!(
        client.diagnostics_for(&library_uri),
        found,
        "the same mistake, once"
    );

    // Closing one importer keeps the module's diagnostics: the other still imports it.
    client.notify("textDocument/didClose", json!({"textDocument": {"uri": a}}));
    assert_eq!(client.diagnostics_for(&library_uri), found);
    // The other is checked again, since it may have imported what was closed.
    assert_eq!(client.diagnostics_for(&b), Vec::<Value>::new());
    assert_eq!(client.diagnostics_for(&library_uri), found);
    // Closing the last one clears them.
    client.notify("textDocument/didClose", json!({"textDocument": {"uri": b}}));
    assert_eq!(client.diagnostics_for(&library_uri), Vec::<Value>::new());

    shutdown_and_exit(&mut client);
}

/// A scenario's diagnostics follow the unsaved text of a module it imports, where the editor
/// has the module open: the user sees that text, and a mistake mended there is mended for
/// the importer before it is saved. Closed without saving, the module is read from disk again.
#[test]
fn an_importer_is_checked_against_its_modules_unsaved_text() {
    let dir = tempfile::tempdir().unwrap();
    let library = "dataset photos { siz = 2GB }\n";
    let scenario = "import \"lib.pipesim\" as lib\n\
                    scenario s { horizon = 1d }\n\
                    resource gpu { kind = pool  capacity = 4 }\n\
                    pipeline mine {\n  data = lib.photos\n  \
                    train { on = gpu  duration = lib.photos.size * 1s/GB }\n}\n\
                    arrivals a { interarrival = exponential(mean = 1h)  pipeline = mine }\n";
    let library_path = dir.path().join("lib.pipesim");
    std::fs::write(&library_path, library).unwrap();
    let scenario_path = dir.path().join("main.pipesim");
    std::fs::write(&scenario_path, scenario).unwrap();
    let library_uri = url(&std::fs::canonicalize(&library_path).unwrap());
    let scenario_uri = url(&scenario_path);
    let mut client = Client::start(dir.path());
    initialize(&mut client, dir.path());
    let codes = |found: Vec<Value>| -> Vec<String> {
        found
            .iter()
            .filter(|d| d["severity"] == 1)
            .map(|d| d["code"].as_str().unwrap().to_string())
            .collect()
    };

    open(&mut client, &scenario_uri, scenario);
    assert_eq!(codes(client.diagnostics_for(&scenario_uri)), ["E0202"]);
    open(&mut client, &library_uri, library);
    client.diagnostics_for(&library_uri);
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": library_uri, "version": 2},
            "contentChanges": [{"text": library.replace("siz", "size")}],
        }),
    );
    assert_eq!(
        client.diagnostics_for(&scenario_uri),
        Vec::<Value>::new(),
        "the importer reads the module's unsaved text"
    );
    assert_eq!(
        std::fs::read_to_string(&library_path).unwrap(),
        library,
        "nothing is written"
    );
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": library_uri}}),
    );
    assert_eq!(
        codes(client.diagnostics_for(&scenario_uri)),
        ["E0202"],
        "closed without saving, the module is read from disk again"
    );
    shutdown_and_exit(&mut client);
}

/// Hovering a pool or a link (its declaration or a use) shows the load its arriving work
/// offers, as `check --load` works it out, once the document checks without errors; a pool
/// or link asked for more than it has gets W0603 or W0604 as the user types.
/// A server over a folder holding `modules` and `main` (name, text), with `main` open and
/// checked without a diagnostic.
fn open_without_diagnostics(
    modules: &[(&str, &str)],
    (main, text): (&str, &str),
) -> (tempfile::TempDir, Client, String) {
    let dir = tempfile::tempdir().unwrap();
    for (name, module) in modules {
        std::fs::write(dir.path().join(name), module).unwrap();
    }
    let path = dir.path().join(main);
    std::fs::write(&path, text).unwrap();
    let uri = url(&path);
    let mut client = Client::start(&dir.path().join("cache"));
    initialize(&mut client, dir.path());
    open(&mut client, &uri, text);
    assert_eq!(client.diagnostics_for(&uri), Vec::<Value>::new());
    (dir, client, uri)
}

#[test]
fn hover_on_a_pool_or_link_shows_its_offered_load() {
    let text = "scenario s { horizon = 7d }
resource gpu { kind = pool  capacity = 8 }
resource store { kind = link  bandwidth = 100MB/s }
pipeline p { train { on = gpu  reads = 3GB from store  duration = 4min } }
arrivals a { rate = 60/h  pipeline = p }
";
    let (_dir, mut client, uri) = open_without_diagnostics(&[], ("load.pipesim", text));
    for (needle, shift) in [("resource gpu", 10), ("on = gpu", 6)] {
        let hover = client.request(
            "textDocument/hover",
            at(&uri, position_of(text, needle, shift)),
        );
        let value = hover["contents"]["value"].as_str().unwrap();
        assert!(
            value.contains(
                "Offered load: 4 of its 8 slots busy on average (50%), worked out without running"
            ),
            "{value}"
        );
    }
    let hover = client.request(
        "textDocument/hover",
        at(&uri, position_of(text, "resource store", 10)),
    );
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(
        value.contains(
            "Offered load: 50 MB/s of its 100 MB/s asked for on average (50%), worked out without running"
        ),
        "{value}"
    );
    // Ten times the rate: the pool is offered 40 slots of work, the link 500 MB/s.
    let overloaded = text.replace("60/h", "600/h");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": overloaded}]}),
    );
    let diagnostics = client.diagnostics_for(&uri);
    let codes: Vec<&Value> = diagnostics.iter().map(|d| &d["code"]).collect();
    assert_eq!(codes, ["W0603", "W0604"], "{diagnostics:?}");
    let hover = client.request(
        "textDocument/hover",
        at(&uri, position_of(&overloaded, "on = gpu", 6)),
    );
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(
        value.contains("Offered load: 40 of its 8 slots busy on average (500%)"),
        "{value}"
    );
    shutdown_and_exit(&mut client);
}

/// The files rename is tried on: the shipped scenarios and the valid corpus.
/// Completion in `metrics = [...]` offers the metrics of an imported module's templates (their
/// steps, their own counts, `late` for one with a deadline) from the last check, and keeps
/// them while the name being typed makes the file fail to check.
#[test]
fn metric_completion_offers_an_imported_modules_templates() {
    let module = "resource gpu { kind = pool  capacity = 2 }
pipeline edge {
  deadline = 6h
  train { on = gpu  duration = 1h }
}
";
    let text = "import \"edges.pipesim\" as lib
scenario s { horizon = 7d }
arrivals a { rate = 1/h  pipeline = lib.edge }
experiment { metrics = [\"pipeline.wait.p95\"] }
";
    let (_dir, mut client, uri) =
        open_without_diagnostics(&[("edges.pipesim", module)], ("main.pipesim", text));
    // Typing a new name: `"pi` is no metric, so this text fails to check.
    let typing = text.replace("p95\"]", "p95\", \"pi\"]");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": typing}]}),
    );
    assert!(!client.diagnostics_for(&uri).is_empty());
    let completion = client.request(
        "textDocument/completion",
        at(&uri, position_of(&typing, "\"pi\"", 3)),
    );
    let labels: Vec<&str> = completion
        .as_array()
        .or_else(|| completion["items"].as_array())
        .unwrap()
        .iter()
        .map(|item| item["label"].as_str().unwrap())
        .collect();
    for expected in [
        "pipeline.late",
        "step.lib.edge.train.wait.mean",
        "resource.lib.gpu.utilization",
        "pipeline.lib.edge.rejected",
        "pipeline.lib.edge.late",
    ] {
        assert!(
            labels.contains(&expected),
            "{expected} missing from {labels:?}"
        );
    }
    shutdown_and_exit(&mut client);
}

fn renaming_corpus() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["scenarios", "scenarios/bench", "tests/fixtures/check/ok"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "pipesim") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// What a user gets from `text` as the file at `path`: the diagnostics' codes, and every
/// metric's value in one short replication (sorted: names are what a rename changes).
fn outcome(path: &Path, text: &str) -> (Vec<String>, Vec<u64>) {
    let short = ["scenario.horizon=2d".to_string()];
    let mut checked = pipesim::frontend::check_text(path, text.to_string(), &short);
    if checked.has_errors() {
        // A scenario whose warm-up or trace needs its own horizon.
        checked = pipesim::frontend::check_text(path, text.to_string(), &[]);
    }
    let codes = checked
        .diagnostics()
        .0
        .iter()
        .map(|d| d.code.to_string())
        .collect();
    let mut values: Vec<u64> = match &checked.analysis.scenario {
        Some(scenario) if !checked.has_errors() => {
            pipesim::sim::run_replication(scenario, 0, &mut pipesim::sim::trace::NullSink)
                .metrics
                .iter()
                .map(|(_, value)| value.to_bits())
                .collect()
        }
        _ => Vec::new(),
    };
    values.sort_unstable();
    (codes, values)
}

/// Every name a scenario declares (resources, data sets, pipelines, steps, user attributes,
/// imports, labels), renamed through the language server's rename: the file gives the same diagnostics
/// and the same results, bit for bit, and renaming back gives the original text.
#[test]
fn renaming_any_name_of_a_shipped_scenario_changes_no_result() {
    use pipesim::lsp::document::Document;
    use pipesim::lsp::references::{self, Scope};
    let mut renamed_count = 0;
    for path in renaming_corpus() {
        let text = std::fs::read_to_string(&path).unwrap();
        let uri = lsp_types::Url::from_file_path(&path).unwrap();
        let doc = Document::new(uri.clone(), text.clone(), 1);
        let open = std::collections::HashMap::from([(uri.clone(), doc.clone())]);
        let scope = Scope {
            open: &open,
            roots: &[],
        };
        let before = outcome(&path, &text);
        assert!(!before.1.is_empty(), "{}: nothing ran", path.display());
        let mut declarations = std::collections::HashSet::new();
        for token in &doc.outline.tokens {
            let Ok(Some((_, old))) = references::prepare(&doc, &scope, token.start) else {
                continue;
            };
            let (_, found) = references::find(&doc, &scope, token.start).unwrap();
            let declaration = found.iter().find(|r| r.declaration).unwrap();
            if declaration.uri != uri || !declarations.insert(declaration.start) {
                continue;
            }
            let new_name = format!("{old}_renamed");
            let case = format!("{}: `{old}` to `{new_name}`", path.display());
            let edit = references::rename(&doc, &scope, token.start, &new_name)
                .unwrap_or_else(|e| panic!("{case}: {e}"))
                .unwrap();
            let changes = edit.changes.unwrap();
            assert_eq!(changes.keys().collect::<Vec<_>>(), [&uri], "{case}");
            let edits: Vec<Value> = changes[&uri]
                .iter()
                .map(|e| serde_json::to_value(e).unwrap())
                .collect();
            let renamed = apply_edits(&text, &edits);
            assert_eq!(outcome(&path, &renamed), before, "{case}\n{renamed}");
            // Back again, from the first place that names it now, unless it was a step named
            // by its keyword, which keeps the name it was given.
            let renamed_doc = Document::new(uri.clone(), renamed.clone(), 2);
            let open = std::collections::HashMap::from([(uri.clone(), renamed_doc.clone())]);
            let scope = Scope {
                open: &open,
                roots: &[],
            };
            let at = renamed.find(&new_name).unwrap();
            match references::rename(&renamed_doc, &scope, at, &old) {
                Ok(Some(edit)) => {
                    let edits: Vec<Value> = edit.changes.unwrap()[&uri]
                        .iter()
                        .map(|e| serde_json::to_value(e).unwrap())
                        .collect();
                    assert_eq!(apply_edits(&renamed, &edits), text, "{case}, and back");
                }
                Err(message) => assert!(message.contains("is a keyword"), "{case}: {message}"),
                Ok(None) => panic!("{case}: nothing to rename back"),
            }
            renamed_count += 1;
        }
    }
    // 99 when this test was written: every declaration, step, user attribute, import and
    // label of those files but the resources that stand in for a module's and the labels a
    // module writes too (refused, see the next test).
    assert!(renamed_count >= 95, "only {renamed_count} names renamed");
}

/// A module renamed in an editor session: the rename reaches the scenarios that import it,
/// open or not, and they still check clean; what would change a scenario's meaning silently
/// is refused with a message the editor shows.
#[test]
fn rename_and_references_across_a_module_and_its_importers() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("lib")).unwrap();
    let module = "// Shared templates.\n\
                  resource cpu { kind = pool  capacity = 4 }\n\
                  pipeline etl {\n  preprocess { on = cpu  duration = 2min }\n  \
                  train after preprocess { on = cpu  duration = 5min }\n}\n";
    let scenario = |name: &str| {
        format!(
            "import \"lib/templates.pipesim\" as lib\n\
             scenario {name} {{ horizon = 1d  seed = 1 }}\n\
             arrivals jobs {{ interarrival = exponential(mean = 30min)  pipeline = lib.etl }}\n\
             experiment {{ metrics = [\"step.lib.etl.train.wait.mean\", \"resource.lib.cpu.utilization\"] }}\n"
        )
    };
    let module_path = root.join("lib/templates.pipesim");
    std::fs::write(&module_path, module).unwrap();
    let (a, b) = (scenario("a"), scenario("b"));
    std::fs::write(root.join("a.pipesim"), &a).unwrap();
    std::fs::write(root.join("b.pipesim"), &b).unwrap();
    let module_uri = url(&module_path);
    let a_uri = url(&root.join("a.pipesim"));
    let b_uri = url(&root.join("b.pipesim"));

    let mut client = Client::start(root);
    let init = initialize(&mut client, root);
    let capabilities = &init["capabilities"];
    assert_eq!(capabilities["referencesProvider"], true);
    assert_eq!(capabilities["documentHighlightProvider"], true);
    assert_eq!(capabilities["renameProvider"]["prepareProvider"], true);
    assert_eq!(capabilities["workspaceSymbolProvider"], true);
    // The module and one importer are open; `b.pipesim` is only on disk.
    open(&mut client, &module_uri, module);
    open(&mut client, &a_uri, &a);

    // Workspace symbols: declarations and steps of every file, open or not.
    let names = |client: &mut Client, query: &str| -> Vec<String> {
        let found = client.request("workspace/symbol", json!({"query": query}));
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let file = s["location"]["uri"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap();
                format!("{} in {} ({file})", s["name"], s["containerName"])
            })
            .collect()
    };
    assert_eq!(
        names(&mut client, "ET"),
        [
            "\"etl\" in \"templates.pipesim\" (templates.pipesim)",
            "\"experiment\" in \"a.pipesim\" (a.pipesim)",
            "\"experiment\" in \"b.pipesim\" (b.pipesim)",
        ]
    );
    assert_eq!(
        names(&mut client, "train"),
        ["\"train\" in \"etl\" (templates.pipesim)"]
    );

    let references = client.request(
        "textDocument/references",
        json!({
            "textDocument": {"uri": module_uri},
            "position": position_of(module, "etl", 1),
            "context": {"includeDeclaration": true},
        }),
    );
    let mut places: Vec<(String, usize)> = references
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let uri = l["uri"].as_str().unwrap();
            let file = uri.rsplit('/').next().unwrap().to_string();
            (file, l["range"]["start"]["line"].as_u64().unwrap() as usize)
        })
        .collect();
    places.sort();
    let expected = [
        ("a.pipesim", 2),
        ("a.pipesim", 3),
        ("b.pipesim", 2),
        ("b.pipesim", 3),
        ("templates.pipesim", 2),
    ];
    let expected: Vec<(String, usize)> =
        expected.iter().map(|(f, l)| (f.to_string(), *l)).collect();
    assert_eq!(places, expected);

    // Highlights in the open file: the declaration is written, its uses read.
    let highlights = client.request(
        "textDocument/documentHighlight",
        at(&module_uri, position_of(module, "after preprocess", 7)),
    );
    let kinds: Vec<u64> = highlights
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_u64().unwrap())
        .collect();
    assert_eq!(kinds, [3, 2], "{highlights}");

    let prepared = client.request(
        "textDocument/prepareRename",
        at(&module_uri, position_of(module, "etl", 1)),
    );
    assert_eq!(prepared["placeholder"], "etl");
    let edit = client.request(
        "textDocument/rename",
        json!({
            "textDocument": {"uri": module_uri},
            "position": position_of(module, "etl", 1),
            "newName": "ingest",
        }),
    );
    let changes = edit["changes"].as_object().unwrap();
    assert_eq!(changes.len(), 3, "{edit}");
    for (uri, text, path) in [
        (&module_uri, module.to_string(), module_path.clone()),
        (&a_uri, a.clone(), root.join("a.pipesim")),
        (&b_uri, b.clone(), root.join("b.pipesim")),
    ] {
        let renamed = apply_edits(&text, changes[uri.as_str()].as_array().unwrap());
        assert_eq!(renamed, text.replace("etl", "ingest"));
        std::fs::write(path, renamed).unwrap();
    }
    for scenario in ["a.pipesim", "b.pipesim"] {
        let output = Command::new(env!("CARGO_BIN_EXE_pipesim"))
            .args(["check", scenario])
            .current_dir(root)
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && report.trim() == format!("{scenario}: ok"),
            "{scenario}: {report}"
        );
    }

    // Refused: an attribute of the language, a keyword, and the module's `cpu` once a
    // scenario that imports it declares its own (resources bind by name).
    let refused = |client: &mut Client, uri: &str, text: &str, needle: &str, new: &str| {
        let response = client.request_raw(
            "textDocument/rename",
            json!({
                "textDocument": {"uri": uri},
                "position": position_of(text, needle, 1),
                "newName": new,
            }),
        );
        assert_eq!(response["error"]["code"], -32803, "{response}");
        response["error"]["message"].as_str().unwrap().to_string()
    };
    let message = refused(&mut client, &module_uri, module, "capacity", "slots");
    assert!(message.contains("attribute of the language"), "{message}");
    let message = refused(&mut client, &module_uri, module, "cpu {", "match");
    assert!(message.contains("is a keyword"), "{message}");
    let overriding = format!("{a}resource cpu {{ kind = pool  capacity = 16 }}\n");
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": a_uri, "version": 2},
            "contentChanges": [{"text": overriding}],
        }),
    );
    let message = refused(&mut client, &module_uri, module, "cpu {", "cores");
    assert!(message.contains("resources bind by name"), "{message}");
    let message = refused(&mut client, &a_uri, &overriding, "cpu {", "cores");
    assert!(message.contains("resources bind by name"), "{message}");
    shutdown_and_exit(&mut client);
}

/// A misspelt name whose likelier slip is in an imported module: the quick fix edits the
/// module, and the scenario checks clean once it is applied.
/// `lib.pipesim` and `main.pipesim` (which imports it) written in `dir`, and a server started
/// there: the module's path and URI, the scenario's URI, and the client.
fn module_and_importer(
    dir: &Path,
    library: &str,
    scenario: &str,
) -> (std::path::PathBuf, String, String, Client) {
    let library_path = dir.join("lib.pipesim");
    let scenario_path = dir.join("main.pipesim");
    std::fs::write(&library_path, library).unwrap();
    std::fs::write(&scenario_path, scenario).unwrap();
    let (library_uri, scenario_uri) = (url(&library_path), url(&scenario_path));
    let mut client = Client::start(dir);
    initialize(&mut client, dir);
    (library_path, library_uri, scenario_uri, client)
}

#[test]
fn a_quick_fix_may_mend_the_module_a_scenario_imports() {
    let dir = tempfile::tempdir().unwrap();
    let library = "resource gpu { kind = pool  capacity = 4 }\n\
                   dataset photos { siz = 2GB }\n\
                   pipeline edge {\n  data = photos\n  train { on = gpu  duration = 1min }\n}\n";
    let scenario = "import \"lib.pipesim\" as lib\n\
                    scenario s { horizon = 1d }\n\
                    pipeline mine {\n  data = lib.photos\n  \
                    train { on = lib.gpu  duration = lib.photos.size * 1s/GB }\n  \
                    compress { on = lib.gpu  duration = lib.photos.size * 2s/GB }\n}\n\
                    arrivals a {\n  interarrival = exponential(mean = 1h)\n  \
                    pipeline = choice { mine: 0.5, lib.edge: 0.5 }\n}\n";
    let (library_path, library_uri, scenario_uri, mut client) =
        module_and_importer(dir.path(), library, scenario);
    open(&mut client, &scenario_uri, scenario);
    let diagnostics = client.diagnostics_for(&scenario_uri);
    let errors = diagnostics.iter().filter(|d| d["severity"] == 1).count();
    assert_eq!(errors, 1, "{diagnostics:?}");
    let cursor = position_of(scenario, "lib.photos.size", 12);
    let actions = code_actions_at(&mut client, &scenario_uri, cursor, &diagnostics);
    let first = &actions[0];
    assert_eq!(
        first["title"],
        "Rename `lib.photos.siz` to `lib.photos.size` where it is declared"
    );
    let changes = first["edit"]["changes"].as_object().unwrap();
    assert_eq!(changes.keys().collect::<Vec<_>>(), [&library_uri]);
    let mended = apply_edits(library, changes[&library_uri].as_array().unwrap());
    assert_eq!(mended, library.replace("siz =", "size ="));
    std::fs::write(&library_path, mended).unwrap();
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": scenario_uri}}),
    );
    assert_eq!(client.diagnostics_for(&scenario_uri), Vec::<Value>::new());
    shutdown_and_exit(&mut client);
}

/// "Fix all" (`source.fixAll`, which editors run on save when asked to): the fixes that
/// `check --fix` keeps, as edits of the changed lines of each file, the module the scenario imports included and
/// read as the editor has it (unsaved). Only given where the client asks for that kind.
#[test]
fn fix_all_applies_what_check_fix_would_to_the_unsaved_texts() {
    let dir = tempfile::tempdir().unwrap();
    let library = "resource gpu { kind = pool  capacity = 4 }\n\
                   dataset photos { size = 2GB }\n";
    let unsaved_library = library.replace("size =", "siz =");
    let scenario = "import \"lib.pipesim\" as lib\n\
                    scenario s { horizon = 1d }\n\
                    resource cpu { kind = pool  capacity = 2 }\n\
                    pipeline mine {\n  data = lib.photos\n  \
                    preproces { on = cpuu  duration = lib.photos.size * 1s/GB }\n  \
                    train after preprocess { on = lib.gpu  duration = lib.photos.size * 2s/GB }\n}\n\
                    arrivals a { interarrival = exponential(mean = 1h)  pipeline = mine }\n";
    let (library_path, library_uri, scenario_uri, mut client) =
        module_and_importer(dir.path(), library, scenario);
    open(&mut client, &library_uri, &unsaved_library);
    open(&mut client, &scenario_uri, scenario);
    client.diagnostics_for(&scenario_uri);
    let ask = |client: &mut Client, only: Value| {
        client.request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": scenario_uri},
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                "context": {"diagnostics": [], "only": only},
            }),
        )
    };
    assert_eq!(ask(&mut client, json!(["quickfix"])), json!([]));
    let actions = ask(&mut client, json!(["source"]));
    assert_eq!(actions.as_array().unwrap().len(), 1, "{actions}");
    let action = &actions[0];
    assert_eq!(action["kind"], "source.fixAll");
    assert_eq!(action["title"], "Fix all: 3 fixes");
    let changes = action["edit"]["changes"].as_object().unwrap();
    let mut files: Vec<&String> = changes.keys().collect();
    files.sort();
    assert_eq!(files, [&library_uri, &scenario_uri]);
    assert_eq!(
        apply_edits(&unsaved_library, changes[&library_uri].as_array().unwrap()),
        library,
        "the module's unsaved slip is mended in its unsaved text"
    );
    assert_eq!(
        apply_edits(scenario, changes[&scenario_uri].as_array().unwrap()),
        scenario
            .replace("preproces {", "preprocess {")
            .replace("cpuu", "cpu")
    );
    // Only the changed lines are replaced, so the editor keeps its cursor on the others.
    let lines_replaced = |edits: &Value| -> Vec<(u64, u64)> {
        edits
            .as_array()
            .unwrap()
            .iter()
            .map(|edit| {
                let line = |at: &str| edit["range"][at]["line"].as_u64().unwrap();
                (line("start"), line("end"))
            })
            .collect()
    };
    assert_eq!(lines_replaced(&changes[&scenario_uri]), [(5, 6)]);
    assert_eq!(lines_replaced(&changes[&library_uri]), [(1, 2)]);
    assert_eq!(
        std::fs::read_to_string(&library_path).unwrap(),
        library,
        "nothing is written"
    );
    shutdown_and_exit(&mut client);
}
