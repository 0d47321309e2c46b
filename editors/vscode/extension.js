// The pipesim extension for VS Code: starts `pipesim lsp` (the language server built into the
// pipesim binary) for .pipesim files and connects it to the editor with vscode-languageclient.
// Diagnostics, hover, completion, go to definition and formatting (including format on save,
// switched on for pipesim in package.json) all come from the server; this file only starts it.
// Plain JavaScript with no build step.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

/** @type {LanguageClient | undefined} */
let client;

function serverOptions() {
  const config = vscode.workspace.getConfiguration('pipesim');
  const command = config.get('server.path') || 'pipesim';
  const extraArgs = config.get('server.extraArgs') || [];
  const executable = { command, args: ['lsp', ...extraArgs], transport: TransportKind.stdio };
  return { run: executable, debug: executable };
}

function clientOptions() {
  return {
    documentSelector: [
      { scheme: 'file', language: 'pipesim' },
      { scheme: 'untitled', language: 'pipesim' },
    ],
    // Scenarios import other scenarios and read CSV traces: tell the server when they change.
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{pipesim,csv}'),
    },
  };
}

async function startClient() {
  client = new LanguageClient('pipesim', 'pipesim language server', serverOptions(), clientOptions());
  try {
    await client.start();
  } catch (error) {
    const command = vscode.workspace.getConfiguration('pipesim').get('server.path') || 'pipesim';
    vscode.window.showErrorMessage(
      `pipesim: could not start \`${command} lsp\` (${error.message || error}). ` +
        'Install pipesim (cargo install --path .) or set "pipesim.server.path".'
    );
  }
}

async function stopClient() {
  if (client) {
    const stopping = client;
    client = undefined;
    await stopping.stop();
  }
}

/** @param {vscode.ExtensionContext} context */
async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('pipesim.restartServer', async () => {
      await stopClient();
      await startClient();
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration('pipesim.server')) {
        await stopClient();
        await startClient();
      }
    })
  );
  await startClient();
}

function deactivate() {
  return stopClient();
}

module.exports = { activate, deactivate };
