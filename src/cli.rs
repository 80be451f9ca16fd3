//! The command line: `waggle serve`, `waggle default-config`. Flags override the
//! environment (clap reads `WAGGLE_*`), which overrides the config file.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{Config, Secret};

#[derive(Parser, Debug)]
#[command(name = "waggle", version, about = "A security incident response platform that speaks TheHive's API")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Print a commented example configuration file.
    DefaultConfig,
    /// Measure throughput, latency and memory, each beside its limit.
    Bench(crate::bench::BenchArgs),
}

#[derive(clap::Args, Debug, Default)]
pub struct ServeArgs {
    /// TOML configuration file.
    #[arg(long, env = "WAGGLE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 0.0.0.0:9000].
    #[arg(long, env = "WAGGLE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Directory for local state [default: ./data].
    #[arg(long, env = "WAGGLE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// sqlite://<file> or postgres://… [default: <data-dir>/waggle.db].
    #[arg(long, env = "WAGGLE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Password for admin@thehive.local when the database is created.
    #[arg(long, env = "WAGGLE_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Server secret for sealing stored secrets [default: generated in the data dir].
    #[arg(long, env = "WAGGLE_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
}

impl ServeArgs {
    /// Applies the layers: file (if any) under env and flags.
    pub fn into_config(self) -> Result<Config, String> {
        let mut c = match &self.config {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        if let Some(v) = self.listen {
            c.listen = v;
        }
        if let Some(v) = self.data_dir {
            c.data_dir = v;
        }
        if let Some(v) = self.database_url {
            c.database_url = Some(Secret::new(v));
        }
        if let Some(v) = self.admin_password {
            c.admin_password = Some(Secret::new(v));
        }
        if let Some(v) = self.secret {
            c.secret = Some(Secret::new(v));
        }
        c.database()?;
        Ok(c)
    }
}
