//! The integration tests: one binary (one link of polars and the library) with a module per
//! concern, sharing the helpers in `common`.

mod common;

mod bad_input;
mod compare;
mod config_language;
mod explore;
mod ingest;
mod model;
mod model_trust;
mod names;
mod options;
mod parts;
mod pipeline;
mod properties;
mod seeds;
mod stories;
