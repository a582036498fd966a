//! `chatseal-service`: the service end (holds the keys, answers through a relay) and its key
//! management.

use chatseal_relay::client::RelayClient;
use chatseal_relay::service::{
    Builtin, KeywordClassifier, OpenAiHook, Responder, ServiceEnd, ServiceEndOptions, ServiceKeys, ServiceStore,
};
use chatseal_relay::BoxError;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "chatseal-service", about = "chatseal service end: opens visitor turns and answers them")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Follows the relay and answers.
    Run {
        /// Relay base URL.
        #[arg(long, default_value = "http://127.0.0.1:8787")]
        relay: String,
        /// The tenant's service API key.
        #[arg(long, env = "CHATSEAL_SERVICE_API_KEY", hide_env_values = true)]
        api_key: String,
        /// Data directory (keys file, service store).
        #[arg(long)]
        data_dir: PathBuf,
        /// `builtin` or `openai`.
        #[arg(long, default_value = "builtin")]
        responder: String,
        /// Chunks per built-in answer.
        #[arg(long, default_value_t = 3)]
        chunks: usize,
        /// OpenAI-compatible base URL (e.g. http://127.0.0.1:11434/v1).
        #[arg(long)]
        openai_url: Option<String>,
        /// Model name.
        #[arg(long, default_value = "gpt-4o-mini")]
        openai_model: String,
        /// Bearer token for the endpoint.
        #[arg(long, env = "CHATSEAL_OPENAI_API_KEY", hide_env_values = true)]
        openai_key: Option<String>,
        /// Conversations worked on at once.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
    },
    /// Creates the key file if missing and prints the public key to pin.
    Keys {
        /// Data directory.
        #[arg(long)]
        data_dir: PathBuf,
        /// `show`, `rotate`, or `retire`.
        #[arg(default_value = "show")]
        action: String,
        /// Key id (for `retire`).
        key_id: Option<String>,
    },
}

async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = tokio::signal::ctrl_c() => {}, () = term => {} }
}

fn show(keys: &ServiceKeys) -> Result<(), BoxError> {
    let public = keys.current_public()?;
    let out = serde_json::json!({
        "public_key": chatseal::base64url_encode(public.as_bytes()),
        "key_id": chatseal::hex_encode(public.key_id()),
        "held": keys.key_ids(),
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    match Cli::parse().command {
        Command::Run {
            relay,
            api_key,
            data_dir,
            responder,
            chunks,
            openai_url,
            openai_model,
            openai_key,
            concurrency,
        } => {
            let keys = ServiceKeys::load_or_create(&data_dir)?;
            let store = ServiceStore::open(&data_dir.join("service.db"), &*keys.history_key()?)?;
            let responder: Arc<dyn Responder> = match responder.as_str() {
                "builtin" => Arc::new(Builtin { chunks }),
                "openai" => {
                    Arc::new(OpenAiHook::new(&openai_url.ok_or("--openai-url is required")?, &openai_model, openai_key))
                }
                _ => return Err("--responder must be builtin or openai".into()),
            };
            let options = ServiceEndOptions { concurrency, ..ServiceEndOptions::default() };
            let end = ServiceEnd::new(
                &keys,
                store,
                RelayClient::new(&relay, &api_key),
                responder,
                Arc::new(KeywordClassifier::default()),
                options,
            )?;
            tracing::info!(key_id = %chatseal::hex_encode(keys.current_public()?.key_id()), "service end running");
            end.run(shutdown_signal()).await;
        }
        Command::Keys { data_dir, action, key_id } => {
            let mut keys = ServiceKeys::load_or_create(&data_dir)?;
            match action.as_str() {
                "show" => {}
                "rotate" => {
                    keys.rotate()?;
                    keys.save(&data_dir)?;
                }
                "retire" => {
                    let id = key_id.ok_or("retire needs a key id")?;
                    if !keys.retire(&id)? {
                        return Err("no such key".into());
                    }
                    keys.save(&data_dir)?;
                }
                _ => return Err("action must be show, rotate or retire".into()),
            }
            show(&keys)?;
        }
    }
    Ok(())
}
