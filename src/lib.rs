//! hindsight: validates blameless post-mortems and renders them into a
//! searchable static archive. Data flows one way:
//! load → parse → validate → aggregate → render → write.

pub mod action_items;
pub mod charts;
pub mod config;
pub mod content;
pub mod dates;
pub mod debt;
pub mod draft;
pub mod export;
pub mod feeds;
pub mod finding;
pub mod front_matter;
pub mod language;
pub mod ledger;
pub mod limits;
pub mod markdown;
pub mod markup;
pub mod metrics;
pub mod output;
pub mod pages;
pub mod pipeline;
pub mod post_mortem;
pub mod recurrence;
pub mod report;
pub mod rules;
pub mod search;
pub mod search_index;
pub mod sections;
pub mod serve;
pub mod server;
pub mod services;
pub mod snapshot;
pub mod source;
pub mod theme;
pub mod timeline;
pub mod views;
pub mod watch;
pub mod workspace;
