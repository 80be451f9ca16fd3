//! The query DSL (`POST /api/v1/query`) and the global search, on both backends.

mod aggregation;
mod errors;
mod fixture;
mod fulltext;
mod operators;
mod random;
mod rest;
mod steps;
mod visibility;
