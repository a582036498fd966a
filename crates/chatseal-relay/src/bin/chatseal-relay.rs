//! `chatseal-relay`: the relay server, its admin commands, and the one-command demo.

use chatseal_relay::db::{Db, Scope};
use chatseal_relay::relay::{self, RelayConfig};
use chatseal_relay::BoxError;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "chatseal-relay", about = "chatseal reference relay: stores only ciphertext and metadata")]
struct Cli {
    /// Log as JSON lines.
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the relay.
    Serve(ServeArgs),
    /// Runs relay + service end + the demo page on loopback (embedded SQLite).
    Demo {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Data directory (relay database, service store, keys).
        #[arg(long)]
        data_dir: PathBuf,
        /// Static directory to serve under `/`.
        #[arg(long)]
        www: Option<PathBuf>,
        /// Chunks per built-in answer.
        #[arg(long, default_value_t = 3)]
        chunks: usize,
    },
    /// Creates a tenant and prints its keys (shown once) as JSON.
    CreateTenant {
        /// Database URL.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// Tenant name.
        name: String,
    },
    /// Adds a key to a tenant (rotation) and prints it.
    AddKey {
        /// Database URL.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// Tenant name.
        tenant: String,
        /// widget, service or moderator.
        scope: String,
    },
    /// Revokes a key by key id.
    RevokeKey {
        /// Database URL.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// The key id (`k_...`).
        key_id: String,
    },
    /// Verifies every tenant's hash-chained audit log; exits non-zero if one is broken.
    VerifyAuditLog {
        /// Database URL.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
    },
    /// Runs pending migrations and exits.
    Migrate {
        /// Database URL.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Database URL: sqlite://path or postgres://...
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Database pool size.
    #[arg(long, default_value_t = 8)]
    db_connections: u32,
    /// Largest envelope, bytes.
    #[arg(long, default_value_t = 1 << 20)]
    max_envelope: usize,
    /// Requests per second per tenant.
    #[arg(long, default_value_t = 2000)]
    rate: u32,
    /// Burst per tenant.
    #[arg(long, default_value_t = 4000)]
    burst: u32,
    /// Open TCP connections.
    #[arg(long, default_value_t = 2048)]
    max_connections: usize,
    /// Live sockets per tenant.
    #[arg(long, default_value_t = 1024)]
    max_sockets: usize,
    /// CORS origin allowed (repeat; `*` for any).
    #[arg(long)]
    cors_origin: Vec<String>,
    /// Delete conversations idle for this many seconds.
    #[arg(long)]
    retention_secs: Option<u64>,
    /// Seconds between retention sweeps.
    #[arg(long, default_value_t = 600)]
    retention_every_secs: u64,
    /// Static directory to serve under `/`.
    #[arg(long)]
    www: Option<PathBuf>,
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let cli = Cli::parse();
    init_logs(cli.log_json);
    match cli.command {
        Command::Serve(a) => {
            let mut c = RelayConfig::new(&a.database_url);
            c.db_connections = a.db_connections;
            c.max_envelope = a.max_envelope.min(chatseal::MAX_ENVELOPE);
            c.rate_per_second = a.rate;
            c.rate_burst = a.burst;
            c.max_connections = a.max_connections;
            c.max_sockets_per_tenant = a.max_sockets;
            c.cors_origins = a.cors_origin;
            c.retention = a.retention_secs.map(Duration::from_secs);
            c.retention_every = Duration::from_secs(a.retention_every_secs.max(1));
            c.www = a.www;
            let listener = tokio::net::TcpListener::bind(a.listen).await?;
            tracing::info!(addr = %listener.local_addr()?, "relay listening");
            relay::serve(listener, c, shutdown_signal()).await?;
        }
        Command::Demo { listen, data_dir, www, chunks } => {
            let options = chatseal_relay::demo::DemoOptions { listen, data_dir, www, chunks };
            chatseal_relay::demo::run(options, shutdown_signal()).await?;
        }
        Command::CreateTenant { database_url, name } => {
            let db = Db::connect(&database_url, 2).await?;
            println!("{}", serde_json::to_string_pretty(&db.create_tenant(&name).await?)?);
            db.close().await;
        }
        Command::AddKey { database_url, tenant, scope } => {
            let db = Db::connect(&database_url, 2).await?;
            let scope: Scope = scope.parse().map_err(|()| "scope must be widget, service or moderator")?;
            let id = db.tenant_id(&tenant).await?.ok_or("no such tenant")?;
            println!("{}", db.add_key(id, scope).await?);
            db.close().await;
        }
        Command::RevokeKey { database_url, key_id } => {
            let db = Db::connect(&database_url, 2).await?;
            let done = db.revoke_key(&key_id).await?;
            db.close().await;
            if !done {
                return Err("no such live key".into());
            }
            println!("revoked {key_id}");
        }
        Command::VerifyAuditLog { database_url } => {
            let db = Db::connect(&database_url, 2).await?;
            let mut broken = 0;
            for tenant in db.tenant_ids().await? {
                let v = db.verify_audit_log(tenant).await?;
                let state = if v.ok() { "ok" } else { "BROKEN" };
                println!(
                    "tenant {tenant}: {} entries, {state}{}",
                    v.entries,
                    v.first_bad.map(|s| format!(" (first bad entry {s})")).unwrap_or_default()
                );
                broken += usize::from(!v.ok());
            }
            db.close().await;
            if broken > 0 {
                return Err(format!("{broken} audit log(s) broken").into());
            }
        }
        Command::Migrate { database_url } => {
            let db = Db::connect(&database_url, 1).await?;
            db.close().await;
            println!("migrations applied");
        }
    }
    Ok(())
}
