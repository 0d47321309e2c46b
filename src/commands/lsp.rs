//! `pipesim lsp`: the language server on stdio. The protocol runs on stdin/stdout; logs go to
//! stderr. Exit code 0 after `shutdown` then `exit`, 1 when the client exits without `shutdown`
//! (as the protocol specifies), 2 when the connection fails.

use crate::cli::Exit;
use crate::lsp::{self, Ending};
use lsp_server::Connection;

pub fn main() -> Exit {
    let (connection, io_threads) = Connection::stdio();
    let ending = lsp::serve(&connection);
    // The writer thread ends when every sender is gone: drop the connection before joining.
    drop(connection);
    let joined = io_threads.join();
    match (ending, joined) {
        (Ok(Ending::Clean), _) => Exit::Success,
        // The reader stopped on input that is not LSP: say what it was.
        (_, Err(e)) => super::fail(format!("language server input is not valid LSP: {e}")),
        // The protocol's code for an exit without shutdown is 1.
        (Ok(Ending::Abrupt), Ok(())) => Exit::ScenarioErrors,
        (Err(e), Ok(())) => super::fail(format!("language server connection failed: {e}")),
    }
}
